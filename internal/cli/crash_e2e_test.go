package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"charter/internal/store/storetest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// charterBinary builds cmd/charter once per test run, as a user builds it.
func charterBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "charter-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "charter")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "charter/cmd/charter").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is `charter serve` run as its own process, so a test can kill it
// with SIGKILL.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
	url  string
}

func startProc(t *testing.T, bin string, storage []string, env ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--scheduler-every", "1h", "--scan-lease", "2s", "--scan-every", "100ms"}, storage...)
	p := &proc{cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), append([]string{"CHARTER_ADMIN_PASSWORD=" + testAdminPassword}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	re := regexp.MustCompile(`serving on (http://[0-9.:]+)`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("charter serve exited: %v\n%s", err, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("charter serve did not start:\n%s", p.out.String())
		}
	}
}

// kill sends SIGKILL (if still running) and waits for the process to end.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(30 * time.Second):
	}
}

// crashStream is the operator's delivery: two connections, each posting its
// batches of 5,000 normalized messages in order; every 100th message
// carries its own AWS access key id.
type crashStream struct {
	token   string
	batches [2][][]byte
	keys    map[string]bool // source ids of the messages with a key
	total   int
}

const (
	crashConns   = 2
	crashBatches = 4
	crashBatch   = 5000
)

func newCrashStream(sender string) *crashStream {
	s := &crashStream{keys: map[string]bool{}}
	at := time.Now().UTC().Add(-time.Hour)
	n := 0
	for c := 0; c < crashConns; c++ {
		for b := 0; b < crashBatches; b++ {
			var buf bytes.Buffer
			for i := 0; i < crashBatch; i++ {
				n++
				id := fmt.Sprintf("crash-%d-%d-%d", c, b, i)
				text := fmt.Sprintf("第%d条，明天开会", n)
				if n%100 == 0 {
					text = fmt.Sprintf("测试服务器的 key 是 AKIA%016d", n)
					s.keys[id] = true
				}
				fmt.Fprintf(&buf, `{"platform":"wecom","source_id":%q,"room_id":"wrCrash","sender":%q,"sent_at":%q,"kind":"text","text":%q}`+"\n",
					id, sender, at.Add(time.Duration(n)*time.Millisecond).Format(time.RFC3339Nano), text)
			}
			s.batches[c] = append(s.batches[c], buf.Bytes())
		}
	}
	s.total = n
	return s
}

// deliver posts every batch on both connections and returns how many were
// answered 200; a connection stops at its first failure (the server died).
// answered, if not nil, is called after each success.
func (s *crashStream) deliver(url string, answered func()) (ok int, failures []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := 0; c < crashConns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for _, body := range s.batches[c] {
				req, _ := http.NewRequest("POST", url+"/api/v1/ingest/messages", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+s.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == 200 {
					ok++
				} else {
					failures = append(failures, fmt.Sprintf("%d %s", resp.StatusCode, data))
				}
				mu.Unlock()
				if resp.StatusCode != 200 {
					return
				}
				if answered != nil {
					answered()
				}
			}
		}(c)
	}
	wg.Wait()
	return ok, failures
}

// TestSurvivesSIGKILL streams 40,000 messages from two connections into the
// real binary, kills it with SIGKILL between an archive commit and its scan
// and again at an arbitrary moment mid-stream, restarts it, delivers
// everything again, and finds every message archived once and every key
// alerted exactly once, on both engines.
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := charterBinary(t)
	eachEngine(t, func(t *testing.T, engine string) {
		storage := []string{"--data", t.TempDir()}
		if engine == "postgres" {
			storage = append(storage, "--database-url", storetest.PostgresURL(t))
		}
		// Set-up: a registered group bound to the room, its responsible
		// person's handle, an ingest token and a security officer.
		p := startProc(t, bin, storage)
		in := &instance{t: t, URL: p.url}
		admin := in.login("admin", testAdminPassword)
		in.registeredGroup(admin, "Crash", "wrCrash")
		if code := in.call("POST", "/api/v1/users/owner.crash/handles", admin, map[string]string{"platform": "wecom", "handle": "crash-owner"}, nil); code != 201 {
			t.Fatalf("handle: %d", code)
		}
		if code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "sec.crash", "password": "password-sec.crash", "real_name": "保密员",
			"org_unit": "unit-crash", "verified": true, "roles": []map[string]string{{"role": "security_officer"}}}, nil); code != 201 {
			t.Fatalf("security officer: %d", code)
		}
		var tok struct{ Token string }
		if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "crash", "scope": "ingest"}, &tok); code != 201 {
			t.Fatalf("token: %d", code)
		}
		s := newCrashStream("crash-owner")
		s.token = tok.Token
		p.kill()

		// 1. The eighth archived chunk is committed and the process dies
		// before scanning it.
		p = startProc(t, bin, storage, "CHARTER_TEST_KILL_BEFORE_SCAN=8")
		ok, fails := s.deliver(p.url, nil)
		p.kill()
		if len(fails) == 0 {
			t.Fatalf("the process was to die mid-stream; %d batches answered", ok)
		}
		t.Logf("run 1: %d batches answered before the kill between commit and scan", ok)

		// 2. Everything again; SIGKILL after three more answers.
		p = startProc(t, bin, storage)
		var once sync.Once
		var n int
		var mu sync.Mutex
		ok, _ = s.deliver(p.url, func() {
			mu.Lock()
			n++
			if n == 3 {
				once.Do(func() { _ = p.cmd.Process.Signal(syscall.SIGKILL) })
			}
			mu.Unlock()
		})
		p.kill()
		t.Logf("run 2: %d batches answered before SIGKILL", ok)

		// 3. Everything again, to the end.
		p = startProc(t, bin, storage)
		if ok, fails := s.deliver(p.url, nil); ok != crashConns*crashBatches {
			t.Fatalf("run 3: %d of %d batches answered: %v", ok, crashConns*crashBatches, fails)
		}
		in.URL = p.url
		sec := in.login("sec.crash", "password-sec.crash")
		deadline := time.Now().Add(90 * time.Second)
		for {
			var b struct{ Queued, Failed int64 }
			if code := in.call("GET", "/api/v1/detection/backlog", sec, nil, &b); code != 200 {
				t.Fatalf("backlog: %d", code)
			}
			if b.Queued == 0 && b.Failed == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("detection did not catch up: %+v\n%s", b, p.out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}

		seen := map[string]int{}
		alerts := 0
		next := ""
		for {
			var page struct {
				Items []struct {
					Rule      string
					Count     int
					SourceIDs []string `json:"source_ids"`
				}
				Next string
			}
			path := "/api/v1/alerts?category=credential&limit=500"
			if next != "" {
				path += "&before=" + next
			}
			if code := in.call("GET", path, sec, nil, &page); code != 200 {
				t.Fatalf("alerts: %d", code)
			}
			for _, a := range page.Items {
				alerts++
				if a.Rule != "credential.aws_access_key" || a.Count != 1 || len(a.SourceIDs) != 1 {
					t.Errorf("alert %+v: want one AWS key alert per message", a)
					continue
				}
				seen[a.SourceIDs[0]]++
			}
			if page.Next == "" {
				break
			}
			next = page.Next
		}
		missing := 0
		for id := range s.keys {
			if seen[id] != 1 {
				missing++
			}
		}
		if alerts != len(s.keys) || missing != 0 {
			t.Fatalf("%d credential alerts for %d key messages; %d key messages without exactly one alert", alerts, len(s.keys), missing)
		}
		p.kill()

		out, err := exec.Command(bin, append([]string{"verify"}, storage...)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), fmt.Sprintf("archive: %d messages", s.total)) {
			t.Fatalf("verify: %v\n%s", err, out)
		}
	})
}

// TestOverflowAmountsStopNothing delivers transfers of the largest 64-bit
// amount: they are refused with their line and field, a credential another
// member posts in the next batch from the same sender is alerted, and the
// quarter's reports are generated for every group.
func TestOverflowAmountsStopNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--scheduler-every", "1h")
		admin := in.login("admin", testAdminPassword)
		in.registeredGroup(admin, "Money", "wrMoney")
		in.registeredGroup(admin, "Other", "wrOther")
		if code := in.call("POST", "/api/v1/users/owner.money/handles", admin, map[string]string{"platform": "wecom", "handle": "money-owner"}, nil); code != 201 {
			t.Fatalf("handle: %d", code)
		}
		var tok struct{ Token string }
		if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "m", "scope": "ingest"}, &tok); code != 201 {
			t.Fatalf("token: %d", code)
		}
		at := time.Now().UTC().Add(-time.Hour)
		line := func(id, sender, kind, text, extra string) string {
			at = at.Add(time.Second)
			return fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":"wrMoney","sender":%q,"sent_at":%q,"kind":%q,"text":%q%s}`,
				id, sender, at.Format(time.RFC3339), kind, text, extra)
		}
		huge := `,"transfer":{"amount_fen":9223372036854775807,"type":"transfer"}`
		var res struct {
			Accepted    int
			ScanPending int `json:"scan_pending"`
			Rejected    []struct {
				Line  int
				Error string
			}
		}
		body := line("o1", "money-owner", "transfer", "", huge) + "\n" + line("o2", "money-owner", "transfer", "", huge) + "\n"
		if code := in.call("POST", "/api/v1/ingest/messages", tok.Token, body, &res); code != 200 || res.Accepted != 0 || len(res.Rejected) != 2 ||
			res.Rejected[1].Line != 2 || !strings.Contains(res.Rejected[1].Error, "transfer.amount_fen") {
			t.Fatalf("huge amounts: %d %+v", code, res)
		}
		body = line("o3", "money-owner", "transfer", "", `,"transfer":{"amount_fen":5000,"type":"transfer"}`) + "\n" +
			line("o4", "stranger", "text", "the staging key is AKIA7100000000000042", "") + "\n"
		if code := in.call("POST", "/api/v1/ingest/messages", tok.Token, body, &res); code != 200 || res.Accepted != 2 || res.ScanPending != 0 {
			t.Fatalf("next batch: %d %+v", code, res)
		}
		out, errOut, err := in.cli("rescan", "--from", at.Add(-time.Hour).Format(time.RFC3339), "--to", at.Add(time.Hour).Format(time.RFC3339))
		if err != nil || !strings.Contains(out, "rescanned 2 messages: 0 new alerts") {
			t.Fatalf("rescan: %v\n%s\n%s", err, out, errOut)
		}
		var alerts struct{ Items []struct{ Rule string } }
		if code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "rev.money", "password": "password-rev.money", "real_name": "审核员",
			"org_unit": "unit-money", "verified": true, "roles": []map[string]string{{"role": "reviewer"}}}, nil); code != 201 {
			t.Fatalf("reviewer: %d", code)
		}
		rev := in.login("rev.money", "password-rev.money")
		if code := in.call("GET", "/api/v1/alerts?category=credential", rev, nil, &alerts); code != 200 || len(alerts.Items) != 1 {
			t.Fatalf("credential alerts: %d %+v", code, alerts)
		}
		quarter := fmt.Sprintf("%d-Q%d", time.Now().Year(), (int(time.Now().Month())+2)/3)
		out, errOut, err = in.cli("report generate", "--period", quarter)
		if err != nil || !strings.Contains(out, "2 reports created") {
			t.Fatalf("report generate: %v\n%s\n%s", err, out, errOut)
		}
	})
}
