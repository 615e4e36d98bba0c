package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// PUT /api/v1/attachments/{sha256} answers 201 for a new blob, 200 for one
// already stored, 400 naming sha256 for content of another hash or a bad
// name, 413 above --max-attachment; only new bytes are counted.
func TestPutAttachment(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.api.Cfg.MaxAttachment = 64
	tok := h.creds["token-ingest"]
	const content = "合同扫描件 contract scan"
	sha := sha256Hex(content)
	for _, tc := range []struct {
		name, path, body string
		code             int
		field            string
	}{
		{"Stored", "/api/v1/attachments/" + sha, content, 201, ""},
		{"AlreadyThere", "/api/v1/attachments/" + sha, content, 200, ""},
		{"HashDiffers", "/api/v1/attachments/" + sha256Hex("other"), content, 400, "sha256"},
		{"Uppercase", "/api/v1/attachments/" + strings.ToUpper(sha256Hex("x")), "x", 400, "sha256"},
		{"Traversal", "/api/v1/attachments/..%2F..%2F" + sha[6:], "x", 400, "sha256"},
		{"OverTheLimit", "/api/v1/attachments/" + sha256Hex(strings.Repeat("y", 65)), strings.Repeat("y", 65), 413, ""},
		{"AtTheLimit", "/api/v1/attachments/" + sha256Hex(strings.Repeat("y", 64)), strings.Repeat("y", 64), 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do("PUT", tc.path, tok, tc.body)
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("%d %s, want %d", resp.StatusCode, data, tc.code)
			}
			if tc.field != "" {
				var e errorBody
				if json.Unmarshal(data, &e) != nil || e.Error.Field != tc.field {
					t.Errorf("error %s, want field %s", data, tc.field)
				}
			}
		})
	}
	// Sent chunked, without a Content-Length: the store's own limit answers 413.
	t.Run("OverTheLimitChunked", func(t *testing.T) {
		body := strings.Repeat("z", 100)
		req, err := http.NewRequest("PUT", h.srv.URL+"/api/v1/attachments/"+sha256Hex(body), io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.ContentLength != 0 || resp.StatusCode != 413 {
			t.Fatalf("content length %d: %d, want 413", req.ContentLength, resp.StatusCode)
		}
	})
	var b strings.Builder
	if err := h.api.Metrics.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := len(content) + 64
	if !strings.Contains(b.String(), "charter_attachment_bytes_total "+strconv.Itoa(want)+"\n") {
		t.Errorf("metrics, want charter_attachment_bytes_total %d:\n%s", want, b.String())
	}
}
