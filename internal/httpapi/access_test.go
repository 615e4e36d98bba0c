package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/metrics"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// harness is a server on a fresh SQLite database with one principal per role.
type harness struct {
	t     *testing.T
	srv   *httptest.Server
	db    store.DB
	api   *Server
	creds map[string]string // principal name -> bearer secret
	n     atomic.Int64
}

// principals: one user per role, and one token per scope.
var principals = []struct {
	name  string
	roles []account.Grant
	scope account.Scope
}{
	{name: "admin", roles: []account.Grant{{Role: account.Admin}}},
	{name: "security_officer", roles: []account.Grant{{Role: account.SecurityOfficer}}},
	{name: "approver", roles: []account.Grant{{Role: account.Approver, OrgUnit: "HQ"}}},
	{name: "reviewer", roles: []account.Grant{{Role: account.Reviewer}}},
	{name: "auditor", roles: []account.Grant{{Role: account.Auditor}}},
	{name: "member"},
	{name: "token-ingest", scope: account.ScopeIngest},
	{name: "token-read", scope: account.ScopeRead},
	{name: "token-admin", scope: account.ScopeAdmin},
}

func newHarness(t *testing.T, engine string) *harness {
	t.Helper()
	db := storetest.Open(t, engine)
	cfg := config.Default()
	cfg.MaxBodyBytes = 4096
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	arch := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
	api := &Server{Cfg: &cfg, DB: db, Accounts: accounts, Archive: arch, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(), Now: time.Now}
	h := &harness{t: t, db: db, api: api, creds: map[string]string{}}
	h.srv = httptest.NewServer(api.Handler())
	t.Cleanup(h.srv.Close)
	ctx := context.Background()
	if _, err := accounts.CreateOrgUnit(ctx, "HQ", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range principals {
		if p.scope != "" {
			secret, _, err := accounts.CreateToken(ctx, p.name, p.scope)
			if err != nil {
				t.Fatal(err)
			}
			h.creds[p.name] = secret
			continue
		}
		if _, err := accounts.CreateUser(ctx, account.NewUser{Username: p.name, Password: "password-" + p.name, RealName: p.name,
			OrgUnit: "HQ", Verified: true, Roles: p.roles}); err != nil {
			t.Fatal(err)
		}
		h.creds[p.name] = h.login(p.name)
	}
	return h
}

func (h *harness) login(username string) string {
	secret, _, err := h.api.Accounts.Login(context.Background(), username, "password-"+username, "127.0.0.1")
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

// do sends a request with a bearer secret (none when empty).
func (h *harness) do(method, path, secret, body string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if strings.HasSuffix(path, "/import") {
		req.Header.Set("Content-Type", "text/csv")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// uniq returns a number never returned before, for names that must not collide.
func (h *harness) uniq() int64 { return h.n.Add(1) }

// example is a request that succeeds for a principal the route admits. path
// and body may create what the request needs first.
type example struct {
	path       func(h *harness) string
	body       func(h *harness) string
	ownSession bool // the request ends the session it uses: give it a fresh one
}

func fixed(p string) func(*harness) string { return func(*harness) string { return p } }

// examples holds one example per route of the table; the test fails when a
// route has none, so a new route cannot skip this check.
var examples = map[string]example{
	"GET /healthz":          {},
	"GET /metrics":          {},
	"POST /api/v1/login":    {body: fixed(`{"username":"member","password":"password-member"}`)},
	"POST /api/v1/logout":   {ownSession: true},
	"GET /api/v1/me":        {},
	"GET /api/v1/org-units": {},
	"POST /api/v1/org-units": {body: func(h *harness) string {
		return fmt.Sprintf(`{"name":"unit-%d","parent":"HQ"}`, h.uniq())
	}},
	"GET /api/v1/users": {},
	"POST /api/v1/users": {body: func(h *harness) string {
		return fmt.Sprintf(`{"username":"u%d","real_name":"测试","org_unit":"HQ"}`, h.uniq())
	}},
	"POST /api/v1/users/import": {body: func(h *harness) string {
		return fmt.Sprintf("username,real_name,org_unit\nimp%d,导入,HQ\n", h.uniq())
	}},
	"GET /api/v1/users/{username}":   {path: fixed("/api/v1/users/member")},
	"PATCH /api/v1/users/{username}": {path: fixed("/api/v1/users/member"), body: fixed(`{"display_name":"M"}`)},
	"POST /api/v1/users/{username}/deactivate": {path: func(h *harness) string {
		name := fmt.Sprintf("gone%d", h.uniq())
		if _, err := h.api.Accounts.CreateUser(context.Background(), account.NewUser{Username: name, RealName: "x"}); err != nil {
			h.t.Fatal(err)
		}
		return "/api/v1/users/" + name + "/deactivate"
	}},
	"GET /api/v1/tokens":  {},
	"POST /api/v1/tokens": {body: fixed(`{"name":"puller","scope":"ingest"}`)},
	"POST /api/v1/tokens/{id}/revoke": {path: func(h *harness) string {
		_, tok, err := h.api.Accounts.CreateToken(context.Background(), "short-lived", account.ScopeRead)
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/tokens/%d/revoke", tok.ID)
	}},
	"GET /api/v1/audit": {},

	"POST /api/v1/ingest/messages": {body: func(h *harness) string { return ndjsonMessage(h.uniq(), "机密 example") }},
	"POST /api/v1/ingest/wecom": {body: func(h *harness) string {
		return fmt.Sprintf(`{"msgid":"wc-%d","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"wr1","msgtime":1763800000000,"msgtype":"text","text":{"content":"hello"}}`, h.uniq())
	}},
	"POST /api/v1/imports/{format}": {path: fixed("/api/v1/imports/chatlog?group=3"), body: func(h *harness) string {
		return fmt.Sprintf(`[{"seq":%d,"time":"2026-11-20T10:00:00+08:00","talker":"123@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_a","senderName":"A","isSelf":false,"type":1,"subType":0,"content":"你好"}]`, h.uniq())
	}},
	"GET /api/v1/quarantine": {},
	"POST /api/v1/quarantine/{id}/reprocess": {
		path: func(h *harness) string {
			res, err := h.api.Archive.Ingest(context.Background(), strings.NewReader("{not json\n"), archive.Batch{Format: "ndjson"}, nil)
			if err != nil || len(res.Rejected) != 1 {
				h.t.Fatalf("quarantine a line: %v %+v", err, res)
			}
			return fmt.Sprintf("/api/v1/quarantine/%d/reprocess", res.Rejected[0].QuarantineID)
		},
		body: func(h *harness) string {
			b, _ := json.Marshal(map[string]string{"content": ndjsonMessage(h.uniq(), "corrected")})
			return string(b)
		},
	},
	"GET /api/v1/messages":     {path: fixed("/api/v1/messages?q=%E6%9C%BA%E5%AF%86&limit=5")},
	"POST /api/v1/exports":     {body: fixed(`{"q":"机密"}`)},
	"GET /api/v1/legal-holds":  {},
	"POST /api/v1/legal-holds": {body: fixed(`{"group_id":3,"reason":"litigation hold"}`)},
	"POST /api/v1/legal-holds/{id}/release": {path: func(h *harness) string {
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "security_officer"})
		hold, err := h.api.Archive.PlaceHold(ctx, archive.LegalHold{User: "someone", Reason: "test"})
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/legal-holds/%d/release", hold.ID)
	}},
}

func ndjsonMessage(n int64, text string) string {
	return fmt.Sprintf(`{"platform":"wecom","source_id":"m-%d","room_id":"r1","sender":"zhangsan","sent_at":"2026-11-20T10:00:00Z","kind":"text","text":%q}`, n, text)
}

// TestRouteAccess walks every route with no credentials and with every role:
// 401 without credentials, 403 for a role the table does not admit, success
// for one it does.
func TestRouteAccess(t *testing.T) {
	h := newHarness(t, "sqlite")
	for _, rt := range h.api.routes() {
		key := rt.method + " " + rt.path
		ex, ok := examples[key]
		if !ok {
			t.Errorf("route %s has no example in access_test.go", key)
			continue
		}
		path := func() string {
			if ex.path != nil {
				return ex.path(h)
			}
			return rt.path
		}
		body := func() string {
			if ex.body != nil {
				return ex.body(h)
			}
			return ""
		}
		if !rt.allow.public {
			resp := h.do(rt.method, path(), "", body())
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without credentials: %d, want 401", key, resp.StatusCode)
			}
		}
		for _, p := range principals {
			secret := h.creds[p.name]
			if ex.ownSession && p.scope == "" {
				secret = h.login(p.name)
			}
			resp := h.do(rt.method, path(), secret, body())
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			admitted := rt.allow.public || h.admits(rt, p.name)
			switch {
			case admitted && (resp.StatusCode < 200 || resp.StatusCode > 299):
				t.Errorf("%s as %s: %d %s, want success", key, p.name, resp.StatusCode, msg)
			case !admitted && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", key, p.name, resp.StatusCode)
			}
		}
	}
	for key := range examples {
		found := false
		for _, rt := range h.api.routes() {
			found = found || rt.method+" "+rt.path == key
		}
		if !found {
			t.Errorf("example %q matches no route", key)
		}
	}
}

// admits answers from the principal's own roles, independently of the wrapper.
func (h *harness) admits(rt route, name string) bool {
	p, err := h.api.Accounts.Authenticate(context.Background(), h.creds[name])
	if err != nil {
		h.t.Fatal(err)
	}
	return rt.allow.admits(p)
}

func TestBadBodies(t *testing.T) {
	h := newHarness(t, "sqlite")
	admin := h.creds["admin"]
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"malformed", `{"name":`, 400, "malformed JSON"},
		{"unknown field", `{"name":"A","colour":"red"}`, 400, "colour: unknown field"},
		{"missing field", `{"parent":""}`, 400, "name: required"},
		{"wrong type", `{"name":5}`, 400, "name: expected string"},
		{"trailing data", `{"name":"A"} {"name":"B"}`, 400, "unexpected data"},
		{"empty", ``, 400, "body is empty"},
		{"too large", `{"name":"` + strings.Repeat("x", 5000) + `"}`, 413, "larger than 4096 bytes"},
	}
	for _, c := range cases {
		resp := h.do("POST", "/api/v1/org-units", admin, c.body)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) || !strings.Contains(string(b), `"error":{"code"`) {
			t.Errorf("%s: %d %s, want %d containing %q", c.name, resp.StatusCode, b, c.status, c.want)
		}
	}
	// Nothing of the refused bodies was written.
	us, err := h.db.OrgUnits(context.Background())
	if err != nil || len(us) != 1 {
		t.Fatalf("org units after bad bodies: %v %+v", err, us)
	}
	es, _ := h.db.AuditEvents(context.Background(), audit.Filter{Action: "org_unit.create", Limit: 10})
	if len(es) != 1 {
		t.Fatalf("audit events for org_unit.create: %d, want 1", len(es))
	}
}

func TestLoginRateLimitAndCookie(t *testing.T) {
	h := newHarness(t, "sqlite")
	for i := 0; i < 5; i++ {
		resp := h.do("POST", "/api/v1/login", "", `{"username":"member","password":"wrong-password"}`)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := h.do("POST", "/api/v1/login", "", `{"username":"member","password":"password-member"}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures the right password got %d, want 429", resp.StatusCode)
	}
	resp = h.do("POST", "/api/v1/login", "", `{"username":"auditor","password":"password-auditor"}`)
	resp.Body.Close()
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == SessionCookie {
			c = x
		}
	}
	if resp.StatusCode != 200 || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("login cookie: %d %+v", resp.StatusCode, c)
	}
	// The cookie alone authenticates, and a cross-site unsafe request with it is refused.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
	req.AddCookie(c)
	r2, err := http.DefaultClient.Do(req)
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("cookie auth: %v %v", err, r2.StatusCode)
	}
	r2.Body.Close()
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/logout", nil)
	req.AddCookie(c)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r3, err := http.DefaultClient.Do(req)
	if err != nil || r3.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST with cookie: %v %v, want 403", err, r3.StatusCode)
	}
	r3.Body.Close()
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	h := newHarness(t, "sqlite")
	var logs strings.Builder
	h.api.Log = slog.New(slog.NewTextHandler(&logs, nil))
	admin := h.creds["admin"]
	h.db.Close() // every query now fails inside the store
	resp := h.do("GET", "/api/v1/org-units", admin, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), `"message":"internal error"`) || strings.Contains(string(b), "database") {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	if !strings.Contains(logs.String(), "internal error") || !strings.Contains(logs.String(), "closed") {
		t.Fatalf("the detail was not logged: %s", logs.String())
	}
}
