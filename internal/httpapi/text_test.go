package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// On PostgreSQL a NUL character or invalid UTF-8 in a text field gave 500:
// now it is a 400 naming the field, on both engines.
func TestBadTextIsRefusedNamingTheField(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			admin := h.creds["admin"]
			for _, tc := range []struct {
				name, method, path, body, field string
			}{
				{"org unit name with NUL", "POST", "/api/v1/org-units", `{"name":"HQ\u0000x"}`, "name"},
				{"user real name with NUL", "POST", "/api/v1/users", `{"username":"nul.user","real_name":"a\u0000b","org_unit":"HQ"}`, "real_name"},
				{"login with NUL password", "POST", "/api/v1/login", `{"username":"member","password":"x\u0000"}`, "password"},
				{"query with NUL", "GET", "/api/v1/audit?actor=a%00b", "", "actor"},
				{"query with invalid UTF-8", "GET", "/api/v1/messages?q=%FF%FE", "", "q"},
				{"application member with NUL", "POST", "/api/v1/applications", `{"name":"g","purpose":"p","platform":"wecom","responsible":"member","level":"public","members":[{"username":"x\u0000"}]}`, "members[0].username"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					who := admin
					if strings.HasPrefix(tc.path, "/api/v1/messages") {
						who = h.creds["security_officer"]
					}
					if strings.HasPrefix(tc.path, "/api/v1/applications") {
						who = h.creds["member"]
					}
					resp := h.do(tc.method, tc.path, who, tc.body)
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var out struct {
						Error struct{ Field string }
					}
					json.Unmarshal(b, &out)
					if resp.StatusCode != 400 || out.Error.Field != tc.field {
						t.Fatalf("%d %s, want 400 naming %q", resp.StatusCode, b, tc.field)
					}
				})
			}
		})
	}
}

// A full disk answered 500 and /healthz said ok: now 503 "storage full"
// and a degraded health, with nothing of the batch stored.
func TestStorageFull(t *testing.T) {
	h := newHarness(t, "sqlite")
	ctx := context.Background()
	// The writer is one connection: the limit holds for every write.
	if err := h.db.Exec(ctx, "PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&body, `{"platform":"wecom","source_id":"full-%d","room_id":"r","sender":"s","sent_at":"2026-11-20T08:00:00Z","kind":"text","text":"%s"}`+"\n", i, strings.Repeat("满", 200))
	}
	resp := h.do("POST", "/api/v1/ingest/messages", h.creds["token-ingest"], body.String())
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "storage full") {
		t.Fatalf("ingest on a full disk: %d %s", resp.StatusCode, b)
	}
	resp = h.do("GET", "/healthz", "", "")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), `"degraded"`) {
		t.Fatalf("healthz after a full disk: %d %s", resp.StatusCode, b)
	}
}
