package archive

import (
	"context"
	"strings"
	"time"

	"charter/internal/audit"
	"charter/internal/errs"
)

// Retention is how long messages are kept, by the confidentiality level of
// their group.
type Retention struct {
	Sensitive time.Duration
	Internal  time.Duration
	Public    time.Duration
	// Unregistered applies to messages of rooms that are not registered work
	// groups (captured by a corp-wide WeCom archive). Charter does not watch
	// unregistered groups: it keeps them only long enough for the registry
	// alert to be handled (register the group, or let it go).
	Unregistered time.Duration
}

const day = 24 * time.Hour

// DefaultRetention: sensitive 10 years, internal 3 years, public 1 year,
// unregistered rooms 180 days.
func DefaultRetention() Retention {
	return Retention{Sensitive: 3653 * day, Internal: 1096 * day, Public: 366 * day, Unregistered: 180 * day}
}

// For returns the period for a level; an unknown level gets the longest
// (sensitive), so a missing registry answer never purges early.
func (r Retention) For(level string, registered bool) time.Duration {
	if !registered {
		return r.Unregistered
	}
	switch level {
	case "public":
		return r.Public
	case "internal":
		return r.Internal
	}
	return r.Sensitive
}

func (r Retention) shortest() time.Duration {
	return min(r.Sensitive, r.Internal, r.Public, r.Unregistered)
}

// LegalHold keeps messages from being purged. Every field set must match
// (group, user, time range); at least one must be set.
type LegalHold struct {
	ID         int64      `json:"id"`
	GroupID    int64      `json:"group_id,omitempty"`
	User       string     `json:"user,omitempty"` // resolved username or platform sender handle
	From       *time.Time `json:"from,omitempty"`
	To         *time.Time `json:"to,omitempty"`
	Reason     string     `json:"reason"`
	PlacedBy   string     `json:"placed_by"`
	PlacedAt   time.Time  `json:"placed_at"`
	ReleasedBy string     `json:"released_by,omitempty"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

// Covers reports whether the hold protects m.
func (h *LegalHold) Covers(m *Stored) bool {
	if h.ReleasedAt != nil {
		return false
	}
	if h.GroupID != 0 && m.GroupID != h.GroupID {
		return false
	}
	if h.User != "" && m.User != h.User && m.Sender != h.User {
		return false
	}
	if h.From != nil && m.SentAt.Before(*h.From) {
		return false
	}
	if h.To != nil && !m.SentAt.Before(*h.To) {
		return false
	}
	return true
}

// PlaceHold puts a legal hold in place.
func (s *Service) PlaceHold(ctx context.Context, h LegalHold) (*LegalHold, error) {
	h.User = strings.TrimSpace(h.User)
	h.Reason = strings.TrimSpace(h.Reason)
	switch {
	case h.GroupID == 0 && h.User == "" && h.From == nil && h.To == nil:
		return nil, errs.Field("group_id", "a hold names a group, a user or a time range")
	case h.GroupID < 0:
		return nil, errs.Field("group_id", "must be positive")
	case h.Reason == "":
		return nil, errs.Field("reason", "required")
	case h.From != nil && h.To != nil && !h.To.After(*h.From):
		return nil, errs.Field("to", "must be after from")
	}
	if h.GroupID != 0 {
		ok, err := s.Groups.GroupExists(ctx, h.GroupID)
		if err != nil {
			return nil, errs.Wrap(err, "check group")
		}
		if !ok {
			return nil, errs.Field("group_id", "group %d does not exist", h.GroupID)
		}
	}
	if h.From != nil {
		t := h.From.UTC().Truncate(time.Microsecond)
		h.From = &t
	}
	if h.To != nil {
		t := h.To.UTC().Truncate(time.Microsecond)
		h.To = &t
	}
	h.ID, h.ReleasedAt, h.ReleasedBy = 0, nil, ""
	h.PlacedBy = audit.ActorFrom(ctx).Name
	h.PlacedAt = s.Now().UTC().Truncate(time.Microsecond)
	err := s.Tx(ctx, func(tx TxStore) error {
		if err := tx.CreateLegalHold(ctx, &h); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "legal_hold.place", "legal_hold:"+itoa(h.ID),
			audit.Summarize(map[string]any{"group_id": h.GroupID, "user": h.User, "from": h.From, "to": h.To, "reason": h.Reason})))
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// Holds lists legal holds, newest first.
func (s *Service) Holds(ctx context.Context, activeOnly bool) ([]LegalHold, error) {
	return s.Store.LegalHolds(ctx, activeOnly)
}

// ReleaseHold ends a legal hold; it stays listed.
func (s *Service) ReleaseHold(ctx context.Context, id int64) (*LegalHold, error) {
	var out *LegalHold
	err := s.Tx(ctx, func(tx TxStore) error {
		hs, err := tx.LegalHolds(ctx, false)
		if err != nil {
			return err
		}
		for i := range hs {
			if hs[i].ID != id {
				continue
			}
			if hs[i].ReleasedAt != nil {
				return errs.E(errs.Conflict, "legal hold %d is already released", id)
			}
			now := s.Now().UTC().Truncate(time.Microsecond)
			by := audit.ActorFrom(ctx).Name
			if err := tx.ReleaseLegalHold(ctx, id, now, by); err != nil {
				return err
			}
			hs[i].ReleasedAt, hs[i].ReleasedBy = &now, by
			out = &hs[i]
			return tx.AppendAudit(ctx, audit.New(ctx, now, "legal_hold.release", "legal_hold:"+itoa(id), ""))
		}
		return errs.E(errs.NotFound, "legal hold %d not found", id)
	})
	return out, err
}

// PurgeResult counts what a purge did.
type PurgeResult struct {
	Tombstoned int `json:"tombstoned"`
	Held       int `json:"held"`
	// Quarantined counts quarantine items deleted: their bytes may be
	// anyone's messages, so they are kept no longer than unregistered rooms'.
	Quarantined int `json:"quarantined"`
}

// Purge tombstones every message past its retention that no legal hold
// covers: content and raw record are dropped, hashes kept, so `charter
// verify` still passes. Each chunk is one transaction with its audit event.
func (s *Service) Purge(ctx context.Context) (*PurgeResult, error) {
	now := s.Now().UTC()
	res := &PurgeResult{}
	qBefore := now.Add(-s.Retention.Unregistered)
	err := s.Tx(ctx, func(tx TxStore) error {
		n, err := tx.PurgeQuarantine(ctx, qBefore)
		if err != nil || n == 0 {
			return err
		}
		res.Quarantined = n
		return tx.AppendAudit(ctx, audit.New(ctx, now, "quarantine.purge", "quarantine",
			audit.Summarize(map[string]any{"deleted": n, "received_before": qBefore})))
	})
	if err != nil {
		return res, errs.Wrap(err, "purge quarantine")
	}
	before := now.Add(-s.Retention.shortest())
	levels := map[int64]string{}
	level := func(g int64) (string, error) {
		if l, ok := levels[g]; ok {
			return l, nil
		}
		l, ok, err := s.Groups.GroupLevel(ctx, g)
		if err != nil {
			return "", errs.Wrap(err, "group level")
		}
		if !ok {
			l = "sensitive"
		}
		levels[g] = l
		return l, nil
	}
	var after int64
	for {
		cands, err := s.Store.PurgeCandidates(ctx, before, after, 1000)
		if err != nil {
			return res, errs.Wrap(err, "purge candidates")
		}
		if len(cands) == 0 {
			return res, nil
		}
		after = cands[len(cands)-1].ID
		var due []*Stored
		for i := range cands {
			m := &cands[i]
			l := ""
			if m.GroupID != 0 {
				if l, err = level(m.GroupID); err != nil {
					return res, err
				}
			}
			if m.SentAt.Before(now.Add(-s.Retention.For(l, m.GroupID != 0))) {
				due = append(due, m)
			}
		}
		if len(due) == 0 {
			continue
		}
		err = s.Tx(ctx, func(tx TxStore) error {
			// Holds are read inside the transaction, so one placed while the
			// purge runs is honoured.
			holds, err := tx.LegalHolds(ctx, true)
			if err != nil {
				return err
			}
			var ids []int64
			held := 0
			for _, m := range due {
				covered := false
				for i := range holds {
					covered = covered || holds[i].Covers(m)
				}
				if covered {
					held++
				} else {
					ids = append(ids, m.ID)
				}
			}
			res.Held += held
			if len(ids) == 0 {
				return nil
			}
			if err := tx.Tombstone(ctx, ids, now); err != nil {
				return err
			}
			res.Tombstoned += len(ids)
			return tx.AppendAudit(ctx, audit.New(ctx, now, "archive.purge", "archive",
				audit.Summarize(map[string]any{"tombstoned": len(ids), "first_id": ids[0], "last_id": ids[len(ids)-1], "held": held})))
		})
		if err != nil {
			return res, err
		}
	}
}
