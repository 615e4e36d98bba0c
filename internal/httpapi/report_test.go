package httpapi

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestReportDownloadErrors(t *testing.T) {
	h := newHarness(t, "sqlite")
	so := h.creds["security_officer"]
	r := h.report("member")
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{fmt.Sprintf("/api/v1/reports/%d.docx", r.ID), 400, `"field":"format"`},
		{"/api/v1/reports/abc.pdf", 404, "not found"},
		{"/api/v1/reports/999999.pdf", 404, "report 999999 not found"},
		{"/api/v1/reports?status=late", 400, `"field":"status"`},
		{"/api/v1/reports?period=2026-13", 400, `"field":"period"`},
	} {
		resp := h.do("GET", c.path, so, "")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("GET %s: %d %s, want %d with %q", c.path, resp.StatusCode, b, c.status, c.want)
		}
	}
	// Without a Chinese font a PDF is refused with what to install; the other formats still work.
	h.api.Reports.Getenv = func(k string) string {
		if k == "CHARTER_PDF_FONT" {
			return "/nonexistent/font.ttf"
		}
		return ""
	}
	resp := h.do("GET", "/api/v1/roster.pdf", so, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "CHARTER_PDF_FONT") || !strings.Contains(string(b), `"code":"unavailable"`) {
		t.Fatalf("roster.pdf without a font: %d %s", resp.StatusCode, b)
	}
	resp = h.do("GET", "/api/v1/roster.xlsx", so, "")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("roster.xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
