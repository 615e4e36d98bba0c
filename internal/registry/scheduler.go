package registry

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"charter/internal/audit"
	"charter/internal/errs"
)

// Scheduler does the registry's time-driven work: reminders to approvers,
// expiry notices and expiry, lapsed signatures, campaign deadlines and
// automatic re-certification campaigns. Tick is idempotent: state changes
// happen once, and every notice carries a key so it is never sent twice.
type Scheduler struct {
	Service *Service
	Log     *slog.Logger
}

// Run calls Tick every interval until ctx ends, reading the time from now.
func (sc *Scheduler) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := sc.Tick(ctx, now()); err != nil && ctx.Err() == nil {
			sc.Log.Error("registry scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does whatever is due at now. Its audit events are by "system".
func (sc *Scheduler) Tick(ctx context.Context, now time.Time) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "system", Addr: "scheduler"})
	now = now.UTC().Truncate(time.Microsecond)
	for _, step := range []struct {
		name string
		fn   func(context.Context, time.Time) error
	}{
		{"remind approvers", sc.remind},
		{"expire groups", sc.expire},
		{"lapse signatures", sc.lapse},
		{"close campaigns", sc.closeCampaigns},
		{"start re-certification", sc.startRecerts},
	} {
		if err := step.fn(ctx, now); err != nil {
			return errs.Wrap(err, "scheduler: "+step.name)
		}
	}
	return nil
}

// remind tells the holders of a step that an application has waited on it
// longer than the policy allows, once per step of each round.
func (sc *Scheduler) remind(ctx context.Context, now time.Time) error {
	s := sc.Service
	if s.Policy.RemindAfter <= 0 {
		return nil
	}
	as, err := s.Store.Applications(ctx, ApplicationFilter{Status: Submitted})
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.StepSince == nil || now.Sub(*a.StepSince) < s.Policy.RemindAfter {
			continue
		}
		err := s.Tx(ctx, func(tx TxStore) error {
			a, err := tx.Application(ctx, a.ID) // as it is now, not as listed
			if err != nil || a.Status != Submitted {
				return err
			}
			units, err := ancestors(ctx, tx, a.OrgUnit)
			if err != nil {
				return err
			}
			hs, err := holders(ctx, tx, a.Steps[a.Step], units)
			if err != nil {
				return err
			}
			key := fmt.Sprintf("remind:%d:%d:%d", a.ID, a.Round, a.Step)
			var sent []string
			for _, h := range hs {
				if h.Username == a.Applicant {
					continue
				}
				ok, err := notify(ctx, tx, now, h.Username, "application.reminder", appObject(a.ID), key,
					"Reminder: application %d %q has waited since %s for your decision (step %d of %d).",
					a.ID, a.Name, a.StepSince.Format("2006-01-02 15:04 MST"), a.Step+1, len(a.Steps))
				if err != nil {
					return err
				}
				if ok {
					sent = append(sent, h.Username)
				}
			}
			if len(sent) == 0 {
				return nil
			}
			return tx.AppendAudit(ctx, event(ctx, now, "application.remind", appObject(a.ID), map[string]any{"step": a.Step + 1, "to": sent}))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// expire sends the notice of the nearest threshold the term end has come
// within (30, 15, 1 days), and ends the term when it is over.
func (sc *Scheduler) expire(ctx context.Context, now time.Time) error {
	s := sc.Service
	gs, err := s.Store.Groups(ctx, GroupFilter{})
	if err != nil {
		return err
	}
	days := append([]int(nil), s.Policy.ExpiryNotices...)
	sort.Ints(days)
	for _, g := range gs {
		if g.Status == GroupExpired || g.Status == GroupDissolved {
			continue
		}
		err := s.Tx(ctx, func(tx TxStore) error {
			g, err := tx.Group(ctx, g.ID) // as it is now, not as listed
			if err != nil || g.Status == GroupExpired || g.Status == GroupDissolved {
				return err
			}
			if !now.Before(g.ExpiresAt) {
				from := g.Status
				g.Status, g.UpdatedAt = GroupExpired, now
				if err := tx.UpdateGroup(ctx, g); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, event(ctx, now, "group.expire", groupObject(g.ID), map[string]any{"from": from, "expires_at": g.ExpiresAt})); err != nil {
					return err
				}
				_, err := notify(ctx, tx, now, g.Responsible, "group.expired", groupObject(g.ID), "",
					"The term of group %d %q ended on %s; it is expired. Apply for a new term to renew it, or dissolve it.", g.ID, g.Name, g.ExpiresAt.Format("2006-01-02"))
				return err
			}
			for _, d := range days {
				if now.Before(g.ExpiresAt.AddDate(0, 0, -d)) {
					continue
				}
				key := fmt.Sprintf("expiry:%d:%d:%d", g.ID, g.ExpiresAt.Unix(), d)
				ok, err := notify(ctx, tx, now, g.Responsible, "group.expiry_notice", groupObject(g.ID), key,
					"The term of group %d %q ends on %s, in %d day(s) or less. Apply for a new term if it is still needed.", g.ID, g.Name, g.ExpiresAt.Format("2006-01-02"), d)
				if err != nil || !ok {
					return err
				}
				return tx.AppendAudit(ctx, event(ctx, now, "group.expiry_notice", groupObject(g.ID), map[string]any{"days": d, "expires_at": g.ExpiresAt}))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// lapse moves active groups whose signature is older than the policy allows
// to needs_signature.
func (sc *Scheduler) lapse(ctx context.Context, now time.Time) error {
	s := sc.Service
	if s.Policy.SignatureDays <= 0 {
		return nil
	}
	gs, err := s.Store.Groups(ctx, GroupFilter{Status: GroupActive})
	if err != nil {
		return err
	}
	for _, g := range gs {
		if err := s.Tx(ctx, func(tx TxStore) error {
			g, err := tx.Group(ctx, g.ID)
			if err != nil {
				return err
			}
			return s.settle(ctx, tx, g, now, fmt.Sprintf("the signature is older than %d days", s.Policy.SignatureDays))
		}); err != nil {
			return err
		}
	}
	return nil
}

// closeCampaigns closes campaigns past their deadline and applies the
// default decision to groups nobody answered for.
func (sc *Scheduler) closeCampaigns(ctx context.Context, now time.Time) error {
	s := sc.Service
	cs, err := s.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ClosedAt != nil || now.Before(c.Deadline) {
			continue
		}
		err := s.Tx(ctx, func(tx TxStore) error {
			c, err := tx.Campaign(ctx, c.ID)
			if err != nil || c.ClosedAt != nil {
				return err
			}
			rs, err := tx.Recerts(ctx, c.ID)
			if err != nil {
				return err
			}
			defaulted := 0
			for i := range rs {
				r := &rs[i]
				if r.Decision != "" {
					continue
				}
				r.Decision, r.Defaulted, r.AnsweredBy, r.AnsweredAt = c.DefaultDecision, true, "system", &now
				if err := tx.UpdateRecert(ctx, r); err != nil {
					return err
				}
				defaulted++
				if err := tx.AppendAudit(ctx, event(ctx, now, "group.recertify", groupObject(r.GroupID), map[string]any{
					"campaign": c.ID, "decision": c.DefaultDecision, "defaulted": true})); err != nil {
					return err
				}
				if c.DefaultDecision != Suspend {
					continue
				}
				g, err := tx.Group(ctx, r.GroupID)
				if err != nil {
					return err
				}
				if g.Status == GroupDissolved || g.Status == GroupExpired || g.Status == GroupSuspended {
					continue
				}
				from := g.Status
				g.Status, g.UpdatedAt = GroupSuspended, now
				if err := tx.UpdateGroup(ctx, g); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, event(ctx, now, "group.status", groupObject(g.ID), map[string]any{
					"from": from, "to": GroupSuspended, "reason": fmt.Sprintf("no answer to re-certification campaign %d", c.ID)})); err != nil {
					return err
				}
				if _, err := notify(ctx, tx, now, g.Responsible, "group.suspended", groupObject(g.ID), "",
					"Group %d %q is suspended: it was not re-certified by %s.", g.ID, g.Name, c.Deadline.Format("2006-01-02")); err != nil {
					return err
				}
			}
			if err := tx.CloseCampaign(ctx, c.ID, now); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, event(ctx, now, "campaign.close", fmt.Sprintf("campaign:%d", c.ID), map[string]any{"defaulted": defaulted}))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// startRecerts opens a re-certification campaign for a level when the
// policy asks for one every N months and the last one (or, before the
// first, the oldest live group of the level) is that old.
func (sc *Scheduler) startRecerts(ctx context.Context, now time.Time) error {
	s := sc.Service
	if len(s.Policy.RecertMonths) == 0 {
		return nil
	}
	cs, err := s.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	for _, l := range Levels {
		months := s.Policy.RecertMonths[l]
		if months <= 0 {
			continue
		}
		var since time.Time
		for _, c := range cs { // newest first
			if c.Kind == Recertification && c.Level == l {
				since = c.CreatedAt
				break
			}
		}
		if since.IsZero() {
			gs, err := s.Store.Groups(ctx, GroupFilter{Level: l})
			if err != nil {
				return err
			}
			for _, g := range gs {
				live := g.Status == GroupApproved || g.Status == GroupActive || g.Status == GroupNeedsSignature
				if live && (since.IsZero() || g.CreatedAt.Before(since)) {
					since = g.CreatedAt
				}
			}
		}
		if since.IsZero() || now.Before(since.AddDate(0, months, 0)) {
			continue
		}
		c := &Campaign{Kind: Recertification, Level: l, Title: fmt.Sprintf("re-certification %s %s", l, now.Format("2006-01")),
			Deadline: now.Add(s.Policy.RecertWindow), DefaultDecision: s.Policy.RecertDefault, CreatedBy: "system", CreatedAt: now}
		if err := s.Tx(ctx, func(tx TxStore) error { return s.startCampaign(ctx, tx, c) }); err != nil {
			return err
		}
	}
	return nil
}
