package capture

// The WeCom 会话内容存档 format: one decrypted message is the JSON object the
// vendor SDK's DecryptData returns. Field names, msgtypes and their bodies
// follow the vendor's published examples as reproduced in
// binarywang/WxJava weixin-java-cp/src/test/java/me/chanjar/weixin/cp/api/WxCpMsgAuditTest.java
// and the Go structs of silenceper/wechat work/msgaudit/message.go (todo and
// vote, which WxJava has no example of, follow those structs: todo{title,
// content}; vote keeps votetitle/voteitem/votetype/voteid at the top level).
//
//   - msgtime is milliseconds (switch records use "time").
//   - roomid is empty for 1:1 chats: RoomID is then SingleRoomID(from, tolist[0]).
//   - docmsg keeps its body under "doc", markdown and news under "info",
//     external_redpacket under "redpacket"; chatrecord and mixed items carry
//     their body as a JSON string in "content".
//   - redpacket amounts are in fen.
//   - Numbers sometimes arrive as strings (filesize, msgtime) from
//     intermediaries; both are accepted.
//
// An unknown msgtype is kept as kind "other" with its raw record and whatever
// text it carries; it is never rejected, since a new vendor type must not be
// lost.

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
)

type wecomReader struct{ lr *lineReader }

// NewWeCom reads decrypted WeCom archive messages, one JSON object a line,
// exactly as the SDK's DecryptData returns them. Blank lines are skipped.
func NewWeCom(r io.Reader) Reader { return &wecomReader{lr: newLineReader(r)} }

func (w *wecomReader) Next() (Record, error) {
	for {
		line, tooLong, err := w.lr.next()
		if err != nil {
			return Record{}, err
		}
		if tooLong {
			return reject(w.lr.line, line, tooLongErr()), nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		raw := append([]byte(nil), line...)
		m, err := ParseWeCom(raw)
		if err != nil {
			return reject(w.lr.line, raw, err), nil
		}
		return accept(w.lr.line, raw, m), nil
	}
}

var wecomKinds = map[string]Kind{
	"text": KindText, "markdown": KindText, "todo": KindText, "chatrecord": KindText, "mixed": KindText,
	"image": KindImage, "emotion": KindImage,
	"voice": KindFile, "video": KindFile, "file": KindFile, "voip_doc_share": KindFile, "meeting_voice_call": KindFile,
	"link": KindLink, "weapp": KindLink, "docmsg": KindLink, "news": KindLink, "sphfeed": KindLink,
	"revoke": KindRevoke,
	"agree":  KindSystem, "disagree": KindSystem,
	"redpacket": KindRedEnvelope, "external_redpacket": KindRedEnvelope,
	"card": KindOther, "location": KindOther, "vote": KindOther, "collect": KindOther,
	"meeting": KindOther, "calendar": KindOther,
}

// wecomBodyKey is where a msgtype keeps its body when it is not under its own name.
var wecomBodyKey = map[string]string{
	"docmsg": "doc", "markdown": "info", "news": "info", "external_redpacket": "redpacket",
}

// wecomBaseKeys are the envelope fields; what is left at the top level is the
// body of types that have no body object (vote).
var wecomBaseKeys = map[string]bool{
	"msgid": true, "action": true, "from": true, "tolist": true, "roomid": true,
	"msgtime": true, "msgtype": true, "seq": true, "user": true, "time": true,
}

// ParseWeCom normalizes one decrypted WeCom archive message. Raw is the line
// (compacted), and may share its memory: do not reuse line afterwards.
func ParseWeCom(line []byte) (*Message, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		return nil, errs.E(errs.Invalid, "bad JSON: %s", jsonErrText(err))
	}
	if top == nil {
		return nil, errs.E(errs.Invalid, "bad JSON: not an object")
	}
	m := &Message{Platform: "wecom", Raw: line}
	if !isCompact(line) {
		var raw bytes.Buffer
		if err := json.Compact(&raw, line); err != nil {
			return nil, errs.E(errs.Invalid, "bad JSON: %s", err)
		}
		m.Raw = raw.Bytes()
	}
	var err error
	if m.SourceID, err = flexString(top, "msgid"); err != nil {
		return nil, err
	}
	if m.SourceID == "" {
		return nil, errs.Field("source_id", "msgid missing")
	}
	action, err := flexString(top, "action")
	if err != nil {
		return nil, err
	}

	if action == "switch" {
		// 切换企业日志: who switched corp, when; no conversation.
		if m.Sender, err = flexString(top, "user"); err != nil {
			return nil, err
		}
		ms, err := flexInt(top, "time")
		if err != nil {
			return nil, err
		}
		if ms <= 0 {
			return nil, errs.Field("sent_at", "time missing or zero")
		}
		m.SentAt = time.UnixMilli(ms).UTC()
		m.Kind = KindSystem
		return m, nil
	}

	if m.Sender, err = flexString(top, "from"); err != nil {
		return nil, err
	}
	ms, err := flexInt(top, "msgtime")
	if err != nil {
		return nil, err
	}
	if ms <= 0 {
		return nil, errs.Field("sent_at", "msgtime missing or zero")
	}
	m.SentAt = time.UnixMilli(ms).UTC()
	if m.RoomID, err = flexString(top, "roomid"); err != nil {
		return nil, err
	}
	if m.RoomID == "" {
		var to []string
		if t, ok := top["tolist"]; ok && !isNull(t) {
			if err := json.Unmarshal(t, &to); err != nil {
				return nil, errs.Field("tolist", "not a list of ids")
			}
		}
		first := ""
		if len(to) > 0 {
			first = to[0]
		}
		m.RoomID = SingleRoomID(m.Sender, first)
	}
	msgtype, err := flexString(top, "msgtype")
	if err != nil {
		return nil, err
	}

	kind, known := wecomKinds[msgtype]
	if !known {
		kind = KindOther
	}
	if action == "recall" {
		kind = KindRevoke
	}
	m.Kind = kind

	bodyKey := msgtype
	if k, ok := wecomBodyKey[msgtype]; ok {
		bodyKey = k
	}
	body, hasBody := top[bodyKey]
	if msgtype == "" || bodyKey == "" {
		hasBody = false
	}

	w := jsonWalker{nested: msgtype == "chatrecord" || msgtype == "mixed"}
	if hasBody && !isNull(body) {
		w.walk(body, 0)
	} else {
		// vote, and unknown types without a body object, keep their fields at
		// the top level: walk it minus the envelope.
		w.walkTop(line, wecomBaseKeys)
	}
	m.Attachments = w.atts

	switch {
	case kind == KindRevoke:
		var rv struct {
			PreMsgID string `json:"pre_msgid"`
		}
		if r, ok := top["revoke"]; ok {
			_ = json.Unmarshal(r, &rv)
		}
		m.Recalls = rv.PreMsgID
		m.Text = ""
		m.Attachments = nil
	case kind == KindRedEnvelope:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			return nil, errs.Field("transfer", "%s body missing", msgtype)
		}
		amount, err := flexInt(obj, "totalamount")
		if err != nil {
			return nil, errs.Field("transfer", "totalamount: %s", err.(*errs.Error).Message)
		}
		cnt, err := flexInt(obj, "totalcnt")
		if err != nil || cnt > 1<<31-1 || cnt < -(1<<31) {
			return nil, errs.Field("transfer", "totalcnt is not a count")
		}
		m.Transfer = &Transfer{AmountFen: amount, Count: int(cnt), Type: msgtype}
		m.Text = w.text()
	default:
		m.Text = w.text()
	}
	return m, nil
}

// isCompact reports whether valid JSON has no white space outside strings,
// which the SDK's output usually has not; compacting it again is a waste.
func isCompact(b []byte) bool {
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}

func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }

// flexString reads a string field; a number is taken as its decimal text;
// missing or null is "".
func flexString(obj map[string]json.RawMessage, key string) (string, error) {
	r, ok := obj[key]
	if !ok || isNull(r) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return validUTF8(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err == nil {
		return n.String(), nil
	}
	return "", errs.Field(key, "not a string")
}

// flexInt reads an integer field, given as a number or a decimal string;
// missing or null is 0.
func flexInt(obj map[string]json.RawMessage, key string) (int64, error) {
	r, ok := obj[key]
	if !ok || isNull(r) {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(r, &n); err != nil {
			return 0, errs.Field(key, "not a number")
		}
		s = n.String()
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errs.Field(key, "not an integer: %q", truncate(s, 40))
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return validUTF8(s[:n]) + "..."
}

// jsonWalker collects, in document order, the searchable strings of a JSON
// value and the attachments it describes. Strings that are themselves JSON
// objects or arrays (the "content" of chatrecord and mixed items) are
// parsed and walked too.
type jsonWalker struct {
	parts []string
	atts  []Attachment
	skip  map[string]bool // more keys to skip, at any depth
	// nested: string values that are JSON documents are parsed and walked
	// (chatrecord and mixed items). Off elsewhere: a text someone typed
	// that happens to be JSON stays as typed.
	nested bool
}

// Keys whose string values are identifiers, hashes or media handles, not
// text anyone wrote or read.
var walkSkip = map[string]bool{
	"sdkfileid": true, "md5sum": true, "fileext": true, "image_url": true, "picurl": true,
	"msgid": true, "pre_msgid": true, "userid": true, "doc_creator": true, "demooperator": true,
	"share": true, "username": true, "voteid": true, "type": true, "create_time": true,
	"voiceid": true, "voipid": true, "msgtype": true, "action": true, "from": true,
	"tolist": true, "roomid": true,
}

const maxWalkDepth = 32

func (w *jsonWalker) text() string { return joinText(w.parts...) }

func (w *jsonWalker) walk(data []byte, depth int) {
	if depth > maxWalkDepth {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	_ = w.value(dec, "", depth)
}

// walkTop walks a top-level object, skipping the given keys.
func (w *jsonWalker) walkTop(data []byte, skip map[string]bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return
		}
		key, _ := kt.(string)
		if skip[key] {
			var discard json.RawMessage
			if dec.Decode(&discard) != nil {
				return
			}
			continue
		}
		if w.value(dec, key, 1) != nil {
			return
		}
	}
}

func (w *jsonWalker) value(dec *json.Decoder, key string, depth int) error {
	if depth > maxWalkDepth {
		var discard json.RawMessage
		return dec.Decode(&discard)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return w.object(dec, depth+1)
		case '[':
			for dec.More() {
				if err := w.value(dec, key, depth+1); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		}
	case string:
		w.str(key, t, depth)
	}
	return nil
}

func (w *jsonWalker) object(dec *json.Decoder, depth int) error {
	var att Attachment
	hasAtt := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string)
		switch key {
		case "md5sum", "filesize", "voice_size", "imagesize", "filename":
			var r json.RawMessage
			if err := dec.Decode(&r); err != nil {
				return err
			}
			obj := map[string]json.RawMessage{key: r}
			switch key {
			case "md5sum":
				att.MD5, _ = flexString(obj, key)
				hasAtt = hasAtt || att.MD5 != ""
			case "filename":
				att.Name, _ = flexString(obj, key)
				hasAtt = hasAtt || att.Name != ""
				w.str(key, att.Name, depth)
			default:
				// A size that does not fit (the vendor's own example has a
				// uint64 over int64) is left unknown rather than rejected.
				if n, err := flexInt(obj, key); err == nil && n > 0 {
					att.Size = n
				}
			}
			continue
		}
		if err := w.value(dec, key, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	if hasAtt {
		w.atts = append(w.atts, att)
	}
	return err
}

func (w *jsonWalker) str(key, s string, depth int) {
	if walkSkip[key] || w.skip[key] {
		return
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return
	}
	if w.nested && key == "content" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		w.walk([]byte(t), depth+1)
		return
	}
	w.parts = append(w.parts, validUTF8(t))
}
