//go:build linux || darwin || freebsd || netbsd

package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/capture/wecom"
	"charter/internal/capture/wecom/sdk/sdktest"
)

func TestOpenMissingSymbol(t *testing.T) {
	src := filepath.Join(t.TempDir(), "half.c")
	if err := os.WriteFile(src, []byte("void *NewSdk(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	so := sdktest.Compile(t, src, "libhalf.so")
	_, err := Open(so, Options{})
	if err == nil || !strings.Contains(err.Error(), so) || !strings.Contains(err.Error(), "has no Init") {
		t.Fatalf("want an error naming %s and the missing Init, got %v", so, err)
	}
}

func TestInit(t *testing.T) {
	f := newFake(t)
	t.Run("OK", func(t *testing.T) {
		f.open(t, Options{})
	})
	t.Run("ErrParamOnEmptyCorpID", func(t *testing.T) {
		c, err := Open(f.Path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Init("", testSecret)
		var e *Error
		if !errors.As(err, &e) || e.Op != "Init" || e.Code != ErrParam {
			t.Fatalf("want Init: ErrParam, got %v", err)
		}
		if _, err := c.GetChatData(0, 10); !errors.Is(err, ErrNotInitialized) {
			t.Fatalf("GetChatData after a failed Init: want ErrNotInitialized, got %v", err)
		}
	})
	t.Run("NULRefused", func(t *testing.T) {
		c, err := Open(f.Path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Init(testCorp, "sec\x00ret"); err == nil || !strings.Contains(err.Error(), "NUL") {
			t.Fatalf("want a NUL error, got %v", err)
		}
	})
}

func TestGetChatData(t *testing.T) {
	f := newFake(t)
	cp := newCorpus(t, 25)
	f.serve(t, cp)

	t.Run("Paging", func(t *testing.T) {
		c := f.open(t, Options{})
		var got []wecom.ChatData
		var sizes []int
		for seq := int64(0); ; {
			page, err := c.GetChatData(seq, 10)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page))
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			seq = page[len(page)-1].Seq
		}
		if want := []int{10, 10, 5, 0}; !slices.Equal(sizes, want) {
			t.Fatalf("page sizes %v, want %v", sizes, want)
		}
		for i := range cp.items {
			if got[i] != cp.items[i] {
				t.Fatalf("item %d: got %+v, want %+v", i, got[i], cp.items[i])
			}
		}
	})
	t.Run("OptionsPassed", func(t *testing.T) {
		c := f.open(t, Options{Proxy: "socks5://10.0.0.1:8081", ProxyPassword: "user_name:passwd_123", Timeout: 2500 * time.Millisecond})
		if _, err := c.GetChatData(0, 1); err != nil {
			t.Fatal(err)
		}
		if f.LastProxy() != "socks5://10.0.0.1:8081" || f.LastPasswd() != "user_name:passwd_123" || f.LastTimeout() != 3 {
			t.Fatalf("SDK saw proxy %q passwd %q timeout %d", f.LastProxy(), f.LastPasswd(), f.LastTimeout())
		}
		d := f.open(t, Options{})
		if _, err := d.GetChatData(0, 1); err != nil {
			t.Fatal(err)
		}
		if f.LastProxy() != "" || f.LastTimeout() != 10 {
			t.Fatalf("defaults: SDK saw proxy %q timeout %d", f.LastProxy(), f.LastTimeout())
		}
	})
	t.Run("ErrParamOverLimit1000", func(t *testing.T) {
		c := f.open(t, Options{})
		_, err := c.GetChatData(0, 1001)
		var e *Error
		if !errors.As(err, &e) || e.Op != "GetChatData" || !errors.Is(err, ErrParam) {
			t.Fatalf("want GetChatData: ErrParam, got %v", err)
		}
	})
	t.Run("NegativeSeq", func(t *testing.T) {
		c := f.open(t, Options{})
		if _, err := c.GetChatData(-1, 10); err == nil {
			t.Fatal("negative seq accepted")
		}
	})
	t.Run("WrongSecretIsServerError", func(t *testing.T) {
		c, err := Open(f.Path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Init(testCorp, "not-the-archive-secret"); err != nil {
			t.Fatalf("Init does not check the secret: %v", err)
		}
		_, err = c.GetChatData(0, 10)
		var se *ServerError
		if !errors.As(err, &se) || se.ErrCode != 41001 {
			t.Fatalf("want ServerError 41001, got %v", err)
		}
	})
}

func TestDecryptData(t *testing.T) {
	f := newFake(t)
	cp := newCorpus(t, 3)
	c := f.open(t, Options{})
	it := cp.items[0]
	t.Run("OK", func(t *testing.T) {
		key, err := cp.ring.DecryptRandomKey(it.PublicKeyVer, it.EncryptRandomKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.DecryptData(key, it.EncryptChatMsg)
		if err != nil || !bytes.Equal(got, cp.plain[0]) {
			t.Fatalf("got %q, %v; want %q", got, err, cp.plain[0])
		}
	})
	t.Run("ErrDecryptWithAnotherItemsKey", func(t *testing.T) {
		_, err := c.DecryptData(cp.keys[1], it.EncryptChatMsg)
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("want ErrDecrypt, got %v", err)
		}
	})
	t.Run("ErrParseEncryptKeyWhenNotRSADecrypted", func(t *testing.T) {
		_, err := c.DecryptData(it.EncryptRandomKey, it.EncryptChatMsg)
		if !errors.Is(err, ErrParseEncryptKey) {
			t.Fatalf("want ErrParseEncryptKey, got %v", err)
		}
	})
	t.Run("ErrParamOnEmpty", func(t *testing.T) {
		if _, err := c.DecryptData(cp.keys[0], ""); !errors.Is(err, ErrParam) {
			t.Fatalf("want ErrParam, got %v", err)
		}
	})
}

// media returns n random bytes served as fileID.
func (f *fake) media(t *testing.T, fileID string, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	f.AddMedia(fileID, b, int32(n))
	return b
}

func TestGetMediaData(t *testing.T) {
	f := newFake(t)
	const kb = 1024
	big := f.media(t, "video-1", 1300*kb)
	small := f.media(t, "image-1", 70*kb)
	empty := f.media(t, "empty", 0)
	c := f.open(t, Options{})

	collect := func(fileID, index string) ([]byte, []Chunk, error) {
		var buf bytes.Buffer
		var chunks []Chunk
		err := c.GetMediaData(fileID, index, func(ch Chunk) error {
			buf.Write(ch.Data)
			chunks = append(chunks, ch)
			return nil
		})
		return buf.Bytes(), chunks, err
	}

	t.Run("Chunks", func(t *testing.T) {
		got, chunks, err := collect("video-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, big) {
			t.Fatalf("got %d bytes, want the %d served", len(got), len(big))
		}
		want := []struct {
			n    int
			next string
		}{
			{512 * kb, "Range: bytes=524288-1048575"},
			{512 * kb, "Range: bytes=1048576-1331199"},
			{276 * kb, ""},
		}
		if len(chunks) != len(want) {
			t.Fatalf("%d chunks, want %d", len(chunks), len(want))
		}
		for i, w := range want {
			if len(chunks[i].Data) != w.n || chunks[i].Next != w.next || chunks[i].Final != (i == len(want)-1) {
				t.Fatalf("chunk %d: %d bytes, next %q, final %v; want %d, %q", i, len(chunks[i].Data), chunks[i].Next, chunks[i].Final, w.n, w.next)
			}
		}
	})
	t.Run("OneChunk", func(t *testing.T) {
		got, chunks, err := collect("image-1", "")
		if err != nil || !bytes.Equal(got, small) || len(chunks) != 1 {
			t.Fatalf("%d chunks, %d bytes, %v", len(chunks), len(got), err)
		}
	})
	t.Run("EmptyFile", func(t *testing.T) {
		got, chunks, err := collect("empty", "")
		if err != nil || len(got) != len(empty) || len(chunks) != 1 || !chunks[0].Final {
			t.Fatalf("%d chunks, %d bytes, %v", len(chunks), len(got), err)
		}
	})
	t.Run("ResumeAfterNetworkError", func(t *testing.T) {
		var buf bytes.Buffer
		var resume string
		calls := 0
		err := c.GetMediaData("video-1", "", func(ch Chunk) error {
			buf.Write(ch.Data)
			resume = ch.Next
			if calls++; calls == 1 {
				f.Fail("GetMediaData", int32(ErrNetwork)) // the next chunk fails
			}
			return nil
		})
		if !errors.Is(err, ErrNetwork) || !Retryable(err) {
			t.Fatalf("want a retryable ErrNetwork, got %v", err)
		}
		if buf.Len() != 512*kb || resume != "Range: bytes=524288-1048575" {
			t.Fatalf("kept %d bytes, resume at %q", buf.Len(), resume)
		}
		rest, _, err := collect("video-1", resume)
		if err != nil {
			t.Fatal(err)
		}
		if buf.Write(rest); !bytes.Equal(buf.Bytes(), big) {
			t.Fatal("resumed download differs from the file")
		}
	})
	t.Run("ErrFileID", func(t *testing.T) {
		_, _, err := collect("no-such-file", "")
		var e *Error
		if !errors.As(err, &e) || e.Op != "GetMediaData" || e.Code != ErrFileID {
			t.Fatalf("want GetMediaData: ErrFileID, got %v", err)
		}
	})
	t.Run("CallbackErrorStops", func(t *testing.T) {
		stop := errors.New("disk full")
		n := 0
		err := c.GetMediaData("video-1", "", func(Chunk) error { n++; return stop })
		if err != stop || n != 1 {
			t.Fatalf("after %d chunks: %v", n, err)
		}
	})
}

// The header's return codes, restated from it so that a code missing from
// the bridge's table shows here.
var headerCodes = map[Code]string{
	10000: "参数错误，请求参数错误",
	10001: "网络错误，网络请求错误",
	10002: "数据解析失败",
	10003: "系统失败",
	10004: "密钥错误导致加密失败",
	10005: "fileid错误",
	10006: "解密失败",
	10007: "找不到消息加密版本的私钥，需要重新传入私钥对",
	10008: "解析encrypt_key出错",
	10009: "ip非法",
	10010: "数据过期",
	10011: "证书错误",
}

func TestEveryCodeMapped(t *testing.T) {
	f := newFake(t)
	f.AddMedia("m", []byte("x"), 1)
	c := f.open(t, Options{})
	calls := map[string]func() error{
		"Init":         func() error { return c.Init(testCorp, testSecret) },
		"GetChatData":  func() error { _, err := c.GetChatData(0, 10); return err },
		"DecryptData":  func() error { _, err := c.DecryptData("k", "bXNn"); return err },
		"GetMediaData": func() error { _, err := c.MediaChunk("m", ""); return err },
	}
	codes := []Code{10099}
	for code := range headerCodes {
		codes = append(codes, code)
	}
	for op, call := range calls {
		for _, code := range codes {
			f.Fail(op, int32(code))
			err := call()
			var e *Error
			if !errors.As(err, &e) || e.Op != op || e.Code != code || !errors.Is(err, code) {
				t.Fatalf("%s failing with %d: got %v", op, code, err)
			}
			msg := err.Error()
			if want, listed := headerCodes[code]; listed && !strings.Contains(msg, want) || !listed && !strings.Contains(msg, "not listed") {
				t.Fatalf("%s %d: message %q", op, code, msg)
			}
			if Retryable(err) != (code >= 10001 && code <= 10003) {
				t.Fatalf("%s %d: Retryable %v", op, code, Retryable(err))
			}
		}
	}
}

func TestCloseFrees(t *testing.T) {
	f := newFake(t)
	cp := newCorpus(t, 5)
	f.serve(t, cp)
	f.AddMedia("m", bytes.Repeat([]byte("x"), 600*1024), 600*1024)
	c := f.open(t, Options{})
	items, err := c.GetChatData(0, 100)
	if err != nil || len(items) != 5 {
		t.Fatal(len(items), err)
	}
	for i, it := range items {
		if _, err := c.DecryptData(cp.keys[i], it.EncryptChatMsg); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.DecryptData("wrong", items[0].EncryptChatMsg) // a failed call frees too
	_, _ = c.GetChatData(0, 5000)
	if err := c.GetMediaData("m", "", func(Chunk) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := f.Live(); n != 1 {
		t.Fatalf("%d SDK objects live besides the handle, want none", n-1)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := f.Live(); n != 0 {
		t.Fatalf("%d SDK objects live after Close", n)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, err := range map[string]error{
		"Init":        c.Init(testCorp, testSecret),
		"GetChatData": func() error { _, err := c.GetChatData(0, 1); return err }(),
		"DecryptData": func() error { _, err := c.DecryptData("k", "m"); return err }(),
		"MediaChunk":  func() error { _, err := c.MediaChunk("m", ""); return err }(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("%s after Close: %v", name, err)
		}
	}
}

// The bridge is the puller's Source and Decrypter: the whole archive comes
// through the C library, is decrypted and parsed, and the cursor ends at the
// last seq.
func TestPullerThroughBridge(t *testing.T) {
	f := newFake(t)
	cp := newCorpus(t, len(vendorLines(t)))
	f.serve(t, cp)
	c := f.open(t, Options{})
	cur := &memCursor{}
	var got []wecom.Item
	p := &wecom.Puller{Source: c, Decrypter: c, Keys: cp.ring, Cursor: cur, Limit: 7,
		Sink: func(_ context.Context, _ int64, b []wecom.Item) error { got = append(got, b...); return nil }}
	n, err := p.Run(context.Background())
	if err != nil || n != len(cp.items) || len(got) != len(cp.items) {
		t.Fatalf("pulled %d of %d: %v", n, len(cp.items), err)
	}
	for i, it := range got {
		if it.Err != nil || it.Msg == nil || it.MsgID != cp.items[i].MsgID {
			t.Fatalf("item %d (seq %d): %+v", i, it.Seq, it.Record)
		}
	}
	if cur.seq != cp.items[len(cp.items)-1].Seq {
		t.Fatalf("cursor at %d", cur.seq)
	}
}

type memCursor struct{ seq int64 }

func (c *memCursor) Load() (int64, error) { return c.seq, nil }
func (c *memCursor) Save(s int64) error   { c.seq = s; return nil }

// Shared by goroutines, calls are serialised and nothing leaks; run with
// -race to check the Go side.
func TestConcurrentUse(t *testing.T) {
	f := newFake(t)
	cp := newCorpus(t, 20)
	f.serve(t, cp)
	f.AddMedia("m", bytes.Repeat([]byte("y"), 700*1024), 700*1024)
	c := f.open(t, Options{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				items, err := c.GetChatData(int64(i), 5)
				if err == nil && len(items) > 0 {
					_, err = c.DecryptData(cp.keys[items[0].Seq-1], items[0].EncryptChatMsg)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			n := 0
			err := c.GetMediaData("m", "", func(ch Chunk) error { n += len(ch.Data); return nil })
			if err == nil && n != 700*1024 {
				err = errors.New("short media")
			}
			if err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if n := f.Live(); n != 1 {
		t.Fatalf("%d SDK objects live besides the handle", n-1)
	}
}
