// Package sdk is the bridge to the vendor's WeCom Finance SDK,
// libWeWorkFinanceSdk_C.so: the only way to read the chat archive, since
// its DecryptData cipher is private. The library is loaded at run time with
// purego, so Charter builds and tests with CGO_ENABLED=0 and without the
// vendor file; only Open needs it.
//
// The calls and their contract are those of the vendor's public header
// WeWorkFinanceSdk_C.h. A Client holds one SDK handle and is the puller's
// wecom.Source and wecom.Decrypter.
package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"charter/internal/capture/wecom"
)

// lib holds the library's calls, bound once by load. Pointers the SDK
// hands out (the handle, Slice_t, MediaData_t, their buffers) stay in C
// memory and are only ever passed back or copied from.
type lib struct {
	newSdk              func() unsafe.Pointer
	init                func(sdk unsafe.Pointer, corpID, secret string) int32
	getChatData         func(sdk unsafe.Pointer, seq uint64, limit uint32, proxy, passwd string, timeout int32, out unsafe.Pointer) int32
	decryptData         func(encryptKey, encryptMsg string, out unsafe.Pointer) int32
	getMediaData        func(sdk unsafe.Pointer, indexBuf, sdkFileID, proxy, passwd string, timeout int32, out unsafe.Pointer) int32
	destroySdk          func(sdk unsafe.Pointer)
	newSlice            func() unsafe.Pointer
	freeSlice           func(slice unsafe.Pointer)
	getContentFromSlice func(slice unsafe.Pointer) unsafe.Pointer
	getSliceLen         func(slice unsafe.Pointer) int32
	newMediaData        func() unsafe.Pointer
	freeMediaData       func(media unsafe.Pointer)
	getOutIndexBuf      func(media unsafe.Pointer) unsafe.Pointer
	getData             func(media unsafe.Pointer) unsafe.Pointer
	getIndexLen         func(media unsafe.Pointer) int32
	getDataLen          func(media unsafe.Pointer) int32
	isMediaDataFinish   func(media unsafe.Pointer) int32
}

// Options go with every call that reaches WeCom (GetChatData, GetMediaData).
type Options struct {
	// Proxy, if set, is the SDK's proxy: socks5://10.0.0.1:8081 or http://10.0.0.1:8081.
	Proxy string
	// ProxyPassword is the proxy's user_name:passwd.
	ProxyPassword string
	// Timeout bounds each call, in whole seconds rounded up; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is the per-call timeout when Options leave it zero.
const DefaultTimeout = 10 * time.Second

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("wecom finance sdk: client is closed")

// ErrNotInitialized is returned by calls that need Init to have succeeded.
var ErrNotInitialized = errors.New("wecom finance sdk: Init has not succeeded")

// Client is one SDK handle (NewSdk … DestroySdk).
//
// The header says nothing about threads, so every call, DecryptData
// included, takes one mutex: a Client may be shared, but its calls run one
// at a time. A media download takes it per chunk, so a pull can run between
// the chunks of a long file.
type Client struct {
	l       *lib
	opt     Options
	timeout int32

	mu     sync.Mutex
	h      unsafe.Pointer // nil once closed
	inited bool
}

var (
	_ wecom.Source    = (*Client)(nil)
	_ wecom.Decrypter = (*Client)(nil)
)

// Open loads the library at path and creates an SDK handle; call Init next.
// The error names the path when the file is missing or is not the SDK.
func Open(path string, opt Options) (*Client, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("wecom finance sdk: %s: %w", path, err)
	}
	// dlopen would search the library path for a name it cannot open;
	// Charter is told a file, so a missing one is said as such.
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("wecom finance sdk: %w", err)
	}
	l, err := load(abs)
	if err != nil {
		return nil, err
	}
	h := l.newSdk()
	if h == nil {
		return nil, fmt.Errorf("wecom finance sdk: %s: NewSdk returned NULL", abs)
	}
	return &Client{l: l, h: h, opt: opt, timeout: seconds(opt.Timeout)}, nil
}

func seconds(d time.Duration) int32 {
	if d <= 0 {
		d = DefaultTimeout
	}
	s := math.Ceil(d.Seconds())
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(s)
}

// Init initialises the handle with the corp ID and the archive's secret
// (会话内容存档 Secret, not an application's). Public reports say a wrong
// secret is not refused here but by the first GetChatData, as a
// ServerError (errcode 41001, or 48002 for an application's secret).
func (c *Client) Init(corpID, secret string) error {
	if err := noNUL("Init", corpID, secret); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return ErrClosed
	}
	if rc := c.l.init(c.h, corpID, secret); rc != 0 {
		return &Error{Op: "Init", Code: Code(rc)}
	}
	c.inited = true
	return nil
}

// GetChatData fetches up to limit (at most 1000) encrypted items after seq.
// The SDK refuses a limit over 1000 with ErrParam.
func (c *Client) GetChatData(seq int64, limit int) ([]wecom.ChatData, error) {
	if seq < 0 {
		return nil, fmt.Errorf("wecom finance sdk: GetChatData: seq %d is negative", seq)
	}
	if limit < 0 || int64(limit) > math.MaxUint32 {
		return nil, fmt.Errorf("wecom finance sdk: GetChatData: limit %d is out of range", limit)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, err
	}
	body, err := c.withSlice("GetChatData", func(s unsafe.Pointer) int32 {
		return c.l.getChatData(c.h, uint64(seq), uint32(limit), c.opt.Proxy, c.opt.ProxyPassword, c.timeout, s)
	})
	if err != nil {
		return nil, err
	}
	var resp struct {
		ErrCode  int              `json:"errcode"`
		ErrMsg   string           `json:"errmsg"`
		ChatData []wecom.ChatData `json:"chatdata"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("wecom finance sdk: GetChatData: answer is not the documented JSON: %w", err)
	}
	if resp.ErrCode != 0 {
		return nil, &ServerError{ErrCode: resp.ErrCode, ErrMsg: resp.ErrMsg}
	}
	return resp.ChatData, nil
}

// DecryptData decrypts an item's encrypt_chat_msg. randomKey is its
// encrypt_random_key already RSA-decrypted with the corp's private key
// (wecom.KeyRing.DecryptRandomKey), as the header asks; handing the SDK the
// base64 field itself fails with ErrParseEncryptKey.
func (c *Client) DecryptData(randomKey, encryptedMsg string) ([]byte, error) {
	if err := noNUL("DecryptData", randomKey, encryptedMsg); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return nil, ErrClosed
	}
	return c.withSlice("DecryptData", func(s unsafe.Pointer) int32 {
		return c.l.decryptData(randomKey, encryptedMsg, s)
	})
}

// withSlice runs call with a fresh Slice_t and returns a Go copy of what it
// holds; the slice is freed whatever happens.
func (c *Client) withSlice(op string, call func(slice unsafe.Pointer) int32) ([]byte, error) {
	s := c.l.newSlice()
	if s == nil {
		return nil, fmt.Errorf("wecom finance sdk: %s: NewSlice returned NULL", op)
	}
	defer c.l.freeSlice(s)
	if rc := call(s); rc != 0 {
		return nil, &Error{Op: op, Code: Code(rc)}
	}
	return cBytes(c.l.getContentFromSlice(s), c.l.getSliceLen(s)), nil
}

// Chunk is one piece of a media file, at most 512 KB.
type Chunk struct {
	Data []byte // the caller's own copy
	// Next is the index buffer of the rest, e.g. "Range: bytes=524288-1048575";
	// empty once Final. Pass it to resume after this chunk.
	Next  string
	Final bool
}

// MediaChunk fetches the chunk of sdkFileID that index names: "" for the
// first, then the previous chunk's Next.
func (c *Client) MediaChunk(sdkFileID, index string) (Chunk, error) {
	if err := noNUL("GetMediaData", sdkFileID, index); err != nil {
		return Chunk{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return Chunk{}, err
	}
	m := c.l.newMediaData()
	if m == nil {
		return Chunk{}, errors.New("wecom finance sdk: GetMediaData: NewMediaData returned NULL")
	}
	defer c.l.freeMediaData(m)
	if rc := c.l.getMediaData(c.h, index, sdkFileID, c.opt.Proxy, c.opt.ProxyPassword, c.timeout, m); rc != 0 {
		return Chunk{}, &Error{Op: "GetMediaData", Code: Code(rc)}
	}
	ch := Chunk{
		Data:  cBytes(c.l.getData(m), c.l.getDataLen(m)),
		Final: c.l.isMediaDataFinish(m) != 0,
	}
	if !ch.Final {
		ch.Next = string(cBytes(c.l.getOutIndexBuf(m), c.l.getIndexLen(m)))
	}
	return ch, nil
}

// GetMediaData streams sdkFileID from index ("" for the start) to its end,
// handing fn each chunk in order. To survive a failure part way, keep the
// Next of the last chunk fn stored and call again from it. An error from fn
// stops the download and is returned as it is.
func (c *Client) GetMediaData(sdkFileID, index string, fn func(Chunk) error) error {
	for {
		ch, err := c.MediaChunk(sdkFileID, index)
		if err != nil {
			return err
		}
		// An index that does not move would loop for ever.
		if !ch.Final && (ch.Next == "" || ch.Next == index) {
			return fmt.Errorf("wecom finance sdk: GetMediaData: not finished, but no index past %q", index)
		}
		if err := fn(ch); err != nil {
			return err
		}
		if ch.Final {
			return nil
		}
		index = ch.Next
	}
}

// Close destroys the SDK handle. It is safe to call more than once; calls
// after it return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h != nil {
		c.l.destroySdk(c.h)
		c.h = nil
	}
	return nil
}

func (c *Client) ready() error {
	if c.h == nil {
		return ErrClosed
	}
	if !c.inited {
		return ErrNotInitialized
	}
	return nil
}

// noNUL refuses what C would silently cut at a NUL byte.
func noNUL(op string, args ...string) error {
	for _, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("wecom finance sdk: %s: an argument holds a NUL byte", op)
		}
	}
	return nil
}

// cBytes copies n bytes at p, which C owns, into Go memory.
func cBytes(p unsafe.Pointer, n int32) []byte {
	if p == nil || n <= 0 {
		return nil
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), n)...)
}
