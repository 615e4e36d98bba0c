package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestSignWhatWasShown signs the statement the page showed: after a new
// version is published, a signature of the old text is refused and the page
// shows the new one; the right text with the real name signs.
func TestSignWhatWasShown(t *testing.T) {
	h := newHarness(t)
	gid := h.group()
	path := fmt.Sprintf("/groups/%d", gid)
	_, body := h.do("GET", path, h.secrets["member"], nil)
	shown := regexp.MustCompile(`id="statement-text" lang="zh-CN">([^<]*)</blockquote>`).FindStringSubmatch(body)
	if shown == nil {
		t.Fatalf("no statement text on the responsible person's page")
	}
	sum := sha256.Sum256([]byte(html.UnescapeString(shown[1])))
	oldSHA := hex.EncodeToString(sum[:])
	if !strings.Contains(body, oldSHA) {
		t.Fatal("the page does not show the SHA-256 of the text it shows")
	}
	if _, body := h.do("GET", path, h.secrets["approver"], nil); strings.Contains(body, `id="sign-form"`) {
		t.Error("someone other than the responsible person is offered the sign form")
	}
	if _, err := h.web.Registry.PublishTemplate(as("security_officer"), "新版承诺书", "New statement"); err != nil {
		t.Fatal(err)
	}
	resp, body := h.do("POST", path+"/sign", h.secrets["member"], url.Values{"full_name": {"member"}, "language": {"zh-CN"}, "sha256": {oldSHA}})
	if resp.StatusCode != 400 || !strings.Contains(body, "新版承诺书") || !strings.Contains(body, `class="form-error"`) {
		t.Fatalf("signing the old text: %d", resp.StatusCode)
	}
	newSum := sha256.Sum256([]byte("新版承诺书"))
	form := url.Values{"full_name": {"someone"}, "language": {"zh-CN"}, "sha256": {hex.EncodeToString(newSum[:])}}
	if resp, body = h.do("POST", path+"/sign", h.secrets["member"], form); resp.StatusCode != 400 || !strings.Contains(body, `id="e-full_name"`) {
		t.Fatalf("a name that is not the real name: %d", resp.StatusCode)
	}
	form.Set("full_name", "member")
	if resp, _ = h.do("POST", path+"/sign", h.secrets["member"], form); resp.StatusCode != 303 {
		t.Fatalf("sign: %d", resp.StatusCode)
	}
	if _, body = h.do("GET", path, h.secrets["member"], nil); !strings.Contains(body, "第 2 版") {
		t.Error("the group page does not show the signature of version 2")
	}
}
