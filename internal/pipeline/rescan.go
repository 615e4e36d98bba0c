package pipeline

import (
	"context"
	"slices"
	"time"

	"charter/internal/errs"
)

// RescanRequest names the archived messages to scan again: those sent in
// [From, To), in one group when GroupID is set.
type RescanRequest struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupID int64     `json:"group,omitempty"`
}

// RescanResult is how far a rescan got.
type RescanResult struct {
	Scanned int `json:"scanned"`
	Created int `json:"created"` // alerts that did not exist before
	Failed  int `json:"failed"`  // messages left to the retries
}

// rescanPage is how many messages one rescan step reads and records.
const rescanPage = 2000

// Rescan runs the rules in force over the messages of a period again, page
// by page (progress, if not nil, after each), and creates only the alerts
// that did not exist: recording is idempotent per message and rule key.
func (p *Pipeline) Rescan(ctx context.Context, req RescanRequest, progress func(RescanResult)) (RescanResult, error) {
	var res RescanResult
	if req.From.IsZero() {
		return res, errs.Field("from", "required")
	}
	if req.To.IsZero() {
		return res, errs.Field("to", "required")
	}
	if !req.From.Before(req.To) {
		return res, errs.Field("to", "must be after from")
	}
	if req.GroupID < 0 {
		return res, errs.Field("group", "must be a group id")
	}
	f := ScanFilter{From: req.From, To: req.To, GroupID: req.GroupID, Limit: rescanPage}
	for {
		msgs, err := p.Store.ScanMessages(ctx, f)
		if err != nil {
			return res, errs.Wrap(err, "read messages to rescan")
		}
		if len(msgs) == 0 {
			break
		}
		out, err := p.scan(ctx, msgs, 0, nil)
		if err != nil {
			return res, err
		}
		res.Scanned += len(msgs)
		res.Created += len(out.created)
		res.Failed += out.failed
		// What scanned cleanly now has no failure left to retry.
		clean := make([]int64, 0, len(msgs))
		for _, m := range msgs {
			if !slices.Contains(out.failedIDs, m.ID) {
				clean = append(clean, m.ID)
			}
		}
		if err := p.Tx(ctx, func(tx TxStore) error { return tx.ClearScanFailures(ctx, clean) }); err != nil {
			return res, errs.Wrap(err, "clear rescanned failures")
		}
		if progress != nil {
			progress(res)
		}
		f.AfterID = msgs[len(msgs)-1].ID
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	sum := map[string]any{"from": req.From.UTC(), "to": req.To.UTC(), "scanned": res.Scanned, "created": res.Created, "failed": res.Failed}
	if req.GroupID != 0 {
		sum["group"] = req.GroupID
	}
	return res, p.audit(ctx, "detection.rescan", "detection", sum)
}
