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
		return t.setChainHead(ctx, "archive", seq, hash)
	})
}

// MessageInsertCols are the columns of a new message row, as MessageValues
// fills them.
const MessageInsertCols = `id, platform, source_id, room_id, sender, sent_at, kind, text, attachments,
	amount_fen, transfer_count, transfer_type, recalls, raw, group_id, username, captured_at, body_hash, content_hash, prev_hash, hash`

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
		m.BodyHash, m.ContentHash, m.PrevHash, m.Hash)
}

// PurgeQuarantine deletes quarantine items received before `before`.
func PurgeQuarantine(ctx context.Context, q sqlutil.Querier, d Dialect, before time.Time) (int, error) {
	res, err := q.ExecContext(ctx, d.Rebind(`DELETE FROM quarantine WHERE received_at < ?`), before.UTC())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MessagesAround returns the messages a group archived in a room around
// each of sourceIDs: the message and up to radius before and after it, in
// archive order, without repeats.
func MessagesAround(ctx context.Context, q sqlutil.Querier, d Dialect,
	groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]archive.Stored, error) {
	seen := map[int64]bool{}
	var out []archive.Stored
	collect := func(where string, args ...any) error {
		rows, err := q.QueryContext(ctx, d.Rebind(`SELECT `+MessageCols+` FROM messages m`+RecallJoin+` WHERE m.group_id = ? AND m.room_id = ? AND m.platform = ? AND `+where),
			append([]any{groupID, roomID, platform}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := ScanMessage(rows)
			if err != nil {
				return err
			}
			if !seen[m.ID] {
				seen[m.ID] = true
				out = append(out, m)
			}
		}
		return rows.Err()
	}
	for _, sid := range sourceIDs {
		var id int64
		err := q.QueryRowContext(ctx, d.Rebind(`SELECT id FROM messages WHERE platform = ? AND source_id = ? AND room_id = ? AND group_id = ?`),
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
	m.body_hash, m.content_hash, m.prev_hash, m.hash, m.purged_at, r.recalled_at`

const RecallJoin = ` LEFT JOIN message_recalls r ON r.platform = m.platform AND r.source_id = m.source_id`

// ScanMessage reads a row of MessageCols.
func ScanMessage(rows scanner) (archive.Stored, error) {
	var m archive.Stored
	var kind, atts string
	var amount, count, group sql.NullInt64
	var typ sql.NullString
	var purged, recalled sql.NullTime
	var raw []byte
	err := rows.Scan(&m.ID, &m.Platform, &m.SourceID, &m.RoomID, &m.Sender, &m.SentAt, &kind, &m.Text, &atts,
		&amount, &count, &typ, &m.Recalls, &raw, &group, &m.User, &m.CapturedAt,
		&m.BodyHash, &m.ContentHash, &m.PrevHash, &m.Hash, &purged, &recalled)
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
