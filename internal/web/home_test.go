package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"charter/internal/audit"
	"charter/internal/registry"
	"charter/internal/store"
)

// TestHomeShowsNotices: with the registry attached, an approver's home lists
// the notice that an application waits for them, titled in the page's language.
func TestHomeShowsNotices(t *testing.T) {
	h := newHarness(t)
	db := h.db
	h.web.Registry = registry.NewService(db, store.TxFor[registry.TxStore](db), time.Now, registry.DefaultPolicy())
	_, body := h.do("GET", "/", h.secrets["approver"], nil)
	if !strings.Contains(body, "暂无") {
		t.Fatal("no notices should say none yet")
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "member"})
	p, err := h.web.Accounts.Authenticate(ctx, h.secrets["member"])
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := h.web.Registry.Apply(ctx, p, registry.NewApplication{Name: "项目群", Purpose: "coordinate the project", Platform: "wecom",
		PlannedAt: now.Add(24 * time.Hour).Format(time.RFC3339), ExpiresAt: now.AddDate(1, 0, 0).Format(time.RFC3339),
		Responsible: "member", Level: registry.Public}); err != nil {
		t.Fatal(err)
	}
	_, body = h.do("GET", "/", h.secrets["approver"], nil, "Accept-Language", "zh-CN")
	if !strings.Contains(body, "有申请等待您审批") {
		t.Errorf("approver's home lacks the notice:\n%s", body)
	}
	h.do("POST", "/lang", h.secrets["approver"], map[string][]string{"lang": {"en"}})
	_, body = h.do("GET", "/", h.secrets["approver"], nil)
	if !strings.Contains(body, "An application waits for your decision") || !strings.Contains(body, "项目群") {
		t.Errorf("English notice lacks its title or the registry's text:\n%s", body)
	}
}
