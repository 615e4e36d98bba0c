package capture

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"charter/internal/errs"
)

var wecomTestNow = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// wecomRecord is a vendor-shaped text record with fields replaced or
// removed: a value of nil drops the field.
func wecomRecord(t *testing.T, set map[string]any) []byte {
	t.Helper()
	rec := map[string]any{
		"msgid": "m1", "action": "send", "from": "zhangsan", "tolist": []string{"lisi"},
		"roomid": "", "msgtime": 1700000000000, "msgtype": "text", "text": map[string]any{"content": "你好"},
	}
	for k, v := range set {
		if v == nil {
			delete(rec, k)
		} else {
			rec[k] = v
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseWeComTest parses line as the reader does (clock fixed) and validates
// the message.
func parseWeComTest(line []byte) (*Message, error) {
	m, err := parseWeCom(line, func() time.Time { return wecomTestNow })
	if err == nil {
		err = m.Validate()
	}
	return m, err
}

// wantFieldErr fails unless err is an Invalid error on field whose text
// mentions frag.
func wantFieldErr(t *testing.T, err error, field, frag string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != field || !strings.Contains(e.Error(), frag) {
		t.Fatalf("got %v, want an invalid %q error mentioning %q", err, field, frag)
	}
}

func TestWeComToList(t *testing.T) {
	for _, c := range []struct {
		name   string
		tolist any
		room   string
		field  string // "" when accepted
	}{
		{"list", []string{"lisi"}, "single:lisi:zhangsan", ""},
		{"string", "lisi", "single:lisi:zhangsan", ""},
		{"string with several", "lisi, wangwu", "single:lisi:zhangsan", ""},
		{"string holding a list", `["lisi","wangwu"]`, "single:lisi:zhangsan", ""},
		{"empty string", "", "single:zhangsan", ""},
		{"missing", nil, "single:zhangsan", ""},
		{"number", 42, "", "tolist"},
		{"object", map[string]any{"id": "lisi"}, "", "tolist"},
		{"string holding a broken list", `["lisi"`, "", "tolist"},
		{"list of numbers", []int{1, 2}, "", "tolist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := map[string]any{"tolist": c.tolist}
			if c.tolist == nil {
				set = map[string]any{"tolist": nil}
			}
			m, err := parseWeComTest(wecomRecord(t, set))
			if c.field != "" {
				wantFieldErr(t, err, c.field, "")
				return
			}
			if err != nil || m.RoomID != c.room {
				t.Fatalf("room %q, err %v; want room %q", m.RoomID, err, c.room)
			}
		})
	}
	t.Run("group ignores tolist", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"roomid": "wr1", "tolist": "lisi"}))
		if err != nil || m.RoomID != "wr1" {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

func TestWeComTimes(t *testing.T) {
	ms := time.Date(2023, 11, 14, 22, 13, 20, 123e6, time.UTC)
	for _, c := range []struct {
		name    string
		msgtime any
		want    time.Time
		unknown bool
		field   string // "" when accepted
		frag    string
	}{
		{"milliseconds", 1700000000123, ms, false, "", ""},
		{"milliseconds as a string", "1700000000123", ms, false, "", ""},
		{"seconds", 1700000000, ms.Truncate(time.Second), false, "", ""},
		{"seconds as a string", " 1700000000 ", ms.Truncate(time.Second), false, "", ""},
		{"last seconds value", 99999999999, time.Unix(99999999999, 0).UTC(), false, "sent_at", "implausible"},
		{"first milliseconds value", 100000000000, time.Time{}, false, "sent_at", "1973"},
		{"zero is unknown", 0, wecomTestNow, true, "", ""},
		{"empty string is unknown", "", wecomTestNow, true, "", ""},
		{"null is unknown", json.RawMessage("null"), wecomTestNow, true, "", ""},
		{"missing", nil, time.Time{}, false, "msgtime", "missing"},
		{"negative", -5, time.Time{}, false, "msgtime", "negative"},
		{"word", "soon", time.Time{}, false, "msgtime", "not an integer"},
		{"fraction", "1700000000.5", time.Time{}, false, "msgtime", "not an integer"},
		{"microseconds", 1700000000123456, time.Time{}, false, "sent_at", "implausible"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtime": c.msgtime}))
			if c.field != "" {
				wantFieldErr(t, err, c.field, c.frag)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !m.SentAt.Equal(c.want) || m.SentAtUnknown != c.unknown {
				t.Fatalf("sent_at %s unknown %v, want %s unknown %v", m.SentAt, m.SentAtUnknown, c.want, c.unknown)
			}
		})
	}
	t.Run("switch in seconds", func(t *testing.T) {
		m, err := parseWeComTest([]byte(`{"msgid":"s1","action":"switch","time":"1554119421","user":"XuJinSheng"}`))
		if err != nil || !m.SentAt.Equal(time.Unix(1554119421, 0)) || m.SentAtUnknown {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("switch without a time is unknown", func(t *testing.T) {
		m, err := parseWeComTest([]byte(`{"msgid":"s1","action":"switch","time":0,"user":"XuJinSheng"}`))
		if err != nil || !m.SentAtUnknown || !m.SentAt.Equal(wecomTestNow) || m.Kind != KindSystem {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("ParseWeCom times an unknown message now", func(t *testing.T) {
		before := time.Now()
		m, err := ParseWeCom(wecomRecord(t, map[string]any{"msgtime": 0}))
		if err != nil || !m.SentAtUnknown || m.SentAt.Before(before.Add(-time.Second)) || m.SentAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

func TestWeComWrapper(t *testing.T) {
	inner := `{"msgid":"w1","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"wr1","msgtime":1700000000000,"msgtype":"text","text":{"content":"包装"}}`
	for _, c := range []struct {
		name  string
		line  string
		id    string
		field string // "" when accepted
		frag  string
	}{
		{"wrapper", `{"seq":12,"msgid":"w1","publickey_ver":2,"msg":` + inner + `}`, "w1", "", ""},
		{"seq as a string", `{"seq":"12","msgid":"w1","publickey_ver":"2","msg":` + inner + `}`, "w1", "", ""},
		{"msg as a string", `{"seq":12,"msgid":"w1","msg":` + strconvQuote(inner) + `}`, "w1", "", ""},
		{"msgid only on the wrapper", `{"seq":12,"msgid":"w9","msg":` + strings.Replace(inner, `"msgid":"w1",`, "", 1) + `}`, "w9", "", ""},
		{"msgid only in the message", `{"seq":12,"msg":` + inner + `}`, "w1", "", ""},
		{"msgids differ", `{"seq":12,"msgid":"w2","msg":` + inner + `}`, "", "msgid", "w2"},
		{"msg not an object", `{"seq":12,"msgid":"w1","msg":[1,2]}`, "", "msg", "not a message object"},
		{"msg a plain string", `{"seq":12,"msgid":"w1","msg":"hello"}`, "", "msg", "not a message object"},
		{"still encrypted", `{"seq":12,"msgid":"w1","publickey_ver":2,"encrypt_random_key":"a","encrypt_chat_msg":"b"}`, "", "encrypt_chat_msg", "still encrypted"},
		{"wrapper without msg", `{"seq":12,"msgid":"w1","publickey_ver":2}`, "", "msgtime", "missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := parseWeComTest([]byte(c.line))
			if c.field != "" {
				wantFieldErr(t, err, c.field, c.frag)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.SourceID != c.id || m.Text != "包装" || m.RoomID != "wr1" || m.Kind != KindText {
				t.Fatalf("%+v", m)
			}
			if string(m.Raw) != c.line {
				t.Fatalf("raw is not the whole record: %s", m.Raw)
			}
		})
	}
	t.Run("a message with a msg field is not a wrapper", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msg": map[string]any{"msgid": "x"}}))
		if err != nil || m.SourceID != "m1" || m.Text != "你好" {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The types partners send with their bodies under "info".
func TestWeComInfoBodies(t *testing.T) {
	for _, c := range []struct {
		name    string
		msgtype string
		body    map[string]any // under "info"; nil: no body at all
		kind    Kind
		text    string
		file    string
		field   string // "" when accepted
		frag    string
	}{
		{"voice call", "voiptext", map[string]any{"callduration": 125, "invitetype": 2}, KindText, "单人语音通话，时长 125 秒", "", "", ""},
		{"group video call", "voiptext", map[string]any{"callduration": "30", "invitetype": "3"}, KindText, "多人视频通话，时长 30 秒", "", "", ""},
		{"call of a new type", "voiptext", map[string]any{"callduration": 5, "invitetype": 9}, KindText, "音视频通话（类型 9），时长 5 秒", "", "", ""},
		{"call without a duration", "voiptext", map[string]any{"invitetype": 1}, KindText, "单人视频通话", "", "", ""},
		{"call without a type", "voiptext", map[string]any{"callduration": 0}, KindText, "音视频通话，时长 0 秒", "", "", ""},
		{"call without its body", "voiptext", nil, "", "", "", "info", "voiptext body missing"},
		{"call with an empty body", "voiptext", map[string]any{}, "", "", "", "info", "neither callduration nor invitetype"},
		{"call of negative length", "voiptext", map[string]any{"callduration": -1, "invitetype": 1}, "", "", "", "info.callduration", "seconds"},
		{"call of unreadable length", "voiptext", map[string]any{"callduration": "long", "invitetype": 1}, "", "", "", "info.callduration", "seconds"},
		{"disk file", "qydiskfile", map[string]any{"filename": "预算.xlsx"}, KindFile, "预算.xlsx", "预算.xlsx", "", ""},
		{"disk file without a name", "qydiskfile", map[string]any{"filename": ""}, "", "", "", "info.filename", "names no file"},
		{"disk file without its body", "qydiskfile", nil, "", "", "", "info", "qydiskfile body missing"},
		{"meeting notice", "meeting_notification", map[string]any{"meeting_id": 1210342560, "notification_type": 1, "content": "会议已开始"}, KindOther, "会议已开始", "", "", ""},
		{"meeting notice with numbers as strings", "meeting_notification", map[string]any{"meeting_id": "1210342560", "notification_type": "2", "content": "会议已结束"}, KindOther, "会议已结束", "", "", ""},
		{"meeting notice without text", "meeting_notification", map[string]any{"meeting_id": 1, "notification_type": 1}, "", "", "", "info.content", "has no text"},
		{"meeting notice without its body", "meeting_notification", nil, "", "", "", "info", "body missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := map[string]any{"msgtype": c.msgtype, "text": nil}
			if c.body != nil {
				set["info"] = c.body
			}
			m, err := parseWeComTest(wecomRecord(t, set))
			if c.field != "" {
				wantFieldErr(t, err, c.field, c.frag)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != c.kind || m.Text != c.text {
				t.Fatalf("kind %q text %q, want %q %q", m.Kind, m.Text, c.kind, c.text)
			}
			if c.file != "" && (len(m.Attachments) != 1 || m.Attachments[0].Name != c.file) {
				t.Fatalf("attachments %+v, want %q", m.Attachments, c.file)
			}
		})
	}
	t.Run("body under its own name", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "voiptext", "text": nil,
			"voiptext": map[string]any{"callduration": 8, "invitetype": 2}}))
		if err != nil || m.Text != "单人语音通话，时长 8 秒" {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

// What is not text stays out of a message's text.
func TestWeComTextLeavesOutHandlesAndNumbers(t *testing.T) {
	t.Run("image oss_url", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "image", "text": nil,
			"image": map[string]any{"md5sum": "50de", "filesize": "70961", "sdkfileid": "CtYB", "oss_url": "https://b.oss.example/x.jpg"}}))
		if err != nil || m.Text != "" || len(m.Attachments) != 1 || m.Attachments[0].Size != 70961 {
			t.Fatalf("%+v %v", m, err)
		}
	})
	// (json.Marshal orders a map's keys, so the texts below are in key order.)
	t.Run("a link's url stays", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "link", "text": nil,
			"link": map[string]any{"title": "资料", "link_url": "https://pan.example/s/1"}}))
		if err != nil || m.Text != "https://pan.example/s/1\n资料" {
			t.Fatalf("%q %v", m.Text, err)
		}
	})
	for _, c := range []struct {
		name   string
		body   map[string]any
		amount int64
		count  int
		field  string
	}{
		{"numbers", map[string]any{"type": 1, "wish": "恭喜", "totalcnt": 2, "totalamount": 500}, 500, 2, ""},
		{"numbers as strings", map[string]any{"type": "1", "wish": "恭喜", "totalcnt": "2", "totalamount": "500"}, 500, 2, ""},
		{"amount in yuan", map[string]any{"wish": "恭喜", "totalcnt": "2", "totalamount": "5.00"}, 0, 0, "transfer"},
		{"count not a number", map[string]any{"wish": "恭喜", "totalcnt": "two", "totalamount": 500}, 0, 0, "transfer"},
		{"body not an object", nil, 0, 0, "redpacket"},
	} {
		t.Run("red packet "+c.name, func(t *testing.T) {
			var body any = c.body
			if c.body == nil {
				body = "恭喜"
			}
			m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "redpacket", "text": nil, "redpacket": body}))
			if c.field != "" {
				wantFieldErr(t, err, c.field, "")
				return
			}
			if err != nil || m.Text != "恭喜" || m.Transfer == nil || m.Transfer.AmountFen != c.amount || m.Transfer.Count != c.count {
				t.Fatalf("%+v %+v %v", m, m.Transfer, err)
			}
		})
	}
	t.Run("chat record item times as strings", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "chatrecord", "text": nil,
			"chatrecord": map[string]any{"title": "群聊", "item": []any{map[string]any{"type": "ChatRecordText", "msgtime": "1603875610", "content": `{"content":"test"}`}}}}))
		if err != nil || m.Text != "test\n群聊" {
			t.Fatalf("%q %v", m.Text, err)
		}
	})
}

// A known type whose content cannot be read is rejected naming the field.
func TestWeComUnreadableContent(t *testing.T) {
	for _, c := range []struct {
		name  string
		set   map[string]any
		field string
		frag  string
	}{
		{"text without a body", map[string]any{"text": nil}, "text", "text body missing"},
		{"text with a null body", map[string]any{"text": json.RawMessage("null")}, "text", "text body missing"},
		{"text with an empty content", map[string]any{"text": map[string]any{"content": " "}}, "text.content", "has no text"},
		{"text body not an object", map[string]any{"text": "你好"}, "text", "not an object"},
		{"image without a body", map[string]any{"msgtype": "image", "text": nil}, "image", "image body missing"},
		{"markdown without a body", map[string]any{"msgtype": "markdown", "text": nil}, "info", "markdown body missing"},
		{"revoke naming nothing", map[string]any{"action": "recall", "msgtype": "revoke", "text": nil, "revoke": map[string]any{}}, "revoke.pre_msgid", "missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseWeComTest(wecomRecord(t, c.set))
			wantFieldErr(t, err, c.field, c.frag)
		})
	}
	t.Run("an unknown type without a body is kept", func(t *testing.T) {
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "hologram", "text": nil, "caption": "机密"}))
		if err != nil || m.Kind != KindOther || m.Text != "机密" {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("an image with a null body elsewhere is read", func(t *testing.T) {
		// Partners send every other body as null (testdata line 28 of wecom_vendor.jsonl).
		m, err := parseWeComTest(wecomRecord(t, map[string]any{"msgtype": "image", "text": json.RawMessage("null"),
			"image": map[string]any{"md5sum": "50de", "filesize": 1}}))
		if err != nil || m.Kind != KindImage || len(m.Attachments) != 1 {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

// Every published sample is accepted with its kind; the golden file
// (TestGolden/wecom_vendor) holds the rest of what is read from each.
func TestWeComVendorSamples(t *testing.T) {
	kinds := map[string]Kind{
		"text": KindText, "image": KindImage, "revoke": KindRevoke, "agree": KindSystem, "disagree": KindSystem,
		"voice": KindFile, "video": KindFile, "card": KindOther, "location": KindOther, "emotion": KindImage,
		"file": KindFile, "link": KindLink, "weapp": KindLink, "chatrecord": KindText, "collect": KindOther,
		"redpacket": KindRedEnvelope, "meeting": KindOther, "": KindSystem, "docmsg": KindLink, "markdown": KindText,
		"news": KindLink, "calendar": KindOther, "mixed": KindText, "meeting_voice_call": KindFile,
		"voip_doc_share": KindFile, "external_redpacket": KindRedEnvelope, "sphfeed": KindLink,
	}
	f, err := os.Open("testdata/wecom_vendor.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := drain(t, newWeComAt(goldenNow)(f))
	accepted := 0
	for _, r := range recs {
		if r.Err != nil {
			t.Errorf("line %d rejected: %v", r.Line, r.Err)
			continue
		}
		accepted++
		var top struct {
			MsgType string `json:"msgtype"`
		}
		_ = json.Unmarshal(r.Msg.Raw, &top)
		if want, ok := kinds[top.MsgType]; !ok || r.Msg.Kind != want {
			t.Errorf("line %d (%q): kind %q, want %q", r.Line, top.MsgType, r.Msg.Kind, want)
		}
		if r.Msg.Kind != KindImage && r.Msg.Kind != KindFile && r.Msg.Kind != KindSystem && r.Msg.Kind != KindRevoke && r.Msg.Text == "" {
			t.Errorf("line %d (%q): no text read", r.Line, top.MsgType)
		}
	}
	t.Logf("accepted %d of %d published WeCom samples", accepted, len(recs))
	if len(recs) != 28 {
		t.Errorf("%d samples, want 28", len(recs))
	}
}
