package wecom_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/wecom"
)

// The vendor's published samples. WeCom ships WXBizMsgCrypt with a Sample
// file per language; these values are copied from two of them:
//
//   - github.com/workweixin/weworkapi_golang, json_callback/sample.go
//     (commit c1fdfd3d): token QDG6eK, corp wx5823bf96d3bd56c7, and the URL
//     verification request; the same values, with the XML POST example
//     below, stand in the comments of
//   - github.com/sbzhu/weworkapi_python (企业微信团队), callback/Sample.py
//     (commit 27220fbe), which also carries a second set: token
//     hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo, corp ww1436e0e65a779aee, with a URL
//     verification and a POST whose plaintext is the sample's own reply.
//
// The plaintexts were not printed in the samples; they are what these
// vectors decrypt to, and the second POST's is the sample's stated reply.
type sample struct {
	name                  string
	token, aesKey, corpID string
	signature, ts, nonce  string
	echostr               string // GET: URL verification
	body                  string // POST: the XML envelope
	want                  string
}

var samples = []sample{
	{
		name: "golang sample, URL verification", token: "QDG6eK", aesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", corpID: "wx5823bf96d3bd56c7",
		signature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", ts: "1409659589", nonce: "263014780",
		echostr: "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
		want:    "1616140317555161061",
	},
	{
		name: "python sample comment, POST", token: "QDG6eK", aesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", corpID: "wx5823bf96d3bd56c7",
		signature: "477715d11cdb4164915debcba66cb864d751f3e6", ts: "1409659813", nonce: "1372623149",
		body: "<xml> <ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>\n   <AgentID><![CDATA[218]]></AgentID>\n   </xml>",
		want: "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>",
	},
	{
		name: "python sample, URL verification", token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", aesKey: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", corpID: "ww1436e0e65a779aee",
		signature: "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", ts: "1476416373", nonce: "47744683",
		echostr: "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
		want:    "1288432023552776189",
	},
	{
		name: "python sample, POST", token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", aesKey: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", corpID: "ww1436e0e65a779aee",
		signature: "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", ts: "1476422779", nonce: "1597212914",
		body: "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>",
		want: "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>",
	},
}

func mustCrypto(t *testing.T, token, aesKey, corpID string) *wecom.Crypto {
	t.Helper()
	c, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s sample) open(c *wecom.Crypto, signature string) ([]byte, error) {
	if s.echostr != "" {
		return c.VerifyURL(signature, s.ts, s.nonce, s.echostr)
	}
	return c.DecryptMessage(signature, s.ts, s.nonce, []byte(s.body))
}

func (s sample) ciphertext(t *testing.T) string {
	if s.echostr != "" {
		return s.echostr
	}
	i, j := strings.Index(s.body, "<Encrypt><![CDATA["), strings.Index(s.body, "]]></Encrypt>")
	if i < 0 || j < 0 {
		t.Fatal("no Encrypt in the sample")
	}
	return s.body[i+len("<Encrypt><![CDATA[") : j]
}

func TestVendorSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			c := mustCrypto(t, s.token, s.aesKey, s.corpID)
			if got := c.Signature(s.ts, s.nonce, s.ciphertext(t)); got != s.signature {
				t.Fatalf("signature %s, the sample says %s", got, s.signature)
			}
			got, err := s.open(c, s.signature)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != s.want {
				t.Fatalf("got %q\nwant %q", got, s.want)
			}
		})
	}
}

// A published ciphertext is reproduced byte for byte from its plaintext
// and its 16 random bytes (read back here with the standard library alone),
// so Encrypt lays out and pads the plaintext as WeCom does.
func TestEncryptReproducesTheSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			enc := s.ciphertext(t)
			random := rawDecrypt(t, s.aesKey, enc)[:16]
			c := wecom.WithRandom(mustCrypto(t, s.token, s.aesKey, s.corpID), bytes.NewReader(random))
			got, err := c.Encrypt([]byte(s.want))
			if err != nil {
				t.Fatal(err)
			}
			if got != enc {
				t.Fatalf("got %s\nwant %s", got, enc)
			}
		})
	}
}

func TestEncryptMessage(t *testing.T) {
	s := samples[1]
	c := mustCrypto(t, s.token, s.aesKey, s.corpID)
	random := rawDecrypt(t, s.aesKey, s.ciphertext(t))[:16]
	out, err := wecom.WithRandom(c, bytes.NewReader(random)).EncryptMessage([]byte(s.want), s.ts, s.nonce)
	if err != nil {
		t.Fatal(err)
	}
	want := "<xml><Encrypt><![CDATA[" + s.ciphertext(t) + "]]></Encrypt><MsgSignature><![CDATA[" + s.signature +
		"]]></MsgSignature><TimeStamp>" + s.ts + "</TimeStamp><Nonce><![CDATA[" + s.nonce + "]]></Nonce></xml>"
	if string(out) != want {
		t.Fatalf("got %s\nwant %s", out, want)
	}

	t.Run("a reply opens with its own signature", func(t *testing.T) {
		msg := []byte("<xml><Content><![CDATA[收到，谢谢]]></Content></xml>")
		out, err := c.EncryptMessage(msg, "1700000000", "n0nce")
		if err != nil {
			t.Fatal(err)
		}
		sig := between(t, string(out), "<MsgSignature><![CDATA[", "]]></MsgSignature>")
		got, err := c.DecryptMessage(sig, "1700000000", "n0nce", out)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("two encryptions differ", func(t *testing.T) {
		a, _ := c.Encrypt([]byte("x"))
		b, _ := c.Encrypt([]byte("x"))
		if a == b {
			t.Fatal("the 16 random bytes are not random")
		}
	})
}

func TestNearMisses(t *testing.T) {
	get, post := samples[2], samples[3]
	c := mustCrypto(t, get.token, get.aesKey, get.corpID)

	t.Run("an echostr whose '+' arrived unescaped", func(t *testing.T) {
		s := samples[0]
		echo := strings.ReplaceAll(s.echostr, "+", " ")
		got, err := mustCrypto(t, s.token, s.aesKey, s.corpID).VerifyURL(s.signature, s.ts, s.nonce, echo)
		if err != nil || string(got) != s.want {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("upper-case hex signature", func(t *testing.T) {
		if _, err := get.open(c, strings.ToUpper(get.signature)); err != nil {
			t.Fatal(err)
		}
	})
	forged := []struct {
		name      string
		c         *wecom.Crypto
		s         sample
		signature string
		want      error
	}{
		{"wrong signature", c, get, "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebec", wecom.ErrSignature},
		{"empty signature", c, get, "", wecom.ErrSignature},
		{"another POST's signature", c, post, get.signature, wecom.ErrSignature},
		{"wrong token", mustCrypto(t, "QDG6eK", get.aesKey, get.corpID), get, get.signature, wecom.ErrSignature},
		{"wrong corp id", mustCrypto(t, get.token, get.aesKey, "ww0000000000000000"), get, get.signature, wecom.ErrReceiver},
		{"wrong corp id, POST", mustCrypto(t, post.token, post.aesKey, "wx5823bf96d3bd56c7"), post, post.signature, wecom.ErrReceiver},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			got, err := f.s.open(f.c, f.signature)
			if !errors.Is(err, f.want) || got != nil {
				t.Fatalf("got %q, %v; want %v", got, err, f.want)
			}
			errstest.Want(t, err, errs.Forbidden, "")
		})
	}
	t.Run("a ciphertext changed after signing", func(t *testing.T) {
		echo := "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyB=="
		_, err := c.VerifyURL(get.signature, get.ts, get.nonce, echo)
		if !errors.Is(err, wecom.ErrSignature) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a wrong key under a right signature", func(t *testing.T) {
		other := mustCrypto(t, get.token, samples[0].aesKey, get.corpID)
		_, err := get.open(other, get.signature)
		errstest.Want(t, err, errs.Invalid, "")
	})

	// Signed garbage: each plaintext is laid out by hand, encrypted with the
	// standard library and signed, so only the decryption can refuse it.
	plain := func(msg string, receiver string) []byte {
		b := append(make([]byte, 16), 0, 0, 0, 0)
		binary.BigEndian.PutUint32(b[16:], uint32(len(msg)))
		return append(append(b, msg...), receiver...)
	}
	pad := func(b []byte, n int, fill byte) []byte { return append(b, bytes.Repeat([]byte{fill}, n)...) }
	withLen := func(b []byte, n uint32) []byte { binary.BigEndian.PutUint32(b[16:], n); return b }
	base := plain("hello", get.corpID) // 16+4+5+18 = 43 bytes, 21 to pad to 64
	cases := []struct {
		name   string
		cipher string
	}{
		{"not base64", "not-base64!"},
		{"empty", ""},
		{"not whole blocks", base64.StdEncoding.EncodeToString(make([]byte, 24))},
		{"padding byte zero", rawEncrypt(t, get.aesKey, pad(bytes.Clone(base), 21, 0))},
		{"padding byte over 32", rawEncrypt(t, get.aesKey, pad(bytes.Clone(base), 21+32, 53))},
		{"padding bytes that disagree", rawEncrypt(t, get.aesKey, append(pad(bytes.Clone(base), 20, 21), 20))},
		{"a length past the end", rawEncrypt(t, get.aesKey, pad(withLen(bytes.Clone(base), 1000), 21, 21))},
		{"shorter than the header", rawEncrypt(t, get.aesKey, pad([]byte("0123456789abcdef012"), 13, 13))},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			got, err := c.VerifyURL(c.Signature(get.ts, get.nonce, k.cipher), get.ts, get.nonce, k.cipher)
			if got != nil {
				t.Fatalf("got %q", got)
			}
			errstest.Want(t, err, errs.Invalid, "")
		})
	}
	t.Run("a well-formed plaintext of our own passes", func(t *testing.T) {
		enc := rawEncrypt(t, get.aesKey, pad(bytes.Clone(base), 21, 21))
		got, err := c.VerifyURL(c.Signature(get.ts, get.nonce, enc), get.ts, get.nonce, enc)
		if err != nil || string(got) != "hello" {
			t.Fatalf("got %q, %v", got, err)
		}
	})

	bodies := []struct{ name, body string }{
		{"a body that is not XML", "{\"encrypt\":\"x\"}"},
		{"an envelope without Encrypt", "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName></xml>"},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			_, err := c.DecryptMessage(post.signature, post.ts, post.nonce, []byte(b.body))
			errstest.Want(t, err, errs.Invalid, "")
		})
	}
}

func TestNewCrypto(t *testing.T) {
	key := samples[2].aesKey
	cases := []struct {
		name, token, key, corp, field string
	}{
		{"no token", "", key, "ww1", "token"},
		{"a short key", "t", key[:42], "ww1", "encoding_aes_key"},
		{"a long key", "t", key + "A", "ww1", "encoding_aes_key"},
		{"a key with padding", "t", key[:42] + "=", "ww1", "encoding_aes_key"},
		{"a key that is not base64", "t", "!" + key[1:], "ww1", "encoding_aes_key"},
		{"no corp id", "t", key, "", "corp_id"},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			c, err := wecom.NewCrypto(k.token, k.key, k.corp)
			if c != nil {
				t.Fatal("a Crypto was made")
			}
			errstest.Want(t, err, errs.Invalid, k.field)
		})
	}
}

func aesKey(t *testing.T, encodingAESKey string) cipher.Block {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		t.Fatal(err)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rawDecrypt(t *testing.T, encodingAESKey, enc string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	cipher.NewCBCDecrypter(aesKey(t, encodingAESKey), key[:16]).CryptBlocks(data, data)
	return data
}

func rawEncrypt(t *testing.T, encodingAESKey string, plain []byte) string {
	t.Helper()
	if len(plain)%aes.BlockSize != 0 {
		t.Fatalf("test plaintext of %d bytes is not whole blocks", len(plain))
	}
	key, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(aesKey(t, encodingAESKey), key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	j := strings.Index(s, to)
	if i < 0 || j < i {
		t.Fatalf("no %s…%s in %s", from, to, s)
	}
	return s[i+len(from) : j]
}
