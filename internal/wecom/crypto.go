package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"io"
	"sort"
	"strings"

	"charter/internal/errs"
)

// The callback crypto follows WeCom's "加解密方案说明"
// (https://developer.work.weixin.qq.com/document/path/90968) and the
// WXBizMsgCrypt libraries WeCom publishes beside it:
//
//	msg_signature = hex(SHA-1(concat(sort(token, timestamp, nonce, msg_encrypt))))
//	AESKey        = Base64_Decode(EncodingAESKey + "=")      43 characters → 32 bytes
//	msg_encrypt   = Base64(AES-256-CBC(AESKey, IV = AESKey[:16],
//	                  PKCS#7-to-32(random(16) ‖ uint32be(len(msg)) ‖ msg ‖ ReceiveId)))

// blockSize is the PKCS#7 block WeCom pads to: 32 bytes, not AES's 16.
const blockSize = 32

// ErrSignature is a callback whose msg_signature is not the one its token,
// timestamp, nonce and ciphertext give: it did not come from WeCom, or the
// token is wrong. The HTTP layer answers 403.
var ErrSignature = &errs.Error{Kind: errs.Forbidden, Message: "wecom callback: msg_signature does not match"}

// ErrReceiver is a callback that decrypts and is signed, but for another
// receiver (another corp, or a third-party suite sharing the key): it is
// not ours to act on.
var ErrReceiver = &errs.Error{Kind: errs.Forbidden, Message: "wecom callback: the message is for another receiver id"}

// Crypto signs, verifies, encrypts and decrypts the callbacks of one
// callback URL: the Token and EncodingAESKey set on the app's "接收消息"
// page, and the receiver id (the corp id for an app of the corp itself).
type Crypto struct {
	token  string
	key    []byte
	corpID string
	random io.Reader
}

// NewCrypto checks the three values and keeps them. The EncodingAESKey
// is 43 characters of base64 (a–z, A–Z, 0–9) that decode to 32 bytes.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	if token == "" {
		return nil, errs.Field("token", "is empty")
	}
	if len(encodingAESKey) != 43 {
		return nil, errs.Field("encoding_aes_key", "must be 43 characters, not %d", len(encodingAESKey))
	}
	// Not Strict: the last character carries two bits that are not part of
	// the key, and WeCom's own libraries ignore them too.
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errs.Field("encoding_aes_key", "is not base64 of a 32-byte key")
	}
	if corpID == "" {
		return nil, errs.Field("corp_id", "is empty")
	}
	return &Crypto{token: token, key: key, corpID: corpID, random: rand.Reader}, nil
}

// Signature is the msg_signature of a ciphertext sent at timestamp with nonce.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// VerifyURL answers WeCom's GET to a callback URL: it checks the signature
// of echostr (URL-decoded, as r.URL.Query gives it) and returns its
// plaintext, which the handler writes back as the whole response body.
func (c *Crypto) VerifyURL(signature, timestamp, nonce, echostr string) ([]byte, error) {
	// Query decoding turns a '+' sent unescaped into a space; base64 has no
	// spaces, so each one was a '+' when WeCom signed it.
	echostr = strings.ReplaceAll(echostr, " ", "+")
	return c.open(signature, timestamp, nonce, echostr)
}

// envelope is the body WeCom POSTs to a callback URL.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
	AgentID    string `xml:"AgentID"`
}

// DecryptMessage opens a POSTed callback: body is the XML envelope
// <xml><ToUserName/><Encrypt/><AgentID/></xml>, the other three come from
// the URL. It returns the decrypted XML, which ParseEvent reads.
func (c *Crypto) DecryptMessage(signature, timestamp, nonce string, body []byte) ([]byte, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Message: "wecom callback: the body is not the XML envelope", Err: err}
	}
	if env.Encrypt == "" {
		return nil, errs.E(errs.Invalid, "wecom callback: the body has no Encrypt")
	}
	return c.open(signature, timestamp, nonce, env.Encrypt)
}

// cdata is an element written as <![CDATA[…]]>, as WeCom's libraries do.
type cdata struct {
	Text string `xml:",cdata"`
}

type reply struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// EncryptMessage seals msg (a passive reply's XML) as the reply body WeCom
// expects: <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>.
func (c *Crypto) EncryptMessage(msg []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, err
	}
	out, err := xml.Marshal(reply{
		Encrypt:      cdata{enc},
		MsgSignature: cdata{c.Signature(timestamp, nonce, enc)},
		TimeStamp:    timestamp,
		Nonce:        cdata{nonce},
	})
	return out, errs.Wrap(err, "wecom: write the encrypted reply")
}

// Encrypt is msg_encrypt for msg: its base64 ciphertext, unsigned.
func (c *Crypto) Encrypt(msg []byte) (string, error) {
	plain := make([]byte, 16, 16+4+len(msg)+len(c.corpID)+blockSize)
	if _, err := io.ReadFull(c.random, plain); err != nil {
		return "", errs.Wrap(err, "wecom: read random bytes")
	}
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, c.corpID...)
	pad := blockSize - len(plain)%blockSize
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)

	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", errs.Wrap(err, "wecom: AES key")
	}
	cipher.NewCBCEncrypter(block, c.key[:16]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}

// open checks the signature first, so nothing unsigned reaches the
// decryption, then decrypts and checks the receiver.
func (c *Crypto) open(signature, timestamp, nonce, encrypted string) ([]byte, error) {
	want := c.Signature(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return nil, ErrSignature
	}
	msg, receiver, err := c.decrypt(encrypted)
	if err != nil {
		return nil, err
	}
	if receiver != c.corpID {
		return nil, ErrReceiver
	}
	return msg, nil
}

func (c *Crypto) decrypt(encrypted string) (msg []byte, receiver string, err error) {
	bad := func(what string) error {
		return errs.E(errs.Invalid, "wecom callback: cannot decrypt: %s", what)
	}
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, "", bad("the ciphertext is not base64")
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, "", bad("the ciphertext is not whole AES blocks")
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, "", errs.Wrap(err, "wecom: AES key")
	}
	cipher.NewCBCDecrypter(block, c.key[:16]).CryptBlocks(data, data)

	pad := int(data[len(data)-1])
	if pad < 1 || pad > blockSize || pad > len(data) {
		return nil, "", bad("bad padding")
	}
	for _, b := range data[len(data)-pad:] {
		if int(b) != pad {
			return nil, "", bad("bad padding")
		}
	}
	data = data[:len(data)-pad]
	if len(data) < 20 {
		return nil, "", bad("the plaintext is too short")
	}
	n := binary.BigEndian.Uint32(data[16:20])
	if uint64(n) > uint64(len(data)-20) {
		return nil, "", bad("the message length runs past the plaintext")
	}
	return data[20 : 20+n], string(data[20+n:]), nil
}
