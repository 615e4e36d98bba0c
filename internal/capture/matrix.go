package capture

import (
	"encoding/json"
	"io"
	"time"

	"charter/internal/errs"
)

// NewMatrix reads one Matrix application-service transaction, the body a
// homeserver PUTs to /_matrix/app/v1/transactions/{txnId}: {"events":[...]}
// of client-format events. Messages and redactions become messages; the
// room's creation, name, topic, encryption and memberships become system
// messages (their facts, MatrixFacts, also feed the registry's room
// inventory). Other state (power levels, join rules) is passed over, as are
// encrypted events, which an application service cannot read. Line is the
// event's position in the transaction, from 1.
func NewMatrix(r io.Reader) Reader { return &matrixReader{r: r} }

type matrixReader struct {
	r      io.Reader // read whole at the first Next: a transaction is one JSON document
	events []json.RawMessage
	i      int
}

func (m *matrixReader) Next() (Record, error) {
	if m.r != nil {
		r := m.r
		m.r = nil
		data, err := io.ReadAll(io.LimitReader(r, MaxLine+1))
		if err != nil {
			return Record{}, err
		}
		if len(data) > MaxLine {
			return reject(1, nil, tooLongErr()), nil
		}
		var body struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(data, &body); err != nil {
			return reject(1, data, errs.Field("events", "not a Matrix transaction: %s", jsonErrText(err))), nil
		}
		m.events = body.Events
	}
	for m.i < len(m.events) {
		raw := m.events[m.i]
		m.i++
		msg, err := parseMatrixEvent(raw)
		switch {
		case err != nil:
			return reject(m.i, raw, err), nil
		case msg != nil:
			return accept(m.i, raw, msg), nil
		}
	}
	return Record{}, io.EOF
}

// matrixEvent is the part of a client-format event Charter reads.
type matrixEvent struct {
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	RoomID  string `json:"room_id"`
	Sender  string `json:"sender"`
	TS      int64  `json:"origin_server_ts"`
	Redacts string `json:"redacts"`
	// StateKey is set on state events: for a membership, the member.
	StateKey *string         `json:"state_key"`
	Content  json.RawMessage `json:"content"`
	Unsigned struct {
		PrevContent *struct {
			Membership string `json:"membership"`
		} `json:"prev_content"`
	} `json:"unsigned"`
}

type matrixContent struct {
	MsgType string `json:"msgtype"`
	Body    string `json:"body"`
	Info    struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimetype"`
	} `json:"info"`
	FileName   string `json:"filename"`
	Redacts    string `json:"redacts"` // room version 11 moves it into the content
	NewContent *struct {
		Body string `json:"body"`
	} `json:"m.new_content"`
}

// parseMatrixEvent is the message an event is, or nil for an event that is
// not one.
func parseMatrixEvent(raw json.RawMessage) (*Message, error) {
	var ev matrixEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, errs.Field("event", "not a Matrix event: %s", jsonErrText(err))
	}
	if ev.Type != "m.room.message" && ev.Type != "m.room.redaction" {
		f, err := ev.fact()
		if f == nil || err != nil {
			return nil, err
		}
		m := &Message{Platform: "matrix", SourceID: f.SourceID, RoomID: f.RoomID, Sender: f.Actor,
			SentAt: f.At, Kind: KindSystem, Text: f.Text(), Raw: raw}
		return m, m.Validate()
	}
	var c matrixContent
	if len(ev.Content) > 0 {
		if err := json.Unmarshal(ev.Content, &c); err != nil {
			return nil, errs.Field("content", "%s content: %s", ev.Type, jsonErrText(err))
		}
	}
	if ev.TS <= 0 {
		return nil, errs.Field("origin_server_ts", "missing")
	}
	m := &Message{Platform: "matrix", SourceID: ev.EventID, RoomID: ev.RoomID, Sender: ev.Sender,
		SentAt: time.UnixMilli(ev.TS).UTC(), Raw: raw}
	if ev.Type == "m.room.redaction" {
		m.Kind, m.Recalls = KindRevoke, ev.Redacts
		if m.Recalls == "" {
			m.Recalls = c.Redacts
		}
		if m.Recalls == "" {
			return nil, errs.Field("redacts", "a redaction names no event")
		}
		return m, m.Validate()
	}
	// An edit carries the new text in m.new_content (body is the
	// "* new text" fallback); it is archived as its own message, a revision
	// of the one it replaces, which the raw event names.
	body := c.Body
	if c.NewContent != nil && c.NewContent.Body != "" {
		body = c.NewContent.Body
	}
	switch c.MsgType {
	case "m.text", "m.notice", "m.emote":
		m.Kind, m.Text = KindText, body
	case "m.image", "m.file", "m.audio", "m.video":
		m.Kind = KindFile
		if c.MsgType == "m.image" {
			m.Kind = KindImage
		}
		name := c.FileName
		if name == "" {
			name = c.Body
		}
		m.Attachments = []Attachment{{Name: name, Size: c.Info.Size}}
		// The caption, when the client sent one beside a file name.
		m.Text = joinText(name, captionOf(c))
	case "m.location":
		m.Kind, m.Text = KindOther, body
	case "":
		return nil, errs.Field("msgtype", "missing")
	default:
		m.Kind, m.Text = KindOther, body
	}
	if m.Text == "" && len(m.Attachments) == 0 {
		return nil, errs.Field("body", "%s %s has no body", ev.Type, c.MsgType)
	}
	return m, m.Validate()
}

// captionOf is the text of a file message beyond its file name (Matrix 1.10
// captions: body is the caption when filename is set).
func captionOf(c matrixContent) string {
	if c.FileName != "" && c.Body != c.FileName {
		return c.Body
	}
	return ""
}

// RoomFact is what a platform event says about a room and its members, with
// no message content beyond the room's own name and topic: the registry
// keeps these as its inventory of rooms, so a room running outside the
// registry is known from its creation, before any message.
type RoomFact struct {
	Platform, RoomID, SourceID string
	At                         time.Time
	Actor                      string // who did it
	Type                       string // one of the Fact constants
	Member                     string // FactMember: whose membership
	Membership                 string // FactMember: join, leave, kick, ban, invite, knock
	// Value is the room's name or topic, the encryption algorithm, or the
	// reason given for a membership change.
	Value string
	// Direct marks an invitation to a one-to-one conversation, which is
	// not a group (WeCom's single chats are the same).
	Direct bool
}

// The kinds of RoomFact.
const (
	FactCreate     = "create"
	FactName       = "name"
	FactTopic      = "topic"
	FactEncryption = "encryption"
	FactMember     = "member"
	// FactDismiss: the platform dissolved the group (WeCom's dismiss).
	FactDismiss = "dismiss"
	// FactConsent: a member's answer to being archived (WeCom's
	// check_room_agree); Member is who, Value "agree" or "disagree".
	FactConsent = "consent"
)

// Text is the fact as a line of the archive.
func (f *RoomFact) Text() string {
	reason := ""
	if f.Value != "" {
		reason = ": " + f.Value
	}
	switch f.Type {
	case FactCreate:
		return f.Actor + " created the room"
	case FactName:
		return f.Actor + " named the room \"" + f.Value + "\""
	case FactTopic:
		return f.Actor + " set the topic" + reason
	case FactEncryption:
		return f.Actor + " turned on end-to-end encryption (" + f.Value + "): later messages cannot be archived"
	case FactDismiss:
		return "the group was dismissed"
	case FactConsent:
		return f.Member + " answered " + f.Value + " to being archived"
	}
	switch f.Membership {
	case "join":
		return f.Member + " joined"
	case "leave":
		return f.Member + " left" + reason
	case "kick":
		return f.Actor + " removed " + f.Member + reason
	case "ban":
		return f.Actor + " banned " + f.Member + reason
	case "invite":
		return f.Actor + " invited " + f.Member
	default:
		return f.Member + " asked to join"
	}
}

// fact is the RoomFact of a state event Charter keeps, or nil.
func (ev *matrixEvent) fact() (*RoomFact, error) {
	if ev.StateKey == nil {
		return nil, nil
	}
	typ := map[string]string{"m.room.create": FactCreate, "m.room.name": FactName, "m.room.topic": FactTopic,
		"m.room.encryption": FactEncryption, "m.room.member": FactMember}[ev.Type]
	if typ == "" {
		return nil, nil
	}
	var c struct {
		Name       string `json:"name"`
		Topic      string `json:"topic"`
		Algorithm  string `json:"algorithm"`
		Membership string `json:"membership"`
		Reason     string `json:"reason"`
		IsDirect   bool   `json:"is_direct"`
	}
	if len(ev.Content) > 0 {
		if err := json.Unmarshal(ev.Content, &c); err != nil {
			return nil, errs.Field("content", "%s content: %s", ev.Type, jsonErrText(err))
		}
	}
	if ev.TS <= 0 {
		return nil, errs.Field("origin_server_ts", "missing")
	}
	f := &RoomFact{Platform: "matrix", RoomID: ev.RoomID, SourceID: ev.EventID, At: time.UnixMilli(ev.TS).UTC(), Actor: ev.Sender, Type: typ}
	switch typ {
	case FactName:
		f.Value = c.Name
	case FactTopic:
		f.Value = c.Topic
	case FactEncryption:
		f.Value = c.Algorithm
	case FactMember:
		f.Member, f.Membership, f.Value, f.Direct = *ev.StateKey, c.Membership, c.Reason, c.IsDirect
		if f.Member == "" {
			return nil, errs.Field("state_key", "a membership names no member")
		}
		switch c.Membership {
		case "join":
			if p := ev.Unsigned.PrevContent; p != nil && p.Membership == "join" {
				return nil, nil // a new display name or avatar, not a change of membership
			}
		case "leave":
			if ev.Sender != f.Member {
				f.Membership = "kick"
			}
		case "ban", "invite", "knock":
		default:
			return nil, errs.Field("membership", "%q is not a Matrix membership", c.Membership)
		}
	}
	return f, nil
}

// MatrixFacts reads the room facts of one transaction body (as NewMatrix
// reads its messages). An event that cannot be read is left to NewMatrix,
// which rejects it with its line.
func MatrixFacts(body []byte) ([]RoomFact, error) {
	var t struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, errs.Field("events", "not a Matrix transaction: %s", jsonErrText(err))
	}
	var out []RoomFact
	for _, raw := range t.Events {
		var ev matrixEvent
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		if f, err := ev.fact(); err == nil && f != nil && f.RoomID != "" && f.SourceID != "" {
			out = append(out, *f)
		}
	}
	return out, nil
}

// FactOf is the room fact an archived system message records, or nil: the
// detectors judge a member's joining and a room turning encryption on.
func FactOf(m *Message) *RoomFact {
	if m.Platform != "matrix" || m.Kind != KindSystem || len(m.Raw) == 0 {
		return nil
	}
	var ev matrixEvent
	if json.Unmarshal(m.Raw, &ev) != nil {
		return nil
	}
	f, err := ev.fact()
	if err != nil {
		return nil
	}
	return f
}
