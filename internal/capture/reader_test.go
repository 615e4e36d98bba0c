package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charter/internal/errs"
)

func TestOpenEveryFormat(t *testing.T) {
	files := map[string]string{
		"ndjson": "ndjson.jsonl", "wecom": "wecom.jsonl", "pywxdump": "pywxdump.csv",
		"pywxdump-csv": "pywxdump.csv", "pywxdump-json": "pywxdump.json",
		"wechatmsg": "wechatmsg.csv", "chatlog": "chatlog.json", "matrix": "matrix.json",
	}
	for _, f := range Formats() {
		data, err := os.ReadFile(filepath.Join("testdata", files[f]))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rd, err := Open(f, bytes.NewReader(data), Options{Room: "r"})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ok := 0
		for _, r := range drain(t, rd) {
			if r.Msg != nil {
				ok++
			}
		}
		if ok == 0 {
			t.Errorf("%s: no messages", f)
		}
	}
	if _, err := Open("telegram", strings.NewReader(""), Options{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("unknown format: %v", err)
	}
}

func TestOpenSniffsPyWxDumpJSON(t *testing.T) {
	data, _ := os.ReadFile("testdata/pywxdump.json")
	rd, _ := Open("pywxdump", bytes.NewReader(append([]byte("\xef\xbb\xbf\n  "), data...)), Options{})
	recs := drain(t, rd)
	if len(recs) != 6 || recs[0].Msg == nil || recs[0].Msg.Text != "大家好，明天的会改到三点" {
		t.Fatalf("sniffed JSON read wrong: %d records, first %+v", len(recs), recs[0])
	}
}

func TestOptionsRoomAndSelf(t *testing.T) {
	f, _ := os.Open("testdata/pywxdump.csv")
	defer f.Close()
	rd, _ := Open("pywxdump-csv", f, Options{Room: "wr-registered", Self: "wxid_me"})
	recs := drain(t, rd)
	if m := recs[2].Msg; m.RoomID != "wr-registered" || m.Sender != "wxid_me" {
		t.Fatalf("room %q sender %q", m.RoomID, m.Sender)
	}
}

func TestCountingReader(t *testing.T) {
	data, _ := os.ReadFile("testdata/wecom.jsonl")
	cr := NewCountingReader(bytes.NewReader(data))
	drain(t, NewWeCom(cr))
	if cr.N() != int64(len(data)) {
		t.Fatalf("counted %d of %d bytes", cr.N(), len(data))
	}
}

func TestLongLines(t *testing.T) {
	good := `{"platform":"wecom","source_id":"a","room_id":"r","sender":"s","sent_at":"2024-03-01T01:15:02Z","kind":"text","text":"` +
		strings.Repeat("长", 2<<20) + `"}`
	huge := `{"platform":"wecom","source_id":"b","text":"` + strings.Repeat("x", MaxLine) + `"}`
	in := good + "\n" + huge + "\n" + strings.Replace(good, `"a"`, `"c"`, 1) + "\n"
	recs := drain(t, NewNDJSON(strings.NewReader(in)))
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].Msg == nil || len(recs[0].Msg.Text) != 6<<20 {
		t.Errorf("6 MB line not read whole: %v", recs[0].Err)
	}
	if recs[1].Err == nil || recs[1].Line != 2 || errs.KindOf(recs[1].Err) != errs.TooLarge || len(recs[1].Raw) != 4096 {
		t.Errorf("over-long line: line %d err %v raw %d", recs[1].Line, recs[1].Err, len(recs[1].Raw))
	}
	if recs[2].Msg == nil || recs[2].Msg.SourceID != "c" || recs[2].Line != 3 {
		t.Errorf("line after the long one: %+v", recs[2])
	}
}

// failingReader gives a prefix, then fails.
type failingReader struct{ prefix []byte }

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.prefix) > 0 {
		n := copy(p, f.prefix)
		f.prefix = f.prefix[n:]
		return n, nil
	}
	return 0, errors.New("disk on fire")
}

func TestIOErrorIsNotARecord(t *testing.T) {
	files := map[string]string{
		"ndjson": "ndjson.jsonl", "wecom": "wecom.jsonl", "pywxdump": "pywxdump.csv",
		"pywxdump-csv": "pywxdump.csv", "pywxdump-json": "pywxdump.json",
		"wechatmsg": "wechatmsg.csv", "chatlog": "chatlog.json",
	}
	for _, f := range Formats() {
		data, _ := os.ReadFile(filepath.Join("testdata", files[f]))
		rd, _ := Open(f, &failingReader{prefix: data[:400]}, Options{})
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			_, err = rd.Next()
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: I/O failure not reported: %v", f, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() *Message {
		return &Message{Platform: "wecom", SourceID: "x", RoomID: "r", Sender: "s",
			SentAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Kind: KindText}
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mutate := range map[string]func(*Message){
		"platform":    func(m *Message) { m.Platform = "" },
		"source_id":   func(m *Message) { m.SourceID = "" },
		"sent_at":     func(m *Message) { m.SentAt = time.Time{} },
		"kind":        func(m *Message) { m.Kind = "sticker" },
		"transfer":    func(m *Message) { m.Kind = KindTransfer; m.Transfer = &Transfer{AmountFen: -1, Type: "transfer"} },
		"attachments": func(m *Message) { m.Attachments = []Attachment{{Size: -1}} },
		"recalls":     func(m *Message) { m.Recalls = "y" },
		"text":        func(m *Message) { m.Text = "\xff" },
		"raw":         func(m *Message) { m.Raw = []byte("{") },
	} {
		m := ok()
		mutate(m)
		var e *errs.Error
		if err := m.Validate(); !errors.As(err, &e) || e.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestSingleRoomID(t *testing.T) {
	if a, b := SingleRoomID("zhang", "li"), SingleRoomID("li", "zhang"); a != b || a != "single:li:zhang" {
		t.Fatalf("%q %q", a, b)
	}
	if got := SingleRoomID("zhang", ""); got != "single:zhang" {
		t.Fatal(got)
	}
}

func TestAmountFen(t *testing.T) {
	for in, want := range map[string]int64{
		"转账：￥8.88": 888, "[转账|发送 ¥1200.5](x)": 120050, "¥3": 300, "￥0.01": 1, "没有金额": 0,
	} {
		if got := amountFen(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

func TestWeChatTimes(t *testing.T) {
	want := time.Date(2024, 3, 1, 1, 15, 2, 0, time.UTC)
	for _, in := range []string{"2024-03-01 09:15:02", "1709255702", "1709255702000", "2024-03-01T09:15:02+08:00"} {
		got, err := parseWeChatTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
}

func TestTextThatLooksLikeXMLStaysText(t *testing.T) {
	in := "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\n" +
		"1,7,1,0,0,1709255702,2,注意: <重要>明天交</重要>,2024-03-01 09:15:02,a,b,wxid_a\n"
	recs := drain(t, NewWeChatMsgCSV(strings.NewReader(in), "r"))
	if len(recs) != 1 || recs[0].Msg == nil || recs[0].Msg.Text != "注意: <重要>明天交</重要>" {
		t.Fatalf("%+v", recs)
	}
}

func TestWeComTextThatIsJSONStaysAsTyped(t *testing.T) {
	line := `{"msgid":"j1","action":"send","from":"a","tolist":["b"],"roomid":"wr1","msgtime":1700000000000,"msgtype":"text","text":{"content":"{\"password\":\"hunter2\"}"}}`
	m, err := ParseWeCom([]byte(line))
	if err != nil || m.Text != `{"password":"hunter2"}` {
		t.Fatalf("%q %v", m.Text, err)
	}
}
