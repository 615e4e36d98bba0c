package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
func (d *DB) Alert(ctx context.Context, id int64) (*review.Alert, error) {
	lock := ""
	if d.tx != nil {
		lock = " FOR UPDATE"
	}
	as, err := d.alerts(ctx, alertSelect+` WHERE id = $1`+lock, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, errs.E(errs.NotFound, "alert %d not found", id)
	}
	return &as[0], nil
}

func (d *DB) Alerts(ctx context.Context, f review.AlertFilter) ([]review.Alert, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Category != "" {
		add("category = $%d", f.Category)
	}
	if f.Severity != "" {
		add("severity = $%d", f.Severity)
	}
	if f.Rule != "" {
		add("rule = $%d", f.Rule)
	}
	if f.GroupID > 0 {
		add("group_id = $%d", f.GroupID)
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	q := alertSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	return d.alerts(ctx, q, args...)
}

func (d *DB) CaseAlerts(ctx context.Context, caseID int64) ([]review.Alert, error) {
	return d.alerts(ctx, alertSelect+` WHERE case_id = $1 ORDER BY id`, caseID)
}

// alerts runs an alert query and fills each alert's newest source ids.
func (d *DB) alerts(ctx context.Context, q string, args ...any) ([]review.Alert, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []review.Alert{}
	for rows.Next() {
		var a review.Alert
		var detail string
		var group, caseID sql.NullInt64
		var claimed, resolved sql.NullTime
		if err := rows.Scan(&a.ID, &a.Key, &a.Rule, &a.Category, &a.Severity, &a.Status, &group, &a.Platform, &a.RoomID,
			&a.Excerpt, &detail, &a.Count, &a.FirstSeen, &a.LastSeen, &a.CreatedAt, &a.UpdatedAt, &a.Assignee,
			&claimed, &resolved, &a.ResolvedBy, &a.Disposition, &a.Note, &caseID); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
			return nil, err
		}
		if a.Detail == nil {
			a.Detail = map[string]any{}
		}
		a.GroupID, a.CaseID = sqlutil.Int64Ptr(group), sqlutil.Int64Ptr(caseID)
		a.ClaimedAt, a.ResolvedAt = sqlutil.TimePtr(claimed), sqlutil.TimePtr(resolved)
		sqlutil.UTC(&a.FirstSeen, &a.LastSeen, &a.CreatedAt, &a.UpdatedAt)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, d.fillSources(ctx, out)
}

// fillSources lists, for each alert, up to review.MaxListedSources of its
// newest source ids, oldest first, in one query.
func (d *DB) fillSources(ctx context.Context, as []review.Alert) error {
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
	rows, err := d.r().QueryContext(ctx, `SELECT alert_id, source_id FROM (
			SELECT alert_id, source_id, id, row_number() OVER (PARTITION BY alert_id ORDER BY id DESC) AS n
			FROM alert_sources WHERE alert_id = ANY($1)) s
		WHERE n <= $2 ORDER BY alert_id, id`, ids, review.MaxListedSources)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		a := &as[idx[id]]
		a.SourceIDs = append(a.SourceIDs, s)
	}
	return rows.Err()
}

func (d *DB) UpdateAlertReview(ctx context.Context, a *review.Alert) error {
	_, err := d.w().ExecContext(ctx, `UPDATE alerts SET status = $1, assignee = $2, claimed_at = $3, resolved_at = $4, resolved_by = $5,
		disposition = $6, note = $7, case_id = $8, updated_at = $9 WHERE id = $10`,
		a.Status, a.Assignee, sqlutil.NullTime(a.ClaimedAt), sqlutil.NullTime(a.ResolvedAt), a.ResolvedBy,
		a.Disposition, a.Note, a.CaseID, a.UpdatedAt, a.ID)
	return err
}

// AlertSources lists up to limit of an alert's newest sources, oldest first.
func (d *DB) AlertSources(ctx context.Context, alertID int64, limit int) ([]review.Source, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT s.alert_id, a.platform, a.room_id, s.source_id, s.archive_id, s.sent_at
		FROM (SELECT * FROM alert_sources WHERE alert_id = $1 ORDER BY id DESC LIMIT $2) s JOIN alerts a ON a.id = s.alert_id
		ORDER BY s.id`, alertID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []review.Source{}
	for rows.Next() {
		var s review.Source
		if err := rows.Scan(&s.AlertID, &s.Platform, &s.RoomID, &s.SourceID, &s.ArchiveID, &s.SentAt); err != nil {
			return nil, err
		}
		s.SentAt = s.SentAt.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

func (d *DB) CreateCase(ctx context.Context, c *review.Case) error {
	return d.w().QueryRowContext(ctx, `INSERT INTO cases (title, status, assignee, created_by, created_at, updated_at, closed_at, resolution)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		c.Title, c.Status, c.Assignee, c.CreatedBy, c.CreatedAt, c.UpdatedAt, sqlutil.NullTime(c.ClosedAt), c.Resolution).Scan(&c.ID)
}

func (d *DB) UpdateCase(ctx context.Context, c *review.Case) error {
	_, err := d.w().ExecContext(ctx, `UPDATE cases SET status = $1, assignee = $2, updated_at = $3, closed_at = $4, resolution = $5 WHERE id = $6`,
		c.Status, c.Assignee, c.UpdatedAt, sqlutil.NullTime(c.ClosedAt), c.Resolution, c.ID)
	return err
}

const caseSelect = `SELECT id, title, status, assignee, created_by, created_at, updated_at, closed_at, resolution FROM cases`

// Case reads one case, locking it inside a transaction.
func (d *DB) Case(ctx context.Context, id int64) (*review.Case, error) {
	lock := ""
	if d.tx != nil {
		lock = " FOR UPDATE"
	}
	cs, err := d.cases(ctx, caseSelect+` WHERE id = $1`+lock, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, "case %d not found", id)
	}
	return &cs[0], nil
}

func (d *DB) Cases(ctx context.Context, f review.CaseFilter) ([]review.Case, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Assignee != "" {
		add("assignee = $%d", f.Assignee)
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	q := caseSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	return d.cases(ctx, q, args...)
}

func (d *DB) cases(ctx context.Context, q string, args ...any) ([]review.Case, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []review.Case{}
	for rows.Next() {
		var c review.Case
		var closed sql.NullTime
		if err := rows.Scan(&c.ID, &c.Title, &c.Status, &c.Assignee, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &closed, &c.Resolution); err != nil {
			return nil, err
		}
		c.ClosedAt = sqlutil.TimePtr(closed)
		sqlutil.UTC(&c.CreatedAt, &c.UpdatedAt)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (d *DB) AddNote(ctx context.Context, n *review.Note) error {
	return d.w().QueryRowContext(ctx, `INSERT INTO case_notes (case_id, author, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		n.CaseID, n.Author, n.Body, n.CreatedAt).Scan(&n.ID)
}

func (d *DB) Notes(ctx context.Context, caseID int64) ([]review.Note, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT id, case_id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []review.Note{}
	for rows.Next() {
		var n review.Note
		if err := rows.Scan(&n.ID, &n.CaseID, &n.Author, &n.Body, &n.CreatedAt); err != nil {
			return nil, err
		}
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

func (d *DB) DetectionConfig(ctx context.Context) (detect.Config, int64, error) {
	var cfg detect.Config
	var v int64
	var raw string
	err := d.r().QueryRowContext(ctx, `SELECT version, config FROM detection_config WHERE id = 1`).Scan(&v, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return cfg, 0, nil
	}
	if err != nil {
		return cfg, 0, err
	}
	return cfg, v, json.Unmarshal([]byte(raw), &cfg)
}

func (d *DB) SaveDetectionConfig(ctx context.Context, cfg detect.Config, prev int64, at time.Time, by string) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	res, err := d.w().ExecContext(ctx, `INSERT INTO detection_config (id, version, config, updated_at, updated_by) VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, config = excluded.config,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by
		WHERE detection_config.version = $5`, prev+1, string(raw), at, by, prev)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.Conflict, "the detection policy was changed meanwhile; reload and try again")
	}
	return nil
}
