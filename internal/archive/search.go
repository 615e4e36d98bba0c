package archive

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/errs"
)

// Query selects archived messages. Zero fields match everything. Results
// come newest first by archive id (the order of capture; for live capture
// that is the order of sending).
type Query struct {
	Text    string    `json:"q"`
	GroupID int64     `json:"group,omitempty"`
	Sender  string    `json:"sender,omitempty"` // platform handle or resolved username
	From    time.Time `json:"from,omitzero"`
	To      time.Time `json:"to,omitzero"`
	Kind    string    `json:"kind,omitempty"`
	Before  int64     `json:"-"` // keyset page: messages with ID < Before
	Limit   int       `json:"-"`

	// Terms is Text parsed; the service fills it.
	Terms []Term `json:"-"`
}

// MaxLimit is the largest page.
const MaxLimit = 500

// Item is how a message is shown to a reader of the archive.
type Item struct {
	ID       int64     `json:"id"`
	Platform string    `json:"platform"`
	SourceID string    `json:"source_id"`
	GroupID  *int64    `json:"group_id"`
	RoomID   string    `json:"room_id"`
	Sender   string    `json:"sender"`
	User     string    `json:"user,omitempty"`
	SentAt   time.Time `json:"sent_at"`
	// SentAtUnknown: the source gave no sending time; SentAt is CapturedAt.
	SentAtUnknown bool                 `json:"sent_at_unknown,omitempty"`
	Kind          capture.Kind         `json:"kind"`
	Text          string               `json:"text"`
	Attachments   []capture.Attachment `json:"attachments,omitempty"`
	Transfer      *capture.Transfer    `json:"transfer,omitempty"`
	Recalls       string               `json:"recalls,omitempty"`
	Recalled      bool                 `json:"recalled"`
	RecalledAt    *time.Time           `json:"recalled_at,omitempty"`
	Purged        bool                 `json:"purged,omitempty"`
	CapturedAt    time.Time            `json:"captured_at"`
	Hash          string               `json:"hash"`
	Raw           json.RawMessage      `json:"raw,omitempty"`
}

// Item renders m for a reader; raw is included only when asked (export).
func (m *Stored) Item(withRaw bool) Item {
	it := Item{ID: m.ID, Platform: m.Platform, SourceID: m.SourceID, RoomID: m.RoomID, Sender: m.Sender, User: m.User,
		SentAt: m.SentAt.UTC(), SentAtUnknown: m.SentAtUnknown, Kind: m.Kind, Text: m.Text, Attachments: m.Attachments, Transfer: m.Transfer, Recalls: m.Recalls,
		Recalled: m.Recalled, RecalledAt: m.RecalledAt, Purged: m.PurgedAt != nil, CapturedAt: m.CapturedAt.UTC(), Hash: m.Hash}
	if m.GroupID != 0 {
		g := m.GroupID
		it.GroupID = &g
	}
	if withRaw && len(m.Raw) > 0 {
		it.Raw = m.Raw
	}
	return it
}

func (s *Service) prepare(q *Query) error {
	q.Text = strings.TrimSpace(q.Text)
	if len(q.Text) > 1000 {
		return errs.Field("q", "longer than 1000 bytes")
	}
	q.Terms = ParseQuery(q.Text)
	if q.Kind != "" {
		ok := false
		for _, k := range capture.Kinds {
			ok = ok || string(k) == q.Kind
		}
		if !ok {
			return errs.Field("kind", "unknown kind %q", q.Kind)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return errs.Field("to", "must be after from")
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	return nil
}

// Search finds messages and returns a page and the cursor of the next page
// ("" at the end). Every search is audited with its query, because reading
// the archive is always audited.
func (s *Service) Search(ctx context.Context, q Query) ([]Stored, string, error) {
	if err := s.prepare(&q); err != nil {
		return nil, "", err
	}
	var items []Stored
	if q.Text == "" || len(q.Terms) > 0 {
		var err error
		if items, err = s.Store.SearchMessages(ctx, q); err != nil {
			return nil, "", errs.Wrap(err, "search messages")
		}
	}
	next := ""
	if len(items) == q.Limit {
		next = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	err := s.Tx(ctx, func(tx TxStore) error {
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "message.search", "archive", audit.Summarize(querySummary(q, len(items)))))
	})
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}

func querySummary(q Query, n int) map[string]any {
	sum := map[string]any{"q": q.Text, "results": n}
	if q.GroupID != 0 {
		sum["group"] = q.GroupID
	}
	if q.Sender != "" {
		sum["sender"] = q.Sender
	}
	if !q.From.IsZero() {
		sum["from"] = q.From.UTC()
	}
	if !q.To.IsZero() {
		sum["to"] = q.To.UTC()
	}
	if q.Kind != "" {
		sum["kind"] = q.Kind
	}
	if q.Before != 0 {
		sum["before"] = q.Before
	}
	return sum
}

// ParseCursor reads a page cursor returned by Search.
func ParseCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.Field("cursor", "not a cursor from a previous page")
	}
	return n, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ParseTime reads a filter time: RFC 3339, or a date meaning midnight UTC.
func ParseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, errs.Field(field, "not an RFC 3339 time or a date: %q", s)
}
