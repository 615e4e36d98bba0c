package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"charter/internal/store/storetest"
)

const demoPassword = "demo-password-for-tests"

// TestDemo loads the demonstration organization, checks that a second run
// refuses, then serves it and reads it through the console: the dashboard,
// the alert queue with the election red envelope, the case it became, and a
// member's tasks. On each engine.
func TestDemo(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		args := []string{"--data", t.TempDir()}
		if engine == "postgres" {
			args = append(args, "--database-url", storetest.PostgresURL(t))
		}
		env := func(k string) string {
			if k == "CHARTER_DEMO_PASSWORD" {
				return demoPassword
			}
			return os.Getenv(k)
		}
		run := func() (string, error) {
			var out, errb bytes.Buffer
			err := Run(context.Background(), append([]string{"demo"}, args...), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: env})
			return out.String(), err
		}
		out, err := run()
		if err != nil {
			t.Fatalf("demo: %v\n%s", err, out)
		}
		for _, want := range []string{"bao.mi", "shen.he", "zhang.wei", "2026 年社区居委会换届选举", "CHARTER_DEMO_PASSWORD"} {
			if !strings.Contains(out, want) {
				t.Errorf("demo output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, demoPassword) {
			t.Error("the demo printed a password it was given")
		}
		if _, err := run(); err == nil || !strings.Contains(err.Error(), "already holds the demo organization") {
			t.Fatalf("second run: %v, want a refusal", err)
		}

		in := startCharter(t, engine, args...)
		in.env["CHARTER_DEMO_PASSWORD"] = demoPassword
		get := console(t, in, "bao.mi")
		for path, wants := range map[string][]string{
			"/dashboard": {"档案数字化项目群", "信息化项目外协群", `class="chart-bar"`, `class="chart-line"`},
			"/groups?all=1": {"年终决算临时群", "财务处预算编制群", "信息化项目外协群", "2025 年审计配合群", "旧版宣传协作群", "工会活动筹备群",
				"status-needs_signature", "status-active", "status-suspended", "status-expired", "status-dissolved", "status-approved"},
			"POST /search?q=" + url.QueryEscape("机密"): {"<mark>机密</mark>", `href="/groups/`},
			"/alerts": {"transfer.sensitive_period", "marking.secret", "pii.resident_id", "credential.github_token", "lexicon.", "registry.unregistered_room", "registry.inactive_group"},
		} {
			body := get(path)
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
		}
		if body := console(t, in, "shen.he")("/cases"); !strings.Contains(body, "换届选举期间群内大额红包核查") {
			t.Error("the reviewer's cases lack the red envelope case")
		}
		if body := console(t, in, "zhang.wei")("/"); !strings.Contains(body, "2026 年工作群申报") || !strings.Contains(body, "/campaigns/") {
			t.Error("a member's home lacks the declaration task")
		}

		if engine == "sqlite" && haveBrowser() {
			b := newBrowser(t, in.URL, "zh-CN")
			b.open("/login")
			b.fill("#f-username", "bao.mi")
			b.fill("#f-password", demoPassword)
			b.submit("#sign-in")
			b.do(chromedp.WaitVisible(chromedp.CSS("#my-tasks")))
			for _, p := range []struct{ path, name string }{{"/dashboard", "demo-dashboard"}, {"/alerts", "demo-alerts"}, {"/groups?all=1", "demo-groups"},
				{"/search?q=" + url.QueryEscape("预算") + "&kind=text", "demo-search"}} {
				b.open(p.path)
				b.shot(p.name)
			}
			b.open("/alerts?category=transfer")
			b.do(chromedp.Click(chromedp.CSS(".alert-table a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("#alert-detail")))
			b.shot("demo-alert")
			b.open("/groups?all=1")
			b.do(chromedp.Click(chromedp.CSS("#groups-table tbody tr:nth-child(2) a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("#group-alerts")))
			b.shot("demo-group")
			for _, u := range []struct{ name, path, shot string }{{"shen.he", "/cases", "demo-cases"}, {"zhang.wei", "/", "demo-member-home"}} {
				b.submit("#sign-out")
				b.fill("#f-username", u.name)
				b.fill("#f-password", demoPassword)
				b.submit("#sign-in")
				b.do(chromedp.WaitVisible(chromedp.CSS("#my-tasks")))
				b.open(u.path)
				b.shot(u.shot)
			}
			b.do(chromedp.Click(chromedp.CSS("#my-tasks a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("h1")))
			b.shot("demo-task")
		}
	})
}

// haveBrowser reports whether the browser tests can run here, as browserPath decides.
func haveBrowser() bool {
	if v := os.Getenv("CHARTER_TEST_BROWSER"); strings.Contains(v, "/") || v != "" {
		return true
	}
	_, err := os.Stat("/usr/bin/chromium")
	return err == nil
}

// console signs in through the API (which sets the session cookie the
// console reads too) and returns a page getter for that user.
func console(t *testing.T, in *instance, username string) func(path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(in.URL+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+username+`","password":"`+demoPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", username, resp.StatusCode)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	// "POST /page?fields" submits the page's form with those fields, as a
	// person would: the form's CSRF token is read from the page first.
	return func(path string) string {
		t.Helper()
		var resp *http.Response
		var err error
		if p, ok := strings.CutPrefix(path, "POST "); ok {
			page, query, _ := strings.Cut(p, "?")
			r, err := c.Get(in.URL + page)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			m := csrf.FindSubmatch(b)
			if m == nil {
				t.Fatalf("%s has no form", page)
			}
			form, _ := url.ParseQuery(query)
			form.Set("csrf", string(m[1]))
			resp, err = c.PostForm(in.URL+page, form)
		} else {
			resp, err = c.Get(in.URL + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s as %s: %d", path, username, resp.StatusCode)
		}
		return string(b)
	}
}
