package pipeline

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/registry"
	"charter/internal/review"
)

// QueuedScan is an archived chunk waiting for detection: the archive
// queues it in the transaction that commits the messages.
type QueuedScan struct {
	ID              int64
	FirstID, LastID int64
	QueuedAt        time.Time
}

// Failure is a message a detector could not scan.
type Failure struct {
	MessageID int64
	Attempts  int
	Reason    string
	Rules     int64 // the policy version of the last attempt
	FailedAt  time.Time
	NextAt    time.Time // the next retry
	AlertID   int64     // the system alert, once the retries are spent
}

// Backlog is what detection has not finished.
type Backlog struct {
	Queued int64     // messages in queued chunks
	Failed int64     // messages that failed and wait for a retry
	Oldest time.Time // when the oldest of them was archived or failed; zero if none
}

// ScanFilter selects live (not purged) archived messages in id order: by
// id range, or for a rescan by send time and group.
type ScanFilter struct {
	AfterID, LastID int64 // ids in (AfterID, LastID]; LastID 0: no bound
	From, To        time.Time
	GroupID         int64
	Limit           int
}

// Store is what the pipeline reads outside a transaction.
type Store interface {
	// ClaimScans takes up to limit queued chunks whose lease ran out before
	// now and leases them until leaseUntil; another process claiming at the
	// same moment gets other rows.
	ClaimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]QueuedScan, error)
	DueScanFailures(ctx context.Context, now time.Time, limit int) ([]Failure, error)
	ScanBacklog(ctx context.Context) (Backlog, error)
	ScanMessages(ctx context.Context, f ScanFilter) ([]archive.Stored, error)
	SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error)
}

// TxStore is what the transaction that records a scan sees: the alerts,
// the scan state, the notices and who the security officers are.
type TxStore interface {
	review.TxStore
	FinishScan(ctx context.Context, queueID int64) error
	SaveScanFailure(ctx context.Context, f *Failure) error
	ClearScanFailure(ctx context.Context, messageID int64) error
	// ClearScanFailures forgets the failures of the messages ids.
	ClearScanFailures(ctx context.Context, ids []int64) error
	Notify(ctx context.Context, n *registry.Notification) (bool, error)
	Users(ctx context.Context, f account.UserFilter) ([]account.User, error)
}
