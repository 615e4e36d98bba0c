package postgres

import (
	"context"
	"time"

	"charter/internal/archive"
	"charter/internal/pipeline"
	"charter/internal/store/common"
)

// The scan state is written once, in store/common (common.Shared); what
// needs this engine's transaction or row scanner is here.

func (d *DB) ClaimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]pipeline.QueuedScan, error) {
	var out []pipeline.QueuedScan
	err := d.Tx(ctx, func(d *DB) error {
		var err error
		out, err = common.ClaimScans(ctx, d.w(), common.Rebind, now, leaseUntil, limit)
		return err
	})
	return out, err
}

func (d *DB) ScanMessages(ctx context.Context, f pipeline.ScanFilter) ([]archive.Stored, error) {
	where, args := common.ScanMessagesQuery(f, common.Rebind)
	rows, err := d.r().QueryContext(ctx, `SELECT `+messageCols+` FROM messages m`+recallJoin+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []archive.Stored
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
