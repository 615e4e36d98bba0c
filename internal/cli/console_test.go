package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestConsoleServedWithAPI checks that `charter serve` serves the console at
// / and the API at /api/v1 on one address, and that both know the same session.
func TestConsoleServedWithAPI(t *testing.T) {
	in := startCharter(t, "sqlite")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, cookie string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", in.URL+path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", "charter_session="+cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, _ := get("/", ""); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("console root signed out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := get("/api/v1/me", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API signed out: %d", resp.StatusCode)
	}
	if resp, _ := get("/static/style.css", ""); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A session opened through the API is a console session.
	token := in.login("admin", testAdminPassword)
	if resp, body := get("/audit", token); resp.StatusCode != 200 || !strings.Contains(body, "login.success") {
		t.Fatalf("console with the API's session: %d", resp.StatusCode)
	}
	if resp, _ := get("/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}
