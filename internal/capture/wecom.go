package capture

// The WeCom 会话内容存档 format: one decrypted message is the JSON object the
// vendor SDK's DecryptData returns. Field names, msgtypes and their bodies
// follow the vendor's published examples as reproduced in
// binarywang/WxJava weixin-java-cp/src/test/java/me/chanjar/weixin/cp/api/WxCpMsgAuditTest.java
// and the Go structs of silenceper/wechat work/msgaudit/message.go (todo and
// vote, which WxJava has no example of, follow those structs: todo{title,
// content}; vote keeps votetitle/voteitem/votetype/voteid at the top level).
//
//   - msgtime is milliseconds (switch records use "time"). Partners send
//     seconds too: a value under 1e11 (1973 in milliseconds, year 5138 in
//     seconds) is taken as seconds. A msgtime of 0 (the vendor's own image
//     example) or "" means the time is unknown: the message is kept, timed
//     at its capture and marked SentAtUnknown.
//   - roomid is empty for 1:1 chats: RoomID is then SingleRoomID(from, tolist[0]).
//     Partners send tolist as one string ("a" or "a,b").
//   - docmsg keeps its body under "doc"; markdown, news, voiptext,
//     qydiskfile and meeting_notification under "info"; external_redpacket
//     under "redpacket"; chatrecord and mixed items carry their body as a
//     JSON string in "content".
//   - redpacket amounts are in fen.
//   - Numbers sometimes arrive as strings (filesize, msgtime, seq, amounts)
//     from intermediaries; both are accepted.
//   - A delivery wrapper {seq, msgid, publickey_ver, msg:{...}} is opened:
//     the message is msg, and Raw stays the whole record.
//
// An unknown msgtype is kept as kind "other" with its raw record and whatever
// text it carries; it is never rejected, since a new vendor type must not be
// lost. A known msgtype whose body is missing, or whose content cannot be
// read, is rejected naming the field: nothing is stored emptier than its
// source.

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
)

type wecomReader struct {
	lr  *lineReader
	now func() time.Time
}

// NewWeCom reads decrypted WeCom archive messages, one JSON object a line,
// exactly as the SDK's DecryptData returns them. Blank lines are skipped.
func NewWeCom(r io.Reader) Reader { return &wecomReader{lr: newLineReader(r), now: time.Now} }

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
		m, err := parseWeCom(raw, w.now)
		if err != nil {
			return reject(w.lr.line, raw, err), nil
		}
		return accept(w.lr.line, raw, m), nil
	}
}

var wecomKinds = map[string]Kind{
	"text": KindText, "markdown": KindText, "todo": KindText, "chatrecord": KindText, "mixed": KindText,
	"voiptext": KindText,
	"image":    KindImage, "emotion": KindImage,
	"voice": KindFile, "video": KindFile, "file": KindFile, "voip_doc_share": KindFile, "meeting_voice_call": KindFile,
	"qydiskfile": KindFile,
	"link":       KindLink, "weapp": KindLink, "docmsg": KindLink, "news": KindLink, "sphfeed": KindLink,
	"revoke": KindRevoke,
	"agree":  KindSystem, "disagree": KindSystem,
	"redpacket": KindRedEnvelope, "external_redpacket": KindRedEnvelope,
	"card": KindOther, "location": KindOther, "vote": KindOther, "collect": KindOther,
	"meeting": KindOther, "calendar": KindOther, "meeting_notification": KindOther,
}

// wecomBodyKey is where a msgtype keeps its body when it is not under its own name.
var wecomBodyKey = map[string]string{
	"docmsg": "doc", "markdown": "info", "news": "info", "external_redpacket": "redpacket",
	"voiptext": "info", "qydiskfile": "info", "meeting_notification": "info",
}

// wecomNoBody are the known msgtypes that keep their fields at the top level.
var wecomNoBody = map[string]bool{"vote": true}

// wecomBaseKeys are the envelope fields; what is left at the top level is the
// body of types that have no body object (vote).
var wecomBaseKeys = map[string]bool{
	"msgid": true, "action": true, "from": true, "tolist": true, "roomid": true,
	"msgtime": true, "msgtype": true, "seq": true, "user": true, "time": true,
}

// voipInviteTypes names the calls of a voiptext's invitetype.
var voipInviteTypes = map[int64]string{1: "单人视频通话", 2: "单人语音通话", 3: "多人视频通话", 4: "多人语音通话"}

// ParseWeCom normalizes one decrypted WeCom archive message. Raw is the line
// (compacted), and may share its memory: do not reuse line afterwards. A
// message whose source gives no time is timed now (see SentAtUnknown).
func ParseWeCom(line []byte) (*Message, error) { return parseWeCom(line, time.Now) }

func parseWeCom(line []byte, now func() time.Time) (*Message, error) {
	top, err := jsonObject(line)
	if err != nil {
		return nil, err
	}
	m := &Message{Platform: "wecom", Raw: line}
	if !isCompact(line) {
		var raw bytes.Buffer
		if err := json.Compact(&raw, line); err != nil {
			return nil, errs.E(errs.Invalid, "bad JSON: %s", err)
		}
		m.Raw = raw.Bytes()
	}
	msg := line
	if top, msg, err = unwrapWeCom(top, line); err != nil {
		return nil, err
	}
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
		if err := m.setTime(top, "time", now); err != nil {
			return nil, err
		}
		m.Kind = KindSystem
		return m, nil
	}

	if m.Sender, err = flexString(top, "from"); err != nil {
		return nil, err
	}
	if err := m.setTime(top, "msgtime", now); err != nil {
		return nil, err
	}
	if m.RoomID, err = flexString(top, "roomid"); err != nil {
		return nil, err
	}
	if m.RoomID == "" {
		to, err := wecomToList(top)
		if err != nil {
			return nil, err
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

	bodyKey, body := wecomBody(top, msgtype)
	if known && !wecomNoBody[msgtype] {
		switch {
		case body == nil:
			return nil, errs.Field(bodyKey, "%s body missing", msgtype)
		case !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")):
			return nil, errs.Field(bodyKey, "%s body is not an object", msgtype)
		}
	}

	w := jsonWalker{nested: msgtype == "chatrecord" || msgtype == "mixed"}
	if body != nil {
		w.walk(body, 0)
	} else {
		// vote, and unknown types without a body object, keep their fields at
		// the top level: walk it minus the envelope.
		w.walkTop(msg, wecomBaseKeys)
	}
	m.Attachments = w.atts
	m.Text = w.text()

	switch {
	case kind == KindRevoke:
		var rv struct {
			PreMsgID string `json:"pre_msgid"`
		}
		if r, ok := top["revoke"]; ok {
			_ = json.Unmarshal(r, &rv)
		}
		if rv.PreMsgID == "" {
			return nil, errs.Field("revoke.pre_msgid", "missing: the revoke names no message")
		}
		m.Recalls = rv.PreMsgID
		m.Text = ""
		m.Attachments = nil
	case kind == KindRedEnvelope:
		t, err := wecomTransfer(body, bodyKey, msgtype)
		if err != nil {
			return nil, err
		}
		m.Transfer = t
	case msgtype == "voiptext":
		if m.Text, err = voipText(body); err != nil {
			return nil, err
		}
	}
	if err := wecomContentRead(m, msgtype, bodyKey); err != nil {
		return nil, err
	}
	return m, nil
}

// unwrapWeCom opens a delivery wrapper {seq, msgid, publickey_ver, msg}: its
// msg (an object, or a string holding one) is the message. A record that is
// itself a message (it has an action or a msgtype) is returned as it is.
func unwrapWeCom(top map[string]json.RawMessage, line []byte) (map[string]json.RawMessage, []byte, error) {
	_, hasAction := top["action"]
	_, hasType := top["msgtype"]
	inner, hasMsg := top["msg"]
	if hasAction || hasType {
		return top, line, nil
	}
	if !hasMsg || isNull(inner) {
		if _, enc := top["encrypt_chat_msg"]; enc {
			return nil, nil, errs.Field("encrypt_chat_msg", "the record is still encrypted: decrypt it first (the SDK's DecryptData)")
		}
		return top, line, nil
	}
	var s string
	if json.Unmarshal(inner, &s) == nil {
		inner = json.RawMessage(s)
	}
	msg, err := jsonObject(inner)
	if err != nil {
		return nil, nil, errs.Field("msg", "the wrapper's msg is not a message object")
	}
	outer, err := flexString(top, "msgid")
	if err != nil {
		return nil, nil, err
	}
	id, err := flexString(msg, "msgid")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case id == "" && outer != "":
		b, _ := json.Marshal(outer)
		msg["msgid"] = b
	case id != "" && outer != "" && id != outer:
		return nil, nil, errs.Field("msgid", "the wrapper's msgid %q is not its message's %q", truncate(outer, 80), truncate(id, 80))
	}
	return msg, inner, nil
}

// jsonObject decodes one JSON object.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, errs.E(errs.Invalid, "bad JSON: %s", jsonErrText(err))
	}
	if obj == nil {
		return nil, errs.E(errs.Invalid, "bad JSON: not an object")
	}
	return obj, nil
}

// setTime reads the sending time from key: milliseconds, or seconds when
// the value is too small to be a plausible millisecond time. 0 or "" is an
// unknown time: SentAt is now and SentAtUnknown is set. A missing key is an
// error: such a record is not a message this format knows.
func (m *Message) setTime(top map[string]json.RawMessage, key string, now func() time.Time) error {
	if _, ok := top[key]; !ok {
		return errs.Field(key, "missing")
	}
	v, err := flexInt(top, key)
	switch {
	case err != nil:
		return err
	case v < 0:
		return errs.Field(key, "negative time %d", v)
	case v == 0:
		m.SentAt, m.SentAtUnknown = now().UTC(), true
	case v < 1e11:
		m.SentAt = time.Unix(v, 0).UTC()
	default:
		m.SentAt = time.UnixMilli(v).UTC()
	}
	return nil
}

// wecomToList reads tolist: a list of ids, or (from partners) one string
// holding an id, ids separated by commas, or a JSON list.
func wecomToList(top map[string]json.RawMessage) ([]string, error) {
	t, ok := top["tolist"]
	if !ok || isNull(t) {
		return nil, nil
	}
	var to []string
	if json.Unmarshal(t, &to) == nil {
		return to, nil
	}
	var s string
	if json.Unmarshal(t, &s) != nil {
		return nil, errs.Field("tolist", "neither a list of ids nor a string of them")
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		if json.Unmarshal([]byte(s), &to) != nil {
			return nil, errs.Field("tolist", "a string that is not a list of ids")
		}
		return to, nil
	}
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			to = append(to, validUTF8(id))
		}
	}
	return to, nil
}

// wecomBody finds a msgtype's body: under its usual key, else under its
// own name, else under "info" (partners are not consistent). It returns the
// usual key, for errors, and nil when there is no body.
func wecomBody(top map[string]json.RawMessage, msgtype string) (string, json.RawMessage) {
	key := msgtype
	if k, ok := wecomBodyKey[msgtype]; ok {
		key = k
	}
	if msgtype == "" || wecomNoBody[msgtype] {
		return key, nil
	}
	for _, k := range []string{key, msgtype, "info"} {
		if b, ok := top[k]; ok && !isNull(b) {
			return key, b
		}
	}
	return key, nil
}

// wecomTransfer reads a red packet's count and amount (fen).
func wecomTransfer(body json.RawMessage, bodyKey, msgtype string) (*Transfer, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errs.Field("transfer", "%s body missing", msgtype)
	}
	amount, err := flexInt(obj, "totalamount")
	if err != nil {
		return nil, errs.Field("transfer", "%s.totalamount: %s", bodyKey, err.(*errs.Error).Message)
	}
	cnt, err := flexInt(obj, "totalcnt")
	if err != nil || cnt > 1<<31-1 || cnt < -(1<<31) {
		return nil, errs.Field("transfer", "%s.totalcnt is not a count", bodyKey)
	}
	return &Transfer{AmountFen: amount, Count: int(cnt), Type: msgtype}, nil
}

// voipText is the line a client shows for a call: its kind and length.
func voipText(body json.RawMessage) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return "", errs.Field("info", "voiptext body missing")
	}
	_, hasDur := obj["callduration"]
	_, hasType := obj["invitetype"]
	if !hasDur && !hasType {
		return "", errs.Field("info", "voiptext has neither callduration nor invitetype")
	}
	dur, err := flexInt(obj, "callduration")
	if err != nil || dur < 0 {
		return "", errs.Field("info.callduration", "not a number of seconds")
	}
	typ, err := flexInt(obj, "invitetype")
	if err != nil {
		return "", errs.Field("info.invitetype", "not a number")
	}
	name, ok := voipInviteTypes[typ]
	if !ok {
		name = "音视频通话"
		if typ != 0 {
			name += "（类型 " + strconv.FormatInt(typ, 10) + "）"
		}
	}
	if !hasDur {
		return name, nil
	}
	return name + "，时长 " + strconv.FormatInt(dur, 10) + " 秒", nil
}

// wecomContentRead rejects a message of a type whose content is text (or a
// file name) when none could be read: it would be stored emptier than it is.
func wecomContentRead(m *Message, msgtype, bodyKey string) error {
	switch msgtype {
	case "text", "markdown", "meeting_notification":
		if m.Text == "" {
			return errs.Field(bodyKey+".content", "missing: the %s has no text", msgtype)
		}
	case "qydiskfile":
		if len(m.Attachments) == 0 || m.Attachments[0].Name == "" {
			return errs.Field(bodyKey+".filename", "missing: the %s names no file", msgtype)
		}
	}
	return nil
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
	// Media a partner mirrored to its own storage: a handle, not text.
	"oss_url": true,
	// Numbers, which partners send as strings too: a count, amount, time or
	// code is no text anyone wrote (amounts are read into Transfer).
	"totalcnt": true, "totalamount": true, "msgtime": true, "seq": true, "agree_time": true,
	"disagree_time": true, "starttime": true, "endtime": true, "play_length": true, "width": true,
	"height": true, "zoom": true, "feed_type": true, "meetingtype": true, "meetingid": true,
	"meeting_id": true, "status": true, "votetype": true, "callduration": true, "invitetype": true,
	"notification_type": true, "longitude": true, "latitude": true,
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
		case "md5sum", "filesize", "voice_size", "imagesize", "filename", "sdkfileid":
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
			case "sdkfileid":
				if id, _ := flexString(obj, key); id != "" {
					att.SourceRef = "wecom:" + id
				}
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
