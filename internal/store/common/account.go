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

// AddLoginFailure counts one more failure, atomically (parallel attempts
// each get their own count), starting the counter's window at now when it
// has none, and returns the counter as it now stands.
func AddLoginFailure(ctx context.Context, q sqlutil.Querier, d Dialect, scope, key string, now time.Time) (*account.LoginFailures, error) {
	c := &account.LoginFailures{Scope: scope, Key: key}
	err := q.QueryRowContext(ctx, d.Rebind(`INSERT INTO login_failures (scope, key, window_start, failures, last_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (scope, key) DO UPDATE SET failures = login_failures.failures + 1, last_at = excluded.last_at
		RETURNING window_start, failures, last_at`), scope, key, now.UTC(), now.UTC()).Scan(&c.WindowStart, &c.Failures, &c.LastAt)
	c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
	return c, err
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
