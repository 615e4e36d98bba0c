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
	"strings"
	"testing"
	"time"

	capwecom "charter/internal/capture/wecom"
	"charter/internal/metrics"
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
	if len(steps) != 3 || steps[2].Total != 2490 || steps[0].Records != 1000 {
		t.Errorf("progress %+v, want three batches", steps)
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

type failing struct{}

func (failing) GetChatData(int64, int) ([]capwecom.ChatData, error) {
	return nil, fmt.Errorf("network error (10001)")
}
