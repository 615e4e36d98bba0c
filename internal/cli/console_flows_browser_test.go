package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"charter/internal/store/storetest"
)

// flowWords are the words the flow test looks for in each language.
var flowWords = map[string]map[string]string{
	"zh-CN": {"other": "en", "unit": "财务处", "applicant": "张三", "approver": "李四", "reviewer": "王五", "group": "年度预算协作群",
		"purpose": "2027 年度预算编制的日常协作", "required": "必填。", "applied": "申请已提交。", "rejectNeedsComment": "驳回时须填写理由。",
		"decided": "审批意见已记录。", "statement": "工作群保密责任书", "signed": "承诺书已签署。", "wrongName": "输入的姓名与登记的真实姓名不一致。",
		"active": "运行中", "resolved": "告警已处置。", "alertsH1": "Alerts", "submitted": "审批中"},
	"en": {"other": "zh-CN", "unit": "Finance", "applicant": "Zhang San", "approver": "Li Si", "reviewer": "Wang Wu", "group": "Budget 2027 working group",
		"purpose": "Day-to-day work on the 2027 budget", "required": "Required.", "applied": "Application submitted.", "rejectNeedsComment": "A rejection needs a comment saying why.",
		"decided": "Decision recorded.", "statement": "Work group confidentiality statement", "signed": "Statement signed.", "wrongName": "The name you typed does not match your real name on record.",
		"active": "Active", "resolved": "Alert resolved.", "alertsH1": "告警", "submitted": "Submitted"},
}

// TestConsoleFlowsInBrowser walks the main flows through the pages: apply
// (a field error first), approve as the approver, sign the statement as the
// responsible person reading its exact text, bind the room, then triage the
// alert the detectors raised on a message from that room as a reviewer, and
// switch language. Chinese on SQLite, English on PostgreSQL when configured.
func TestConsoleFlowsInBrowser(t *testing.T) {
	browserPath(t)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			w := flowWords[lang]
			engine := "sqlite"
			if lang == "en" && os.Getenv(storetest.EnvPostgres) != "" {
				engine = "postgres"
			}
			in := startCharter(t, engine)
			admin := in.login("admin", testAdminPassword)
			if code := in.call("POST", "/api/v1/org-units", admin, map[string]string{"name": w["unit"]}, nil); code != 201 {
				t.Fatalf("org unit: %d", code)
			}
			for _, u := range []map[string]any{
				{"username": "zhang.san", "real_name": w["applicant"], "org_unit": w["unit"], "verified": true, "language": lang},
				{"username": "li.si", "real_name": w["approver"], "org_unit": w["unit"], "verified": true, "language": lang,
					"roles": []map[string]string{{"role": "approver", "org_unit": w["unit"]}}},
				{"username": "wang.wu", "real_name": w["reviewer"], "verified": true, "language": lang, "roles": []map[string]string{{"role": "reviewer"}}},
			} {
				u["password"] = u["username"].(string) + "-password"
				if code := in.call("POST", "/api/v1/users", admin, u, nil); code != 201 {
					t.Fatalf("create %v: %d", u["username"], code)
				}
			}
			b := newBrowser(t, in.URL, lang)
			signIn := func(user string) {
				t.Helper()
				b.open("/login")
				b.fill("#f-username", user)
				b.fill("#f-password", user+"-password")
				b.submit("#sign-in")
				b.do(chromedp.WaitVisible(chromedp.CSS("#my-tasks")))
			}
			signOut := func() { t.Helper(); b.submit("#sign-out"); b.do(chromedp.WaitVisible(chromedp.CSS("#login-form"))) }

			// Apply: the purpose left out is refused beside its field, the rest kept.
			signIn("zhang.san")
			b.open("/applications/new")
			b.wantLang(lang)
			b.fill("#f-name", w["group"])
			b.do(chromedp.SetValue(chromedp.CSS("#f-members"), "li.si"))
			b.fill("#f-ext_name-0", "Zhao")
			b.fill("#f-ext_org-0", "Audit LLP")
			b.fill("#f-ext_why-0", "annual audit")
			if code := b.submit("#submit-application"); code != 400 {
				t.Fatalf("application without purpose: %d, want 400", code)
			}
			b.do(chromedp.WaitVisible(chromedp.CSS("#e-purpose")))
			if got := b.text("#e-purpose"); got != w["required"] {
				t.Errorf("purpose error: %q", got)
			}
			if !b.eval(`document.querySelector('#e-purpose').closest('.field').querySelector('textarea').id === "f-purpose"`) {
				t.Error("the purpose error is not beside the purpose field")
			}
			if b.value("#f-name") != w["group"] || b.value("#f-members") != "li.si" || b.value("#f-ext_org-0") != "Audit LLP" {
				t.Errorf("typed values not kept: %q %q %q", b.value("#f-name"), b.value("#f-members"), b.value("#f-ext_org-0"))
			}
			b.shot("apply-error")
			b.do(chromedp.SetValue(chromedp.CSS("#f-purpose"), w["purpose"]))
			// Without the external member the chain is the approver's step alone.
			b.eval(`document.querySelectorAll('.ext-row input').forEach(e => e.value = ""), true`)
			b.submit("#submit-application")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["applied"] {
				t.Errorf("flash: %q", got)
			}
			if got := b.text("#application-status"); !strings.Contains(got, w["submitted"]) {
				t.Errorf("status after applying: %q", got)
			}
			b.shot("application")
			b.open("/applications")
			if !strings.Contains(b.text("#applications-table"), w["group"]) {
				t.Error("my applications do not list the application")
			}
			b.shot("applications")
			signOut()

			// Approve: a rejection without a comment is refused; then approve.
			signIn("li.si")
			b.open("/approvals")
			if !strings.Contains(b.text("#approvals-table"), w["group"]) {
				t.Fatalf("approvals inbox: %q", b.text("#approvals-table"))
			}
			b.shot("approvals")
			b.do(chromedp.Click(chromedp.CSS("#approvals-table a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("#decide")))
			if code := b.submit("#reject"); code != 400 {
				t.Fatalf("reject without comment: %d, want 400", code)
			}
			if got := b.text("#e-comment"); got != w["rejectNeedsComment"] {
				t.Errorf("comment error: %q", got)
			}
			b.submit("#approve")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["decided"] {
				t.Errorf("flash after deciding: %q", got)
			}
			signOut()

			// Sign as the responsible person: the page shows the exact text, in
			// the user's language, with its version and hash; a name that is not
			// the real name on record is refused beside the field.
			signIn("zhang.san")
			b.open("/groups")
			b.shot("groups")
			b.do(chromedp.Click(chromedp.CSS("#groups-table a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("#statement-text")))
			if got := b.text("#statement-text"); !strings.HasPrefix(got, w["statement"]) {
				t.Errorf("statement text: %.80q", got)
			}
			if !b.eval(`document.querySelector('#statement-text').lang === "` + lang + `"`) {
				t.Error("the statement is not in the user's language")
			}
			b.shot("group-statement")
			groupPath := b.eval(`location.pathname.startsWith("/groups/")`)
			if !groupPath {
				t.Fatal("not on a group page")
			}
			b.fill("#f-full_name", "Someone Else")
			if code := b.submit("#sign"); code != 400 {
				t.Fatalf("sign with a wrong name: %d, want 400", code)
			}
			if got := b.text("#e-full_name"); got != w["wrongName"] {
				t.Errorf("full name error: %q", got)
			}
			b.fill("#f-full_name", w["applicant"])
			b.submit("#sign")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["signed"] {
				t.Errorf("flash after signing: %q", got)
			}
			b.fill("#f-room_id", "wrBudget2027")
			b.submit("#bind")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text("#group-status"); got != w["active"] {
				t.Errorf("group status after signing and binding: %q", got)
			}
			var gid int64
			loc, err := chromedp.Run(b.ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fmt.Sscanf(loc[strings.Index(loc, "/groups/"):], "/groups/%d", &gid); err != nil {
				t.Fatalf("group id from %s: %v", loc, err)
			}
			b.shot("group")
			signOut()

			// A machine delivers the room's messages with an ingest token; the
			// pipeline archives them, resolves the room to the group and runs
			// the detectors, and the marking raises an alert a reviewer resolves.
			for _, h := range [][2]string{{"zhang.san", "zhangsan"}, {"li.si", "lisi"}} {
				if code := in.call("POST", "/api/v1/users/"+h[0]+"/handles", admin, map[string]string{"platform": "wecom", "handle": h[1]}, nil); code != 201 {
					t.Fatalf("handle %s: %d", h[0], code)
				}
			}
			var tok struct{ Token string }
			if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "wecom-bridge", "scope": "ingest"}, &tok); code != 201 {
				t.Fatalf("ingest token: %d", code)
			}
			at := func(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }
			nd := `{"platform":"wecom","source_id":"s-1","room_id":"wrBudget2027","sender":"zhangsan","sent_at":"` + at(3*time.Minute) + `","kind":"text","text":"关于2027年预算的通知 机密★5年，请勿外传"}` + "\n" +
				`{"platform":"wecom","source_id":"s-2","room_id":"wrBudget2027","sender":"lisi","sent_at":"` + at(2*time.Minute) + `","kind":"text","text":"预算草案<定稿>不属于机密，可以转发"}` + "\n" +
				`{"platform":"wecom","source_id":"s-3","room_id":"wrBudget2027","sender":"lisi","sent_at":"` + at(time.Minute) + `","kind":"text","text":"Budget draft received"}` + "\n"
			var ing struct{ Accepted int }
			if code := in.call("POST", "/api/v1/ingest/messages", tok.Token, nd, &ing); code != 200 || ing.Accepted != 3 {
				t.Fatalf("ingest: %d %+v", code, ing)
			}
			signIn("wang.wu")
			b.open("/alerts?category=marking")
			b.do(chromedp.WaitVisible(chromedp.CSS(".alert-table")))
			b.shot("alerts")
			b.do(chromedp.Click(chromedp.CSS(".alert-table a")))
			b.do(chromedp.WaitVisible(chromedp.CSS("#alert-facts")))
			if ex := b.text("#alert-excerpt"); !strings.Contains(ex, "机密★5年") {
				t.Errorf("excerpt: %q", ex)
			}
			b.submit("#reveal-context")
			b.do(chromedp.WaitVisible(chromedp.CSS("#context-messages")))
			if got := b.text("#context-messages .flagged"); !strings.Contains(got, "机密★5年") {
				t.Errorf("flagged context message: %q", got)
			}
			b.shot("alert-context")
			b.submit("#claim")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			b.do(chromedp.SetValue(chromedp.CSS("#f-disposition"), "reminded"))
			b.do(chromedp.SetValue(chromedp.CSS("#f-note"), "已提醒群主"))
			b.submit("#resolve")
			b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := b.text(".flash"); got != w["resolved"] {
				t.Errorf("flash after resolving: %q", got)
			}
			b.shot("alert")

			// The archive finds a two-character Chinese term, marked, in the
			// group the room resolved to; the context of the alert was read above.
			b.open("/search")
			b.fill("#f-q", "机密")
			b.submit("#search")
			b.do(chromedp.WaitVisible(chromedp.CSS("#results")))
			if got := b.text("#results li:first-child mark"); got != "机密" {
				t.Errorf("marked hit: %q", got)
			}
			if !strings.Contains(b.text("#results"), "预算草案<定稿>不属于机密") || b.eval(`document.querySelectorAll('#results li').length !== 2`) ||
				!b.eval(`!!document.querySelector('#results a[href="/groups/`+strconv.FormatInt(gid, 10)+`"]')`) {
				t.Errorf("search results: %q", b.text("#results"))
			}
			b.shot("search")

			// Switch language on the alert queue.
			b.open("/alerts")
			b.submit("#lang-switch")
			b.wantLang(w["other"])
			if got := b.text("h1"); got != w["alertsH1"] {
				t.Errorf("after switching: h1 %q", got)
			}
			b.shot("alerts-switched")
		})
	}
}
