package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/detect"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// call sends a request as a principal and decodes the JSON answer into out.
func (h *harness) call(method, path, who, body string, out any) int {
	h.t.Helper()
	resp := h.do(method, path, h.creds[who], body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func idMessage(n int) review.Captured {
	g := int64(3)
	return review.Captured{ArchiveID: int64(n), GroupID: &g, Msg: capture.Message{Platform: "wecom", SourceID: fmt.Sprintf("m%d", n),
		RoomID: "wr-finance", Sender: "zhangsan", SentAt: time.Now(), Kind: capture.KindText,
		Text: "请用身份证号 11010519491231002X 办理"}}
}

type alertList struct {
	Items []review.Alert `json:"items"`
	Next  string         `json:"next"`
}

func TestReviewOverHTTP(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { testReviewOverHTTP(t, engine) })
	}
}

func testReviewOverHTTP(t *testing.T, engine string) {
	h := newHarness(t, engine)
	ctx := context.Background()
	reg := fixedRegistry{}
	sc := &review.Scanner{Policies: h.api.Policies, Store: h.db, Tx: store.TxFor[review.TxStore](h.db), Context: reg,
		Metrics: h.api.Metrics, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}

	// A policy change through the API applies to the very next batch.
	if code := h.call("PUT", "/api/v1/detection/rules/pii.resident_id", "security_officer", `{"enabled":false}`, nil); code != 200 {
		t.Fatalf("disable rule: %d", code)
	}
	if res, err := sc.Scan(ctx, []review.Captured{idMessage(1)}); err != nil || res.Findings != 0 {
		t.Fatalf("disabled rule: %v %+v", err, res)
	}
	var rule review.RuleView
	if code := h.call("PUT", "/api/v1/detection/rules/pii.resident_id", "security_officer", `{"enabled":true,"severity":"critical"}`, &rule); code != 200 || rule.Policy.Severity != "critical" {
		t.Fatalf("enable rule: %d %+v", code, rule)
	}
	if res, err := sc.Scan(ctx, []review.Captured{idMessage(2)}); err != nil || len(res.Created) != 1 {
		t.Fatalf("enabled rule: %v %+v", err, res)
	}
	var bad struct {
		Error struct{ Code, Field string }
	}
	if code := h.call("PUT", "/api/v1/detection/rules/pii.resident_id", "security_officer", `{"enabled":true,"thresholds":{"min_count":-1}}`, &bad); code != 400 || bad.Error.Field != "rules.pii.resident_id.thresholds.min_count" {
		t.Fatalf("bad threshold: %d %+v", code, bad)
	}
	if code := h.call("POST", "/api/v1/detection/lexicons", "security_officer", `{"name":"watch","terms":["人权"]}`, &bad); code != 400 || bad.Error.Field != "lexicons[0].terms" {
		t.Fatalf("opinion lexicon: %d %+v", code, bad)
	}
	if code := h.call("POST", "/api/v1/detection/periods", "security_officer", `{"name":"election","from":"2026-06-01","to":"2026-06-08T00:00:00+08:00"}`, &bad); code != 400 || bad.Error.Field != "from" {
		t.Fatalf("bad period time: %d %+v", code, bad)
	}

	// The queue: newest first, masked excerpt, filters.
	var list alertList
	if code := h.call("GET", "/api/v1/alerts?status=open&category=pii&rule=pii.resident_id&group=3", "reviewer", "", &list); code != 200 || len(list.Items) != 1 {
		t.Fatalf("list: %d %+v", code, list)
	}
	a := list.Items[0]
	if a.Severity != "critical" || a.Count != 1 || strings.Join(a.SourceIDs, ",") != "m2" || strings.Contains(a.Excerpt, "11010519491231002X") || a.Status != "open" {
		t.Fatalf("alert: %+v", a)
	}
	path := fmt.Sprintf("/api/v1/alerts/%d", a.ID)

	// Claim, then resolve: a note is required, the claim is needed.
	if code := h.call("POST", path+"/resolve", "reviewer", `{"disposition":"escalated","note":"ID number of a citizen"}`, nil); code != 409 {
		t.Fatalf("resolve unclaimed: %d", code)
	}
	if code := h.call("POST", path+"/claim", "auditor", "", nil); code != 403 {
		t.Fatalf("auditor claims: %d", code)
	}
	if code := h.call("POST", path+"/claim", "reviewer", "", &a); code != 200 || a.Status != "claimed" || a.Assignee != "reviewer" {
		t.Fatalf("claim: %d %+v", code, a)
	}
	if code := h.call("POST", path+"/resolve", "reviewer", `{"disposition":"escalated"}`, &bad); code != 400 || bad.Error.Field != "note" {
		t.Fatalf("no note: %d %+v", code, bad)
	}
	if code := h.call("POST", path+"/resolve", "reviewer", `{"disposition":"escalated","note":"ID number posted in the group","case_title":"ID numbers in 财务群"}`, &a); code != 200 || a.CaseID == nil || a.Status != "resolved" {
		t.Fatalf("escalate: %d %+v", code, a)
	}
	var c review.Case
	if code := h.call("GET", fmt.Sprintf("/api/v1/cases/%d", *a.CaseID), "auditor", "", &c); code != 200 || len(c.Alerts) != 1 || c.Alerts[0].ID != a.ID || len(c.Messages) != 1 || c.Title != "ID numbers in 财务群" {
		t.Fatalf("case: %d %+v", code, c)
	}

	// Reading the context is audited, and the raw platform record stays out.
	var ctxBody struct {
		Messages []map[string]any `json:"messages"`
	}
	if code := h.call("GET", path+"/context?radius=1", "reviewer", "", &ctxBody); code != 200 || len(ctxBody.Messages) != 2 {
		t.Fatalf("context: %d %+v", code, ctxBody)
	}
	for _, m := range ctxBody.Messages {
		if _, raw := m["raw"]; raw {
			t.Fatalf("context carries raw: %v", m)
		}
	}
	if ctxBody.Messages[1]["flagged"] != true || ctxBody.Messages[0]["flagged"] != false {
		t.Fatalf("flags: %v", ctxBody.Messages)
	}
	es, err := h.db.AuditEvents(ctx, audit.Filter{Action: "alert.read_context", Limit: 10})
	if err != nil || len(es) != 1 || es[0].Actor != "reviewer" || es[0].Object != fmt.Sprintf("alert:%d", a.ID) || !strings.Contains(es[0].Summary, `"source_ids":["m2"]`) {
		t.Fatalf("context audit: %v %+v", err, es)
	}
	if code := h.call("GET", path+"/context", "security_officer", "", nil); code != http.StatusForbidden {
		t.Fatalf("officer reads context: %d", code)
	}

	// Metrics count alerts by category, for operators only.
	if resp := h.do("GET", "/metrics", "", ""); resp.StatusCode != 401 {
		t.Fatalf("metrics without a token: %d, want 401", resp.StatusCode)
	}
	resp := h.do("GET", "/metrics", h.creds["token-read"], "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `charter_alerts_total{category="pii"} 1`) {
		t.Fatalf("metrics:\n%s", b)
	}
}

// fixedRegistry says every group is an active internal group and every sender a verified member.
type fixedRegistry struct{}

func (fixedRegistry) GroupContext(ctx context.Context, id int64) (*detectGroup, []string, error) {
	return &detectGroup{ID: fmt.Sprint(id), Status: "active", Level: "internal", OrgUnits: []string{"HQ"}}, nil, nil
}

func (fixedRegistry) SenderContext(ctx context.Context, platform, handle string, groupID int64) (detectSender, error) {
	return detectSender{Resolved: true, Member: true, Verified: true}, nil
}

func (fixedRegistry) SenderDayTotalFen(ctx context.Context, platform, handle string, day time.Time) (int64, error) {
	return 0, nil
}

func (fixedRegistry) GroupAdmin(ctx context.Context, groupID int64) (string, string, error) {
	return "", "", nil
}

type (
	detectGroup  = detect.Group
	detectSender = detect.Sender
)
