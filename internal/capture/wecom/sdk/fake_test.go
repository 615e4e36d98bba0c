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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ebitengine/purego"

	"charter/internal/capture"
	"charter/internal/capture/wecom"
)

// fake is a test's hold on its own build of testdata/fakesdk.c: the extra
// calls that load it with data and report on it.
type fake struct {
	path        string
	expect      func(corpID, secret string)
	addChat     func(seq uint64, item string)
	addMedia    func(fileID string, data []byte, n int32)
	fail        func(fn string, code int32)
	live        func() int32
	lastProxy   func() string
	lastPasswd  func() string
	lastTimeout func() int32
}

// compile builds a shared library from C source with the system compiler,
// skipping the test, with the reason, when there is none.
func compile(tb testing.TB, src, name string) string {
	tb.Helper()
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"cc"}
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		tb.Skipf("no C compiler (%s) to build the stand-in Finance SDK: %v", cc[0], err)
	}
	so := filepath.Join(tb.TempDir(), name)
	args := append(cc[1:], "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", so, src)
	if out, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", cc[0], strings.Join(args, " "), err, out)
	}
	return so
}

// newFake builds a fresh library, so no test sees another's data or counts.
func newFake(tb testing.TB) *fake {
	f := &fake{path: compile(tb, "testdata/fakesdk.c", "libWeWorkFinanceSdk_C.so")}
	h, err := purego.Dlopen(f.path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		tb.Fatal(err)
	}
	purego.RegisterLibFunc(&f.expect, h, "fake_expect")
	purego.RegisterLibFunc(&f.addChat, h, "fake_add_chat")
	purego.RegisterLibFunc(&f.addMedia, h, "fake_add_media")
	purego.RegisterLibFunc(&f.fail, h, "fake_fail")
	purego.RegisterLibFunc(&f.live, h, "fake_live")
	purego.RegisterLibFunc(&f.lastProxy, h, "fake_last_proxy")
	purego.RegisterLibFunc(&f.lastPasswd, h, "fake_last_passwd")
	purego.RegisterLibFunc(&f.lastTimeout, h, "fake_last_timeout")
	f.expect(testCorp, testSecret)
	return f
}

const (
	testCorp   = "wwd08c8e7c775ab44d"
	testSecret = "archive-secret"
)

// open opens the fake through the bridge, initialised, closed at the end.
func (f *fake) open(tb testing.TB, opt Options) *Client {
	tb.Helper()
	c, err := Open(f.path, opt)
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

// fakeEncrypt is the inverse of the fake's DecryptData.
func fakeEncrypt(key string, plain []byte) string {
	b := append([]byte("FAKE:"), plain...)
	for i := range b {
		b[i] ^= key[i%len(key)]
	}
	return base64.StdEncoding.EncodeToString(b)
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
			EncryptChatMsg:   fakeEncrypt(key, plain),
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
		f.addChat(uint64(it.Seq), string(b))
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
