package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/report"
	"charter/internal/report/reporttest"
	"charter/internal/store"
)

// db opens the instance's database from the test, as a second process would.
func (in *instance) db() store.DB {
	in.t.Helper()
	cfg := config.Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.Register(fs, in.getenv, config.Storage)
	if err := fs.Parse(in.args); err != nil {
		in.t.Fatal(err)
	}
	db, err := store.Open(context.Background(), &cfg)
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { db.Close() })
	return db
}

// download GETs a document and returns its body and Content-Disposition.
func (in *instance) download(path, token string) (int, []byte, http.Header) {
	in.t.Helper()
	req, _ := http.NewRequest("GET", in.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestReportEndToEnd files, signs and exports a periodic report through the
// API and the CLI, and exports the roster and a registration form, on both engines.
func TestReportEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine)
		admin := in.login("admin", testAdminPassword)
		must := func(code, want int, what string) {
			t.Helper()
			if code != want {
				t.Fatalf("%s: %d, want %d", what, code, want)
			}
		}
		// The group goes through the registry: applied for, approved in two
		// steps (it is sensitive), its statement signed by the responsible person.
		must(in.call("POST", "/api/v1/org-units", admin, map[string]string{"name": "总部"}, nil), 201, "org unit")
		for _, u := range []map[string]any{
			{"username": "zhang.wei", "real_name": "张伟", "employee_no": "E2001"},
			{"username": "li.na", "real_name": "李娜"},
			{"username": "wang.head", "real_name": "王主任", "roles": []map[string]string{{"role": "approver", "org_unit": "总部"}}},
			{"username": "bao.mi", "real_name": "保密员", "roles": []map[string]string{{"role": "security_officer"}}},
		} {
			u["org_unit"], u["verified"], u["password"] = "总部", true, "a-long-test-password"
			must(in.call("POST", "/api/v1/users", admin, u, nil), 201, fmt.Sprint("user ", u["username"]))
		}
		period := report.Containing(report.Monthly, time.Now())
		planned := period.Start().Add(24 * time.Hour)
		var app struct {
			ID      int64 `json:"id"`
			GroupID int64 `json:"group_id"`
		}
		must(in.call("POST", "/api/v1/applications", in.login("zhang.wei", "a-long-test-password"), map[string]any{
			"name": "预算编制工作群", "purpose": "年度预算编制的日常沟通", "platform": "wecom", "level": "sensitive", "responsible": "zhang.wei",
			"planned_at": planned.Format(time.RFC3339), "expires_at": planned.AddDate(1, 0, 0).Format(time.RFC3339),
			"members": []map[string]string{{"username": "li.na"}}}, &app), 201, "apply")
		for _, who := range []string{"wang.head", "bao.mi"} {
			must(in.call("POST", fmt.Sprintf("/api/v1/applications/%d/decision", app.ID), in.login(who, "a-long-test-password"),
				map[string]string{"decision": "approve", "comment": "同意"}, &app), 200, "approve by "+who)
		}
		if app.GroupID == 0 {
			t.Fatalf("approved application made no group: %+v", app)
		}
		must(in.call("POST", fmt.Sprintf("/api/v1/groups/%d/statement", app.GroupID), in.login("zhang.wei", "a-long-test-password"),
			map[string]string{"full_name": "张伟"}, nil), 201, "sign the statement")
		db := in.db()

		due := period.End().AddDate(0, 0, 10).Format("2006-01-02")
		out, errOut, err := in.cli("report generate", "--period", period.String())
		if err != nil || !strings.Contains(out, "1 reports created") || !strings.Contains(out, "预算编制工作群 "+period.String()+", due "+due) {
			t.Fatalf("report generate: %v\n%s\n%s", err, out, errOut)
		}
		if out, _, _ = in.cli("report generate", "--period", period.String()); !strings.Contains(out, "0 reports created") {
			t.Fatalf("generate twice: %s", out)
		}

		zhang := in.login("zhang.wei", "a-long-test-password")
		li := in.login("li.na", "a-long-test-password")
		so := in.login("bao.mi", "a-long-test-password")
		var list struct {
			Items []struct {
				ID        int64
				Status    string
				Checklist []struct {
					ItemID int64  `json:"item_id"`
					TextZh string `json:"text_zh"`
				}
			}
		}
		if code := in.call("GET", "/api/v1/reports", zhang, nil, &list); code != 200 || len(list.Items) != 1 || len(list.Items[0].Checklist) != 4 {
			t.Fatalf("zhang's reports: %d %+v", code, list)
		}
		rep := list.Items[0]
		path := fmt.Sprintf("/api/v1/reports/%d", rep.ID)
		// Only the responsible person fills it; a member of the group may not
		// even read it, or learn that it exists.
		if code := in.call("GET", path, li, nil, nil); code != 404 {
			t.Fatalf("li reads zhang's report: %d", code)
		}
		if code := in.call("PUT", path+"/draft", so, `{"remarks":"x"}`, nil); code != 403 {
			t.Fatalf("the security officer fills zhang's report: %d", code)
		}
		if code := in.call("PUT", path+"/draft", zhang, map[string]any{"remarks": "本期无异常。"}, nil); code != 200 {
			t.Fatalf("save draft: %d", code)
		}
		var answers []map[string]any
		for _, a := range rep.Checklist {
			answers = append(answers, map[string]any{"item_id": a.ItemID, "answer": "yes"})
		}
		var errBody struct{ Error struct{ Code, Field string } }
		if code := in.call("POST", path+"/file", zhang, map[string]any{"full_name": "Zhang Wei", "checklist": answers}, &errBody); code != 400 || errBody.Error.Field != "full_name" {
			t.Fatalf("sign with another name: %d %+v", code, errBody)
		}
		var filed struct {
			Status, FullName, Addr string
			ContentSHA256          string `json:"content_sha256"`
		}
		if code := in.call("POST", path+"/file", zhang, map[string]any{"full_name": "张伟", "checklist": answers}, &filed); code != 200 ||
			filed.Status != "filed" || filed.Addr != "127.0.0.1" || len(filed.ContentSHA256) != 64 {
			t.Fatalf("file: %d %+v", code, filed)
		}
		if code := in.call("POST", path+"/file", zhang, map[string]any{"full_name": "张伟"}, nil); code != 409 {
			t.Fatalf("file twice: %d", code)
		}

		check := func(how, format string, body []byte) {
			t.Helper()
			switch format {
			case "csv":
				rows := reporttest.ReadCSV(t, body)
				text := fmt.Sprint(rows)
				for _, want := range []string{"预算编制工作群", "期末成员 Members at period end", "1. 本群未传播任何涉密信息", "是 Yes", "本期无异常。", filed.ContentSHA256, "张伟 (zhang.wei)"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s CSV lacks %q", how, want)
					}
				}
			case "xlsx":
				var b strings.Builder
				for _, rows := range reporttest.ReadXLSX(t, body) {
					fmt.Fprint(&b, rows)
				}
				for _, want := range []string{"工作群定期报告 Work group periodic report", "预算编制工作群", "本人确认以上报告内容真实", filed.ContentSHA256} {
					if !strings.Contains(b.String(), want) {
						t.Errorf("%s XLSX lacks %q", how, want)
					}
				}
			case "pdf":
				text := reporttest.PDFText(t, body, fmt.Sprintf("report-%s-%s", engine, how))
				for _, want := range []string{"工作群定期报告", "预算编制工作群", "本群未传播任何涉密信息", "未向外部成员发送工作秘密", "张伟", "本期无异常", "签名检查点"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s PDF text lacks %q:\n%s", how, want, text)
					}
				}
			}
		}
		for _, format := range []string{"csv", "xlsx", "pdf"} {
			code, body, h := in.download(fmt.Sprintf("%s.%s", path, format), zhang)
			want := fmt.Sprintf(`attachment; filename=report-%d-%s.%s`, rep.ID, period, format)
			if code != 200 || h.Get("Content-Disposition") != want {
				t.Fatalf("download %s: %d %q %s", format, code, h.Get("Content-Disposition"), body)
			}
			check("api", format, body)
			file := filepath.Join(t.TempDir(), "report."+format)
			if _, errOut, err := in.cli("report export", formatInt(rep.ID), "--format", format, "--out", file); err != nil {
				t.Fatalf("report export %s: %v %s", format, err, errOut)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			check("cli", format, body)
		}
		if code, _, _ := in.download(path+".pdf", li); code != 404 {
			t.Fatalf("li downloads zhang's report: %d", code)
		}
		if code, _, _ := in.download(path+".pdf", admin); code != 404 {
			t.Fatalf("admin downloads a report: %d", code)
		}
		if code, _, _ := in.download(path+".docx", so); code != 400 {
			t.Fatalf("unknown format: %d", code)
		}

		// The roster and a registration form.
		code, body, h := in.download("/api/v1/roster.xlsx", so)
		if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "roster-") {
			t.Fatalf("roster.xlsx: %d %s", code, body)
		}
		var roster strings.Builder
		for _, rows := range reporttest.ReadXLSX(t, body) {
			fmt.Fprint(&roster, rows)
		}
		for _, want := range []string{"工作群登记表", "预算编制工作群", "年度预算编制的日常沟通", "张伟", "zhang.wei", "sensitive", "approved", "true"} {
			if !strings.Contains(roster.String(), want) {
				t.Errorf("roster lacks %q: %s", want, roster.String())
			}
		}
		code, body, _ = in.download("/api/v1/roster.pdf", so)
		if code != 200 {
			t.Fatalf("roster.pdf: %d %s", code, body)
		}
		if text := reporttest.PDFText(t, body, "roster-"+engine); !strings.Contains(text, "工作群登记表") || !strings.Contains(text, "年度预算编制") {
			t.Errorf("roster PDF text:\n%s", text)
		}
		if code, _, _ := in.download("/api/v1/roster.csv", li); code != 403 {
			t.Fatalf("a member downloads the roster: %d", code)
		}
		file := filepath.Join(t.TempDir(), "roster.xlsx")
		if _, errOut, err := in.cli("report roster", "--format", "xlsx", "--out", file); err != nil {
			t.Fatalf("report roster: %v %s", err, errOut)
		}
		code, body, _ = in.download("/api/v1/users/li.na/registration-form.pdf", li)
		if code != 200 {
			t.Fatalf("li's form: %d %s", code, body)
		}
		text := reporttest.PDFText(t, body, "registration-form-"+engine)
		for _, want := range []string{"工作群登记表（个人）", "李娜", "预算编制工作群", "成员 Member"} {
			if !strings.Contains(text, want) {
				t.Errorf("form PDF lacks %q:\n%s", want, text)
			}
		}
		if code, _, _ := in.download("/api/v1/users/zhang.wei/registration-form.csv", li); code != 404 {
			t.Fatalf("li reads zhang's form: %d", code)
		}
		file = filepath.Join(t.TempDir(), "form.csv")
		if _, errOut, err := in.cli("report form", "zhang.wei", "--format", "csv", "--out", file); err != nil {
			t.Fatalf("report form: %v %s", err, errOut)
		}
		b, _ := os.ReadFile(file)
		if rows := reporttest.ReadCSV(t, b); len(rows) != 2 || rows[1][0] != "预算编制工作群" || rows[1][1] != "负责人 Responsible" {
			t.Fatalf("zhang's form: %q", rows)
		}

		out, _, err = in.cli("report list")
		if err != nil || !strings.Contains(out, "预算编制工作群") || !strings.Contains(out, "filed") {
			t.Fatalf("report list: %v %s", err, out)
		}
		// Every export was read on the record: three API downloads and three CLI exports.
		es, err := db.AuditEvents(context.Background(), audit.Filter{Action: "report.export", Limit: 20})
		if err != nil || len(es) != 6 {
			t.Fatalf("report.export audit events: %v %d, want 6", err, len(es))
		}
	})
}
