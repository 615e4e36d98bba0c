// Package review turns detector findings into alerts and carries them through
// triage: claim, resolve with a disposition, escalate into cases. It also keeps
// the detection policy (rules, lexicons, sensitive periods) that security
// officers edit, and swaps the compiled engine when it changes.
//
// Scope principle: review handles only findings of the detectors in
// internal/detect, which watch registered work groups for leaks, personal
// data, credentials, improper transfers and registry violations. Nothing here
// screens opinions; a lexicon that would flag ordinary opinion messages is
// refused (see scopeguard.go).
package review

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/detect"
)

// Alert statuses.
const (
	StatusOpen     = "open"
	StatusClaimed  = "claimed"
	StatusResolved = "resolved"
)

// Dispositions a reviewer resolves an alert with.
const (
	FalsePositive = "false_positive"
	NoAction      = "no_action"
	Reminded      = "reminded"
	Escalated     = "escalated"
)

func validDisposition(d string) bool {
	switch d {
	case FalsePositive, NoAction, Reminded, Escalated:
		return true
	}
	return false
}

// Alert is one or more findings sharing an aggregation key. While an alert is
// not resolved, every further finding with its key updates it (count,
// last_seen, source_ids) instead of making a new one; after it is resolved,
// the next finding opens a new alert.
type Alert struct {
	ID       int64          `json:"id"`
	Key      string         `json:"-"`
	Rule     string         `json:"rule"`
	Category string         `json:"category"`
	Severity string         `json:"severity"`
	Status   string         `json:"status"`
	GroupID  *int64         `json:"group_id"`
	Platform string         `json:"platform"`
	RoomID   string         `json:"room_id"`
	Excerpt  string         `json:"excerpt"` // masked by the detector; the latest finding's
	Detail   map[string]any `json:"detail"`
	Count    int64          `json:"count"`
	// SourceIDs are the platform message ids, oldest first; at most
	// MaxListedSources of the newest are listed, Count has them all.
	SourceIDs  []string   `json:"source_ids"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Assignee   string     `json:"assignee"`
	ClaimedAt  *time.Time `json:"claimed_at,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	// Disposition and Note are set when resolved.
	Disposition string `json:"disposition,omitempty"`
	Note        string `json:"note,omitempty"`
	CaseID      *int64 `json:"case_id,omitempty"`
	// Actions are what was done on the platform about the alert (read
	// with one alert, not in listings).
	Actions []AlertAction `json:"actions,omitempty"`
}

// AlertAction is one thing a connector did about an alert on its platform:
// a server notice to a member, a room closed. Result is "ok" or why not.
type AlertAction struct {
	AlertID int64     `json:"alert_id"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Actor   string    `json:"actor"`
	Result  string    `json:"result"`
	At      time.Time `json:"at"`
}

// MaxListedSources bounds the source ids an alert lists: an unregistered room
// may post thousands of messages into one alert.
const MaxListedSources = 100

// Source is one message that contributed to an alert.
type Source struct {
	AlertID   int64     `json:"alert_id"`
	Platform  string    `json:"platform"`
	RoomID    string    `json:"room_id"`
	SourceID  string    `json:"source_id"`
	ArchiveID int64     `json:"archive_id"`
	SentAt    time.Time `json:"sent_at"`
}

// AlertFilter narrows an alert listing; zero fields match everything.
type AlertFilter struct {
	Status, Category, Severity, Rule string
	Platform, RoomID                 string
	GroupID                          int64
	Before                           int64 // page: alerts with ID < Before
	Limit                            int
}

// Case gathers escalated alerts for an investigation.
type Case struct {
	ID         int64      `json:"id"`
	Title      string     `json:"title"`
	Status     string     `json:"status"` // open, closed
	Assignee   string     `json:"assignee"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
	// Filled by CaseDetail.
	Alerts   []Alert  `json:"alerts,omitempty"`
	Notes    []Note   `json:"notes,omitempty"`
	Messages []Source `json:"messages,omitempty"` // references, never content
}

// Case statuses.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Note is a reviewer's remark on a case.
type Note struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// CaseFilter narrows a case listing.
type CaseFilter struct {
	Status   string
	Assignee string
	Before   int64
	Limit    int
}

// Store is what review needs from storage.
type Store interface {
	// RecordFinding adds one message's finding to the unresolved alert with
	// a.Key, or creates that alert. A source already recorded for the alert
	// (a batch delivered twice) changes nothing. On return a.ID is set;
	// created says a new alert was made, counted that the count moved.
	RecordFinding(ctx context.Context, a *Alert, src Source) (created, counted bool, err error)
	// RecordFindings records a batch of findings sorted by key, as
	// RecordFinding would one by one, and returns the alerts it created
	// and how many findings moved an existing alert.
	RecordFindings(ctx context.Context, fs []Finding) (created []Alert, updated int, err error)
	Alert(ctx context.Context, id int64) (*Alert, error)
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// UpdateAlertReview stores status, assignee, claimed/resolved fields, disposition, note and case id.
	UpdateAlertReview(ctx context.Context, a *Alert) error
	AlertSources(ctx context.Context, alertID int64, limit int) ([]Source, error)
	// AddAlertAction records an action once per alert, action and target;
	// it reports whether it stored it.
	AddAlertAction(ctx context.Context, x *AlertAction) (bool, error)
	AlertActions(ctx context.Context, alertID int64) ([]AlertAction, error)
	// AlertFigures counts a group's alerts first seen in [from, to) by
	// category and disposition (status while unresolved).
	AlertFigures(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error)

	CreateCase(ctx context.Context, c *Case) error
	UpdateCase(ctx context.Context, c *Case) error // status, assignee, updated_at, closed_at, resolution
	Case(ctx context.Context, id int64) (*Case, error)
	Cases(ctx context.Context, f CaseFilter) ([]Case, error)
	AddNote(ctx context.Context, n *Note) error
	Notes(ctx context.Context, caseID int64) ([]Note, error)
	CaseAlerts(ctx context.Context, caseID int64) ([]Alert, error)

	// DetectionConfig returns the stored policy and its version (0 and the
	// zero Config when none was ever saved).
	DetectionConfig(ctx context.Context) (detect.Config, int64, error)
	// SaveDetectionConfig stores cfg as version prev+1; another writer having
	// saved since prev is a Conflict.
	SaveDetectionConfig(ctx context.Context, cfg detect.Config, prev int64, at time.Time, by string) error
}

// TxStore is what a review transaction sees: review storage, the audit trail
// (so a change and its event commit together) and users (to check assignees).
type TxStore interface {
	Store
	AppendAudit(ctx context.Context, e *audit.Event) error
	User(ctx context.Context, username string) (*account.User, error)
}

// Tx runs fn in one transaction.
type Tx func(ctx context.Context, fn func(TxStore) error) error
