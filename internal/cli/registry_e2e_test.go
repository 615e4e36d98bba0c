package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"charter/internal/errs"
)

type apiError struct {
	Error struct{ Code, Message, Field string }
}

type appBody struct {
	ID      int64  `json:"id"`
	Status  string `json:"status"`
	GroupID int64  `json:"group_id"`
}

// TestRegistryEndToEnd is the registry's smoke test over the running
// program: a two-step approval over HTTP, signature, binding, a message in
// the bound room archived to the group, an application through the CLI,
// the scheduler ending the term through `charter tick --at`, dissolution,
// the roster and the audit trail. The behaviour itself, case by case, is
// tested beside the service in internal/registry.
func TestRegistryEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--scheduler-every", "1h")
		admin := in.login("admin", testAdminPassword)
		must := func(code, want int, what string, body any) {
			t.Helper()
			if code != want {
				b, _ := json.Marshal(body)
				t.Fatalf("%s: %d, want %d: %s", what, code, want, b)
			}
		}
		for _, u := range []map[string]string{{"name": "总部"}, {"name": "财务处", "parent": "总部"}} {
			must(in.call("POST", "/api/v1/org-units", admin, u, nil), 201, "org unit", u)
		}
		tok := map[string]string{}
		for _, p := range []map[string]any{
			{"username": "zhang.san", "real_name": "张三", "org_unit": "财务处", "verified": true},
			{"username": "li.si", "real_name": "李四", "org_unit": "财务处", "verified": true},
			{"username": "wang.head", "real_name": "王主任", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "approver", "org_unit": "总部"}}},
			{"username": "zhao.sec", "real_name": "赵保密", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "security_officer"}}},
		} {
			p["password"] = "password-" + p["username"].(string)
			must(in.call("POST", "/api/v1/users", admin, p, nil), 201, "user", p)
			tok[p["username"].(string)] = in.login(p["username"].(string), p["password"].(string))
		}
		zhang, li, wang, zhao := tok["zhang.san"], tok["li.si"], tok["wang.head"], tok["zhao.sec"]
		must(in.call("POST", "/api/v1/users/zhang.san/handles", admin, map[string]string{"platform": "wecom", "handle": "ZhangSan"}, nil), 201, "handle", nil)

		// Apply (a field error is a 400 naming the field), then two steps.
		now := time.Now().UTC()
		expires := now.AddDate(0, 0, 60)
		app := map[string]any{"name": "财务处工作群", "purpose": "", "platform": "wecom", "planned_at": now.Add(time.Hour).Format(time.RFC3339),
			"expires_at": expires.Format(time.RFC3339), "responsible": "zhang.san", "level": "sensitive",
			"members": []map[string]string{{"username": "li.si"}, {"external": "陈会计", "organization": "审计事务所", "justification": "annual audit"}}}
		var e apiError
		if code := in.call("POST", "/api/v1/applications", zhang, app, &e); code != 400 || e.Error.Field != "purpose" {
			t.Fatalf("apply without a purpose: %d %+v, want 400 naming purpose", code, e)
		}
		app["purpose"] = "coordinate the monthly payroll"
		var a appBody
		must(in.call("POST", "/api/v1/applications", zhang, app, &a), 201, "apply", a)
		decision := fmt.Sprintf("/api/v1/applications/%d/decision", a.ID)
		must(in.call("POST", decision, wang, map[string]string{"decision": "approve", "comment": "ok"}, &a), 200, "step 1", a)
		must(in.call("POST", decision, zhao, map[string]string{"decision": "approve", "comment": "external member justified"}, &a), 200, "step 2", a)
		if a.Status != "approved" || a.GroupID == 0 {
			t.Fatalf("approved: %+v", a)
		}

		// Sign (the address is the caller's) and bind: the group is active.
		gid := a.GroupID
		gPath := fmt.Sprintf("/api/v1/groups/%d", gid)
		must(in.call("POST", gPath+"/statement", li, map[string]string{"full_name": "李四"}, nil), 403, "a member signs", nil)
		var sig struct {
			TemplateVersion int `json:"template_version"`
			Addr            string
		}
		must(in.call("POST", gPath+"/statement", zhang, map[string]string{"full_name": "张三"}, &sig), 201, "sign", sig)
		if sig.TemplateVersion != 1 || sig.Addr != "127.0.0.1" {
			t.Fatalf("signature: %+v", sig)
		}
		must(in.call("POST", gPath+"/bindings", zhang, map[string]string{"platform": "wecom", "room_id": "wrOgQhDgAAcwMTB"}, nil), 201, "bind", nil)
		var g struct{ Status string }
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "active" {
			t.Fatalf("signed and bound: %s", g.Status)
		}

		// A message in the bound room is archived to the group.
		var ingest struct{ Token string }
		must(in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "wecom", "scope": "ingest"}, &ingest), 201, "token", nil)
		line := fmt.Sprintf(`{"msgid":"m1","action":"send","from":"ZhangSan","tolist":["x"],"roomid":"wrOgQhDgAAcwMTB","msgtime":%d,"msgtype":"text","text":{"content":"本月工资表已发"}}`, now.UnixMilli())
		var ans ingestAnswer
		must(in.call("POST", "/api/v1/ingest/wecom", ingest.Token, line+"\n", &ans), 200, "ingest", ans)
		var found searchAnswer
		must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d", gid), zhao, nil, &found), 200, "search", found)
		if ans.Accepted != 1 || len(found.Items) != 1 || found.Items[0].GroupID == nil || *found.Items[0].GroupID != gid || found.Items[0].SourceID != "m1" {
			t.Fatalf("archived: %+v %+v", ans, found.Items)
		}

		// An application through the CLI, for scripting.
		out, errOut, err := in.cli("application apply", "--as", "zhang.san", "--name", "second", "--purpose", "work", "--platform", "wecom",
			"--planned-at", now.Format(time.RFC3339), "--expires-at", now.AddDate(1, 0, 0).Format(time.RFC3339), "--responsible", "zhang.san", "--level", "public")
		var second appBody
		if err != nil || json.Unmarshal([]byte(out), &second) != nil || second.Status != "submitted" {
			t.Fatalf("cli apply: %v %s %s", err, out, errOut)
		}
		if out, _, err = in.cli("application decide", "--as", "wang.head", "--decision", "approve", formatInt(second.ID)); err != nil || json.Unmarshal([]byte(out), &second) != nil || second.GroupID == 0 {
			t.Fatalf("cli decide: %v %s", err, out)
		}
		// Group commands act --as the person named, given before or after the ID:
		// li.si is no member of the second group, so it is not shown to her.
		if _, _, err := in.cli("group show", formatInt(second.GroupID), "--as", "li.si"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("group show ID --as li.si: %v, want not found", err)
		}
		if out, _, err := in.cli("group show", "--as", "zhang.san", formatInt(second.GroupID)); err != nil || !strings.Contains(out, `"second"`) {
			t.Fatalf("group show --as zhang.san ID: %v %s", err, out)
		}

		// Time-driven work: at the end of its term the group expires; the other does not.
		if _, _, err := in.cli("tick", "--at", expires.Add(time.Minute).Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "expired" {
			t.Fatalf("after the term: %s", g.Status)
		}
		must(in.call("GET", fmt.Sprintf("/api/v1/groups/%d", second.GroupID), zhang, nil, &g), 200, "second group", g)
		if g.Status != "approved" {
			t.Fatalf("the second group after the first one's term: %s", g.Status)
		}

		// Dissolution with a reason, then the roster with a byte-order mark for spreadsheets.
		must(in.call("POST", gPath+"/dissolve", zhang, map[string]string{"reason": "the audit is over"}, &g), 200, "dissolve", g)
		if g.Status != "dissolved" {
			t.Fatalf("dissolved: %s", g.Status)
		}
		req, _ := http.NewRequest("GET", in.URL+"/api/v1/roster.csv", nil)
		req.Header.Set("Authorization", "Bearer "+zhao)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		csv, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(csv), "\ufeff") || !strings.Contains(string(csv), "财务处工作群") || !strings.Contains(string(csv), "dissolved") {
			t.Fatalf("roster: %d %s", resp.StatusCode, csv)
		}

		// Every step is in the audit trail, and the chain holds.
		wantActions(t, in, admin, fmt.Sprintf("application:%d", a.ID), map[string]int{"application.create": 1, "application.submit": 1, "application.decide": 2})
		wantActions(t, in, admin, fmt.Sprintf("group:%d", gid), map[string]int{"group.create": 1, "statement.sign": 1, "group.bind": 1,
			"group.status": 1, "group.expire": 1, "group.dissolve": 1})
		if out, _, err := in.cli("verify"); err != nil || !strings.Contains(out, "chain intact") {
			t.Fatalf("verify: %v %s", err, out)
		}
	})
}

// wantActions checks how many audit events of each action an object has.
func wantActions(t *testing.T, in *instance, token, object string, want map[string]int) {
	t.Helper()
	var evs struct {
		Items []struct{ Action, Actor string }
	}
	if code := in.call("GET", "/api/v1/audit?limit=1000&object="+object, token, nil, &evs); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	got := map[string]int{}
	for _, e := range evs.Items {
		got[e.Action]++
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("%s: %d %s events, want %d (all: %v)", object, got[action], action, n, got)
		}
	}
}
