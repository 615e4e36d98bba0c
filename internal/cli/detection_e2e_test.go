package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestDetectionEndToEnd is detection's smoke test through the real program
// on both engines: a WeCom batch ingested over HTTP into a registered group
// and an unregistered room has its alerts as soon as the batch is answered,
// the group's responsible person is told, and a reviewer reads the context,
// claims the ID-number alert and escalates it, all through the API. What
// each detector raises, and triage's rules, are tested case by case in
// internal/pipeline (detection_test.go).
func TestDetectionEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--scheduler-every", "1h")
		admin := in.login("admin", testAdminPassword)
		must := func(code, want int, what string) {
			t.Helper()
			if code != want {
				t.Fatalf("%s: %d, want %d", what, code, want)
			}
		}
		// The group's responsible person writes as ZhangSan.
		in.registeredGroup(admin, "Finance", "wrFinance")
		must(in.call("POST", "/api/v1/users/owner.finance/handles", admin, map[string]string{"platform": "wecom", "handle": "ZhangSan"}, nil), 201, "handle")
		must(in.call("POST", "/api/v1/users", admin, map[string]any{"username": "chen.rev", "password": "password-chen.rev", "real_name": "陈审",
			"roles": []map[string]string{{"role": "reviewer"}}}, nil), 201, "reviewer")
		rev, owner := in.login("chen.rev", "password-chen.rev"), in.login("owner.finance", "password-owner.finance")
		var tok struct{ Token string }
		must(in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "wecom", "scope": "ingest"}, &tok), 201, "token")

		ms := time.Now().UnixMilli()
		text := func(id, room, s string) string {
			ms++
			b, _ := json.Marshal(map[string]string{"content": s})
			return fmt.Sprintf(`{"msgid":%q,"action":"send","from":"ZhangSan","tolist":["x"],"roomid":%q,"msgtime":%d,"msgtype":"text","text":%s}`, id, room, ms, b)
		}
		batch := strings.Join([]string{
			text("m-id", "wrFinance", "报销人身份证号 11010519491231002X 请核对"),
			text("m-op1", "wrFinance", "我觉得这次的房价调控政策完全没用，老百姓还是买不起房"),
			text("m-un1", "wrUnknown", "周末去爬山吗"),
		}, "\n") + "\n"
		var res struct {
			Accepted int
			Rejected []struct{ Line int }
		}
		must(in.call("POST", "/api/v1/ingest/wecom", tok.Token, batch, &res), 200, "ingest")
		if res.Accepted != 3 || len(res.Rejected) != 0 {
			t.Fatalf("ingest: %+v", res)
		}

		// The alerts exist as soon as the batch is answered.
		var alerts struct {
			Items []struct {
				ID            int64
				Rule, Excerpt string
			}
		}
		must(in.call("GET", "/api/v1/alerts?status=open", rev, nil, &alerts), 200, "alerts")
		var got []string
		var pii int64
		for _, a := range alerts.Items {
			got = append(got, a.Rule)
			if a.Rule == "pii.resident_id" {
				pii = a.ID
			}
			if strings.Contains(a.Excerpt, "11010519491231002X") {
				t.Errorf("alert %s shows an unmasked ID number: %q", a.Rule, a.Excerpt)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "pii.resident_id,registry.unregistered_room" {
			t.Fatalf("alerts %v, want pii.resident_id and registry.unregistered_room", got)
		}

		// The group's responsible person is told, without the personal data.
		var notes struct {
			Items []struct{ Kind, Message string }
		}
		must(in.call("GET", "/api/v1/notifications", owner, nil, &notes), 200, "notifications")
		alertNotes := 0
		for _, n := range notes.Items {
			if n.Kind == "alert" {
				alertNotes++
			}
			if strings.Contains(n.Message, "110105") {
				t.Errorf("a notice carries message content: %q", n.Message)
			}
		}
		if alertNotes == 0 {
			t.Error("the responsible person got no alert notice")
		}

		// A reviewer reads the context, claims and escalates the ID alert.
		alert := fmt.Sprintf("/api/v1/alerts/%d", pii)
		var ctxBody struct {
			Messages []struct {
				SourceID string `json:"source_id"`
				Flagged  bool
			}
		}
		must(in.call("GET", alert+"/context", rev, nil, &ctxBody), 200, "context")
		found := false
		for _, m := range ctxBody.Messages {
			found = found || (m.SourceID == "m-id" && m.Flagged)
		}
		if !found {
			t.Fatalf("context lacks the flagged message: %+v", ctxBody)
		}
		must(in.call("POST", alert+"/claim", rev, nil, nil), 200, "claim")
		var resolved struct {
			Status string
			CaseID *int64 `json:"case_id"`
		}
		must(in.call("POST", alert+"/resolve", rev, map[string]string{"disposition": "escalated", "note": "ID number posted in the group"}, &resolved), 200, "resolve")
		if resolved.Status != "resolved" || resolved.CaseID == nil {
			t.Fatalf("resolved: %+v", resolved)
		}
	})
}
