package common

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/review"
	"charter/internal/store/sqlutil"
)

const alertSelect = `SELECT id, key, rule, category, severity, status, group_id, platform, room_id, excerpt, detail, count,
	first_seen, last_seen, created_at, updated_at, assignee, claimed_at, resolved_at, resolved_by, disposition, note, case_id FROM alerts`

// Alert reads one alert; inside a transaction it locks the row, so two
// reviewers claiming at once are served one after the other.
func (s Shared) Alert(ctx context.Context, id int64) (*review.Alert, error) {
	as, err := s.alerts(ctx, alertSelect+` WHERE id = ?`+s.forUpdate(""), id)
	return first(as, err, "alert %d not found", id)
}

func (s Shared) Alerts(ctx context.Context, f review.AlertFilter) ([]review.Alert, error) {
	var w Filter
	if f.Status != "" {
		w.Add("status = ?", f.Status)
	}
	if f.Category != "" {
		w.Add("category = ?", f.Category)
	}
	if f.Severity != "" {
		w.Add("severity = ?", f.Severity)
	}
	if f.Rule != "" {
		w.Add("rule = ?", f.Rule)
	}
	if f.GroupID > 0 {
		w.Add("group_id = ?", f.GroupID)
	}
	if f.Platform != "" {
		w.Add("platform = ?", f.Platform)
	}
	if f.RoomID != "" {
		w.Add("room_id = ?", f.RoomID)
	}
	if f.Before > 0 {
		w.Add("id < ?", f.Before)
	}
	return s.alerts(ctx, alertSelect+w.Where()+" ORDER BY id DESC LIMIT ?", append(w.Args, f.Limit)...)
}

func (s Shared) CaseAlerts(ctx context.Context, caseID int64) ([]review.Alert, error) {
	return s.alerts(ctx, alertSelect+` WHERE case_id = ? ORDER BY id`, caseID)
}

// alerts runs an alert query and fills each alert's newest source ids.
func (s Shared) alerts(ctx context.Context, q string, args ...any) ([]review.Alert, error) {
	out, err := list(ctx, s, scanAlert, q, args...)
	if err != nil {
		return nil, err
	}
	return out, s.fillSources(ctx, out)
}

func scanAlert(sc Scanner) (review.Alert, error) {
	var a review.Alert
	var detail string
	var group, caseID sql.NullInt64
	var claimed, resolved sql.NullTime
	if err := sc.Scan(&a.ID, &a.Key, &a.Rule, &a.Category, &a.Severity, &a.Status, &group, &a.Platform, &a.RoomID,
		&a.Excerpt, &detail, &a.Count, &a.FirstSeen, &a.LastSeen, &a.CreatedAt, &a.UpdatedAt, &a.Assignee,
		&claimed, &resolved, &a.ResolvedBy, &a.Disposition, &a.Note, &caseID); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
		return a, err
	}
	if a.Detail == nil {
		a.Detail = map[string]any{}
	}
	a.GroupID, a.CaseID = sqlutil.Int64Ptr(group), sqlutil.Int64Ptr(caseID)
	a.ClaimedAt, a.ResolvedAt = sqlutil.TimePtr(claimed), sqlutil.TimePtr(resolved)
	sqlutil.UTC(&a.FirstSeen, &a.LastSeen, &a.CreatedAt, &a.UpdatedAt)
	return a, nil
}

// fillSources lists, for each alert, up to review.MaxListedSources of its
// newest source ids, oldest first, in one query.
func (s Shared) fillSources(ctx context.Context, as []review.Alert) error {
	if len(as) == 0 {
		return nil
	}
	idx := map[int64]int{}
	ids := make([]int64, len(as))
	for i := range as {
		idx[as[i].ID] = i
		as[i].SourceIDs = []string{}
		ids[i] = as[i].ID
	}
	in, args := s.inIDs("alert_id", ids)
	return Each(ctx, s.r, s.d.Rebind(`SELECT alert_id, source_id FROM (
			SELECT alert_id, source_id, id, row_number() OVER (PARTITION BY alert_id ORDER BY id DESC) AS n
			FROM alert_sources WHERE `+in+`) s
		WHERE n <= ? ORDER BY alert_id, id`), func(sc Scanner) error {
		var id int64
		var src string
		if err := sc.Scan(&id, &src); err != nil {
			return err
		}
		a := &as[idx[id]]
		a.SourceIDs = append(a.SourceIDs, src)
		return nil
	}, append(args, review.MaxListedSources)...)
}

func (s Shared) UpdateAlertReview(ctx context.Context, a *review.Alert) error {
	_, err := s.exec(ctx, `UPDATE alerts SET status = ?, assignee = ?, claimed_at = ?, resolved_at = ?, resolved_by = ?,
		disposition = ?, note = ?, case_id = ?, updated_at = ? WHERE id = ?`,
		a.Status, a.Assignee, sqlutil.NullTime(a.ClaimedAt), sqlutil.NullTime(a.ResolvedAt), a.ResolvedBy,
		a.Disposition, a.Note, a.CaseID, a.UpdatedAt, a.ID)
	return err
}

// AlertSources lists up to limit of an alert's newest sources, oldest first.
func (s Shared) AlertSources(ctx context.Context, alertID int64, limit int) ([]review.Source, error) {
	return list(ctx, s, func(sc Scanner) (review.Source, error) {
		var x review.Source
		err := sc.Scan(&x.AlertID, &x.Platform, &x.RoomID, &x.SourceID, &x.ArchiveID, &x.SentAt)
		x.SentAt = x.SentAt.UTC()
		return x, err
	}, `SELECT s.alert_id, a.platform, a.room_id, s.source_id, s.archive_id, s.sent_at
		FROM (SELECT * FROM alert_sources WHERE alert_id = ? ORDER BY id DESC LIMIT ?) s JOIN alerts a ON a.id = s.alert_id
		ORDER BY s.id`, alertID, limit)
}

func (s Shared) CreateCase(ctx context.Context, c *review.Case) error {
	return s.insert(ctx, &c.ID, `INSERT INTO cases (title, status, assignee, created_by, created_at, updated_at, closed_at, resolution)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Title, c.Status, c.Assignee, c.CreatedBy, c.CreatedAt, c.UpdatedAt, sqlutil.NullTime(c.ClosedAt), c.Resolution)
}

func (s Shared) UpdateCase(ctx context.Context, c *review.Case) error {
	_, err := s.exec(ctx, `UPDATE cases SET status = ?, assignee = ?, updated_at = ?, closed_at = ?, resolution = ? WHERE id = ?`,
		c.Status, c.Assignee, c.UpdatedAt, sqlutil.NullTime(c.ClosedAt), c.Resolution, c.ID)
	return err
}

const caseSelect = `SELECT id, title, status, assignee, created_by, created_at, updated_at, closed_at, resolution FROM cases`

// Case reads one case, locking it inside a transaction.
func (s Shared) Case(ctx context.Context, id int64) (*review.Case, error) {
	cs, err := list(ctx, s, scanCase, caseSelect+` WHERE id = ?`+s.forUpdate(""), id)
	return first(cs, err, "case %d not found", id)
}

func (s Shared) Cases(ctx context.Context, f review.CaseFilter) ([]review.Case, error) {
	var w Filter
	if f.Status != "" {
		w.Add("status = ?", f.Status)
	}
	if f.Assignee != "" {
		w.Add("assignee = ?", f.Assignee)
	}
	if f.Before > 0 {
		w.Add("id < ?", f.Before)
	}
	return list(ctx, s, scanCase, caseSelect+w.Where()+" ORDER BY id DESC LIMIT ?", append(w.Args, f.Limit)...)
}

func scanCase(sc Scanner) (review.Case, error) {
	var c review.Case
	var closed sql.NullTime
	err := sc.Scan(&c.ID, &c.Title, &c.Status, &c.Assignee, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &closed, &c.Resolution)
	c.ClosedAt = sqlutil.TimePtr(closed)
	sqlutil.UTC(&c.CreatedAt, &c.UpdatedAt)
	return c, err
}

func (s Shared) AddNote(ctx context.Context, n *review.Note) error {
	return s.insert(ctx, &n.ID, `INSERT INTO case_notes (case_id, author, body, created_at) VALUES (?, ?, ?, ?)`,
		n.CaseID, n.Author, n.Body, n.CreatedAt)
}

func (s Shared) Notes(ctx context.Context, caseID int64) ([]review.Note, error) {
	return list(ctx, s, func(sc Scanner) (review.Note, error) {
		var n review.Note
		err := sc.Scan(&n.ID, &n.CaseID, &n.Author, &n.Body, &n.CreatedAt)
		n.CreatedAt = n.CreatedAt.UTC()
		return n, err
	}, `SELECT id, case_id, author, body, created_at FROM case_notes WHERE case_id = ? ORDER BY id`, caseID)
}

func (s Shared) DetectionConfig(ctx context.Context) (detect.Config, int64, error) {
	var cfg detect.Config
	var v int64
	var raw string
	err := s.row(ctx, `SELECT version, config FROM detection_config WHERE id = 1`).Scan(&v, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return cfg, 0, nil
	}
	if err != nil {
		return cfg, 0, err
	}
	return cfg, v, json.Unmarshal([]byte(raw), &cfg)
}

func (s Shared) SaveDetectionConfig(ctx context.Context, cfg detect.Config, prev int64, at time.Time, by string) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	n, err := s.affected(ctx, `INSERT INTO detection_config (id, version, config, updated_at, updated_by) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, config = excluded.config,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by
		WHERE detection_config.version = ?`, prev+1, string(raw), at, by, prev)
	if err == nil && n == 0 {
		return errs.E(errs.Conflict, "the detection policy was changed meanwhile; reload and try again")
	}
	return err
}

func (s Shared) AddAlertAction(ctx context.Context, x *review.AlertAction) (bool, error) {
	res, err := s.exec(ctx, `INSERT INTO alert_actions (alert_id, action, target, actor, result, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (alert_id, action, target) DO NOTHING`, x.AlertID, x.Action, x.Target, x.Actor, x.Result, x.At.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s Shared) AlertActions(ctx context.Context, alertID int64) ([]review.AlertAction, error) {
	return list(ctx, s, func(sc Scanner) (review.AlertAction, error) {
		var x review.AlertAction
		err := sc.Scan(&x.AlertID, &x.Action, &x.Target, &x.Actor, &x.Result, &x.At)
		x.At = x.At.UTC()
		return x, err
	}, `SELECT alert_id, action, target, actor, result, at FROM alert_actions WHERE alert_id = ? ORDER BY id`, alertID)
}
