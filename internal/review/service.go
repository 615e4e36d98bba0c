package review

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/errs"
)

// Archive is what review reads message context from; the lead wires it to
// the message archive.
type Archive interface {
	// MessagesAround returns, oldest first, the messages a group's room
	// archived as the group's around the given source ids: each of them and
	// up to radius messages before and after.
	MessagesAround(ctx context.Context, groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]ContextMessage, error)
}

// ContextMessage is an archived message shown around an alert.
type ContextMessage struct {
	ArchiveID int64 `json:"archive_id"`
	capture.Message
	// Flagged marks the messages that contributed to the alert.
	Flagged bool `json:"flagged"`
}

// Service is triage: alerts, claims, dispositions and cases. Every change
// runs in a transaction with its audit event.
type Service struct {
	Store   Store
	Tx      Tx
	Archive Archive // nil: context cannot be read
	Now     func() time.Time
}

// Alerts lists alerts newest first.
func (s *Service) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	if f.Status != "" && f.Status != StatusOpen && f.Status != StatusClaimed && f.Status != StatusResolved {
		return nil, errs.Field("status", "must be open, claimed or resolved, not %q", f.Status)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	as, err := s.Store.Alerts(ctx, f)
	return as, errs.Wrap(err, "list alerts")
}

// Alert returns one alert.
func (s *Service) Alert(ctx context.Context, id int64) (*Alert, error) {
	a, err := s.Store.Alert(ctx, id)
	if err != nil {
		return nil, errs.Wrap(err, "read alert")
	}
	a.Actions, err = s.Store.AlertActions(ctx, id)
	return a, errs.Wrap(err, "read alert actions")
}

// Claim makes the caller the alert's reviewer. Claiming one's own claim again
// changes nothing; someone else's claim is a conflict.
func (s *Service) Claim(ctx context.Context, id int64) (*Alert, error) {
	me := audit.ActorFrom(ctx).Name
	var out *Alert
	err := s.Tx(ctx, func(tx TxStore) error {
		a, err := tx.Alert(ctx, id)
		if err != nil {
			return err
		}
		out = a
		switch {
		case a.Status == StatusResolved:
			return errs.E(errs.Conflict, "alert %d is already resolved", id)
		case a.Status == StatusClaimed && a.Assignee == me:
			return nil
		case a.Status == StatusClaimed:
			return errs.E(errs.Conflict, "alert %d is claimed by %s", id, a.Assignee)
		}
		now := s.Now().UTC()
		a.Status, a.Assignee, a.ClaimedAt, a.UpdatedAt = StatusClaimed, me, &now, now
		if err := tx.UpdateAlertReview(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.New(ctx, now, "alert.claim", alertObject(id), audit.Summarize(map[string]any{"rule": a.Rule})))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Resolution is how a reviewer closes an alert.
type Resolution struct {
	Disposition string `json:"disposition"`
	Note        string `json:"note"`
	// CaseID adds an escalated alert to an open case; without it escalation
	// opens a new case titled CaseTitle (or after the alert).
	CaseID    *int64 `json:"case_id"`
	CaseTitle string `json:"case_title"`
	// Reassign lets the caller resolve an alert that is unclaimed or claimed by
	// someone else, taking it over; the audit event records from whom.
	Reassign bool `json:"reassign"`
}

// Resolve closes an alert with a disposition and a note. The caller must hold
// the claim, or pass Reassign. Escalation puts the alert into a case.
func (s *Service) Resolve(ctx context.Context, id int64, r Resolution) (*Alert, error) {
	me := audit.ActorFrom(ctx).Name
	r.Note = strings.TrimSpace(r.Note)
	switch {
	case !validDisposition(r.Disposition):
		return nil, errs.Field("disposition", "must be false_positive, no_action, reminded or escalated, not %q", r.Disposition)
	case r.Note == "":
		return nil, errs.Field("note", "required: say why")
	case len(r.Note) > 10000:
		return nil, errs.Field("note", "longer than 10000 bytes")
	case r.Disposition != Escalated && (r.CaseID != nil || r.CaseTitle != ""):
		return nil, errs.Field("case_id", "only an escalated alert goes into a case")
	}
	var out *Alert
	err := s.Tx(ctx, func(tx TxStore) error {
		a, err := tx.Alert(ctx, id)
		if err != nil {
			return err
		}
		// Notes stay in review: the audit trail, which admins read, records
		// that a note was written, not what it says.
		sum := map[string]any{"disposition": r.Disposition, "note_chars": utf8.RuneCountInString(r.Note)}
		switch {
		case a.Status == StatusResolved:
			return errs.E(errs.Conflict, "alert %d is already resolved", id)
		case a.Status == StatusClaimed && a.Assignee == me:
		case !r.Reassign && a.Status == StatusOpen:
			return errs.E(errs.Conflict, "claim alert %d before resolving it (or pass reassign)", id)
		case !r.Reassign:
			return errs.E(errs.Conflict, "alert %d is claimed by %s (pass reassign to take it over)", id, a.Assignee)
		default:
			sum["reassigned_from"] = a.Assignee
		}
		now := s.Now().UTC()
		if r.Disposition == Escalated {
			c, err := s.caseFor(ctx, tx, a, r, now)
			if err != nil {
				return err
			}
			a.CaseID = &c.ID
			sum["case_id"] = c.ID
		}
		if a.ClaimedAt == nil || a.Assignee != me {
			a.ClaimedAt = &now
		}
		a.Status, a.Assignee, a.UpdatedAt = StatusResolved, me, now
		a.ResolvedAt, a.ResolvedBy, a.Disposition, a.Note = &now, me, r.Disposition, r.Note
		if err := tx.UpdateAlertReview(ctx, a); err != nil {
			return err
		}
		out = a
		return tx.AppendAudit(ctx, audit.New(ctx, now, "alert.resolve", alertObject(id), audit.Summarize(sum)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) caseFor(ctx context.Context, tx TxStore, a *Alert, r Resolution, now time.Time) (*Case, error) {
	if r.CaseID != nil {
		c, err := tx.Case(ctx, *r.CaseID)
		if errs.Is(err, errs.NotFound) {
			return nil, errs.Field("case_id", "case %d does not exist", *r.CaseID)
		} else if err != nil {
			return nil, err
		}
		if c.Status != CaseOpen {
			return nil, errs.E(errs.Conflict, "case %d is closed", c.ID)
		}
		c.UpdatedAt = now
		if err := tx.UpdateCase(ctx, c); err != nil {
			return nil, err
		}
		return c, tx.AppendAudit(ctx, audit.New(ctx, now, "case.add_alert", caseObject(c.ID), audit.Summarize(map[string]any{"alert_id": a.ID})))
	}
	title := strings.TrimSpace(r.CaseTitle)
	if title == "" {
		title = fmt.Sprintf("%s (alert #%d)", a.Rule, a.ID)
	}
	return s.createCase(ctx, tx, title, audit.ActorFrom(ctx).Name, now, map[string]any{"alert_id": a.ID})
}

func (s *Service) createCase(ctx context.Context, tx TxStore, title, assignee string, now time.Time, extra map[string]any) (*Case, error) {
	if len(title) > 500 {
		return nil, errs.Field("title", "longer than 500 bytes")
	}
	c := &Case{Title: title, Status: CaseOpen, Assignee: assignee, CreatedBy: audit.ActorFrom(ctx).Name, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateCase(ctx, c); err != nil {
		return nil, err
	}
	sum := map[string]any{"title": title, "assignee": assignee}
	for k, v := range extra {
		sum[k] = v
	}
	return c, tx.AppendAudit(ctx, audit.New(ctx, now, "case.create", caseObject(c.ID), audit.Summarize(sum)))
}

// ReadContext returns the archived messages around an alert's sources. It is
// a read of message content, so it is audited; the content is returned only
// once the audit event is committed.
func (s *Service) ReadContext(ctx context.Context, id int64, radius int) (*Alert, []ContextMessage, error) {
	if radius < 0 || radius > 50 {
		return nil, nil, errs.Field("radius", "must be from 0 to 50")
	}
	if s.Archive == nil {
		return nil, nil, errs.Wrap(fmt.Errorf("no message archive is wired to review"), "read alert context")
	}
	a, err := s.Store.Alert(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if a.GroupID == nil {
		return nil, nil, errs.E(errs.Forbidden, "alert %d is about a room bound to no registered group; Charter does not read such rooms", id)
	}
	srcs, err := s.Store.AlertSources(ctx, id, MaxListedSources)
	if err != nil {
		return nil, nil, errs.Wrap(err, "read alert sources")
	}
	ids := make([]string, len(srcs))
	flagged := map[string]bool{}
	for i, x := range srcs {
		ids[i] = x.SourceID
		flagged[x.SourceID] = true
	}
	// Only what the room archived as this group is context: never what it
	// said before it was bound, or after the binding ended.
	msgs, err := s.Archive.MessagesAround(ctx, *a.GroupID, a.Platform, a.RoomID, ids, radius)
	if err != nil {
		return nil, nil, errs.Wrap(err, "read alert context")
	}
	archiveIDs := make([]int64, len(msgs))
	for i := range msgs {
		msgs[i].Raw = nil // the platform record is for e-discovery, not triage
		msgs[i].Flagged = flagged[msgs[i].SourceID] && msgs[i].Platform == a.Platform
		archiveIDs[i] = msgs[i].ArchiveID
	}
	err = s.Tx(ctx, func(tx TxStore) error {
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "alert.read_context", alertObject(id), audit.Summarize(map[string]any{
			"platform": a.Platform, "room_id": a.RoomID, "source_ids": ids, "radius": radius, "archive_ids": archiveIDs})))
	})
	if err != nil {
		return nil, nil, err
	}
	return a, msgs, nil
}

// NewCase is the input for opening a case by hand.
type NewCase struct {
	Title    string `json:"title"`
	Assignee string `json:"assignee"`
	Note     string `json:"note"`
}

// CreateCase opens a case; alerts join it when escalated with its id.
func (s *Service) CreateCase(ctx context.Context, in NewCase) (*Case, error) {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		return nil, errs.Field("title", "required")
	}
	if in.Assignee == "" {
		in.Assignee = audit.ActorFrom(ctx).Name
	}
	var out *Case
	err := s.Tx(ctx, func(tx TxStore) error {
		if err := checkAssignee(ctx, tx, in.Assignee); err != nil {
			return err
		}
		now := s.Now().UTC()
		c, err := s.createCase(ctx, tx, in.Title, in.Assignee, now, nil)
		if err != nil {
			return err
		}
		if note := strings.TrimSpace(in.Note); note != "" {
			if _, err := s.addNote(ctx, tx, c, note, now); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

// checkAssignee accepts an active user holding the reviewer role.
func checkAssignee(ctx context.Context, tx TxStore, username string) error {
	u, err := tx.User(ctx, username)
	if errs.Is(err, errs.NotFound) {
		return errs.Field("assignee", "user %q does not exist", username)
	} else if err != nil {
		return err
	}
	if !u.Active {
		return errs.Field("assignee", "user %q is deactivated", username)
	}
	if !u.Has(account.Reviewer) {
		return errs.Field("assignee", "user %q is not a reviewer", username)
	}
	return nil
}

// Cases lists cases newest first.
func (s *Service) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	if f.Status != "" && f.Status != CaseOpen && f.Status != CaseClosed {
		return nil, errs.Field("status", "must be open or closed, not %q", f.Status)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	cs, err := s.Store.Cases(ctx, f)
	return cs, errs.Wrap(err, "list cases")
}

// maxCaseMessages bounds the message references a case lists.
const maxCaseMessages = 1000

// CaseDetail returns a case with its alerts, notes and message references.
func (s *Service) CaseDetail(ctx context.Context, id int64) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Alerts, err = s.Store.CaseAlerts(ctx, id); err != nil {
		return nil, errs.Wrap(err, "read case alerts")
	}
	if c.Notes, err = s.Store.Notes(ctx, id); err != nil {
		return nil, errs.Wrap(err, "read case notes")
	}
	c.Messages = []Source{}
	for _, a := range c.Alerts {
		left := maxCaseMessages - len(c.Messages)
		if left <= 0 {
			break
		}
		srcs, err := s.Store.AlertSources(ctx, a.ID, left)
		if err != nil {
			return nil, errs.Wrap(err, "read case messages")
		}
		c.Messages = append(c.Messages, srcs...)
	}
	return c, nil
}

// AddNote adds a reviewer's note to an open case.
func (s *Service) AddNote(ctx context.Context, id int64, body string) (*Note, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, errs.Field("body", "required")
	}
	if len(body) > 10000 {
		return nil, errs.Field("body", "longer than 10000 bytes")
	}
	var out *Note
	err := s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != CaseOpen {
			return errs.E(errs.Conflict, "case %d is closed", id)
		}
		now := s.Now().UTC()
		if out, err = s.addNote(ctx, tx, c, body, now); err != nil {
			return err
		}
		c.UpdatedAt = now
		return tx.UpdateCase(ctx, c)
	})
	return out, err
}

func (s *Service) addNote(ctx context.Context, tx TxStore, c *Case, body string, now time.Time) (*Note, error) {
	n := &Note{CaseID: c.ID, Author: audit.ActorFrom(ctx).Name, Body: body, CreatedAt: now}
	if err := tx.AddNote(ctx, n); err != nil {
		return nil, err
	}
	return n, tx.AppendAudit(ctx, audit.New(ctx, now, "case.note", caseObject(c.ID), audit.Summarize(map[string]any{"note_id": n.ID, "chars": utf8.RuneCountInString(body)})))
}

// Assign hands an open case to a reviewer.
func (s *Service) Assign(ctx context.Context, id int64, assignee string) (*Case, error) {
	assignee = strings.TrimSpace(assignee)
	if assignee == "" {
		return nil, errs.Field("assignee", "required")
	}
	var out *Case
	err := s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != CaseOpen {
			return errs.E(errs.Conflict, "case %d is closed", id)
		}
		if err := checkAssignee(ctx, tx, assignee); err != nil {
			return err
		}
		now := s.Now().UTC()
		sum := map[string]any{"from": c.Assignee, "to": assignee}
		c.Assignee, c.UpdatedAt = assignee, now
		if err := tx.UpdateCase(ctx, c); err != nil {
			return err
		}
		out = c
		return tx.AppendAudit(ctx, audit.New(ctx, now, "case.assign", caseObject(id), audit.Summarize(sum)))
	})
	return out, err
}

// Close ends a case with its resolution.
func (s *Service) Close(ctx context.Context, id int64, resolution string) (*Case, error) {
	resolution = strings.TrimSpace(resolution)
	if resolution == "" {
		return nil, errs.Field("resolution", "required")
	}
	if len(resolution) > 10000 {
		return nil, errs.Field("resolution", "longer than 10000 bytes")
	}
	var out *Case
	err := s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != CaseOpen {
			return errs.E(errs.Conflict, "case %d is already closed", id)
		}
		now := s.Now().UTC()
		c.Status, c.Resolution, c.ClosedAt, c.UpdatedAt = CaseClosed, resolution, &now, now
		if err := tx.UpdateCase(ctx, c); err != nil {
			return err
		}
		out = c
		return tx.AppendAudit(ctx, audit.New(ctx, now, "case.close", caseObject(id), audit.Summarize(map[string]any{"resolution_chars": utf8.RuneCountInString(resolution)})))
	})
	return out, err
}

func alertObject(id int64) string { return fmt.Sprintf("alert:%d", id) }
func caseObject(id int64) string  { return fmt.Sprintf("case:%d", id) }
