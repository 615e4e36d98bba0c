package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dendriteBin is the folder of the Dendrite binaries .ci/run builds
// (CHARTER_DENDRITE_BIN, else .cache/dendrite/bin in the checkout).
func dendriteBin(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CHARTER_DENDRITE_BIN")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "..", ".cache", "dendrite", "bin"))
	}
	for _, b := range []string{"dendrite", "generate-keys", "generate-config", "create-account"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Skipf("no Dendrite homeserver in %s (.ci/run builds it: GOBIN=%s go install github.com/matrix-org/dendrite/cmd/{dendrite,generate-keys,generate-config,create-account}@v0.13.8)", dir, dir)
		}
	}
	return dir
}

// homeserver is a Dendrite run for one test, with Charter's registration.
type homeserver struct {
	t        testing.TB
	bin, dir string
	URL      string
	log      *syncBuffer
}

// freeAddr is a local address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startDendrite runs a homeserver for server name "localhost" on addr in its
// own directory, federation and registration off, with the
// application-service registration file reg; it is stopped when t ends.
// edits are further changes to the generated dendrite.yaml, pairs of text
// and its replacement.
func startDendrite(t testing.TB, addr, reg string, edits ...string) *homeserver {
	t.Helper()
	h := &homeserver{t: t, bin: dendriteBin(t), dir: t.TempDir()}
	h.run("generate-keys", "--private-key", "matrix_key.pem")
	conf := h.run("generate-config", "-ci", "-dir", h.dir, "-server", "localhost")
	edits = append([]string{
		"  disable_federation: false", "  disable_federation: true",
		"    enable_outbound: true", "    enable_outbound: false",
		"  registration_disabled: false", "  registration_disabled: true",
		"  config_files: []", "  config_files: [" + reg + "]",
	}, edits...)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(conf, edits[i]) {
			t.Fatalf("dendrite.yaml has no %q", edits[i])
		}
		conf = strings.Replace(conf, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "dendrite.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(h.bin, "dendrite"), "-config", "dendrite.yaml", "-http-bind-address", addr, "-https-bind-address", "")
	cmd.Dir = h.dir
	h.log = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = h.log, h.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	h.URL = "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(h.URL + "/_matrix/client/versions"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dendrite did not start:\n%s", h.log.String())
		}
	}
}

func (h *homeserver) run(name string, args ...string) string {
	h.t.Helper()
	cmd := exec.Command(filepath.Join(h.bin, name), args...)
	cmd.Dir = h.dir // create-account finds the key file relative to it
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("%s: %v %s", name, err, out)
	}
	return string(out)
}

// user makes an account and signs it in; the answer is its access token.
func (h *homeserver) user(name string) string {
	h.t.Helper()
	h.run("create-account", "-config", "dendrite.yaml", "-url", h.URL, "-username", name, "-password", "password-"+name)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	h.call("POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": name}, "password": "password-" + name}, &out)
	return out.AccessToken
}

func (h *homeserver) call(method, path, token string, body, out any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, h.URL+path, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var e bytes.Buffer
		e.ReadFrom(resp.Body)
		h.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, e.String())
	}
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
}

// send sends an event to a room as token's user and returns its event ID.
func (h *homeserver) send(token, room, typ string, content map[string]any) string {
	h.t.Helper()
	var out struct {
		EventID string `json:"event_id"`
	}
	h.call("PUT", fmt.Sprintf("/_matrix/client/v3/rooms/%s/send/%s/t%d", room, typ, time.Now().UnixNano()), token, content, &out)
	return out.EventID
}

// TestMatrixLiveCapture: Charter registered as an application service of a
// real Dendrite homeserver archives what people write in a registered room
// as they write it — text, a file, a redaction as a recall — and alerts on
// a credential, with no glue of the organization's own; a call without the
// homeserver's token is refused, and a transaction delivered again stores
// nothing twice.
func TestMatrixLiveCapture(t *testing.T) {
	dendriteBin(t)
	in := startCharter(t, "sqlite")
	admin := in.login("admin", testAdminPassword)
	must := func(code, want int, what string) {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d, want %d", what, code, want)
		}
	}

	// Register Charter, then start the homeserver with the file it wrote.
	addr, reg := freeAddr(t), filepath.Join(t.TempDir(), "charter-appservice.yaml")
	out, errOut, err := in.cli("matrix register", "--homeserver-url", "http://"+addr, "--server-name", "localhost", "--charter-url", in.URL, "--out", reg)
	if err != nil || !strings.Contains(out, "wrote "+reg) {
		t.Fatalf("matrix register: %v %s %s", err, out, errOut)
	}
	file, _ := os.ReadFile(reg)
	m := hsTokenLine.FindSubmatch(file)
	if m == nil || !bytes.Contains(file, []byte(`url: "`+in.URL+`"`)) || !bytes.Contains(file, []byte(`regex: "!.*"`)) {
		t.Fatalf("registration:\n%s", file)
	}
	hsToken := string(m[1])
	if fi, _ := os.Stat(reg); fi.Mode().Perm() != 0o600 {
		t.Errorf("registration mode %v, want 0600 (it holds the tokens)", fi.Mode().Perm())
	}
	hs := startDendrite(t, addr, reg)

	// A registered work group bound to a Matrix room; its responsible
	// person writes from the Matrix account her handle names.
	owner := hs.user("owner.mx")
	var room struct {
		RoomID string `json:"room_id"`
	}
	hs.call("POST", "/_matrix/client/v3/createRoom", owner, map[string]any{"name": "财务处工作群"}, &room)
	gid := in.registeredGroupOn(admin, "mx", "matrix", room.RoomID)
	must(in.call("POST", "/api/v1/users/owner.mx/handles", admin, map[string]string{"platform": "matrix", "handle": "@owner.mx:localhost"}, nil), 201, "handle")
	must(in.call("POST", "/api/v1/users", admin, map[string]any{"username": "bao.mi", "password": "password-bao.mi", "real_name": "鲍敏",
		"roles": []map[string]string{{"role": "security_officer"}, {"role": "reviewer"}}}, nil), 201, "officer")
	officer := in.login("bao.mi", "password-bao.mi")

	first := hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "这份文件是机密，请勿外传"})
	hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "测试环境的 key: AKIAZ3MSJV4WWNKWW5FG"})
	hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.file", "body": "预算表.xlsx", "url": "mxc://localhost/abc", "info": map[string]any{"size": 2048}})

	// The homeserver delivers as people write; wait for the three messages.
	var found searchAnswer
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		found = searchAnswer{}
		must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d", gid), officer, nil, &found), 200, "search")
		if len(found.Items) >= 3 || time.Now().After(deadline) {
			break
		}
	}
	kinds := map[string]string{}
	for _, it := range found.Items {
		kinds[it.Kind] += it.Text + "|"
		if it.RoomID != room.RoomID || it.Sender != "@owner.mx:localhost" || *it.GroupID != gid {
			t.Errorf("archived %+v, want the room's group and sender", it)
		}
	}
	if len(found.Items) != 3 || !strings.Contains(kinds["text"], "机密") || !strings.Contains(kinds["text"], "AKIAZ3MSJV4WWNKWW5FG") || !strings.Contains(kinds["file"], "预算表.xlsx") {
		t.Fatalf("archived %d: %v\n%s", len(found.Items), kinds, hs.log.String())
	}

	// Detection ran on them as on any capture.
	var alerts struct{ Items []struct{ Rule string } }
	must(in.call("GET", "/api/v1/alerts?status=open", officer, nil, &alerts), 200, "alerts")
	rules := ""
	for _, a := range alerts.Items {
		rules += a.Rule + " "
	}
	if !strings.Contains(rules, "credential.aws_access_key") {
		t.Errorf("alerts %q, want credential.aws_access_key", rules)
	}

	// Only the homeserver may push, by its token; the legacy path and the
	// access_token parameter of older servers work too. A transaction sent
	// again stores nothing twice. A redaction recalls its message, text
	// kept (pushed here as Synapse sends it: Dendrite 0.13.8 does not pass
	// redactions to application services).
	put := func(path, auth, body string) int {
		req, _ := http.NewRequest("PUT", in.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := fmt.Sprintf(`{"events":[{"type":"m.room.message","event_id":"$replayed","room_id":%q,"sender":"@owner.mx:localhost","origin_server_ts":%d,"content":{"msgtype":"m.text","body":"再发一次"}}]}`,
		room.RoomID, time.Now().UnixMilli())
	must(put("/_matrix/app/v1/transactions/x1", "", ev), 403, "no token")
	must(put("/_matrix/app/v1/transactions/x1", admin, ev), 403, "a user's token")
	must(put("/_matrix/app/v1/transactions/x1", hsToken, ev), 200, "the homeserver")
	must(put("/_matrix/app/v1/transactions/x1", hsToken, ev), 200, "the same transaction again")
	must(put("/transactions/x2?access_token="+hsToken, "", ev), 200, "the same event in another transaction, legacy path")
	redaction := fmt.Sprintf(`{"events":[{"type":"m.room.redaction","event_id":"$red","room_id":%q,"sender":"@owner.mx:localhost","origin_server_ts":%d,"redacts":%q,"content":{"reason":"发错了"}}]}`,
		room.RoomID, time.Now().UnixMilli(), first)
	must(put("/_matrix/app/v1/transactions/x3", hsToken, redaction), 200, "a redaction")
	var again searchAnswer
	must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d", gid), officer, nil, &again), 200, "search")
	if len(again.Items) != 5 {
		t.Errorf("%d messages after the replays and the redaction, want 5", len(again.Items))
	}
	for _, it := range again.Items {
		if it.SourceID == first && (!it.Recalled || !strings.Contains(it.Text, "机密")) {
			t.Errorf("the redacted message %+v, want it recalled with its text kept", it)
		}
	}
}

var hsTokenLine = regexp.MustCompile(`(?m)^hs_token: "([^"]+)"$`)

// TestMatrixDeliverySurvivesSIGKILL: Charter is killed with SIGKILL while a
// real homeserver delivers what a client writes, and started again on the
// same address; the homeserver retries what was not answered, and every
// message is archived exactly once.
func TestMatrixDeliverySurvivesSIGKILL(t *testing.T) {
	dendriteBin(t)
	bin := charterBinary(t)
	data, addr, hsAddr := t.TempDir(), freeAddr(t), freeAddr(t)
	reg := filepath.Join(t.TempDir(), "charter-appservice.yaml")
	out, err := exec.Command(bin, "matrix", "register", "--data", data, "--homeserver-url", "http://"+hsAddr,
		"--server-name", "localhost", "--charter-url", "http://"+addr, "--out", reg).CombinedOutput()
	if err != nil {
		t.Fatalf("matrix register: %v %s", err, out)
	}
	storage := []string{"--data", data, "--addr", addr}
	p := startProc(t, bin, storage)
	in := &instance{t: t, URL: p.url}
	admin := in.login("admin", testAdminPassword)
	hs := startDendrite(t, hsAddr, reg)
	owner := hs.user("owner.mx")
	var room struct {
		RoomID string `json:"room_id"`
	}
	hs.call("POST", "/_matrix/client/v3/createRoom", owner, map[string]any{"name": "工作群"}, &room)
	gid := in.registeredGroupOn(admin, "mx", "matrix", room.RoomID)

	// 60 messages over about three seconds; Charter is killed after one and
	// is down for another.
	const n = 60
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; i < n; i++ {
			hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("第 %d 条", i)})
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)
	p.kill()
	time.Sleep(time.Second)
	p = startProc(t, bin, storage)
	<-sent

	admin = in.login("admin", testAdminPassword)
	must := func(code, want int, what string) {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d, want %d", what, code, want)
		}
	}
	must(in.call("POST", "/api/v1/users", admin, map[string]any{"username": "bao.mi", "password": "password-bao.mi", "real_name": "鲍敏",
		"roles": []map[string]string{{"role": "security_officer"}}}, nil), 201, "officer")
	officer := in.login("bao.mi", "password-bao.mi")
	var found searchAnswer
	// The homeserver backs off (2 s, 4 s, 8 s ...) before it retries.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		found = searchAnswer{}
		must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d&limit=200", gid), officer, nil, &found), 200, "search")
		if len(found.Items) >= n || time.Now().After(deadline) {
			break
		}
	}
	texts := map[string]int{}
	for _, it := range found.Items {
		texts[it.Text]++
	}
	for i := 0; i < n; i++ {
		if c := texts[fmt.Sprintf("第 %d 条", i)]; c != 1 {
			t.Errorf("message %d archived %d times, want once", i, c)
		}
	}
	if len(found.Items) != n {
		t.Fatalf("%d messages archived, want %d\n%s", len(found.Items), n, hs.log.String())
	}
	if out, err := exec.Command(bin, "verify", "--data", data).CombinedOutput(); err != nil || !strings.Contains(string(out), "chain intact") {
		t.Errorf("verify after the crash: %v %s", err, out)
	}
}
