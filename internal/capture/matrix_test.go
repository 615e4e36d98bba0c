package capture

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Events as a homeserver delivers them to an application service (client
// format, spec v1.x; the shapes Dendrite sent in a probe here).
func TestMatrixTransaction(t *testing.T) {
	const room, alice = "!kFtS6yCyiyixhX29:localhost", "@alice:localhost"
	ev := func(typ, id, content string, extra ...string) string {
		return `{"type":"` + typ + `","event_id":"` + id + `","room_id":"` + room + `","sender":"` + alice +
			`","origin_server_ts":1796154447150,"content":` + content + strings.Join(extra, "") + `}`
	}
	cases := []struct {
		name  string
		event string
		kind  Kind   // "" when the event is no message
		text  string // or the field a rejection names
		file  string
	}{
		{"text", ev("m.room.message", "$t", `{"msgtype":"m.text","body":"这份文件是机密"}`), KindText, "这份文件是机密", ""},
		{"notice", ev("m.room.message", "$n", `{"msgtype":"m.notice","body":"系统今晚维护"}`), KindText, "系统今晚维护", ""},
		{"emote", ev("m.room.message", "$e", `{"msgtype":"m.emote","body":"waves"}`), KindText, "waves", ""},
		{"formatted body: the plain body is kept", ev("m.room.message", "$f", `{"msgtype":"m.text","body":"**内部资料**","format":"org.matrix.custom.html","formatted_body":"<b>内部资料</b>"}`), KindText, "**内部资料**", ""},
		{"an edit: the new text", ev("m.room.message", "$ed", `{"msgtype":"m.text","body":"* 改正后","m.new_content":{"msgtype":"m.text","body":"改正后"},"m.relates_to":{"rel_type":"m.replace","event_id":"$t"}}`), KindText, "改正后", ""},
		{"image", ev("m.room.message", "$i", `{"msgtype":"m.image","body":"合同.png","url":"mxc://localhost/abc","info":{"size":2048,"mimetype":"image/png"}}`), KindImage, "合同.png", "合同.png"},
		{"file with a caption", ev("m.room.message", "$c", `{"msgtype":"m.file","body":"预算表请审阅","filename":"预算.xlsx","url":"mxc://localhost/def","info":{"size":10}}`), KindFile, "预算.xlsx\n预算表请审阅", "预算.xlsx"},
		{"audio", ev("m.room.message", "$a", `{"msgtype":"m.audio","body":"voice.ogg","url":"mxc://x/y"}`), KindFile, "voice.ogg", "voice.ogg"},
		{"location", ev("m.room.message", "$l", `{"msgtype":"m.location","body":"三楼会议室","geo_uri":"geo:39.9,116.4"}`), KindOther, "三楼会议室", ""},
		{"redaction", ev("m.room.redaction", "$r", `{}`, `,"redacts":"$t"`), KindRevoke, "", ""},
		{"redaction, room version 11", ev("m.room.redaction", "$r11", `{"redacts":"$t"}`), KindRevoke, "", ""},
		{"room creation: a system line", ev("m.room.create", "$cr", `{"creator":"@alice:localhost"}`, `,"state_key":""`), KindSystem, "@alice:localhost created the room", ""},
		{"a join", ev("m.room.member", "$m", `{"membership":"join"}`, `,"state_key":"@alice:localhost"`), KindSystem, "@alice:localhost joined", ""},
		{"a new display name is no membership change", ev("m.room.member", "$dn", `{"membership":"join","displayname":"A"}`, `,"state_key":"@alice:localhost","unsigned":{"prev_content":{"membership":"join"}}`), "", "", ""},
		{"a kick", ev("m.room.member", "$k", `{"membership":"leave","reason":"离职"}`, `,"state_key":"@bob:localhost"`), KindSystem, "@alice:localhost removed @bob:localhost: 离职", ""},
		{"a leave", ev("m.room.member", "$lv", `{"membership":"leave"}`, `,"state_key":"@alice:localhost"`), KindSystem, "@alice:localhost left", ""},
		{"a ban", ev("m.room.member", "$b", `{"membership":"ban"}`, `,"state_key":"@bob:localhost"`), KindSystem, "@alice:localhost banned @bob:localhost", ""},
		{"an invitation", ev("m.room.member", "$iv", `{"membership":"invite","is_direct":true}`, `,"state_key":"@bob:localhost"`), KindSystem, "@alice:localhost invited @bob:localhost", ""},
		{"a name", ev("m.room.name", "$nm", `{"name":"项目组"}`, `,"state_key":""`), KindSystem, `@alice:localhost named the room "项目组"`, ""},
		{"a topic", ev("m.room.topic", "$tp", `{"topic":"周报"}`, `,"state_key":""`), KindSystem, "@alice:localhost set the topic: 周报", ""},
		{"encryption", ev("m.room.encryption", "$enc", `{"algorithm":"m.megolm.v1.aes-sha2"}`, `,"state_key":""`), KindSystem, "@alice:localhost turned on end-to-end encryption (m.megolm.v1.aes-sha2): later messages cannot be archived", ""},
		{"power levels are passed over", ev("m.room.power_levels", "$pl", `{"users":{}}`, `,"state_key":""`), "", "", ""},
		{"a name that is not a state event is passed over", ev("m.room.name", "$ns", `{"name":"x"}`), "", "", ""},
		{"a membership without a member", ev("m.room.member", "$bad4", `{"membership":"join"}`, `,"state_key":""`), "reject", "state_key", ""},
		{"an unknown membership", ev("m.room.member", "$bad5", `{"membership":"left"}`, `,"state_key":"@alice:localhost"`), "reject", "membership", ""},
		{"encrypted is not readable", ev("m.room.encrypted", "$x", `{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"..."}`), "", "", ""},
		{"a message without a msgtype", ev("m.room.message", "$bad", `{"body":"x"}`), "reject", "msgtype", ""},
		{"a redaction naming nothing", ev("m.room.redaction", "$bad2", `{}`), "reject", "redacts", ""},
		{"a message without a time", `{"type":"m.room.message","event_id":"$bad3","room_id":"` + room + `","sender":"` + alice + `","content":{"msgtype":"m.text","body":"x"}}`, "reject", "origin_server_ts", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewMatrix(strings.NewReader(`{"events":[` + c.event + `]}`))
			rec, err := r.Next()
			if c.kind == "" {
				if err != io.EOF {
					t.Fatalf("got %+v %v, want no message", rec, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.kind == "reject" {
				if rec.Err == nil || !strings.Contains(rec.Err.Error(), c.text) || rec.Line != 1 || len(rec.Raw) == 0 {
					t.Fatalf("record %+v, want line 1 rejected naming %s", rec, c.text)
				}
				return
			}
			m := rec.Msg
			if rec.Err != nil || m == nil {
				t.Fatalf("record %+v", rec)
			}
			if m.Platform != "matrix" || m.RoomID != room || m.Sender != alice || m.Kind != c.kind || m.Text != c.text ||
				!m.SentAt.Equal(time.UnixMilli(1796154447150)) || string(m.Raw) != c.event {
				t.Errorf("message %+v", m)
			}
			if c.kind == KindRevoke && m.Recalls != "$t" {
				t.Errorf("recalls %q, want $t", m.Recalls)
			}
			if c.file != "" && (len(m.Attachments) != 1 || m.Attachments[0].Name != c.file) {
				t.Errorf("attachments %+v, want %s", m.Attachments, c.file)
			}
		})
	}
	t.Run("events after one that is no message", func(t *testing.T) {
		r := NewMatrix(strings.NewReader(`{"events":[` + cases[13].event + `,` + cases[0].event + `]}`))
		rec, err := r.Next()
		if err != nil || rec.Msg == nil || rec.Msg.SourceID != "$t" || rec.Line != 2 {
			t.Fatalf("record %+v %v, want the text at line 2", rec, err)
		}
	})
	t.Run("not a transaction", func(t *testing.T) {
		rec, err := NewMatrix(strings.NewReader(`[1,2]`)).Next()
		if err != nil || rec.Err == nil || !strings.Contains(rec.Err.Error(), "events") {
			t.Fatalf("record %+v %v, want a rejection naming events", rec, err)
		}
	})
}

// The facts of a transaction are the registry's: who did what to which
// room, with the invitation to a one-to-one conversation marked.
func TestMatrixFacts(t *testing.T) {
	body := `{"events":[
{"type":"m.room.create","event_id":"$c","room_id":"!r","sender":"@a:x","origin_server_ts":1000,"state_key":"","content":{}},
{"type":"m.room.message","event_id":"$m","room_id":"!r","sender":"@a:x","origin_server_ts":1001,"content":{"msgtype":"m.text","body":"hi"}},
{"type":"m.room.member","event_id":"$i","room_id":"!r","sender":"@a:x","origin_server_ts":1002,"state_key":"@b:x","content":{"membership":"invite","is_direct":true}},
{"type":"m.room.member","event_id":"$bad","room_id":"!r","sender":"@a:x","origin_server_ts":1003,"state_key":"@b:x","content":{"membership":"left"}},
"not an event",
{"type":"m.room.member","event_id":"$k","room_id":"!r","sender":"@a:x","origin_server_ts":1004,"state_key":"@b:x","content":{"membership":"leave"}}]}`
	fs, err := MatrixFacts([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.SourceID+" "+f.Type+" "+f.Member+" "+f.Membership+" "+strconv.FormatBool(f.Direct))
	}
	want := []string{"$c create   false", "$i member @b:x invite true", "$k member @b:x kick false"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("facts %q, want %q", got, want)
	}
	if _, err := MatrixFacts([]byte(`[1]`)); err == nil {
		t.Error("a body that is no transaction gave no error")
	}
	m := &Message{Platform: "matrix", Kind: KindSystem, Raw: []byte(`{"type":"m.room.encryption","event_id":"$e","room_id":"!r","sender":"@a:x","origin_server_ts":5,"state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}`)}
	if f := FactOf(m); f == nil || f.Type != FactEncryption || f.Value != "m.megolm.v1.aes-sha2" {
		t.Errorf("FactOf encryption = %+v", f)
	}
	m.Kind = KindText
	if f := FactOf(m); f != nil {
		t.Errorf("FactOf a text message = %+v, want nil", f)
	}
}
