// Package detect holds Charter's detectors: pure functions from one captured
// message to findings. Nothing here stores, sends or logs anything.
//
// Scope principle: Charter governs registered work groups for leaks of
// classified material, personal data and credentials, for improper transfers
// and for registry violations. No rule, lexicon, default or test here screens
// opinions, criticism or "negative" speech; the opinions corpus under testdata
// is a test that keeps it that way.
package detect

import (
	"time"
)

// Message is the part of a captured message the detectors need.
type Message struct {
	Platform, RoomID, SenderHandle, SourceID string
	// Kind is one of text, image, file, link, transfer, red_envelope, revoke, system, other.
	Kind string
	// Text already includes text nested in forwarded records and mixed items.
	Text string
	// FileNames are attachment names; markings and personal numbers in them count.
	FileNames []string
	Transfer  *Transfer // for kind transfer / red_envelope
	SentAt    time.Time
	Group     *Group // nil when the room is bound to no registered group
	Sender    Sender
	// SenderDayTotalFen is what this sender already sent earlier the same day.
	SenderDayTotalFen int64
	// RoomMembers are display/usernames of the room's members, for transfer alerts.
	RoomMembers []string
	// Direct marks a one-to-one conversation, which is no group.
	Direct bool
	// RoomEvent is what a system message records of the room, when it is
	// one the registry rules judge: EventJoin (the sender joined) or
	// EventEncryption (the sender turned encryption on).
	RoomEvent string
}

// The room events of Message.RoomEvent.
const (
	EventJoin       = "join"
	EventEncryption = "encryption"
)

// Transfer is a red envelope or a transfer; amounts are in fen.
type Transfer struct {
	AmountFen int64
	Count     int // number of shares / recipients
	Type      string
}

// Group is the registered group a room is bound to.
type Group struct {
	ID       string
	Status   string   // approved, active, needs_signature, suspended, expired, dissolved
	Level    string   // public, internal, sensitive
	OrgUnits []string // the group's org unit and all its ancestors, by name
}

// Sender is what the registry knows about the sender's handle.
type Sender struct {
	Resolved bool // the handle maps to a known user
	Member   bool // that user is a registered member of the group
	Verified bool
	External bool
}

// Finding is one rule that fired on one message. A rule fires at most once
// per message: content rules count repeated matches in Detail["matches"]
// (transfer findings use Detail["count"] for the number of shares).
type Finding struct {
	Rule     string         `json:"rule"`
	Category string         `json:"category"`
	Severity string         `json:"severity"`
	Excerpt  string         `json:"excerpt"` // personal numbers and secrets are masked
	Key      string         `json:"key"`     // findings with the same Key update one alert
	Detail   map[string]any `json:"detail,omitempty"`
}

// Categories.
const (
	CatMarking    = "marking"
	CatPII        = "pii"
	CatCredential = "credential"
	CatLexicon    = "lexicon"
	CatTransfer   = "transfer"
	CatRegistry   = "registry"
)

// Severities, in increasing order.
const (
	SevLow      = "low"
	SevMedium   = "medium"
	SevHigh     = "high"
	SevCritical = "critical"
)

func validSeverity(s string) bool {
	switch s {
	case SevLow, SevMedium, SevHigh, SevCritical:
		return true
	}
	return false
}

// Group levels.
const (
	LevelPublic    = "public"
	LevelInternal  = "internal"
	LevelSensitive = "sensitive"
)

func validLevel(s string) bool {
	return s == LevelPublic || s == LevelInternal || s == LevelSensitive
}

// Engine is a validated, compiled configuration. It is immutable and safe for
// concurrent use.
type Engine struct {
	pol       []policy // indexed like ruleDefs
	lex       []lexRule
	ac        *automaton // all lexicon terms; nil without lexicons
	periods   []Period
	mobileMin int
}

type policy struct {
	enabled  bool
	severity string
	th       []int64 // indexed like ruleDef.thresholds
	scope    Scope
}

type lexRule struct {
	id       string
	severity string
	scope    Scope
}

// Scan runs every enabled rule on m and returns the findings, nil when none.
func (e *Engine) Scan(m *Message) []Finding {
	if m == nil {
		return nil
	}
	var out []Finding
	out = e.scanRegistry(m, out)
	if m.Group == nil {
		// A room bound to no registered group may be a personal one: Charter
		// reports that the room exists and never reads what is said in it.
		return out
	}
	out = e.scanTransfer(m, out)
	out = e.scanContent(m, out)
	return out
}

// inScope reports whether a rule with scope sc applies to group g. An empty
// scope applies to every registered group; a non-empty
// scope needs a group that matches every non-empty part.
func (sc *Scope) inScope(g *Group) bool {
	if len(sc.Levels) == 0 && len(sc.OrgUnits) == 0 {
		return true
	}
	if g == nil {
		return false
	}
	if len(sc.Levels) > 0 && !contains(sc.Levels, g.Level) {
		return false
	}
	if len(sc.OrgUnits) > 0 && !intersects(sc.OrgUnits, g.OrgUnits) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

// on returns the policy of rule r when it is enabled and in scope for m.
func (e *Engine) on(r int, m *Message) *policy {
	p := &e.pol[r]
	if !p.enabled || !p.scope.inScope(m.Group) {
		return nil
	}
	return p
}

// msgKey is the aggregation key of a rule that makes one alert per message.
func msgKey(rule string, m *Message) string {
	return rule + ":" + m.Platform + ":" + m.RoomID + ":" + m.SourceID
}
