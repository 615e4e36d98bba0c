package capture

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// seed adds the whole test file and each of its lines.
func seed(f *testing.F, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f.Add(append([]byte(nil), sc.Bytes()...))
	}
}

// check reads everything: no panic, Next fails only with io.EOF (the input
// is in memory), every record is a valid message or carries an error.
func check(t *testing.T, rd Reader) {
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("reader does not end")
		}
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("Next on in-memory input: %v", err)
		}
		if rec.Err != nil {
			if rec.Msg != nil {
				t.Fatalf("line %d: both a message and an error", rec.Line)
			}
			continue
		}
		if rec.Msg == nil {
			t.Fatalf("line %d: neither message nor error", rec.Line)
		}
		if err := rec.Msg.Validate(); err != nil {
			t.Fatalf("line %d: invalid message emitted: %v", rec.Line, err)
		}
		if rec.Line < 1 {
			t.Fatalf("line number %d", rec.Line)
		}
	}
}

func FuzzNDJSON(f *testing.F) {
	seed(f, "ndjson.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewNDJSON(bytes.NewReader(data))) })
}

func FuzzWeCom(f *testing.F) {
	seed(f, "wecom.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewWeCom(bytes.NewReader(data))) })
}

func FuzzPyWxDumpCSV(f *testing.F) {
	seed(f, "pywxdump.csv")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewPyWxDumpCSV(bytes.NewReader(data), "")) })
}

func FuzzPyWxDumpJSON(f *testing.F) {
	seed(f, "pywxdump.json")
	seed(f, "pywxdump_truncated.json")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewPyWxDumpJSON(bytes.NewReader(data), "")) })
}

func FuzzWeChatMsgCSV(f *testing.F) {
	seed(f, "wechatmsg.csv")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewWeChatMsgCSV(bytes.NewReader(data), "")) })
}

func FuzzChatlogJSON(f *testing.F) {
	seed(f, "chatlog.json")
	f.Fuzz(func(t *testing.T, data []byte) { check(t, NewChatlogJSON(bytes.NewReader(data), "")) })
}
