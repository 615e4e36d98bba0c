package common

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/checkpoint"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store/sqlutil"
)

// Shared is the storage both engines run unchanged. Each engine's DB embeds
// one, made with the connection it writes to and the one it reads from (a
// transaction for both inside one), so these methods are the engine's own.
type Shared struct {
	w, r sqlutil.Querier
	tx   bool // w and r are one transaction
	d    Dialect
	e    Engine
}

// Engine is what an engine lends the shared code beyond its connections.
type Engine struct {
	// Tx runs fn in one of the engine's transactions (joining one already
	// under way), with the Shared bound to it.
	Tx func(ctx context.Context, fn func(Shared) error) error
	// InsertMessages writes ms after the archive chain link (seq, hash),
	// sealing each, marking duplicates and indexing the text for search,
	// and returns the new link. Called only inside Tx.
	InsertMessages func(ctx context.Context, ms []*archive.Stored, seq int64, hash string) (int64, string, error)
	// IsUnique reports whether err is the driver's uniqueness violation.
	IsUnique func(error) bool
}

// NewShared binds the shared methods to a writer, a reader, a dialect and
// what else the engine lends.
func NewShared(w, r sqlutil.Querier, d Dialect, e Engine) Shared {
	return Shared{w: w, r: r, d: d, e: e}
}

// NewSharedTx binds the shared methods to one transaction.
func NewSharedTx(tx sqlutil.Querier, d Dialect, e Engine) Shared {
	return Shared{w: tx, r: tx, tx: true, d: d, e: e}
}

// ClaimScans leases expired queue rows in one transaction.
func (s Shared) ClaimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]pipeline.QueuedScan, error) {
	var out []pipeline.QueuedScan
	err := s.e.Tx(ctx, func(t Shared) error {
		var err error
		out, err = ClaimScans(ctx, t.w, t.d.Rebind, now, leaseUntil, limit)
		return err
	})
	return out, err
}

// ScanMessages reads live messages for a scan, in id order.
func (s Shared) ScanMessages(ctx context.Context, f pipeline.ScanFilter) ([]archive.Stored, error) {
	where, args := ScanMessagesQuery(f, s.d.Rebind)
	rows, err := s.r.QueryContext(ctx, `SELECT `+MessageCols+` FROM messages m`+RecallJoin+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []archive.Stored
	for rows.Next() {
		m, err := ScanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s Shared) MessagesAround(ctx context.Context, groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]archive.Stored, error) {
	return MessagesAround(ctx, s.r, s.d, groupID, platform, roomID, sourceIDs, radius)
}

// RecordFindings records a scan's findings in one transaction (see the
// function of the same name).
func (s Shared) RecordFindings(ctx context.Context, fs []review.Finding) ([]review.Alert, int, error) {
	var created []review.Alert
	var updated int
	err := s.e.Tx(ctx, func(t Shared) error {
		var err error
		created, updated, err = RecordFindings(ctx, t.w, t.d, fs)
		return err
	})
	return created, updated, err
}

// RecordFinding records one finding: created says it made the alert,
// counted that the alert's count moved; a.ID is the alert's.
func (s Shared) RecordFinding(ctx context.Context, a *review.Alert, src review.Source) (created, counted bool, err error) {
	made, updated, err := s.RecordFindings(ctx, []review.Finding{{Alert: *a, Source: src}})
	if err != nil {
		return false, false, err
	}
	if len(made) == 1 {
		a.ID = made[0].ID
		return true, true, nil
	}
	a.ID, err = AlertWithSource(ctx, s.w, s.d, a.Key, src)
	return false, updated > 0, err
}

func (s Shared) QueueScan(ctx context.Context, first, last int64, at, leaseUntil time.Time) (int64, error) {
	return QueueScan(ctx, s.w, s.d.Rebind, first, last, at, leaseUntil)
}

func (s Shared) FinishScan(ctx context.Context, queueID int64) error {
	return FinishScan(ctx, s.w, s.d.Rebind, queueID)
}

func (s Shared) SaveScanFailure(ctx context.Context, f *pipeline.Failure) error {
	return SaveScanFailure(ctx, s.w, s.d, f)
}

func (s Shared) ClearScanFailures(ctx context.Context, ids []int64) error {
	return ClearScanFailures(ctx, s.w, s.d, ids)
}

func (s Shared) ClearScanFailure(ctx context.Context, messageID int64) error {
	return ClearScanFailure(ctx, s.w, s.d.Rebind, messageID)
}

func (s Shared) DueScanFailures(ctx context.Context, now time.Time, limit int) ([]pipeline.Failure, error) {
	return DueScanFailures(ctx, s.r, s.d.Rebind, now, limit)
}

func (s Shared) ScanBacklog(ctx context.Context) (pipeline.Backlog, error) {
	return ScanBacklog(ctx, s.r)
}

func (s Shared) RegistryVersion(ctx context.Context) (int64, error) { return RegistryVersion(ctx, s.r) }

func (s Shared) RegistrySnapshot(ctx context.Context) (*registry.SnapshotRows, error) {
	return RegistrySnapshot(ctx, s.r)
}

func (s Shared) AlertFigures(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
	return AlertFigures(ctx, s.r, s.d, groupID, from, to)
}

func (s Shared) PurgeQuarantine(ctx context.Context, before time.Time) (int, error) {
	return PurgeQuarantine(ctx, s.w, s.d, before)
}

func (s Shared) ChainHeads(ctx context.Context) (map[string]checkpoint.Head, error) {
	return ChainHeads(ctx, s.r)
}

func (s Shared) ChainHashAt(ctx context.Context, chain string, seq int64) (string, bool, error) {
	return ChainHashAt(ctx, s.r, s.d, chain, seq)
}

func (s Shared) AddCheckpoint(ctx context.Context, c *checkpoint.Checkpoint) error {
	return AddCheckpoint(ctx, s.w, s.d, c)
}

func (s Shared) Checkpoints(ctx context.Context, limit int) ([]checkpoint.Checkpoint, error) {
	return Checkpoints(ctx, s.r, s.d, limit)
}

func (s Shared) CheckpointFor(ctx context.Context, reason string) (*checkpoint.Checkpoint, error) {
	return CheckpointFor(ctx, s.r, s.d, reason)
}

func (s Shared) DeleteUserSessions(ctx context.Context, userID int64) error {
	return DeleteUserSessions(ctx, s.w, s.d, userID)
}

func (s Shared) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return DeleteExpiredSessions(ctx, s.w, s.d, now)
}

func (s Shared) LoginFailures(ctx context.Context, scope, key string) (*account.LoginFailures, error) {
	return LoginFailures(ctx, s.r, s.d, scope, key)
}

func (s Shared) AddLoginFailure(ctx context.Context, scope, key string, now time.Time) (*account.LoginFailures, error) {
	return AddLoginFailure(ctx, s.w, s.d, scope, key, now)
}

func (s Shared) DeleteLoginFailures(ctx context.Context, scope, key string) error {
	return DeleteLoginFailures(ctx, s.w, s.d, scope, key)
}

func (s Shared) StaleLoginFailures(ctx context.Context, before time.Time) ([]account.LoginFailures, error) {
	return StaleLoginFailures(ctx, s.r, s.d, before)
}
