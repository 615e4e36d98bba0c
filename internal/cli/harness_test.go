package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/store/storetest"
)

// syncBuffer is a bytes.Buffer safe to write from the server goroutine while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is a whole charter process run in-test: `charter serve` on a free
// port with a temporary data directory (or a fresh PostgreSQL schema).
type instance struct {
	t       testing.TB
	URL     string
	args    []string // the storage flags, for running other commands on the same database
	env     map[string]string
	stdout  *syncBuffer
	stderr  *syncBuffer
	stopped chan error
	cancel  context.CancelFunc
	once    sync.Once // stop may be called by a test (to restart) and again at cleanup
}

const testAdminPassword = "admin-password-for-tests"

// startCharter boots the program on engine ("sqlite" or "postgres").
func startCharter(t testing.TB, engine string, extra ...string) *instance {
	t.Helper()
	return startCharterEnv(t, engine, nil, extra...)
}

// startCharterEnv is startCharter with environment variables (secrets are
// never flags), which the instance's commands see too.
func startCharterEnv(t testing.TB, engine string, env map[string]string, extra ...string) *instance {
	t.Helper()
	args := []string{"--data", t.TempDir()}
	if engine == "postgres" {
		// The data directory still holds the checkpoint key.
		args = []string{"--database-url", storetest.PostgresURL(t), "--data", t.TempDir()}
	}
	in := &instance{t: t, args: args, env: map[string]string{"CHARTER_ADMIN_PASSWORD": testAdminPassword},
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, stopped: make(chan error, 1)}
	for k, v := range env {
		in.env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	serveArgs := append(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), extra...)
	go func() {
		in.stopped <- Run(ctx, serveArgs, &Env{Stdin: strings.NewReader(""), Stdout: in.stdout, Stderr: in.stderr, Getenv: in.getenv})
	}()
	re := regexp.MustCompile(`serving on (http://[0-9.:]+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(in.stdout.String()); m != nil {
			in.URL = m[1]
			break
		}
		select {
		case err := <-in.stopped:
			t.Fatalf("charter serve stopped: %v\n%s", err, in.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("charter serve did not start:\n%s", in.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(in.stop)
	return in
}

func (in *instance) getenv(k string) string {
	if v, ok := in.env[k]; ok {
		return v
	}
	return os.Getenv(k)
}

func (in *instance) stop() { in.once.Do(in.stopNow) }

func (in *instance) stopNow() {
	in.cancel()
	select {
	case err := <-in.stopped:
		if err != nil {
			in.t.Errorf("charter serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		in.t.Error("charter serve did not stop")
	}
}

// cli runs another charter command against the same database: cmd is the
// command and its verbs ("user import"); the storage flags follow them, then args.
func (in *instance) cli(cmd string, args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	all := append(append(strings.Fields(cmd), in.args...), args...)
	err = Run(context.Background(), all, &Env{Stdin: strings.NewReader(""), Stdout: &o, Stderr: &e, Getenv: in.getenv})
	return o.String(), e.String(), err
}

// call sends a JSON request and decodes the JSON answer into out (if not nil).
func (in *instance) call(method, path, token string, body any, out any) int {
	in.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			in.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, in.URL+path, r)
	if err != nil {
		in.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			in.t.Fatalf("%s %s: %d: cannot decode %q: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// login signs in and returns the bearer token.
func (in *instance) login(username, password string) string {
	in.t.Helper()
	var out struct{ Token string }
	if code := in.call("POST", "/api/v1/login", "", map[string]string{"username": username, "password": password}, &out); code != 200 {
		in.t.Fatalf("login %s: %d", username, code)
	}
	return out.Token
}

// officer makes the security officer bao.mi, who is also a reviewer and an
// auditor (reads alerts, resolves them, reads the trail), and signs in.
func (in *instance) officer(admin string) string {
	in.t.Helper()
	if code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "bao.mi", "password": "password-bao.mi", "real_name": "鲍敏",
		"roles": []map[string]string{{"role": "security_officer"}, {"role": "reviewer"}, {"role": "auditor"}}}, nil); code != 201 {
		in.t.Fatalf("officer: %d", code)
	}
	return in.login("bao.mi", "password-bao.mi")
}

// eachEngine runs fn on SQLite and on PostgreSQL.
func eachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { fn(t, engine) })
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func waitFor(t *testing.T, b *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in:\n%s", s, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// registeredGroup makes an active work group through the API — an org unit,
// its responsible person and approver, an application approved, the
// statement signed — and binds rooms (WeCom room ids) to it. Messages from
// those rooms are then a registered group's, which Charter archives,
// searches and scans.
func (in *instance) registeredGroup(admin, name string, rooms ...string) int64 {
	return in.registeredGroupOn(admin, name, "wecom", rooms...)
}

// registeredGroupOn is registeredGroup on platform.
func (in *instance) registeredGroupOn(admin, name, platform string, rooms ...string) int64 {
	in.t.Helper()
	n := strings.NewReplacer(" ", "", "-", "").Replace(strings.ToLower(name))
	unit, owner, head := "unit-"+n, "owner."+n, "head."+n
	must := func(code, want int, what string) {
		in.t.Helper()
		if code != want {
			in.t.Fatalf("%s: %d, want %d", what, code, want)
		}
	}
	must(in.call("POST", "/api/v1/org-units", admin, map[string]string{"name": unit}, nil), 201, "org unit")
	for _, u := range []map[string]any{
		{"username": owner, "password": "password-" + owner, "real_name": "负责人" + n, "org_unit": unit, "verified": true},
		{"username": head, "password": "password-" + head, "real_name": "主任" + n, "org_unit": unit, "verified": true,
			"roles": []map[string]string{{"role": "approver", "org_unit": unit}}},
	} {
		must(in.call("POST", "/api/v1/users", admin, u, nil), 201, "user")
	}
	ot, ht := in.login(owner, "password-"+owner), in.login(head, "password-"+head)
	now := time.Now().UTC()
	var app struct {
		ID      int64 `json:"id"`
		GroupID int64 `json:"group_id"`
	}
	must(in.call("POST", "/api/v1/applications", ot, map[string]any{"name": name, "purpose": "work of " + name, "platform": platform,
		"planned_at": now.Format(time.RFC3339), "expires_at": now.AddDate(1, 0, 0).Format(time.RFC3339),
		"responsible": owner, "level": "internal", "members": []map[string]string{}}, &app), 201, "apply")
	must(in.call("POST", fmt.Sprintf("/api/v1/applications/%d/decision", app.ID), ht, map[string]string{"decision": "approve", "comment": "ok"}, &app), 200, "approve")
	group := fmt.Sprintf("/api/v1/groups/%d", app.GroupID)
	must(in.call("POST", group+"/statement", ot, map[string]string{"full_name": "负责人" + n}, nil), 201, "sign")
	for _, r := range rooms {
		must(in.call("POST", group+"/bindings", ot, map[string]string{"platform": platform, "room_id": r}, nil), 201, "bind "+r)
	}
	return app.GroupID
}
