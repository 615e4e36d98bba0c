package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"charter/internal/errs"
	"charter/internal/report"
	"charter/internal/store/sqlutil"
)

func (d *DB) Schedules(ctx context.Context) ([]report.Schedule, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT level, cadence, due_days, updated_at, updated_by FROM report_schedules ORDER BY level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []report.Schedule{}
	for rows.Next() {
		var s report.Schedule
		if err := rows.Scan(&s.Level, &s.Cadence, &s.DueDays, &s.UpdatedAt, &s.UpdatedBy); err != nil {
			return nil, err
		}
		s.UpdatedAt = s.UpdatedAt.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

func (d *DB) SetSchedule(ctx context.Context, s *report.Schedule) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO report_schedules (level, cadence, due_days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (level) DO UPDATE SET cadence = excluded.cadence, due_days = excluded.due_days,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		s.Level, s.Cadence, s.DueDays, s.UpdatedAt, s.UpdatedBy)
	return err
}

func (d *DB) ChecklistItems(ctx context.Context, activeOnly bool) ([]report.ChecklistItem, error) {
	q := `SELECT id, text_zh, text_en, position, active, created_at, created_by FROM checklist_items`
	if activeOnly {
		q += ` WHERE active`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []report.ChecklistItem{}
	for rows.Next() {
		var it report.ChecklistItem
		if err := rows.Scan(&it.ID, &it.TextZh, &it.TextEn, &it.Position, &it.Active, &it.CreatedAt, &it.CreatedBy); err != nil {
			return nil, err
		}
		it.CreatedAt = it.CreatedAt.UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}

func (d *DB) AddChecklistItem(ctx context.Context, it *report.ChecklistItem) error {
	return d.w().QueryRowContext(ctx, `INSERT INTO checklist_items (text_zh, text_en, position, active, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, it.TextZh, it.TextEn, it.Position, it.Active, it.CreatedAt, it.CreatedBy).Scan(&it.ID)
}

func (d *DB) SetChecklistItemActive(ctx context.Context, id int64, active bool) error {
	res, err := d.w().ExecContext(ctx, `UPDATE checklist_items SET active = $1 WHERE id = $2`, active, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "checklist item %d not found", id)
	}
	return nil
}

func (d *DB) CreateReport(ctx context.Context, r *report.Report) (bool, error) {
	figures, checklist, err := reportJSON(r)
	if err != nil {
		return false, err
	}
	err = d.w().QueryRowContext(ctx, `INSERT INTO reports (group_id, period, period_start, period_end, due_at, status, figures, checklist,
		remarks, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (group_id, period) DO NOTHING RETURNING id`,
		r.GroupID, r.Period, r.PeriodStart, r.PeriodEnd, r.DueAt, r.Status, figures, checklist, r.Remarks, r.CreatedAt, r.UpdatedAt).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the group has its report for the period already
	}
	return err == nil, err
}

func (d *DB) UpdateReport(ctx context.Context, r *report.Report) error {
	figures, checklist, err := reportJSON(r)
	if err != nil {
		return err
	}
	_, err = d.w().ExecContext(ctx, `UPDATE reports SET status = $1, figures = $2, checklist = $3, remarks = $4,
		filed_by_id = (SELECT id FROM users WHERE username = $5), full_name = $6, addr = $7, content_sha256 = $8, filed_at = $9, updated_at = $10
		WHERE id = $11`, r.Status, figures, checklist, r.Remarks, r.FiledBy, r.FullName, r.Addr, r.ContentSHA256,
		sqlutil.NullTime(r.FiledAt), r.UpdatedAt, r.ID)
	return err
}

func reportJSON(r *report.Report) (figures, checklist string, err error) {
	if figures, err = sqlutil.JSON(r.Stats); err != nil {
		return "", "", err
	}
	checklist, err = sqlutil.JSON(r.Checklist)
	return figures, checklist, err
}

const reportSelect = `SELECT r.id, r.group_id, g.name, g.level, u.username, u.real_name, r.period, r.period_start, r.period_end, r.due_at,
	r.status, r.figures, r.checklist, r.remarks, COALESCE(f.username, ''), r.full_name, r.addr, r.content_sha256, r.filed_at,
	r.created_at, r.updated_at
	FROM reports r JOIN work_groups g ON g.id = r.group_id JOIN users u ON u.id = g.responsible_id
	LEFT JOIN users f ON f.id = r.filed_by_id`

func (d *DB) Report(ctx context.Context, id int64) (*report.Report, error) {
	q := reportSelect + ` WHERE r.id = $1`
	if d.tx != nil {
		// A draft saved while the report is being filed must wait, not
		// overwrite the filed report.
		q += ` FOR UPDATE OF r`
	}
	rs, err := d.reports(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, errs.E(errs.NotFound, "report %d not found", id)
	}
	return &rs[0], nil
}

func (d *DB) Reports(ctx context.Context, f report.Filter) ([]report.Report, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Responsible != "" {
		add("u.username = $%d", f.Responsible)
	}
	if f.GroupID != 0 {
		add("r.group_id = $%d", f.GroupID)
	}
	if f.Period != "" {
		add("r.period = $%d", f.Period)
	}
	if f.Status != "" {
		add("r.status = $%d", f.Status)
	}
	if f.Unfiled {
		where = append(where, "r.status <> 'filed'")
	}
	q := reportSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return d.reports(ctx, q+" ORDER BY r.due_at, r.id", args...)
}

func (d *DB) reports(ctx context.Context, q string, args ...any) ([]report.Report, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []report.Report{}
	for rows.Next() {
		var r report.Report
		var figures, checklist string
		var filed sql.NullTime
		if err := rows.Scan(&r.ID, &r.GroupID, &r.GroupName, &r.Level, &r.Responsible, &r.ResponsibleName, &r.Period, &r.PeriodStart,
			&r.PeriodEnd, &r.DueAt, &r.Status, &figures, &checklist, &r.Remarks, &r.FiledBy, &r.FullName, &r.Addr, &r.ContentSHA256,
			&filed, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		if err := sqlutil.FromJSON(figures, &r.Stats, checklist, &r.Checklist); err != nil {
			return nil, err
		}
		r.PeriodStart, r.PeriodEnd, r.DueAt = r.PeriodStart.UTC(), r.PeriodEnd.UTC(), r.DueAt.UTC()
		r.CreatedAt, r.UpdatedAt, r.FiledAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), sqlutil.TimePtr(filed)
		out = append(out, r)
	}
	return out, rows.Err()
}
