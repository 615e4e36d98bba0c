package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/store/common"
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
		err := common.Each(ctx, d.tx, `SELECT source_id FROM messages WHERE platform = $1 AND source_id = ANY($2)`, func(sc common.Scanner) error {
			var id string
			err := sc.Scan(&id)
			seen[[2]string{p, id}] = true
			return err
		}, p, ids)
		if err != nil {
			return 0, "", err
		}
	}
	// Rows go in multi-row INSERTs, a round trip per 500 messages
	// instead of one per message. The duplicates were found above, and
	// the locked chain head keeps any other writer out until commit.
	const cols = 23
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
		if err := d.w().QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&hi); err != nil {
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
	x := common.MessageSearch{From: `messages m`, Order: `m.id`}
	switch {
	case len(q.Terms) > 0 && hi > 0:
		x.Add(`m.tok @@ ?::tsquery`, archive.TSQuery(q.Terms))
		x.Add(`m.id > ? AND m.id <= ?`, lo, hi)
	case len(q.Terms) > 0:
		hits := `SELECT id FROM messages WHERE tok @@ ?::tsquery`
		x.Args = append(x.Args, archive.TSQuery(q.Terms))
		if q.Before > 0 {
			hits += ` AND id < ?`
			x.Args = append(x.Args, q.Before)
		}
		x.With = `WITH hits AS MATERIALIZED (` + hits + `) `
		x.From = `hits h JOIN messages m ON m.id = h.id`
	case q.Before > 0:
		x.Add(`m.id < ?`, q.Before)
	}
	return common.Search(ctx, d.Shared, q, x)
}

// Tombstone drops the body of messages and their index entries; the
// envelope (dedupe key, room, group, times, kind) and all hashes stay.
func (d *DB) Tombstone(ctx context.Context, ids []int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE messages SET sender = '', text = '', attachments = '', amount_fen = NULL,
		transfer_count = NULL, transfer_type = NULL, recalls = '', raw = ''::bytea, username = '', tok = NULL, purged_at = $1
		WHERE id = ANY($2) AND purged_at IS NULL`, at.UTC(), ids)
	return err
}
