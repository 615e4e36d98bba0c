package httpapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/archive"
)

// roomOf binds every room to one group.
type roomOf int64

func (g roomOf) View(context.Context) (archive.View, error) { return g, nil }
func (g roomOf) RoomGroup(string, string) (int64, bool)     { return int64(g), true }
func (roomOf) SenderUser(string, string) (string, bool)     { return "", false }

// An export is written to disk under --max-export, never built in memory:
// past the cap it is refused with 413 naming the flag.
func TestExportIsCapped(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.api.Archive.Resolver = roomOf(h.group("member"))
	var body strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&body, `{"platform":"wecom","source_id":"e-%d","room_id":"r","sender":"s","sent_at":"2026-11-20T08:00:00Z","kind":"text","text":"机密 %s"}`+"\n", i, strings.Repeat("文", 100))
	}
	if res, err := h.api.Archive.Ingest(context.Background(), strings.NewReader(body.String()), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != 300 {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	officer := h.creds["security_officer"]
	resp := h.do("POST", "/api/v1/exports", officer, `{"q":"机密"}`)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export under the cap: %d", resp.StatusCode)
	}
	h.api.Cfg.MaxExportBytes = 10_000
	resp = h.do("POST", "/api/v1/exports", officer, `{"q":"机密"}`)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(b), "--max-export") {
		t.Fatalf("export over the cap: %d %s", resp.StatusCode, b)
	}
}

// A JSON body trickled in byte by byte no longer holds its connection:
// it must arrive within bodyTimeout.
func TestSlowBodyIsCut(t *testing.T) {
	h := newHarness(t, "sqlite")
	old := bodyTimeout
	bodyTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyTimeout = old })
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"username\":")
	start := time.Now()
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn)
		done <- string(b)
	}()
	// Trickle a byte every 100 ms until the server answers or drops us.
	for i := 0; i < 30; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := conn.Write([]byte(" ")); err != nil {
			break
		}
		select {
		case out := <-done:
			done <- out
		default:
			continue
		}
		break
	}
	select {
	case out := <-done:
		if time.Since(start) > 2*time.Second || !strings.Contains(out, "did not arrive") {
			t.Fatalf("after %s: %q", time.Since(start), out)
		}
		return
	case <-time.After(2 * time.Second):
	}
	t.Fatalf("the trickled body still held its connection after %s", time.Since(start))
}

// An audited read cannot be made by a link: with the session cookie it is
// a POST (which cross-origin protection guards); a bearer token may GET.
func TestAuditedReadsAreNotLinks(t *testing.T) {
	h := newHarness(t, "sqlite")
	secret := h.creds["reviewer"]
	get := func(path string, cookie bool) int {
		req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: secret})
		} else {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/api/v1/messages?q=x", fmt.Sprintf("/api/v1/alerts/%d/context", h.alert())} {
		// (the quarantine listing is the same: see TestQuarantineIsForSecurityOfficers)
		if code := get(path, true); code != 403 {
			t.Errorf("GET %s with the cookie: %d, want 403", path, code)
		}
		if code := get(path, false); code != 200 {
			t.Errorf("GET %s with a bearer: %d, want 200", path, code)
		}
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/messages/search?q=x", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: secret})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("a cross-site POST with the cookie: %d, want 403", resp.StatusCode)
	}
}

// BenchmarkExportMemory exports 50,000 messages through POST
// /api/v1/exports and reports the peak Go heap while it runs: the files go
// to disk and are streamed, so the peak does not grow with the export.
func BenchmarkExportMemory(b *testing.B) {
	h := newHarness(b, "sqlite")
	h.api.Archive.Resolver = roomOf(h.group("member"))
	var body strings.Builder
	for i := 0; i < 50_000; i++ {
		fmt.Fprintf(&body, `{"platform":"wecom","source_id":"b-%d","room_id":"r","sender":"s","sent_at":"2026-11-20T08:00:00Z","kind":"text","text":"机密 第%d条 %s"}`+"\n", i, i, strings.Repeat("文", 60))
	}
	if _, err := h.api.Archive.Ingest(context.Background(), strings.NewReader(body.String()), archive.Batch{Format: "ndjson"}, nil); err != nil {
		b.Fatal(err)
	}
	body.Reset()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	for i := 0; i < b.N; i++ {
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > peak.Load() {
						peak.Store(m.HeapAlloc)
					}
				}
			}
		}()
		resp := h.do("POST", "/api/v1/exports", h.creds["security_officer"], `{"q":"机密"}`)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		close(stop)
		if resp.StatusCode != 200 {
			b.Fatalf("export: %d", resp.StatusCode)
		}
		b.ReportMetric(float64(n)/1e6, "zip-MB")
		b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapAlloc))/1e6, "peak-heap-MB")
	}
}
