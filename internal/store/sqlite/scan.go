package sqlite

import (
	"context"
	"time"

	"charter/internal/archive"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/store/common"
)

// The scan state and the registry snapshot are written once, in
// store/common; these methods hand them this engine's connection.

func (d *DB) QueueScan(ctx context.Context, first, last int64, at, leaseUntil time.Time) (int64, error) {
	return common.QueueScan(ctx, d.w(), common.Identity, first, last, at, leaseUntil)
}

func (d *DB) ClaimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]pipeline.QueuedScan, error) {
	var out []pipeline.QueuedScan
	err := d.Tx(ctx, func(d *DB) error {
		var err error
		out, err = common.ClaimScans(ctx, d.w(), common.Identity, now, leaseUntil, limit)
		return err
	})
	return out, err
}

func (d *DB) FinishScan(ctx context.Context, queueID int64) error {
	return common.FinishScan(ctx, d.w(), common.Identity, queueID)
}

func (d *DB) SaveScanFailure(ctx context.Context, f *pipeline.Failure) error {
	return common.SaveScanFailure(ctx, d.w(), common.Identity, f)
}

func (d *DB) ClearScanFailure(ctx context.Context, messageID int64) error {
	return common.ClearScanFailure(ctx, d.w(), common.Identity, messageID)
}

func (d *DB) DueScanFailures(ctx context.Context, now time.Time, limit int) ([]pipeline.Failure, error) {
	return common.DueScanFailures(ctx, d.r(), common.Identity, now, limit)
}

func (d *DB) ScanBacklog(ctx context.Context) (pipeline.Backlog, error) {
	return common.ScanBacklog(ctx, d.r())
}

func (d *DB) ScanMessages(ctx context.Context, f pipeline.ScanFilter) ([]archive.Stored, error) {
	where, args := common.ScanMessagesQuery(f, common.Identity)
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

func (d *DB) RegistryVersion(ctx context.Context) (int64, error) {
	return common.RegistryVersion(ctx, d.r())
}

func (d *DB) RegistrySnapshot(ctx context.Context) (*registry.SnapshotRows, error) {
	return common.RegistrySnapshot(ctx, d.r())
}

func (d *DB) PurgeQuarantine(ctx context.Context, before time.Time) (int, error) {
	return common.PurgeQuarantine(ctx, d.w(), common.SQLite, before)
}
