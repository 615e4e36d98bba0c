package cli

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// docx is a minimal Word document whose body is the paragraphs given.
func docx(t *testing.T, paragraphs ...string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			func() string {
				var b strings.Builder
				for _, p := range paragraphs {
					b.WriteString("<w:p><w:r><w:t>" + p + "</w:t></w:r></w:p>")
				}
				return b.String()
			}() + `</w:body></w:document>`,
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAttachmentLaneEndToEnd: the built binary serves; a Word file is
// delivered and a message names it; the lane reads it in a child process
// (Charter re-executed under limits) and the credential inside raises an
// alert naming the attachment. A message whose file has not arrived is
// archived at once, and its attachment is scanned when the file comes.
func TestAttachmentLaneEndToEnd(t *testing.T) {
	bin := charterBinary(t)
	p := startProc(t, bin, []string{"--data", t.TempDir()})
	in := &instance{t: t, URL: p.url}
	admin := in.login("admin", testAdminPassword)
	in.registeredGroup(admin, "Docs", "wrDocs")
	officer := in.officer(admin)
	var tok struct{ Token string }
	if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "docs", "scope": "ingest"}, &tok); code != 201 {
		t.Fatalf("token: %d", code)
	}
	put := func(data []byte) string {
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		req, _ := http.NewRequest("PUT", in.URL+"/api/v1/attachments/"+sha, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("put attachment: %d", resp.StatusCode)
		}
		return sha
	}
	message := func(id, name, sha string, size int) {
		line := fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":"wrDocs","sender":"owner.docs","sent_at":%q,"kind":"file","text":%q,`+
			`"attachments":[{"name":%q,"sha256":%q,"size":%d,"content_type":"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}]}`,
			id, time.Now().UTC().Format(time.RFC3339), name, name, sha, size)
		var res struct{ Accepted int }
		if code := in.call("POST", "/api/v1/ingest/messages", tok.Token, line+"\n", &res); code != 200 || res.Accepted != 1 {
			t.Fatalf("ingest %s: %d %+v", id, code, res)
		}
	}
	alertOn := func(file string) string {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var as struct {
				Items []struct{ Rule, Excerpt string }
			}
			in.call("GET", "/api/v1/alerts?rule=credential.aws_access_key", officer, nil, &as)
			for _, a := range as.Items {
				if strings.Contains(a.Excerpt, file) {
					return a.Excerpt
				}
			}
		}
		t.Fatalf("no alert names %s\n%s", file, p.out.String())
		return ""
	}

	// The file first, then the message naming it.
	first := docx(t, "部署说明", "生产环境的 key: AKIAZ3MSJV4WWNKWW5FK 不要外传")
	message("d1", "部署说明.docx", put(first), len(first))
	if ex := alertOn("部署说明.docx"); strings.Contains(ex, "AKIAZ3MSJV4WWNKWW5FK") {
		t.Errorf("the excerpt shows the key in clear: %q", ex)
	}

	// The message first: archived at once; its file comes later.
	later := docx(t, "交接", "备用 key AKIAZ3MSJV4WWNKWW5FL")
	sum := sha256.Sum256(later)
	message("d2", "交接.docx", hex.EncodeToString(sum[:]), len(later))
	var found searchAnswer
	in.call("GET", "/api/v1/messages?q="+"交接", officer, nil, &found)
	if len(found.Items) != 1 {
		t.Fatalf("the message whose file has not arrived was not archived at once: %+v", found.Items)
	}
	put(later)
	alertOn("交接.docx")
}
