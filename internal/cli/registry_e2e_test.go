package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type apiError struct {
	Error struct{ Code, Message, Field string }
}

type appBody struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	Round       int    `json:"round"`
	GroupID     int64  `json:"group_id"`
	CurrentStep *struct {
		Number int    `json:"number"`
		Role   string `json:"role"`
	} `json:"current_step"`
	Decisions []struct {
		Round    int    `json:"round"`
		Step     int    `json:"step"`
		Decider  string `json:"decider"`
		Decision string `json:"decision"`
		Comment  string `json:"comment"`
		At       string `json:"at"`
	} `json:"decisions"`
}

type groupBody struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Purpose     string `json:"purpose"`
	Platform    string `json:"platform"`
	Level       string `json:"level"`
	Responsible string `json:"responsible"`
	Status      string `json:"status"`
	ExpiresAt   string `json:"expires_at"`
	Members     []struct {
		Username, External string
		RealName           string `json:"real_name"`
		Verified           bool
	} `json:"members"`
	Bindings  []struct{ Platform, RoomID string } `json:"bindings"`
	Statement *struct {
		CurrentVersion int  `json:"current_version"`
		Signed         bool `json:"signed"`
	} `json:"statement"`
}

// TestRegistryEndToEnd plays the life of a work group over HTTP with several
// people and roles: apply, reject, resubmit, a two-step approval, signature,
// binding, a new statement forcing a new signature, a re-certification nobody
// answers, expiry, renewal and dissolution. Time-driven work runs through
// `charter tick --at`, so the test controls the clock of the scheduler.
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
		field := func(method, path, token string, body any, wantField string) {
			t.Helper()
			var e apiError
			code := in.call(method, path, token, body, &e)
			if code != 400 || e.Error.Field != wantField {
				t.Fatalf("%s %s: %d %+v, want 400 naming %s", method, path, code, e, wantField)
			}
		}

		// The organization.
		for _, u := range []map[string]string{{"name": "总部"}, {"name": "财务处", "parent": "总部"}} {
			must(in.call("POST", "/api/v1/org-units", admin, u, nil), 201, "org unit", u)
		}
		people := []map[string]any{
			{"username": "zhang.san", "real_name": "张三", "org_unit": "财务处", "verified": true},
			{"username": "li.si", "real_name": "李四", "org_unit": "财务处", "verified": false},
			{"username": "wang.head", "real_name": "王主任", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "approver", "org_unit": "总部"}}},
			{"username": "zhao.sec", "real_name": "赵保密", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "security_officer"}}},
			{"username": "qian.audit", "real_name": "钱审计", "org_unit": "总部", "verified": true, "roles": []map[string]string{{"role": "auditor"}}},
		}
		tok := map[string]string{}
		for _, p := range people {
			p["password"] = "password-" + p["username"].(string)
			must(in.call("POST", "/api/v1/users", admin, p, nil), 201, "user", p)
			tok[p["username"].(string)] = in.login(p["username"].(string), p["password"].(string))
		}
		zhang, li, wang, zhao, qian := tok["zhang.san"], tok["li.si"], tok["wang.head"], tok["zhao.sec"], tok["qian.audit"]
		must(in.call("POST", "/api/v1/users/li.si/handles", admin, map[string]string{"platform": "wecom", "handle": "LiSi"}, nil), 201, "handle", nil)

		// Apply: field errors name the field.
		now := time.Now().UTC()
		planned, expires := now.Add(time.Hour), now.AddDate(0, 0, 60)
		app := map[string]any{"name": "财务处工作群", "purpose": "", "platform": "wecom", "planned_at": planned.Format(time.RFC3339),
			"expires_at": expires.Format(time.RFC3339), "responsible": "zhang.san", "level": "sensitive",
			"members": []map[string]string{{"username": "li.si"}, {"external": "陈会计", "organization": "审计事务所"}}}
		field("POST", "/api/v1/applications", zhang, app, "purpose")
		app["purpose"] = "coordinate the monthly payroll"
		field("POST", "/api/v1/applications", zhang, app, "members")
		app["members"] = []map[string]string{{"username": "li.si"}, {"external": "陈会计", "organization": "审计事务所", "justification": "annual audit"}}
		app["expires_at"] = now.Format(time.RFC3339)
		field("POST", "/api/v1/applications", zhang, app, "expires_at")
		app["expires_at"] = expires.Format(time.RFC3339)
		app["responsible"] = "nobody"
		field("POST", "/api/v1/applications", zhang, app, "responsible")
		app["responsible"] = "zhang.san"
		var a appBody
		must(in.call("POST", "/api/v1/applications", zhang, app, &a), 201, "apply", a)
		if a.Status != "submitted" || a.ID == 0 {
			t.Fatalf("applied: %+v", a)
		}
		appPath := fmt.Sprintf("/api/v1/applications/%d", a.ID)
		must(in.call("GET", appPath, zhang, nil, &a), 200, "show application", a)
		if a.CurrentStep == nil || a.CurrentStep.Number != 1 || a.CurrentStep.Role != "approver" {
			t.Fatalf("current step: %+v", a.CurrentStep)
		}

		// Reject: only the holder of the step, and with a comment.
		decide := func(token, decision, comment string) (int, appBody) {
			var out appBody
			code := in.call("POST", appPath+"/decision", token, map[string]string{"decision": decision, "comment": comment}, &out)
			return code, out
		}
		if code, _ := decide(zhao, "approve", ""); code != 403 {
			t.Fatalf("security officer on the approver's step: %d, want 403", code)
		}
		if code, _ := decide(li, "approve", ""); code != 403 {
			t.Fatalf("a member deciding: %d, want 403", code)
		}
		field("POST", appPath+"/decision", wang, map[string]string{"decision": "reject"}, "comment")
		if code, out := decide(wang, "reject", "the purpose is too vague"); code != 200 || out.Status != "rejected" {
			t.Fatalf("reject: %d %+v", code, out)
		}

		// Edit and resubmit as a new round.
		app["purpose"] = "coordinate the monthly payroll with the external auditor"
		// Someone who may not read it is not told it exists.
		must(in.call("PUT", appPath, li, app, nil), 404, "someone else edits", nil)
		must(in.call("PUT", appPath, zhang, app, &a), 200, "edit", a)
		must(in.call("POST", appPath+"/submit", zhang, nil, &a), 200, "resubmit", a)
		if a.Status != "submitted" || a.Round != 2 {
			t.Fatalf("resubmitted: %+v", a)
		}

		// Waiting too long reminds the approver, once.
		for i := 0; i < 2; i++ {
			if _, _, err := in.cli("tick", "--at", now.Add(49*time.Hour).Format(time.RFC3339)); err != nil {
				t.Fatal(err)
			}
		}
		if n := notices(t, in, wang, "application.reminder", ""); n != 1 {
			t.Fatalf("%d reminders, want 1", n)
		}

		// Two-step approval: the approver, then the security officer.
		if code, out := decide(wang, "approve", "ok"); code != 200 || out.Status != "submitted" || out.CurrentStep.Role != "security_officer" {
			t.Fatalf("first step: %d %+v", code, out)
		}
		if code, _ := decide(wang, "approve", "again"); code != 403 {
			t.Fatalf("the approver on the security officer's step: %d", code)
		}
		code, a := decide(zhao, "approve", "external member justified")
		if code != 200 || a.Status != "approved" || a.GroupID == 0 {
			t.Fatalf("final approval: %d %+v", code, a)
		}
		must(in.call("GET", appPath, zhang, nil, &a), 200, "application", a)
		if len(a.Decisions) != 3 || a.Decisions[0].Decision != "reject" || a.Decisions[2].Decider != "zhao.sec" || a.Decisions[2].Round != 2 || a.Decisions[2].At == "" {
			t.Fatalf("decisions: %+v", a.Decisions)
		}

		// The group awaits its administrator.
		gid := a.GroupID
		gPath := fmt.Sprintf("/api/v1/groups/%d", gid)
		var g groupBody
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "approved" || g.Level != "sensitive" || g.Responsible != "zhang.san" || len(g.Members) != 3 || len(g.Bindings) != 0 ||
			g.Statement == nil || g.Statement.Signed || g.Statement.CurrentVersion != 1 {
			t.Fatalf("new group: %+v", g)
		}

		// Sign: only the responsible person, with their real name.
		var st struct {
			Version int
			Text    string
			SHA256  string
		}
		must(in.call("GET", gPath+"/statement", zhang, nil, &st), 200, "statement", st)
		if st.Version != 1 || !strings.Contains(st.Text, "保密") || len(st.SHA256) != 64 {
			t.Fatalf("statement: %+v", st)
		}
		must(in.call("POST", gPath+"/statement", li, map[string]string{"full_name": "李四"}, nil), 403, "a member signs", nil)
		field("POST", gPath+"/statement", zhang, map[string]string{"full_name": "张 三"}, "full_name")
		var sig struct {
			TemplateVersion int    `json:"template_version"`
			TextSHA256      string `json:"text_sha256"`
			Addr            string
		}
		must(in.call("POST", gPath+"/statement", zhang, map[string]string{"full_name": "张三"}, &sig), 201, "sign", sig)
		if sig.TemplateVersion != 1 || sig.TextSHA256 != st.SHA256 || sig.Addr != "127.0.0.1" {
			t.Fatalf("signature: %+v", sig)
		}
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "approved" || !g.Statement.Signed {
			t.Fatalf("signed, not bound: %+v", g)
		}

		// Bind: then the group is active; a room belongs to one group.
		must(in.call("POST", gPath+"/bindings", zhang, map[string]string{"platform": "wecom", "room_id": "wrOgQhDgAAcwMTB"}, nil), 201, "bind", nil)
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "active" || len(g.Bindings) != 1 {
			t.Fatalf("bound: %+v", g)
		}
		// A second group through the CLI, for scripting.
		out, errOut, err := in.cli("application apply", "--as", "zhang.san", "--name", "second", "--purpose", "work", "--platform", "wecom",
			"--planned-at", planned.Format(time.RFC3339), "--expires-at", now.AddDate(1, 0, 0).Format(time.RFC3339), "--responsible", "zhang.san", "--level", "public")
		var second appBody
		if err != nil || json.Unmarshal([]byte(out), &second) != nil || second.Status != "submitted" {
			t.Fatalf("cli apply: %v %s %s", err, out, errOut)
		}
		if out, _, err = in.cli("application decide", "--as", "wang.head", "--decision", "approve", formatInt(second.ID)); err != nil || json.Unmarshal([]byte(out), &second) != nil || second.GroupID == 0 {
			t.Fatalf("cli decide: %v %s", err, out)
		}
		var e apiError
		if code := in.call("POST", fmt.Sprintf("/api/v1/groups/%d/bindings", second.GroupID), zhang, map[string]string{"platform": "wecom", "room_id": "wrOgQhDgAAcwMTB"}, &e); code != 409 {
			t.Fatalf("room bound twice: %d %+v", code, e)
		}
		// A member sees the groups they are in, not the others.
		var list struct{ Items []groupBody }
		must(in.call("GET", "/api/v1/groups", li, nil, &list), 200, "member's groups", list)
		if len(list.Items) != 1 || list.Items[0].ID != gid {
			t.Fatalf("li.si sees %+v", list.Items)
		}
		must(in.call("GET", fmt.Sprintf("/api/v1/groups/%d", second.GroupID), li, nil, nil), 404, "someone else's group", nil)
		// Real names stay in the back end: fellow members see display names only.
		var seen groupBody
		must(in.call("GET", gPath, li, nil, &seen), 200, "a member's view", seen)
		for _, m := range seen.Members {
			if m.RealName != "" {
				t.Fatalf("a fellow member sees the real name %q", m.RealName)
			}
		}
		must(in.call("GET", gPath, zhang, nil, &seen), 200, "the administrator's view", seen)
		if seen.Members[0].RealName != "张三" || seen.Members[1].Verified {
			t.Fatalf("the administrator's view of members: %+v", seen.Members)
		}
		must(in.call("GET", "/api/v1/groups", qian, nil, &list), 200, "auditor's groups", list)
		if len(list.Items) != 2 {
			t.Fatalf("the auditor sees %d groups", len(list.Items))
		}

		// A new statement version: the group needs a new signature.
		must(in.call("POST", "/api/v1/statement-templates", zhang, map[string]string{"text_zh": "x", "text_en": "x"}, nil), 403, "a member publishes", nil)
		must(in.call("POST", "/api/v1/statement-templates", zhao, map[string]string{"text_zh": "工作群保密责任书（第二版）", "text_en": "Statement, second edition"}, nil), 201, "publish", nil)
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "needs_signature" || g.Statement.CurrentVersion != 2 || g.Statement.Signed {
			t.Fatalf("after a new template: %+v", g)
		}
		if notices(t, in, zhang, "group.needs_signature", fmt.Sprintf("group:%d", gid)) != 1 {
			t.Fatal("the administrator was not told to sign again")
		}
		must(in.call("POST", gPath+"/statement", zhang, map[string]string{"full_name": "张三", "language": "en"}, &sig), 201, "sign again", sig)
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "active" || sig.TemplateVersion != 2 {
			t.Fatalf("signed again: %+v %+v", g, sig)
		}

		// Re-certification that nobody answers: the default (suspend) applies at the deadline.
		var c struct{ ID int64 }
		must(in.call("POST", "/api/v1/campaigns", zhao, map[string]string{"kind": "recertification", "level": "sensitive",
			"deadline": now.AddDate(0, 0, 7).Format(time.RFC3339), "default_decision": "suspend"}, &c), 201, "campaign", c)
		var tasks struct {
			Recertifications []struct {
				GroupID int64 `json:"group_id"`
			} `json:"recertifications"`
		}
		must(in.call("GET", fmt.Sprintf("/api/v1/campaigns/%d/tasks", c.ID), zhang, nil, &tasks), 200, "tasks", tasks)
		if len(tasks.Recertifications) != 1 || tasks.Recertifications[0].GroupID != gid {
			t.Fatalf("tasks: %+v", tasks)
		}
		for i := 0; i < 2; i++ {
			if _, _, err := in.cli("tick", "--at", now.AddDate(0, 0, 8).Format(time.RFC3339)); err != nil {
				t.Fatal(err)
			}
		}
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "suspended" {
			t.Fatalf("not re-certified: %s", g.Status)
		}
		var res struct {
			Campaign struct {
				ClosedAt *string `json:"closed_at"`
			}
			Recertifications []struct {
				Decision  string
				Defaulted bool
			} `json:"recertifications"`
		}
		must(in.call("GET", fmt.Sprintf("/api/v1/campaigns/%d/results", c.ID), qian, nil, &res), 200, "results", res)
		if res.Campaign.ClosedAt == nil || len(res.Recertifications) != 1 || !res.Recertifications[0].Defaulted || res.Recertifications[0].Decision != "suspend" {
			t.Fatalf("results: %+v", res)
		}

		// Expiry: notices 30, 15 and 1 days ahead, each once; then expired.
		for _, d := range []int{30, 30, 15, 15, 1, 1} {
			if _, _, err := in.cli("tick", "--at", expires.AddDate(0, 0, -d).Add(time.Minute).Format(time.RFC3339)); err != nil {
				t.Fatal(err)
			}
		}
		if n := notices(t, in, zhang, "group.expiry_notice", fmt.Sprintf("group:%d", gid)); n != 3 {
			t.Fatalf("%d expiry notices, want 3", n)
		}
		if _, _, err := in.cli("tick", "--at", expires.Add(time.Minute).Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "expired" {
			t.Fatalf("after the term: %s", g.Status)
		}

		// Renewal goes through a new approval; then the group is dissolved with a reason.
		app["renews"] = gid
		app["expires_at"] = now.AddDate(1, 0, 0).Format(time.RFC3339)
		var renewal appBody
		must(in.call("POST", "/api/v1/applications", zhang, app, &renewal), 201, "renewal", renewal)
		appPath = fmt.Sprintf("/api/v1/applications/%d", renewal.ID)
		if code, _ := decide(wang, "approve", ""); code != 200 {
			t.Fatalf("renewal step 1: %d", code)
		}
		if code, out := decide(zhao, "approve", ""); code != 200 || out.GroupID != gid {
			t.Fatalf("renewal step 2: %d %+v", code, out)
		}
		must(in.call("GET", gPath, zhang, nil, &g), 200, "group", g)
		if g.Status != "active" {
			t.Fatalf("renewed: %+v", g)
		}
		must(in.call("POST", gPath+"/dissolve", zhang, map[string]string{"reason": "the audit is over"}, &g), 200, "dissolve", g)
		if g.Status != "dissolved" {
			t.Fatalf("dissolved: %+v", g)
		}

		// The registration roster, with a byte-order mark for spreadsheets.
		req, _ := http.NewRequest("GET", in.URL+"/api/v1/roster.csv", nil)
		req.Header.Set("Authorization", "Bearer "+qian)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		csv, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(csv), "\ufeff") || !strings.Contains(string(csv), "财务处工作群") || !strings.Contains(string(csv), "dissolved") {
			t.Fatalf("roster: %d %s", resp.StatusCode, csv)
		}
		must(in.call("GET", "/api/v1/roster.csv", li, nil, nil), 403, "a member reads the roster", nil)

		// Every step is in the audit trail, and the chain holds.
		wantActions(t, in, admin, fmt.Sprintf("application:%d", a.ID), map[string]int{"application.create": 1, "application.submit": 2,
			"application.decide": 3, "application.edit": 1, "application.remind": 1})
		wantActions(t, in, admin, fmt.Sprintf("group:%d", gid), map[string]int{"group.create": 1, "statement.sign": 2, "group.bind": 1,
			"group.status": 5, "group.recertify": 1, "group.expiry_notice": 3, "group.expire": 1, "group.renew": 1, "group.dissolve": 1})
		if out, _, err := in.cli("verify"); err != nil || !strings.Contains(out, "chain intact") {
			t.Fatalf("verify: %v %s", err, out)
		}
	})
}

// notices counts the caller's notifications of a kind (and object, when given).
func notices(t *testing.T, in *instance, token, kind, object string) int {
	t.Helper()
	var ns struct {
		Items []struct{ Kind, Object string }
	}
	if code := in.call("GET", "/api/v1/notifications", token, nil, &ns); code != 200 {
		t.Fatalf("notifications: %d", code)
	}
	n := 0
	for _, x := range ns.Items {
		if x.Kind == kind && (object == "" || x.Object == object) {
			n++
		}
	}
	return n
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
