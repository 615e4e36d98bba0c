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
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/web/i18n"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	cfg := config.Default()
	s, err := New(&cfg, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, time.UTC)
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
	return []view{
		&errorPage{Layout: lay, Code: 403, Message: "no"},
		&loginPage{Layout: Layout{Lang: l, OtherLang: i18n.ZH, Title: "Sign in", CSRF: "tok", Path: "/login"}, Form: withErr, Next: "/users"},
		&homePage{Layout: lay},
		&homePage{Layout: lay, Tasks: []string{"a"}, Notices: []notice{{Title: "Waiting", Object: "application:1", Detail: "<i>", At: at}}},
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
	keyRE := regexp.MustCompile(`"((?:app|nav|lang|common|role|scope|err|error|login|home|profile|users|user|org_units|tokens|audit|done)\.[a-z_.-]+)"`)
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
