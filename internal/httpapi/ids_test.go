package httpapi

import (
	"fmt"
	"net/http"
	"testing"
)

func TestParseIDIsDecimalOnly(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1, true}, {"42", 42, true}, {"9007199254740993", 9007199254740993, true},
		{"010", 0, false}, {"0x10", 0, false}, {"1_0", 0, false}, {"+1", 0, false}, {"-1", 0, false},
		{"0", 0, false}, {"", 0, false}, {" 1", 0, false}, {"1e3", 0, false}, {"99999999999999999999", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if n, ok := ParseID(tc.in); n != tc.want || ok != tc.ok {
				t.Fatalf("ParseID(%q) = %d %v, want %d %v", tc.in, n, ok, tc.want, tc.ok)
			}
		})
	}
}

// The review found /applications/010 answering application 8 and
// /groups/0x10 group 16: other spellings of an id name nothing.
func TestPathIDsAreDecimal(t *testing.T) {
	h := newHarness(t, "sqlite")
	g := h.group("member")
	admin := h.creds["admin"]
	if resp := h.do("GET", fmt.Sprintf("/api/v1/groups/%d", g), admin, ""); resp.StatusCode != 200 {
		t.Fatalf("group %d: %d", g, resp.StatusCode)
	}
	for _, p := range []string{fmt.Sprintf("/api/v1/groups/0%d", g), fmt.Sprintf("/api/v1/groups/0x%x", g), fmt.Sprintf("/api/v1/groups/+%d", g)} {
		if resp := h.do("GET", p, admin, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// Quarantined records are raw content: an admin may not read or correct
// them; a security officer may.
func TestQuarantineIsForSecurityOfficers(t *testing.T) {
	h := newHarness(t, "sqlite")
	if resp := h.do("GET", "/api/v1/quarantine", h.creds["admin"], ""); resp.StatusCode != 403 {
		t.Fatalf("admin reading the quarantine: %d, want 403", resp.StatusCode)
	}
	if resp := h.do("GET", "/api/v1/quarantine", h.creds["security_officer"], ""); resp.StatusCode != 200 {
		t.Fatalf("security officer reading the quarantine: %d", resp.StatusCode)
	}
	// Raw content is an audited read: a session cookie must POST it.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/quarantine", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: h.creds["security_officer"]})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("the quarantine by a cookie GET: %d, want 403", resp.StatusCode)
	}
}
