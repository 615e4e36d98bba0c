package common

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/pipeline"
	"charter/internal/store/sqlutil"
)

// QueueScan queues archived messages first..last for detection.
func (s Shared) QueueScan(ctx context.Context, first, last int64, at, leaseUntil time.Time) (int64, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, s.d.Rebind(`INSERT INTO scan_queue (first_id, last_id, queued_at, lease_until) VALUES (?, ?, ?, ?) RETURNING id`),
		first, last, at.UTC(), leaseUntil.UTC()).Scan(&id)
	return id, err
}

// ClaimScans leases expired queue rows in one transaction.
func (s Shared) ClaimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]pipeline.QueuedScan, error) {
	var out []pipeline.QueuedScan
	err := s.e.Tx(ctx, func(t Shared) error {
		var err error
		out, err = t.claimScans(ctx, now, leaseUntil, limit)
		return err
	})
	return out, err
}

// ScanMessages reads live messages for a scan, in id order.
func (s Shared) ScanMessages(ctx context.Context, f pipeline.ScanFilter) ([]archive.Stored, error) {
	where, args := ScanMessagesQuery(f, s.d.Rebind)
	var out []archive.Stored
	err := Each(ctx, s.r, `SELECT `+MessageCols+` FROM messages m`+RecallJoin+where, func(sc Scanner) error {
		m, err := ScanMessage(sc)
		out = append(out, m)
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimScans leases expired queue rows one by one, each with a compare on
// the old lease, so two claimers never both take a row.
func (s Shared) claimScans(ctx context.Context, now, leaseUntil time.Time, limit int) ([]pipeline.QueuedScan, error) {
	type row struct {
		pipeline.QueuedScan
		lease time.Time
	}
	var rows []row
	err := Each(ctx, s.w, s.d.Rebind(`SELECT id, first_id, last_id, queued_at, lease_until FROM scan_queue WHERE lease_until < ? ORDER BY id LIMIT ?`), func(sc Scanner) error {
		var r row
		if err := sc.Scan(&r.ID, &r.FirstID, &r.LastID, &r.QueuedAt, &r.lease); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, now.UTC(), limit)
	if err != nil {
		return nil, err
	}
	var out []pipeline.QueuedScan
	for _, r := range rows {
		res, err := s.w.ExecContext(ctx, s.d.Rebind(`UPDATE scan_queue SET lease_until = ? WHERE id = ? AND lease_until = ?`), leaseUntil.UTC(), r.ID, r.lease)
		if err != nil {
			return out, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r.QueuedAt = r.QueuedAt.UTC()
			out = append(out, r.QueuedScan)
		}
	}
	return out, nil
}

// FinishScan removes a queue row: its messages' scan is recorded.
func (s Shared) FinishScan(ctx context.Context, id int64) error {
	_, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM scan_queue WHERE id = ?`), id)
	return err
}

// SaveScanFailure stores a message's failure, or counts one more attempt
// of a failure already stored: a caller that did not know of it (a rescan)
// neither resets its attempts nor forgets its system alert.
func (s Shared) SaveScanFailure(ctx context.Context, f *pipeline.Failure) error {
	_, err := s.w.ExecContext(ctx, s.d.Rebind(`INSERT INTO scan_failures (message_id, attempts, reason, rules, failed_at, next_at, alert_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET
		attempts = `+s.d.Greatest+`(excluded.attempts, scan_failures.attempts + 1), reason = excluded.reason, rules = excluded.rules,
		next_at = excluded.next_at, alert_id = COALESCE(excluded.alert_id, scan_failures.alert_id)`),
		f.MessageID, f.Attempts, f.Reason, f.Rules, f.FailedAt.UTC(), f.NextAt.UTC(), sqlutil.ZeroNullInt(f.AlertID))
	return err
}

// ClearScanFailures forgets the failures of the messages ids (a rescan
// scanned them cleanly), 500 a statement.
func (s Shared) ClearScanFailures(ctx context.Context, ids []int64) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(len(ids), start+500)]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")
		if _, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM scan_failures WHERE message_id IN (`+in+`)`), args...); err != nil {
			return err
		}
	}
	return nil
}

// ClearScanFailure forgets a failure: the message is scanned now.
func (s Shared) ClearScanFailure(ctx context.Context, messageID int64) error {
	_, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM scan_failures WHERE message_id = ?`), messageID)
	return err
}

// DueScanFailures lists failures whose retry is due, oldest retry first.
func (s Shared) DueScanFailures(ctx context.Context, now time.Time, limit int) ([]pipeline.Failure, error) {
	var out []pipeline.Failure
	err := Each(ctx, s.r, s.d.Rebind(`SELECT message_id, attempts, reason, rules, failed_at, next_at, alert_id FROM scan_failures
		WHERE next_at <= ? ORDER BY next_at, message_id LIMIT ?`), func(sc Scanner) error {
		var f pipeline.Failure
		var alert sql.NullInt64
		if err := sc.Scan(&f.MessageID, &f.Attempts, &f.Reason, &f.Rules, &f.FailedAt, &f.NextAt, &alert); err != nil {
			return err
		}
		f.FailedAt, f.NextAt, f.AlertID = f.FailedAt.UTC(), f.NextAt.UTC(), alert.Int64
		out = append(out, f)
		return nil
	}, now.UTC(), limit)
	return out, err
}

// ScanBacklog counts what detection has not finished. The oldest times are
// read as columns, not through min(): SQLite's aggregates lose the column's
// type and would hand back text.
func (s Shared) ScanBacklog(ctx context.Context) (pipeline.Backlog, error) {
	var b pipeline.Backlog
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(sum(last_id - first_id + 1), 0) FROM scan_queue`).Scan(&b.Queued); err != nil {
		return b, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM scan_failures`).Scan(&b.Failed); err != nil {
		return b, err
	}
	for _, query := range []string{`SELECT queued_at FROM scan_queue ORDER BY id LIMIT 1`, `SELECT failed_at FROM scan_failures ORDER BY failed_at LIMIT 1`} {
		var t time.Time
		err := s.r.QueryRowContext(ctx, query).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return b, err
		}
		if b.Oldest.IsZero() || t.Before(b.Oldest) {
			b.Oldest = t.UTC()
		}
	}
	return b, nil
}

// ScanMessagesQuery is the query (after SELECT cols FROM messages m and the
// engine's joins) and its arguments for ScanMessages: live messages in id
// order.
func ScanMessagesQuery(f pipeline.ScanFilter, rebind func(string) string) (string, []any) {
	where := ` WHERE m.purged_at IS NULL AND m.id > ?`
	args := []any{f.AfterID}
	if f.LastID > 0 {
		where += ` AND m.id <= ?`
		args = append(args, f.LastID)
	}
	if !f.From.IsZero() {
		where += ` AND m.sent_at >= ?`
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where += ` AND m.sent_at < ?`
		args = append(args, f.To.UTC())
	}
	if f.GroupID != 0 {
		where += ` AND m.group_id = ?`
		args = append(args, f.GroupID)
	}
	return rebind(where + ` ORDER BY m.id LIMIT ?`), append(args, f.Limit)
}
