package postgres

import (
	"context"

	"charter/internal/store/common"
)

// lend is what the shared storage code (common.Shared) needs of this engine
// beyond its connections: its transactions and its message rows.
func (d *DB) lend() common.Engine {
	return common.Engine{
		Tx: func(ctx context.Context, fn func(common.Shared) error) error {
			return d.Tx(ctx, func(t *DB) error { return fn(t.Shared) })
		},
		SelectMessages: `SELECT ` + messageCols + ` FROM messages m` + recallJoin,
		ScanMessage:    scanMessage,
	}
}
