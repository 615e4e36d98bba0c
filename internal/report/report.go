// Package report is the paperwork of the registry: the periodic report each
// group's responsible person files and signs, the self-inspection checklist it
// carries, the registration roster of all groups and each person's
// registration form, and their CSV, XLSX and PDF exports.
//
// A report's figures, checklist and remarks are about confidentiality and
// integrity only: leaks, personal data, credentials, membership and money.
// Nothing in a report asks about, counts or records anyone's opinions.
package report

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
	"charter/internal/registry"
)

// Cadences: how often a level files.
const (
	Monthly   = "monthly"
	Quarterly = "quarterly"
	Never     = "none"
)

// Report states. A report is overdue when it is not filed by its due date;
// that is a fact computed on reading, not a state.
const (
	Due   = "due"
	Draft = "draft"
	Filed = "filed"
)

// Period is one month ("2026-10") or one quarter ("2026-Q4"), in UTC.
type Period struct {
	Cadence string
	Year    int
	Index   int            // month 1-12 or quarter 1-4
	Loc     *time.Location // where the period's days begin; nil is UTC
}

// In is the same period in the organization's zone.
func (p Period) In(loc *time.Location) Period {
	p.Loc = loc
	return p
}

// ParsePeriod reads "2026-10" or "2026-Q4".
func ParsePeriod(s string) (Period, error) {
	bad := errs.Field("period", "%q is not a month (2026-10) or a quarter (2026-Q4)", s)
	y, rest, ok := strings.Cut(strings.TrimSpace(s), "-")
	year, err := strconv.Atoi(y)
	if !ok || err != nil || len(y) != 4 {
		return Period{}, bad
	}
	p := Period{Cadence: Monthly, Year: year}
	if q, isQ := strings.CutPrefix(strings.ToUpper(rest), "Q"); isQ {
		p.Cadence = Quarterly
		rest = q
	} else if len(rest) != 2 {
		return Period{}, bad
	}
	if p.Index, err = strconv.Atoi(rest); err != nil || p.Index < 1 || (p.Cadence == Monthly && p.Index > 12) || (p.Cadence == Quarterly && p.Index > 4) {
		return Period{}, bad
	}
	return p, nil
}

func (p Period) String() string {
	if p.Cadence == Quarterly {
		return fmt.Sprintf("%04d-Q%d", p.Year, p.Index)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, p.Index)
}

func (p Period) months() int {
	if p.Cadence == Quarterly {
		return 3
	}
	return 1
}

// Start is the first instant of the period.
func (p Period) Start() time.Time {
	m := p.Index
	if p.Cadence == Quarterly {
		m = 3*(p.Index-1) + 1
	}
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(p.Year, time.Month(m), 1, 0, 0, 0, 0, loc)
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Start().AddDate(0, p.months(), 0) }

// Containing is the period of cadence that t falls in, in t's zone.
func Containing(cadence string, t time.Time) Period {
	if cadence == Quarterly {
		return Period{Cadence: Quarterly, Year: t.Year(), Index: (int(t.Month())-1)/3 + 1, Loc: t.Location()}
	}
	return Period{Cadence: Monthly, Year: t.Year(), Index: int(t.Month()), Loc: t.Location()}
}

// Prev is the period before p.
func (p Period) Prev() Period { return Containing(p.Cadence, p.Start().AddDate(0, -p.months(), 0)) }

// Schedule is how often the groups of one level report and how long their
// responsible persons have after the period ends.
type Schedule struct {
	Level     registry.Level `json:"level"`
	Cadence   string         `json:"cadence"`
	DueDays   int            `json:"due_days"`
	UpdatedAt time.Time      `json:"updated_at"`
	UpdatedBy string         `json:"updated_by"`
}

// ChecklistItem is one self-inspection question, answered yes or no. Items
// are replaced, never edited, so a filed report keeps the words it answered.
type ChecklistItem struct {
	ID        int64     `json:"id"`
	TextZh    string    `json:"text_zh"`
	TextEn    string    `json:"text_en"`
	Position  int       `json:"position"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Answer is a report's copy of a checklist item with its answer.
type Answer struct {
	ItemID int64  `json:"item_id"`
	TextZh string `json:"text_zh"`
	TextEn string `json:"text_en"`
	Answer string `json:"answer"` // yes, no, or empty while unanswered
	Remark string `json:"remark"`
}

// Stats are the figures Charter fills in for a period. A pointer left nil
// means the source was not available, which the report shows as such rather
// than as a zero.
type Stats struct {
	Messages      *int                      `json:"messages"`
	ActiveMembers *int                      `json:"active_members"`
	Members       int                       `json:"members"` // at the end of the period
	Joins         int                       `json:"joins"`
	Leaves        int                       `json:"leaves"`
	Alerts        map[string]map[string]int `json:"alerts"` // category -> disposition -> count; nil when unavailable
	Transfers     *int                      `json:"transfers"`
	TransferFen   *int64                    `json:"transfer_fen"`
}

// Report is one group's periodic report.
type Report struct {
	ID              int64          `json:"id"`
	GroupID         int64          `json:"group_id"`
	GroupName       string         `json:"group_name"`
	Level           registry.Level `json:"level"`
	Responsible     string         `json:"responsible"`
	ResponsibleName string         `json:"responsible_name"`
	Period          string         `json:"period"`
	PeriodStart     time.Time      `json:"period_start"`
	PeriodEnd       time.Time      `json:"period_end"`
	DueAt           time.Time      `json:"due_at"`
	Status          string         `json:"status"`
	Overdue         bool           `json:"overdue"`
	Stats           Stats          `json:"figures"`
	Checklist       []Answer       `json:"checklist"`
	Remarks         string         `json:"remarks"`
	FiledBy         string         `json:"filed_by,omitempty"`
	FullName        string         `json:"full_name,omitempty"`
	Addr            string         `json:"addr,omitempty"`
	ContentSHA256   string         `json:"content_sha256,omitempty"`
	FiledAt         *time.Time     `json:"filed_at,omitempty"`
	// Checkpoint is the signed checkpoint made when it was filed (its
	// summary line), so the printed report anchors the chains.
	Checkpoint string    `json:"checkpoint,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Filter narrows a listing of reports; zero fields match everything.
type Filter struct {
	Responsible string
	GroupID     int64
	Period      string
	Status      string
	Unfiled     bool // due or draft
}

// Store is what reports need from storage.
type Store interface {
	Schedules(ctx context.Context) ([]Schedule, error)
	SetSchedule(ctx context.Context, s *Schedule) error

	ChecklistItems(ctx context.Context, activeOnly bool) ([]ChecklistItem, error)
	AddChecklistItem(ctx context.Context, it *ChecklistItem) error
	SetChecklistItemActive(ctx context.Context, id int64, active bool) error // NotFound for an unknown id

	// CreateReport stores r unless its group already has a report for the
	// period; it reports whether it stored it.
	CreateReport(ctx context.Context, r *Report) (bool, error)
	// UpdateReport writes status, figures, checklist, remarks and the filing fields.
	UpdateReport(ctx context.Context, r *Report) error
	Report(ctx context.Context, id int64) (*Report, error)
	Reports(ctx context.Context, f Filter) ([]Report, error) // by due date, then id
}

// Figures are the counts that live in other domains: the archive (messages,
// transfers) and review (alerts). Each answers for one group over [from, to).
// A source not wired returns ErrUnavailable and the report says so.
type Figures interface {
	MessageStats(ctx context.Context, groupID int64, from, to time.Time) (messages, activeMembers int, err error)
	TransferStats(ctx context.Context, groupID int64, from, to time.Time) (count int, totalFen int64, err error)
	AlertStats(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error)
}

// ErrUnavailable is what a figure source returns when it is not wired in.
var ErrUnavailable = errors.New("figure source not available")

// Sources assembles Figures from whichever sources are wired: a nil
// function makes its figures unavailable. Sources{} is a build without the
// archive and review.
type Sources struct {
	Messages  func(ctx context.Context, groupID int64, from, to time.Time) (messages, activeMembers int, err error)
	Transfers func(ctx context.Context, groupID int64, from, to time.Time) (count int, totalFen int64, err error)
	Alerts    func(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error)
}

func (s Sources) MessageStats(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	if s.Messages == nil {
		return 0, 0, ErrUnavailable
	}
	return s.Messages(ctx, groupID, from, to)
}

func (s Sources) TransferStats(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	if s.Transfers == nil {
		return 0, 0, ErrUnavailable
	}
	return s.Transfers(ctx, groupID, from, to)
}

func (s Sources) AlertStats(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
	if s.Alerts == nil {
		return nil, ErrUnavailable
	}
	return s.Alerts(ctx, groupID, from, to)
}

// Yuan formats an amount in fen as yuan with two decimals.
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
