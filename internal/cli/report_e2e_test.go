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
	"charter/internal/registry"
	"charter/internal/report/reporttest"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// db opens the instance's database from the test, as a second process would.
func (in *instance) db() store.DB {
	in.t.Helper()
	cfg := config.Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.Register(fs, in.getenv)
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
		in.env["TEST_PASSWORD"] = "a-long-test-password"
		for _, u := range [][]string{
			{"--username", "zhang.wei", "--real-name", "张伟", "--employee-no", "E2001"},
			{"--username", "li.na", "--real-name", "李娜"},
			{"--username", "bao.mi", "--real-name", "保密员", "--roles", "security_officer"},
		} {
			if _, errOut, err := in.cli("user create", append(u, "--verified", "--password-env", "TEST_PASSWORD")...); err != nil {
				t.Fatalf("user create %v: %v %s", u, err, errOut)
			}
		}
		// The registry's API is on its own branch; the group is registered in storage as an approval would.
		db := in.db()
		g := storetest.Group(t, db, "预算编制工作群", "zhang.wei", registry.Sensitive, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
		for _, m := range []registry.Member{
			{GroupID: g.ID, Username: "zhang.wei", JoinedAt: g.EstablishedAt},
			{GroupID: g.ID, Username: "li.na", JoinedAt: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)},
		} {
			if err := db.AddMember(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
		}

		out, errOut, err := in.cli("report generate", "--period", "2026-10")
		if err != nil || !strings.Contains(out, "1 reports created") || !strings.Contains(out, "预算编制工作群 2026-10, due 2026-11-11") {
			t.Fatalf("report generate: %v\n%s\n%s", err, out, errOut)
		}
		if out, _, _ = in.cli("report generate", "--period", "2026-10"); !strings.Contains(out, "0 reports created") {
			t.Fatalf("generate twice: %s", out)
		}

		zhang := in.login("zhang.wei", "a-long-test-password")
		li := in.login("li.na", "a-long-test-password")
		so := in.login("bao.mi", "a-long-test-password")
		admin := in.login("admin", testAdminPassword)
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
		// Only the responsible person fills it; a member of the group may not even read it.
		if code := in.call("GET", path, li, nil, nil); code != 403 {
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
				for _, want := range []string{"工作群定期报告", "预算编制工作群", "本群未传播任何涉密信息", "未向外部成员发送工作秘密", "张伟", "本期无异常"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s PDF text lacks %q:\n%s", how, want, text)
					}
				}
			}
		}
		for _, format := range []string{"csv", "xlsx", "pdf"} {
			code, body, h := in.download(fmt.Sprintf("%s.%s", path, format), zhang)
			want := fmt.Sprintf(`attachment; filename=report-%d-2026-10.%s`, rep.ID, format)
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
		if code, _, _ := in.download(path+".pdf", li); code != 403 {
			t.Fatalf("li downloads zhang's report: %d", code)
		}
		if code, _, _ := in.download(path+".pdf", admin); code != 403 {
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
		for _, want := range []string{"工作群登记表", "预算编制工作群", "张伟 (zhang.wei)", "敏感 Sensitive", "运行中 Active"} {
			if !strings.Contains(roster.String(), want) {
				t.Errorf("roster lacks %q: %s", want, roster.String())
			}
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
		if code, _, _ := in.download("/api/v1/users/zhang.wei/registration-form.csv", li); code != 403 {
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
