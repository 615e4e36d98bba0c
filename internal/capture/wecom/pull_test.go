package wecom

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// This package has no golden files; the flag is accepted so that
// go test ./internal/capture/... -update works across packages.
var _ = flag.Bool("update", false, "no golden files in this package")

// aesDecrypter stands in for the vendor SDK, which cannot run here: the
// test encrypts each message with AES-GCM under sha256(random key).
type aesDecrypter struct{}

func gcm(randomKey string) cipher.AEAD {
	k := sha256.Sum256([]byte(randomKey))
	b, _ := aes.NewCipher(k[:])
	g, _ := cipher.NewGCM(b)
	return g
}

func (aesDecrypter) DecryptData(randomKey, msg string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(msg)
	if err != nil {
		return nil, err
	}
	g := gcm(randomKey)
	if len(ct) < g.NonceSize() {
		return nil, errors.New("short message")
	}
	return g.Open(nil, ct[:g.NonceSize()], ct[g.NonceSize():], nil)
}

func encryptItem(t *testing.T, pub *rsa.PublicKey, ver int, seq int64, plain []byte) ChatData {
	randomKey := fmt.Sprintf("rk-%d", seq)
	ek, err := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(randomKey))
	if err != nil {
		t.Fatal(err)
	}
	g := gcm(randomKey)
	nonce := make([]byte, g.NonceSize())
	_, _ = rand.Read(nonce)
	var msg struct {
		MsgID string `json:"msgid"`
	}
	_ = json.Unmarshal(plain, &msg)
	return ChatData{
		Seq: seq, MsgID: msg.MsgID, PublicKeyVer: ver,
		EncryptRandomKey: base64.StdEncoding.EncodeToString(ek),
		EncryptChatMsg:   base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, plain, nil)),
	}
}

type memSource struct{ items []ChatData }

func (s *memSource) GetChatData(seq int64, limit int) ([]ChatData, error) {
	var out []ChatData
	for _, it := range s.items {
		if it.Seq > seq && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

type memCursor struct{ seq int64 }

func (c *memCursor) Load() (int64, error) { return c.seq, nil }
func (c *memCursor) Save(s int64) error   { c.seq = s; return nil }

// vendorLines are the valid vendor examples from the capture testdata.
func vendorLines(t *testing.T, n int) [][]byte {
	f, err := os.Open("../testdata/wecom.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(out) < n {
		line := append([]byte(nil), sc.Bytes()...)
		if strings.Contains(string(line), `"msgtime":0,`) || len(line) == 0 {
			continue
		}
		out = append(out, line)
	}
	return out
}

type fixture struct {
	keys   *KeyRing
	k1, k2 *rsa.PrivateKey
	src    *memSource
}

func newFixture(t *testing.T, n int) *fixture {
	k1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing()
	// Version 1 as PEM PKCS#1, version 2 as PKCS#8 without armor.
	if err := ring.Add(1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k1)})); err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k2)
	if err := ring.Add(2, []byte(base64.StdEncoding.EncodeToString(p8))); err != nil {
		t.Fatal(err)
	}
	src := &memSource{}
	for i, line := range vendorLines(t, n) {
		// The key rotates half way: old items keep naming version 1.
		key, ver := &k1.PublicKey, 1
		if i >= n/2 {
			key, ver = &k2.PublicKey, 2
		}
		src.items = append(src.items, encryptItem(t, key, ver, int64(100+i*3), line))
	}
	return &fixture{keys: ring, k1: k1, k2: k2, src: src}
}

func TestPullEverythingAcrossKeyVersions(t *testing.T) {
	fx := newFixture(t, 9)
	cur := &memCursor{}
	var got []Item
	p := &Puller{Source: fx.src, Cursor: cur, Keys: fx.keys, Decrypter: aesDecrypter{}, Limit: 4,
		Sink: func(_ context.Context, last int64, b []Item) error { got = append(got, b...); return nil }}
	n, err := p.Run(context.Background())
	if err != nil || n != 9 || len(got) != 9 {
		t.Fatalf("pulled %d (%d to the sink): %v", n, len(got), err)
	}
	for i, it := range got {
		if it.Err != nil || it.Msg == nil || it.Msg.SourceID != fx.src.items[i].MsgID || it.Seq != fx.src.items[i].Seq {
			t.Fatalf("item %d: %+v", i, it)
		}
	}
	if cur.seq != fx.src.items[8].Seq {
		t.Fatalf("cursor %d", cur.seq)
	}
	if v := fx.keys.Versions(); len(v) != 2 || v[0] != 1 || v[1] != 2 {
		t.Fatalf("versions %v", v)
	}
}

// A sink failure leaves the cursor where it was; a restart resumes with no
// gap and no repeat.
func TestRestartResumesWithoutGapsOrRepeats(t *testing.T) {
	fx := newFixture(t, 9)
	cur := &memCursor{}
	seen := map[string]int{}
	calls := 0
	failing := func(_ context.Context, last int64, b []Item) error {
		calls++
		if calls == 2 {
			return errors.New("database is down")
		}
		for _, it := range b {
			seen[it.MsgID]++
		}
		return nil
	}
	p := &Puller{Source: fx.src, Cursor: cur, Keys: fx.keys, Decrypter: aesDecrypter{}, Limit: 4, Sink: failing}
	if _, err := p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "store wecom batch") {
		t.Fatalf("sink failure not reported: %v", err)
	}
	if cur.seq != fx.src.items[3].Seq {
		t.Fatalf("cursor moved past the failed batch: %d", cur.seq)
	}
	// Restart: a new puller on the same cursor.
	p2 := *p
	p2.Sink = func(_ context.Context, last int64, b []Item) error {
		for _, it := range b {
			seen[it.MsgID]++
		}
		return nil
	}
	if _, err := p2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 9 {
		t.Fatalf("saw %d distinct messages, want 9", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

func TestUnknownKeyVersionStopsBeforeTheSink(t *testing.T) {
	fx := newFixture(t, 4)
	fx.src.items[2].PublicKeyVer = 3
	cur := &memCursor{}
	called := false
	p := &Puller{Source: fx.src, Cursor: cur, Keys: fx.keys, Decrypter: aesDecrypter{},
		Sink: func(context.Context, int64, []Item) error { called = true; return nil }}
	_, err := p.PullOnce(context.Background())
	var uv *UnknownVersionError
	if !errors.As(err, &uv) || uv.Version != 3 || !strings.Contains(err.Error(), "publickey_ver 3") {
		t.Fatalf("error does not name the version: %v", err)
	}
	if called || cur.seq != 0 {
		t.Fatalf("sink called %v, cursor %d", called, cur.seq)
	}
}

func TestBadItemIsRejectedNotFatal(t *testing.T) {
	fx := newFixture(t, 4)
	fx.src.items[1].EncryptChatMsg = base64.StdEncoding.EncodeToString([]byte("garbage that is long enough to hold a nonce"))
	fx.src.items[2].EncryptRandomKey = "%%%"
	var got []Item
	p := &Puller{Source: fx.src, Cursor: &memCursor{}, Keys: fx.keys, Decrypter: aesDecrypter{},
		Sink: func(_ context.Context, _ int64, b []Item) error { got = append(got, b...); return nil }}
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].Msg == nil || got[3].Msg == nil {
		t.Fatalf("good items lost: %+v", got)
	}
	for _, i := range []int{1, 2} {
		if got[i].Err == nil || len(got[i].Raw) == 0 {
			t.Errorf("item %d: err %v raw %d bytes", i, got[i].Err, len(got[i].Raw))
		}
		var cd ChatData
		if json.Unmarshal(got[i].Raw, &cd) != nil || cd.Seq != fx.src.items[i].Seq {
			t.Errorf("item %d: quarantined raw is not the encrypted item", i)
		}
	}
}

func TestKeyRingRejectsGarbage(t *testing.T) {
	ring := NewKeyRing()
	if err := ring.Add(1, []byte("not a key")); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("%v", err)
	}
	if _, err := ring.DecryptRandomKey(7, "AAAA"); err == nil || !strings.Contains(err.Error(), "publickey_ver 7") {
		t.Fatalf("%v", err)
	}
}
