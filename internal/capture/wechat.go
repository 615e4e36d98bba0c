package capture

// Personal-WeChat exports. Message types are WeChat's (Type, SubType) pairs
// as named by PyWxDump's type_converter (xaoyaoo/PyWxDump
// pywxdump/db/utils/common_utils.py) and handled by sjzar/chatlog
// (internal/model/message.go): 1 text, 3 image, 34 voice, 43 video,
// 47 sticker, 48 location, 42 card, 49 app messages (0/6 file, 4/5 link,
// 19 forwarded chat record, 33/36 mini program, 57 quote, 2000 transfer,
// 2001 red envelope, 2003 red-envelope cover), 50 call, 10000/10002 system
// (including "撤回了一条消息" recalls).
//
// Amounts: a transfer's amount is read from "¥8.88"/"￥8.88" wherever the
// export writes it (PyWxDump's msg, chatlog's content, WeChat's <feedesc> in
// raw XML). WeChat never shows a red envelope's amount to the chat, so red
// envelopes carry Transfer{AmountFen: 0}.
//
// Times: PyWxDump and WeChatMsg write "2006-01-02 15:04:05" in the
// exporting machine's local time, taken as China Standard Time (UTC+8, no
// daylight saving since 1991); unix seconds are also accepted. chatlog writes
// RFC 3339.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
)

// chinaTime is Asia/Shanghai without needing a tz database on the host.
var chinaTime = time.FixedZone("CST", 8*3600)

// parseWeChatTime accepts unix seconds or milliseconds, "2006-01-02 15:04:05"
// (China time) and RFC 3339.
func parseWeChatTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errs.Field("sent_at", "time missing")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return time.Time{}, errs.Field("sent_at", "time missing or zero")
		}
		if n > 1e11 { // milliseconds
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, chinaTime); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errs.Field("sent_at", "unreadable time %q", truncate(s, 40))
}

// pywxTypeNames maps PyWxDump's type_name back to (Type, SubType), from its
// type_converter table.
var pywxTypeNames = map[string][2]int64{
	"文本": {1, 0}, "图片": {3, 0}, "语音": {34, 0}, "添加好友": {37, 0}, "推荐公众号": {42, 0},
	"视频": {43, 0}, "动画表情": {47, 0}, "位置": {48, 0},
	"文件": {49, 0}, "粘贴的文本": {49, 1}, "(分享)音乐": {49, 3}, "(分享)卡片式链接": {49, 5},
	"游戏相关": {49, 7}, "用户上传的GIF表情": {49, 8}, "位置共享": {49, 17}, "合并转发的聊天记录": {49, 19},
	"(分享)笔记": {49, 24}, "(分享)小程序": {49, 33}, "(分享)收藏夹": {49, 40}, "(分享)小说(猜)": {49, 44},
	"(分享)视频号名片": {49, 50}, "(分享)视频号视频": {49, 51}, "接龙": {49, 53}, "引用回复": {49, 57},
	"视频号直播或直播回放": {49, 63}, "文件(猜)": {49, 74}, "群公告": {49, 87}, "视频号直播或直播回放等": {49, 88},
	"转账": {49, 2000}, "赠送红包封面": {49, 2003},
	// PyWxDump has no name for 49/2001 (red envelope): it exports "未知".
	"语音通话": {50, 0}, "企业微信打招呼(猜)": {65, 0}, "企业微信添加好友(猜)": {66, 0},
	"系统通知": {10000, 0}, "消息撤回1": {10000, 1}, "拍一拍": {10000, 4}, "消息撤回5": {10000, 5},
	"消息撤回6": {10000, 6}, "消息撤回33": {10000, 33}, "消息撤回36": {10000, 36}, "消息撤回57": {10000, 57},
	"邀请加群": {10000, 8000},
}

func wechatKind(typ, sub int64) Kind {
	switch typ {
	case 1:
		return KindText
	case 3, 47:
		return KindImage
	case 34, 43:
		return KindFile
	case 37, 65, 66, 10000, 10002:
		return KindSystem
	case 49:
		switch sub {
		case 0, 6, 74:
			return KindFile
		case 3, 4, 5, 24, 33, 36, 50, 51, 63, 88:
			return KindLink
		case 1, 19, 53, 57, 87:
			return KindText
		case 8:
			return KindImage
		case 2000:
			return KindTransfer
		case 2001:
			return KindRedEnvelope
		}
	}
	return KindOther
}

// wxXML is the part of WeChat's message XML that carries text, files and money.
type wxXML struct {
	XMLName xml.Name
	Img     struct {
		MD5    string `xml:"md5,attr"`
		Length string `xml:"length,attr"`
	} `xml:"img"`
	Video struct {
		MD5    string `xml:"md5,attr"`
		Length string `xml:"length,attr"`
	} `xml:"videomsg"`
	Emoji struct {
		MD5 string `xml:"md5,attr"`
		Len string `xml:"len,attr"`
	} `xml:"emoji"`
	AppMsg struct {
		Title     string `xml:"title"`
		Des       string `xml:"des"`
		URL       string `xml:"url"`
		Type      string `xml:"type"`
		MD5       string `xml:"md5"`
		AppAttach struct {
			TotalLen string `xml:"totallen"`
		} `xml:"appattach"`
		WCPayInfo struct {
			FeeDesc    string `xml:"feedesc"`
			PayMemo    string `xml:"pay_memo"`
			PaySubType string `xml:"paysubtype"`
		} `xml:"wcpayinfo"`
	} `xml:"appmsg"`
	RevokeMsg struct {
		NewMsgID   string `xml:"newmsgid"`
		ReplaceMsg string `xml:"replacemsg"`
	} `xml:"revokemsg"`
}

// parseWxXML reads WeChat message XML, which in group chats may follow a
// "wxid_xxx:\n" sender prefix. ok is false when the content is not XML.
func parseWxXML(content string) (x wxXML, ok bool) {
	i := strings.IndexByte(content, '<')
	if i < 0 || strings.TrimSpace(content[:i]) != "" && !strings.HasSuffix(strings.TrimSpace(content[:i]), ":") {
		return x, false
	}
	dec := xml.NewDecoder(strings.NewReader(content[i:]))
	dec.Strict = false
	if err := dec.Decode(&x); err != nil {
		return x, false
	}
	// Only WeChat's own envelopes: a chat text may contain "<b>" too.
	if x.XMLName.Local != "msg" && x.XMLName.Local != "sysmsg" {
		return wxXML{}, false
	}
	return x, true
}

var amountRe = regexp.MustCompile(`[¥￥]\s*([0-9]{1,12})(?:\.([0-9]{1,2}))?`)

// amountFen finds the first "¥8.88" in s, in fen; 0 when there is none.
func amountFen(s string) int64 {
	m := amountRe.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	yuan, _ := strconv.ParseInt(m[1], 10, 64)
	fen := int64(0)
	if m[2] != "" {
		f := m[2]
		if len(f) == 1 {
			f += "0"
		}
		fen, _ = strconv.ParseInt(f, 10, 64)
	}
	return yuan*100 + fen
}

var revokeIDRe = regexp.MustCompile(`<newmsgid>\s*([0-9]+)\s*</newmsgid>`)

// wxMsg is what every WeChat export gives, before normalizing.
type wxMsg struct {
	svrID   string
	room    string
	sender  string
	at      time.Time
	typ     int64
	sub     int64
	content string
	// extra text the format keeps outside content (chatlog's contents).
	extra  []string
	atts   []Attachment
	revoke bool // the export says it is a recall
	raw    json.RawMessage
	parsed *wxXML // content already parsed as XML, if the reader did
}

func (w wxMsg) message() *Message {
	m := &Message{
		Platform: "wechat",
		RoomID:   w.room,
		Sender:   w.sender,
		SentAt:   w.at,
		Kind:     wechatKind(w.typ, w.sub),
		Raw:      w.raw,
	}
	m.SourceID = w.svrID
	if m.SourceID == "" || m.SourceID == "0" {
		m.SourceID = hashID(w.room, w.at, w.sender, w.content)
	}
	content := w.content
	var x wxXML
	var isXML bool
	if w.parsed != nil {
		x, isXML = *w.parsed, true
	} else {
		x, isXML = parseWxXML(content)
	}
	var text []string
	if isXML {
		text = append(text, x.AppMsg.Title, x.AppMsg.Des, x.AppMsg.URL, x.RevokeMsg.ReplaceMsg)
	} else {
		text = append(text, content)
	}
	text = append(text, w.extra...)
	atts := w.atts

	if (w.typ == 10000 || w.typ == 10002) &&
		(w.revoke || strings.Contains(content, "撤回了一条消息") || strings.Contains(content, "revokemsg")) {
		m.Kind = KindRevoke
		if isXML && x.RevokeMsg.NewMsgID != "" {
			m.Recalls = x.RevokeMsg.NewMsgID
		} else if s := revokeIDRe.FindStringSubmatch(content); s != nil {
			m.Recalls = s[1]
		}
	}

	switch m.Kind {
	case KindImage:
		// Exports write placeholders ("图片") or media XML here, not text.
		text = w.extra
		if isXML {
			for _, a := range []struct{ md5, size string }{
				{x.Img.MD5, x.Img.Length}, {x.Emoji.MD5, x.Emoji.Len}, {x.AppMsg.MD5, x.AppMsg.AppAttach.TotalLen},
			} {
				if a.md5 != "" {
					atts = append(atts, Attachment{MD5: a.md5, Size: parseSize(a.size)})
					break
				}
			}
		}
	case KindFile:
		if isXML {
			switch {
			case x.AppMsg.Title != "" || x.AppMsg.MD5 != "":
				atts = append(atts, Attachment{Name: x.AppMsg.Title, MD5: x.AppMsg.MD5, Size: parseSize(x.AppMsg.AppAttach.TotalLen)})
			case x.Video.MD5 != "":
				atts = append(atts, Attachment{MD5: x.Video.MD5, Size: parseSize(x.Video.Length)})
			}
			text = append([]string{x.AppMsg.Title}, w.extra...)
		} else if content == "视频" {
			text = w.extra
		}
	case KindTransfer, KindRedEnvelope:
		amount := amountFen(content)
		if isXML {
			amount = amountFen(x.AppMsg.WCPayInfo.FeeDesc)
			text = append(text, x.AppMsg.WCPayInfo.FeeDesc, x.AppMsg.WCPayInfo.PayMemo)
		}
		if amount == 0 {
			for _, e := range w.extra {
				if a := amountFen(e); a > 0 {
					amount = a
					break
				}
			}
		}
		t := &Transfer{AmountFen: amount, Type: transferType(content, x.AppMsg.WCPayInfo.PaySubType)}
		if m.Kind == KindRedEnvelope {
			// WeChat does not show a red envelope's amount: 0 means unknown.
			t = &Transfer{AmountFen: 0, Count: 0, Type: "redpacket"}
		}
		m.Transfer = t
	}
	m.Text = validUTF8(joinText(text...))
	if len(atts) > 0 {
		m.Attachments = atts
	}
	return m
}

// transferType tells a payment from its receipt and its refund, so reports
// do not count one transfer two or three times. WeChat's paysubtype (as
// chatlog documents it): 1 and 7 send, 3 and 5 receipt, 4 refund; PyWxDump
// and chatlog render them as "转账"/"发送", "已收款"/"接收", "退还".
func transferType(content, paySubType string) string {
	switch strings.TrimSpace(paySubType) {
	case "3", "5":
		return "transfer_receipt"
	case "4":
		return "transfer_refund"
	case "1", "7":
		return "transfer"
	}
	switch {
	case strings.HasPrefix(content, "已收款") || strings.Contains(content, "[转账|接收"):
		return "transfer_receipt"
	case strings.Contains(content, "退还") || strings.Contains(content, "[转账|退还"):
		return "transfer_refund"
	}
	return "transfer"
}

func parseSize(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// ---- CSV ----

type csvRows struct {
	rec      *recorder
	cr       *csv.Reader
	header   []string
	idx      map[string]int
	prev     int64
	done     bool
	required []string
	row      func(get func(string) string, raw json.RawMessage) (*Message, error)
}

func newCSVRows(r io.Reader, required []string, row func(get func(string) string, raw json.RawMessage) (*Message, error)) *csvRows {
	rec := &recorder{r: r}
	cr := csv.NewReader(rec)
	cr.FieldsPerRecord = -1
	return &csvRows{rec: rec, cr: cr, required: required, row: row}
}

func (c *csvRows) Next() (Record, error) {
	for {
		if c.done {
			return Record{}, io.EOF
		}
		fields, err := c.cr.Read()
		off := c.cr.InputOffset()
		raw := bytes.TrimRight(c.rec.slice(c.prev, off), "\r\n")
		c.prev = off
		if errors.Is(err, io.EOF) {
			return Record{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if c.header == nil {
					c.done = true
				}
				return reject(pe.StartLine, raw, errs.E(errs.Invalid, "bad CSV: %s", pe.Err)), nil
			}
			return Record{}, err
		}
		line, _ := c.cr.FieldPos(0)
		if c.header == nil {
			if len(fields) > 0 {
				fields[0] = strings.TrimPrefix(fields[0], "\ufeff")
			}
			c.header = fields
			c.idx = make(map[string]int, len(fields))
			for i, h := range fields {
				c.idx[strings.TrimSpace(h)] = i
			}
			for _, req := range c.required {
				alts := strings.Split(req, "|")
				found := false
				for _, a := range alts {
					if _, ok := c.idx[a]; ok {
						found = true
					}
				}
				if !found {
					c.done = true
					return reject(line, raw, errs.Field("header", "missing column %q", alts[0])), nil
				}
			}
			continue
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue
		}
		if len(fields) != len(c.header) {
			return reject(line, raw, errs.E(errs.Invalid, "row has %d fields, header has %d", len(fields), len(c.header))), nil
		}
		get := func(k string) string {
			if i, ok := c.idx[k]; ok && i < len(fields) {
				return validUTF8(fields[i])
			}
			return ""
		}
		m, err := c.row(get, jsonObjectOf(c.header, fields))
		if err != nil {
			return reject(line, raw, err), nil
		}
		return accept(line, raw, m), nil
	}
}

// ---- JSON (array of objects, or a stream of objects) ----

type jsonRows struct {
	rec     *recorder
	dec     *json.Decoder
	inArray bool
	started bool
	done    bool
	off     int64
	line    int
	row     func(get func(string) string, obj map[string]json.RawMessage, raw json.RawMessage) (*Message, error)
}

func newJSONRows(r io.Reader, row func(get func(string) string, obj map[string]json.RawMessage, raw json.RawMessage) (*Message, error)) *jsonRows {
	br := bufio.NewReaderSize(r, 64<<10)
	fb := firstByte(br)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	rec := &recorder{r: br}
	j := &jsonRows{rec: rec, dec: json.NewDecoder(rec), inArray: fb == '[', row: row}
	j.dec.UseNumber()
	return j
}

func isSep(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '[' || c == 0xef || c == 0xbb || c == 0xbf
}

func (j *jsonRows) Next() (Record, error) {
	if j.done {
		return Record{}, io.EOF
	}
	if !j.started {
		j.started = true
		if j.inArray {
			if _, err := j.dec.Token(); err != nil {
				return j.fail(err)
			}
		}
	}
	if !j.dec.More() {
		j.done = true
		if j.rec.err != nil {
			return Record{}, j.rec.err
		}
		if j.inArray {
			if _, err := j.dec.Token(); err != nil && !errors.Is(err, io.EOF) {
				return j.fail(err)
			}
		}
		return Record{}, io.EOF
	}
	var elem json.RawMessage
	if err := j.dec.Decode(&elem); err != nil {
		return j.fail(err)
	}
	end := j.dec.InputOffset()
	seg := j.rec.slice(j.off, end)
	k := 0
	for k < len(seg) && isSep(seg[k]) {
		k++
	}
	line := j.line + 1 + bytes.Count(seg[:k], []byte{'\n'})
	j.line += bytes.Count(seg, []byte{'\n'})
	j.off = end
	raw := append([]byte(nil), elem...)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(elem, &obj); err != nil || obj == nil {
		return reject(line, raw, errs.E(errs.Invalid, "not a JSON object")), nil
	}
	get := func(k string) string { s, _ := flexString(obj, k); return s }
	var compact bytes.Buffer
	_ = json.Compact(&compact, elem)
	m, err := j.row(get, obj, compact.Bytes())
	if err != nil {
		return reject(line, raw, err), nil
	}
	return accept(line, raw, m), nil
}

// fail ends the stream: after a syntax error a JSON document cannot be
// resynchronized. Syntax errors are records; other errors are I/O.
func (j *jsonRows) fail(err error) (Record, error) {
	j.done = true
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		seg := j.rec.slice(j.off, j.rec.base+int64(len(j.rec.buf)))
		k := 0
		for k < len(seg) && isSep(seg[k]) {
			k++
		}
		line := j.line + 1 + bytes.Count(seg[:k], []byte{'\n'})
		if len(seg) > 4096 {
			seg = seg[:4096]
		}
		return reject(line, seg[k:], errs.E(errs.Invalid, "bad JSON: %s; the rest of the file cannot be read", jsonErrText(err))), nil
	}
	if errors.Is(err, io.EOF) {
		return Record{}, io.EOF
	}
	return Record{}, err
}

// ---- PyWxDump ----
//
// Source: xaoyaoo/PyWxDump pywxdump/db/export/exportCSV.py writes the columns
// id, MsgSvrID, type_name, is_sender, talker, room_name, msg, src, CreateTime;
// pywxdump/db/export/exportJSON.py dumps a JSON array of the same row dicts
// (built in pywxdump/db/dbMSG.py get_msg_detail, plus "extra"). talker is the
// sender ("我" when is_sender is 1), room_name the conversation (StrTalker:
// a wxid, or "…@chatroom"), CreateTime "2006-01-02 15:04:05" local time. An
// older release (pywxdump/dbpreprocess/export/exportCSV.py) wrote a single
// "content" column instead of msg and src; both are read.

func (o Options) pywxdump(get func(string) string, raw json.RawMessage) (*Message, error) {
	tn := strings.TrimSpace(get("type_name"))
	ts, ok := pywxTypeNames[tn]
	revoke := strings.HasPrefix(tn, "消息撤回")
	if !ok {
		ts = [2]int64{-1, -1}
	}
	content := get("msg")
	if content == "" {
		content = legacyContent(get("content"))
	}
	if content == tn && ts[0] != 1 {
		// For most app messages PyWxDump writes the type name as msg.
		content = ""
	}
	at, err := parseWeChatTime(get("CreateTime"))
	if err != nil {
		return nil, err
	}
	room := get("room_name")
	if o.Room != "" {
		room = o.Room
	}
	sender := get("talker")
	if get("is_sender") == "1" && o.Self != "" {
		sender = o.Self
	}
	w := wxMsg{svrID: strings.TrimSpace(get("MsgSvrID")), room: room, sender: sender, at: at,
		typ: ts[0], sub: ts[1], content: content, revoke: revoke, raw: raw}
	if w.typ == 49 && (w.sub == 0 || w.sub == 6 || w.sub == 74) {
		// msg is the file name; src its path in the export.
		name := content
		if name == "" {
			name = path.Base(strings.ReplaceAll(get("src"), "\\", "/"))
		}
		if name != "" && name != "." && name != "/" {
			w.atts = []Attachment{{Name: name}}
		}
	}
	return w.message(), nil
}

func legacyContent(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if m, ok := t["msg"].(string); ok {
			return m
		}
	}
	return s
}

// NewPyWxDumpCSV reads PyWxDump's CSV export; room, when set, overrides the
// exported room_name.
func NewPyWxDumpCSV(r io.Reader, room string) Reader {
	return NewPyWxDumpCSVOpts(r, Options{Room: room})
}

// NewPyWxDumpCSVOpts is NewPyWxDumpCSV with all options.
func NewPyWxDumpCSVOpts(r io.Reader, o Options) Reader {
	return newCSVRows(r, []string{"type_name", "CreateTime", "msg|content"}, o.pywxdump)
}

// NewPyWxDumpJSON reads PyWxDump's JSON export (an array of row objects).
func NewPyWxDumpJSON(r io.Reader, room string) Reader {
	return NewPyWxDumpJSONOpts(r, Options{Room: room})
}

// NewPyWxDumpJSONOpts is NewPyWxDumpJSON with all options.
func NewPyWxDumpJSONOpts(r io.Reader, o Options) Reader {
	return newJSONRows(r, func(get func(string) string, _ map[string]json.RawMessage, raw json.RawMessage) (*Message, error) {
		return o.pywxdump(get, raw)
	})
}

// ---- WeChatMsg (留痕) ----
//
// Source: LC044/WeChatMsg app/util/exporter/exporter_csv.py writes, UTF-8
// with BOM, the columns localId, TalkerId, Type, SubType, IsSender,
// CreateTime (unix seconds), Status, StrContent, StrTime
// ("2006-01-02 15:04:05" local), Remark, NickName, Sender (the sender's
// wxid). TalkerId is a local row id, not the conversation's wxid, and there
// is no MsgSvrID: pass Options.Room (else the room is "wechatmsg:"+TalkerId)
// and the SourceID is a hash. StrContent is raw WeChat text or XML.

func (o Options) wechatmsg(get func(string) string, raw json.RawMessage) (*Message, error) {
	typ, err := strconv.ParseInt(strings.TrimSpace(get("Type")), 10, 64)
	if err != nil {
		return nil, errs.Field("kind", "Type %q is not a number", truncate(get("Type"), 20))
	}
	sub, err := strconv.ParseInt(strings.TrimSpace(get("SubType")), 10, 64)
	if err != nil {
		return nil, errs.Field("kind", "SubType %q is not a number", truncate(get("SubType"), 20))
	}
	ts := get("CreateTime")
	if strings.TrimSpace(ts) == "" {
		ts = get("StrTime")
	}
	at, err := parseWeChatTime(ts)
	if err != nil {
		return nil, err
	}
	room := o.Room
	if room == "" {
		room = "wechatmsg:" + strings.TrimSpace(get("TalkerId"))
	}
	sender := get("Sender")
	if get("IsSender") == "1" && o.Self != "" {
		sender = o.Self
	}
	content := get("StrContent")
	w := wxMsg{room: room, sender: sender, at: at, typ: typ, sub: sub, content: content, raw: raw}
	if typ == 49 {
		// App messages name their real subtype inside the XML (as chatlog reads it).
		if x, ok := parseWxXML(content); ok {
			w.parsed = &x
			if n, err := strconv.ParseInt(strings.TrimSpace(x.AppMsg.Type), 10, 64); err == nil && sub == 0 {
				w.sub = n
			}
		}
	}
	return w.message(), nil
}

// NewWeChatMsgCSV reads WeChatMsg's CSV export; room is the conversation
// the file belongs to.
func NewWeChatMsgCSV(r io.Reader, room string) Reader {
	return NewWeChatMsgCSVOpts(r, Options{Room: room})
}

// NewWeChatMsgCSVOpts is NewWeChatMsgCSV with all options.
func NewWeChatMsgCSVOpts(r io.Reader, o Options) Reader {
	return newCSVRows(r, []string{"Type", "SubType", "CreateTime|StrTime", "StrContent"}, o.wechatmsg)
}

// ---- chatlog ----
//
// Source: sjzar/chatlog internal/model/message.go, the JSON of Message: seq,
// time (RFC 3339), talker, talkerName, isChatRoom, sender, senderName,
// isSelf, type, subType, content, contents (an object: md5, title, desc, url,
// recordInfo, ...). Transfers are rendered into content as
// "[转账|发送 ￥8.88](memo)". seq is local (timestamp and a counter), so the
// SourceID is a hash. The HTTP API's JSON output is an array of messages; a
// stream of objects (one a line) is read too.

func (o Options) chatlog(get func(string) string, obj map[string]json.RawMessage, raw json.RawMessage) (*Message, error) {
	at, err := parseWeChatTime(get("time"))
	if err != nil {
		return nil, err
	}
	typ, err := flexInt(obj, "type")
	if err != nil {
		return nil, errs.Field("kind", "type is not a number")
	}
	sub, err := flexInt(obj, "subType")
	if err != nil {
		return nil, errs.Field("kind", "subType is not a number")
	}
	room := get("talker")
	if o.Room != "" {
		room = o.Room
	}
	sender := get("sender")
	var self bool
	if r, ok := obj["isSelf"]; ok {
		_ = json.Unmarshal(r, &self)
	}
	if self && o.Self != "" {
		sender = o.Self
	}
	w := wxMsg{room: room, sender: sender, at: at, typ: typ, sub: sub, content: get("content"), raw: raw}
	if c, ok := obj["contents"]; ok && !isNull(c) {
		var cw jsonWalker
		var fields map[string]json.RawMessage
		if json.Unmarshal(c, &fields) == nil {
			md5, _ := flexString(fields, "md5")
			title, _ := flexString(fields, "title")
			kind := wechatKind(typ, sub)
			if md5 != "" && (kind == KindImage || kind == KindFile) {
				name := ""
				if kind == KindFile {
					name = title
				}
				w.atts = append(w.atts, Attachment{Name: name, MD5: md5})
			}
			cw.skip = chatlogSkip
			cw.walkTop(c, chatlogSkip)
			w.extra = cw.parts
		}
	}
	return w.message(), nil
}

// chatlogSkip are contents keys that hold hashes, paths, the server host, or
// the envelope of a quoted message (its content is what is searchable).
var chatlogSkip = map[string]bool{
	"md5": true, "rawmd5": true, "host": true, "thumb": true, "imgfile": true, "videofile": true, "voice": true,
	"time": true, "talker": true, "talkerName": true, "sender": true, "senderName": true,
}

// NewChatlogJSON reads chatlog's JSON message output.
func NewChatlogJSON(r io.Reader, room string) Reader {
	return NewChatlogJSONOpts(r, Options{Room: room})
}

// NewChatlogJSONOpts is NewChatlogJSON with all options.
func NewChatlogJSONOpts(r io.Reader, o Options) Reader {
	return newJSONRows(r, o.chatlog)
}
