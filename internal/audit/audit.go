// Package audit is the tamper-evident trail of who did what. Each event carries
// the SHA-256 of its predecessor, so altering or removing a row breaks the chain
// at that row, and the stored head catches a removal at the end.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"charter/internal/errs"
)

// Event is one audited action.
type Event struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`  // username, "token:NAME", or "system"
	Action   string    `json:"action"` // e.g. "user.create", "login.fail", "message.read"
	Object   string    `json:"object"` // e.g. "user:alice"
	Summary  string    `json:"summary"`
	Addr     string    `json:"addr"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Filter narrows a listing. Zero fields match everything.
type Filter struct {
	Actor, Action, Object string
	From, To              time.Time
	Before                int64 // page: events with Seq < Before
	Limit                 int
}

// Store keeps the trail. AppendAudit runs inside the caller's transaction, so
// an action and its event are committed together or not at all.
type Store interface {
	AppendAudit(ctx context.Context, e *Event) error
	AuditEvents(ctx context.Context, f Filter) ([]Event, error)
	WalkAudit(ctx context.Context, fn func(*Event) error) error
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
}

// Reader is who asks to read the trail. Every domain writes its events
// here, so this package sits beneath account and cannot name its roles: the
// caller answers for itself (*account.Principal does).
type Reader interface{ ReadsAudit() bool }

// Service reads the trail for a caller.
type Service struct {
	Store interface {
		AuditEvents(ctx context.Context, f Filter) ([]Event, error)
	}
}

// Events pages through the trail newest first for a reader who may read
// it; a nil reader is the operator at the command line.
func (s *Service) Events(ctx context.Context, r Reader, f Filter) ([]Event, error) {
	if r != nil && !r.ReadsAudit() {
		return nil, errs.E(errs.Forbidden, "your role may not read the audit trail")
	}
	return s.Store.AuditEvents(ctx, f)
}

// Actor is who acts in a request; it travels in the context.
type Actor struct {
	Name string
	Addr string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or "system" when none is set (CLI, scheduler).
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "system"}
}

// New makes an event for the actor in ctx at now.
func New(ctx context.Context, now time.Time, action, object, summary string) *Event {
	a := ActorFrom(ctx)
	return &Event{At: now, Actor: a.Name, Addr: a.Addr, Action: action, Object: object, Summary: summary}
}

// Summarize renders a change as compact JSON for the summary field.
func Summarize(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Seal sets the event's place in the chain after (prevSeq, prevHash). Times
// are cut to microseconds first, because PostgreSQL keeps no more.
func Seal(e *Event, prevSeq int64, prevHash string) {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Hash = hashOf(e)
}

func hashOf(e *Event) string {
	// A JSON array is an unambiguous encoding of the fields: no separator can be forged.
	b, _ := json.Marshal([]any{e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Object, e.Summary, e.Addr, e.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// BrokenLink names the first place where the chain does not hold.
type BrokenLink struct {
	Chain  string
	Seq    int64
	Reason string
}

func (b *BrokenLink) Error() string {
	return fmt.Sprintf("%s chain broken at seq %d: %s", b.Chain, b.Seq, b.Reason)
}

// Verify walks the whole trail and returns a *BrokenLink at the first row
// that was altered, removed or inserted, and the number of events checked.
func Verify(ctx context.Context, s Store) (int64, error) {
	headSeq, headHash, err := s.AuditHead(ctx)
	if err != nil {
		return 0, err
	}
	var prevSeq int64
	prevHash := ""
	err = s.WalkAudit(ctx, func(e *Event) error {
		switch {
		case e.Seq != prevSeq+1:
			return &BrokenLink{"audit", prevSeq + 1, fmt.Sprintf("event missing (next stored is %d)", e.Seq)}
		case e.PrevHash != prevHash:
			return &BrokenLink{"audit", e.Seq, "previous-hash link does not match"}
		case hashOf(e) != e.Hash:
			return &BrokenLink{"audit", e.Seq, "content does not match its hash (altered)"}
		}
		prevSeq, prevHash = e.Seq, e.Hash
		return nil
	})
	if err != nil {
		return prevSeq, err
	}
	if prevSeq != headSeq || prevHash != headHash {
		return prevSeq, &BrokenLink{"audit", prevSeq + 1, fmt.Sprintf("chain ends at %d but the head records %d (events removed at the end)", prevSeq, headSeq)}
	}
	return prevSeq, nil
}
