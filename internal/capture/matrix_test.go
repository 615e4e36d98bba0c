package capture

import (
	"io"
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
		{"room creation is no message", ev("m.room.create", "$cr", `{"creator":"@alice:localhost"}`, `,"state_key":""`), "", "", ""},
		{"membership is no message", ev("m.room.member", "$m", `{"membership":"join"}`, `,"state_key":"@alice:localhost"`), "", "", ""},
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
		r := NewMatrix(strings.NewReader(`{"events":[` + cases[11].event + `,` + cases[0].event + `]}`))
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
