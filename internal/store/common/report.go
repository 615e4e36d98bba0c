package common

import (
	"context"
	"database/sql"
	"errors"

	"charter/internal/errs"
	"charter/internal/report"
	"charter/internal/store/sqlutil"
)

func (s Shared) Schedules(ctx context.Context) ([]report.Schedule, error) {
	return list(ctx, s, func(sc Scanner) (report.Schedule, error) {
		var x report.Schedule
		err := sc.Scan(&x.Level, &x.Cadence, &x.DueDays, &x.UpdatedAt, &x.UpdatedBy)
		x.UpdatedAt = x.UpdatedAt.UTC()
		return x, err
	}, `SELECT level, cadence, due_days, updated_at, updated_by FROM report_schedules ORDER BY level`)
}

func (s Shared) SetSchedule(ctx context.Context, x *report.Schedule) error {
	_, err := s.exec(ctx, `INSERT INTO report_schedules (level, cadence, due_days, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (level) DO UPDATE SET cadence = excluded.cadence, due_days = excluded.due_days,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		x.Level, x.Cadence, x.DueDays, x.UpdatedAt, x.UpdatedBy)
	return err
}

func (s Shared) ChecklistItems(ctx context.Context, activeOnly bool) ([]report.ChecklistItem, error) {
	q := `SELECT id, text_zh, text_en, position, active, created_at, created_by FROM checklist_items`
	if activeOnly {
		q += ` WHERE active`
	}
	return list(ctx, s, func(sc Scanner) (report.ChecklistItem, error) {
		var it report.ChecklistItem
		err := sc.Scan(&it.ID, &it.TextZh, &it.TextEn, &it.Position, &it.Active, &it.CreatedAt, &it.CreatedBy)
		it.CreatedAt = it.CreatedAt.UTC()
		return it, err
	}, q+` ORDER BY position, id`)
}

func (s Shared) AddChecklistItem(ctx context.Context, it *report.ChecklistItem) error {
	return s.insert(ctx, &it.ID, `INSERT INTO checklist_items (text_zh, text_en, position, active, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?)`, it.TextZh, it.TextEn, it.Position, it.Active, it.CreatedAt, it.CreatedBy)
}

func (s Shared) SetChecklistItemActive(ctx context.Context, id int64, active bool) error {
	n, err := s.affected(ctx, `UPDATE checklist_items SET active = ? WHERE id = ?`, active, id)
	if err == nil && n == 0 {
		return errs.E(errs.NotFound, "checklist item %d not found", id)
	}
	return err
}

func (s Shared) CreateReport(ctx context.Context, r *report.Report) (bool, error) {
	figures, checklist, err := reportJSON(r)
	if err != nil {
		return false, err
	}
	err = s.insert(ctx, &r.ID, `INSERT INTO reports (group_id, period, period_start, period_end, due_at, status, figures, checklist,
		remarks, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, period) DO NOTHING`,
		r.GroupID, r.Period, r.PeriodStart, r.PeriodEnd, r.DueAt, r.Status, figures, checklist, r.Remarks, r.CreatedAt, r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the group has its report for the period already
	}
	return err == nil, err
}

func (s Shared) UpdateReport(ctx context.Context, r *report.Report) error {
	figures, checklist, err := reportJSON(r)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `UPDATE reports SET status = ?, figures = ?, checklist = ?, remarks = ?,
		filed_by_id = (SELECT id FROM users WHERE username = ?), full_name = ?, addr = ?, content_sha256 = ?, filed_at = ?, updated_at = ?
		WHERE id = ?`, r.Status, figures, checklist, r.Remarks, r.FiledBy, r.FullName, r.Addr, r.ContentSHA256,
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

// Report reads one report. Inside a transaction it locks the row: a draft
// saved while the report is being filed must wait, not overwrite the filed
// report.
func (s Shared) Report(ctx context.Context, id int64) (*report.Report, error) {
	rs, err := list(ctx, s, scanReport, reportSelect+` WHERE r.id = ?`+s.forUpdate("r"), id)
	return first(rs, err, "report %d not found", id)
}

func (s Shared) Reports(ctx context.Context, f report.Filter) ([]report.Report, error) {
	var w Filter
	if f.Responsible != "" {
		w.Add("u.username = ?", f.Responsible)
	}
	if f.GroupID != 0 {
		w.Add("r.group_id = ?", f.GroupID)
	}
	if f.Period != "" {
		w.Add("r.period = ?", f.Period)
	}
	if f.Status != "" {
		w.Add("r.status = ?", f.Status)
	}
	if f.Unfiled {
		w.Add("r.status <> 'filed'")
	}
	return list(ctx, s, scanReport, reportSelect+w.Where()+" ORDER BY r.due_at, r.id", w.Args...)
}

func scanReport(sc Scanner) (report.Report, error) {
	var r report.Report
	var figures, checklist string
	var filed sql.NullTime
	if err := sc.Scan(&r.ID, &r.GroupID, &r.GroupName, &r.Level, &r.Responsible, &r.ResponsibleName, &r.Period, &r.PeriodStart,
		&r.PeriodEnd, &r.DueAt, &r.Status, &figures, &checklist, &r.Remarks, &r.FiledBy, &r.FullName, &r.Addr, &r.ContentSHA256,
		&filed, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return r, err
	}
	sqlutil.UTC(&r.PeriodStart, &r.PeriodEnd, &r.DueAt, &r.CreatedAt, &r.UpdatedAt)
	r.FiledAt = sqlutil.TimePtr(filed)
	return r, sqlutil.FromJSON(figures, &r.Stats, checklist, &r.Checklist)
}
