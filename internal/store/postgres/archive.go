package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/errs"
	"charter/internal/store/common"
	"charter/internal/store/sqlutil"
)

// insertMessages writes ms after the archive chain link (seq, hash) for
// common.Shared.AppendMessages, inside its transaction. Duplicates are found
// with one query per platform in the chunk; the chain head row stays locked
// until commit, which serializes appends across servers.
func (d *DB) insertMessages(ctx context.Context, ms []*archive.Stored, seq int64, hash string) (int64, string, error) {
	seen := map[[2]string]bool{}
	byPlatform := map[string][]string{}
	for _, m := range ms {
		byPlatform[m.Platform] = append(byPlatform[m.Platform], m.SourceID)
	}
	for p, ids := range byPlatform {
		rows, err := d.tx.QueryContext(ctx, `SELECT source_id FROM messages WHERE platform = $1 AND source_id = ANY($2)`, p, ids)
		if err != nil {
			return 0, "", err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, "", err
			}
			seen[[2]string{p, id}] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, "", err
		}
	}
	// Rows go in multi-row INSERTs, a round trip per 500 messages
	// instead of one per message. The duplicates were found above, and
	// the locked chain head keeps any other writer out until commit.
	const cols = 22
	var rows []any
	var buf []byte
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO messages (` + common.MessageInsertCols + `, tok) VALUES `)
		for r := 0; r < len(rows)/cols; r++ {
			if r > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := 1; c <= cols; c++ {
				if c > 1 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", r*cols+c)
				if c == cols {
					q.WriteString("::tsvector")
				}
			}
			q.WriteByte(')')
		}
		_, err := d.tx.ExecContext(ctx, q.String(), rows...)
		rows = rows[:0]
		return err
	}
	for _, m := range ms {
		k := [2]string{m.Platform, m.SourceID}
		if seen[k] {
			m.Duplicate = true
			continue
		}
		seen[k] = true
		archive.Seal(m, seq, hash)
		var tok any
		if buf = archive.AppendTSVector(buf[:0], m.Text); len(buf) > 0 {
			tok = string(buf)
		}
		rows = append(common.MessageValues(rows, m), tok)
		if len(rows) >= 500*cols {
			if err := flush(); err != nil {
				return 0, "", err
			}
		}
		seq, hash = m.ID, m.Hash
	}
	return seq, hash, flush()
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

// SearchMessages finds messages newest first. A search with terms looks at
// the newest ids first, in windows growing tenfold: a common term fills its
// page from the first window (a short backward walk of the primary key),
// while the last, unbounded window collects a rare term's hits through the
// GIN index first (MATERIALIZED), because for "newest N" of a rare term the
// planner may otherwise walk the whole primary key (NOTES.md).
func (d *DB) SearchMessages(ctx context.Context, q archive.Query) ([]archive.Stored, error) {
	if len(q.Terms) == 0 {
		return d.searchWindow(ctx, q, 0, 0)
	}
	hi := q.Before - 1
	if q.Before <= 0 {
		if err := d.r().QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&hi); err != nil {
			return nil, err
		}
	}
	for window := int64(20000); window < hi; window *= 10 {
		out, err := d.searchWindow(ctx, q, hi-window, hi)
		if err != nil || len(out) >= q.Limit {
			return out, err
		}
	}
	return d.searchWindow(ctx, q, 0, 0)
}

// searchWindow searches ids in (lo, hi]; hi 0 means every id before
// q.Before, through the GIN index first.
func (d *DB) searchWindow(ctx context.Context, q archive.Query, lo, hi int64) ([]archive.Stored, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		for _, x := range v {
			args = append(args, x)
			cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(args)), 1)
		}
		where = append(where, cond)
	}
	sqlText := ``
	from := `messages m`
	switch {
	case len(q.Terms) > 0 && hi > 0:
		add(`m.tok @@ ?::tsquery`, archive.TSQuery(q.Terms))
		add(`m.id > ? AND m.id <= ?`, lo, hi)
	case len(q.Terms) > 0:
		args = append(args, archive.TSQuery(q.Terms))
		hits := `SELECT id FROM messages WHERE tok @@ $1::tsquery`
		if q.Before > 0 {
			args = append(args, q.Before)
			hits += ` AND id < $2`
		}
		sqlText = `WITH hits AS MATERIALIZED (` + hits + `) `
		from = `hits h JOIN messages m ON m.id = h.id`
	case q.Before > 0:
		add(`m.id < ?`, q.Before)
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
	sqlText += `SELECT ` + common.MessageCols + ` FROM ` + from + common.RecallJoin
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, q.Limit)
	sqlText += fmt.Sprintf(` ORDER BY m.id DESC LIMIT $%d`, len(args))
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
	err := d.r().QueryRowContext(ctx, `SELECT id FROM quarantine WHERE format = $1 AND raw_hash = $2 AND coalesce(group_id, 0) = $3
		AND reprocessed_at IS NULL ORDER BY id LIMIT 1`, q.Format, q.RawHash, q.GroupID).Scan(&q.ID)
	if err == nil {
		q.Repeat = true
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return d.w().QueryRowContext(ctx, `INSERT INTO quarantine (format, line, error, raw, group_id, source, received_at, raw_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, q.Format, q.Line, q.Error, raw, common.NullID(q.GroupID), q.Source, q.ReceivedAt.UTC(), q.RawHash).Scan(&q.ID)
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
	q := `SELECT ` + quarantineCols + ` FROM quarantine WHERE id < $1`
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	if f.Open {
		q += ` AND reprocessed_at IS NULL`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, before, f.Limit)
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
	it, err := scanQuarantine(d.r().QueryRowContext(ctx, `SELECT `+quarantineCols+` FROM quarantine WHERE id = $1`, id))
	if err != nil {
		return nil, sqlutil.NotFound(err, "quarantine item %d", id)
	}
	return &it, nil
}

// ResolveQuarantine marks a record reprocessed.
func (d *DB) ResolveQuarantine(ctx context.Context, id int64, at time.Time, messageID int64) error {
	res, err := d.w().ExecContext(ctx, `UPDATE quarantine SET reprocessed_at = $1, message_id = $2 WHERE id = $3 AND reprocessed_at IS NULL`,
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
	err := d.r().QueryRowContext(ctx, `SELECT seq FROM pull_cursors WHERE corp = $1 AND source = $2`, corp, source).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// SavePullCursor records the seq of a pull.
func (d *DB) SavePullCursor(ctx context.Context, corp, source string, seq int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO pull_cursors (corp, source, seq, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (corp, source) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`, corp, source, seq, at.UTC())
	return err
}

// CreateLegalHold stores a hold and sets its ID.
func (d *DB) CreateLegalHold(ctx context.Context, h *archive.LegalHold) error {
	return d.w().QueryRowContext(ctx, `INSERT INTO legal_holds (group_id, username, from_at, to_at, reason, placed_by, placed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, common.NullID(h.GroupID), h.User, sqlutil.NullTime(h.From), sqlutil.NullTime(h.To),
		h.Reason, h.PlacedBy, h.PlacedAt.UTC()).Scan(&h.ID)
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
	_, err := d.w().ExecContext(ctx, `UPDATE legal_holds SET released_at = $1, released_by = $2 WHERE id = $3`, at.UTC(), by, id)
	return err
}

// PurgeCandidates lists live messages sent before a time, in id order.
func (d *DB) PurgeCandidates(ctx context.Context, before time.Time, afterID int64, limit int) ([]archive.Stored, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT id, group_id, username, sender, sent_at FROM messages
		WHERE id > $1 AND purged_at IS NULL AND sent_at < $2 ORDER BY id LIMIT $3`, afterID, before.UTC(), limit)
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

// Tombstone drops the body of messages and their index entries; the
// envelope (dedupe key, room, group, times, kind) and all hashes stay.
func (d *DB) Tombstone(ctx context.Context, ids []int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE messages SET sender = '', text = '', attachments = '', amount_fen = NULL,
		transfer_count = NULL, transfer_type = NULL, recalls = '', raw = ''::bytea, username = '', tok = NULL, purged_at = $1
		WHERE id = ANY($2) AND purged_at IS NULL`, at.UTC(), ids)
	return err
}

// SenderTransferTotal sums what a sender moved in transfers and red envelopes.
func (d *DB) SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error) {
	var n sql.NullInt64
	err := d.r().QueryRowContext(ctx, `SELECT LEAST(COALESCE(sum(amount_fen), 0), 9223372036854775807)::bigint FROM messages WHERE sender = $1 AND platform = $2
		AND kind IN ('transfer', 'red_envelope') AND COALESCE(transfer_type, '') NOT IN ('transfer_receipt', 'transfer_refund')
		AND sent_at >= $3 AND sent_at < $4`, sender, platform, from.UTC(), to.UTC()).Scan(&n)
	return n.Int64, err
}

func (d *DB) GroupMessageStats(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	var n, senders int
	err := d.r().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT NULLIF(sender, '')) FROM messages
		WHERE group_id = $1 AND sent_at >= $2 AND sent_at < $3`, groupID, from.UTC(), to.UTC()).Scan(&n, &senders)
	return n, senders, err
}

func (d *DB) GroupTransferStats(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	var n int
	var total sql.NullInt64
	err := d.r().QueryRowContext(ctx, `SELECT count(*), LEAST(COALESCE(sum(amount_fen), 0), 9223372036854775807)::bigint FROM messages
		WHERE group_id = $1 AND kind IN ('transfer', 'red_envelope') AND COALESCE(transfer_type, '') NOT IN ('transfer_receipt', 'transfer_refund')
		AND sent_at >= $2 AND sent_at < $3`, groupID, from.UTC(), to.UTC()).Scan(&n, &total)
	return n, total.Int64, err
}
