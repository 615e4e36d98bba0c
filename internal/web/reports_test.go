package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReportFillAndFile walks a report through the page: an unanswered item
// and a wrong name are refused beside their fields with the typed answers
// kept; a draft is saved; the right name files it, after which the page
// shows the answers and no form; the overdue list and the lists by role.
func TestReportFillAndFile(t *testing.T) {
	h := newHarness(t)
	id := h.report()
	path := fmt.Sprintf("/reports/%d", id)
	items, err := h.web.Reports.ChecklistItems(context.Background(), false)
	if err != nil || len(items) < 2 {
		t.Fatalf("checklist: %v %d", err, len(items))
	}
	answers := url.Values{"remarks": {"本期无异常"}}
	for _, it := range items[1:] {
		answers.Set(answerField(it.ID), "yes")
	}
	answers.Set(answerField(items[1].ID), "no")
	answers.Set(remarkField(items[1].ID), "")

	_, body := h.do("GET", "/reports", h.secrets["member"], nil)
	if !strings.Contains(body, path) {
		t.Fatal("my reports do not list the report")
	}
	if _, body := h.do("GET", "/", h.secrets["member"], nil); !strings.Contains(body, `href="`+path+`"`) {
		t.Error("the home page has no task for the due report")
	}
	// Past its due date the report is on the overdue list, marked.
	now := h.web.Reports.Now
	h.web.Reports.Now = func() time.Time { return now().AddDate(0, 3, 0) }
	_, body = h.do("GET", "/reports/overdue", h.secrets["auditor"], nil)
	h.web.Reports.Now = now
	if !strings.Contains(body, path) || !strings.Contains(body, `class="badge off overdue"`) {
		t.Error("the overdue list misses the report past due")
	}
	resp, body := h.do("POST", path+"/file", h.secrets["member"], answers)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, fmt.Sprintf(`id="e-answer_%d"`, items[0].ID)) {
		t.Fatalf("filing with an item unanswered: %d, want 400 with the error beside item %d", resp.StatusCode, items[0].ID)
	}
	if !strings.Contains(body, "本期无异常") || !strings.Contains(body, fmt.Sprintf(`value="no" checked id="no-%d"`, items[1].ID)) {
		t.Error("typed answers not kept")
	}
	answers.Set(answerField(items[0].ID), "yes")
	resp, body = h.do("POST", path+"/file", h.secrets["member"], answers)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, fmt.Sprintf(`id="e-answer_%d"`, items[1].ID)) || !strings.Contains(body, "须在说明中写明原因") {
		t.Fatalf("a no without a remark: %d", resp.StatusCode)
	}
	answers.Set(remarkField(items[1].ID), "外部审计员入群，已核实")
	if resp, _ := h.do("POST", path+"/draft", h.secrets["member"], answers); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save draft: %d", resp.StatusCode)
	}
	answers.Set("full_name", "Someone Else")
	resp, body = h.do("POST", path+"/file", h.secrets["member"], answers)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-full_name"`) || !strings.Contains(body, `value="Someone Else"`) {
		t.Fatalf("filing with a wrong name: %d", resp.StatusCode)
	}
	answers.Set("full_name", "member")
	if resp, _ := h.do("POST", path+"/file", h.secrets["member"], answers); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("file: %d", resp.StatusCode)
	}
	_, body = h.do("GET", path, h.secrets["member"], nil)
	if strings.Contains(body, `id="report-form"`) || !strings.Contains(body, "外部审计员入群，已核实") || !strings.Contains(body, `id="report-sha"`) {
		t.Error("a filed report still shows its form, or not its answers")
	}
	// Another member's report is not theirs; a security officer reads it.
	if resp, _ := h.do("POST", path+"/draft", h.secrets["reviewer"], answers); resp.StatusCode != http.StatusForbidden {
		t.Errorf("someone else saves the draft: %d", resp.StatusCode)
	}
	_, body = h.do("GET", "/reports?status=filed", h.secrets["security_officer"], nil)
	if !strings.Contains(body, path) || !strings.Contains(body, `id="report-filter"`) {
		t.Error("the security officer's list misses the filed report or its filters")
	}
	if resp, _ := h.do("GET", "/reports?period=nope", h.secrets["auditor"], nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad period: %d, want 400", resp.StatusCode)
	}
}
