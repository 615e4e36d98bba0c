package common

import (
	"context"
	"time"

	"charter/internal/store/sqlutil"
)

// DeleteUserSessions signs a user out everywhere.
func DeleteUserSessions(ctx context.Context, q sqlutil.Querier, d Dialect, userID int64) error {
	_, err := q.ExecContext(ctx, d.Rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

// DeleteExpiredSessions removes sessions that ended before now.
func DeleteExpiredSessions(ctx context.Context, q sqlutil.Querier, d Dialect, now time.Time) (int, error) {
	res, err := q.ExecContext(ctx, d.Rebind(`DELETE FROM sessions WHERE expires_at < ?`), now.UTC())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
