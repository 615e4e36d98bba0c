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

	"charter/internal/registry"
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

// user makes an account (with -admin, an administrator) and signs it in;
// the answer is its access token.
func (h *homeserver) user(name string, flags ...string) string {
	h.t.Helper()
	h.run("create-account", append([]string{"-config", "dendrite.yaml", "-url", h.URL, "-username", name, "-password", "password-" + name}, flags...)...)
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
	officer := in.officer(admin)

	first := hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "这份文件是机密，请勿外传"})
	hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "测试环境的 key: AKIAZ3MSJV4WWNKWW5FG"})
	hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.file", "body": "预算表.xlsx", "url": "mxc://localhost/abc", "info": map[string]any{"size": 2048}})

	// The homeserver delivers as people write; wait for the three messages.
	// (The room's own creation and names are system lines; they may have
	// arrived before or after the binding.)
	var found searchAnswer
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var all searchAnswer
		must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d", gid), officer, nil, &all), 200, "search")
		found = searchAnswer{}
		for _, it := range all.Items {
			if it.Kind != "system" {
				found.Items = append(found.Items, it)
			}
		}
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

	// The room's facts: someone outside the registry makes a room and asks
	// the owner in. It is known, and alerted on, from its creation, before
	// anyone writes there; the alert says that the room exists, not what
	// was said. A one-to-one conversation is no group and raises nothing.
	stranger := hs.user("stranger.mx")
	var side, dm struct {
		RoomID string `json:"room_id"`
	}
	hs.call("POST", "/_matrix/client/v3/createRoom", stranger, map[string]any{"name": "私下小群", "invite": []string{"@owner.mx:localhost"}}, &side)
	hs.call("POST", "/_matrix/client/v3/createRoom", stranger, map[string]any{"is_direct": true, "preset": "trusted_private_chat", "invite": []string{"@owner.mx:localhost"}}, &dm)
	type alertRow struct {
		ID      int64  `json:"id"`
		Rule    string `json:"rule"`
		RoomID  string `json:"room_id"`
		Excerpt string `json:"excerpt"`
	}
	alertOn := func(rule, roomID string) *alertRow {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var as struct{ Items []alertRow }
			must(in.call("GET", "/api/v1/alerts?status=open", officer, nil, &as), 200, "alerts")
			for i := range as.Items {
				if as.Items[i].Rule == rule && as.Items[i].RoomID == roomID {
					return &as.Items[i]
				}
			}
		}
		return nil
	}
	if a := alertOn("registry.unregistered_room", side.RoomID); a == nil || a.Excerpt != "system" {
		t.Errorf("unregistered room at its creation: %+v, want an alert with no content", a)
	}
	inventory := func(until func(map[string]registry.Room) bool) map[string]registry.Room {
		t.Helper()
		inv := map[string]registry.Room{}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var rooms struct{ Items []registry.Room }
			must(in.call("GET", "/api/v1/rooms?platform=matrix", officer, nil, &rooms), 200, "rooms")
			for _, r := range rooms.Items {
				inv[r.RoomID] = r
			}
			if until(inv) {
				break
			}
		}
		return inv
	}
	inv := inventory(func(inv map[string]registry.Room) bool { return inv[dm.RoomID].Direct })
	if r := inv[side.RoomID]; r.Creator != "@stranger.mx:localhost" || r.Name != "私下小群" || r.GroupID != 0 || r.CreatedAt == nil {
		t.Errorf("inventory of the unregistered room: %+v", r)
	}
	if r := inv[dm.RoomID]; !r.Direct || inv[room.RoomID].GroupID != gid {
		t.Errorf("inventory: direct room %+v, registered room %+v", r, inv[room.RoomID])
	}
	var dmAlerts struct{ Items []alertRow }
	must(in.call("GET", "/api/v1/alerts?status=open", officer, nil, &dmAlerts), 200, "alerts")
	for _, a := range dmAlerts.Items {
		if a.RoomID == dm.RoomID {
			t.Errorf("a one-to-one conversation has an open alert: %+v", a)
		}
	}

	// In the registered room: the stranger is invited, joins (the registry
	// does not know them: an alert before they write), and is removed; the
	// owner turns encryption on, which ends what Charter can archive.
	hs.call("POST", "/_matrix/client/v3/rooms/"+room.RoomID+"/invite", owner, map[string]string{"user_id": "@stranger.mx:localhost"}, nil)
	hs.call("POST", "/_matrix/client/v3/join/"+room.RoomID, stranger, map[string]any{}, nil)
	if a := alertOn("registry.non_member_sender", room.RoomID); a == nil {
		t.Error("a stranger joined the registered room and no alert was raised")
	}
	hs.call("POST", "/_matrix/client/v3/rooms/"+room.RoomID+"/kick", owner, map[string]string{"user_id": "@stranger.mx:localhost", "reason": "不是本组成员"}, nil)
	hs.call("PUT", "/_matrix/client/v3/rooms/"+room.RoomID+"/state/m.room.encryption/", owner, map[string]string{"algorithm": "m.megolm.v1.aes-sha2"}, nil)
	if a := alertOn("registry.encrypted_room", room.RoomID); a == nil {
		t.Error("encryption turned on in a registered room raised no alert")
	}
	var timeline struct{ Items []registry.RoomMembership }
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		timeline.Items = nil
		must(in.call("GET", fmt.Sprintf("/api/v1/groups/%d/room-members", gid), officer, nil, &timeline), 200, "room members")
		if len(timeline.Items) >= 4 {
			break
		}
	}
	var got []string
	for _, m := range timeline.Items {
		got = append(got, m.Member+" "+m.Membership)
	}
	if want := "@owner.mx:localhost join|@stranger.mx:localhost invite|@stranger.mx:localhost join|@stranger.mx:localhost kick"; strings.Join(got, "|") != want {
		t.Errorf("the room's member timeline %q, want %q", got, want)
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
	texts := 0
	for _, it := range again.Items {
		if it.Kind != "system" {
			texts++
		}
	}
	if texts != 5 {
		t.Errorf("%d messages after the replays and the redaction, want 5", texts)
	}
	for _, it := range again.Items {
		if it.SourceID == first && (!it.Recalled || !strings.Contains(it.Text, "机密")) {
			t.Errorf("the redacted message %+v, want it recalled with its text kept", it)
		}
	}
}

// TestMatrixEnforcement: a security officer turns enforcement on; a room
// made outside the registry gets Charter's server notice to its member,
// and once the grace period has passed it is closed through the
// homeserver's admin API. Each action is on the room's alert and in the
// audit trail; a registered room is left alone.
func TestMatrixEnforcement(t *testing.T) {
	dendriteBin(t)
	in := startCharter(t, "sqlite", "--scheduler-every", "200ms")
	admin := in.login("admin", testAdminPassword)
	addr, reg := freeAddr(t), filepath.Join(t.TempDir(), "charter-appservice.yaml")
	if out, errOut, err := in.cli("matrix register", "--homeserver-url", "http://"+addr, "--server-name", "localhost", "--charter-url", in.URL, "--out", reg); err != nil {
		t.Fatalf("matrix register: %v %s %s", err, out, errOut)
	}
	hs := startDendrite(t, addr, reg)
	hsAdmin := hs.user("hs.admin", "-admin")
	tokenFile := filepath.Join(t.TempDir(), "admin-token")
	os.WriteFile(tokenFile, []byte(hsAdmin+"\n"), 0o600)

	// Off by default: a room outside the registry only raises its alert.
	alice := hs.user("alice.mx")
	var shadow, work struct {
		RoomID string `json:"room_id"`
	}
	hs.call("POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"name": "影子群"}, &shadow)
	hs.call("POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"name": "登记的群"}, &work)
	in.registeredGroupOn(admin, "mx", "matrix", work.RoomID)

	if _, errOut, err := in.cli("matrix enforce", "--notice", "--close-after", "2s"); err == nil || !strings.Contains(err.Error()+errOut, "admin_token") {
		t.Errorf("enforcement without the admin token: %v %s, want admin_token named", err, errOut)
	}
	out, errOut, err := in.cli("matrix enforce", "--notice", "--close-after", "2s", "--admin-token-file", tokenFile)
	if err != nil || !strings.Contains(out, `"close_after": "2s"`) || strings.Contains(out, hsAdmin) {
		t.Fatalf("matrix enforce: %v %s %s (the token must not be shown)", err, out, errOut)
	}

	// The notice, then the closing, recorded on the alert.
	officer := in.officer(admin)
	var alert struct {
		ID      int64
		RoomID  string `json:"room_id"`
		Actions []struct{ Action, Target, Result string }
	}
	var alerts struct {
		Items []struct {
			ID     int64
			Rule   string
			RoomID string `json:"room_id"`
		}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(alert.Actions) < 2; time.Sleep(200 * time.Millisecond) {
		in.call("GET", "/api/v1/alerts?rule=registry.unregistered_room", officer, nil, &alerts)
		for _, a := range alerts.Items {
			if a.RoomID == shadow.RoomID {
				in.call("GET", fmt.Sprintf("/api/v1/alerts/%d", a.ID), officer, nil, &alert)
			}
		}
	}
	got := map[string]string{}
	for _, x := range alert.Actions {
		got[x.Action+" "+x.Target] = x.Result
	}
	if got["matrix.notice @alice.mx:localhost"] != "ok" || got["matrix.close "+shadow.RoomID] != "ok" || len(alert.Actions) != 2 {
		t.Fatalf("actions on the alert %+v\n%s", alert.Actions, hs.log.String())
	}

	// On the homeserver: the notice reached Alice, and she is out of the
	// closed room, still in the registered one.
	var sync map[string]any
	hs.call("GET", "/_matrix/client/v3/sync", alice, nil, &sync)
	raw, _ := json.Marshal(sync)
	if !strings.Contains(string(raw), "@_server:localhost") {
		t.Errorf("no server notice in Alice's sync: %s", raw)
	}
	var joined struct {
		JoinedRooms []string `json:"joined_rooms"`
	}
	hs.call("GET", "/_matrix/client/v3/joined_rooms", alice, nil, &joined)
	rooms := strings.Join(joined.JoinedRooms, " ")
	if strings.Contains(rooms, shadow.RoomID) || !strings.Contains(rooms, work.RoomID) {
		t.Errorf("Alice's rooms after enforcement: %s; want out of %s, still in %s", rooms, shadow.RoomID, work.RoomID)
	}
	var trail struct{ Items []struct{ Action string } }
	in.call("GET", "/api/v1/audit?limit=200", officer, nil, &trail)
	actions := ""
	for _, e := range trail.Items {
		actions += e.Action + " "
	}
	for _, want := range []string{"matrix.enforcement", "matrix.notice", "matrix.close"} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit trail has no %s: %s", want, actions)
		}
	}
}

// TestMatrixBackfillOnBind: a room is bound to a registered group;
// Charter's bot joins it and fetches its history back to the group's
// planned establishment: what was delivered live is stored once, and a
// redaction the homeserver did not deliver (Dendrite passes none to
// application services) is taken as the recall it is.
func TestMatrixBackfillOnBind(t *testing.T) {
	dendriteBin(t)
	in := startCharter(t, "sqlite", "--scheduler-every", "200ms")
	admin := in.login("admin", testAdminPassword)
	addr, reg := freeAddr(t), filepath.Join(t.TempDir(), "charter-appservice.yaml")
	if out, errOut, err := in.cli("matrix register", "--homeserver-url", "http://"+addr, "--server-name", "localhost", "--charter-url", in.URL, "--out", reg); err != nil {
		t.Fatalf("matrix register: %v %s %s", err, out, errOut)
	}
	gid := in.registeredGroupOn(admin, "mx", "matrix") // planned now; bound below
	must := func(code, want int, what string) {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d, want %d", what, code, want)
		}
	}
	officer := in.officer(admin)

	// Before the binding: the room and what was said in it, delivered
	// live into an unregistered room; then one message is redacted, which
	// Dendrite does not deliver.
	hs := startDendrite(t, addr, reg)
	owner := hs.user("owner.mx")
	var room struct {
		RoomID string `json:"room_id"`
	}
	hs.call("POST", "/_matrix/client/v3/createRoom", owner, map[string]any{"name": "项目组", "preset": "public_chat"}, &room)
	first := hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "早先的消息"})
	live := hs.send(owner, room.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": "旧的 key: AKIAZ3MSJV4WWNKWW5FH 的消息"})
	// (An unregistered room's messages are not searchable: its alert shows
	// they arrived.)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var as struct {
			Items []struct {
				SourceIDs []string `json:"source_ids"`
			}
		}
		must(in.call("GET", "/api/v1/alerts?rule=registry.unregistered_room", officer, nil, &as), 200, "alerts")
		if len(as.Items) == 1 && strings.Contains(strings.Join(as.Items[0].SourceIDs, " "), live) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the messages were not delivered\n%s", hs.log.String())
		}
	}
	hs.call("PUT", fmt.Sprintf("/_matrix/client/v3/rooms/%s/redact/%s/r1", room.RoomID, live), owner, map[string]string{"reason": "撤回"}, nil)

	must(in.call("POST", "/api/v1/users/owner.mx/handles", admin, map[string]string{"platform": "matrix", "handle": "@owner.mx:localhost"}, nil), 201, "handle")
	must(in.call("POST", fmt.Sprintf("/api/v1/groups/%d/bindings", gid), in.login("owner.mx", "password-owner.mx"), map[string]string{"platform": "matrix", "room_id": room.RoomID}, nil), 201, "bind")
	// The history fetched: the redaction, now in the group, recalls the
	// message; what was delivered before is not stored again.
	var group searchAnswer
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		group = searchAnswer{}
		must(in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d&limit=200", gid), officer, nil, &group), 200, "search")
		if strings.Contains(fmt.Sprint(group.Items), "revoke") || time.Now().After(deadline) {
			break
		}
	}
	kinds := map[string]int{}
	for _, it := range group.Items {
		kinds[it.Kind]++
		if it.SourceID == first || it.SourceID == live {
			t.Errorf("a message delivered before the binding was stored again: %+v", it)
		}
	}
	if kinds["revoke"] != 1 {
		t.Fatalf("the group's messages after the backfill %v, want the redaction the homeserver did not deliver\n%s", kinds, in.stderr.String())
	}
	// The bot's join is in the room's timeline, and raised no alert.
	var timeline struct {
		Items []struct{ Member, Membership string }
	}
	must(in.call("GET", fmt.Sprintf("/api/v1/groups/%d/room-members", gid), officer, nil, &timeline), 200, "room members")
	if fmt.Sprint(timeline.Items) != "[{@owner.mx:localhost join} {@charter:localhost join}]" {
		t.Errorf("room members %v, want the owner and Charter's bot", timeline.Items)
	}
	var bad struct{ Items []struct{ Rule string } }
	must(in.call("GET", "/api/v1/alerts?rule=registry.non_member_sender", officer, nil, &bad), 200, "alerts")
	for range bad.Items {
		t.Errorf("an alert on a sender after the bot joined: %+v (Charter's bot is no member to judge)", bad.Items)
		break
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
	officer := in.officer(admin)
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
