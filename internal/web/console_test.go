package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/httpapi"
	"charter/internal/review"
)

func TestCSRF(t *testing.T) {
	h := newHarness(t)
	admin := h.secrets["admin"]
	form := url.Values{"name": {"Sales"}}
	for name, f := range map[string]url.Values{
		"no token":    form,
		"wrong token": {"name": {"Sales"}, "csrf": {flip(sessionCSRF(admin))}},
		"other user":  {"name": {"Sales"}, "csrf": {sessionCSRF(h.secrets["member"])}},
	} {
		f := f
		if name == "no token" {
			f = url.Values{"name": {"Sales"}, "csrf": {""}}
		}
		resp, body := h.do("POST", "/org-units", admin, f)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `id="error-message"`) {
			t.Errorf("%s: %d, want the 403 page", name, resp.StatusCode)
		}
	}
	// A cross-site POST is refused by the cross-origin protection even with the token.
	resp, _ := h.do("POST", "/org-units", admin, url.Values{"name": {"Sales"}}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	us, _ := h.db.OrgUnits(context.Background())
	if len(us) != 1 {
		t.Fatalf("a refused form wrote: %+v", us)
	}
	// Signed out, the sign-in form needs the double-submit cookie.
	resp, _ = h.do("POST", "/login", "", url.Values{"username": {"member"}, "password": {"password-member"}, "csrf": {"guess"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the CSRF cookie: %d, want 403", resp.StatusCode)
	}
}

func flip(s string) string {
	last := byte('A')
	if s[len(s)-1] == 'A' {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}

// signIn goes through the sign-in form as a browser would and returns the
// session cookie.
func (h *harness) signIn(t *testing.T, username, password string) (*http.Response, *http.Cookie) {
	t.Helper()
	return h.signInTo(t, username, password, "/audit")
}

// signInTo signs in through the form with next as the page to go to.
func (h *harness) signInTo(t *testing.T, username, password, next string) (*http.Response, *http.Cookie) {
	t.Helper()
	resp, body := h.do("GET", "/login", "", nil)
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == csrfCookie {
			csrf = c
		}
	}
	if csrf == nil || !strings.Contains(body, `name="csrf" value="`+csrf.Value+`"`) {
		t.Fatalf("sign-in form without its CSRF cookie and field")
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/login", strings.NewReader(url.Values{"username": {username}, "password": {password},
		"csrf": {csrf.Value}, "next": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == httpapi.SessionCookie {
			return resp, c
		}
	}
	return resp, nil
}

func TestSignInAndOut(t *testing.T) {
	h := newHarness(t)
	resp, _ := h.signIn(t, "auditor", "wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	resp, c := h.signIn(t, "auditor", "password-auditor")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/audit" || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("sign-in: %d %q %+v", resp.StatusCode, resp.Header.Get("Location"), c)
	}
	// The console's cookie is the API's session.
	if _, err := h.web.Accounts.Authenticate(context.Background(), c.Value); err != nil {
		t.Fatal(err)
	}
	resp, _ = h.do("POST", "/logout", c.Value, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	gone := false
	for _, x := range resp.Cookies() {
		gone = gone || (x.Name == httpapi.SessionCookie && x.MaxAge < 0)
	}
	if _, err := h.web.Accounts.Authenticate(context.Background(), c.Value); err == nil || !gone {
		t.Fatalf("session still valid after sign-out (cookie deleted: %v)", gone)
	}
	// A next= that leaves the site is ignored.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\t\\evil.example",
		"/\n/evil.example", "/%09/evil.example/../", "/\x00x", "javascript:alert(1)", " /x"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}
	for _, next := range []string{"/alerts?status=open", "/groups/3#members", "/search?q=%E6%9C%BA%E5%AF%86"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
	// Through the sign-in form, as the review tried it.
	for _, next := range []string{"/\t/evil.example", "/\t\\evil.example"} {
		resp, _ := h.signInTo(t, "auditor", "password-auditor", next)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("sign-in with next=%q redirects to %q", next, loc)
		}
	}
}

func TestFormErrorsKeepValues(t *testing.T) {
	h := newHarness(t)
	admin := h.secrets["admin"]
	resp, body := h.do("POST", "/users", admin, url.Values{"username": {"Bad Name"}, "real_name": {"王<芳>"}, "display_name": {"小王"},
		"org_unit": {"HQ"}, "password": {"secret-password"}, "role": {"auditor"}}, "Accept-Language", "en")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad username: %d", resp.StatusCode)
	}
	for _, want := range []string{`<p class="field-error" id="e-username">Use 2–64 lowercase`, `value="Bad Name"`, `value="王&lt;芳&gt;"`,
		`value="小王"`, `<option value="HQ" selected>`, `value="auditor" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("re-shown form lacks %q", want)
		}
	}
	if strings.Contains(body, "secret-password") {
		t.Error("the password was put back into the form")
	}
	_, body = h.do("POST", "/users", admin, url.Values{"username": {"member"}, "real_name": {"x"}}, "Accept-Language", "zh-CN")
	if !strings.Contains(body, `id="e-username">该名称已被使用。`) {
		t.Errorf("duplicate username not shown beside the field:\n%s", body)
	}
	_, body = h.do("POST", "/org-units", admin, url.Values{"name": {""}, "parent": {"HQ"}}, "Accept-Language", "zh-CN")
	if !strings.Contains(body, `id="e-name">必填。`) {
		t.Error("empty org unit name")
	}
}

func TestLanguageChoice(t *testing.T) {
	h := newHarness(t)
	_, body := h.do("GET", "/login", "", nil, "Accept-Language", "en-US,en;q=0.9")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Sign in to Charter") {
		t.Error("Accept-Language en not honoured")
	}
	_, body = h.do("GET", "/login", "", nil, "Accept-Language", "en", "Cookie", langCookie+"=zh-CN")
	if !strings.Contains(body, "登录 Charter") {
		t.Error("the language cookie does not beat Accept-Language")
	}
	// A signed-in user's choice is stored on the account and beats the browser.
	member := h.secrets["member"]
	resp, _ := h.do("POST", "/lang", member, url.Values{"lang": {"en"}, "next": {"/profile"}}, "Accept-Language", "zh-CN")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("POST /lang: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	u, _ := h.db.User(context.Background(), "member")
	if u.Language != "en" {
		t.Fatalf("language not stored: %q", u.Language)
	}
	_, body = h.do("GET", "/profile", member, nil, "Accept-Language", "zh-CN")
	if !strings.Contains(body, "My profile") {
		t.Error("the user's language does not beat Accept-Language")
	}
	resp, _ = h.do("POST", "/lang", member, url.Values{"lang": {"fr"}, "next": {"//evil.example"}})
	if resp.Header.Get("Location") != "/" {
		t.Errorf("bad next followed: %q", resp.Header.Get("Location"))
	}
}

func TestNavigationFollowsRoles(t *testing.T) {
	h := newHarness(t)
	_, body := h.do("GET", "/", h.secrets["member"], nil)
	for _, link := range []string{`href="/users"`, `href="/org-units"`, `href="/tokens"`, `href="/audit"`} {
		if strings.Contains(body, link) {
			t.Errorf("a member sees %s", link)
		}
	}
	if !strings.Contains(body, "暂无") {
		t.Error("home does not say there are no tasks yet")
	}
	_, body = h.do("GET", "/", h.secrets["auditor"], nil)
	if !strings.Contains(body, `href="/audit"`) || strings.Contains(body, `href="/tokens"`) {
		t.Error("auditor navigation")
	}
	_, body = h.do("GET", "/users", h.secrets["auditor"], nil)
	if strings.Contains(body, `href="/users/new"`) {
		t.Error("an auditor is offered to create users")
	}
	_, body = h.do("GET", "/", h.secrets["admin"], nil)
	for _, link := range []string{`href="/users"`, `href="/org-units"`, `href="/tokens"`, `href="/audit"`} {
		if !strings.Contains(body, link) {
			t.Errorf("an admin does not see %s", link)
		}
	}
}

func TestAuditPaging(t *testing.T) {
	h := newHarness(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "admin"})
	for i := 0; i < 60; i++ {
		if _, err := h.web.Accounts.CreateOrgUnit(ctx, fmt.Sprintf("u%02d", i), "HQ"); err != nil {
			t.Fatal(err)
		}
	}
	auditor := h.secrets["auditor"]
	_, body := h.do("GET", "/audit?action=org_unit.create", auditor, nil)
	if n := strings.Count(body, "<code>org_unit.create</code>"); n != auditPageSize {
		t.Fatalf("first page: %d events", n)
	}
	i := strings.Index(body, `id="older"`)
	start := strings.LastIndex(body[:i], `href="`) + len(`href="`)
	next := strings.ReplaceAll(body[start:strings.Index(body[start:], `"`)+start], "&amp;", "&")
	_, body = h.do("GET", next, auditor, nil)
	if n := strings.Count(body, "<code>org_unit.create</code>"); n != 11 || !strings.Contains(body, "org_unit:HQ") || strings.Contains(body, `id="older"`) {
		t.Fatalf("second page (%s): %d events", next, n)
	}
	resp, body := h.do("GET", "/audit?from=yesterday", auditor, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-from"`) {
		t.Errorf("bad date: %d", resp.StatusCode)
	}
	_, body = h.do("GET", "/audit?actor=nobody", auditor, nil)
	if !strings.Contains(body, "没有符合条件的记录") {
		t.Error("empty result not said")
	}
}

func TestTokenSecretShownOnce(t *testing.T) {
	h := newHarness(t)
	admin := h.secrets["admin"]
	resp, body := h.do("POST", "/tokens", admin, url.Values{"name": {"wecom-archive"}, "scope": {"ingest"}})
	i := strings.Index(body, `id="token-secret">`)
	if resp.StatusCode != http.StatusCreated || i < 0 {
		t.Fatalf("create token: %d", resp.StatusCode)
	}
	secret := body[i+len(`id="token-secret">`):]
	secret = secret[:strings.Index(secret, "<")]
	p, err := h.web.Accounts.Authenticate(context.Background(), secret)
	if err != nil || !p.Has(account.Ingest) {
		t.Fatalf("the shown secret does not work: %v", err)
	}
	_, body = h.do("GET", "/tokens", admin, nil)
	if strings.Contains(body, secret) || !strings.Contains(body, "wecom-archive") {
		t.Error("the token list shows the secret or lacks the token")
	}
}

// A NUL character or invalid UTF-8 in a form or query is refused with 400
// before any handler, on both engines' behalf.
func TestFormsRefuseBadText(t *testing.T) {
	h := newHarness(t)
	admin := h.secrets["admin"]
	resp, _ := h.do("POST", "/users", admin, url.Values{"username": {"nul.user"}, "real_name": {"a\x00b"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("form with a NUL: %d, want 400", resp.StatusCode)
	}
	resp, _ = h.do("GET", "/audit?actor=%FF", admin, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("query with invalid UTF-8: %d, want 400", resp.StatusCode)
	}
}

// Every console page carries a Content-Security-Policy that allows no script.
func TestContentSecurityPolicy(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/login", "/"} {
		resp, _ := h.do("GET", path, h.secrets["admin"], nil)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: CSP %q", path, csp)
		}
	}
}

// What a connector did on the platform about an alert (a Matrix server
// notice, a room closed) is on the alert's page, in both languages, with
// the homeserver's answer when it refused.
func TestAlertActions(t *testing.T) {
	h := newHarness(t)
	id := h.alert()
	now := time.Now().UTC()
	for _, x := range []review.AlertAction{
		{AlertID: id, Action: "matrix.notice", Target: "@alice:example.org", Actor: "charter", Result: "ok", At: now},
		{AlertID: id, Action: "matrix.close", Target: "!room:example.org", Actor: "charter", Result: "POST /_dendrite/admin/evacuateRoom: 403 M_FORBIDDEN", At: now},
	} {
		if _, err := h.db.AddAlertAction(context.Background(), &x); err != nil {
			t.Fatal(err)
		}
	}
	officer := h.secrets["security_officer"]
	for lang, want := range map[string][]string{"en": {"Done on the platform", "Server notice", "Room closed"}, "zh-CN": {"平台上的处置", "服务器通知", "关闭聊天室"}} {
		_, body := h.do("GET", fmt.Sprintf("/alerts/%d", id), officer, nil, "Accept-Language", lang)
		for _, w := range append(want, "@alice:example.org", "403 M_FORBIDDEN") {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the alert page has no %q", lang, w)
			}
		}
	}
}
