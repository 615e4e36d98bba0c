package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the .golden files under testdata")

// goldenNow is the clock of the golden runs: a record without a sending
// time is timed by it.
var goldenNow = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// newWeComAt is NewWeCom with a fixed clock.
func newWeComAt(now time.Time) func(io.Reader) Reader {
	return func(r io.Reader) Reader {
		return &wecomReader{lr: newLineReader(r), now: func() time.Time { return now }}
	}
}

// importer names one input file and how to read it.
type importer struct {
	name  string
	input string
	open  func(io.Reader) Reader
}

var importers = []importer{
	{"ndjson", "ndjson.jsonl", NewNDJSON},
	{"wecom", "wecom.jsonl", newWeComAt(goldenNow)},
	{"wecom_vendor", "wecom_vendor.jsonl", newWeComAt(goldenNow)},
	{"pywxdump_csv", "pywxdump.csv", func(r io.Reader) Reader { return NewPyWxDumpCSV(r, "") }},
	{"pywxdump_json", "pywxdump.json", func(r io.Reader) Reader { return NewPyWxDumpJSON(r, "") }},
	{"pywxdump_truncated", "pywxdump_truncated.json", func(r io.Reader) Reader { return NewPyWxDumpJSON(r, "") }},
	{"wechatmsg", "wechatmsg.csv", func(r io.Reader) Reader { return NewWeChatMsgCSV(r, "wxid_wang5") }},
	{"chatlog", "chatlog.json", func(r io.Reader) Reader { return NewChatlogJSON(r, "") }},
}

// goldenLine is one record in a .golden file: the message, or the line,
// reason and quarantined bytes of a rejection.
type goldenLine struct {
	Line  int      `json:"line"`
	Msg   *Message `json:"msg,omitempty"`
	Error string   `json:"error,omitempty"`
	Raw   string   `json:"raw,omitempty"`
}

// drain reads every record, failing the test on an I/O error or a record
// that is neither valid nor rejected.
func drain(t testing.TB, rd Reader) []Record {
	t.Helper()
	var out []Record
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("reader does not end")
		}
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if rec.Err == nil {
			if rec.Msg == nil {
				t.Fatalf("line %d: no message and no error", rec.Line)
			}
			if err := rec.Msg.Validate(); err != nil {
				t.Fatalf("line %d: emitted an invalid message: %v", rec.Line, err)
			}
		}
		out = append(out, rec)
	}
}

func render(t *testing.T, recs []Record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		g := goldenLine{Line: r.Line, Msg: r.Msg}
		if r.Err != nil {
			g.Error = r.Err.Error()
			g.Raw = string(r.Raw)
		}
		line, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("marshal line %d: %v", r.Line, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, im := range importers {
		t.Run(im.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", im.input))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := render(t, drain(t, im.open(f)))
			golden := filepath.Join("testdata", im.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/capture/... -update)", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s differs at record %d:\n got: %s\nwant: %s", golden, i+1, g, w)
					}
				}
			}
		})
	}
}

// The normalized output must read back through the NDJSON importer
// unchanged: the NDJSON format is the normalized message.
func TestGoldenRoundTrip(t *testing.T) {
	for _, im := range importers {
		f, err := os.Open(filepath.Join("testdata", im.input))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		var msgs []*Message
		for _, r := range drain(t, im.open(f)) {
			if r.Msg != nil {
				line, _ := json.Marshal(r.Msg)
				b.Write(line)
				b.WriteByte('\n')
				msgs = append(msgs, r.Msg)
			}
		}
		f.Close()
		back := drain(t, NewNDJSON(&b))
		if len(back) != len(msgs) {
			t.Fatalf("%s: %d messages became %d", im.name, len(msgs), len(back))
		}
		for i, r := range back {
			if r.Err != nil {
				t.Fatalf("%s: message %d rejected on the way back: %v", im.name, i+1, r.Err)
			}
			a, _ := json.Marshal(msgs[i])
			c, _ := json.Marshal(r.Msg)
			if !bytes.Equal(a, c) {
				t.Fatalf("%s: message %d changed:\n%s\n%s", im.name, i+1, a, c)
			}
		}
	}
}

func readGolden(t *testing.T, name string) []goldenLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var g goldenLine
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// The malformed records of each test file are rejected at the right line,
// with a reason naming what is wrong, and keep their bytes for quarantine;
// the good records after them still come through.
func TestRejectedRecords(t *testing.T) {
	want := map[string]map[int]string{
		"wecom": {35: "bad JSON", 36: "where an object was expected",
			37: "source_id: msgid missing", 38: "msgtime: not an integer", 39: "transfer: negative amount",
			49: "encrypt_chat_msg: the record is still encrypted", 50: "info: voiptext body missing",
			51: "msgid: the wrapper's msgid"},
		"wecom_vendor": {},
		"ndjson": {6: `unknown field "txt"`, 7: "kind: unknown kind", 8: "platform: unknown platform",
			9: "source_id: missing", 10: "sent_at: missing", 11: "transfer: negative amount",
			12: "sent_at: not an RFC 3339 time", 13: "more than one value", 14: "bad JSON"},
		"pywxdump_csv":       {17: "sent_at: unreadable time", 18: "row has 7 fields", 19: "bad CSV"},
		"pywxdump_json":      {38: "sent_at: time missing", 47: "not a JSON object"},
		"pywxdump_truncated": {14: "the rest of the file cannot be read"},
		"wechatmsg":          {11: "kind: Type", 12: "sent_at: time missing"},
		"chatlog":            {11: "sent_at: unreadable time", 12: "kind: type is not a number"},
	}
	for name, errsAt := range want {
		lines := readGolden(t, name)
		got := map[int]string{}
		for _, g := range lines {
			if g.Error != "" {
				got[g.Line] = g.Error
				if g.Raw == "" {
					t.Errorf("%s line %d: rejected without its bytes", name, g.Line)
				}
			}
		}
		for line, frag := range errsAt {
			if !strings.Contains(got[line], frag) {
				t.Errorf("%s line %d: error %q, want it to mention %q", name, line, got[line], frag)
			}
		}
		if len(got) != len(errsAt) {
			t.Errorf("%s: %d rejections, want %d: %v", name, len(got), len(errsAt), got)
		}
		if last := lines[len(lines)-1]; name != "pywxdump_truncated" && last.Msg == nil && errsAt[last.Line] == "" {
			t.Errorf("%s: the file does not end with a message or an expected rejection", name)
		}
	}
}
