//go:build linux || darwin || freebsd || netbsd

package sdk

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"sync"
	"testing"

	"charter/internal/capture/wecom/sdk/sdktest"

	"charter/internal/capture"
	"charter/internal/capture/wecom"
)

// fake is a test's own build of the stand-in library (sdktest).
type fake struct{ *sdktest.Fake }

func newFake(tb testing.TB) *fake { return &fake{sdktest.New(tb, testCorp, testSecret)} }

const (
	testCorp   = "wwd08c8e7c775ab44d"
	testSecret = "archive-secret"
)

// open opens the fake through the bridge, initialised, closed at the end.
func (f *fake) open(tb testing.TB, opt Options) *Client {
	tb.Helper()
	c, err := Open(f.Path, opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.Init(testCorp, testSecret); err != nil {
		tb.Fatal(err)
	}
	return c
}

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// corpKey is the corp's archive key pair, made once: 2048 bits like the
// vendor's, which makes it slow to generate.
func corpKey(tb testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			tb.Fatal(err)
		}
		testKey = k
	})
	return testKey
}

// corpus is what a test serves through the fake, with what it expects back.
type corpus struct {
	ring  *wecom.KeyRing
	items []wecom.ChatData
	plain [][]byte // by index of items
	keys  []string // the random key of each item, before RSA
}

// newCorpus encrypts n messages as the vendor would hand them out, seq
// 1, 2, … under key version 3, cycling through the valid vendor examples.
func newCorpus(tb testing.TB, n int) *corpus {
	tb.Helper()
	k := corpKey(tb)
	ring := wecom.NewKeyRing()
	if err := ring.Add(3, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})); err != nil {
		tb.Fatal(err)
	}
	lines := vendorLines(tb)
	c := &corpus{ring: ring}
	for i := 0; i < n; i++ {
		raw := make([]byte, 16)
		_, _ = rand.Read(raw)
		key := hex.EncodeToString(raw)
		ek, err := rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, []byte(key))
		if err != nil {
			tb.Fatal(err)
		}
		plain := lines[i%len(lines)]
		var m struct {
			MsgID string `json:"msgid"`
		}
		_ = json.Unmarshal(plain, &m)
		if i >= len(lines) {
			m.MsgID = fmt.Sprintf("%s-%d", m.MsgID, i)
		}
		c.items = append(c.items, wecom.ChatData{
			Seq: int64(i + 1), MsgID: m.MsgID, PublicKeyVer: 3,
			EncryptRandomKey: base64.StdEncoding.EncodeToString(ek),
			EncryptChatMsg:   sdktest.Encrypt(key, plain),
		})
		c.plain = append(c.plain, plain)
		c.keys = append(c.keys, key)
	}
	return c
}

// serve hands the corpus to the fake's GetChatData.
func (f *fake) serve(tb testing.TB, c *corpus) {
	for _, it := range c.items {
		b, err := json.Marshal(it)
		if err != nil {
			tb.Fatal(err)
		}
		f.AddChat(uint64(it.Seq), string(b))
	}
}

// vendorLines are the vendor examples of every msgtype in the capture
// testdata that Charter accepts, leaving out its deliberately broken lines.
func vendorLines(tb testing.TB) [][]byte {
	b, err := os.ReadFile("../../testdata/wecom.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Bytes(); accepted(l) {
			out = append(out, append([]byte(nil), l...))
		}
	}
	return out
}

func accepted(line []byte) bool {
	m, err := capture.ParseWeCom(line)
	return err == nil && m.Validate() == nil
}
