package web

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/registry"
	"charter/internal/store/storetest"
)

// roomResolver binds the rooms it names to groups; every sender is unknown.
type roomResolver map[string]int64

func (r roomResolver) View(context.Context) (archive.View, error) { return r, nil }

func (r roomResolver) RoomGroup(_, room string) (int64, bool) {
	id, ok := r[room]
	return id, ok
}

func (roomResolver) SenderUser(string, string) (string, bool) { return "", false }

// TestSearchPage archives messages and searches them through the page: a
// two-character Chinese term, hits marked in escaped text, newest first,
// paging, a bad date beside its field; and the search is audited.
func TestSearchPage(t *testing.T) {
	h := newHarness(t)
	var nd strings.Builder
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := 0; i < searchPerPage+5; i++ {
		fmt.Fprintf(&nd, `{"platform":"wecom","source_id":"m%d","room_id":"wr-fin","sender":"zhangsan","sent_at":%q,"kind":"text","text":"第%d份<b>机密</b>文件"}`+"\n",
			i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), i)
	}
	nd.WriteString(`{"platform":"wecom","source_id":"x1","room_id":"wr-fin","sender":"lisi","sent_at":"2026-11-20T08:00:00Z","kind":"text","text":"收到"}` + "\n")
	// Only registered groups are searched: wr-fin belongs to one.
	g := storetest.Group(t, h.db, "财务工作群", "admin", registry.Internal, base)
	h.web.Archive.Resolver = roomResolver{"wr-fin": g.ID}
	if _, err := h.web.Archive.Ingest(as("admin"), strings.NewReader(nd.String()), archive.Batch{Format: "ndjson", Source: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	// A link (a GET, from anywhere) fills the form in and reads nothing.
	resp, body := h.do("GET", "/search?q="+url.QueryEscape("机密"), h.secrets["reviewer"], nil)
	if resp.StatusCode != 200 || strings.Contains(body, "<mark>") || !strings.Contains(body, `value="机密"`) {
		t.Fatalf("search by link: %d, marked hits %d", resp.StatusCode, strings.Count(body, "<mark>"))
	}
	if events, _ := h.db.AuditEvents(as("admin"), audit.Filter{Action: "message.search", Limit: 10}); len(events) != 0 {
		t.Fatalf("a search by link was made and audited: %+v", events)
	}
	resp, body = h.do("POST", "/search", h.secrets["reviewer"], url.Values{"q": {"机密"}})
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d", resp.StatusCode)
	}
	if n := strings.Count(body, "<mark>机密</mark>"); n != searchPerPage {
		t.Errorf("%d marked hits on the first page, want %d", n, searchPerPage)
	}
	if !strings.Contains(body, "&lt;b&gt;<mark>机密</mark>&lt;/b&gt;") || strings.Contains(body, "<b>机密") {
		t.Error("the message text is not escaped around the mark")
	}
	last := fmt.Sprintf("第%d份", searchPerPage+4)
	if i, j := strings.Index(body, last), strings.Index(body, "第5份"); i < 0 || j < 0 || i > j {
		t.Error("results are not newest first")
	}
	if strings.Contains(body, "收到") {
		t.Error("a message without the term was found")
	}
	m := regexp.MustCompile(`name="cursor" value="([^"]+)" id="next-cursor"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no next page")
	}
	_, body = h.do("POST", "/search", h.secrets["reviewer"], url.Values{"q": {"机密"}, "cursor": {html.UnescapeString(m[1])}})
	if n := strings.Count(body, "<mark>机密</mark>"); n != 5 {
		t.Errorf("%d hits on the second page, want 5", n)
	}
	if resp, body = h.do("POST", "/search", h.secrets["reviewer"], url.Values{"q": {"x"}, "from": {"22-11-2026"}}); resp.StatusCode != 400 || !strings.Contains(body, `id="e-from"`) {
		t.Errorf("bad date: %d", resp.StatusCode)
	}
	events, err := h.db.AuditEvents(as("admin"), audit.Filter{Action: "message.search", Limit: 10})
	if err != nil || len(events) == 0 || events[0].Actor != "reviewer" {
		t.Errorf("the search was not audited as the reviewer: %v %+v", err, events)
	}
}
