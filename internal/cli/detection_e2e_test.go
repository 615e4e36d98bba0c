package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestDetectionEndToEnd ingests one WeCom-format batch through the API into a
// registered, active group and an unregistered room, and finds exactly the
// expected alerts through the alert API, on both engines. Opinion messages and
// an ID number that fails its check digit raise nothing.
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
		must(in.call("POST", "/api/v1/org-units", admin, map[string]string{"name": "总部"}, nil), 201, "org unit")
		for _, u := range []map[string]any{
			{"username": "zhang.san", "real_name": "张三", "org_unit": "总部", "verified": true},
			{"username": "li.si", "real_name": "李四", "org_unit": "总部", "verified": true},
			{"username": "wang.head", "real_name": "王主任", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "approver", "org_unit": "总部"}}},
			{"username": "chen.rev", "real_name": "陈审", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "reviewer"}}},
		} {
			u["password"] = "password-" + u["username"].(string)
			must(in.call("POST", "/api/v1/users", admin, u, nil), 201, "user")
		}
		must(in.call("POST", "/api/v1/users/zhang.san/handles", admin, map[string]string{"platform": "wecom", "handle": "ZhangSan"}, nil), 201, "handle")
		must(in.call("POST", "/api/v1/users/li.si/handles", admin, map[string]string{"platform": "wecom", "handle": "LiSi"}, nil), 201, "handle")
		zhang, wang, rev := in.login("zhang.san", "password-zhang.san"), in.login("wang.head", "password-wang.head"), in.login("chen.rev", "password-chen.rev")

		// A registered, signed and bound internal group.
		now := time.Now().UTC()
		var app struct {
			ID      int64 `json:"id"`
			GroupID int64 `json:"group_id"`
		}
		must(in.call("POST", "/api/v1/applications", zhang, map[string]any{"name": "财务工作群", "purpose": "monthly closing",
			"platform": "wecom", "planned_at": now.Format(time.RFC3339), "expires_at": now.AddDate(1, 0, 0).Format(time.RFC3339),
			"responsible": "zhang.san", "level": "internal", "members": []map[string]string{{"username": "li.si"}}}, &app), 201, "apply")
		must(in.call("POST", fmt.Sprintf("/api/v1/applications/%d/decision", app.ID), wang, map[string]string{"decision": "approve", "comment": "ok"}, &app), 200, "approve")
		if app.GroupID == 0 {
			t.Fatal("no group after approval")
		}
		group := fmt.Sprintf("/api/v1/groups/%d", app.GroupID)
		must(in.call("POST", group+"/statement", zhang, map[string]string{"full_name": "张三"}, nil), 201, "sign")
		must(in.call("POST", group+"/bindings", zhang, map[string]string{"platform": "wecom", "room_id": "wrFinance"}, nil), 201, "bind")
		var g struct{ Status string }
		must(in.call("GET", group, zhang, nil, &g), 200, "group")
		if g.Status != "active" {
			t.Fatalf("group status %q, want active", g.Status)
		}

		var tok struct{ Token string }
		must(in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "wecom", "scope": "ingest"}, &tok), 201, "token")

		ms := now.UnixMilli()
		line := func(id, from, room, msgtype, body string) string {
			ms++
			return fmt.Sprintf(`{"msgid":%q,"action":"send","from":%q,"tolist":["x"],"roomid":%q,"msgtime":%d,"msgtype":%q,%s}`, id, from, room, ms, msgtype, body)
		}
		text := func(id, from, room, s string) string {
			b, _ := json.Marshal(map[string]string{"content": s})
			return line(id, from, room, "text", `"text":`+string(b))
		}
		batch := []string{
			line("m-red", "ZhangSan", "wrFinance", "redpacket", `"redpacket":{"type":2,"wish":"恭喜发财","totalcnt":40,"totalamount":400000}`),
			line("m-small", "LiSi", "wrFinance", "redpacket", `"redpacket":{"type":2,"wish":"节日快乐","totalcnt":4,"totalamount":888}`),
			text("m-mark", "LiSi", "wrFinance", "附件是秘密★1年的预算草案，请勿外传"),
			text("m-id", "ZhangSan", "wrFinance", "报销人身份证号 11010519491231002X 请核对"),
			text("m-badid", "ZhangSan", "wrFinance", "测试号码 110105194912310021 不是真的"),
			text("m-op1", "LiSi", "wrFinance", "我觉得这次的房价调控政策完全没用，老百姓还是买不起房"),
			text("m-op2", "ZhangSan", "wrFinance", "Honestly the new vaccine policy was handled badly and people deserve better."),
			text("m-op3", "LiSi", "wrFinance", "人权和民主是普世价值，就业问题政府应该负责"),
			text("m-un1", "Stranger", "wrUnknown", "周末去爬山吗"),
			text("m-un2", "Stranger", "wrUnknown", "好的"),
			text("m-un3", "Other", "wrUnknown", "几点出发"),
		}
		var res struct {
			Accepted, Duplicates int
			Rejected             []struct {
				Line  int
				Error string
			}
		}
		must(in.call("POST", "/api/v1/ingest/wecom", tok.Token, strings.Join(batch, "\n")+"\n", &res), 200, "ingest")
		if res.Accepted != len(batch) || len(res.Rejected) != 0 {
			t.Fatalf("ingest: %+v", res)
		}

		// The alerts exist as soon as the batch is answered.
		var alerts struct {
			Items []struct {
				ID                      int64
				Rule, Category, Excerpt string
				Count                   int
				GroupID                 *int64   `json:"group_id"`
				SourceIDs               []string `json:"source_ids"`
				Detail                  map[string]any
			}
		}
		must(in.call("GET", "/api/v1/alerts?status=open", rev, nil, &alerts), 200, "alerts")
		var got []string
		bySource := map[string]string{}
		for _, a := range alerts.Items {
			got = append(got, a.Rule)
			for _, s := range a.SourceIDs {
				bySource[s] += a.Rule + " "
			}
			if strings.Contains(a.Excerpt, "11010519491231002X") {
				t.Errorf("alert %s shows an unmasked ID number: %q", a.Rule, a.Excerpt)
			}
			if a.Rule == "registry.unregistered_room" && (a.Count != 3 || len(a.SourceIDs) != 3) {
				t.Errorf("unregistered room alert: count %d, sources %v, want one alert for all 3 messages", a.Count, a.SourceIDs)
			}
			if a.Rule == "transfer.large_amount" && fmt.Sprint(a.Detail["amount_yuan"]) != "4000.00" {
				t.Errorf("large amount detail: %v", a.Detail)
			}
		}
		sort.Strings(got) // 秘密 is the third level, which detect names marking.confidential
		want := []string{"marking.confidential", "pii.resident_id", "registry.unregistered_room", "transfer.fan_out", "transfer.large_amount"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("alerts %v, want exactly %v (by source: %v)", got, want, bySource)
		}
		for _, quiet := range []string{"m-small", "m-badid", "m-op1", "m-op2", "m-op3"} {
			if bySource[quiet] != "" {
				t.Errorf("%s raised %s", quiet, bySource[quiet])
			}
		}

		// The group's administrator is told, without the personal data.
		var notes struct {
			Items []struct{ Kind, Message string }
		}
		must(in.call("GET", "/api/v1/notifications", zhang, nil, &notes), 200, "notifications")
		alertNotes := 0
		for _, n := range notes.Items {
			if n.Kind == "alert" {
				alertNotes++
			}
			if strings.Contains(n.Message, "110105") || strings.Contains(n.Message, "秘密★") {
				t.Errorf("a notice carries message content: %q", n.Message)
			}
		}
		if alertNotes == 0 {
			t.Error("the responsible person got no alert notice")
		}

		// A reviewer reads the context (audited), claims and escalates the ID alert.
		var pii int64
		for _, a := range alerts.Items {
			if a.Rule == "pii.resident_id" {
				pii = a.ID
			}
		}
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
		var events struct {
			Items []struct{ Actor, Object string }
		}
		must(in.call("GET", "/api/v1/audit?action=alert.read_context", admin, nil, &events), 200, "audit")
		if len(events.Items) != 1 || events.Items[0].Actor != "chen.rev" {
			t.Fatalf("context read audit: %+v", events.Items)
		}
		must(in.call("POST", alert+"/claim", rev, nil, nil), 200, "claim")
		var resolved struct {
			Status, Disposition string
			CaseID              *int64 `json:"case_id"`
		}
		must(in.call("POST", alert+"/resolve", rev, map[string]string{"disposition": "escalated", "note": "ID number posted in the group"}, &resolved), 200, "resolve")
		if resolved.Status != "resolved" || resolved.CaseID == nil {
			t.Fatalf("resolved: %+v", resolved)
		}
	})
}
