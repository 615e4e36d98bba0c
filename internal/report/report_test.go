package report_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/report/export"
	"charter/internal/report/reporttest"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

func TestPeriods(t *testing.T) {
	for _, c := range []struct {
		in, start, end, prev string
	}{
		{"2026-10", "2026-10-01", "2026-11-01", "2026-09"},
		{"2026-01", "2026-01-01", "2026-02-01", "2025-12"},
		{"2026-Q4", "2026-10-01", "2027-01-01", "2026-Q3"},
		{"2026-q1", "2026-01-01", "2026-04-01", "2025-Q4"},
	} {
		p, err := report.ParsePeriod(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if p.Start().Format("2006-01-02") != c.start || p.End().Format("2006-01-02") != c.end || p.Prev().String() != c.prev {
			t.Errorf("%s: %s..%s prev %s", c.in, p.Start(), p.End(), p.Prev())
		}
	}
	for _, bad := range []string{"", "2026", "2026-13", "2026-Q5", "26-10", "2026-1", "2026-Q0", "oct"} {
		if _, err := report.ParsePeriod(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
	if report.Containing(report.Quarterly, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)).String() != "2026-Q4" {
		t.Error("November is in Q4")
	}
	if report.Yuan(8888) != "88.88" || report.Yuan(5) != "0.05" || report.Yuan(100000) != "1000.00" {
		t.Error("yuan formatting")
	}
}

// figures stands in for the archive and review.
type figures struct{}

func (figures) MessageStats(context.Context, int64, time.Time, time.Time) (int, int, error) {
	return 120, 5, nil
}
func (figures) TransferStats(context.Context, int64, time.Time, time.Time) (int, int64, error) {
	return 3, 8888, nil
}
func (figures) AlertStats(context.Context, int64, time.Time, time.Time) (map[string]map[string]int, error) {
	return map[string]map[string]int{"marking": {"false_positive": 1, "reminded": 2}, "transfer": {"open": 1}}, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	db    store.DB
	svc   *report.Service
	clock *clock
	group *registry.Group
	zhang *account.Principal
	li    *account.Principal
	so    *account.Principal
}

func setup(t *testing.T, db store.DB) *fixture {
	ctx := context.Background()
	c := &clock{time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	accts := account.NewService(db, store.TxFor[account.TxStore](db), c.now, time.Hour)
	f := &fixture{db: db, clock: c}
	for _, u := range []account.NewUser{
		{Username: "zhang", RealName: "张伟", Verified: true},
		{Username: "li", RealName: "李娜", Verified: true},
		{Username: "so", RealName: "保密员", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}},
	} {
		made, err := accts.CreateUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		p := &account.Principal{User: made}
		switch u.Username {
		case "zhang":
			f.zhang = p
		case "li":
			f.li = p
		case "so":
			f.so = p
		}
	}
	f.group = storetest.Group(t, db, "预算编制工作群", "zhang", registry.Sensitive, c.t)
	for _, m := range []registry.Member{
		{GroupID: f.group.ID, Username: "zhang", JoinedAt: c.t},
		{GroupID: f.group.ID, Username: "li", JoinedAt: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)},
	} {
		if err := db.AddMember(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	gone := registry.Member{GroupID: f.group.ID, External: "王五", Organization: "外协单位", Justification: "项目协作", JoinedAt: c.t}
	if err := db.AddMember(ctx, &gone); err != nil {
		t.Fatal(err)
	}
	if err := db.EndMember(ctx, gone.ID, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	reg := registry.NewService(db, store.TxFor[registry.TxStore](db), c.now, registry.DefaultPolicy())
	if err := reg.EnsureDefaultTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = report.NewService(db, store.TxFor[report.TxStore](db), c.now, reg, figures{})
	return f
}

func (f *fixture) notices(t *testing.T, kind string) int {
	ns, err := f.db.Notifications(context.Background(), "zhang", false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// TestTickCreatesRemindsAndFlagsOverdue drives the scheduler with a fake
// clock through a month's report: created once, reminded once before the due
// date, flagged overdue once, never a reminder twice.
func TestTickCreatesRemindsAndFlagsOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		tick := func(at time.Time) {
			t.Helper()
			f.clock.t = at
			if err := f.svc.Tick(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		tick(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)) // September's report: the group was established on 1 September
		tick(time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC))
		tick(time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC))
		rs, err := f.svc.List(ctx, f.so, report.Filter{GroupID: f.group.ID})
		if err != nil || len(rs) != 2 || rs[0].Period != "2026-09" || rs[1].Period != "2026-10" {
			t.Fatalf("reports after ticks: %v %+v", err, rs)
		}
		oct := rs[1]
		if !oct.DueAt.Equal(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)) || oct.Status != report.Due || len(oct.Checklist) != 4 {
			t.Fatalf("October report: %+v", oct)
		}
		st := oct.Stats
		if *st.Messages != 120 || *st.ActiveMembers != 5 || st.Joins != 1 || st.Leaves != 1 || st.Members != 2 || *st.Transfers != 3 ||
			*st.TransferFen != 8888 || st.Alerts["marking"]["reminded"] != 2 {
			t.Fatalf("October figures: %+v", st)
		}
		if n := f.notices(t, "report.due"); n != 2 {
			t.Fatalf("due notices: %d, want 2 (one per report)", n)
		}
		// September's report is overdue by 15 October? No: due 10 October, so it is; October's is not yet.
		over, err := f.svc.Overdue(ctx, f.so)
		if err != nil || len(over) != 1 || over[0].Period != "2026-09" {
			t.Fatalf("overdue on 1 November: %v %+v", err, over)
		}
		tick(time.Date(2026, 11, 8, 9, 0, 0, 0, time.UTC))
		tick(time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC))
		if n := f.notices(t, "report.reminder"); n != 1 {
			t.Fatalf("reminders: %d, want 1", n)
		}
		tick(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
		tick(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
		if n := f.notices(t, "report.overdue"); n != 2 {
			t.Fatalf("overdue notices: %d, want 2 (September and October, once each)", n)
		}
		over, _ = f.svc.Overdue(ctx, f.so)
		if len(over) != 2 {
			t.Fatalf("overdue on 20 November: %+v", over)
		}
		if _, err := f.svc.Overdue(ctx, f.zhang); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("overdue list for a member: %v", err)
		}
		// Generating by hand for a period already done adds nothing.
		made, err := f.svc.Generate(ctx, "2026-10")
		if err != nil || len(made) != 0 {
			t.Fatalf("generate again: %v %+v", err, made)
		}
		// A quarterly period covers the levels that report quarterly: none of this group's.
		if made, err = f.svc.Generate(ctx, "2026-Q4"); err != nil || len(made) != 0 {
			t.Fatalf("generate a quarter: %v %+v", err, made)
		}
	})
}

func TestFileSignAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := setup(t, db)
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "zhang", Addr: "10.0.0.8"})
		f.clock.t = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		made, err := f.svc.Generate(ctx, "2026-10")
		if err != nil || len(made) != 1 {
			t.Fatalf("generate: %v %+v", err, made)
		}
		id := made[0].ID
		r, err := f.svc.Show(ctx, f.zhang, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Show(ctx, f.li, id); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another member reads the report: %v", err)
		}
		if rs, _ := f.svc.List(ctx, f.li, report.Filter{}); len(rs) != 0 {
			t.Fatalf("another member lists %d reports", len(rs))
		}
		remarks := "本期无异常。"
		draft := report.DraftInput{Remarks: &remarks, Checklist: []report.AnswerInput{{ItemID: r.Checklist[0].ItemID, Answer: "yes"}}}
		if _, err := f.svc.SaveDraft(ctx, f.li, id, draft); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another member saves: %v", err)
		}
		if _, err := f.svc.SaveDraft(ctx, f.so, id, draft); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the security officer saves: %v", err)
		}
		if _, err := f.svc.SaveDraft(ctx, nil, id, draft); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the command line saves: %v", err)
		}
		d, err := f.svc.SaveDraft(ctx, f.zhang, id, draft)
		if err != nil || d.Status != report.Draft || d.Checklist[0].Answer != "yes" || d.Remarks != remarks {
			t.Fatalf("save draft: %v %+v", err, d)
		}
		in := report.FileInput{FullName: "张伟"}
		if _, err := f.svc.File(ctx, f.zhang, id, in, "10.0.0.8"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "not answered") {
			t.Fatalf("file with unanswered items: %v", err)
		}
		for i, a := range d.Checklist[1:] {
			ans := report.AnswerInput{ItemID: a.ItemID, Answer: "yes"}
			if i == 1 { // item 3: every member verified
				ans.Answer = "no"
			}
			in.Checklist = append(in.Checklist, ans)
		}
		if _, err := f.svc.File(ctx, f.zhang, id, in, "10.0.0.8"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "say why") {
			t.Fatalf("file with a bare no: %v", err)
		}
		in.Checklist[1].Remark = "一名外部成员于10月20日退出前未完成核验"
		in.FullName = "张 伟"
		if _, err := f.svc.File(ctx, f.zhang, id, in, "10.0.0.8"); !errs.Is(err, errs.Invalid) || !strings.HasPrefix(err.Error(), "full_name:") {
			t.Fatalf("file with a wrong name: %v", err)
		}
		in.FullName = "张伟"
		filed, err := f.svc.File(ctx, f.zhang, id, in, "10.0.0.8")
		if err != nil {
			t.Fatal(err)
		}
		sum, _ := report.ContentHash(filed)
		if filed.Status != report.Filed || filed.FullName != "张伟" || filed.Addr != "10.0.0.8" || filed.FiledAt == nil || len(filed.ContentSHA256) != 64 ||
			filed.ContentSHA256 != sum || filed.Overdue {
			t.Fatalf("filed: %+v", filed)
		}
		stored, _ := f.svc.Show(ctx, f.so, id)
		if again, _ := report.ContentHash(stored); again != filed.ContentSHA256 {
			t.Fatalf("the stored report no longer matches its hash: %s vs %s", again, filed.ContentSHA256)
		}
		if _, err := f.svc.SaveDraft(ctx, f.zhang, id, draft); !errs.Is(err, errs.Conflict) {
			t.Fatalf("change after filing: %v", err)
		}
		if es, _ := db.AuditEvents(ctx, audit.Filter{Action: "report.file", Limit: 5}); len(es) != 1 || !strings.Contains(es[0].Summary, filed.ContentSHA256) {
			t.Fatalf("report.file audit: %+v", es)
		}

		// Exports: CSV read back, XLSX read back, PDF text and a rendered page.
		doc, err := f.svc.ExportReport(ctx, f.so, id, "csv")
		if err != nil {
			t.Fatal(err)
		}
		if doc.Filename != "report-1-2026-10.csv" && !strings.HasSuffix(doc.Filename, "-2026-10.csv") {
			t.Fatalf("csv filename %q", doc.Filename)
		}
		rows := reporttest.ReadCSV(t, doc.Body)
		for _, want := range [][]string{
			{"统计数据 Figures", "消息数 Messages", "120", ""},
			{"统计数据 Figures", "红包和转账总额（元） Total (yuan)", "88.88", ""},
			{"自查 Self-inspection", "4. 红包和转账符合规定 Red envelopes and transfers were within the rules", "是 Yes", ""},
			{"签署 Attestation", "内容摘要 SHA-256", filed.ContentSHA256, ""},
		} {
			if !hasRow(rows, want) {
				t.Errorf("CSV lacks row %q", want)
			}
		}
		if !hasRow(rows, []string{"自查 Self-inspection", "3. 全体成员均已实名核验 Every member is verified", "否 No", "一名外部成员于10月20日退出前未完成核验"}) {
			t.Errorf("CSV lacks the answered-no row: %q", rows)
		}
		doc, err = f.svc.ExportReport(ctx, f.zhang, id, "xlsx")
		if err != nil {
			t.Fatal(err)
		}
		sheets := reporttest.ReadXLSX(t, doc.Body)
		if len(sheets) != 1 || !strings.Contains(flatten(sheets), "预算编制工作群") || !strings.Contains(flatten(sheets), "本人确认以上报告内容真实") {
			t.Fatalf("xlsx: %q", sheets)
		}
		if _, err := f.svc.ExportReport(ctx, f.li, id, "csv"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("export by another member: %v", err)
		}
		if _, err := f.svc.ExportReport(ctx, f.so, id, "docx"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown format: %v", err)
		}
		if es, _ := db.AuditEvents(ctx, audit.Filter{Action: "report.export", Limit: 10}); len(es) != 2 {
			t.Fatalf("report.export audit events: %d, want 2", len(es))
		}
		if _, err := export.FindFonts(os.Getenv); err == nil {
			doc, err = f.svc.ExportReport(ctx, f.so, id, "pdf")
			if err != nil {
				t.Fatal(err)
			}
			text := reporttest.PDFText(t, doc.Body, "report-"+t.Name())
			for _, want := range []string{"工作群定期报告", "预算编制工作群", "本群未传播任何涉密信息", "张伟", "88.88"} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q", want)
				}
			}
		}
		// Without a font the PDF answers a clear error naming what to install.
		f.svc.Getenv = func(k string) string {
			if k == export.FontEnv {
				return "/nonexistent/font.ttf"
			}
			return ""
		}
		if _, err := f.svc.ExportReport(ctx, f.so, id, "pdf"); !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), export.FontEnv) {
			t.Fatalf("pdf without a font: %v", err)
		}
	})
}

func TestRosterAndForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		storetest.Group(t, db, "项目沟通群", "li", registry.Internal, f.clock.t)
		form, err := f.svc.RegistrationForm(ctx, f.li, "li")
		if err != nil || len(form.Groups) != 2 || form.Groups[0].Role != "member" || form.Groups[0].JoinedAt == nil ||
			form.Groups[0].ResponsibleName != "张伟" || form.Groups[1].Role != "responsible" {
			t.Fatalf("li's form: %v %+v", err, form)
		}
		if db.Exec(ctx, `UPDATE users SET display_name = 'Zhang' WHERE username = 'zhang'`) != nil {
			t.Fatal("set display name")
		}
		// A member sees another administrator's display name; the security officer the real one.
		if form, _ = f.svc.RegistrationForm(ctx, f.li, "li"); form.Groups[0].ResponsibleName != "Zhang" {
			t.Fatalf("li sees %q", form.Groups[0].ResponsibleName)
		}
		if form, _ = f.svc.RegistrationForm(ctx, f.so, "li"); form.Groups[0].ResponsibleName != "张伟" {
			t.Fatalf("the security officer sees %q", form.Groups[0].ResponsibleName)
		}
		if _, err := f.svc.RegistrationForm(ctx, f.li, "zhang"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another person's form: %v", err)
		}
		if _, err := f.svc.RegistrationForm(ctx, f.so, "nobody"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an unknown person's form: %v", err)
		}
		// The roster is the registry's listing and table, in every format.
		doc, err := f.svc.ExportRoster(ctx, "csv")
		if err != nil {
			t.Fatal(err)
		}
		got := reporttest.ReadCSV(t, doc.Body)
		if len(got) != 3 || got[1][1] != "预算编制工作群" || got[2][1] != "项目沟通群" {
			t.Fatalf("roster csv: %q", got)
		}
		doc, err = f.svc.ExportForm(ctx, nil, "li", "xlsx")
		if err != nil {
			t.Fatal(err)
		}
		if s := flatten(reporttest.ReadXLSX(t, doc.Body)); !strings.Contains(s, "李娜") || !strings.Contains(s, "项目沟通群") || !strings.Contains(s, "负责人 Responsible") {
			t.Fatalf("form xlsx: %s", s)
		}
		if es, _ := db.AuditEvents(ctx, audit.Filter{Action: "roster.export", Limit: 5}); len(es) != 1 {
			t.Fatalf("roster.export audit events: %d", len(es))
		}
	})
}

// TestNoOpinionScreening keeps the product principle: nothing a report
// asks, counts or prints is about opinions.
func TestNoOpinionScreening(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	items, err := db.ChecklistItems(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, it := range items {
		all = append(all, it.TextZh, it.TextEn)
	}
	n := 1
	tb := report.ReportTable(&report.Report{Stats: report.Stats{Messages: &n, Alerts: map[string]map[string]int{}}})
	all = append(all, tb.Title)
	for _, r := range tb.Rows {
		all = append(all, r...)
	}
	text := strings.ToLower(strings.Join(all, "\n"))
	for _, banned := range []string{"opinion", "politic", "negative", "criticis", "rumour", "rumor", "sentiment", "言论", "政治", "负面", "批评", "谣言", "消极", "观点"} {
		if strings.Contains(text, banned) {
			t.Errorf("report text mentions %q", banned)
		}
	}
}

func hasRow(rows [][]string, want []string) bool {
	for _, r := range rows {
		if strings.Join(r, "\x00") == strings.Join(want, "\x00") {
			return true
		}
	}
	return false
}

func flatten(sheets map[string][][]string) string {
	var b strings.Builder
	for _, rows := range sheets {
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return b.String()
}

// TestSourcesUnwired: a source left out makes its figures unavailable, not zero.
func TestSourcesUnwired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := setup(t, db)
		f.svc.Figures = report.Sources{Alerts: figures{}.AlertStats}
		f.clock.t = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		made, err := f.svc.Generate(context.Background(), "2026-10")
		if err != nil || len(made) != 1 {
			t.Fatalf("generate: %v %+v", err, made)
		}
		st := made[0].Stats
		if st.Messages != nil || st.ActiveMembers != nil || st.Transfers != nil || st.TransferFen != nil || st.Alerts["transfer"]["open"] != 1 || st.Joins != 1 {
			t.Fatalf("figures with only alerts wired: %+v", st)
		}
		rows := reporttest.ReadCSV(t, mustExport(t, f, made[0].ID))
		if !hasRow(rows, []string{"统计数据 Figures", "消息数 Messages", "无数据 Not available", ""}) {
			t.Fatalf("an unwired figure is not shown as unavailable: %q", rows)
		}
	})
}

func mustExport(t *testing.T, f *fixture, id int64) []byte {
	doc, err := f.svc.ExportReport(context.Background(), f.so, id, "csv")
	if err != nil {
		t.Fatal(err)
	}
	return doc.Body
}

// A month begins at midnight in the organization's zone, not in UTC: a
// message sent at 01:00 on 1 November in Beijing belongs to November.
func TestPeriodInZone(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := report.ParsePeriod("2026-10")
	if got := p.In(sh).Start().UTC(); !got.Equal(time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("2026-10 in Shanghai starts %v", got)
	}
	early := time.Date(2026, 11, 1, 1, 0, 0, 0, sh)
	if got := report.Containing(report.Monthly, early).String(); got != "2026-11" {
		t.Fatalf("01:00 on 1 Nov in Shanghai is in %s", got)
	}
	if got := report.Containing(report.Monthly, early.UTC()).String(); got != "2026-10" {
		t.Fatalf("the same instant in UTC is in %s", got)
	}
}

// TestGenerateIsolatesGroups: one group whose figures cannot be read is
// named with its reason, and the other groups' reports are still created.
func TestGenerateIsolatesGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := setup(t, db)
		other := storetest.Group(t, db, "会务保障工作群", "zhang", registry.Sensitive, f.clock.t)
		f.svc.Figures = report.Sources{
			Messages: func(_ context.Context, groupID int64, _, _ time.Time) (int, int, error) {
				if groupID == f.group.ID {
					return 0, 0, errors.New("transfers: integer overflow")
				}
				return 3, 1, nil
			},
		}
		f.clock.t = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		made, err := f.svc.Generate(context.Background(), "2026-10")
		var failed report.FailedGroups
		if !errors.As(err, &failed) || len(failed) != 1 || failed[0].GroupID != f.group.ID || !strings.Contains(failed[0].Reason, "integer overflow") {
			t.Fatalf("failure: %v", err)
		}
		if !strings.Contains(err.Error(), "预算编制工作群") {
			t.Fatalf("the error does not name the group: %v", err)
		}
		if len(made) != 1 || made[0].GroupID != other.ID {
			t.Fatalf("reports made: %+v", made)
		}
	})
}

// TestDailyMessages: every reader of the group gets its counts, one per
// day asked; anyone else is told the group does not exist.
func TestDailyMessages(t *testing.T) {
	f := setup(t, storetest.Open(t, "sqlite"))
	days := []time.Time{f.clock.t, f.clock.t.AddDate(0, 0, 1)}
	stranger := &account.Principal{User: &account.User{Username: "wang", Active: true}}
	ingest := &account.Principal{Token: &account.Token{Name: "feed", Scope: account.ScopeIngest}}
	cases := []struct {
		name string
		p    *account.Principal
		kind errs.Kind // "" for the counts
	}{
		{"responsible", f.zhang, ""},
		{"member", f.li, ""},
		{"security officer", f.so, ""},
		{"operator", nil, ""},
		{"not in the group", stranger, errs.NotFound},
		{"ingest token", ingest, errs.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns, err := f.svc.DailyMessages(context.Background(), c.p, f.group.ID, days)
			switch {
			case c.kind == "" && (err != nil || len(ns) != 2 || ns[0] != 120):
				t.Fatalf("got %v %v, want two days of 120", ns, err)
			case c.kind != "" && !errs.Is(err, c.kind):
				t.Fatalf("got %v %v, want %s", ns, err, c.kind)
			}
		})
	}
}
