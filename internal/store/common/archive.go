package common

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/errs"
	"charter/internal/store/sqlutil"
)

// AppendMessages archives ms in the caller's transaction: the engine writes
// the rows and their full-text index (Engine.InsertMessages), then the
// recalls and the chain head are written here.
func (s Shared) AppendMessages(ctx context.Context, ms []*archive.Stored) error {
	return s.e.Tx(ctx, func(t Shared) error {
		seq, hash, err := t.chainHead(ctx, "archive")
		if err != nil {
			return err
		}
		if seq, hash, err = t.e.InsertMessages(ctx, ms, seq, hash); err != nil {
			return err
		}
		// Recalls refer to the rows just written.
		for _, m := range ms {
			if !m.Duplicate && m.Kind == capture.KindRevoke && m.Recalls != "" {
				if _, err := t.exec(ctx, `INSERT INTO message_recalls (platform, source_id, revoke_id, recalled_at)
					VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, m.Platform, m.Recalls, m.ID, m.SentAt); err != nil {
					return err
				}
			}
		}
		if err := t.queueAttachments(ctx, ms); err != nil {
			return err
		}
		return t.setChainHead(ctx, "archive", seq, hash)
	})
}

// MessageInsertCols are the columns of a new message row, as MessageValues
// fills them.
const MessageInsertCols = `id, platform, source_id, room_id, sender, sent_at, kind, text, attachments,
	amount_fen, transfer_count, transfer_type, recalls, raw, group_id, username, captured_at, body_hash, content_hash, prev_hash, hash,
	sent_at_unknown`

// MessageValues appends the values of m's new row to args.
func MessageValues(args []any, m *archive.Stored) []any {
	var amount, count, typ any
	if t := m.Transfer; t != nil {
		amount, count, typ = t.AmountFen, t.Count, t.Type
	}
	raw := []byte(m.Raw)
	if raw == nil {
		raw = []byte{}
	}
	return append(args, m.ID, m.Platform, m.SourceID, m.RoomID, m.Sender, m.SentAt, string(m.Kind), m.Text,
		archive.AttachmentsJSON(m.Attachments), amount, count, typ, m.Recalls, raw, NullID(m.GroupID), m.User, m.CapturedAt,
		m.BodyHash, m.ContentHash, m.PrevHash, m.Hash, m.SentAtUnknown)
}

// PurgeQuarantine deletes quarantine items received before `before`.
func (s Shared) PurgeQuarantine(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM quarantine WHERE received_at < ?`), before.UTC())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MessagesAround returns the messages a group archived in a room around
// each of sourceIDs: the message and up to radius before and after it, in
// archive order, without repeats.
func (s Shared) MessagesAround(ctx context.Context, groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]archive.Stored, error) {
	seen := map[int64]bool{}
	var out []archive.Stored
	collect := func(where string, args ...any) error {
		return Each(ctx, s.r, s.d.Rebind(`SELECT `+MessageCols+` FROM messages m`+RecallJoin+` WHERE m.group_id = ? AND m.room_id = ? AND m.platform = ? AND `+where),
			func(sc Scanner) error {
				m, err := ScanMessage(sc)
				if err == nil && !seen[m.ID] {
					seen[m.ID] = true
					out = append(out, m)
				}
				return err
			}, append([]any{groupID, roomID, platform}, args...)...)
	}
	for _, sid := range sourceIDs {
		var id int64
		err := s.r.QueryRowContext(ctx, s.d.Rebind(`SELECT id FROM messages WHERE platform = ? AND source_id = ? AND room_id = ? AND group_id = ?`),
			platform, sid, roomID, groupID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, err
		}
		if err := collect(`m.id < ? ORDER BY m.id DESC LIMIT ?`, id, radius); err != nil {
			return nil, err
		}
		if err := collect(`m.id >= ? ORDER BY m.id LIMIT ?`, id, radius+1); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MessageCols are the columns ScanMessage reads, from messages m joined
// with RecallJoin.
const MessageCols = `m.id, m.platform, m.source_id, m.room_id, m.sender, m.sent_at, m.kind, m.text, m.attachments,
	m.amount_fen, m.transfer_count, m.transfer_type, m.recalls, m.raw, m.group_id, m.username, m.captured_at,
	m.body_hash, m.content_hash, m.prev_hash, m.hash, m.purged_at, r.recalled_at, m.sent_at_unknown`

const RecallJoin = ` LEFT JOIN message_recalls r ON r.platform = m.platform AND r.source_id = m.source_id`

// ScanMessage reads a row of MessageCols.
func ScanMessage(rows Scanner) (archive.Stored, error) {
	var m archive.Stored
	var kind, atts string
	var amount, count, group sql.NullInt64
	var typ sql.NullString
	var purged, recalled sql.NullTime
	var raw []byte
	err := rows.Scan(&m.ID, &m.Platform, &m.SourceID, &m.RoomID, &m.Sender, &m.SentAt, &kind, &m.Text, &atts,
		&amount, &count, &typ, &m.Recalls, &raw, &group, &m.User, &m.CapturedAt,
		&m.BodyHash, &m.ContentHash, &m.PrevHash, &m.Hash, &purged, &recalled, &m.SentAtUnknown)
	if err != nil {
		return m, err
	}
	m.Kind = capture.Kind(kind)
	m.SentAt, m.CapturedAt = m.SentAt.UTC(), m.CapturedAt.UTC()
	if atts != "" {
		if err := json.Unmarshal([]byte(atts), &m.Attachments); err != nil {
			return m, err
		}
	}
	if typ.Valid {
		m.Transfer = &capture.Transfer{AmountFen: amount.Int64, Count: int(count.Int64), Type: typ.String}
	}
	if len(raw) > 0 {
		m.Raw = raw
	}
	m.GroupID = group.Int64
	m.PurgedAt = sqlutil.TimePtr(purged)
	m.RecalledAt = sqlutil.TimePtr(recalled)
	m.Recalled = recalled.Valid
	return m, nil
}

// WalkArchive calls fn on every message in chain order.
func (s Shared) WalkArchive(ctx context.Context, fn func(*archive.Stored) error) error {
	return Each(ctx, s.r, `SELECT `+MessageCols+` FROM messages m`+RecallJoin+` ORDER BY m.id`, func(sc Scanner) error {
		m, err := ScanMessage(sc)
		if err != nil {
			return err
		}
		return fn(&m)
	})
}

// MessageSearch is an engine's part of a message search: where the rows
// come from (its full-text index) and the conditions on it, written with ?.
type MessageSearch struct {
	With  string // an optional WITH clause; its arguments go first in Args
	From  string // the FROM clause, with messages as m
	Order string // the column the newest come first by
	Filter
}

// Search finishes a search an engine started: the filters both engines
// share, newest first, at most q.Limit.
func Search(ctx context.Context, s Shared, q archive.Query, x MessageSearch) ([]archive.Stored, error) {
	// Only registered work groups are searched: a room bound to no group
	// may be personal, and Charter does not read it.
	if q.GroupID != 0 {
		x.Add(`m.group_id = ?`, q.GroupID)
	} else {
		x.Add(`m.group_id IS NOT NULL`)
	}
	if q.Sender != "" {
		x.Add(`(m.sender = ? OR m.username = ?)`, q.Sender, q.Sender)
	}
	if !q.From.IsZero() {
		x.Add(`m.sent_at >= ?`, q.From.UTC())
	}
	if !q.To.IsZero() {
		x.Add(`m.sent_at < ?`, q.To.UTC())
	}
	if q.Kind != "" {
		x.Add(`m.kind = ?`, q.Kind)
	}
	return list(ctx, s, ScanMessage, x.With+`SELECT `+MessageCols+` FROM `+x.From+RecallJoin+x.Where()+` ORDER BY `+x.Order+` DESC LIMIT ?`,
		append(x.Args, q.Limit)...)
}

// AddQuarantine keeps a rejected record, unless the same bytes already wait
// in the quarantine: then q takes that item's ID and Repeat is set.
func (s Shared) AddQuarantine(ctx context.Context, q *archive.QuarantineItem) error {
	raw := q.Raw
	if raw == nil {
		raw = []byte{}
	}
	err := s.row(ctx, `SELECT id FROM quarantine WHERE format = ? AND raw_hash = ? AND COALESCE(group_id, 0) = ?
		AND reprocessed_at IS NULL ORDER BY id LIMIT 1`, q.Format, q.RawHash, q.GroupID).Scan(&q.ID)
	if err == nil {
		q.Repeat = true
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.insert(ctx, &q.ID, `INSERT INTO quarantine (format, line, error, raw, group_id, source, received_at, raw_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, q.Format, q.Line, q.Error, raw, NullID(q.GroupID), q.Source, q.ReceivedAt.UTC(), q.RawHash)
}

const quarantineCols = `id, format, line, error, raw, group_id, source, received_at, reprocessed_at, message_id`

func scanQuarantine(sc Scanner) (archive.QuarantineItem, error) {
	var q archive.QuarantineItem
	var group, msg sql.NullInt64
	var re sql.NullTime
	err := sc.Scan(&q.ID, &q.Format, &q.Line, &q.Error, &q.Raw, &group, &q.Source, &q.ReceivedAt, &re, &msg)
	q.GroupID, q.MessageID = group.Int64, msg.Int64
	q.ReceivedAt = q.ReceivedAt.UTC()
	q.ReprocessedAt = sqlutil.TimePtr(re)
	return q, err
}

// QuarantineItems lists quarantined records, newest first.
func (s Shared) QuarantineItems(ctx context.Context, f archive.QuarantineFilter) ([]archive.QuarantineItem, error) {
	q := `SELECT ` + quarantineCols + ` FROM quarantine WHERE id < ?`
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	if f.Open {
		q += ` AND reprocessed_at IS NULL`
	}
	return list(ctx, s, scanQuarantine, q+` ORDER BY id DESC LIMIT ?`, before, f.Limit)
}

// QuarantineItem returns one quarantined record.
func (s Shared) QuarantineItem(ctx context.Context, id int64) (*archive.QuarantineItem, error) {
	it, err := scanQuarantine(s.row(ctx, `SELECT `+quarantineCols+` FROM quarantine WHERE id = ?`, id))
	if err != nil {
		return nil, sqlutil.NotFound(err, "quarantine item %d", id)
	}
	return &it, nil
}

// ResolveQuarantine marks a record reprocessed.
func (s Shared) ResolveQuarantine(ctx context.Context, id int64, at time.Time, messageID int64) error {
	n, err := s.affected(ctx, `UPDATE quarantine SET reprocessed_at = ?, message_id = ? WHERE id = ? AND reprocessed_at IS NULL`,
		at.UTC(), NullID(messageID), id)
	if err == nil && n == 0 {
		return errs.E(errs.Conflict, "quarantine item %d was already reprocessed", id)
	}
	return err
}

// PullCursor returns the saved seq of a pull, 0 when it never ran.
func (s Shared) PullCursor(ctx context.Context, corp, source string) (int64, error) {
	var seq int64
	err := s.row(ctx, `SELECT seq FROM pull_cursors WHERE corp = ? AND source = ?`, corp, source).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// SavePullCursor records the seq of a pull.
func (s Shared) SavePullCursor(ctx context.Context, corp, source string, seq int64, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO pull_cursors (corp, source, seq, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (corp, source) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`, corp, source, seq, at.UTC())
	return err
}

// CreateLegalHold stores a hold and sets its ID.
func (s Shared) CreateLegalHold(ctx context.Context, h *archive.LegalHold) error {
	return s.insert(ctx, &h.ID, `INSERT INTO legal_holds (group_id, username, from_at, to_at, reason, placed_by, placed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, NullID(h.GroupID), h.User, sqlutil.NullTime(h.From), sqlutil.NullTime(h.To),
		h.Reason, h.PlacedBy, h.PlacedAt.UTC())
}

// LegalHolds lists holds, newest first.
func (s Shared) LegalHolds(ctx context.Context, activeOnly bool) ([]archive.LegalHold, error) {
	q := `SELECT id, group_id, username, from_at, to_at, reason, placed_by, placed_at, released_by, released_at FROM legal_holds`
	if activeOnly {
		q += ` WHERE released_at IS NULL`
	}
	return list(ctx, s, func(sc Scanner) (archive.LegalHold, error) {
		var h archive.LegalHold
		var group sql.NullInt64
		var from, to, rel sql.NullTime
		err := sc.Scan(&h.ID, &group, &h.User, &from, &to, &h.Reason, &h.PlacedBy, &h.PlacedAt, &h.ReleasedBy, &rel)
		h.GroupID = group.Int64
		h.From, h.To, h.ReleasedAt = sqlutil.TimePtr(from), sqlutil.TimePtr(to), sqlutil.TimePtr(rel)
		h.PlacedAt = h.PlacedAt.UTC()
		return h, err
	}, q+` ORDER BY id DESC`)
}

// ReleaseLegalHold ends a hold.
func (s Shared) ReleaseLegalHold(ctx context.Context, id int64, at time.Time, by string) error {
	_, err := s.exec(ctx, `UPDATE legal_holds SET released_at = ?, released_by = ? WHERE id = ?`, at.UTC(), by, id)
	return err
}

// PurgeCandidates lists live messages sent before a time, in id order (nil
// when there are none).
func (s Shared) PurgeCandidates(ctx context.Context, before time.Time, afterID int64, limit int) ([]archive.Stored, error) {
	var out []archive.Stored
	err := Each(ctx, s.r, s.d.Rebind(`SELECT id, group_id, username, sender, sent_at FROM messages
		WHERE id > ? AND purged_at IS NULL AND sent_at < ? ORDER BY id LIMIT ?`), func(sc Scanner) error {
		var m archive.Stored
		var group sql.NullInt64
		if err := sc.Scan(&m.ID, &group, &m.User, &m.Sender, &m.SentAt); err != nil {
			return err
		}
		m.GroupID = group.Int64
		m.SentAt = m.SentAt.UTC()
		out = append(out, m)
		return nil
	}, afterID, before.UTC(), limit)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// transfers are the messages that move money: transfers and red envelopes,
// without receipts and refunds (they repeat a transfer already counted).
const transfers = `kind IN ('transfer', 'red_envelope') AND COALESCE(transfer_type, '') NOT IN ('transfer_receipt', 'transfer_refund')`

// SenderTransferTotal sums what a sender moved in transfers and red envelopes.
func (s Shared) SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error) {
	var n fen
	err := s.row(ctx, `SELECT `+s.d.SumFen+` FROM messages WHERE sender = ? AND platform = ?
		AND `+transfers+` AND sent_at >= ? AND sent_at < ?`, sender, platform, from.UTC(), to.UTC()).Scan(&n)
	return int64(n), err
}

func (s Shared) GroupMessageStats(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	var n, senders int
	err := s.row(ctx, `SELECT count(*), count(DISTINCT NULLIF(sender, '')) FROM messages
		WHERE group_id = ? AND sent_at >= ? AND sent_at < ?`, groupID, from.UTC(), to.UTC()).Scan(&n, &senders)
	return n, senders, err
}

func (s Shared) GroupTransferStats(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	var n int
	var total fen
	err := s.row(ctx, `SELECT count(*), `+s.d.SumFen+` FROM messages
		WHERE group_id = ? AND `+transfers+` AND sent_at >= ? AND sent_at < ?`, groupID, from.UTC(), to.UTC()).Scan(&n, &total)
	return n, int64(total), err
}
