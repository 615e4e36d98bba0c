package pipeline

import (
	"context"
	"fmt"
	"time"

	"charter/internal/errs"
)

// Round is what one CatchUp did.
type Round struct {
	Chunks   int // queued chunks taken
	Messages int // messages scanned
	Retried  int // failed messages tried again
	Failed   int // messages that failed (again)
	Created  int // alerts created
}

// CatchUp takes up to limit queued chunks whose lease ran out (left by a
// crash or a failed scan) and the failed messages whose retry is due, and
// scans them. Each chunk is claimed just before it is scanned, so a lease
// covers one chunk's work; a chunk that cannot be scanned now is logged and
// left for its next lease, and the others go on.
func (p *Pipeline) CatchUp(ctx context.Context, limit int) (Round, error) {
	var r Round
	for i := 0; i < limit; i++ {
		now := p.Now()
		claimed, err := p.Store.ClaimScans(ctx, now, now.Add(p.Lease), 1)
		if err != nil {
			return r, errs.Wrap(err, "claim queued scans")
		}
		if len(claimed) == 0 {
			break
		}
		q := claimed[0]
		r.Chunks++
		msgs, err := p.Store.ScanMessages(ctx, ScanFilter{AfterID: q.FirstID - 1, LastID: q.LastID, Limit: int(q.LastID - q.FirstID + 1)})
		if err == nil {
			var out outcome
			if out, err = p.scan(ctx, msgs, q.ID, nil); err == nil {
				r.Messages += len(msgs)
				r.Failed += out.failed
				r.Created += len(out.created)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			p.Log.Error("catch-up: a queued chunk could not be scanned; it is tried again when its lease runs out", "queue", q.ID, "err", err)
		}
	}
	now := p.Now()
	due, err := p.Store.DueScanFailures(ctx, now, 500)
	if err != nil {
		return r, errs.Wrap(err, "list failed scans")
	}
	if len(due) == 0 {
		return r, nil
	}
	retried := make(map[int64]*Failure, len(due))
	for i := range due {
		retried[due[i].MessageID] = &due[i]
	}
	return r, p.retry(ctx, due, retried, &r)
}

// retry scans failed messages again, each on its own. A message that is
// gone (purged since) needs no scan: its failure is dropped.
func (p *Pipeline) retry(ctx context.Context, due []Failure, retried map[int64]*Failure, r *Round) error {
	var gone []int64
	for _, f := range due {
		ms, err := p.Store.ScanMessages(ctx, ScanFilter{AfterID: f.MessageID - 1, LastID: f.MessageID, Limit: 1})
		if err != nil {
			return errs.Wrap(err, "read a failed message")
		}
		if len(ms) == 0 {
			gone = append(gone, f.MessageID)
			continue
		}
		out, err := p.scan(ctx, ms, 0, retried)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.Log.Error("catch-up: a failed message could not be scanned again", "message", f.MessageID, "err", err)
			continue
		}
		r.Retried++
		r.Failed += out.failed
		r.Created += len(out.created)
	}
	if len(gone) == 0 {
		return nil
	}
	return p.Tx(ctx, func(tx TxStore) error {
		for _, id := range gone {
			if err := tx.ClearScanFailure(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run catches up at once and then every `every` until ctx ends, and keeps
// the backlog figures for /metrics and /healthz fresh. A failed round is
// logged and tried again.
func (p *Pipeline) Run(ctx context.Context, every time.Duration) {
	for {
		for {
			r, err := p.CatchUp(ctx, 16)
			if err != nil {
				if ctx.Err() == nil {
					p.Log.Error("catch-up scan", "err", err)
				}
				break
			}
			if r.Chunks > 0 || r.Retried > 0 {
				p.Log.Info("catch-up scan", "chunks", r.Chunks, "messages", r.Messages, "retried", r.Retried, "failed", r.Failed, "alerts", r.Created)
			}
			if r.Chunks == 0 {
				break
			}
		}
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			p.Log.Error("read the scan backlog", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Refresh reads the backlog from the store.
func (p *Pipeline) Refresh(ctx context.Context) error {
	b, err := p.Store.ScanBacklog(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.backlog = b
	p.mu.Unlock()
	return nil
}

// Backlog is the backlog as last read by Run or Refresh.
func (p *Pipeline) Backlog() Backlog {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.backlog
}

// Health says whether detection keeps up: degraded, with the reason, when
// the oldest unscanned message is older than LagAlarm.
func (p *Pipeline) Health() (ok bool, reason string) {
	b := p.Backlog()
	if b.Oldest.IsZero() {
		return true, ""
	}
	age := p.Now().Sub(b.Oldest)
	if age < p.LagAlarm {
		return true, ""
	}
	return false, fmt.Sprintf("detection is behind: the oldest unscanned message waits since %s (%s; %d queued, %d failed)",
		b.Oldest.Format(time.RFC3339), age.Round(time.Second), b.Queued, b.Failed)
}
