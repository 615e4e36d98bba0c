package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/detect"
	"charter/internal/httpapi"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// harness is the console on a fresh SQLite database with one signed-in user per role.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	web     *Server
	db      store.DB          // the console's database, for arranging what a test needs
	secrets map[string]string // username -> session secret
	n       atomic.Int64
	// lastGroup is the group the latest recertPath made, for its form.
	lastGroup int64
}

var roleUsers = []struct {
	name  string
	roles []account.Grant
}{
	{"admin", []account.Grant{{Role: account.Admin}}},
	{"security_officer", []account.Grant{{Role: account.SecurityOfficer}}},
	{"approver", []account.Grant{{Role: account.Approver, OrgUnit: "HQ"}}},
	{"reviewer", []account.Grant{{Role: account.Reviewer}}},
	{"auditor", []account.Grant{{Role: account.Auditor}}},
	{"member", nil},
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	cfg := config.Default()
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	reg := registry.NewService(db, store.TxFor[registry.TxStore](db), time.Now, registry.DefaultPolicy())
	s, err := New(Server{Cfg: &cfg, Accounts: accounts, Registry: reg,
		Review:   &review.Service{Store: db, Tx: store.TxFor[review.TxStore](db), Now: time.Now},
		Archive:  archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now),
		Reports:  report.NewService(db, store.TxFor[report.TxStore](db), time.Now, reg, report.Sources{Messages: db.GroupMessageStats}),
		Audit:    &audit.Service{Store: db},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:      time.Now,
		Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Registry.EnsureDefaultTemplate(audit.WithActor(context.Background(), audit.Actor{Name: "test"})); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, web: s, db: db, secrets: map[string]string{}}
	h.srv = httptest.NewServer(s.Handler())
	t.Cleanup(h.srv.Close)
	ctx := context.Background()
	if _, err := accounts.CreateOrgUnit(ctx, "HQ", ""); err != nil {
		t.Fatal(err)
	}
	for _, u := range roleUsers {
		if _, err := accounts.CreateUser(ctx, account.NewUser{Username: u.name, Password: "password-" + u.name, RealName: u.name,
			OrgUnit: "HQ", Verified: true, Roles: u.roles}); err != nil {
			t.Fatal(err)
		}
		h.secrets[u.name] = h.login(u.name)
	}
	return h
}

func (h *harness) login(username string) string {
	secret, _, err := h.web.Accounts.Login(context.Background(), username, "password-"+username, "127.0.0.1")
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request as the holder of secret (none when empty); a POST
// carries form and, unless form sets one, the session's CSRF token.
func (h *harness) do(method, path, secret string, form url.Values, header ...string) (*http.Response, string) {
	h.t.Helper()
	var body io.Reader
	if method == "POST" {
		if form == nil {
			form = url.Values{}
		}
		if _, ok := form["csrf"]; !ok && secret != "" {
			form.Set("csrf", sessionCSRF(secret))
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if secret != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: secret})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func (h *harness) uniq() int64 { return h.n.Add(1) }

// pageExample is a request that succeeds for a user the page admits.
type pageExample struct {
	path       func(h *harness) string
	form       func(h *harness) url.Values
	ownSession bool // the request ends its session: give it a fresh one
	want       int  // expected status when admitted, if not 2xx/303
	// object: the service checks the object as well (only the applicant
	// withdraws, only the step holder decides), so an admitted role may get
	// the service's 403, 404 or 409 page; at least one role must succeed.
	object bool
}

// as is a context acting as username, for fixtures made through the services.
func as(username string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: username, Addr: "127.0.0.1"})
}

func (h *harness) principal(username string) *account.Principal {
	p, err := h.web.Accounts.Authenticate(context.Background(), h.secrets[username])
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// application files an application by member, responsible for it, submitted.
func (h *harness) application() *registry.Application {
	h.t.Helper()
	now := time.Now().UTC()
	a, err := h.web.Registry.Apply(as("member"), h.principal("member"), registry.NewApplication{Name: fmt.Sprintf("群%d", h.uniq()),
		Purpose: "项目协作", Platform: "wecom", PlannedAt: now.Format(time.RFC3339), ExpiresAt: now.AddDate(1, 0, 0).Format(time.RFC3339),
		Responsible: "member", Level: registry.Internal})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// group is an approved group whose responsible person is member.
func (h *harness) group() int64 {
	h.t.Helper()
	a := h.application()
	a, err := h.web.Registry.Decide(as("approver"), h.principal("approver"), a.ID, "approve", "")
	if err != nil {
		h.t.Fatal(err)
	}
	return a.GroupID
}

// alert records a finding as the scanner would, in a fresh unregistered room.
func (h *harness) alert() int64 {
	h.t.Helper()
	now := time.Now().UTC()
	room := fmt.Sprintf("room-%d", h.uniq())
	a := &review.Alert{Key: "registry.unregistered_room|" + room, Rule: "registry.unregistered_room", Category: detect.CatRegistry,
		Severity: detect.SevMedium, Status: review.StatusOpen, Platform: "wecom", RoomID: room, Excerpt: "[未登记群聊]",
		Detail: map[string]any{"room_id": room}, FirstSeen: now, LastSeen: now, CreatedAt: now, UpdatedAt: now}
	if _, _, err := h.db.RecordFinding(context.Background(), a, review.Source{Platform: "wecom", RoomID: room, SourceID: room + "-1", SentAt: now}); err != nil {
		h.t.Fatal(err)
	}
	return a.ID
}

func (h *harness) caseID() int64 {
	h.t.Helper()
	c, err := h.web.Review.CreateCase(as("reviewer"), review.NewCase{Title: "线索核查"})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}

// campaign starts a campaign of kind as the security officer.
func (h *harness) campaign(kind string) int64 {
	h.t.Helper()
	c, err := h.web.Registry.StartCampaign(as("security_officer"), registry.NewCampaign{Kind: kind, Title: "2026",
		Deadline: time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}

// report is a due report of a fresh group of member's, for the month
// before this one.
func (h *harness) report() int64 {
	h.t.Helper()
	h.group()
	if _, err := h.web.Reports.SetSchedule(as("security_officer"), report.Schedule{Level: registry.Internal, Cadence: report.Monthly, DueDays: 10}); err != nil {
		h.t.Fatal(err)
	}
	rs, err := h.web.Reports.Generate(as("security_officer"), report.Containing(report.Monthly, time.Now()).String())
	if err != nil || len(rs) == 0 {
		h.t.Fatalf("generate: %v %d", err, len(rs))
	}
	return rs[len(rs)-1].ID
}

// recertPath is a fresh group of member's and a re-certification asking about it.
func (h *harness) recertPath() string {
	h.lastGroup = h.group()
	return fmt.Sprintf("/campaigns/%d/recertify", h.campaign(registry.Recertification))
}

func idPath(format string, id func(h *harness) int64) func(h *harness) string {
	return func(h *harness) string { return fmt.Sprintf(format, id(h)) }
}

func appID(h *harness) int64 { return h.application().ID }

// rejectedID is an application the approver sent back, to edit and resubmit.
func rejectedID(h *harness) int64 {
	a := h.application()
	if _, err := h.web.Registry.Decide(as("approver"), h.principal("approver"), a.ID, "reject", "请补充成员"); err != nil {
		h.t.Fatal(err)
	}
	return a.ID
}

// applicationForm is a complete application as the form sends it.
var applicationForm = formOf("name", "新群", "purpose", "协作", "platform", "wecom", "level", "internal", "responsible", "member",
	"planned_at", "2027-01-05T09:00", "expires_at", "2028-01-05T09:00")

// signForm signs the current statement, in Chinese, as the member.
func signForm(h *harness) url.Values {
	t, err := h.db.CurrentTemplate(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(t.TextZh))
	return url.Values{"full_name": {"member"}, "language": {"zh-CN"}, "sha256": {hex.EncodeToString(sum[:])}}
}

func fixedPath(p string) func(*harness) string { return func(*harness) string { return p } }

func formOf(kv ...string) func(*harness) url.Values {
	return func(*harness) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
}

// pageExamples holds one example per page of the table; the test fails when
// a page has none, so a new page cannot skip this check.
var pageExamples = map[string]pageExample{
	"GET /static/{file...}": {path: fixedPath("/static/style.css")},
	"GET /login":            {},
	"POST /login":           {form: formOf("username", "member", "password", "password-member")},
	"POST /logout":          {ownSession: true},
	"POST /lang":            {form: formOf("lang", "zh-CN", "next", "/profile")},
	"GET /{$}":              {path: fixedPath("/")},
	"GET /profile":          {},
	"GET /users":            {},
	"GET /users/new":        {},
	"POST /users": {form: func(h *harness) url.Values {
		return url.Values{"username": {fmt.Sprintf("u%d", h.uniq())}, "real_name": {"测试"}, "org_unit": {"HQ"}}
	}},
	"GET /users/{username}":  {path: fixedPath("/users/member")},
	"POST /users/{username}": {path: fixedPath("/users/member"), form: formOf("real_name", "member", "display_name", "M", "org_unit", "HQ", "verified", "on", "active", "on")},
	"POST /users/{username}/deactivate": {path: func(h *harness) string {
		name := fmt.Sprintf("gone%d", h.uniq())
		if _, err := h.web.Accounts.CreateUser(context.Background(), account.NewUser{Username: name, RealName: "x"}); err != nil {
			h.t.Fatal(err)
		}
		return "/users/" + name + "/deactivate"
	}},
	"GET /org-units": {},
	"POST /org-units": {form: func(h *harness) url.Values {
		return url.Values{"name": {fmt.Sprintf("unit-%d", h.uniq())}, "parent": {"HQ"}}
	}},
	"GET /tokens":  {},
	"POST /tokens": {form: formOf("name", "puller", "scope", "ingest")},
	"POST /tokens/{id}/revoke": {path: func(h *harness) string {
		_, tok, err := h.web.Accounts.CreateToken(context.Background(), "short-lived", account.ScopeRead)
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/tokens/%d/revoke", tok.ID)
	}},
	"GET /audit": {},

	"GET /groups":            {},
	"GET /groups/{id}":       {path: idPath("/groups/%d", (*harness).group), object: true},
	"POST /groups/{id}/sign": {path: idPath("/groups/%d/sign", (*harness).group), form: signForm, object: true},
	"POST /groups/{id}/bind": {path: idPath("/groups/%d/bind", (*harness).group), form: func(h *harness) url.Values {
		return url.Values{"platform": {"wecom"}, "room_id": {fmt.Sprintf("wr%d", h.uniq())}}
	}, object: true},
	"GET /applications":                {},
	"GET /applications/new":            {},
	"POST /applications":               {form: applicationForm},
	"GET /applications/{id}":           {path: idPath("/applications/%d", appID), object: true},
	"GET /applications/{id}/edit":      {path: idPath("/applications/%d/edit", rejectedID), object: true},
	"POST /applications/{id}/edit":     {path: idPath("/applications/%d/edit", rejectedID), form: applicationForm, object: true},
	"POST /applications/{id}/withdraw": {path: idPath("/applications/%d/withdraw", appID), object: true},
	"POST /applications/{id}/decision": {path: idPath("/applications/%d/decision", appID), form: formOf("decision", "approve"), object: true},
	"GET /approvals":                   {},
	"GET /reports":                     {},
	"GET /reports/overdue":             {},
	"GET /reports/{id}":                {path: idPath("/reports/%d", (*harness).report), object: true},
	"POST /reports/{id}/draft":         {path: idPath("/reports/%d/draft", (*harness).report), form: formOf("remarks", "无"), object: true},
	"POST /reports/{id}/file": {path: idPath("/reports/%d/file", (*harness).report), form: func(h *harness) url.Values {
		v := url.Values{"full_name": {"member"}}
		items, err := h.web.Reports.ChecklistItems(context.Background(), false)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, it := range items {
			v.Set(answerField(it.ID), "yes")
		}
		return v
	}, object: true},
	"GET /roster":         {},
	"GET /campaigns/{id}": {path: func(h *harness) string { return fmt.Sprintf("/campaigns/%d", h.campaign(registry.Declaration)) }},
	"POST /campaigns/{id}/recertify": {path: (*harness).recertPath, form: func(h *harness) url.Values {
		// The path is made first, with the group the form names.
		return url.Values{"group_id": {fmt.Sprint(h.lastGroup)}, "decision": {"keep"}, "members_ok": {"1"}}
	}, object: true},
	"POST /campaigns/{id}/declare": {path: func(h *harness) string { return fmt.Sprintf("/campaigns/%d/declare", h.campaign(registry.Declaration)) },
		form: formOf("other_name", "旧项目群", "other_platform", "wechat")},
	"GET /statement-templates":  {},
	"GET /dashboard":            {},
	"POST /statement-templates": {form: formOf("text_zh", "承诺书第二版", "text_en", "Statement, version 2")},
	"GET /alerts":               {},
	"GET /alerts/{id}":          {path: idPath("/alerts/%d", (*harness).alert)},
	"POST /alerts/{id}/context": {path: idPath("/alerts/%d/context", (*harness).alert)},
	"POST /alerts/{id}/claim":   {path: idPath("/alerts/%d/claim", (*harness).alert)},
	"POST /alerts/{id}/resolve": {path: idPath("/alerts/%d/resolve", (*harness).alert), form: formOf("disposition", "no_action", "note", "已核实", "reassign", "1")},
	"GET /cases":                {},
	"GET /search":               {path: fixedPath("/search?q=" + url.QueryEscape("机密") + "&from=2026-01-01")},
	"POST /search":              {form: formOf("q", "机密", "from", "2026-01-01")},
	"POST /cases":               {form: formOf("title", "核查")},
	"GET /cases/{id}":           {path: idPath("/cases/%d", (*harness).caseID)},
	"POST /cases/{id}/notes":    {path: idPath("/cases/%d/notes", (*harness).caseID), form: formOf("body", "已约谈")},
	"POST /cases/{id}/assign":   {path: idPath("/cases/%d/assign", (*harness).caseID), form: formOf("assignee", "reviewer")},
	"POST /cases/{id}/close":    {path: idPath("/cases/%d/close", (*harness).caseID), form: formOf("resolution", "已处理")},
	"GET /":                     {path: fixedPath("/no/such/page"), want: http.StatusNotFound},
}

// TestPageAccess walks every page of the table: without a session a page
// that is not public redirects to /login (303); a role the table does not
// admit gets the 403 page; a role it admits gets the page.
func TestPageAccess(t *testing.T) {
	h := newHarness(t)
	for _, pg := range h.web.routes() {
		key := pg.method + " " + pg.path
		ex, ok := pageExamples[key]
		if !ok {
			t.Errorf("page %s has no example in access_test.go", key)
			continue
		}
		path := func() string {
			if ex.path != nil {
				return ex.path(h)
			}
			return pg.path
		}
		form := func() url.Values {
			if ex.form != nil {
				return ex.form(h)
			}
			return nil
		}
		if !pg.allow.IsPublic() {
			resp, _ := h.do(pg.method, path(), "", form())
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("%s without a session: %d %q, want 303 to /login", key, resp.StatusCode, loc)
			}
		}
		succeeded := false
		for _, u := range roleUsers {
			secret := h.secrets[u.name]
			if ex.ownSession {
				secret = h.login(u.name)
			}
			resp, body := h.do(pg.method, path(), secret, form())
			p, err := h.web.Accounts.Authenticate(context.Background(), h.secrets[u.name])
			if err != nil {
				t.Fatal(err)
			}
			admitted := pg.allow.Admits(p)
			loc := resp.Header.Get("Location")
			ok := resp.StatusCode >= 200 && resp.StatusCode < 300 || resp.StatusCode == http.StatusSeeOther
			succeeded = succeeded || admitted && ok
			refusedByService := resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusConflict
			switch {
			case admitted && ex.object && refusedByService:
				// The service's own check, as the API gives it.
			case admitted && ex.want != 0:
				if resp.StatusCode != ex.want {
					t.Errorf("%s as %s: %d, want %d", key, u.name, resp.StatusCode, ex.want)
				}
			case admitted && !(resp.StatusCode >= 200 && resp.StatusCode < 300 || resp.StatusCode == http.StatusSeeOther):
				t.Errorf("%s as %s: %d %.300s, want success", key, u.name, resp.StatusCode, body)
			case admitted && strings.HasPrefix(loc, "/login?"):
				t.Errorf("%s as %s: sent to sign in", key, u.name)
			case !admitted && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", key, u.name, resp.StatusCode)
			case !admitted && !strings.Contains(body, `class="error-code">403`):
				t.Errorf("%s as %s: 403 without the error page", key, u.name)
			}
		}
		if ex.object && !succeeded {
			t.Errorf("%s: no admitted role succeeded", key)
		}
	}
	for key := range pageExamples {
		found := false
		for _, pg := range h.web.routes() {
			found = found || pg.method+" "+pg.path == key
		}
		if !found {
			t.Errorf("example %q matches no page", key)
		}
	}
}

// TestPagesAsTheirAPI checks that a page declared as an API route admits
// exactly the API's roles (asAPI makes it so; this keeps asAPI honest).
func TestPagesAsTheirAPI(t *testing.T) {
	a, ok := httpapi.AccessOf("POST /api/v1/users")
	if !ok || a.IsPublic() || len(a.RoleList()) != 1 || a.RoleList()[0] != account.Admin {
		t.Fatalf("AccessOf(POST /api/v1/users) = %v %v", a.RoleList(), ok)
	}
	if _, ok := httpapi.AccessOf("GET /api/v1/nothing"); ok {
		t.Fatal("AccessOf found a route that does not exist")
	}
	defer func() {
		if recover() == nil {
			t.Error("asAPI accepted an unknown route")
		}
	}()
	asAPI("GET /api/v1/nothing")
}
