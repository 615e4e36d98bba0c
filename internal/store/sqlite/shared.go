package sqlite

import (
	"context"

	"charter/internal/store/common"
)

// lend is what the shared storage code (common.Shared) needs of this engine
// beyond its connections: its transactions, how it writes messages (with
// their full-text index) and its uniqueness errors.
func (d *DB) lend() common.Engine {
	return common.Engine{
		Tx: func(ctx context.Context, fn func(common.Shared) error) error {
			return d.Tx(ctx, func(t *DB) error { return fn(t.Shared) })
		},
		InsertMessages: d.insertMessages,
		IsUnique:       isUnique,
	}
}
