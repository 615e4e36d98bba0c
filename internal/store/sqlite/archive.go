package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/errs"
	"charter/internal/store/common"
	"charter/internal/store/sqlutil"
)

// insertMessages writes ms after the archive chain link (seq, hash) for
// common.Shared.AppendMessages, inside its transaction. The statements are
// prepared once per call and reused for every message of the chunk.
func (d *DB) insertMessages(ctx context.Context, ms []*archive.Stored, seq int64, hash string) (int64, string, error) {
	// mattn/go-sqlite3 runs each statement with a cancellable context in
	// a goroutine of its own; one chunk is short, so its rows are written
	// without that (the transaction still ends with ctx).
	ctx = context.WithoutCancel(ctx)
	// ON CONFLICT DO NOTHING finds a duplicate in the same step that
	// inserts; the sequence number it would have used goes to the next.
	ins, err := d.tx.PrepareContext(ctx, `INSERT INTO messages (`+common.MessageInsertCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, source_id) DO NOTHING`)
	if err != nil {
		return 0, "", err
	}
	defer ins.Close()
	fts, err := d.tx.PrepareContext(ctx, `INSERT INTO messages_fts (rowid, tok) VALUES (?, ?)`)
	if err != nil {
		return 0, "", err
	}
	defer fts.Close()
	var buf []byte
	var args []any
	for _, m := range ms {
		archive.Seal(m, seq, hash)
		args = common.MessageValues(args[:0], m)
		res, err := ins.ExecContext(ctx, args...)
		if err != nil {
			return 0, "", err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, "", err
		} else if n == 0 {
			m.Duplicate, m.ID, m.PrevHash, m.Hash = true, 0, "", ""
			continue
		}
		if buf = archive.AppendIndexText(buf[:0], m.Text); len(buf) > 0 {
			if _, err := fts.ExecContext(ctx, m.ID, string(buf)); err != nil {
				return 0, "", err
			}
		}
		seq, hash = m.ID, m.Hash
	}
	return seq, hash, nil
}

// WalkArchive calls fn on every message in chain order.
func (d *DB) WalkArchive(ctx context.Context, fn func(*archive.Stored) error) error {
	rows, err := d.r().QueryContext(ctx, `SELECT `+common.MessageCols+` FROM messages m`+common.RecallJoin+` ORDER BY m.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := common.ScanMessage(rows)
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SearchMessages finds messages newest first. With search terms the
// full-text table drives the query in descending rowid order, so a page stops
// after Limit hits however common the term is.
func (d *DB) SearchMessages(ctx context.Context, q archive.Query) ([]archive.Stored, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	from := `messages m`
	order := `m.id`
	if len(q.Terms) > 0 {
		from = `messages_fts f JOIN messages m ON m.id = f.rowid`
		order = `f.rowid`
		add(`f.tok MATCH ?`, archive.FTS5Match(q.Terms))
	}
	if q.Before > 0 {
		add(order+` < ?`, q.Before)
	}
	// Only registered work groups are searched: a room bound to no group
	// may be personal, and Charter does not read it.
	if q.GroupID != 0 {
		add(`m.group_id = ?`, q.GroupID)
	} else {
		add(`m.group_id IS NOT NULL`)
	}
	if q.Sender != "" {
		add(`(m.sender = ? OR m.username = ?)`, q.Sender, q.Sender)
	}
	if !q.From.IsZero() {
		add(`m.sent_at >= ?`, q.From.UTC())
	}
	if !q.To.IsZero() {
		add(`m.sent_at < ?`, q.To.UTC())
	}
	if q.Kind != "" {
		add(`m.kind = ?`, q.Kind)
	}
	sqlText := `SELECT ` + common.MessageCols + ` FROM ` + from + common.RecallJoin
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sqlText += ` ORDER BY ` + order + ` DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := d.r().QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []archive.Stored{}
	for rows.Next() {
		m, err := common.ScanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddQuarantine keeps a rejected record, unless the same bytes already wait
// in the quarantine: then q takes that item's ID and Repeat is set.
func (d *DB) AddQuarantine(ctx context.Context, q *archive.QuarantineItem) error {
	raw := q.Raw
	if raw == nil {
		raw = []byte{}
	}
	err := d.r().QueryRowContext(ctx, `SELECT id FROM quarantine WHERE format = ? AND raw_hash = ? AND IFNULL(group_id, 0) = ?
		AND reprocessed_at IS NULL ORDER BY id LIMIT 1`, q.Format, q.RawHash, q.GroupID).Scan(&q.ID)
	if err == nil {
		q.Repeat = true
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	res, err := d.w().ExecContext(ctx, `INSERT INTO quarantine (format, line, error, raw, group_id, source, received_at, raw_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, q.Format, q.Line, q.Error, raw, common.NullID(q.GroupID), q.Source, q.ReceivedAt.UTC(), q.RawHash)
	if err != nil {
		return err
	}
	q.ID, err = res.LastInsertId()
	return err
}

const quarantineCols = `id, format, line, error, raw, group_id, source, received_at, reprocessed_at, message_id`

func scanQuarantine(sc interface{ Scan(...any) error }) (archive.QuarantineItem, error) {
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
func (d *DB) QuarantineItems(ctx context.Context, f archive.QuarantineFilter) ([]archive.QuarantineItem, error) {
	q := `SELECT ` + quarantineCols + ` FROM quarantine WHERE id < ?`
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	if f.Open {
		q += ` AND reprocessed_at IS NULL`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, before, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []archive.QuarantineItem{}
	for rows.Next() {
		it, err := scanQuarantine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// QuarantineItem returns one quarantined record.
func (d *DB) QuarantineItem(ctx context.Context, id int64) (*archive.QuarantineItem, error) {
	it, err := scanQuarantine(d.r().QueryRowContext(ctx, `SELECT `+quarantineCols+` FROM quarantine WHERE id = ?`, id))
	if err != nil {
		return nil, sqlutil.NotFound(err, "quarantine item %d", id)
	}
	return &it, nil
}

// ResolveQuarantine marks a record reprocessed.
func (d *DB) ResolveQuarantine(ctx context.Context, id int64, at time.Time, messageID int64) error {
	res, err := d.w().ExecContext(ctx, `UPDATE quarantine SET reprocessed_at = ?, message_id = ? WHERE id = ? AND reprocessed_at IS NULL`,
		at.UTC(), common.NullID(messageID), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.Conflict, "quarantine item %d was already reprocessed", id)
	}
	return nil
}

// PullCursor returns the saved seq of a pull, 0 when it never ran.
func (d *DB) PullCursor(ctx context.Context, corp, source string) (int64, error) {
	var seq int64
	err := d.r().QueryRowContext(ctx, `SELECT seq FROM pull_cursors WHERE corp = ? AND source = ?`, corp, source).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// SavePullCursor records the seq of a pull.
func (d *DB) SavePullCursor(ctx context.Context, corp, source string, seq int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO pull_cursors (corp, source, seq, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (corp, source) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`, corp, source, seq, at.UTC())
	return err
}

// CreateLegalHold stores a hold and sets its ID.
func (d *DB) CreateLegalHold(ctx context.Context, h *archive.LegalHold) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO legal_holds (group_id, username, from_at, to_at, reason, placed_by, placed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, common.NullID(h.GroupID), h.User, sqlutil.NullTime(h.From), sqlutil.NullTime(h.To), h.Reason, h.PlacedBy, h.PlacedAt.UTC())
	if err != nil {
		return err
	}
	h.ID, err = res.LastInsertId()
	return err
}

// LegalHolds lists holds, newest first.
func (d *DB) LegalHolds(ctx context.Context, activeOnly bool) ([]archive.LegalHold, error) {
	q := `SELECT id, group_id, username, from_at, to_at, reason, placed_by, placed_at, released_by, released_at FROM legal_holds`
	if activeOnly {
		q += ` WHERE released_at IS NULL`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []archive.LegalHold{}
	for rows.Next() {
		var h archive.LegalHold
		var group sql.NullInt64
		var from, to, rel sql.NullTime
		if err := rows.Scan(&h.ID, &group, &h.User, &from, &to, &h.Reason, &h.PlacedBy, &h.PlacedAt, &h.ReleasedBy, &rel); err != nil {
			return nil, err
		}
		h.GroupID = group.Int64
		h.From, h.To, h.ReleasedAt = sqlutil.TimePtr(from), sqlutil.TimePtr(to), sqlutil.TimePtr(rel)
		h.PlacedAt = h.PlacedAt.UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

// ReleaseLegalHold ends a hold.
func (d *DB) ReleaseLegalHold(ctx context.Context, id int64, at time.Time, by string) error {
	_, err := d.w().ExecContext(ctx, `UPDATE legal_holds SET released_at = ?, released_by = ? WHERE id = ?`, at.UTC(), by, id)
	return err
}

// PurgeCandidates lists live messages sent before a time, in id order.
func (d *DB) PurgeCandidates(ctx context.Context, before time.Time, afterID int64, limit int) ([]archive.Stored, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT id, group_id, username, sender, sent_at FROM messages
		WHERE id > ? AND purged_at IS NULL AND sent_at < ? ORDER BY id LIMIT ?`, afterID, before.UTC(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []archive.Stored
	for rows.Next() {
		var m archive.Stored
		var group sql.NullInt64
		if err := rows.Scan(&m.ID, &group, &m.User, &m.Sender, &m.SentAt); err != nil {
			return nil, err
		}
		m.GroupID = group.Int64
		m.SentAt = m.SentAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Tombstone drops the body of messages and their index rows; the envelope
// (dedupe key, room, group, times, kind) and all hashes stay.
func (d *DB) Tombstone(ctx context.Context, ids []int64, at time.Time) error {
	return d.Tx(ctx, func(d *DB) error {
		for _, id := range ids {
			if _, err := d.tx.ExecContext(ctx, `UPDATE messages SET sender = '', text = '', attachments = '', amount_fen = NULL,
				transfer_count = NULL, transfer_type = NULL, recalls = '', raw = X'', username = '', purged_at = ?
				WHERE id = ? AND purged_at IS NULL`, at.UTC(), id); err != nil {
				return err
			}
			if _, err := d.tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// SenderTransferTotal sums what a sender moved in transfers and red envelopes.
func (d *DB) SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error) {
	// total() adds in floating point and never raises "integer overflow"
	// (sum() does, and then every later scan of the sender would fail).
	var n float64
	err := d.r().QueryRowContext(ctx, `SELECT total(amount_fen) FROM messages WHERE sender = ? AND platform = ?
		AND kind IN ('transfer', 'red_envelope') AND COALESCE(transfer_type, '') NOT IN ('transfer_receipt', 'transfer_refund')
		AND sent_at >= ? AND sent_at < ?`, sender, platform, from.UTC(), to.UTC()).Scan(&n)
	return common.ClampFen(n), err
}

func (d *DB) GroupMessageStats(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	var n, senders int
	err := d.r().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT NULLIF(sender, '')) FROM messages
		WHERE group_id = ? AND sent_at >= ? AND sent_at < ?`, groupID, from.UTC(), to.UTC()).Scan(&n, &senders)
	return n, senders, err
}

func (d *DB) GroupTransferStats(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	var n int
	var total float64
	err := d.r().QueryRowContext(ctx, `SELECT count(*), total(amount_fen) FROM messages
		WHERE group_id = ? AND kind IN ('transfer', 'red_envelope') AND COALESCE(transfer_type, '') NOT IN ('transfer_receipt', 'transfer_refund')
		AND sent_at >= ? AND sent_at < ?`, groupID, from.UTC(), to.UTC()).Scan(&n, &total)
	return n, common.ClampFen(total), err
}
