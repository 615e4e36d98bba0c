// Package pipeline is the path of a captured message to its alerts, in the
// order it runs:
//
//  1. resolve: the archive reads each record's room and sender in the
//     registry's Directory (one snapshot a chunk, see Resolver);
//  2. archive: archive.Service commits the chunk and, in the same
//     transaction, a scan_queue row naming its messages;
//  3. scan: Archived, the archive's observer, runs the detectors on the
//     committed chunk (review.Detection), one message at a time so a
//     failure stays with its message;
//  4. alerts: one transaction records the findings (review.Scanner.Record,
//     idempotent per message and key), the messages that failed (retried
//     with backoff, a system alert once the retries are spent), the
//     notices to the groups' responsible persons, and removes the queue row.
//
// Whatever a crash or a failure leaves behind — a queue row whose lease ran
// out, a failed message due for a retry — CatchUp takes, at start-up and
// every few seconds in serve. Rescan runs the current rules over a period
// again and creates only the alerts that did not exist.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/attachment"
	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/metrics"
	"charter/internal/registry"
	"charter/internal/review"
)

// Pipeline scans what the archive commits. Build it with New.
type Pipeline struct {
	Store    Store
	Tx       func(ctx context.Context, fn func(TxStore) error) error
	Scanner  *review.Scanner
	Registry *registry.Directory
	Metrics  *metrics.Registry
	Log      *slog.Logger
	Now      func() time.Time
	// Zone is the organization's time zone, where a sender's day of
	// transfers begins.
	Zone *time.Location
	// Lease is how long a chunk claimed by CatchUp is its own; it must
	// exceed the time one chunk takes to scan.
	Lease time.Duration
	// Retries is how many failed attempts make a system alert; Backoff is
	// the wait after the n-th failure.
	Retries int
	Backoff func(attempt int) time.Duration
	// LagAlarm is the age of the oldest unscanned message at which Health
	// reports degraded.
	LagAlarm time.Duration
	// Foreign, when set, reports a handle from another organization's
	// server (a Matrix user of another homeserver): a sender the registry
	// does not know is then also external.
	Foreign func(platform, handle string) bool
	// Bot, when set, reports a handle that is Charter's own (its Matrix
	// bot joins bound rooms to read their history): never judged.
	Bot func(platform, handle string) bool
	// BeforeScan, when set, runs after a chunk is committed and before it is
	// scanned: the crash tests kill the process there.
	BeforeScan func()

	mu      sync.Mutex
	backlog Backlog // as last read by Refresh
}

// New returns a pipeline with the defaults: leases of 30 s, 5 attempts
// with backoff from 5 s doubling to an hour, degraded after 5 minutes.
func New(s Store, tx func(context.Context, func(TxStore) error) error, sc *review.Scanner, dir *registry.Directory, m *metrics.Registry,
	log *slog.Logger, now func() time.Time, zone *time.Location) *Pipeline {
	p := &Pipeline{Store: s, Tx: tx, Scanner: sc, Registry: dir, Metrics: m, Log: log, Now: now, Zone: zone,
		Lease: 30 * time.Second, Retries: 5, Backoff: Exponential(5*time.Second, time.Hour), LagAlarm: 5 * time.Minute}
	m.Gauge("charter_scan_pending_messages", "Archived messages queued for detection, not yet scanned.", func() float64 { return float64(p.Backlog().Queued) })
	m.Gauge("charter_scan_failed_messages", "Archived messages a detector failed on, waiting for a retry.", func() float64 { return float64(p.Backlog().Failed) })
	m.Gauge("charter_scan_oldest_unscanned_seconds", "Age of the oldest archived message not yet scanned (0 when none).", func() float64 {
		b := p.Backlog()
		if b.Oldest.IsZero() {
			return 0
		}
		return p.Now().Sub(b.Oldest).Seconds()
	})
	return p
}

// Exponential is a backoff from base doubling up to limit.
func Exponential(base, limit time.Duration) func(int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < limit; i++ {
			d *= 2
		}
		return min(d, limit)
	}
}

// Archived is the archive's observer: it scans a chunk just committed and
// returns how many of its messages are left pending. Whatever goes wrong
// here, the chunk stays queued and CatchUp takes it when its lease runs out.
func (p *Pipeline) Archived(ctx context.Context, c archive.Committed) int {
	p.Metrics.Add("charter_archived_messages_total", "Messages archived (duplicates not counted).", float64(len(c.Messages)))
	if p.BeforeScan != nil {
		p.BeforeScan()
	}
	out, err := p.scan(ctx, c.Messages, c.QueueID, nil)
	if err != nil {
		p.Log.Error("scanning an archived chunk failed; it stays queued for the catch-up scanner", "messages", len(c.Messages), "queue", c.QueueID, "err", err)
		return len(c.Messages)
	}
	return out.failed
}

// outcome is what one scan recorded.
type outcome struct {
	created   []review.Alert
	updated   int
	failed    int
	failedIDs []int64
}

// item is one message's detection result.
type item struct {
	msg      *archive.Stored
	findings []review.Finding
	err      error
}

// scan detects and records msgs. queueID (0: none) is the queue row the
// record removes; retried are the earlier failures of these messages.
func (p *Pipeline) scan(ctx context.Context, msgs []archive.Stored, queueID int64, retried map[int64]*Failure) (outcome, error) {
	start := p.Now()
	snap, err := p.Registry.Current(ctx)
	if err != nil {
		return outcome{}, errs.Wrap(err, "read the registry")
	}
	det := p.Scanner.NewDetection(&scanContext{snap: snap, store: p.Store, foreign: p.Foreign, bot: p.Bot})
	items := make([]item, len(msgs))
	for i := range msgs {
		c := p.captured(&msgs[i], snap)
		items[i] = item{msg: &msgs[i]}
		items[i].findings, items[i].err = det.Detect(ctx, &c)
	}
	out, err := p.record(ctx, items, queueID, retried, snap)
	if err != nil {
		// The store refused something (PostgreSQL then aborts the whole
		// transaction): record each message on its own, so the others are
		// kept and the one refused becomes a failure with its reason (a
		// chunk of one included, or it would come back forever).
		p.Log.Warn("recording a chunk's alerts failed; recording message by message", "messages", len(items), "err", err)
		out, err = p.recordEach(ctx, items, queueID, retried, snap)
	}
	if err != nil {
		return out, err
	}
	p.Scanner.Count(len(msgs), review.Result{Created: out.created, Updated: out.updated}, p.Now().Sub(start))
	if out.failed > 0 {
		p.Metrics.Add("charter_scan_failures_total", "Messages a detector failed on (each attempt).", float64(out.failed))
	}
	return out, nil
}

func (p *Pipeline) captured(m *archive.Stored, snap *registry.Snapshot) review.Captured {
	c := review.Captured{ArchiveID: m.ID, Msg: m.Message, Direct: snap.Direct(m.Platform, m.RoomID)}
	if p.Zone != nil {
		c.Msg.SentAt = c.Msg.SentAt.In(p.Zone)
	}
	if m.GroupID != 0 {
		id := m.GroupID
		c.GroupID = &id
	}
	return c
}

// record stores a whole chunk's results in one transaction.
func (p *Pipeline) record(ctx context.Context, items []item, queueID int64, retried map[int64]*Failure, snap *registry.Snapshot) (outcome, error) {
	var out outcome
	err := p.Tx(ctx, func(tx TxStore) error {
		out = outcome{}
		var fs []review.Finding
		for _, it := range items {
			if it.err == nil {
				fs = append(fs, it.findings...)
			}
		}
		if err := p.recordFindings(ctx, tx, fs, snap, senders(items), &out); err != nil {
			return err
		}
		for _, it := range items {
			if err := p.settle(ctx, tx, it, retried, &out); err != nil {
				return err
			}
		}
		if queueID != 0 {
			return tx.FinishScan(ctx, queueID)
		}
		return nil
	})
	return out, err
}

// recordEach stores each message in a transaction of its own; a message the
// store refuses becomes a failure. The queue row goes with the last one.
func (p *Pipeline) recordEach(ctx context.Context, items []item, queueID int64, retried map[int64]*Failure, snap *registry.Snapshot) (outcome, error) {
	var out outcome
	for i := range items {
		it := &items[i]
		if it.err != nil {
			continue
		}
		var one outcome
		err := p.Tx(ctx, func(tx TxStore) error {
			one = outcome{}
			if err := p.recordFindings(ctx, tx, it.findings, snap, senders(items[i:i+1]), &one); err != nil {
				return err
			}
			return p.settle(ctx, tx, *it, retried, &one)
		})
		if err != nil {
			it.err = fmt.Errorf("recording its alerts: %w", err)
			continue
		}
		out.created = append(out.created, one.created...)
		out.updated += one.updated
	}
	err := p.Tx(ctx, func(tx TxStore) error {
		out.failed, out.failedIDs = 0, nil
		for _, it := range items {
			if it.err != nil {
				if err := p.settle(ctx, tx, it, retried, &out); err != nil {
					return err
				}
			}
		}
		if queueID != 0 {
			return tx.FinishScan(ctx, queueID)
		}
		return nil
	})
	return out, err
}

// recordFindings stores findings and sends the notices of the alerts they
// create, in the caller's transaction: an alert and its notice commit together.
func (p *Pipeline) recordFindings(ctx context.Context, tx TxStore, fs []review.Finding, snap *registry.Snapshot, users map[string]string, out *outcome) error {
	if len(fs) == 0 {
		return nil
	}
	created, updated, err := p.Scanner.Record(ctx, tx, fs)
	if err != nil {
		return err
	}
	for i := range created {
		if err := notify(ctx, tx, snap, &created[i], users, p.Now()); err != nil {
			return err
		}
	}
	out.created = append(out.created, created...)
	out.updated += updated
	return nil
}

// settle records what became of one message: a failure (kept for a retry)
// or, for a message that had failed before, that it is scanned now.
func (p *Pipeline) settle(ctx context.Context, tx TxStore, it item, retried map[int64]*Failure, out *outcome) error {
	prev := retried[it.msg.ID]
	if it.err == nil {
		if prev != nil {
			return tx.ClearScanFailure(ctx, it.msg.ID)
		}
		return nil
	}
	out.failed++
	out.failedIDs = append(out.failedIDs, it.msg.ID)
	now := p.Now().UTC()
	f := &Failure{MessageID: it.msg.ID, Attempts: 1, Reason: reason(it.err), Rules: p.Scanner.Policies.Version(), FailedAt: now}
	if prev != nil {
		f.Attempts, f.FailedAt, f.AlertID = prev.Attempts+1, prev.FailedAt, prev.AlertID
	}
	f.NextAt = now.Add(p.Backoff(f.Attempts))
	p.Log.Warn("a message could not be scanned", "message", f.MessageID, "attempt", f.Attempts, "reason", f.Reason)
	if f.Attempts >= p.Retries && f.AlertID == 0 {
		id, err := p.raiseFailure(ctx, tx, it.msg, f)
		if err != nil {
			return err
		}
		f.AlertID = id
	}
	return tx.SaveScanFailure(ctx, f)
}

// reason is a failure's text for the scan state and the system alert: the
// error chain names operations and ids, never message content; it is
// bounded all the same.
func reason(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

// raiseFailure makes the system alert for a message whose retries are spent
// and tells every security officer. Neither carries message content.
func (p *Pipeline) raiseFailure(ctx context.Context, tx TxStore, m *archive.Stored, f *Failure) (int64, error) {
	a := review.Alert{Key: "system.scan_failed:" + strconv.FormatInt(m.ID, 10), Rule: "system.scan_failed", Platform: m.Platform, RoomID: m.RoomID,
		Excerpt: fmt.Sprintf("message %d could not be scanned: %s", m.ID, f.Reason), Detail: map[string]any{"message_id": m.ID, "attempts": f.Attempts},
		FirstSeen: m.SentAt.UTC(), LastSeen: m.SentAt.UTC()}
	if m.GroupID != 0 {
		id := m.GroupID
		a.GroupID = &id
	}
	src := review.Source{Platform: m.Platform, RoomID: m.RoomID, SourceID: m.SourceID, ArchiveID: m.ID, SentAt: m.SentAt.UTC()}
	subject := "检测失败 / Scan failed: system.scan_failed"
	body := fmt.Sprintf("归档消息 %d 在 %d 次尝试后仍无法完成检测（%s）。\nArchived message %d could not be scanned after %d attempts (%s).",
		m.ID, f.Attempts, f.Reason, m.ID, f.Attempts, f.Reason)
	id, err := raiseSystem(ctx, tx, p.Now().UTC(), &a, src, subject, body)
	if err == nil {
		p.Log.Error("a message could not be scanned after its retries; a system alert is raised", "message", m.ID, "alert", id, "reason", f.Reason)
	}
	return id, err
}

// RaiseSystem raises a system alert about the capture itself (a WeCom
// archive gap, a pull lagging toward the vendor's window) and tells every
// security officer, once per alert key, with no message content. src names
// what the alert is about; it need not be an archived message.
func (p *Pipeline) RaiseSystem(ctx context.Context, a review.Alert, src review.Source, subject, body string) (int64, error) {
	var id int64
	err := p.Tx(ctx, func(tx TxStore) error {
		var err error
		id, err = raiseSystem(ctx, tx, p.Now().UTC(), &a, src, subject, body)
		return err
	})
	return id, err
}

func raiseSystem(ctx context.Context, tx TxStore, now time.Time, a *review.Alert, src review.Source, subject, body string) (int64, error) {
	a.Category, a.Severity, a.Status, a.CreatedAt, a.UpdatedAt = "system", "high", review.StatusOpen, now, now
	if _, _, err := tx.RecordFinding(ctx, a, src); err != nil {
		return 0, err
	}
	active := true
	officers, err := tx.Users(ctx, account.UserFilter{Role: account.SecurityOfficer, Active: &active})
	if err != nil {
		return 0, err
	}
	ref := strconv.FormatInt(a.ID, 10)
	for _, u := range officers {
		n := &registry.Notification{Username: u.Username, Kind: "alert", Object: "alert:" + ref,
			Message: subject + "\n" + body + "\n告警 / Alert #" + ref, Key: a.Key, CreatedAt: now}
		if _, err := tx.Notify(ctx, n); err != nil {
			return 0, err
		}
	}
	return a.ID, nil
}

// senders maps the source ids of items to their senders' usernames.
func senders(items []item) map[string]string {
	out := make(map[string]string, len(items))
	for _, it := range items {
		if it.msg.User != "" {
			out[it.msg.SourceID] = it.msg.User
		}
	}
	return out
}

// notify tells a group's responsible person of a new alert in their group:
// rule, group, time and count, no personal data and no content. A transfer
// alert about a payment the responsible person sent is not announced to
// them: reviewers see it, the sender is not warned.
func notify(ctx context.Context, tx TxStore, snap *registry.Snapshot, a *review.Alert, users map[string]string, now time.Time) error {
	if a.GroupID == nil {
		return nil
	}
	g := snap.Group(*a.GroupID)
	if g == nil || g.Responsible == "" {
		return nil
	}
	if a.Category == "transfer" {
		for _, id := range a.SourceIDs {
			if users[id] == g.Responsible {
				return nil
			}
		}
	}
	subject, body := review.Notice(a, g.Name)
	// One notice per alert: notices are sent only when the alert is made,
	// in its transaction, so the alert's id is the key.
	_, err := tx.Notify(ctx, &registry.Notification{Username: g.Responsible, Kind: "alert", Object: subject, Message: body,
		Key: "alert:" + strconv.FormatInt(a.ID, 10), CreatedAt: now.UTC()})
	return err
}

// audit writes one audit event in a transaction of its own.
func (p *Pipeline) audit(ctx context.Context, action, object string, summary map[string]any) error {
	return p.Tx(ctx, func(tx TxStore) error {
		return tx.AppendAudit(ctx, audit.New(ctx, p.Now().UTC(), action, object, audit.Summarize(summary)))
	})
}

// ScanAttachment runs the detectors on the text of one attachment of an
// archived message, part by part, with the message's group, sender and
// room, and records the alerts as the message's own: each finding names
// the attachment and its part (page, sheet, slide) in its detail and its
// excerpt. Recording is idempotent per message and key, as for messages.
func (p *Pipeline) ScanAttachment(ctx context.Context, messageID int64, name string, parts []attachment.Part) (int, error) {
	msgs, err := p.Store.ScanMessages(ctx, ScanFilter{AfterID: messageID - 1, LastID: messageID, Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 || msgs[0].ID != messageID {
		return 0, nil // purged meanwhile: nothing left to judge it with
	}
	snap, err := p.Registry.Current(ctx)
	if err != nil {
		return 0, errs.Wrap(err, "read the registry")
	}
	det := p.Scanner.NewDetection(&scanContext{snap: snap, store: p.Store, foreign: p.Foreign, bot: p.Bot})
	var fs []review.Finding
	for _, part := range parts {
		if strings.TrimSpace(part.Text) == "" {
			continue
		}
		c := p.captured(&msgs[0], snap)
		c.Msg.Kind, c.Msg.Text, c.Msg.Transfer, c.Msg.Attachments = capture.KindFile, part.Text, nil, []capture.Attachment{{Name: name}}
		found, err := det.Detect(ctx, &c)
		if err != nil {
			return 0, err
		}
		for _, f := range found {
			if f.Alert.Category == detect.CatRegistry {
				continue // the message itself was judged for its room and sender
			}
			where := name
			if part.Label != "" {
				where += ", " + part.Label
			}
			f.Alert.Excerpt = "📎 " + where + ": " + f.Alert.Excerpt
			if f.Alert.Detail == nil {
				f.Alert.Detail = map[string]any{}
			}
			f.Alert.Detail["attachment"], f.Alert.Detail["part"] = name, part.Label
			fs = append(fs, f)
		}
	}
	var out outcome
	err = p.Tx(ctx, func(tx TxStore) error {
		out = outcome{}
		return p.recordFindings(ctx, tx, fs, snap, senders([]item{{msg: &msgs[0]}}), &out)
	})
	if err == nil {
		p.Scanner.Count(0, review.Result{Created: out.created, Updated: out.updated}, 0)
	}
	return len(fs), err
}
