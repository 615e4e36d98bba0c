package wecom

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	capwecom "charter/internal/capture/wecom"
	"charter/internal/errs"
	"charter/internal/metrics"
	"charter/internal/registry"
	"charter/internal/review"
)

// plainDecrypter stands in for the vendor SDK: the test's "ciphertext" is
// the message in base64 (the real cipher is the vendor's, and private).
type plainDecrypter struct{}

func (plainDecrypter) DecryptData(_, msg string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(msg)
}

// archiveSource serves records by seq, as GetChatData does.
type archiveSource struct{ items []capwecom.ChatData }

func (a *archiveSource) GetChatData(seq int64, limit int) ([]capwecom.ChatData, error) {
	var out []capwecom.ChatData
	for _, it := range a.items {
		if it.Seq > seq && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

type memCursor struct{ seq int64 }

func (c *memCursor) Load() (int64, error) { return c.seq, nil }
func (c *memCursor) Save(s int64) error   { c.seq = s; return nil }

type raised struct{ alerts []review.Alert }

func (r *raised) RaiseSystem(_ context.Context, a review.Alert, _ review.Source, _, _ string) (int64, error) {
	r.alerts = append(r.alerts, a)
	return int64(len(r.alerts)), nil
}

func TestPull(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 1024) // small: the test decrypts 2,490 random keys
	ring := capwecom.NewKeyRing()
	if err := ring.Add(1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})); err != nil {
		t.Fatal(err)
	}
	src := &archiveSource{}
	// 2,500 records with seq 1..2500 except 1201..1210, which never came.
	for seq := int64(1); seq <= 2500; seq++ {
		if seq > 1200 && seq <= 1210 {
			continue
		}
		ek, _ := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, []byte("random"))
		msg := fmt.Sprintf(`{"msgid":"m%d","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"r1","msgtime":%d,"msgtype":"text","text":{"content":"第 %d 条"}}`,
			seq, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMilli()+seq, seq)
		src.items = append(src.items, capwecom.ChatData{Seq: seq, MsgID: fmt.Sprintf("m%d", seq), PublicKeyVer: 1,
			EncryptRandomKey: base64.StdEncoding.EncodeToString(ek), EncryptChatMsg: base64.StdEncoding.EncodeToString([]byte(msg))})
	}
	var archived []capwecom.Item
	cur := &memCursor{}
	p := &capwecom.Puller{Source: src, Cursor: cur, Keys: ring, Decrypter: plainDecrypter{}, Limit: 1000,
		Sink: func(_ context.Context, _ int64, b []capwecom.Item) error {
			archived = append(archived, b...)
			return nil
		}}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sys := &raised{}
	s := NewService("ww1", p, sys, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), clock)

	var steps []Progress
	n, err := s.Pull(context.Background(), func(pr Progress) { steps = append(steps, pr) })
	if err != nil || n != 2490 || len(archived) != 2490 || cur.seq != 2500 {
		t.Fatalf("pulled %d (archived %d, cursor %d): %v", n, len(archived), cur.seq, err)
	}
	if len(steps) != 13 || steps[12].Total != 2490 || steps[0].Records != 200 {
		t.Errorf("progress %+v, want a step for each chunk of 200", steps)
	}
	for _, r := range archived {
		if r.Err != nil || r.Msg == nil || !strings.HasPrefix(r.Msg.Text, "第 ") {
			t.Fatalf("record %+v", r)
		}
	}
	if len(sys.alerts) != 1 || sys.alerts[0].Rule != "system.wecom_seq_gap" || sys.alerts[0].Detail["missing"] != int64(10) {
		t.Fatalf("alerts %+v, want one gap of 10", sys.alerts)
	}
	if s.Lag() != 0 {
		t.Errorf("lag %s after a drained pull", s.Lag())
	}

	// A round that fails does not drain: four days of that is an alert, once.
	s.Puller.Source = failing{}
	for _, d := range []time.Duration{time.Hour, 4 * 24 * time.Hour, 4*24*time.Hour + time.Minute} {
		now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).Add(d)
		if _, err := s.Pull(context.Background(), nil); err == nil {
			t.Fatal("a failing source gave no error")
		}
	}
	if len(sys.alerts) != 2 || sys.alerts[1].Rule != "system.wecom_pull_lag" {
		t.Fatalf("alerts %+v, want the lag raised once", sys.alerts)
	}
}

// Records the vendor hands out of seq order are archived in order, and
// raise no gap.
func TestPullOutOfOrder(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	ring := capwecom.NewKeyRing()
	ring.Add(1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	src := &archiveSource{}
	for _, seq := range []int64{3, 1, 5, 2, 4} {
		ek, _ := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, []byte("random"))
		msg := fmt.Sprintf(`{"msgid":"m%d","action":"send","from":"a","tolist":["b"],"roomid":"r1","msgtime":1796154447150,"msgtype":"text","text":{"content":"x"}}`, seq)
		src.items = append(src.items, capwecom.ChatData{Seq: seq, MsgID: fmt.Sprintf("m%d", seq), PublicKeyVer: 1,
			EncryptRandomKey: base64.StdEncoding.EncodeToString(ek), EncryptChatMsg: base64.StdEncoding.EncodeToString([]byte(msg))})
	}
	var order []int64
	cur := &memCursor{}
	p := &capwecom.Puller{Source: src, Cursor: cur, Keys: ring, Decrypter: plainDecrypter{}, Limit: 1000,
		Sink: func(_ context.Context, _ int64, b []capwecom.Item) error {
			for _, it := range b {
				order = append(order, it.Seq)
			}
			return nil
		}}
	sys := &raised{}
	s := NewService("ww1", p, sys, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if n, err := s.Pull(context.Background(), nil); err != nil || n != 5 || cur.seq != 5 {
		t.Fatalf("pulled %d, cursor %d: %v", n, cur.seq, err)
	}
	if fmt.Sprint(order) != "[1 2 3 4 5]" || len(sys.alerts) != 0 {
		t.Errorf("archived in order %v with alerts %+v, want 1..5 and none", order, sys.alerts)
	}
}

type failing struct{}

func (failing) GetChatData(int64, int) ([]capwecom.ChatData, error) {
	return nil, fmt.Errorf("network error (10001)")
}

type fakeRooms struct {
	facts []capture.RoomFact
	known map[string]*registry.Room
}

func (r *fakeRooms) RecordRoomFacts(_ context.Context, fs []capture.RoomFact) error {
	r.facts = append(r.facts, fs...)
	return nil
}

func (r *fakeRooms) Room(_ context.Context, _ registry.Platform, id string) (*registry.Room, error) {
	if x := r.known[id]; x != nil {
		return x, nil
	}
	return nil, errs.E(errs.NotFound, "no room %s", id)
}

type fakeArchive struct{ lines []string }

func (a *fakeArchive) Ingest(_ context.Context, r io.Reader, b archive.Batch, _ func(archive.Result)) (*archive.Result, error) {
	data, _ := io.ReadAll(r)
	a.lines = append(a.lines, b.Format+" "+string(data))
	return &archive.Result{Accepted: 1}, nil
}

type fakeGroups struct{}

func (fakeGroups) GroupChatIDs(context.Context, GroupChatFilter) ([]string, error) {
	return []string{"wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"}, nil
}

func (fakeGroups) GroupChat(_ context.Context, id string, _ bool) (*GroupChat, error) {
	return &GroupChat{ChatID: id, Name: "客户群", Owner: "zhangsan", CreateTime: time.Unix(1796150000, 0),
		Members: []GroupMember{{UserID: "zhangsan", Type: 1, JoinTime: time.Unix(1796150000, 0)},
			{UserID: "wmEXT", Type: 2, JoinTime: time.Unix(1796150100, 0), Invitor: "zhangsan"}}}, nil
}

// Callbacks: only WeCom's signature, fresh, for this corp, is taken; an
// archive notice pulls at once; a customer group's creation reaches the
// inventory and the archive as a system line, with no message read.
func TestCallback(t *testing.T) {
	cr, err := NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "ww1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1796154447, 0)
	rooms, arch := &fakeRooms{}, &fakeArchive{}
	m := metrics.New()
	s := NewService("ww1", nil, &raised{}, m, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	s.Crypto = cr
	s.Inventory = &Inventory{Rooms: rooms, Archive: arch, Groups: fakeGroups{}, Now: func() time.Time { return now }}
	event := func(kind, extra string) (url.Values, []byte) {
		enc, _ := cr.Encrypt([]byte(`<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1796154447</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[` + kind + `]]></Event>` + extra + `</xml>`))
		ts := "1796154447"
		q := url.Values{"msg_signature": {cr.Signature(ts, "n", enc)}, "timestamp": {ts}, "nonce": {"n"}}
		return q, []byte(`<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[` + enc + `]]></Encrypt></xml>`)
	}
	q, body := event("msgaudit_notify", "")
	if err := s.Callback(context.Background(), q, body); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.wake:
	default:
		t.Error("msgaudit_notify did not ask for a pull")
	}
	bad := url.Values{"msg_signature": {"0000"}, "timestamp": q["timestamp"], "nonce": q["nonce"]}
	old := url.Values{"msg_signature": q["msg_signature"], "timestamp": {"1796150000"}, "nonce": q["nonce"]}
	for name, qq := range map[string]url.Values{"a bad signature": bad, "an old timestamp (a replay)": old} {
		if err := s.Callback(context.Background(), qq, body); !errs.Is(err, errs.Forbidden) {
			t.Errorf("%s: %v, want Forbidden", name, err)
		}
	}
	var out strings.Builder
	m.Write(&out)
	if !strings.Contains(out.String(), "charter_wecom_callbacks_refused_total 2") {
		t.Errorf("refused callbacks not counted twice:\n%s", out.String())
	}

	q, body = event("change_external_chat", `<ChatId><![CDATA[wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA]]></ChatId><ChangeType><![CDATA[create]]></ChangeType>`)
	if err := s.Callback(context.Background(), q, body); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rooms.facts {
		got = append(got, f.Type+" "+f.Member+" "+f.Value)
	}
	if strings.Join(got, "|") != "create  |name  客户群|member zhangsan |member wmEXT " {
		t.Errorf("facts %q", got)
	}
	if len(arch.lines) != 1 || !strings.Contains(arch.lines[0], `"kind":"system"`) || !strings.Contains(arch.lines[0], "wecom-group:wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA:create") {
		t.Errorf("archived %q, want the group's creation as one system line", arch.lines)
	}
}
