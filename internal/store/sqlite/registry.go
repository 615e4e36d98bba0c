package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store/sqlutil"
)

func (d *DB) SetApprovalChain(ctx context.Context, c *registry.ApprovalChain) error {
	steps, err := json.Marshal(c.Steps)
	if err != nil {
		return err
	}
	_, err = d.w().ExecContext(ctx, `INSERT INTO approval_chains (org_unit_id, level, steps, updated_at)
		VALUES ((SELECT id FROM org_units WHERE name = ?), ?, ?, ?)
		ON CONFLICT (org_unit_id, level) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at`,
		c.OrgUnit, c.Level, string(steps), c.UpdatedAt)
	return err
}

func (d *DB) DeleteApprovalChain(ctx context.Context, orgUnit string, level registry.Level) error {
	res, err := d.w().ExecContext(ctx, `DELETE FROM approval_chains
		WHERE org_unit_id = (SELECT id FROM org_units WHERE name = ?) AND level = ?`, orgUnit, level)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "no approval chain is configured for %s at level %s", orgUnit, level)
	}
	return nil
}

func (d *DB) ApprovalChains(ctx context.Context) ([]registry.ApprovalChain, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT o.name, c.level, c.steps, c.updated_at
		FROM approval_chains c JOIN org_units o ON o.id = c.org_unit_id ORDER BY o.name, c.level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.ApprovalChain{}
	for rows.Next() {
		var c registry.ApprovalChain
		var steps string
		if err := rows.Scan(&c.OrgUnit, &c.Level, &steps, &c.UpdatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(steps), &c.Steps); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (d *DB) CreateApplication(ctx context.Context, a *registry.Application) error {
	members, steps, err := applicationJSON(a)
	if err != nil {
		return err
	}
	res, err := d.w().ExecContext(ctx, `INSERT INTO applications (name, purpose, platform, planned_at, expires_at, responsible_id, level, members,
		applicant_id, org_unit_id, status, round, step, steps, step_since, renews_id, group_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, (SELECT id FROM users WHERE username = ?), ?, ?,
		(SELECT id FROM users WHERE username = ?), (SELECT id FROM org_units WHERE name = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Name, a.Purpose, a.Platform, sqlutil.ZeroNull(a.PlannedAt), sqlutil.ZeroNull(a.ExpiresAt), a.Responsible, a.Level, members,
		a.Applicant, a.OrgUnit, a.Status, a.Round, a.Step, steps, sqlutil.NullTime(a.StepSince), sqlutil.ZeroNullInt(a.Renews), sqlutil.ZeroNullInt(a.GroupID),
		a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return err
	}
	a.ID, err = res.LastInsertId()
	return err
}

func (d *DB) UpdateApplication(ctx context.Context, a *registry.Application) error {
	members, steps, err := applicationJSON(a)
	if err != nil {
		return err
	}
	_, err = d.w().ExecContext(ctx, `UPDATE applications SET name = ?, purpose = ?, platform = ?, planned_at = ?, expires_at = ?,
		responsible_id = (SELECT id FROM users WHERE username = ?), level = ?, members = ?, status = ?, round = ?, step = ?, steps = ?,
		step_since = ?, renews_id = ?, group_id = ?, updated_at = ? WHERE id = ?`,
		a.Name, a.Purpose, a.Platform, sqlutil.ZeroNull(a.PlannedAt), sqlutil.ZeroNull(a.ExpiresAt), a.Responsible, a.Level, members,
		a.Status, a.Round, a.Step, steps, sqlutil.NullTime(a.StepSince), sqlutil.ZeroNullInt(a.Renews), sqlutil.ZeroNullInt(a.GroupID), a.UpdatedAt, a.ID)
	return err
}

const applicationSelect = `SELECT a.id, a.name, a.purpose, a.platform, a.planned_at, a.expires_at, COALESCE(r.username, ''), a.level, a.members,
	p.username, COALESCE(o.name, ''), a.status, a.round, a.step, a.steps, a.step_since, COALESCE(a.renews_id, 0), COALESCE(a.group_id, 0),
	a.created_at, a.updated_at
	FROM applications a JOIN users p ON p.id = a.applicant_id LEFT JOIN users r ON r.id = a.responsible_id
	LEFT JOIN org_units o ON o.id = a.org_unit_id`

func (d *DB) Application(ctx context.Context, id int64) (*registry.Application, error) {
	as, err := d.applications(ctx, applicationSelect+` WHERE a.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, errs.E(errs.NotFound, "application %d not found", id)
	}
	return &as[0], nil
}

func (d *DB) Applications(ctx context.Context, f registry.ApplicationFilter) ([]registry.Application, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "a.status = ?"), append(args, f.Status)
	}
	if f.Applicant != "" {
		where, args = append(where, "p.username = ?"), append(args, f.Applicant)
	}
	q := applicationSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return d.applications(ctx, q+" ORDER BY a.id", args...)
}

func (d *DB) applications(ctx context.Context, q string, args ...any) ([]registry.Application, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Application{}
	for rows.Next() {
		var a registry.Application
		var planned, expires, since sql.NullTime
		var members, steps string
		if err := rows.Scan(&a.ID, &a.Name, &a.Purpose, &a.Platform, &planned, &expires, &a.Responsible, &a.Level, &members,
			&a.Applicant, &a.OrgUnit, &a.Status, &a.Round, &a.Step, &steps, &since, &a.Renews, &a.GroupID, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, err
		}
		a.PlannedAt, a.ExpiresAt, a.StepSince = sqlutil.NullZero(planned), sqlutil.NullZero(expires), sqlutil.TimePtr(since)
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		if err := sqlutil.FromJSON(members, &a.Members, steps, &a.Steps); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (d *DB) AddDecision(ctx context.Context, x *registry.Decision) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO decisions (application_id, round, step, decider_id, decision, comment, at)
		VALUES (?, ?, ?, (SELECT id FROM users WHERE username = ?), ?, ?, ?)`,
		x.ApplicationID, x.Round, x.Step, x.Decider, x.Decision, x.Comment, x.At)
	if err != nil {
		return err
	}
	x.ID, err = res.LastInsertId()
	return err
}

func (d *DB) Decisions(ctx context.Context, applicationID int64) ([]registry.Decision, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT x.id, x.application_id, x.round, x.step, u.username, x.decision, x.comment, x.at
		FROM decisions x JOIN users u ON u.id = x.decider_id WHERE x.application_id = ? ORDER BY x.id`, applicationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Decision{}
	for rows.Next() {
		var x registry.Decision
		if err := rows.Scan(&x.ID, &x.ApplicationID, &x.Round, &x.Step, &x.Decider, &x.Decision, &x.Comment, &x.At); err != nil {
			return nil, err
		}
		x.At = x.At.UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

func (d *DB) CreateGroup(ctx context.Context, g *registry.Group) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO work_groups (application_id, name, purpose, platform, level, org_unit_id, responsible_id,
		status, established_at, expires_at, dissolved_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, (SELECT id FROM org_units WHERE name = ?), (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		g.ApplicationID, g.Name, g.Purpose, g.Platform, g.Level, g.OrgUnit, g.Responsible,
		g.Status, g.EstablishedAt, g.ExpiresAt, g.DissolvedReason, g.CreatedAt, g.UpdatedAt)
	if err != nil {
		return err
	}
	g.ID, err = res.LastInsertId()
	return err
}

func (d *DB) UpdateGroup(ctx context.Context, g *registry.Group) error {
	_, err := d.w().ExecContext(ctx, `UPDATE work_groups SET status = ?, expires_at = ?, dissolved_reason = ?, updated_at = ? WHERE id = ?`,
		g.Status, g.ExpiresAt, g.DissolvedReason, g.UpdatedAt, g.ID)
	return err
}

const groupSelect = `SELECT g.id, g.application_id, g.name, g.purpose, g.platform, g.level, COALESCE(o.name, ''), r.username,
	g.status, g.established_at, g.expires_at, g.dissolved_reason, g.created_at, g.updated_at
	FROM work_groups g JOIN users r ON r.id = g.responsible_id LEFT JOIN org_units o ON o.id = g.org_unit_id`

func (d *DB) Group(ctx context.Context, id int64) (*registry.Group, error) {
	gs, err := d.groups(ctx, groupSelect+` WHERE g.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, errs.E(errs.NotFound, "group %d not found", id)
	}
	return &gs[0], nil
}

func (d *DB) Groups(ctx context.Context, f registry.GroupFilter) ([]registry.Group, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "g.status = ?"), append(args, f.Status)
	}
	if f.Level != "" {
		where, args = append(where, "g.level = ?"), append(args, f.Level)
	}
	if f.Person != "" {
		where = append(where, `(r.username = ? OR EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.id = m.user_id
			WHERE m.group_id = g.id AND u.username = ? AND m.left_at IS NULL))`)
		args = append(args, f.Person, f.Person)
	}
	q := groupSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return d.groups(ctx, q+" ORDER BY g.id", args...)
}

func (d *DB) groups(ctx context.Context, q string, args ...any) ([]registry.Group, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Group{}
	for rows.Next() {
		var g registry.Group
		if err := rows.Scan(&g.ID, &g.ApplicationID, &g.Name, &g.Purpose, &g.Platform, &g.Level, &g.OrgUnit, &g.Responsible,
			&g.Status, &g.EstablishedAt, &g.ExpiresAt, &g.DissolvedReason, &g.CreatedAt, &g.UpdatedAt); err != nil {
			return nil, err
		}
		g.EstablishedAt, g.ExpiresAt, g.CreatedAt, g.UpdatedAt = g.EstablishedAt.UTC(), g.ExpiresAt.UTC(), g.CreatedAt.UTC(), g.UpdatedAt.UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

func (d *DB) AddMember(ctx context.Context, m *registry.Member) error {
	var user sql.NullString
	if m.Username != "" {
		user = sql.NullString{String: m.Username, Valid: true}
	}
	res, err := d.w().ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, external_name, organization, justification, platform, handle, joined_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		m.GroupID, user, m.External, m.Organization, m.Justification, m.Platform, m.Handle, m.JoinedAt)
	if err != nil {
		return err
	}
	m.ID, err = res.LastInsertId()
	return err
}

func (d *DB) EndMember(ctx context.Context, id int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE group_members SET left_at = ? WHERE id = ? AND left_at IS NULL`, at, id)
	return err
}

func (d *DB) Members(ctx context.Context, groupID int64, withPast bool) ([]registry.Member, error) {
	q := `SELECT m.id, m.group_id, COALESCE(u.username, ''), COALESCE(u.display_name, ''), COALESCE(u.real_name, ''), COALESCE(u.verified, 0),
		m.external_name, m.organization, m.justification, m.platform, m.handle, m.joined_at, m.left_at
		FROM group_members m LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id = ?`
	if !withPast {
		q += ` AND m.left_at IS NULL`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY m.id`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Member{}
	for rows.Next() {
		var m registry.Member
		var left sql.NullTime
		if err := rows.Scan(&m.ID, &m.GroupID, &m.Username, &m.DisplayName, &m.RealName, &m.Verified, &m.External, &m.Organization, &m.Justification,
			&m.Platform, &m.Handle, &m.JoinedAt, &left); err != nil {
			return nil, err
		}
		m.JoinedAt, m.LeftAt = m.JoinedAt.UTC(), sqlutil.TimePtr(left)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (d *DB) AddBinding(ctx context.Context, b *registry.Binding) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO group_bindings (group_id, platform, room_id, bound_at, bound_by) VALUES (?, ?, ?, ?, ?)`,
		b.GroupID, b.Platform, b.RoomID, b.BoundAt, b.BoundBy)
	if err != nil {
		return conflict(err, "room %s %q is already bound to a group", b.Platform, b.RoomID)
	}
	b.ID, err = res.LastInsertId()
	return err
}

func (d *DB) Bindings(ctx context.Context, groupID int64) ([]registry.Binding, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT id, group_id, platform, room_id, bound_at, bound_by FROM group_bindings WHERE group_id = ? ORDER BY id`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Binding{}
	for rows.Next() {
		var b registry.Binding
		if err := rows.Scan(&b.ID, &b.GroupID, &b.Platform, &b.RoomID, &b.BoundAt, &b.BoundBy); err != nil {
			return nil, err
		}
		b.BoundAt = b.BoundAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

func (d *DB) AddHandle(ctx context.Context, h *registry.Handle) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO user_handles (user_id, platform, handle, created_at)
		VALUES ((SELECT id FROM users WHERE username = ?), ?, ?, ?)`, h.Username, h.Platform, h.Handle, h.CreatedAt)
	return conflict(err, "handle %s %q already belongs to a user", h.Platform, h.Handle)
}

func (d *DB) Handles(ctx context.Context, username string) ([]registry.Handle, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT u.username, h.platform, h.handle, h.created_at
		FROM user_handles h JOIN users u ON u.id = h.user_id WHERE u.username = ? ORDER BY h.platform, h.handle`, username)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Handle{}
	for rows.Next() {
		var h registry.Handle
		if err := rows.Scan(&h.Username, &h.Platform, &h.Handle, &h.CreatedAt); err != nil {
			return nil, err
		}
		h.CreatedAt = h.CreatedAt.UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

func (d *DB) AddTemplate(ctx context.Context, t *registry.Template) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO statement_templates (version, text_zh, text_en, published_at, published_by) VALUES (?, ?, ?, ?, ?)`,
		t.Version, t.TextZh, t.TextEn, t.PublishedAt, t.PublishedBy)
	return conflict(err, "statement version %d already exists", t.Version)
}

const templateSelect = `SELECT version, text_zh, text_en, published_at, published_by FROM statement_templates`

func (d *DB) Templates(ctx context.Context) ([]registry.Template, error) {
	return d.templates(ctx, templateSelect+` ORDER BY version DESC`)
}

func (d *DB) CurrentTemplate(ctx context.Context) (*registry.Template, error) {
	ts, err := d.templates(ctx, templateSelect+` ORDER BY version DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, errs.E(errs.NotFound, "no statement template is published")
	}
	return &ts[0], nil
}

func (d *DB) templates(ctx context.Context, q string) ([]registry.Template, error) {
	rows, err := d.r().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Template{}
	for rows.Next() {
		var t registry.Template
		if err := rows.Scan(&t.Version, &t.TextZh, &t.TextEn, &t.PublishedAt, &t.PublishedBy); err != nil {
			return nil, err
		}
		t.PublishedAt = t.PublishedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

func (d *DB) AddSignature(ctx context.Context, s *registry.Signature) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO signatures (group_id, user_id, template_version, language, text_sha256, full_name, addr, signed_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		s.GroupID, s.Username, s.TemplateVersion, s.Language, s.TextSHA256, s.FullName, s.Addr, s.SignedAt)
	if err != nil {
		return err
	}
	s.ID, err = res.LastInsertId()
	return err
}

func (d *DB) LatestSignature(ctx context.Context, groupID int64) (*registry.Signature, error) {
	var s registry.Signature
	err := d.r().QueryRowContext(ctx, `SELECT s.id, s.group_id, u.username, s.template_version, s.language, s.text_sha256, s.full_name, s.addr, s.signed_at
		FROM signatures s JOIN users u ON u.id = s.user_id WHERE s.group_id = ? ORDER BY s.id DESC LIMIT 1`, groupID).
		Scan(&s.ID, &s.GroupID, &s.Username, &s.TemplateVersion, &s.Language, &s.TextSHA256, &s.FullName, &s.Addr, &s.SignedAt)
	if err != nil {
		return nil, sqlutil.NotFound(err, "signature of group %d", groupID)
	}
	s.SignedAt = s.SignedAt.UTC()
	return &s, nil
}

func (d *DB) CreateCampaign(ctx context.Context, c *registry.Campaign) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO campaigns (kind, level, title, deadline, default_decision, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.Kind, c.Level, c.Title, c.Deadline, c.DefaultDecision, c.CreatedBy, c.CreatedAt)
	if err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}

func (d *DB) CloseCampaign(ctx context.Context, id int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE campaigns SET closed_at = ? WHERE id = ?`, at, id)
	return err
}

const campaignSelect = `SELECT id, kind, level, title, deadline, default_decision, created_by, created_at, closed_at FROM campaigns`

func (d *DB) Campaign(ctx context.Context, id int64) (*registry.Campaign, error) {
	cs, err := d.campaigns(ctx, campaignSelect+` WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, "campaign %d not found", id)
	}
	return &cs[0], nil
}

func (d *DB) Campaigns(ctx context.Context) ([]registry.Campaign, error) {
	return d.campaigns(ctx, campaignSelect+` ORDER BY id DESC`)
}

func (d *DB) campaigns(ctx context.Context, q string, args ...any) ([]registry.Campaign, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Campaign{}
	for rows.Next() {
		var c registry.Campaign
		var closed sql.NullTime
		if err := rows.Scan(&c.ID, &c.Kind, &c.Level, &c.Title, &c.Deadline, &c.DefaultDecision, &c.CreatedBy, &c.CreatedAt, &closed); err != nil {
			return nil, err
		}
		c.Deadline, c.CreatedAt, c.ClosedAt = c.Deadline.UTC(), c.CreatedAt.UTC(), sqlutil.TimePtr(closed)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (d *DB) AddRecert(ctx context.Context, r *registry.Recert) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO recertifications (campaign_id, group_id) VALUES (?, ?)`, r.CampaignID, r.GroupID)
	return err
}

func (d *DB) UpdateRecert(ctx context.Context, r *registry.Recert) error {
	_, err := d.w().ExecContext(ctx, `UPDATE recertifications SET decision = ?, members_ok = ?, comment = ?, answered_by = ?, answered_at = ?, defaulted = ?
		WHERE campaign_id = ? AND group_id = ?`,
		r.Decision, r.MembersOK, r.Comment, r.AnsweredBy, sqlutil.NullTime(r.AnsweredAt), r.Defaulted, r.CampaignID, r.GroupID)
	return err
}

func (d *DB) Recerts(ctx context.Context, campaignID int64) ([]registry.Recert, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT c.campaign_id, c.group_id, g.name, u.username, c.decision, c.members_ok, c.comment,
		c.answered_by, c.answered_at, c.defaulted
		FROM recertifications c JOIN work_groups g ON g.id = c.group_id JOIN users u ON u.id = g.responsible_id
		WHERE c.campaign_id = ? ORDER BY c.group_id`, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Recert{}
	for rows.Next() {
		var r registry.Recert
		var at sql.NullTime
		if err := rows.Scan(&r.CampaignID, &r.GroupID, &r.GroupName, &r.Responsible, &r.Decision, &r.MembersOK, &r.Comment,
			&r.AnsweredBy, &at, &r.Defaulted); err != nil {
			return nil, err
		}
		r.AnsweredAt = sqlutil.TimePtr(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (d *DB) AddDeclaration(ctx context.Context, x *registry.DeclaredGroup) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO declarations (campaign_id, user_id, group_id, name, platform, application_id, declared_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?)`,
		x.CampaignID, x.Username, sqlutil.ZeroNullInt(x.GroupID), x.Name, x.Platform, sqlutil.ZeroNullInt(x.ApplicationID), x.DeclaredAt)
	if err != nil {
		return err
	}
	x.ID, err = res.LastInsertId()
	return err
}

func (d *DB) Declarations(ctx context.Context, campaignID int64) ([]registry.DeclaredGroup, error) {
	rows, err := d.r().QueryContext(ctx, `SELECT x.id, x.campaign_id, u.username, COALESCE(x.group_id, 0), x.name, x.platform,
		COALESCE(x.application_id, 0), x.declared_at
		FROM declarations x JOIN users u ON u.id = x.user_id WHERE x.campaign_id = ? ORDER BY x.id`, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.DeclaredGroup{}
	for rows.Next() {
		var x registry.DeclaredGroup
		if err := rows.Scan(&x.ID, &x.CampaignID, &x.Username, &x.GroupID, &x.Name, &x.Platform, &x.ApplicationID, &x.DeclaredAt); err != nil {
			return nil, err
		}
		x.DeclaredAt = x.DeclaredAt.UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

func (d *DB) Notify(ctx context.Context, n *registry.Notification) (bool, error) {
	var key sql.NullString
	if n.Key != "" {
		key = sql.NullString{String: n.Key, Valid: true}
	}
	res, err := d.w().ExecContext(ctx, `INSERT INTO notifications (user_id, kind, object, message, dedupe_key, created_at)
		VALUES ((SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, dedupe_key) DO NOTHING`, n.Username, n.Kind, n.Object, n.Message, key, n.CreatedAt)
	if err != nil {
		return false, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, nil
	}
	n.ID, err = res.LastInsertId()
	return true, err
}

func (d *DB) Notifications(ctx context.Context, username string, unreadOnly bool) ([]registry.Notification, error) {
	q := `SELECT n.id, u.username, n.kind, n.object, n.message, n.created_at, n.read_at
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ?`
	if unreadOnly {
		q += ` AND n.read_at IS NULL`
	}
	rows, err := d.r().QueryContext(ctx, q+` ORDER BY n.id DESC LIMIT 500`, username)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Notification{}
	for rows.Next() {
		var n registry.Notification
		var read sql.NullTime
		if err := rows.Scan(&n.ID, &n.Username, &n.Kind, &n.Object, &n.Message, &n.CreatedAt, &read); err != nil {
			return nil, err
		}
		n.CreatedAt, n.ReadAt = n.CreatedAt.UTC(), sqlutil.TimePtr(read)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (d *DB) MarkRead(ctx context.Context, id int64, username string, at time.Time) error {
	res, err := d.w().ExecContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, ?)
		WHERE id = ? AND user_id = (SELECT id FROM users WHERE username = ?)`, at, id, username)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "notification %d not found", id)
	}
	return nil
}

func applicationJSON(a *registry.Application) (members, steps string, err error) {
	if members, err = sqlutil.JSON(a.Members); err != nil {
		return "", "", err
	}
	steps, err = sqlutil.JSON(a.Steps)
	return members, steps, err
}
