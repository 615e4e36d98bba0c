// Package capture turns chat records from the platforms Charter governs into
// one normalized Message, and reads them as a stream in which a bad record is
// reported with its line number and never stops the good ones.
//
// It parses only: no storage, no HTTP. The importers are
//
//	ndjson     normalized messages, one JSON object a line (docs/message.schema.json)
//	wecom      decrypted WeCom 会话内容存档 messages, one JSON object a line
//	pywxdump   PyWxDump CSV or JSON export of personal-WeChat chat records
//	wechatmsg  WeChatMsg (留痕) CSV export
//	chatlog    sjzar/chatlog JSON message output
//	matrix     a Matrix application-service transaction ({"events":[...]})
//
// Room ids: a group message carries its platform room id. A WeCom 1:1 chat has
// an empty roomid; Charter names it "single:" + the two participants sorted and
// joined by ":" (see SingleRoomID), so both directions of one conversation land
// in one room. Personal-WeChat exports name the conversation by its talker
// (a wxid for 1:1, "...@chatroom" for groups); the caller may override it.
package capture

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"charter/internal/blob"
	"charter/internal/errs"
)

// Kind is what a message is, coarse enough for detectors and reports.
type Kind string

const (
	KindText        Kind = "text"
	KindImage       Kind = "image"
	KindFile        Kind = "file"
	KindLink        Kind = "link"
	KindTransfer    Kind = "transfer"
	KindRedEnvelope Kind = "red_envelope"
	KindRevoke      Kind = "revoke"
	KindSystem      Kind = "system"
	KindOther       Kind = "other"
)

// Kinds lists every valid Kind.
var Kinds = []Kind{KindText, KindImage, KindFile, KindLink, KindTransfer, KindRedEnvelope, KindRevoke, KindSystem, KindOther}

// Platforms lists every valid Message.Platform.
var Platforms = []string{"wecom", "wechat", "dingtalk", "feishu", "matrix", "other"}

// Message is one chat message, normalized. (Platform, SourceID) is the dedupe
// key. Text holds all searchable text, including text nested in forwarded
// chat records and mixed messages, link titles and file names.
//
// SentAtUnknown says the source gave no sending time (the vendor's own WeCom
// image example has msgtime 0): SentAt is then when Charter read it, and the
// archive replaces it with the message's captured_at, so such a message is
// kept, sorted and retained by its capture and shown as "time unknown"
// rather than rejected or given an invented time.
type Message struct {
	Platform      string          `json:"platform"`
	SourceID      string          `json:"source_id"`
	RoomID        string          `json:"room_id"`
	Sender        string          `json:"sender"`
	SentAt        time.Time       `json:"sent_at"`
	SentAtUnknown bool            `json:"sent_at_unknown,omitempty"`
	Kind          Kind            `json:"kind"`
	Text          string          `json:"text,omitempty"`
	Attachments   []Attachment    `json:"attachments,omitempty"`
	Transfer      *Transfer       `json:"transfer,omitempty"`
	Recalls       string          `json:"recalls,omitempty"`
	Raw           json.RawMessage `json:"raw,omitempty"`
}

// Attachment describes a file carried by a message; the bytes are not part
// of the message. SHA256 names them in the blob store (PUT
// /api/v1/attachments/{sha256}), when they were delivered. The new fields
// are omitted when empty, so an attachment without them is stored and
// hashed exactly as before they existed.
type Attachment struct {
	Name        string `json:"name,omitempty"`
	Size        int64  `json:"size,omitempty"`
	MD5         string `json:"md5,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// SourceRef is where the platform keeps the file when it did not come
	// with the message ("wecom:" + the SDK's sdkfileid): the attachment lane
	// fetches it from there.
	SourceRef string `json:"source_ref,omitempty"`
}

// Transfer is money moved by a message. AmountFen 0 means the source did not
// say how much (several exports do not carry the amount).
type Transfer struct {
	AmountFen int64  `json:"amount_fen"`
	Count     int    `json:"count,omitempty"`
	Type      string `json:"type"`
}

// Bounds that keep one message storable and indexable.
const (
	maxIDLen          = 512
	maxTextLen        = 8 << 20
	maxContentTypeLen = 255
	// maxRefLen bounds a platform's file reference: WeCom's sdkfileid runs
	// to about a thousand characters.
	maxRefLen = 4096
)

// Validate reports the first thing wrong with m, naming the field.
func (m *Message) Validate() error {
	if m == nil {
		return errs.Field("message", "missing")
	}
	if m.Platform == "" {
		return errs.Field("platform", "missing")
	}
	if !validPlatform(m.Platform) {
		return errs.Field("platform", "unknown platform %q", m.Platform)
	}
	if m.SourceID == "" {
		return errs.Field("source_id", "missing")
	}
	for _, f := range []struct{ name, v string }{
		{"source_id", m.SourceID}, {"room_id", m.RoomID}, {"sender", m.Sender}, {"recalls", m.Recalls},
	} {
		if len(f.v) > maxIDLen {
			return errs.Field(f.name, "longer than %d bytes", maxIDLen)
		}
		if !utf8.ValidString(f.v) {
			return errs.Field(f.name, "not valid UTF-8")
		}
	}
	if m.SentAt.IsZero() {
		return errs.Field("sent_at", "missing")
	}
	if y := m.SentAt.Year(); y < 1990 || y > 2200 {
		return errs.Field("sent_at", "implausible time %s", m.SentAt.UTC().Format(time.RFC3339))
	}
	if m.Kind == "" {
		return errs.Field("kind", "missing")
	}
	if !validKind(m.Kind) {
		return errs.Field("kind", "unknown kind %q", m.Kind)
	}
	if len(m.Text) > maxTextLen {
		return errs.Field("text", "longer than %d bytes", maxTextLen)
	}
	if !utf8.ValidString(m.Text) {
		return errs.Field("text", "not valid UTF-8")
	}
	for i, a := range m.Attachments {
		if a.Size < 0 {
			return errs.Field("attachments", "attachment %d: negative size %d", i, a.Size)
		}
		if !utf8.ValidString(a.Name) || !utf8.ValidString(a.MD5) || !utf8.ValidString(a.ContentType) {
			return errs.Field("attachments", "attachment %d: not valid UTF-8", i)
		}
		if a.SHA256 != "" && !blob.ValidName(a.SHA256) {
			return errs.Field("attachments.sha256", "attachment %d: %q is not a SHA-256 in 64 lowercase hex digits", i, a.SHA256)
		}
		if len(a.ContentType) > maxContentTypeLen {
			return errs.Field("attachments.content_type", "attachment %d: longer than %d bytes", i, maxContentTypeLen)
		}
		if len(a.SourceRef) > maxRefLen || !utf8.ValidString(a.SourceRef) {
			return errs.Field("attachments.source_ref", "attachment %d: longer than %d bytes or not UTF-8", i, maxRefLen)
		}
	}
	if t := m.Transfer; t != nil {
		if m.Kind != KindTransfer && m.Kind != KindRedEnvelope {
			return errs.Field("transfer", "only a transfer or red_envelope carries one, not %q", m.Kind)
		}
		if t.AmountFen < 0 {
			return errs.Field("transfer", "negative amount %d", t.AmountFen)
		}
		if t.Count < 0 {
			return errs.Field("transfer", "negative count %d", t.Count)
		}
		if t.Type == "" {
			return errs.Field("transfer", "missing type")
		}
	}
	if m.Recalls != "" && m.Kind != KindRevoke {
		return errs.Field("recalls", "only a revoke recalls a message, not %q", m.Kind)
	}
	if len(m.Raw) > 0 && !json.Valid(m.Raw) {
		return errs.Field("raw", "not valid JSON")
	}
	return nil
}

func validPlatform(p string) bool {
	for _, q := range Platforms {
		if p == q {
			return true
		}
	}
	return false
}

func validKind(k Kind) bool {
	for _, q := range Kinds {
		if k == q {
			return true
		}
	}
	return false
}
