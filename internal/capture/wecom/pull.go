// Package wecom pulls the encrypted WeCom 会话内容存档 (chat archive) and
// turns it into capture records.
//
// The vendor's pull protocol (GetChatData in the Finance SDK, as used by
// binarywang/WxJava WxCpMsgAuditTest.java and silenceper/wechat
// work/msgaudit): from a seq, fetch up to limit items
// {seq, msgid, publickey_ver, encrypt_random_key, encrypt_chat_msg}. The
// random key is RSA PKCS#1 v1.5 encrypted with the corp's public key of
// version publickey_ver and base64 encoded; the SDK's DecryptData(randomKey,
// encryptChatMsg) then yields the message JSON. The SDK is a vendor C library
// that is not part of this repository: Decrypter is where it plugs in.
package wecom

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"charter/internal/capture"
	"charter/internal/errs"
)

// ChatData is one encrypted item as GetChatData returns it.
type ChatData struct {
	Seq              int64  `json:"seq"`
	MsgID            string `json:"msgid"`
	PublicKeyVer     int    `json:"publickey_ver"`
	EncryptRandomKey string `json:"encrypt_random_key"`
	EncryptChatMsg   string `json:"encrypt_chat_msg"`
}

// KeyRing holds the corp's archive private keys by version. Old versions
// stay: messages encrypted before a key rotation still name the old one.
type KeyRing struct {
	mu   sync.RWMutex
	keys map[int]*rsa.PrivateKey
}

// NewKeyRing returns an empty ring.
func NewKeyRing() *KeyRing { return &KeyRing{keys: map[int]*rsa.PrivateKey{}} }

// Add parses a PEM private key (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY") for a version. The vendor console hands keys out without
// PEM armor too; a bare base64 body is accepted.
func (k *KeyRing) Add(version int, key []byte) error {
	der, err := keyDER(key)
	if err != nil {
		return errs.Field("private_key", "version %d: %s", version, err)
	}
	var priv *rsa.PrivateKey
	if p, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		priv = p
	} else if p8, err8 := x509.ParsePKCS8PrivateKey(der); err8 == nil {
		rk, ok := p8.(*rsa.PrivateKey)
		if !ok {
			return errs.Field("private_key", "version %d: not an RSA key", version)
		}
		priv = rk
	} else {
		return errs.Field("private_key", "version %d: neither PKCS#1 nor PKCS#8", version)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[version] = priv
	return nil
}

func keyDER(key []byte) ([]byte, error) {
	if b, _ := pem.Decode(key); b != nil {
		return b.Bytes, nil
	}
	body := strings.Join(strings.Fields(string(key)), "")
	der, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(der) == 0 {
		return nil, fmt.Errorf("not PEM and not base64")
	}
	return der, nil
}

// Versions lists the versions held, ascending.
func (k *KeyRing) Versions() []int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []int
	for v := range k.keys {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

// UnknownVersionError says an item names a key version the ring lacks.
type UnknownVersionError struct{ Version int }

func (e *UnknownVersionError) Error() string {
	return fmt.Sprintf("no private key for publickey_ver %d: add it to the key ring (old versions must be kept)", e.Version)
}

// DecryptRandomKey decrypts an item's encrypt_random_key.
func (k *KeyRing) DecryptRandomKey(version int, b64 string) (string, error) {
	k.mu.RLock()
	priv := k.keys[version]
	k.mu.RUnlock()
	if priv == nil {
		return "", &UnknownVersionError{Version: version}
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", errs.Field("encrypt_random_key", "not base64")
	}
	pt, err := rsa.DecryptPKCS1v15(rand.Reader, priv, ct)
	if err != nil {
		return "", errs.Field("encrypt_random_key", "cannot be decrypted with key version %d", version)
	}
	return string(pt), nil
}

// Decrypter decrypts a message with its random key; the vendor SDK's
// DecryptData fills it. It is called from several goroutines at once (the
// SDK bridge serializes its calls).
type Decrypter interface {
	DecryptData(randomKey, encryptedMsg string) ([]byte, error)
}

// Source fetches encrypted items after seq (GetChatData).
type Source interface {
	GetChatData(seq int64, limit int) ([]ChatData, error)
}

// Cursor keeps the last seq handed to the sink; storage implements it.
type Cursor interface {
	Load() (int64, error)
	Save(seq int64) error
}

// Sink takes one batch. Records are in seq order; Line is 0 and Seq says
// where each came from. Rejected items carry Err and, as Raw, the decrypted
// message, or the encrypted item's JSON when it could not be decrypted (so
// it can be tried again later). lastSeq is what the
// cursor will be saved as when the sink returns nil.
type Sink func(ctx context.Context, lastSeq int64, batch []Item) error

// Item is one pulled record.
type Item struct {
	Seq   int64
	MsgID string
	capture.Record
}

// Puller moves the archive from Source to Sink, advancing Cursor only after
// the sink accepted a batch, so a restart neither skips nor repeats.
type Puller struct {
	Source    Source
	Cursor    Cursor
	Keys      *KeyRing
	Decrypter Decrypter
	Sink      Sink
	// Limit is the batch size; the vendor allows at most 1000.
	Limit int
}

// PullOnce moves one batch, in chunks, and reports how many items it
// archived. An item the key ring has no version for stops the batch at its
// chunk, before the sink sees that chunk: the cursor stays after the
// chunks archived, and the pull resumes there once the key is added.
func (p *Puller) PullOnce(ctx context.Context) (int, error) {
	limit := p.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	seq, err := p.Cursor.Load()
	if err != nil {
		return 0, errs.Wrap(err, "load wecom cursor")
	}
	items, err := p.Source.GetChatData(seq, limit)
	if err != nil {
		return 0, errs.Wrap(err, "get wecom chat data")
	}
	if len(items) == 0 {
		return 0, nil
	}
	// The vendor's order is not promised: archive in seq order, so the
	// cursor only moves forward and a gap is a gap.
	sort.SliceStable(items, func(i, j int) bool { return items[i].Seq < items[j].Seq })
	// RSA is most of a pull's work (a few milliseconds an item): each chunk
	// of the batch is decrypted on every core while the chunk before it is
	// archived, and the cursor moves with each chunk archived. A chunk
	// with an item no key decrypts stops the batch there.
	chunks := make(chan decrypted, 1)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for start := 0; start < len(items) && dctx.Err() == nil; start += chunkSize {
			chunks <- p.decryptAll(dctx, items[start:min(len(items), start+chunkSize)])
		}
	}()
	done, last := 0, seq
	for c := range chunks {
		if c.err != nil {
			return done, c.err
		}
		for _, it := range c.batch {
			last = max(last, it.Seq)
		}
		if err := p.Sink(ctx, last, c.batch); err != nil {
			return done, errs.Wrap(err, "store wecom batch")
		}
		if err := p.Cursor.Save(last); err != nil {
			return done, errs.Wrap(err, "save wecom cursor")
		}
		done += len(c.batch)
	}
	if err := ctx.Err(); err != nil {
		return done, err
	}
	return len(items), nil
}

// chunkSize is how many items are decrypted while the chunk before them is
// archived.
const chunkSize = 200

type decrypted struct {
	batch []Item
	err   error
}

// decryptAll decrypts items on every core, each into its own slot, so the
// chunk keeps its seq order.
func (p *Puller) decryptAll(ctx context.Context, items []ChatData) decrypted {
	batch, errc := make([]Item, len(items)), make([]error, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(items)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(items) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				var rec capture.Record
				rec, errc[i] = p.decrypt(items[i])
				batch[i] = Item{Seq: items[i].Seq, MsgID: items[i].MsgID, Record: rec}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return decrypted{err: err}
	}
	for _, err := range errc {
		if err != nil {
			return decrypted{err: err}
		}
	}
	return decrypted{batch: batch}
}

// Run pulls batches until one comes back short (the archive is drained) or
// ctx ends.
func (p *Puller) Run(ctx context.Context) (int, error) {
	limit := p.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	total := 0
	for {
		n, err := p.PullOnce(ctx)
		total += n
		if err != nil || n < limit {
			return total, err
		}
	}
}

// decrypt turns one item into a record. Only a missing key version is an
// error for the whole batch; anything wrong with the item itself is a
// rejected record.
func (p *Puller) decrypt(cd ChatData) (capture.Record, error) {
	raw, _ := json.Marshal(cd)
	key, err := p.Keys.DecryptRandomKey(cd.PublicKeyVer, cd.EncryptRandomKey)
	if err != nil {
		if _, ok := err.(*UnknownVersionError); ok {
			return capture.Record{}, &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("seq %d msgid %s", cd.Seq, cd.MsgID), Err: err}
		}
		return capture.Record{Err: err, Raw: raw}, nil
	}
	plain, err := p.Decrypter.DecryptData(key, cd.EncryptChatMsg)
	if err != nil {
		return capture.Record{Err: errs.Field("encrypt_chat_msg", "cannot be decrypted: %s", err), Raw: raw}, nil
	}
	m, err := capture.ParseWeCom(plain)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		// Decrypted but unusable: quarantine the plaintext, which is what
		// someone repairing it needs.
		return capture.Record{Err: err, Raw: plain}, nil
	}
	return capture.Record{Msg: m}, nil
}
