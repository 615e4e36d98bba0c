package sqlite

import (
	"context"
	"time"

	"charter/internal/archive"
	"charter/internal/store/common"
)

// insertMessages writes ms after the archive chain link (seq, hash) for
// common.Shared.AppendMessages, inside its transaction. The statements are
// prepared once per call and reused for every message of the chunk.
func (d *DB) insertMessages(ctx context.Context, ms []*archive.Stored, seq int64, hash string) (int64, string, error) {
	// The driver watches every statement's cancellable context, which
	// costs per row; one chunk is short, so its rows are written without
	// that (the transaction still ends with ctx).
	ctx = context.WithoutCancel(ctx)
	// ON CONFLICT DO NOTHING finds a duplicate in the same step that
	// inserts; the sequence number it would have used goes to the next.
	ins, err := d.tx.PrepareContext(ctx, `INSERT INTO messages (`+common.MessageInsertCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, source_id) DO NOTHING`)
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

// SearchMessages finds messages newest first. With search terms the
// full-text table drives the query in descending rowid order, so a page stops
// after Limit hits however common the term is.
func (d *DB) SearchMessages(ctx context.Context, q archive.Query) ([]archive.Stored, error) {
	x := common.MessageSearch{From: `messages m`, Order: `m.id`}
	if len(q.Terms) > 0 {
		x.From, x.Order = `messages_fts f JOIN messages m ON m.id = f.rowid`, `f.rowid`
		x.Add(`f.tok MATCH ?`, archive.FTS5Match(q.Terms))
	}
	if q.Before > 0 {
		x.Add(x.Order+` < ?`, q.Before)
	}
	return common.Search(ctx, d.Shared, q, x)
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
