package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"charter/internal/store/storetest"
)

// The console's browser tests drive a real headless Chromium through the
// whole program. CHARTER_TEST_BROWSER set means they must run: it names the
// browser when it is a path, else /usr/bin/chromium is used. Unset, they use
// /usr/bin/chromium when it exists and skip, saying so, when it does not.
// Screenshots of the main pages go to CHARTER_SCREENSHOTS (default: a
// temporary directory).

func browserPath(t *testing.T) string {
	const debian = "/usr/bin/chromium"
	v := os.Getenv("CHARTER_TEST_BROWSER")
	if strings.Contains(v, "/") {
		return v
	}
	if _, err := os.Stat(debian); err != nil {
		if v != "" {
			t.Fatalf("CHARTER_TEST_BROWSER is set but %s is absent: %v", debian, err)
		}
		t.Skip("browser tests skipped: CHARTER_TEST_BROWSER is unset and " + debian + " is absent (apt-get install chromium fonts-noto-cjk)")
	}
	return debian
}

// browser is one headless Chromium with a fresh profile, speaking lang.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	lang  string
	shots string
}

func newBrowser(t *testing.T, base, lang string) *browser {
	t.Helper()
	exec := browserPath(t)
	shots := os.Getenv("CHARTER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// The Accept-Language the pages see must be lang, whatever the flags did.
	// The console runs no script and its CSP forbids fetch; the tests' own
	// probes (downloads read with fetch) are let past it.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatalf("start %s: %v", exec, err)
	}
	return &browser{t: t, ctx: ctx, base: base, lang: lang, shots: shots}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("at %s: %v", loc, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(js string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// open loads a page and returns its HTTP status.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// submit clicks a button that sends a form and waits for the answer's page.
func (b *browser) submit(sel string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
	return resp.Status
}

func (b *browser) fill(sel, v string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), v))
}

func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, b.lang+"-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) wantLang(lang string) {
	b.t.Helper()
	if got := b.eval(`document.documentElement.lang === "` + lang + `"`); !got {
		b.t.Fatalf("page is not in %s: %s", lang, b.text("h1"))
	}
}

// consoleWords are the words the test looks for in each language.
var consoleWords = map[string]map[string]string{
	"zh-CN": {"other": "en", "home": "首页", "head": "总部", "finance": "财务部", "realname": "李伟", "display": "小李",
		"audit": "审计日志", "usersH1": "用户", "created": "用户已创建。", "saved": "修改已保存。", "approver": "审批人", "tasksNone": "暂无。", "forbidden": "您的角色无权访问此页面。"},
	"en": {"other": "zh-CN", "home": "Home", "head": "Head Office", "finance": "Finance", "realname": "Li Wei", "display": "Wei",
		"audit": "Audit trail", "usersH1": "Users", "created": "User created.", "saved": "Changes saved.", "approver": "Approver", "tasksNone": "None yet.", "forbidden": "Your role does not allow this page."},
}

// TestConsoleInBrowser signs in as the first admin, builds an org unit tree
// and a user through the forms (a field error first), gives the user a role,
// creates a token, reads the audit trail, switches language, signs out, and
// checks that the new user sees no admin links and gets 403 on an admin
// page; in each language. Chinese runs on SQLite; English on PostgreSQL when
// CHARTER_TEST_POSTGRES_URL is set (as in CI), so both engines serve the console.
func TestConsoleInBrowser(t *testing.T) {
	browserPath(t)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			w := consoleWords[lang]
			engine := "sqlite"
			if lang == "en" && os.Getenv(storetest.EnvPostgres) != "" {
				engine = "postgres"
			}
			in := startCharter(t, engine)
			b := newBrowser(t, in.URL, lang)

			// Sign in: the console sends a signed-out visitor to the sign-in page.
			b.open("/")
			b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")))
			b.wantLang(lang)
			b.shot("login")
			b.fill("#f-username", "admin")
			b.fill("#f-password", testAdminPassword)
			if code := b.submit("#sign-in"); code != 200 {
				t.Fatalf("sign-in landed on %d", code)
			}
			b.do(chromedp.WaitVisible(chromedp.CSS("#my-tasks")))
			if got := b.text("#my-tasks .empty"); got != w["tasksNone"] {
				t.Errorf("my tasks: %q", got)
			}
			if !b.eval(`!!document.querySelector('.sidenav a[href="/users"]') && !!document.querySelector('.sidenav a[href="/audit"]')`) {
				t.Error("the admin does not see the admin links")
			}
			b.shot("home")

			// Org units: a root and a child, through the form.
			b.open("/org-units")
			b.fill("#f-name", w["head"])
			if code := b.submit("#create-org-unit"); code != 200 {
				t.Fatalf("create org unit: %d", code)
			}
			b.fill("#f-name", w["finance"])
			b.do(chromedp.SetValue(chromedp.CSS("#f-parent"), w["head"]))
			b.submit("#create-org-unit")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if tree := b.text("#org-tree"); !strings.Contains(tree, w["head"]) || !strings.Contains(tree, w["finance"]) {
				t.Fatalf("org tree: %q", tree)
			}
			if !b.eval(`[...document.querySelectorAll('#org-tree .tree .tree .unit')].some(e => e.textContent === "` + w["finance"] + `")`) {
				t.Error("the child unit is not drawn under its parent")
			}
			b.shot("org-units")

			// A user: first with a bad username, which is refused beside the field
			// with everything else kept; then corrected.
			b.open("/users/new")
			b.fill("#f-username", "Li Wei")
			b.fill("#f-real_name", w["realname"])
			b.fill("#f-display_name", w["display"])
			b.fill("#f-password", "li-wei-password")
			b.do(chromedp.SetValue(chromedp.CSS("#f-org_unit"), w["finance"]))
			if code := b.submit("#save-user"); code != 400 {
				t.Fatalf("bad username: %d, want 400", code)
			}
			b.do(chromedp.WaitVisible(chromedp.CSS("#e-username")))
			if !b.eval(`document.querySelector('#e-username').closest('.field').querySelector('input').id === "f-username"`) {
				t.Error("the username error is not beside the username field")
			}
			if b.value("#f-username") != "Li Wei" || b.value("#f-real_name") != w["realname"] || b.value("#f-display_name") != w["display"] || b.value("#f-org_unit") != w["finance"] {
				t.Errorf("typed values not kept: %q %q %q %q", b.value("#f-username"), b.value("#f-real_name"), b.value("#f-display_name"), b.value("#f-org_unit"))
			}
			b.shot("user-form-error")
			b.fill("#f-username", "li.wei")
			b.fill("#f-password", "li-wei-password")
			b.submit("#save-user")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["created"] {
				t.Errorf("flash: %q", got)
			}

			// Edit roles: make the user an approver for the child unit.
			b.do(chromedp.SetValue(chromedp.CSS("#f-approver_unit"), w["finance"]))
			b.submit("#save-user")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["saved"] {
				t.Errorf("flash after saving: %q", got)
			}
			if !b.eval(`[...document.querySelectorAll('#f-approver_unit option')].some(o => o.selected && o.value === "` + w["finance"] + `")`) {
				t.Error("the approver unit was not kept")
			}
			b.shot("user-edit")
			b.open("/users")
			if row := b.text("#users-table"); !strings.Contains(row, "li.wei") || !strings.Contains(row, w["approver"]+" · "+w["finance"]) {
				t.Errorf("the new user is not listed with the role: %q", row)
			}
			b.shot("users")

			// An API token: its secret is shown once.
			b.open("/tokens")
			b.fill("#f-name", "wecom-archive")
			b.submit("#create-token")
			if s := b.text("#token-secret"); !strings.HasPrefix(s, "cht_") {
				t.Errorf("token secret: %q", s)
			}
			b.shot("tokens")

			// The audit trail shows what was done, and filters.
			b.open("/audit")
			trail := b.text("#audit-table")
			for _, want := range []string{"org_unit:" + w["head"], "org_unit:" + w["finance"], "user:li.wei", "token:wecom-archive", "login.success"} {
				if !strings.Contains(trail, want) {
					t.Errorf("audit trail lacks %q", want)
				}
			}
			b.shot("audit")
			b.fill("#f-action", "user.create")
			b.submit("#filter")
			if rows := b.eval(`document.querySelectorAll('#audit-table tbody tr').length === 2`); !rows || !strings.Contains(b.text("#audit-table"), "user:li.wei") {
				t.Errorf("filtered audit trail: %q", b.text("#audit-table"))
			}

			b.open("/profile")
			b.shot("profile")

			// Switch language: the same page comes back in the other language.
			b.open("/audit")
			b.submit("#lang-switch")
			b.wantLang(w["other"])
			other := consoleWords[w["other"]]
			if got := b.text("h1"); got != other["audit"] {
				t.Errorf("after switching: h1 %q, want %q", got, other["audit"])
			}
			b.shot("audit-switched")
			b.submit("#lang-switch")
			b.wantLang(lang)

			// Sign out.
			b.submit("#sign-out")
			b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")))
			if code := b.open("/users"); code != 200 || !b.eval(`!!document.querySelector('#login-form')`) {
				t.Errorf("after sign-out /users did not lead to sign-in (%d)", code)
			}

			// The new member sees no admin links and is refused an admin page.
			b.open("/login")
			b.fill("#f-username", "li.wei")
			b.fill("#f-password", "li-wei-password")
			b.submit("#sign-in")
			b.do(chromedp.WaitVisible(chromedp.CSS("#my-tasks")))
			for _, href := range []string{"/users", "/org-units", "/tokens", "/audit"} {
				if b.eval(`!!document.querySelector('a[href="` + href + `"]')`) {
					t.Errorf("a member sees a link to %s", href)
				}
			}
			if got := b.text(".sidenav"); !strings.Contains(got, w["home"]) {
				t.Errorf("member navigation: %q", got)
			}
			b.shot("member-home")
			if code := b.open("/users"); code != 403 {
				t.Errorf("member on /users: %d, want 403", code)
			}
			if got := b.text("#error-message"); got != w["forbidden"] {
				t.Errorf("403 page says %q", got)
			}
			b.shot("member-403")
		})
	}
}
