package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAttachmentsEndToEnd is the attachment store's smoke test through the
// real program on both engines: a blob delivered with an ingest token, a
// message naming it by sha256, the message searched back with the hash,
// verify passing, then failing naming the blob once its file is changed on
// disk. The store case by case is tested in internal/blob, the route's
// answers in internal/httpapi.
func TestAttachmentsEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--max-attachment", "1024")
		admin := in.login("admin", testAdminPassword)
		out, _, err := in.cli("token create", "--name", "file-bridge", "--scope", "ingest")
		if err != nil {
			t.Fatal(err)
		}
		ingest := strings.TrimSpace(out)
		officer := in.officer(admin)
		in.registeredGroup(admin, "Finance", "wr-finance")

		content := "预算表 budget 2027: 机密"
		sum := sha256.Sum256([]byte(content))
		sha := hex.EncodeToString(sum[:])
		var stored struct {
			SHA256  string `json:"sha256"`
			Size    int64
			Created bool
		}
		if code := in.call("PUT", "/api/v1/attachments/"+sha, ingest, content, &stored); code != 201 || !stored.Created || stored.Size != int64(len(content)) {
			t.Fatalf("put: %d %+v", code, stored)
		}
		if code := in.call("PUT", "/api/v1/attachments/"+sha, ingest, content, &stored); code != 200 || stored.Created {
			t.Fatalf("put again: %d %+v", code, stored)
		}
		if code := in.call("PUT", "/api/v1/attachments/"+sha, "", content, nil); code != 401 {
			t.Fatalf("put without a token: %d, want 401", code)
		}
		if code := in.call("PUT", "/api/v1/attachments/"+sha, ingest, strings.Repeat("x", 2000), nil); code != 413 {
			t.Fatalf("put above --max-attachment: %d, want 413", code)
		}

		line := msgLine("f1", "wr-finance", "zhangsan", time.Now().Add(-time.Minute), "file", "预算表.xlsx",
			`,"attachments":[{"name":"预算表.xlsx","size":`+formatInt(int64(len(content)))+`,"sha256":"`+sha+`","content_type":"application/vnd.ms-excel"}]`)
		var ans ingestAnswer
		if code := in.call("POST", "/api/v1/ingest/messages", ingest, line+"\n", &ans); code != 200 || ans.Accepted != 1 {
			t.Fatalf("ingest: %d %+v", code, ans)
		}
		var found struct {
			Items []struct {
				SourceID    string `json:"source_id"`
				Attachments []struct {
					Name        string
					SHA256      string `json:"sha256"`
					ContentType string `json:"content_type"`
				}
			}
		}
		if code := in.call("GET", "/api/v1/messages?q="+url.QueryEscape("预算表"), officer, nil, &found); code != 200 ||
			len(found.Items) != 1 || len(found.Items[0].Attachments) != 1 ||
			found.Items[0].Attachments[0].SHA256 != sha || found.Items[0].Attachments[0].ContentType != "application/vnd.ms-excel" {
			t.Fatalf("search: %d %+v", code, found)
		}

		if out, _, err := in.cli("verify"); err != nil || !strings.Contains(out, "attachments: 1 blobs, each matches its SHA-256") {
			t.Fatalf("verify: %v %s", err, out)
		}
		// Someone with the disk changes the file behind Charter's back.
		file := filepath.Join(in.dataDir(), "blobs", sha[:2], sha[2:4], sha)
		if err := os.WriteFile(file, []byte("预算表 budget 2027: 公开"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, err = in.cli("verify")
		if err == nil || !strings.Contains(err.Error(), "1 of the files") || !strings.Contains(err.Error(), sha) || !strings.Contains(out, "attachment blob mismatch: "+filepath.Join(sha[:2], sha[2:4], sha)) {
			t.Fatalf("verify after tampering: %v\n%s", err, out)
		}
	})
}

// dataDir is the instance's data directory (the value of its --data).
func (in *instance) dataDir() string {
	for i, a := range in.args {
		if a == "--data" && i+1 < len(in.args) {
			return in.args[i+1]
		}
	}
	in.t.Fatal("no --data")
	return ""
}
