package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"charter/internal/registry"
)

// TestApplicationRoundTrip goes through the application pages over HTTP:
// a field error keeps what was typed; the approver's rejection needs a
// comment; the applicant edits the rejected application (the form comes back
// filled) and resubmits it as round 2; then withdraws it.
func TestApplicationRoundTrip(t *testing.T) {
	h := newHarness(t)
	member, approver := h.secrets["member"], h.secrets["approver"]
	form := url.Values{"name": {"项目群"}, "purpose": {""}, "platform": {"wecom"}, "level": {"internal"}, "responsible": {"member"},
		"planned_at": {"2027-01-05T09:00"}, "expires_at": {"2027-01-04T09:00"}, "members": {"approver, nobody"},
		"ext_name": {"赵"}, "ext_org": {"审计所"}, "ext_why": {""}}
	// The service reports one error at a time: the shape of the term first.
	resp, body := h.do("POST", "/applications", member, form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-expires_at"`) || !strings.Contains(body, `value="项目群"`) || !strings.Contains(body, `value="审计所"`) {
		t.Fatalf("term ending before it starts: %d", resp.StatusCode)
	}
	form.Set("expires_at", "2028-01-05T09:00")
	if resp, body = h.do("POST", "/applications", member, form); !strings.Contains(body, `id="e-purpose"`) {
		t.Fatalf("missing purpose: %d", resp.StatusCode)
	}
	form.Set("purpose", "协作")
	if resp, body = h.do("POST", "/applications", member, form); !strings.Contains(body, `id="e-members"`) {
		t.Fatalf("external member without a reason: %d", resp.StatusCode)
	}
	form.Set("ext_why", "年审")
	if resp, body = h.do("POST", "/applications", member, form); !strings.Contains(body, `id="e-members"`) || !strings.Contains(body, "nobody") {
		t.Fatalf("unknown member: %d", resp.StatusCode)
	}
	form.Set("members", "approver")
	resp, _ = h.do("POST", "/applications", member, form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/applications/") {
		t.Fatalf("apply: %d %q", resp.StatusCode, loc)
	}
	path := strings.TrimSuffix(loc, "?done=applied")

	// The approver finds it in the inbox; rejecting needs a comment.
	if _, body = h.do("GET", "/approvals", approver, nil); !strings.Contains(body, path) {
		t.Fatal("the approvals inbox lacks the application")
	}
	if r, body := h.do("GET", "/approvals", member, nil); r.StatusCode != http.StatusForbidden || strings.Contains(body, path) {
		t.Errorf("a member without the approver role on the approvals inbox: %d", r.StatusCode)
	}
	if resp, body = h.do("POST", path+"/decision", approver, url.Values{"decision": {"reject"}}); resp.StatusCode != 400 || !strings.Contains(body, `id="e-comment"`) {
		t.Fatalf("reject without comment: %d", resp.StatusCode)
	}
	if resp, _ = h.do("POST", path+"/decision", approver, url.Values{"decision": {"reject"}, "comment": {"请写明期限"}}); resp.StatusCode != 303 {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	// The applicant sees the decision, and edits: the form is filled.
	if _, body = h.do("GET", path, member, nil); !strings.Contains(body, "请写明期限") || !strings.Contains(body, `id="edit-application"`) {
		t.Fatal("the rejected application does not show the comment and the edit button")
	}
	if resp, body = h.do("GET", path+"/edit", member, nil); resp.StatusCode != 200 || !strings.Contains(body, `value="项目群"`) || !strings.Contains(body, "年审") ||
		!strings.Contains(body, `value="2027-01-05T09:00"`) {
		t.Fatalf("edit form not filled: %d", resp.StatusCode)
	}
	if resp, _ = h.do("GET", path+"/edit", approver, nil); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("someone else's edit form: %d", resp.StatusCode)
	}
	form.Set("purpose", "协作，至 2028 年初")
	if resp, _ = h.do("POST", path+"/edit", member, form); resp.StatusCode != 303 {
		t.Fatalf("resubmit: %d", resp.StatusCode)
	}
	id := strings.TrimPrefix(path, "/applications/")
	apps, err := h.web.Registry.ListApplications(as("member"), h.principal("member"), registry.ApplicationFilter{Applicant: "member"})
	if err != nil {
		t.Fatal(err)
	}
	var got *registry.Application
	for i := range apps {
		if strings.HasSuffix(path, "/"+itoa(apps[i].ID)) {
			got = &apps[i]
		}
	}
	if got == nil || got.Status != registry.Submitted || got.Round != 2 || got.Purpose != "协作，至 2028 年初" {
		t.Fatalf("after resubmitting %s: %+v", id, got)
	}
	if resp, _ = h.do("POST", path+"/withdraw", approver, nil); resp.StatusCode != 403 {
		t.Errorf("withdraw by someone else: %d", resp.StatusCode)
	}
	if resp, _ = h.do("POST", path+"/withdraw", member, nil); resp.StatusCode != 303 {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if _, body = h.do("GET", "/applications", member, nil); !strings.Contains(body, "status-withdrawn") {
		t.Error("my applications do not show it withdrawn")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
