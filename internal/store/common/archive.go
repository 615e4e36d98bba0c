package common

import (
	"context"
	"time"

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
