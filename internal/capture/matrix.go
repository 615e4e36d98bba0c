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
// room's state events (creation, names, members) are not messages and are
// passed over, as are encrypted events, which an application service cannot
// read. Line is the event's position in the transaction, from 1.
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
	Type    string          `json:"type"`
	EventID string          `json:"event_id"`
	RoomID  string          `json:"room_id"`
	Sender  string          `json:"sender"`
	TS      int64           `json:"origin_server_ts"`
	Redacts string          `json:"redacts"`
	Content json.RawMessage `json:"content"`
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
		return nil, nil
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
