package common

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"charter/internal/account"
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

// LoginFailures reads a failure counter (nil: none).
func LoginFailures(ctx context.Context, q sqlutil.Querier, d Dialect, scope, key string) (*account.LoginFailures, error) {
	c := &account.LoginFailures{Scope: scope, Key: key}
	err := q.QueryRowContext(ctx, d.Rebind(`SELECT window_start, failures, last_at FROM login_failures WHERE scope = ? AND key = ?`), scope, key).
		Scan(&c.WindowStart, &c.Failures, &c.LastAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
	return c, err
}

// SaveLoginFailures stores a failure counter.
func SaveLoginFailures(ctx context.Context, q sqlutil.Querier, d Dialect, c *account.LoginFailures) error {
	_, err := q.ExecContext(ctx, d.Rebind(`INSERT INTO login_failures (scope, key, window_start, failures, last_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (scope, key) DO UPDATE SET window_start = excluded.window_start, failures = excluded.failures, last_at = excluded.last_at`),
		c.Scope, c.Key, c.WindowStart.UTC(), c.Failures, c.LastAt.UTC())
	return err
}

// DeleteLoginFailures forgets a counter.
func DeleteLoginFailures(ctx context.Context, q sqlutil.Querier, d Dialect, scope, key string) error {
	_, err := q.ExecContext(ctx, d.Rebind(`DELETE FROM login_failures WHERE scope = ? AND key = ?`), scope, key)
	return err
}

// StaleLoginFailures lists the counters whose window began before `before`.
func StaleLoginFailures(ctx context.Context, q sqlutil.Querier, d Dialect, before time.Time) ([]account.LoginFailures, error) {
	var out []account.LoginFailures
	err := each(ctx, q, d.Rebind(`SELECT scope, key, window_start, failures, last_at FROM login_failures WHERE window_start < ? ORDER BY scope, key`), func(sc scanner) error {
		var c account.LoginFailures
		if err := sc.Scan(&c.Scope, &c.Key, &c.WindowStart, &c.Failures, &c.LastAt); err != nil {
			return err
		}
		c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
		out = append(out, c)
		return nil
	}, before.UTC())
	return out, err
}
