package common

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"time"

	"charter/internal/archive"
	"charter/internal/store/sqlutil"
)

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
// archive order, without repeats. selectFrom is the engine's
// "SELECT columns FROM messages m JOIN ..." that scan reads.
func MessagesAround(ctx context.Context, q sqlutil.Querier, d Dialect, selectFrom string, scan func(*sql.Rows) (archive.Stored, error),
	groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]archive.Stored, error) {
	seen := map[int64]bool{}
	var out []archive.Stored
	collect := func(where string, args ...any) error {
		rows, err := q.QueryContext(ctx, d.Rebind(selectFrom+` WHERE m.group_id = ? AND m.room_id = ? AND m.platform = ? AND `+where),
			append([]any{groupID, roomID, platform}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scan(rows)
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
