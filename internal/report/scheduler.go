package report

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
)

// Run calls Tick every interval until ctx ends, reading the time from now.
func (s *Service) Run(ctx context.Context, every time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Tick(ctx, now()); err != nil && ctx.Err() == nil {
			log.Error("report scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does what is due at now: it creates the reports of the period that
// last ended for every level that reports, and reminds responsible persons
// of reports due soon and of reports overdue. It is idempotent: a report is
// created once per group and period, and every reminder carries a key, so
// no reminder is ever sent twice.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "system", Addr: "scheduler"})
	now = now.UTC()
	scheds, err := s.Store.Schedules(ctx)
	if err != nil {
		return errs.Wrap(err, "report scheduler: schedules")
	}
	for _, sc := range scheds {
		if sc.Cadence == Never {
			continue
		}
		p := Containing(sc.Cadence, now.In(s.zone())).Prev()
		if _, err := s.generate(ctx, p, sc); err != nil {
			return errs.Wrap(err, "report scheduler: generate "+p.String())
		}
	}
	if err := s.remind(ctx, now); err != nil {
		return errs.Wrap(err, "report scheduler: remind")
	}
	return nil
}

func (s *Service) remind(ctx context.Context, now time.Time) error {
	rs, err := s.Store.Reports(ctx, Filter{Unfiled: true})
	if err != nil {
		return err
	}
	for _, r := range rs {
		var kind, msg string
		day := r.DueAt.Format("2006-01-02")
		switch {
		case !now.Before(r.DueAt):
			kind = "report.overdue"
			msg = fmt.Sprintf("工作群“%s”%s的定期报告已逾期（截止 %s），请尽快填报。/ The %s report of group %q is overdue (due %s).",
				r.GroupName, r.Period, day, r.Period, r.GroupName, day)
		case !now.Before(r.DueAt.Add(-s.RemindBefore)):
			kind = "report.reminder"
			msg = fmt.Sprintf("工作群“%s”%s的定期报告将于 %s 截止。/ The %s report of group %q is due on %s.",
				r.GroupName, r.Period, day, r.Period, r.GroupName, day)
		default:
			continue
		}
		err := s.Tx(ctx, func(tx TxStore) error {
			sent, err := tx.Notify(ctx, &registry.Notification{Username: r.Responsible, Kind: kind, Object: reportObject(r.ID),
				Key: reportObject(r.ID) + ":" + kind, Message: msg, CreatedAt: now.Truncate(time.Microsecond)})
			if err != nil || !sent {
				return err
			}
			return tx.AppendAudit(ctx, event(ctx, now, kind, reportObject(r.ID), map[string]any{"to": r.Responsible}))
		})
		if err != nil {
			return err
		}
	}
	return nil
}
