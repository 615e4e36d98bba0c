//go:build linux || darwin || freebsd || netbsd

// Package sdktest builds, for tests, a stand-in for the vendor's
// libWeWorkFinanceSdk_C.so (testdata/fakesdk.c) with the system
// C compiler, and holds the extra calls that load it with data and report
// on it. The vendor's library is private and cannot run here; the stand-in
// honours the contract of its public header.
package sdktest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ebitengine/purego"
)

// Fake is a test's own build of the stand-in library.
type Fake struct {
	Path        string
	Expect      func(corpID, secret string)
	AddChat     func(seq uint64, item string)
	AddMedia    func(fileID string, data []byte, n int32)
	Fail        func(fn string, code int32)
	Live        func() int32
	LastProxy   func() string
	LastPasswd  func() string
	LastTimeout func() int32
}

// Compile builds a shared library from C source with the system compiler,
// skipping the test, with the reason, when there is none.
func Compile(tb testing.TB, src, name string) string {
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

// New builds a fresh library, so no test sees another's data or counts, and
// has it accept corpID and secret.
func New(tb testing.TB, corpID, secret string) *Fake {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	f := &Fake{Path: Compile(tb, filepath.Join(filepath.Dir(here), "testdata", "fakesdk.c"), "libWeWorkFinanceSdk_C.so")}
	h, err := purego.Dlopen(f.Path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		tb.Fatal(err)
	}
	purego.RegisterLibFunc(&f.Expect, h, "fake_expect")
	purego.RegisterLibFunc(&f.AddChat, h, "fake_add_chat")
	purego.RegisterLibFunc(&f.AddMedia, h, "fake_add_media")
	purego.RegisterLibFunc(&f.Fail, h, "fake_fail")
	purego.RegisterLibFunc(&f.Live, h, "fake_live")
	purego.RegisterLibFunc(&f.LastProxy, h, "fake_last_proxy")
	purego.RegisterLibFunc(&f.LastPasswd, h, "fake_last_passwd")
	purego.RegisterLibFunc(&f.LastTimeout, h, "fake_last_timeout")
	f.Expect(corpID, secret)
	return f
}

// Seal is one archive item as GetChatData hands it out, in JSON: a fresh
// random key encrypted under the corp's public key of version ver, and the
// message under the random key, as the stand-in's DecryptData reverses it.
func Seal(tb testing.TB, pub *rsa.PublicKey, ver int, seq int64, msgID string, msg []byte) string {
	tb.Helper()
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	rk := hex.EncodeToString(raw)
	ek, err := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(rk))
	if err != nil {
		tb.Fatal(err)
	}
	item, err := json.Marshal(map[string]any{"seq": seq, "msgid": msgID, "publickey_ver": ver,
		"encrypt_random_key": base64.StdEncoding.EncodeToString(ek), "encrypt_chat_msg": Encrypt(rk, msg)})
	if err != nil {
		tb.Fatal(err)
	}
	return string(item)
}

// Encrypt is the inverse of the stand-in's DecryptData:
// base64(("FAKE:" + message) XOR the random key, repeated).
func Encrypt(key string, plain []byte) string {
	b := append([]byte("FAKE:"), plain...)
	for i := range b {
		b[i] ^= key[i%len(key)]
	}
	return base64.StdEncoding.EncodeToString(b)
}
