package web

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/config"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/web/chart"
	"charter/internal/web/i18n"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	cfg := config.Default()
	s, err := New(Server{Cfg: &cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// samples returns one filled page struct per template, for language l. A
// template without a sample fails TestEveryTemplateRenders.
func samples(l i18n.Lang) []view {
	at := time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC)
	admin := &account.User{Username: "admin", RealName: "管理员", DisplayName: "Admin <b>", Active: true, Verified: true,
		Roles: []account.Grant{{Role: account.Admin}}, CreatedAt: at}
	li := account.User{Username: "li.wei", RealName: "李伟", DisplayName: "小李", OrgUnit: "财务部", Active: false,
		Roles: []account.Grant{{Role: account.Approver, OrgUnit: "财务部"}, {Role: account.Auditor}}, CreatedAt: at}
	lay := Layout{Lang: l, OtherLang: i18n.EN, Title: "T", User: admin, CSRF: "tok", Path: "/x", Flash: "done",
		Nav: []navSection{{Label: "Admin", Links: []navLink{{Label: "Users", Path: "/users", Current: true}}}}}
	units := []account.OrgUnit{{Name: "总部"}, {Name: "财务部", Parent: "总部"}, {Name: "Orphan", Parent: "gone"}}
	withErr := newForm(nil)
	withErr.Values.Set("username", "Bad Name")
	withErr.Values.Set("role", "auditor")
	withErr.Values.Add("approver_unit", "财务部")
	withErr.Errors["username"] = "bad"
	withErr.Errors["roles"] = "bad roles"
	withErr.Error = "form-level"
	used := at.Add(time.Hour)
	app := &registry.Application{ID: 1, Name: "财务<b>群", Purpose: "对账", Platform: "wecom", PlannedAt: at, ExpiresAt: at.AddDate(1, 0, 0),
		Responsible: "li.wei", Level: registry.Sensitive, Applicant: "li.wei", OrgUnit: "财务部", Status: registry.Submitted, Round: 2,
		Steps: []registry.Step{{Role: account.Approver}, {Role: account.SecurityOfficer}}, StepSince: &at, UpdatedAt: at,
		CurrentStep: &registry.CurrentStep{Number: 2, Role: account.SecurityOfficer},
		Members:     []registry.ProposedMember{{Username: "wang"}, {External: "赵<i>", Organization: "审计所", Justification: "年审"}},
		Decisions:   []registry.Decision{{Round: 1, Step: 1, Decider: "boss", Decision: "reject", Comment: "<x>", At: at}, {Round: 2, Step: 1, Decider: "boss", Decision: "approve", At: at}}}
	grp := &registry.GroupDetail{Group: registry.Group{ID: 7, Name: "财务群", Purpose: "对账", Platform: "wecom", Level: registry.Internal, OrgUnit: "财务部",
		Responsible: "li.wei", Status: registry.GroupNeedsSignature, EstablishedAt: at, ExpiresAt: at.AddDate(1, 0, 0), DissolvedReason: "x"},
		Members: []registry.Member{{ID: 1, Username: "li.wei", DisplayName: "小李", RealName: "李伟", Verified: true, JoinedAt: at},
			{ID: 2, External: "赵", Organization: "审计所", JoinedAt: at, LeftAt: &used}},
		Bindings:  []registry.Binding{{Platform: "wecom", RoomID: "wr<b>", BoundAt: at, BoundBy: "li.wei"}},
		Statement: &registry.StatementInfo{CurrentVersion: 2, Signed: true, Signature: &registry.Signature{FullName: "李伟", TemplateVersion: 2, SignedAt: at}, LapsesAt: &used}}
	stmt := &registry.StatementText{Version: 2, Language: string(l), Text: "我承诺<b>不在群内传递涉密信息", SHA256: "abc"}
	gid, caseID := int64(7), int64(5)
	msgs, active, transfers, fen := 1234, 12, 3, int64(400050)
	rep := report.Report{ID: 3, GroupID: 7, GroupName: "财务<b>群", Level: registry.Internal, Responsible: "li.wei", ResponsibleName: "李伟", Period: "2026-10",
		PeriodStart: at, PeriodEnd: at, DueAt: at, Status: report.Draft, Overdue: true,
		Stats: report.Stats{Messages: &msgs, ActiveMembers: &active, Members: 9, Joins: 2, Leaves: 1, Transfers: &transfers, TransferFen: &fen,
			Alerts: map[string]map[string]int{"marking": {"reminded": 2}}}}
	filed := rep
	filed.ID, filed.Status, filed.Overdue, filed.FiledAt, filed.FullName, filed.ContentSHA256, filed.Remarks = 4, report.Filed, false, &at, "李伟", "abc", "<x>"
	filed.Stats = report.Stats{Members: 1}
	alert := review.Alert{ID: 11, Rule: "transfer.red_envelope_period", Category: "transfer", Severity: "high", Status: "claimed", GroupID: &gid,
		Platform: "wecom", RoomID: "wr1", Excerpt: "[红包] ¥4000 <x>", Count: 3, SourceIDs: []string{"m1", "m2"}, FirstSeen: at, LastSeen: at, Assignee: "rev"}
	kase := review.Case{ID: 5, Title: "换届<b>红包", Status: "open", Assignee: "rev", CreatedBy: "rev", CreatedAt: at, UpdatedAt: at,
		Alerts: []review.Alert{alert}, Notes: []review.Note{{Author: "rev", Body: "<i>", CreatedAt: at}}}
	return []view{
		&errorPage{Layout: lay, Code: 403, Message: "no"},
		&loginPage{Layout: Layout{Lang: l, OtherLang: i18n.ZH, Title: "Sign in", CSRF: "tok", Path: "/login"}, Form: withErr, Next: "/users"},
		&homePage{Layout: lay},
		&homePage{Layout: lay, Tasks: []task{{Label: "a<b>", Link: "/campaigns/1", Due: &at}, {Label: "b", Link: "/approvals"}}, Notices: []notice{{Title: "Waiting", Object: "application:1", Detail: "<i>", At: at}}},
		&profilePage{Layout: lay, Roles: withMember(admin.Roles), Langs: i18n.Langs},
		&usersPage{Layout: lay, Users: []account.User{*admin, li}, CanEdit: true},
		&usersPage{Layout: lay},
		&userPage{Layout: lay, Form: withErr, OrgUnits: units, Roles: editableRoles, CanEdit: true},
		&userPage{Layout: lay, Subject: &li, Form: newForm(userValues(&li)), OrgUnits: units, Roles: editableRoles, CanEdit: true},
		&userPage{Layout: lay, Subject: &li, Form: newForm(nil), OrgUnits: units, Roles: editableRoles},
		&orgUnitsPage{Layout: lay, Roots: tree(units), Units: units, Form: withErr, CanCreate: true},
		&orgUnitsPage{Layout: lay, Form: newForm(nil)},
		&tokensPage{Layout: lay, Form: withErr, Scopes: []account.Scope{account.ScopeIngest, account.ScopeRead},
			Tokens: []account.Token{{ID: 1, Name: "wecom", Scope: account.ScopeIngest, Prefix: "cht_abcdef", CreatedAt: at, LastUsedAt: &used},
				{ID: 2, Name: "old", Scope: account.ScopeRead, CreatedAt: at, RevokedAt: &used}},
			Secret: "cht_secret", New: &account.Token{Name: "wecom"}},
		&tokensPage{Layout: lay, Form: newForm(nil)},
		&auditPage{Layout: lay, Form: withErr, Newer: true, Next: "/audit?before=3", First: "/audit?",
			Events: []audit.Event{{Seq: 4, At: at, Actor: "admin", Action: "user.create", Object: "user:li.wei", Summary: `{"a":"<x>"}`, Addr: "127.0.0.1"}}},
		&auditPage{Layout: lay, Form: newForm(nil)},

		&applyPage{Layout: lay, Form: withErr, Platforms: registry.Platforms, Levels: registry.Levels, Externals: []extRow{{Name: "王<b>", Organization: "外协", Reason: "驻场"}, {I: 1}}},
		&applyPage{Layout: lay, Form: newForm(nil), EditID: 3, Platforms: registry.Platforms, Levels: registry.Levels},
		&applicationsPage{Layout: lay, Apps: []registry.Application{*app, {ID: 2, Name: "x", Level: registry.Public, Status: registry.Draft, UpdatedAt: at}}},
		&applicationsPage{Layout: lay},
		&applicationPage{Layout: lay, App: app, Form: withErr, CanWithdraw: true, CanEdit: true, CanDecide: true},
		&applicationPage{Layout: lay, App: &registry.Application{ID: 4, Name: "y", Status: registry.Approved, Level: registry.Internal, Platform: "wechat", GroupID: 9}, Form: newForm(nil)},
		&approvalsPage{Layout: lay, Apps: []registry.Application{*app}},
		&approvalsPage{Layout: lay},
		&groupsPage{Layout: lay, Groups: []registry.Group{grp.Group}, SeesAll: true, States: groupStates, Status: "active"},
		&groupsPage{Layout: lay, All: true, SeesAll: true},
		&groupPage{Layout: lay, Group: grp, Timeline: grp.Members, Statement: stmt, Responsible: true, SignForm: withErr, BindForm: newForm(nil),
			Platforms: registry.Platforms, ShowAlerts: true, Alerts: []review.Alert{alert}, Activity: chart.Bar([]chart.Point{{Label: "11-22", Value: 2}}, chart.Options{Title: "a"})},
		&groupPage{Layout: lay, Group: &registry.GroupDetail{Group: registry.Group{ID: 2, Status: "dissolved", Level: "public", Platform: "other"}, Statement: &registry.StatementInfo{CurrentVersion: 1}},
			Statement: stmt, SignForm: newForm(nil), BindForm: newForm(nil)},
		&alertsPage{Layout: lay, Alerts: []review.Alert{alert}, Filter: withErr, Statuses: alertStatuses, Categories: alertCategories, Severity: alertSeverities, Next: "/alerts?before=1", First: "/alerts?"},
		&alertsPage{Layout: lay, Filter: newForm(nil)},
		&alertPage{Layout: lay, Alert: &alert, Detail: []detailRow{{"金额", "¥4,000.00"}}, Form: withErr, Dispositions: dispositions, CanTriage: true, CanContext: true, ArchiveReady: true},
		&alertPage{Layout: lay, Alert: &alert, Form: newForm(nil), CanContext: true, ContextRead: true,
			Context: []review.ContextMessage{{ArchiveID: 1, Flagged: true, Message: capture.Message{Sender: "wx<b>", Text: "红包<i>", SentAt: at, SentAtUnknown: true}}}},
		&alertPage{Layout: lay, Alert: &review.Alert{ID: 3, Rule: "registry.unregistered_room", Category: "registry", Severity: "low", Platform: "wecom", Status: "resolved", Disposition: "escalated", CaseID: &caseID, ResolvedAt: &at}, Form: newForm(nil), CanContext: true},
		&casesPage{Layout: lay, Cases: []review.Case{kase}, Form: withErr, CanCreate: true},
		&casesPage{Layout: lay, Form: newForm(nil)},
		&casePage{Layout: lay, Case: &kase, Form: withErr, CanWork: true},
		&campaignPage{Layout: lay, Form: withErr, Platforms: registry.Platforms, Open: true, Tasks: &registry.Tasks{
			Campaign: &registry.Campaign{ID: 1, Kind: registry.Recertification, Title: "2026 年度复核", Deadline: at},
			Recerts: []registry.Recert{{CampaignID: 1, GroupID: 7, GroupName: "财务<b>群"}, {CampaignID: 1, GroupID: 8, GroupName: "x", Decision: "keep", Defaulted: true, AnsweredAt: &at},
				{CampaignID: 1, GroupID: 9, GroupName: "y", Decision: "dissolve"}}}},
		&campaignPage{Layout: lay, Form: newForm(nil), Tasks: &registry.Tasks{Campaign: &registry.Campaign{ID: 2, Kind: registry.Recertification, Deadline: at, ClosedAt: &at}}},
		&campaignPage{Layout: lay, Form: withErr, Platforms: registry.Platforms, Open: true, Tasks: &registry.Tasks{
			Campaign: &registry.Campaign{ID: 3, Kind: registry.Declaration, Title: "申报", Deadline: at},
			Groups:   []registry.DeclaredGroup{{GroupID: 7, Name: "财务<b>群", Platform: "wecom"}},
			Declared: []registry.DeclaredGroup{{GroupID: 7, Name: "财务群", DeclaredAt: at}, {Name: "旧群<i>", Platform: "wechat", ApplicationID: 4, DeclaredAt: at}}}},
		&templatesPage{Layout: lay, Form: withErr, Templates: []registry.Template{{Version: 2, TextZh: "承诺<b>", TextEn: "I <i>", PublishedAt: at, PublishedBy: "so"}}},
		&templatesPage{Layout: lay, Form: newForm(nil)},
		&dashboardPage{Layout: lay, GroupsByStatus: chart.Bar([]chart.Point{{Label: "active", Value: 3}}, chart.Options{}), GroupTotal: 3,
			Pending: []registry.Application{*app}, Overdue: []registry.Recert{{CampaignID: 1, GroupID: 7, GroupName: "财务<b>群", Responsible: "li.wei"}, {CampaignID: 1, GroupID: 8, GroupName: "x", Decision: "suspend", Defaulted: true}},
			OverdueDeadline: map[int64]time.Time{1: at}, OpenAlerts: 2, AlertCharts: []categoryChart{{Category: "transfer", Total: 2, Chart: chart.Line(nil, chart.Options{})}}},
		&dashboardPage{Layout: lay},
		&searchPage{Layout: lay, Form: withErr, Kinds: capture.Kinds, Searched: true, Next: map[string]string{"q": "x", "cursor": "3"}, First: map[string]string{"q": "x"},
			Hits: []searchHit{{Item: archive.Item{ID: 3, Platform: "wecom", GroupID: &gid, RoomID: "wr1", Sender: "zs<b>", SentAt: at, Kind: "red_envelope",
				Transfer: &capture.Transfer{AmountFen: 400000, Count: 40}, Recalled: true, Attachments: []capture.Attachment{{Name: "a<i>.pdf"}}},
				Marked: highlight("机密<x>文件", "机密"), GroupName: "财务<b>群"}, {Item: archive.Item{ID: 2, Platform: "other", Kind: "text", Text: "x", SentAtUnknown: true}, Marked: "x"}}},
		&searchPage{Layout: lay, Form: newForm(nil), Kinds: capture.Kinds, Searched: true},
		&searchPage{Layout: lay, Form: newForm(nil), Kinds: capture.Kinds},
		&casePage{Layout: lay, Case: &review.Case{ID: 2, Status: "closed", ClosedAt: &at, Resolution: "done"}, Form: newForm(nil)},
		&reportsPage{Layout: lay, Reports: []report.Report{rep, filed}, SeesAll: true, Filter: withErr, States: reportStates},
		&reportsPage{Layout: lay, Reports: []report.Report{rep}, Filter: newForm(nil)},
		&reportsPage{Layout: lay, SeesAll: true, Overdue: true, Filter: newForm(nil)},
		&reportsPage{Layout: lay, Filter: newForm(nil)},
		&reportPage{Layout: lay, Report: &rep, Form: withErr, CanFill: true, Alerts: []alertFigure{{Category: "涉密<b>标识", Outcome: "已提醒", Count: 2}},
			Items: []checkItem{{ID: 1, Text: "是否<b>传递涉密信息", Answer: "no", Remark: "<i>", Error: "须说明"}, {ID: 2, Text: "b"}}},
		&reportPage{Layout: lay, Report: &filed, Form: newForm(nil), Items: []checkItem{{ID: 1, Text: "a", Answer: "yes"}, {ID: 2, Text: "b", Answer: "no", Remark: "x"}, {ID: 3, Text: "c"}}},
		&rosterPage{Layout: lay, Rows: []registry.RosterRow{{Group: grp.Group, RealName: "李伟", Members: 3, SignedAt: &at}, {Group: registry.Group{ID: 8, Name: "x", Level: "public", Status: "active"}, SignedAt: &at}, {Group: registry.Group{ID: 9, Level: "sensitive", Status: "approved"}}}},
		&rosterPage{Layout: lay},
		&profilePage{Layout: lay, Roles: withMember(admin.Roles), Langs: i18n.Langs, CanForm: true},
		&usersPage{Layout: lay, Users: []account.User{*admin, li}, Forms: true},
	}
}

// TestEveryTemplateRenders renders every page template with its typed page
// struct in both languages: no template error, no missing message.
func TestEveryTemplateRenders(t *testing.T) {
	s := testServer(t)
	seen := map[string]bool{}
	for _, l := range i18n.Langs {
		for _, p := range samples(l) {
			seen[p.template()] = true
			w := httptest.NewRecorder()
			s.render(w, httptest.NewRequest("GET", "/", nil), 200, p)
			body := w.Body.String()
			if w.Code != 200 {
				t.Errorf("%s/%s: %d %s", l, p.template(), w.Code, body)
				continue
			}
			if strings.Contains(body, i18n.MissingPrefix) {
				i := strings.Index(body, i18n.MissingPrefix)
				t.Errorf("%s/%s: missing message near %q", l, p.template(), body[i:min(len(body), i+60)])
			}
			if strings.Contains(body, "<b>") || strings.Contains(body, "<x>") || strings.Contains(body, "<i>") {
				t.Errorf("%s/%s: user data not escaped", l, p.template())
			}
			// A page struct must not shadow the layout's fields (a page's own
			// User once hid the signed-in user from the top bar).
			if p.layout().User != nil && !strings.Contains(body, `id="profile-link">Admin &lt;b&gt;`) {
				t.Errorf("%s/%s: the top bar does not show the signed-in user", l, p.template())
			}
			if !strings.Contains(body, `lang="`+string(l)+`"`) {
				t.Errorf("%s/%s: html lang not set", l, p.template())
			}
			if strings.Contains(body, "<form method=\"post\"") && !strings.Contains(body, `name="csrf" value="tok"`) {
				t.Errorf("%s/%s: a form without the CSRF token", l, p.template())
			}
			if dir := os.Getenv("CHARTER_TEMPLATE_DUMP"); dir != "" {
				os.WriteFile(path.Join(dir, string(l)+"-"+p.template()+".html"), []byte(body), 0o644)
			}
		}
	}
	files, _ := fs.Glob(templateFS, "templates/pages/*.html")
	for _, f := range files {
		if name := strings.TrimSuffix(path.Base(f), ".html"); !seen[name] {
			t.Errorf("template %s has no sample page struct in templates_test.go", name)
		}
	}
}

// TestMessageKeysExist finds every message key the templates and the Go code
// name and checks that both languages have it.
func TestMessageKeysExist(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`"((?:app|nav|lang|common|role|scope|err|error|login|home|profile|users|user|org_units|tokens|audit|done|apply|applications|application|approvals|groups|group|alerts|alert|cases|case|status|level|platform|category|severity|disposition|decision|detail|task|campaign|templates|dashboard|search|kind)\.[a-z_.-]+)"`)
	var keys []string
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFS.ReadFile(p)
			for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1])
			}
		}
		return nil
	})
	gofiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	// Keys built at run time from a value: every role, scope, language and flash.
	for _, r := range account.UserRoles {
		keys = append(keys, "role."+string(r))
	}
	for _, sc := range []account.Scope{account.ScopeIngest, account.ScopeRead, account.ScopeAdmin} {
		keys = append(keys, "scope."+string(sc))
	}
	for _, l := range i18n.Langs {
		keys = append(keys, "lang."+string(l))
	}
	for _, xs := range [][]string{alertStatuses, groupStates, {"draft", "submitted", "approved", "rejected", "withdrawn", "open", "closed"}} {
		for _, x := range xs {
			keys = append(keys, "status."+x)
		}
	}
	for _, x := range capture.Kinds {
		keys = append(keys, "kind."+string(x))
	}
	for _, x := range alertCategories {
		keys = append(keys, "category."+x)
	}
	for _, x := range alertSeverities {
		keys = append(keys, "severity."+x)
	}
	for _, x := range dispositions {
		keys = append(keys, "disposition."+x)
	}
	for _, x := range registry.Platforms {
		keys = append(keys, "platform."+string(x))
	}
	for _, x := range registry.Levels {
		keys = append(keys, "level."+string(x))
	}
	keys = append(keys, "decision.approve", "decision.reject", "campaign.kind.recertification", "campaign.kind.declaration",
		"campaign.answer.keep", "campaign.answer.dissolve", "campaign.answer.suspend")
	for _, k := range sectionKeys {
		keys = append(keys, k)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys; the pattern is wrong", len(keys))
	}
	for _, k := range keys {
		if strings.HasSuffix(k, ".") {
			continue
		}
		for _, l := range i18n.Langs {
			if !c.Has(l, k) {
				t.Errorf("message %q is used but missing in %s", k, l)
			}
		}
	}
}

// TestOptionalIDsPrinted guards the message funcs from printing a pointer
// where a page shows an optional group id.
func TestOptionalIDsPrinted(t *testing.T) {
	s := testServer(t)
	gid := int64(7)
	lay := Layout{Lang: i18n.EN, OtherLang: i18n.ZH, Title: "T", CSRF: "tok"}
	for _, p := range []view{
		&alertPage{Layout: lay, Alert: &review.Alert{ID: 1, Rule: "marking.secret", Category: "marking", Severity: "high", Status: "open", Platform: "wecom", GroupID: &gid}, Form: newForm(nil)},
		&searchPage{Layout: lay, Form: newForm(nil), Searched: true, Hits: []searchHit{{Item: archive.Item{ID: 1, Platform: "wecom", Kind: "text", GroupID: &gid}}}},
	} {
		w := httptest.NewRecorder()
		s.render(w, httptest.NewRequest("GET", "/", nil), 200, p)
		if !strings.Contains(w.Body.String(), ">Group 7</a>") {
			t.Errorf("%s: the group id is not shown as 7", p.template())
		}
	}
}
