package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/checkpoint"
	"charter/internal/errs"
)

// Service is the archive domain: ingest, quarantine, search, holds, purge.
// Every change runs in a transaction with its audit event.
type Service struct {
	Store     Store
	Tx        func(ctx context.Context, fn func(TxStore) error) error
	Now       func() time.Time
	Resolver  Resolver
	Groups    Groups
	Retention Retention
	// ChunkSize is how many messages one transaction commits: large enough
	// that SQLite's full-text index writes few segments (5,000: one
	// transaction for a typical ingest batch).
	ChunkSize int
	// ScanLease is how long a committed chunk is left to the observer that
	// scans it before the catch-up scanner may take it (see scan_queue).
	ScanLease time.Duration
	// Checkpoints signs the chain heads with every export; nil: exports
	// carry no checkpoint.
	Checkpoints *checkpoint.Service

	mu        sync.RWMutex
	observers []Observer
}

// NewService wires the service with the defaults: nothing resolved, any
// positive group id accepted, the default retention, chunks of 5,000.
func NewService(s Store, tx func(context.Context, func(TxStore) error) error, now func() time.Time) *Service {
	return &Service{Store: s, Tx: tx, Now: now, Resolver: Unresolved{}, Groups: AnyGroup{}, Retention: DefaultRetention(), ChunkSize: 5000,
		ScanLease: 30 * time.Second}
}

// Observe registers o to see every committed batch.
func (s *Service) Observe(o Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observers = append(s.observers, o)
}

// notify hands a committed chunk to the observers and returns how many of
// its messages they left pending.
func (s *Service) notify(ctx context.Context, c Committed) int {
	if len(c.Messages) == 0 {
		return 0
	}
	s.mu.RLock()
	obs := s.observers
	s.mu.RUnlock()
	pending := 0
	for _, o := range obs {
		pending = max(pending, o(ctx, c))
	}
	return pending
}

// Batch describes one delivery of messages.
type Batch struct {
	Format  string // a capture format: ndjson, wecom, pywxdump, wechatmsg, chatlog, ...
	GroupID int64  // for personal-WeChat exports: the registered group the file belongs to
	Source  string // who or what delivered it, for the audit trail and the quarantine
	cursor  *cursorPos
}

type cursorPos struct {
	corp, source string
	seq          int64
}

// Result is the answer to an ingest.
type Result struct {
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Rejected   []Rejection `json:"rejected"`
	// ScanPending counts accepted messages whose detection did not finish
	// before the answer: they are archived and the catch-up scanner will
	// scan them (their alerts come later).
	ScanPending int `json:"scan_pending,omitempty"`
}

// Rejection names a record that was not archived and where it waits.
type Rejection struct {
	Line         int    `json:"line"`
	Error        string `json:"error"`
	QuarantineID int64  `json:"quarantine_id"`
}

// PersonalFormat reports whether format is a personal-WeChat export, which
// must name the registered group it belongs to.
func PersonalFormat(format string) bool {
	switch format {
	case "pywxdump", "pywxdump-csv", "pywxdump-json", "wechatmsg", "chatlog":
		return true
	}
	return false
}

// CheckBatch refuses a batch that cannot be taken: an unknown format, a
// personal export without a group, a group that does not exist.
func (s *Service) CheckBatch(ctx context.Context, b Batch) error {
	known := false
	for _, f := range capture.Formats() {
		known = known || f == b.Format
	}
	if !known {
		return errs.Field("format", "unknown format %q (known: %s)", b.Format, strings.Join(capture.Formats(), ", "))
	}
	if PersonalFormat(b.Format) && b.GroupID <= 0 {
		return errs.Field("group", "a %s export must name the registered work group it belongs to (--group ID)", b.Format)
	}
	if b.GroupID != 0 {
		ok, err := s.Groups.GroupExists(ctx, b.GroupID)
		if err != nil {
			return errs.Wrap(err, "check group")
		}
		if !ok {
			return errs.Field("group", "group %d does not exist", b.GroupID)
		}
	}
	return nil
}

// Ingest reads r in b.Format and archives every valid record, in chunks of
// ChunkSize per transaction. A bad record is quarantined with its line and
// reason and never stops the others. Observers see each chunk after it is
// committed; progress (if not nil) is called after each chunk.
func (s *Service) Ingest(ctx context.Context, r io.Reader, b Batch, progress func(Result)) (*Result, error) {
	if err := s.CheckBatch(ctx, b); err != nil {
		return nil, err
	}
	rd, err := capture.Open(b.Format, r, capture.Options{})
	if err != nil {
		return nil, err
	}
	return s.ingest(ctx, b, rd.Next, progress)
}

type chunk struct {
	msgs    []*Stored
	rejects []capture.Record
	err     error
}

// ingest runs the reader in its own goroutine so parsing the next chunk
// overlaps committing this one.
func (s *Service) ingest(ctx context.Context, b Batch, next func() (capture.Record, error), progress func(Result)) (*Result, error) {
	size := s.ChunkSize
	if size <= 0 {
		size = 5000
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 2)
	go func() {
		// Resolution and content hashing happen here, off the writer's path.
		defer close(chunks)
		// Each chunk reads the registry as it is when the chunk begins.
		view, err := s.Resolver.View(ctx)
		c := chunk{msgs: make([]*Stored, 0, size), err: errs.Wrap(err, "read the registry")}
		if err != nil {
			chunks <- c
			return
		}
		now := s.Now().UTC()
		send := func() bool {
			select {
			case chunks <- c:
				c = chunk{msgs: make([]*Stored, 0, size)}
				now = s.Now().UTC()
				if view, err = s.Resolver.View(ctx); err != nil {
					c.err = errs.Wrap(err, "read the registry")
				}
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			rec, err := next()
			if errors.Is(err, io.EOF) {
				send()
				return
			}
			if err != nil {
				c.err = errs.Wrap(err, "read "+b.Format)
				send()
				return
			}
			if rec.Err == nil {
				if err := storable(rec.Msg); err != nil {
					raw, _ := json.Marshal(rec.Msg)
					rec = capture.Record{Line: rec.Line, Err: err, Raw: raw}
				}
			}
			if rec.Err != nil {
				c.rejects = append(c.rejects, rec)
			} else {
				if c.err != nil {
					send()
					return
				}
				m := &Stored{Message: *rec.Msg, GroupID: b.GroupID}
				m.capturedAt(now)
				resolve(view, m)
				Prepare(m)
				c.msgs = append(c.msgs, m)
			}
			if len(c.msgs)+len(c.rejects) >= size && !send() {
				return
			}
		}
	}()
	res := &Result{Rejected: []Rejection{}}
	var last *chunk
	for c := range chunks {
		if c.err != nil {
			// What was read before the failure is archived; the cursor of a
			// pull is not moved.
			for _, p := range []*chunk{last, &c} {
				if p != nil {
					if err := s.commit(ctx, b, p, res, false); err != nil {
						return res, err
					}
				}
			}
			return res, c.err
		}
		if last != nil {
			if err := s.commit(ctx, b, last, res, false); err != nil {
				return res, err
			}
			if progress != nil {
				progress(*res)
			}
		}
		c := c
		last = &c
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if last != nil {
		if err := s.commit(ctx, b, last, res, true); err != nil {
			return res, err
		}
		if progress != nil {
			progress(*res)
		}
	}
	return res, nil
}

// resolve sets m's group (unless the batch named one) and user from the
// registry's view.
func resolve(v View, m *Stored) {
	if m.GroupID == 0 && m.RoomID != "" {
		m.GroupID, _ = v.RoomGroup(m.Platform, m.RoomID)
	}
	if m.Sender != "" {
		m.User, _ = v.SenderUser(m.Platform, m.Sender)
	}
}

// commit archives one chunk and quarantines its rejects in one transaction,
// then hands the new messages to the observers.
func (s *Service) commit(ctx context.Context, b Batch, c *chunk, res *Result, final bool) error {
	if len(c.msgs) == 0 && len(c.rejects) == 0 && !(final && b.cursor != nil) {
		return nil
	}
	now := s.Now().UTC()
	var rejected []Rejection
	accepted, dups := 0, 0
	var queueID int64
	err := s.Tx(ctx, func(tx TxStore) error {
		queueID = 0
		if err := tx.AppendMessages(ctx, c.msgs); err != nil {
			return errs.Wrap(err, "archive messages")
		}
		accepted, dups = 0, 0
		var first, lastID int64
		for _, m := range c.msgs {
			if m.Duplicate {
				dups++
				continue
			}
			accepted++
			if first == 0 {
				first = m.ID
			}
			lastID = m.ID
		}
		rejected = rejected[:0]
		for _, r := range c.rejects {
			q := &QuarantineItem{Format: b.Format, Line: r.Line, Error: errorText(r.Err), Raw: r.Raw, RawHash: rawHash(r.Raw),
				GroupID: b.GroupID, Source: b.Source, ReceivedAt: now}
			if err := tx.AddQuarantine(ctx, q); err != nil {
				return errs.Wrap(err, "quarantine")
			}
			rejected = append(rejected, Rejection{Line: r.Line, Error: q.Error, QuarantineID: q.ID})
		}
		if accepted > 0 {
			var err error
			if queueID, err = tx.QueueScan(ctx, first, lastID, now, now.Add(s.ScanLease)); err != nil {
				return errs.Wrap(err, "queue scan")
			}
		}
		if final && b.cursor != nil {
			if err := tx.SavePullCursor(ctx, b.cursor.corp, b.cursor.source, b.cursor.seq, now); err != nil {
				return errs.Wrap(err, "save pull cursor")
			}
		}
		sum := map[string]any{"format": b.Format, "source": b.Source, "accepted": accepted, "duplicates": dups, "rejected": len(c.rejects)}
		if first != 0 {
			sum["first_id"], sum["last_id"] = first, lastID
		}
		if b.GroupID != 0 {
			sum["group"] = b.GroupID
		}
		return tx.AppendAudit(ctx, audit.New(ctx, now, "archive.ingest", "archive", audit.Summarize(sum)))
	})
	if err != nil {
		return err
	}
	res.Accepted += accepted
	res.Duplicates += dups
	res.Rejected = append(res.Rejected, rejected...)
	out := make([]Stored, 0, accepted)
	for _, m := range c.msgs {
		if !m.Duplicate {
			out = append(out, *m)
		}
	}
	res.ScanPending += s.notify(ctx, Committed{QueueID: queueID, Messages: out})
	return nil
}

// MaxAmountFen bounds one transfer or red envelope: 10^12 fen is ten billion
// yuan, far above any real payment, and a sum of millions of them still fits
// in 64 bits.
const MaxAmountFen = 1_000_000_000_000

// storable refuses what capture accepts but a storage engine cannot keep
// faithfully on both engines: a NUL character (PostgreSQL text refuses it)
// and a transfer count beyond 32 bits. Such a message would otherwise fail
// its whole chunk on every retry.
func storable(m *capture.Message) error {
	for _, f := range []struct{ name, v string }{
		{"platform", m.Platform}, {"source_id", m.SourceID}, {"room_id", m.RoomID}, {"sender", m.Sender},
		{"text", m.Text}, {"recalls", m.Recalls},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return errs.Field(f.name, "contains a NUL character")
		}
	}
	for i, a := range m.Attachments {
		if strings.IndexByte(a.Name, 0) >= 0 || strings.IndexByte(a.MD5, 0) >= 0 || strings.IndexByte(a.ContentType, 0) >= 0 {
			return errs.Field("attachments", "attachment %d: contains a NUL character", i)
		}
	}
	if t := m.Transfer; t != nil {
		if t.AmountFen < 0 || t.AmountFen > MaxAmountFen {
			return errs.Field("transfer.amount_fen", "%d is outside 0 to %d fen (10 billion yuan)", t.AmountFen, int64(MaxAmountFen))
		}
		if t.Count < 0 {
			return errs.Field("transfer.count", "%d is negative", t.Count)
		}
		if t.Count > math.MaxInt32 {
			return errs.Field("transfer", "count %d is too large", t.Count)
		}
		if strings.IndexByte(t.Type, 0) >= 0 {
			return errs.Field("transfer", "type contains a NUL character")
		}
	}
	return nil
}

func rawHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func errorText(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// QuarantineItem is a record that could not be archived, kept as it came.
type QuarantineItem struct {
	ID            int64      `json:"id"`
	Format        string     `json:"format"`
	Line          int        `json:"line"`
	Error         string     `json:"error"`
	Raw           []byte     `json:"-"`
	GroupID       int64      `json:"group_id,omitempty"`
	Source        string     `json:"source"`
	ReceivedAt    time.Time  `json:"received_at"`
	ReprocessedAt *time.Time `json:"reprocessed_at,omitempty"`
	MessageID     int64      `json:"message_id,omitempty"`
	RawHash       string     `json:"-"` // SHA-256 of Raw: a repeat delivery finds its open item
	Repeat        bool       `json:"-"` // set by AddQuarantine when the item was already there
}

// QuarantineFilter narrows the quarantine listing.
type QuarantineFilter struct {
	Open   bool  // only items not yet reprocessed
	Before int64 // page: items with ID < Before
	Limit  int
}

// Quarantine lists quarantined records, newest first. Their bytes are
// message content, so the listing is audited.
func (s *Service) Quarantine(ctx context.Context, f QuarantineFilter) ([]QuarantineItem, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	items, err := s.Store.QuarantineItems(ctx, f)
	if err != nil {
		return nil, errs.Wrap(err, "list quarantine")
	}
	err = s.Tx(ctx, func(tx TxStore) error {
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "quarantine.list", "quarantine", audit.Summarize(map[string]any{"open": f.Open, "count": len(items)})))
	})
	return items, err
}

// Reprocess parses a quarantined record again, as it was kept or with
// corrected content, and archives it. format "" keeps the item's format.
func (s *Service) Reprocess(ctx context.Context, id int64, content []byte, format string) (*Result, *QuarantineItem, error) {
	q, err := s.Store.QuarantineItem(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if q.ReprocessedAt != nil {
		return nil, nil, errs.E(errs.Conflict, "quarantine item %d was already reprocessed", id)
	}
	raw := q.Raw
	if len(content) > 0 {
		raw = content
	}
	if format == "" {
		format = q.Format
	}
	rd, err := capture.Open(format, bytes.NewReader(raw), capture.Options{})
	if err != nil {
		return nil, nil, err
	}
	rec, err := rd.Next()
	if errors.Is(err, io.EOF) {
		return nil, nil, errs.Field("content", "no record in the content")
	} else if err != nil {
		return nil, nil, errs.Wrap(err, "read quarantined record")
	}
	if rec.Err == nil {
		rec.Err = storable(rec.Msg)
	}
	if rec.Err != nil {
		return nil, nil, &errs.Error{Kind: errs.Invalid, Field: "content", Message: "still rejected: " + errorText(rec.Err)}
	}
	m := &Stored{Message: *rec.Msg, GroupID: q.GroupID}
	view, err := s.Resolver.View(ctx)
	if err != nil {
		return nil, nil, errs.Wrap(err, "read the registry")
	}
	resolve(view, m)
	now := s.Now().UTC()
	m.capturedAt(now)
	var queueID int64
	err = s.Tx(ctx, func(tx TxStore) error {
		if err := tx.AppendMessages(ctx, []*Stored{m}); err != nil {
			return errs.Wrap(err, "archive message")
		}
		if !m.Duplicate {
			if queueID, err = tx.QueueScan(ctx, m.ID, m.ID, now, now.Add(s.ScanLease)); err != nil {
				return errs.Wrap(err, "queue scan")
			}
		}
		if err := tx.ResolveQuarantine(ctx, id, now, m.ID); err != nil {
			return err
		}
		// A correction is new content written by a person: the trail keeps
		// the hash of what was archived, beside that of what was quarantined.
		sum := map[string]any{"format": format, "corrected": len(content) > 0, "message_id": m.ID, "duplicate": m.Duplicate,
			"quarantined_sha256": rawHash(q.Raw)}
		if len(content) > 0 {
			sum["corrected_sha256"] = rawHash(content)
		}
		return tx.AppendAudit(ctx, audit.New(ctx, now, "quarantine.reprocess", "quarantine:"+itoa(id), audit.Summarize(sum)))
	})
	if err != nil {
		return nil, nil, err
	}
	res := &Result{Rejected: []Rejection{}}
	if m.Duplicate {
		res.Duplicates = 1
	} else {
		res.Accepted = 1
		res.ScanPending = s.notify(ctx, Committed{QueueID: queueID, Messages: []Stored{*m}})
	}
	q.ReprocessedAt, q.MessageID = &now, m.ID
	return res, q, nil
}
