package registry

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
)

// TxStore is the storage a registry transaction sees: the registry, the
// accounts it refers to, and the audit trail, committed together.
type TxStore interface {
	Store
	account.Store
	AppendAudit(ctx context.Context, e *audit.Event) error
}

// Policy is the configured timing of the registry's time-driven work.
type Policy struct {
	RemindAfter   time.Duration // an application waiting this long on a step reminds its approvers
	SignatureDays int           // a signature lapses after this many days; 0: never
	RecertMonths  map[Level]int // start a re-certification campaign every N months per level; 0: never
	RecertWindow  time.Duration // how long administrators have to answer an automatic campaign
	RecertDefault string        // keep or suspend, for groups with no answer at the deadline
	ExpiryNotices []int         // days before the term ends when the administrator is told
}

// DefaultPolicy is the policy when nothing is configured.
func DefaultPolicy() Policy {
	return Policy{RemindAfter: 48 * time.Hour, SignatureDays: 365, RecertMonths: map[Level]int{},
		RecertWindow: 14 * 24 * time.Hour, RecertDefault: Keep, ExpiryNotices: []int{30, 15, 1}}
}

// Service is the registry domain: every change goes through it, in a
// transaction, with its audit event. Methods that act for someone take the
// principal; nil stands for the operator at the command line, who may do
// and see everything (as with `charter user create`).
type Service struct {
	Store  TxStore
	Tx     func(ctx context.Context, fn func(TxStore) error) error
	Now    func() time.Time
	Policy Policy
}

// NewService wires the service.
func NewService(s TxStore, tx func(context.Context, func(TxStore) error) error, now func() time.Time, p Policy) *Service {
	return &Service{Store: s, Tx: tx, Now: now, Policy: p}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// seesAll reports whether p reads every application and group.
func seesAll(p *account.Principal) bool {
	return p == nil || p.Has(account.SecurityOfficer) || p.Has(account.Auditor) || p.Has(account.Reviewer) || p.Has(account.Admin)
}

// userOf returns the person p acts as; actions that a person answers for
// (applying, deciding, signing) cannot be done by an API token.
func userOf(p *account.Principal) (*account.User, error) {
	if p == nil || p.User == nil {
		return nil, errs.E(errs.Forbidden, "this action must be taken by a signed-in person, not a token")
	}
	return p.User, nil
}

func appObject(id int64) string   { return fmt.Sprintf("application:%d", id) }
func groupObject(id int64) string { return fmt.Sprintf("group:%d", id) }

func event(ctx context.Context, now time.Time, action, object string, summary any) *audit.Event {
	s := ""
	if summary != nil {
		s = audit.Summarize(summary)
	}
	return audit.New(ctx, now, action, object, s)
}

// ancestors lists an org unit and its parents, nearest first.
func ancestors(ctx context.Context, st account.Store, unit string) ([]string, error) {
	var out []string
	for unit != "" && len(out) < 64 {
		out = append(out, unit)
		u, err := st.OrgUnit(ctx, unit)
		if errs.Is(err, errs.NotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		unit = u.Parent
	}
	return out, nil
}

// holds reports whether u may decide a step for an application of the org
// unit whose ancestors (itself first) are units.
func holds(u *account.User, st Step, units []string) bool {
	if !u.Active {
		return false
	}
	for _, g := range u.Roles {
		if g.Role != st.Role {
			continue
		}
		if st.Role != account.Approver {
			return true
		}
		for _, unit := range units {
			if g.OrgUnit == unit {
				return true
			}
		}
	}
	return false
}

// holders lists the active users who may decide step st.
func holders(ctx context.Context, st account.Store, step Step, units []string) ([]account.User, error) {
	active := true
	us, err := st.Users(ctx, account.UserFilter{Role: step.Role, Active: &active})
	if err != nil {
		return nil, err
	}
	var out []account.User
	for _, u := range us {
		if holds(&u, step, units) {
			out = append(out, u)
		}
	}
	return out, nil
}

// notify stores a notice for username; with a key it is sent at most once.
func notify(ctx context.Context, tx Store, now time.Time, username, kind, object, key, format string, args ...any) (bool, error) {
	return tx.Notify(ctx, &Notification{Username: username, Kind: kind, Object: object, Key: key,
		Message: fmt.Sprintf(format, args...), CreatedAt: now})
}

// Notifications lists the caller's own notices, newest first.
func (s *Service) Notifications(ctx context.Context, p *account.Principal, unreadOnly bool) ([]Notification, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	return s.Store.Notifications(ctx, u.Username, unreadOnly)
}

// MarkRead marks one of the caller's notices read.
func (s *Service) MarkRead(ctx context.Context, p *account.Principal, id int64) error {
	u, err := userOf(p)
	if err != nil {
		return err
	}
	return s.Store.MarkRead(ctx, id, u.Username, s.now())
}

func actorFromContext(ctx context.Context) string { return audit.ActorFrom(ctx).Name }

// ParseRecertMonths reads "sensitive=6,internal=12" into months per level.
func ParseRecertMonths(s string) (map[Level]int, error) {
	out := map[Level]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		l, n, ok := strings.Cut(part, "=")
		months, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || months < 0 || !validLevel(Level(strings.TrimSpace(l))) {
			return nil, errs.Field("recert-months", "%q is not LEVEL=MONTHS with a level of public, internal or sensitive", part)
		}
		out[Level(strings.TrimSpace(l))] = months
	}
	return out, nil
}
