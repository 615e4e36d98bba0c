package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charter/internal/registry"
	"charter/internal/store/storetest"
)

type ingestAnswer struct {
	Accepted, Duplicates int
	Rejected             []struct {
		Line         int
		Error        string
		QuarantineID int64 `json:"quarantine_id"`
	}
}

type searchAnswer struct {
	Items []struct {
		ID       int64
		SourceID string `json:"source_id"`
		GroupID  *int64 `json:"group_id"`
		RoomID   string `json:"room_id"`
		Sender   string
		SentAt   time.Time `json:"sent_at"`
		Kind     string
		Text     string
		Recalled bool
	}
	Next string
}

func (a searchAnswer) ids() string {
	var s []string
	for _, it := range a.Items {
		s = append(s, it.SourceID)
	}
	return strings.Join(s, ",")
}

func msgLine(id, room, sender string, at time.Time, kind, text, extra string) string {
	return fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":%q,"sender":%q,"sent_at":%q,"kind":%q,"text":%q%s}`,
		id, room, sender, at.UTC().Format(time.RFC3339), kind, text, extra)
}

// TestArchiveEndToEnd is the archive's smoke test through the real program
// on both engines: ingest over HTTP with an ingest token and its metrics,
// the body limit, the quarantine and a fix, search and its audit, the CLI's
// imports, export by the CLI and by the API, a legal hold honoured by the
// CLI's purge, and verify before and after tampering. The archive's
// behaviour case by case is tested in internal/archive; who may call which
// route, in internal/httpapi (TestRouteAccess).
func TestArchiveEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--max-body", "16384", "--max-ingest-body", "65536")
		admin := in.login("admin", testAdminPassword)
		out, _, err := in.cli("token create", "--name", "wecom-bridge", "--scope", "ingest")
		if err != nil {
			t.Fatal(err)
		}
		ingest := strings.TrimSpace(out)
		officerUser := map[string]any{"username": "bao.mi", "password": "security-officer-pw", "real_name": "保密员", "roles": []map[string]string{{"role": "security_officer"}}}
		if code := in.call("POST", "/api/v1/users", admin, officerUser, nil); code != 201 {
			t.Fatalf("create the security officer: %d", code)
		}
		officer := in.login("bao.mi", "security-officer-pw")
		// Only registered work groups are searched: bind the rooms first.
		in.registeredGroup(admin, "Finance", "wr-finance", "wr-old")

		// NDJSON over HTTP: a duplicate stored once, a bad line quarantined.
		// n4 is past the internal retention of 1,096 days on any date (three
		// calendar years are 1,095 days when they hold no 29 February).
		now := time.Now().UTC().Truncate(time.Second)
		batch := strings.Join([]string{
			msgLine("n1", "wr-finance", "zhangsan", now.Add(-time.Hour), "text", "这份是机密文件，不要转发", ""),
			`{"platform":"wecom","source_id":"n3","room_id":"wr-finance","sender":"lisi","sent_at":"yesterday","kind":"text","text":"修正后的消息"}`,
			msgLine("n1", "wr-finance", "zhangsan", now.Add(-time.Hour), "text", "这份是机密文件，不要转发", ""),
			msgLine("n4", "wr-old", "wangwu", now.AddDate(-3, 0, -2), "text", "过期的机密 stale", ""),
		}, "\n") + "\n"
		var ans ingestAnswer
		if code := in.call("POST", "/api/v1/ingest/messages", ingest, batch, &ans); code != 200 ||
			ans.Accepted != 2 || ans.Duplicates != 1 || len(ans.Rejected) != 1 || ans.Rejected[0].Line != 2 || !strings.Contains(ans.Rejected[0].Error, "sent_at") {
			t.Fatalf("ingest: %d %+v", code, ans)
		}
		// The counts are for operators: no token, no metrics.
		if code := in.call("GET", "/metrics", "", nil, nil); code != 401 {
			t.Fatalf("metrics without a token: %d, want 401", code)
		}
		req, _ := http.NewRequest("GET", in.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		metricsText, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(metricsText), `charter_ingest_records_total{format="ndjson",result="duplicate"} 1`) {
			t.Fatalf("metrics:\n%s", metricsText)
		}
		if code := in.call("POST", "/api/v1/ingest/messages", ingest, strings.Repeat("x", 70000), nil); code != 413 {
			t.Fatalf("oversized batch: %d, want 413", code)
		}

		// The quarantined line, listed by the security officer (an admin may
		// not read it) and reprocessed with a fix.
		var qs struct {
			Items []struct {
				ID   int64
				Line int
				Raw  string
			}
		}
		if code := in.call("GET", "/api/v1/quarantine", admin, nil, nil); code != 403 {
			t.Fatalf("admin reading the quarantine: %d, want 403", code)
		}
		if code := in.call("GET", "/api/v1/quarantine", officer, nil, &qs); code != 200 || len(qs.Items) != 1 || qs.Items[0].Line != 2 || !strings.Contains(qs.Items[0].Raw, "yesterday") {
			t.Fatalf("quarantine: %d %+v", code, qs)
		}
		fixed := strings.Replace(qs.Items[0].Raw, "yesterday", now.Add(-40*time.Minute).Format(time.RFC3339), 1)
		if code := in.call("POST", fmt.Sprintf("/api/v1/quarantine/%d/reprocess", qs.Items[0].ID), officer, map[string]string{"content": fixed}, &ans); code != 200 || ans.Accepted != 1 {
			t.Fatalf("reprocess: %d %+v", code, ans)
		}

		// Search, audited as the searcher.
		search := func(query url.Values) searchAnswer {
			t.Helper()
			var a searchAnswer
			if code := in.call("GET", "/api/v1/messages?"+query.Encode(), officer, nil, &a); code != 200 {
				t.Fatalf("search %s: %d", query.Encode(), code)
			}
			return a
		}
		if got := search(url.Values{"q": {"机密"}}); got.ids() != "n4,n1" {
			t.Fatalf("search 机密: %s", got.ids())
		}
		var auditAns struct {
			Items []struct{ Actor, Summary string }
		}
		if code := in.call("GET", "/api/v1/audit?action=message.search&actor=bao.mi", admin, nil, &auditAns); code != 200 || len(auditAns.Items) != 1 ||
			!strings.Contains(auditAns.Items[0].Summary, `"q":"机密"`) {
			t.Fatalf("search audit: %d %+v", code, auditAns)
		}

		// The CLI's imports: a personal-WeChat export needs its group; a
		// file reports its rejects and progress and fails.
		db := openSame(t, in)
		group := storetest.Group(t, db, "项目群", "admin", registry.Sensitive, now.AddDate(-6, 0, 0)).ID
		dir := t.TempDir()
		chatlog := filepath.Join(dir, "chatlog.json")
		os.WriteFile(chatlog, []byte(`[
  {"seq":1,"time":"2021-03-01T09:15:02+08:00","talker":"345@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_a1","senderName":"张三","isSelf":false,"type":1,"subType":0,"content":"项目机密进度表"},
  {"seq":2,"time":"2021-03-01T09:16:10+08:00","talker":"345@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_b2","senderName":"李四","isSelf":false,"type":1,"subType":0,"content":"收到"}
]`), 0o600)
		if _, _, err := in.cli("import chatlog", chatlog); err == nil || !strings.Contains(err.Error(), "group") {
			t.Fatalf("import without group: %v", err)
		}
		out, _, err = in.cli("import chatlog", chatlog, "--group", formatInt(group))
		if err != nil || !strings.Contains(out, "2 accepted, 0 duplicates, 0 rejected") {
			t.Fatalf("import chatlog: %v %q", err, out)
		}
		nd := filepath.Join(dir, "batch.ndjson")
		os.WriteFile(nd, []byte(batch), 0o600)
		out, errOut, err := in.cli("import ndjson", nd)
		if err == nil || !strings.Contains(out, "0 accepted, 3 duplicates, 1 rejected") || !strings.Contains(errOut, "line 2: sent_at") ||
			!strings.Contains(errOut, "progress: 100%") {
			t.Fatalf("import ndjson: %v %q %q", err, out, errOut)
		}

		// The search filters and the page cursor as the API reads them.
		if got := search(url.Values{"sender": {"wangwu"}, "kind": {"text"}}); got.ids() != "n4" {
			t.Fatalf("search by sender and kind: %s", got.ids())
		}
		if got := search(url.Values{"q": {"机密"}, "group": {formatInt(group)}}); len(got.Items) != 1 || *got.Items[0].GroupID != group {
			t.Fatalf("search by group: %+v", got)
		}
		if first := search(url.Values{"limit": {"2"}}); len(first.Items) != 2 || first.Next == "" {
			t.Fatalf("page: %+v", first)
		} else if second := search(url.Values{"limit": {"2"}, "cursor": {first.Next}}); len(second.Items) != 2 || second.Items[0].ID >= first.Items[1].ID {
			t.Fatalf("next page: %+v", second)
		}

		// E-discovery export, by the CLI and by the API: files with their sums.
		exp := filepath.Join(dir, "export")
		if out, _, err := in.cli("archive export", "--q", "机密", "--out", exp); err != nil || !strings.Contains(out, "exported 3 messages") {
			t.Fatalf("export: %v %s", err, out)
		}
		checkExport(t, func(name string) []byte { b, _ := os.ReadFile(filepath.Join(exp, name)); return b }, 3)
		req, _ = http.NewRequest("POST", in.URL+"/api/v1/exports", strings.NewReader(`{"q":"机密"}`))
		req.Header.Set("Authorization", "Bearer "+officer)
		resp, err = http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("API export: %v %v", err, resp.StatusCode)
		}
		zb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
		if err != nil {
			t.Fatal(err)
		}
		checkExport(t, func(name string) []byte {
			f, err := zr.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			return b
		}, 3)

		// A legal hold on 项目群 keeps its 2021 messages from the purge that
		// tombstones the three-year-old n4; the chain still verifies, and
		// names a message changed behind Charter's back.
		var hold struct{ ID int64 }
		if code := in.call("POST", "/api/v1/legal-holds", officer, map[string]any{"group_id": group, "reason": "案件 2026-17 证据保全"}, &hold); code != 201 || hold.ID == 0 {
			t.Fatalf("place hold: %d", code)
		}
		out, _, err = in.cli("archive purge", "--retention-sensitive-days", "30")
		if err != nil || !strings.Contains(out, "purged 1 messages to tombstones; 2 past retention kept under legal hold") {
			t.Fatalf("purge: %v %q", err, out)
		}
		var holds struct{ Items []struct{ ID int64 } }
		if code := in.call("GET", "/api/v1/legal-holds?active=true", officer, nil, &holds); code != 200 || len(holds.Items) != 1 || holds.Items[0].ID != hold.ID {
			t.Fatalf("list holds: %d %+v", code, holds)
		}
		if code := in.call("POST", fmt.Sprintf("/api/v1/legal-holds/%d/release", hold.ID), officer, nil, nil); code != 200 {
			t.Fatalf("release: %d", code)
		}
		if out, _, err := in.cli("verify"); err != nil || !strings.Contains(out, "archive: 5 messages (1 purged to tombstones), chain intact") {
			t.Fatalf("verify after purge: %v %s", err, out)
		}
		storetest.Tamper(t, db)
		if err := db.Exec(context.Background(), "UPDATE messages SET text = '无' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := in.cli("verify"); err == nil || !strings.Contains(err.Error(), "archive chain broken at seq 1") {
			t.Fatalf("verify after tampering: %v", err)
		}
	})
}

// checkExport checks the manifest's sums against the files, the CSV BOM and
// the number of messages.
func checkExport(t *testing.T, read func(name string) []byte, want int) {
	t.Helper()
	var man struct {
		Messages   int
		Files      []struct{ Name, SHA256 string }
		Checkpoint struct {
			Signature string
			Chains    map[string]struct{ Seq int64 }
		}
	}
	if err := json.Unmarshal(read("manifest.json"), &man); err != nil || man.Messages != want || len(man.Files) != 2 ||
		man.Checkpoint.Signature == "" || man.Checkpoint.Chains["audit"].Seq == 0 {
		t.Fatalf("manifest: %v %+v", err, man)
	}
	for _, f := range man.Files {
		sum := sha256.Sum256(read(f.Name))
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s: sha256 differs from the manifest", f.Name)
		}
	}
	csv := read("messages.csv")
	if !bytes.HasPrefix(csv, []byte("\ufeffid,platform,source_id")) || bytes.Count(csv, []byte("\n")) != want+1 {
		t.Fatalf("csv: %q", csv)
	}
	if n := bytes.Count(read("messages.ndjson"), []byte("\n")); n != want {
		t.Fatalf("ndjson lines: %d", n)
	}
}
