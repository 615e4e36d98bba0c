package report_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/report/reporttest"
	"charter/internal/store/storetest"
)

// world is Charter as its composition root builds it on one engine (real
// figures, signed checkpoints, the configured fonts, months in the
// organization's zone), on a clock the test holds, with one sensitive
// group: 张伟 is responsible for it and signed its statement, 李娜 is a member.
type world struct {
	*app.App
	clock                     *clock
	group                     *registry.Group
	zhang, li, so, admin      *account.Principal
	period                    report.Period
	engine                    string
	actorZhang, actorOperator context.Context
}

// eachWorld runs fn as a subtest on a fresh world of every engine.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { fn(t, openWorld(t, engine)) })
	}
}

func openWorld(t *testing.T, engine string) *world {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if engine == "postgres" {
		cfg.DatabaseURL = storetest.PostgresURL(t)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c := &clock{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	a, err := app.Open(context.Background(), &cfg, c.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := &world{App: a, clock: c, engine: engine, period: report.Containing(report.Monthly, c.t).In(cfg.Location)}
	ctx := context.Background()
	for _, u := range []struct {
		in  account.NewUser
		dst **account.Principal
	}{
		{account.NewUser{Username: "zhang.wei", RealName: "张伟", EmployeeNo: "E2001", Verified: true}, &w.zhang},
		{account.NewUser{Username: "li.na", RealName: "李娜", Verified: true}, &w.li},
		{account.NewUser{Username: "bao.mi", RealName: "保密员", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}}, &w.so},
		{account.NewUser{Username: "root", RealName: "管理员", Verified: true, Roles: []account.Grant{{Role: account.Admin}}}, &w.admin},
	} {
		made, err := a.Accounts.CreateUser(ctx, u.in)
		if err != nil {
			t.Fatal(err)
		}
		*u.dst = &account.Principal{User: made}
	}
	w.group = storetest.Group(t, a.DB, "预算编制工作群", "zhang.wei", registry.Sensitive, c.t)
	if err := a.DB.AddMember(ctx, &registry.Member{GroupID: w.group.ID, Username: "li.na", JoinedAt: c.t}); err != nil {
		t.Fatal(err)
	}
	w.actorZhang = audit.WithActor(ctx, audit.Actor{Name: "zhang.wei", Addr: "10.0.0.8"})
	w.actorOperator = audit.WithActor(ctx, audit.Actor{Name: "cli", Addr: "local"})
	if _, err := a.Registry.Sign(w.actorZhang, w.zhang, w.group.ID, registry.SignInput{FullName: "张伟", Addr: "10.0.0.8"}); err != nil {
		t.Fatal(err)
	}
	c.t = w.period.End().Add(time.Hour) // the month is over: its report can be made
	return w
}

// generated makes the period's report and returns it as its responsible person sees it.
func (w *world) generated(t *testing.T) *report.Report {
	t.Helper()
	made, err := w.Reports.Generate(w.actorOperator, w.period.String())
	if err != nil || len(made) != 1 {
		t.Fatalf("generate: %v %+v", err, made)
	}
	r, err := w.Reports.Show(w.actorZhang, w.zhang, made[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// allYes answers every item of r's checklist with yes.
func allYes(r *report.Report) []report.AnswerInput {
	var as []report.AnswerInput
	for _, a := range r.Checklist {
		as = append(as, report.AnswerInput{ItemID: a.ItemID, Answer: "yes"})
	}
	return as
}

// signed is a filing signed with name and answers.
func signed(name string, answers []report.AnswerInput) report.FileInput {
	return report.FileInput{FullName: name, DraftInput: report.DraftInput{Checklist: answers}}
}

// filed generates the period's report and files it as 张伟 with remarks.
func (w *world) filed(t *testing.T) *report.Report {
	t.Helper()
	r := w.generated(t)
	remarks := "本期无异常。"
	if _, err := w.Reports.SaveDraft(w.actorZhang, w.zhang, r.ID, report.DraftInput{Remarks: &remarks}); err != nil {
		t.Fatal(err)
	}
	f, err := w.Reports.File(w.actorZhang, w.zhang, r.ID, signed("张伟", allYes(r)), "10.0.0.8")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGenerateOncePerPeriod: a period's reports are made once, one per
// group, due ten days after the period ends, with the active checklist.
func TestGenerateOncePerPeriod(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		due := w.period.End().AddDate(0, 0, 10)
		for _, c := range []struct {
			name   string
			period string
			made   int
		}{
			{"first time", w.period.String(), 1},
			{"again", w.period.String(), 0},
			{"the quarter: no sensitive group reports quarterly", "2026-Q4", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				made, err := w.Reports.Generate(w.actorOperator, c.period)
				if err != nil || len(made) != c.made {
					t.Fatalf("generate %s: %v, %d made, want %d", c.period, err, len(made), c.made)
				}
				for _, r := range made {
					if r.GroupID != w.group.ID || r.Period != c.period || !r.DueAt.Equal(due) || r.Status != report.Due || len(r.Checklist) != 4 {
						t.Fatalf("made %+v, want due %s with 4 items", r, due)
					}
				}
			})
		}
	})
}

// TestReportReaders: only the responsible person fills a report; a member
// of the group may not even learn it exists; the security officer reads
// and exports every report but fills none; an administrator is no reader.
func TestReportReaders(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		r := w.generated(t)
		remarks := "x"
		draft := report.DraftInput{Remarks: &remarks}
		show := func(p func() *account.Principal) func() error {
			return func() error { _, err := w.Reports.Show(w.actorZhang, p(), r.ID); return err }
		}
		save := func(p func() *account.Principal) func() error {
			return func() error { _, err := w.Reports.SaveDraft(w.actorZhang, p(), r.ID, draft); return err }
		}
		export := func(p func() *account.Principal, format string) func() error {
			return func() error { _, err := w.Reports.ExportReport(w.actorZhang, p(), r.ID, format); return err }
		}
		list := func(p func() *account.Principal, n int) func() error {
			return func() error {
				rs, err := w.Reports.List(w.actorZhang, p(), report.Filter{})
				if err == nil && len(rs) != n {
					return fmt.Errorf("listed %d reports, want %d", len(rs), n)
				}
				return err
			}
		}
		zhang, li, so, admin := func() *account.Principal { return w.zhang }, func() *account.Principal { return w.li },
			func() *account.Principal { return w.so }, func() *account.Principal { return w.admin }
		operator := func() *account.Principal { return nil }
		for _, c := range []struct {
			name string
			do   func() error
			kind errs.Kind
		}{
			{"responsible lists it", list(zhang, 1), ""},
			{"responsible reads it", show(zhang), ""},
			{"member lists nothing", list(li, 0), ""},
			{"member reads it", show(li), errs.NotFound},
			{"member saves a draft", save(li), errs.NotFound},
			{"member exports it", export(li, "pdf"), errs.NotFound},
			{"security officer reads it", show(so), ""},
			{"security officer saves a draft", save(so), errs.Forbidden},
			{"operator saves a draft", save(operator), errs.Forbidden},
			{"admin exports it", export(admin, "pdf"), errs.NotFound},
			{"responsible saves a draft", save(zhang), ""},
		} {
			t.Run(c.name, func(t *testing.T) { errstest.Want(t, c.do(), c.kind, "") })
		}
		t.Run("unknown format", func(t *testing.T) {
			_, err := w.Reports.ExportReport(w.actorZhang, w.so, r.ID, "docx")
			errstest.Want(t, err, errs.Invalid, "format")
		})
	})
}

// TestFileReport: filing is signed with the real name, once, and records
// where from with a hash of the content; each refusal names what is wrong.
func TestFileReport(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		r := w.generated(t)
		for _, c := range []struct {
			name  string
			in    report.FileInput
			kind  errs.Kind
			field string
		}{
			{"another name", signed("Zhang Wei", allYes(r)), errs.Invalid, "full_name"},
			{"nothing answered", signed("张伟", nil), errs.Invalid, ""},
			{"signed", signed("张伟", allYes(r)), "", ""},
			{"twice", signed("张伟", allYes(r)), errs.Conflict, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				f, err := w.Reports.File(w.actorZhang, w.zhang, r.ID, c.in, "10.0.0.8")
				errstest.Want(t, err, c.kind, c.field)
				if c.kind != "" {
					return
				}
				if f.Status != report.Filed || f.FullName != "张伟" || f.Addr != "10.0.0.8" || len(f.ContentSHA256) != 64 {
					t.Fatalf("filed: %+v", f)
				}
			})
		}
		t.Run("listed as filed", func(t *testing.T) {
			rs, err := w.Reports.List(w.actorOperator, nil, report.Filter{})
			if err != nil || len(rs) != 1 || rs[0].Status != report.Filed {
				t.Fatalf("list: %v %+v", err, rs)
			}
		})
	})
}

// TestReportExports: a filed report in every format, under its name, with
// its group, checklist, remarks, signature and hash; every export is on the record.
func TestReportExports(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		f := w.filed(t)
		for _, c := range []struct {
			format string
			want   []string
		}{
			{"csv", []string{"预算编制工作群", "期末成员 Members at period end", "1. 本群未传播任何涉密信息", "是 Yes", "本期无异常。", f.ContentSHA256, "张伟 (zhang.wei)"}},
			{"xlsx", []string{"工作群定期报告 Work group periodic report", "预算编制工作群", "本人确认以上报告内容真实", f.ContentSHA256}},
			{"pdf", []string{"工作群定期报告", "预算编制工作群", "本群未传播任何涉密信息", "未向外部成员发送工作秘密", "张伟", "本期无异常", "签名检查点"}},
		} {
			t.Run(c.format, func(t *testing.T) {
				doc, err := w.Reports.ExportReport(w.actorZhang, w.zhang, f.ID, c.format)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("report-%d-%s.%s", f.ID, w.period, c.format)
				if doc.Filename != name || doc.Disposition() != "attachment; filename="+name {
					t.Errorf("saved as %q (%s), want %s", doc.Filename, doc.Disposition(), name)
				}
				text := documentText(t, c.format, doc.Body, "report-"+w.engine)
				for _, want := range c.want {
					if !strings.Contains(text, want) {
						t.Errorf("%s lacks %q:\n%s", c.format, want, text)
					}
				}
			})
		}
		t.Run("audited", func(t *testing.T) {
			es, err := w.DB.AuditEvents(context.Background(), audit.Filter{Action: "report.export", Limit: 20})
			if err != nil || len(es) != 3 {
				t.Fatalf("report.export events: %v %d, want one per export", err, len(es))
			}
			for _, e := range es {
				if e.Actor != "zhang.wei" || e.Object != fmt.Sprintf("report:%d", f.ID) {
					t.Errorf("event %+v", e)
				}
			}
		})
	})
}

// TestRosterAndRegistrationForms: the roster lists every registered group with its
// purpose, people, level and standing; a person's registration form lists
// their groups and their part in each, to them and the security officer only.
func TestRosterAndRegistrationForms(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := w.actorOperator
		for _, c := range []struct {
			name   string
			export func() (*report.Document, error)
			file   string // the name's prefix
			want   []string
			kind   errs.Kind
		}{
			{"roster xlsx", func() (*report.Document, error) { return w.Reports.ExportRoster(ctx, "xlsx") }, "roster-",
				[]string{"工作群登记表", "预算编制工作群", "预算编制工作群的日常工作沟通", "张伟", "zhang.wei", "sensitive", "approved", "true"}, ""},
			{"roster pdf", func() (*report.Document, error) { return w.Reports.ExportRoster(ctx, "pdf") }, "roster-",
				[]string{"工作群登记表", "预算编制工作群", "已批准"}, ""},
			{"a member's own form", func() (*report.Document, error) { return w.Reports.ExportForm(ctx, w.li, "li.na", "pdf") }, "",
				[]string{"工作群登记表（个人）", "李娜", "预算编制工作群", "成员 Member"}, ""},
			{"the responsible person's form, by the operator", func() (*report.Document, error) { return w.Reports.ExportForm(ctx, nil, "zhang.wei", "csv") }, "",
				[]string{"预算编制工作群", "负责人 Responsible"}, ""},
			{"the security officer reads a member's form", func() (*report.Document, error) { return w.Reports.ExportForm(ctx, w.so, "li.na", "xlsx") }, "",
				[]string{"李娜", "成员 Member"}, ""},
			{"a member reads another's form", func() (*report.Document, error) { return w.Reports.ExportForm(ctx, w.li, "zhang.wei", "csv") }, "", nil, errs.NotFound},
			{"an unknown person's form", func() (*report.Document, error) { return w.Reports.ExportForm(ctx, w.so, "nobody", "csv") }, "", nil, errs.NotFound},
			{"roster in an unknown format", func() (*report.Document, error) { return w.Reports.ExportRoster(ctx, "docx") }, "", nil, errs.Invalid},
		} {
			t.Run(c.name, func(t *testing.T) {
				doc, err := c.export()
				errstest.Want(t, err, c.kind, "")
				if c.kind != "" {
					return
				}
				if !strings.HasPrefix(doc.Filename, c.file) {
					t.Errorf("saved as %q, want %s…", doc.Filename, c.file)
				}
				format := doc.Filename[strings.LastIndex(doc.Filename, ".")+1:]
				text := documentText(t, format, doc.Body, strings.ReplaceAll(c.name, " ", "-")+"-"+w.engine)
				for _, want := range c.want {
					if !strings.Contains(text, want) {
						t.Errorf("lacks %q:\n%s", want, text)
					}
				}
			})
		}
		t.Run("the responsible person's form has one row", func(t *testing.T) {
			doc, err := w.Reports.ExportForm(ctx, nil, "zhang.wei", "csv")
			if err != nil {
				t.Fatal(err)
			}
			if rows := reporttest.ReadCSV(t, doc.Body); len(rows) != 2 || rows[1][0] != "预算编制工作群" || rows[1][1] != "负责人 Responsible" {
				t.Fatalf("form rows: %q", rows)
			}
		})
	})
}

// documentText reads an exported document back as text.
func documentText(t *testing.T, format string, body []byte, name string) string {
	t.Helper()
	switch format {
	case "csv":
		return fmt.Sprint(reporttest.ReadCSV(t, body))
	case "xlsx":
		return flatten(reporttest.ReadXLSX(t, body))
	case "pdf":
		return reporttest.PDFText(t, body, name)
	}
	t.Fatalf("unknown format %q", format)
	return ""
}
