package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/errs"
	"charter/internal/registry"
)

// TxStore is the storage a report transaction sees: reports, what they read
// of the registry and accounts they describe, and the audit trail,
// committed together.
type TxStore interface {
	Store
	RegistryStore
	checkpoint.Store
	AppendAudit(ctx context.Context, e *audit.Event) error
}

// RegistryStore is the little reports read of the registry's and accounts'
// storage: the groups a report covers, their members and responsible
// people, and the notices it sends them.
type RegistryStore interface {
	Groups(ctx context.Context, f registry.GroupFilter) ([]registry.Group, error)
	Members(ctx context.Context, groupID int64, withPast bool) ([]registry.Member, error)
	Notify(ctx context.Context, n *registry.Notification) (bool, error)
	User(ctx context.Context, username string) (*account.User, error)
}

// Service is the report domain. Methods that act for someone take the
// principal; nil stands for the operator at the command line, who may see
// everything but cannot sign for anyone.
type Service struct {
	Store    TxStore
	Tx       func(ctx context.Context, fn func(TxStore) error) error
	Now      func() time.Time
	Registry *registry.Service // the roster is the registry's listing
	Figures  Figures
	// RemindBefore is how long before the due date the responsible person
	// gets a second reminder.
	RemindBefore time.Duration
	// Getenv finds the PDF fonts (CHARTER_PDF_FONT); nil reads the process environment.
	Getenv func(string) string
	// Zone is where the organization's months begin; nil is UTC.
	Zone *time.Location
	// Checkpoints signs the chain heads when a report is filed, and the
	// report prints the checkpoint; nil: reports carry none.
	Checkpoints *checkpoint.Service
}

func (s *Service) zone() *time.Location {
	if s.Zone == nil {
		return time.UTC
	}
	return s.Zone
}

// NewService wires the service; figures may be nil (nothing wired).
func NewService(s TxStore, tx func(context.Context, func(TxStore) error) error, now func() time.Time, reg *registry.Service, figures Figures) *Service {
	if figures == nil {
		figures = Sources{}
	}
	return &Service{Store: s, Tx: tx, Now: now, Registry: reg, Figures: figures, RemindBefore: 3 * 24 * time.Hour}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// seesAll reports whether p reads every report and registration form:
// security officers, who answer for the programme, and auditors. Admins run
// the system and its accounts; what groups file is not theirs to read.
func seesAll(p *account.Principal) bool {
	return p == nil || p.Has(account.SecurityOfficer) || p.Has(account.Auditor)
}

// SeesAll is seesAll for the console, which shows the lists of everyone's
// reports and forms only to those the service would show them to.
func SeesAll(p *account.Principal) bool { return seesAll(p) }

func reportObject(id int64) string { return fmt.Sprintf("report:%d", id) }

func event(ctx context.Context, now time.Time, action, object string, summary any) *audit.Event {
	s := ""
	if summary != nil {
		s = audit.Summarize(summary)
	}
	return audit.New(ctx, now, action, object, s)
}

// withOverdue marks r overdue when it is unfiled past its due date.
func withOverdue(r *Report, now time.Time) *Report {
	r.Overdue = r.Status != Filed && !now.Before(r.DueAt)
	return r
}

// Show returns one report to its group's responsible person or to whoever sees all.
func (s *Service) Show(ctx context.Context, p *account.Principal, id int64) (*Report, error) {
	r, err := s.Store.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	// A report of someone else's group is, to its reader, no report at all.
	if !seesAll(p) && (p.User == nil || p.User.Username != r.Responsible) {
		return nil, errs.E(errs.NotFound, "report %d not found", id)
	}
	if r.Status == Filed {
		c, err := s.Store.CheckpointFor(ctx, filedReason(id))
		if err != nil {
			return nil, err
		}
		if c != nil {
			r.Checkpoint = c.Summary()
		}
	}
	return withOverdue(r, s.now()), nil
}

// DailyMessages counts a group's archived messages on each day that starts
// at days[i] and ends a calendar day later in its zone. Counts only, no
// content: every reader of the group (registry.Service.Group decides) sees
// them, and nothing is audited.
func (s *Service) DailyMessages(ctx context.Context, p *account.Principal, groupID int64, days []time.Time) ([]int, error) {
	if _, err := s.Registry.Group(ctx, p, groupID); err != nil {
		return nil, err
	}
	out := make([]int, len(days))
	for i, day := range days {
		n, _, err := s.Figures.MessageStats(ctx, groupID, day, day.AddDate(0, 0, 1))
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// filedReason names the checkpoint made when report id was filed.
func filedReason(id int64) string { return "report.file:" + strconv.FormatInt(id, 10) }

// List lists reports: a person sees their own groups' reports, security
// officers and auditors see all.
func (s *Service) List(ctx context.Context, p *account.Principal, f Filter) ([]Report, error) {
	switch f.Status {
	case "", Due, Draft, Filed:
	default:
		return nil, errs.Field("status", "%q is not one of due, draft, filed", f.Status)
	}
	if f.Period != "" {
		if _, err := ParsePeriod(f.Period); err != nil {
			return nil, err
		}
	}
	if !seesAll(p) {
		if p.User == nil {
			return []Report{}, nil
		}
		f.Responsible = p.User.Username
	}
	rs, err := s.Store.Reports(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range rs {
		withOverdue(&rs[i], now)
	}
	return rs, nil
}

// Overdue lists the unfiled reports past their due date, oldest first.
func (s *Service) Overdue(ctx context.Context, p *account.Principal) ([]Report, error) {
	if !seesAll(p) {
		return nil, errs.E(errs.Forbidden, "only security officers and auditors see the overdue list")
	}
	rs, err := s.List(ctx, p, Filter{Unfiled: true})
	if err != nil {
		return nil, err
	}
	out := []Report{}
	for _, r := range rs {
		if r.Overdue {
			out = append(out, r)
		}
	}
	return out, nil
}

// Generate creates the reports of a period ("2026-10" or "2026-Q4") for
// every group whose level files at that cadence. It is idempotent: a group
// that has its report for the period is left alone.
func (s *Service) Generate(ctx context.Context, period string) ([]Report, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	p = p.In(s.zone())
	scheds, err := s.Store.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	var out []Report
	var failed FailedGroups
	for _, sc := range scheds {
		if sc.Cadence != p.Cadence {
			continue
		}
		rs, err := s.generate(ctx, p, sc)
		var fg FailedGroups
		if errors.As(err, &fg) {
			failed = append(failed, fg...)
		} else if err != nil {
			return out, err
		}
		out = append(out, rs...)
	}
	if len(failed) > 0 {
		return out, failed
	}
	return out, nil
}

// GroupFailure is a group whose report could not be made, and why.
type GroupFailure struct {
	GroupID int64  `json:"group_id"`
	Group   string `json:"group"`
	Reason  string `json:"reason"`
}

// FailedGroups is what Generate returns when some groups failed: the
// reports of the other groups are created and returned beside it.
type FailedGroups []GroupFailure

func (f FailedGroups) Error() string {
	parts := make([]string, len(f))
	for i, g := range f {
		parts[i] = fmt.Sprintf("group %d (%s): %s", g.GroupID, g.Group, g.Reason)
	}
	return fmt.Sprintf("the reports of %d groups could not be made: %s", len(f), strings.Join(parts, "; "))
}

// generate creates the reports of period p for the groups of one level that
// existed during it, and tells their responsible persons. Each group is on
// its own: one that fails is named in a FailedGroups error and the others'
// reports are still made.
func (s *Service) generate(ctx context.Context, p Period, sc Schedule) ([]Report, error) {
	groups, err := s.Store.Groups(ctx, registry.GroupFilter{Level: sc.Level})
	if err != nil {
		return nil, err
	}
	var out []Report
	var failed FailedGroups
	for _, g := range groups {
		if g.Status == registry.GroupDissolved || !g.EstablishedAt.Before(p.End()) ||
			(g.Status == registry.GroupExpired && g.ExpiresAt.Before(p.Start())) {
			continue
		}
		err := s.Tx(ctx, func(tx TxStore) error {
			items, err := tx.ChecklistItems(ctx, true)
			if err != nil {
				return err
			}
			now := s.now()
			r := &Report{GroupID: g.ID, Period: p.String(), PeriodStart: p.Start(), PeriodEnd: p.End(),
				DueAt: p.End().AddDate(0, 0, sc.DueDays), Status: Due, Checklist: []Answer{}, CreatedAt: now, UpdatedAt: now}
			for _, it := range items {
				r.Checklist = append(r.Checklist, Answer{ItemID: it.ID, TextZh: it.TextZh, TextEn: it.TextEn})
			}
			if r.Stats, err = s.stats(ctx, tx, g.ID, p.Start(), p.End()); err != nil {
				return err
			}
			created, err := tx.CreateReport(ctx, r)
			if err != nil || !created {
				return err
			}
			if _, err := tx.Notify(ctx, &registry.Notification{Username: g.Responsible, Kind: "report.due", Object: reportObject(r.ID),
				Key: reportObject(r.ID) + ":due", CreatedAt: now,
				Message: fmt.Sprintf("请填报工作群“%s”%s的定期报告，截止 %s。/ The %s report of group %q is due on %s.",
					g.Name, r.Period, r.DueAt.Format("2006-01-02"), r.Period, g.Name, r.DueAt.Format("2006-01-02"))}); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, event(ctx, now, "report.create", reportObject(r.ID),
				map[string]any{"group_id": g.ID, "period": r.Period, "due_at": r.DueAt})); err != nil {
				return err
			}
			r.GroupName, r.Level, r.Responsible = g.Name, g.Level, g.Responsible
			out = append(out, *r)
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			failed = append(failed, GroupFailure{GroupID: g.ID, Group: g.Name, Reason: err.Error()})
		}
	}
	if len(failed) > 0 {
		return out, failed
	}
	return out, nil
}

// stats fills the figures of one group over [from, to): membership from the
// registry, the rest from the wired Figures.
func (s *Service) stats(ctx context.Context, st RegistryStore, groupID int64, from, to time.Time) (Stats, error) {
	var out Stats
	ms, err := st.Members(ctx, groupID, true)
	if err != nil {
		return out, err
	}
	for _, m := range ms {
		if !m.JoinedAt.Before(from) && m.JoinedAt.Before(to) {
			out.Joins++
		}
		if m.LeftAt != nil && !m.LeftAt.Before(from) && m.LeftAt.Before(to) {
			out.Leaves++
		}
		if m.JoinedAt.Before(to) && (m.LeftAt == nil || !m.LeftAt.Before(to)) {
			out.Members++
		}
	}
	optional := func(err error) (bool, error) {
		if errors.Is(err, ErrUnavailable) {
			return false, nil
		}
		return err == nil, err
	}
	msgs, active, err := s.Figures.MessageStats(ctx, groupID, from, to)
	if ok, err := optional(err); err != nil {
		return out, errs.Wrap(err, "report figures: messages")
	} else if ok {
		out.Messages, out.ActiveMembers = &msgs, &active
	}
	n, fen, err := s.Figures.TransferStats(ctx, groupID, from, to)
	if ok, err := optional(err); err != nil {
		return out, errs.Wrap(err, "report figures: transfers")
	} else if ok {
		out.Transfers, out.TransferFen = &n, &fen
	}
	alerts, err := s.Figures.AlertStats(ctx, groupID, from, to)
	if ok, err := optional(err); err != nil {
		return out, errs.Wrap(err, "report figures: alerts")
	} else if ok {
		if alerts == nil {
			alerts = map[string]map[string]int{}
		}
		out.Alerts = alerts
	}
	return out, nil
}

// AnswerInput answers one checklist item.
type AnswerInput struct {
	ItemID int64  `json:"item_id"`
	Answer string `json:"answer"` // yes or no
	Remark string `json:"remark"`
}

// DraftInput is what the responsible person fills in; fields left out keep
// what was saved before.
type DraftInput struct {
	Checklist []AnswerInput `json:"checklist"`
	Remarks   *string       `json:"remarks"`
}

// own loads a report the principal may fill: only the group's responsible
// person, signed in as themself, and only until it is filed.
func (s *Service) own(ctx context.Context, tx TxStore, p *account.Principal, id int64) (*Report, *account.User, error) {
	if p == nil || p.User == nil {
		return nil, nil, errs.E(errs.Forbidden, "a report is filled and signed by a signed-in person, not a token or the command line")
	}
	r, err := tx.Report(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if r.Responsible != p.User.Username {
		if !seesAll(p) {
			return nil, nil, errs.E(errs.NotFound, "report %d not found", id)
		}
		return nil, nil, errs.E(errs.Forbidden, "only the responsible person of group %q fills its reports", r.GroupName)
	}
	if r.Status == Filed {
		return nil, nil, errs.E(errs.Conflict, "report %d was filed on %s and cannot change", id, r.FiledAt.Format(time.RFC3339))
	}
	return r, p.User, nil
}

func (in *DraftInput) apply(r *Report) error {
	for _, a := range in.Checklist {
		found := false
		for i := range r.Checklist {
			if r.Checklist[i].ItemID != a.ItemID {
				continue
			}
			found = true
			switch ans := strings.ToLower(strings.TrimSpace(a.Answer)); ans {
			case "yes", "no", "":
				r.Checklist[i].Answer = ans
			default:
				return errs.Field("checklist", "item %d: answer %q is not yes or no", a.ItemID, a.Answer)
			}
			r.Checklist[i].Remark = strings.TrimSpace(a.Remark)
		}
		if !found {
			return errs.Field("checklist", "item %d is not on this report's checklist", a.ItemID)
		}
	}
	if in.Remarks != nil {
		r.Remarks = strings.TrimSpace(*in.Remarks)
	}
	return nil
}

// SaveDraft saves the responsible person's answers and remarks without signing.
func (s *Service) SaveDraft(ctx context.Context, p *account.Principal, id int64, in DraftInput) (*Report, error) {
	var out *Report
	err := s.Tx(ctx, func(tx TxStore) error {
		r, _, err := s.own(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := in.apply(r); err != nil {
			return err
		}
		now := s.now()
		if r.Stats, err = s.stats(ctx, tx, r.GroupID, r.PeriodStart, r.PeriodEnd); err != nil {
			return err
		}
		r.Status, r.UpdatedAt = Draft, now
		if err := tx.UpdateReport(ctx, r); err != nil {
			return err
		}
		out = withOverdue(r, now)
		return tx.AppendAudit(ctx, event(ctx, now, "report.save", reportObject(id), map[string]any{"period": r.Period}))
	})
	return out, err
}

// FileInput is the final answers and the signature: the typed full name.
type FileInput struct {
	DraftInput
	FullName string `json:"full_name"`
}

// File signs and files a report. Every checklist item must be answered, a
// "no" must say why in its remark, and the typed full name must be the
// responsible person's real name. The figures are refreshed one last time
// and the SHA-256 of the report's content is recorded with the time and address.
func (s *Service) File(ctx context.Context, p *account.Principal, id int64, in FileInput, addr string) (*Report, error) {
	var out *Report
	err := s.Tx(ctx, func(tx TxStore) error {
		r, u, err := s.own(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := in.apply(r); err != nil {
			return err
		}
		for _, a := range r.Checklist {
			if a.Answer == "" {
				return errs.Field("checklist", "item %d (%s) is not answered", a.ItemID, a.TextEn)
			}
			if a.Answer == "no" && a.Remark == "" {
				return errs.Field("checklist", "item %d (%s) is answered no: say why in its remark", a.ItemID, a.TextEn)
			}
		}
		name := strings.TrimSpace(in.FullName)
		if name == "" {
			return errs.Field("full_name", "required: type your full name to sign")
		}
		if u.RealName == "" || name != strings.TrimSpace(u.RealName) {
			return errs.Field("full_name", "the typed name must be your real name as registered")
		}
		now := s.now()
		if r.Stats, err = s.stats(ctx, tx, r.GroupID, r.PeriodStart, r.PeriodEnd); err != nil {
			return err
		}
		r.Status, r.FiledBy, r.FullName, r.Addr, r.FiledAt, r.UpdatedAt = Filed, u.Username, name, addr, &now, now
		if r.ContentSHA256, err = ContentHash(r); err != nil {
			return err
		}
		if err := tx.UpdateReport(ctx, r); err != nil {
			return err
		}
		out = withOverdue(r, now)
		if err := tx.AppendAudit(ctx, event(ctx, now, "report.file", reportObject(id),
			map[string]any{"period": r.Period, "group_id": r.GroupID, "content_sha256": r.ContentSHA256})); err != nil {
			return err
		}
		// Signed in the same transaction, so it covers the filing itself.
		if s.Checkpoints != nil {
			c, err := s.Checkpoints.In(ctx, tx, filedReason(id))
			if err != nil {
				return err
			}
			out.Checkpoint = c.Summary()
		}
		return nil
	})
	return out, err
}

// ContentHash is the SHA-256 of what the signer attested: the group, the
// period, the figures, the answers, the remarks, and who signed when.
func ContentHash(r *Report) (string, error) {
	filed := ""
	if r.FiledAt != nil {
		filed = r.FiledAt.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(struct {
		GroupID   int64    `json:"group_id"`
		GroupName string   `json:"group_name"`
		Period    string   `json:"period"`
		Stats     Stats    `json:"figures"`
		Checklist []Answer `json:"checklist"`
		Remarks   string   `json:"remarks"`
		FiledBy   string   `json:"filed_by"`
		FullName  string   `json:"full_name"`
		FiledAt   string   `json:"filed_at"`
	}{r.GroupID, r.GroupName, r.Period, r.Stats, r.Checklist, r.Remarks, r.FiledBy, r.FullName, filed})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Schedules lists the cadence of every level.
func (s *Service) Schedules(ctx context.Context) ([]Schedule, error) { return s.Store.Schedules(ctx) }

// SetSchedule sets how often a level reports and how many days after the
// period its reports are due.
func (s *Service) SetSchedule(ctx context.Context, sc Schedule) (*Schedule, error) {
	switch sc.Level {
	case registry.Public, registry.Internal, registry.Sensitive:
	default:
		return nil, errs.Field("level", "%q is not one of public, internal, sensitive", sc.Level)
	}
	switch sc.Cadence {
	case Monthly, Quarterly, Never:
	default:
		return nil, errs.Field("cadence", "%q is not one of monthly, quarterly, none", sc.Cadence)
	}
	if sc.DueDays < 1 || sc.DueDays > 90 {
		return nil, errs.Field("due_days", "must be between 1 and 90")
	}
	now := s.now()
	sc.UpdatedAt, sc.UpdatedBy = now, audit.ActorFrom(ctx).Name
	err := s.Tx(ctx, func(tx TxStore) error {
		if err := tx.SetSchedule(ctx, &sc); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, now, "report.schedule", "report_schedule:"+string(sc.Level),
			map[string]any{"cadence": sc.Cadence, "due_days": sc.DueDays}))
	})
	return &sc, err
}

// ChecklistItems lists the checklist, only the active items unless all.
func (s *Service) ChecklistItems(ctx context.Context, all bool) ([]ChecklistItem, error) {
	return s.Store.ChecklistItems(ctx, !all)
}

// NewChecklistItem is the input for adding an item, in both languages.
type NewChecklistItem struct {
	TextZh   string `json:"text_zh"`
	TextEn   string `json:"text_en"`
	Position int    `json:"position"`
}

// AddChecklistItem adds an active item; reports created from now on carry it.
func (s *Service) AddChecklistItem(ctx context.Context, in NewChecklistItem) (*ChecklistItem, error) {
	it := &ChecklistItem{TextZh: strings.TrimSpace(in.TextZh), TextEn: strings.TrimSpace(in.TextEn), Position: in.Position, Active: true}
	if it.TextZh == "" {
		return nil, errs.Field("text_zh", "required")
	}
	if it.TextEn == "" {
		return nil, errs.Field("text_en", "required")
	}
	now := s.now()
	it.CreatedAt, it.CreatedBy = now, audit.ActorFrom(ctx).Name
	err := s.Tx(ctx, func(tx TxStore) error {
		if err := tx.AddChecklistItem(ctx, it); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, now, "report.checklist.add", fmt.Sprintf("checklist_item:%d", it.ID),
			map[string]any{"text_zh": it.TextZh, "text_en": it.TextEn}))
	})
	return it, err
}

// SetChecklistItemActive retires an item (or brings it back). Reports
// already created keep their copy.
func (s *Service) SetChecklistItemActive(ctx context.Context, id int64, active bool) error {
	action := "report.checklist.deactivate"
	if active {
		action = "report.checklist.activate"
	}
	return s.Tx(ctx, func(tx TxStore) error {
		if err := tx.SetChecklistItemActive(ctx, id, active); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, s.now(), action, fmt.Sprintf("checklist_item:%d", id), nil))
	})
}
