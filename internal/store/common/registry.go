package common

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store/sqlutil"
)

// RegistryVersion reads the registry's change counter.
func (s Shared) RegistryVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&v)
	return v, err
}

// RegistrySnapshot reads what registry.Directory holds. The counter is read
// first: a change committed while the rest is read makes the snapshot newer
// than its version, never older, so the next check reloads it again.
func (s Shared) RegistrySnapshot(ctx context.Context) (*registry.SnapshotRows, error) {
	snap := &registry.SnapshotRows{}
	var err error
	if snap.Version, err = s.RegistryVersion(ctx); err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT platform, room_id, group_id FROM group_bindings`, func(sc Scanner) error {
		var b registry.SnapshotBinding
		if err := sc.Scan(&b.Platform, &b.RoomID, &b.GroupID); err != nil {
			return err
		}
		snap.Bindings = append(snap.Bindings, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT g.id, g.name, g.status, g.level, COALESCE(o.name, ''), r.username
		FROM work_groups g JOIN users r ON r.id = g.responsible_id LEFT JOIN org_units o ON o.id = g.org_unit_id`, func(sc Scanner) error {
		var g registry.SnapshotGroup
		if err := sc.Scan(&g.ID, &g.Name, &g.Status, &g.Level, &g.OrgUnit, &g.Responsible); err != nil {
			return err
		}
		snap.Groups = append(snap.Groups, g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT u.name, COALESCE(p.name, '') FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id`, func(sc Scanner) error {
		var u registry.SnapshotUnit
		if err := sc.Scan(&u.Name, &u.Parent); err != nil {
			return err
		}
		snap.Units = append(snap.Units, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT h.platform, h.handle, u.username, u.real_name, u.verified FROM user_handles h JOIN users u ON u.id = h.user_id`, func(sc Scanner) error {
		var h registry.SnapshotHandle
		if err := sc.Scan(&h.Platform, &h.Handle, &h.Username, &h.RealName, &h.Verified); err != nil {
			return err
		}
		snap.Handles = append(snap.Handles, h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT m.group_id, COALESCE(u.username, ''), m.external_name, m.organization, m.platform, m.handle, m.left_at IS NOT NULL
		FROM group_members m LEFT JOIN users u ON u.id = m.user_id ORDER BY m.id`, func(sc Scanner) error {
		var m registry.SnapshotMember
		if err := sc.Scan(&m.GroupID, &m.Username, &m.External, &m.Organization, &m.Platform, &m.Handle, &m.Left); err != nil {
			return err
		}
		snap.Members = append(snap.Members, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = Each(ctx, s.r, `SELECT platform, room_id FROM platform_rooms WHERE direct`, func(sc Scanner) error {
		var d [2]string
		if err := sc.Scan(&d[0], &d[1]); err != nil {
			return err
		}
		snap.Direct = append(snap.Direct, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

func (s Shared) SetApprovalChain(ctx context.Context, c *registry.ApprovalChain) error {
	steps, err := json.Marshal(c.Steps)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO approval_chains (org_unit_id, level, steps, updated_at)
		VALUES ((SELECT id FROM org_units WHERE name = ?), ?, ?, ?)
		ON CONFLICT (org_unit_id, level) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at`,
		c.OrgUnit, c.Level, string(steps), c.UpdatedAt)
	return err
}

func (s Shared) DeleteApprovalChain(ctx context.Context, orgUnit string, level registry.Level) error {
	n, err := s.affected(ctx, `DELETE FROM approval_chains
		WHERE org_unit_id = (SELECT id FROM org_units WHERE name = ?) AND level = ?`, orgUnit, level)
	if err == nil && n == 0 {
		return errs.E(errs.NotFound, "no approval chain is configured for %s at level %s", orgUnit, level)
	}
	return err
}

func (s Shared) ApprovalChains(ctx context.Context) ([]registry.ApprovalChain, error) {
	return list(ctx, s, func(sc Scanner) (registry.ApprovalChain, error) {
		var c registry.ApprovalChain
		var steps string
		if err := sc.Scan(&c.OrgUnit, &c.Level, &steps, &c.UpdatedAt); err != nil {
			return c, err
		}
		return c, json.Unmarshal([]byte(steps), &c.Steps)
	}, `SELECT o.name, c.level, c.steps, c.updated_at
		FROM approval_chains c JOIN org_units o ON o.id = c.org_unit_id ORDER BY o.name, c.level`)
}

func (s Shared) CreateApplication(ctx context.Context, a *registry.Application) error {
	members, steps, err := applicationJSON(a)
	if err != nil {
		return err
	}
	return s.insert(ctx, &a.ID, `INSERT INTO applications (name, purpose, platform, planned_at, expires_at, responsible_id, level, members,
		applicant_id, org_unit_id, status, round, step, steps, step_since, renews_id, group_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, (SELECT id FROM users WHERE username = ?), ?, ?,
		(SELECT id FROM users WHERE username = ?), (SELECT id FROM org_units WHERE name = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Name, a.Purpose, a.Platform, sqlutil.ZeroNull(a.PlannedAt), sqlutil.ZeroNull(a.ExpiresAt), a.Responsible, a.Level, members,
		a.Applicant, a.OrgUnit, a.Status, a.Round, a.Step, steps, sqlutil.NullTime(a.StepSince), sqlutil.ZeroNullInt(a.Renews), sqlutil.ZeroNullInt(a.GroupID),
		a.CreatedAt, a.UpdatedAt)
}

func (s Shared) UpdateApplication(ctx context.Context, a *registry.Application) error {
	members, steps, err := applicationJSON(a)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `UPDATE applications SET name = ?, purpose = ?, platform = ?, planned_at = ?, expires_at = ?,
		responsible_id = (SELECT id FROM users WHERE username = ?), level = ?, members = ?, status = ?, round = ?, step = ?, steps = ?,
		step_since = ?, renews_id = ?, group_id = ?, updated_at = ? WHERE id = ?`,
		a.Name, a.Purpose, a.Platform, sqlutil.ZeroNull(a.PlannedAt), sqlutil.ZeroNull(a.ExpiresAt), a.Responsible, a.Level, members,
		a.Status, a.Round, a.Step, steps, sqlutil.NullTime(a.StepSince), sqlutil.ZeroNullInt(a.Renews), sqlutil.ZeroNullInt(a.GroupID), a.UpdatedAt, a.ID)
	return err
}

func applicationJSON(a *registry.Application) (members, steps string, err error) {
	if members, err = sqlutil.JSON(a.Members); err != nil {
		return "", "", err
	}
	steps, err = sqlutil.JSON(a.Steps)
	return members, steps, err
}

const applicationSelect = `SELECT a.id, a.name, a.purpose, a.platform, a.planned_at, a.expires_at, COALESCE(r.username, ''), a.level, a.members,
	p.username, COALESCE(o.name, ''), a.status, a.round, a.step, a.steps, a.step_since, COALESCE(a.renews_id, 0), COALESCE(a.group_id, 0),
	a.created_at, a.updated_at
	FROM applications a JOIN users p ON p.id = a.applicant_id LEFT JOIN users r ON r.id = a.responsible_id
	LEFT JOIN org_units o ON o.id = a.org_unit_id`

// Application locks the row when called in a transaction, so two approvers
// deciding the same step at once are serialized.
func (s Shared) Application(ctx context.Context, id int64) (*registry.Application, error) {
	as, err := list(ctx, s, scanApplication, applicationSelect+` WHERE a.id = ?`+s.forUpdate("a"), id)
	return first(as, err, "application %d not found", id)
}

func (s Shared) Applications(ctx context.Context, f registry.ApplicationFilter) ([]registry.Application, error) {
	var w Filter
	if f.Status != "" {
		w.Add("a.status = ?", f.Status)
	}
	if f.Applicant != "" {
		w.Add("p.username = ?", f.Applicant)
	}
	return list(ctx, s, scanApplication, applicationSelect+w.Where()+" ORDER BY a.id", w.Args...)
}

func scanApplication(sc Scanner) (registry.Application, error) {
	var a registry.Application
	var planned, expires, since sql.NullTime
	var members, steps string
	if err := sc.Scan(&a.ID, &a.Name, &a.Purpose, &a.Platform, &planned, &expires, &a.Responsible, &a.Level, &members,
		&a.Applicant, &a.OrgUnit, &a.Status, &a.Round, &a.Step, &steps, &since, &a.Renews, &a.GroupID, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return a, err
	}
	a.PlannedAt, a.ExpiresAt, a.StepSince = sqlutil.NullZero(planned), sqlutil.NullZero(expires), sqlutil.TimePtr(since)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, sqlutil.FromJSON(members, &a.Members, steps, &a.Steps)
}

func (s Shared) AddDecision(ctx context.Context, x *registry.Decision) error {
	return s.insert(ctx, &x.ID, `INSERT INTO decisions (application_id, round, step, decider_id, decision, comment, at)
		VALUES (?, ?, ?, (SELECT id FROM users WHERE username = ?), ?, ?, ?)`,
		x.ApplicationID, x.Round, x.Step, x.Decider, x.Decision, x.Comment, x.At)
}

func (s Shared) Decisions(ctx context.Context, applicationID int64) ([]registry.Decision, error) {
	return list(ctx, s, func(sc Scanner) (registry.Decision, error) {
		var x registry.Decision
		err := sc.Scan(&x.ID, &x.ApplicationID, &x.Round, &x.Step, &x.Decider, &x.Decision, &x.Comment, &x.At)
		x.At = x.At.UTC()
		return x, err
	}, `SELECT x.id, x.application_id, x.round, x.step, u.username, x.decision, x.comment, x.at
		FROM decisions x JOIN users u ON u.id = x.decider_id WHERE x.application_id = ? ORDER BY x.id`, applicationID)
}

func (s Shared) CreateGroup(ctx context.Context, g *registry.Group) error {
	return s.insert(ctx, &g.ID, `INSERT INTO work_groups (application_id, name, purpose, platform, level, org_unit_id, responsible_id,
		status, established_at, expires_at, dissolved_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, (SELECT id FROM org_units WHERE name = ?), (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		g.ApplicationID, g.Name, g.Purpose, g.Platform, g.Level, g.OrgUnit, g.Responsible,
		g.Status, g.EstablishedAt, g.ExpiresAt, g.DissolvedReason, g.CreatedAt, g.UpdatedAt)
}

func (s Shared) UpdateGroup(ctx context.Context, g *registry.Group) error {
	_, err := s.exec(ctx, `UPDATE work_groups SET status = ?, expires_at = ?, dissolved_reason = ?, updated_at = ? WHERE id = ?`,
		g.Status, g.ExpiresAt, g.DissolvedReason, g.UpdatedAt, g.ID)
	return err
}

const groupSelect = `SELECT g.id, g.application_id, g.name, g.purpose, g.platform, g.level, COALESCE(o.name, ''), r.username,
	g.status, g.established_at, g.expires_at, g.dissolved_reason, g.created_at, g.updated_at
	FROM work_groups g JOIN users r ON r.id = g.responsible_id LEFT JOIN org_units o ON o.id = g.org_unit_id`

// Group locks the row when called in a transaction, so a state change reads
// the state it changes.
func (s Shared) Group(ctx context.Context, id int64) (*registry.Group, error) {
	gs, err := list(ctx, s, scanGroup, groupSelect+` WHERE g.id = ?`+s.forUpdate("g"), id)
	return first(gs, err, "group %d not found", id)
}

func (s Shared) Groups(ctx context.Context, f registry.GroupFilter) ([]registry.Group, error) {
	var w Filter
	if f.Status != "" {
		w.Add("g.status = ?", f.Status)
	}
	if f.Level != "" {
		w.Add("g.level = ?", f.Level)
	}
	if f.Person != "" {
		w.Add(`(r.username = ? OR EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.id = m.user_id
			WHERE m.group_id = g.id AND u.username = ? AND m.left_at IS NULL))`, f.Person, f.Person)
	}
	return list(ctx, s, scanGroup, groupSelect+w.Where()+" ORDER BY g.id", w.Args...)
}

func scanGroup(sc Scanner) (registry.Group, error) {
	var g registry.Group
	err := sc.Scan(&g.ID, &g.ApplicationID, &g.Name, &g.Purpose, &g.Platform, &g.Level, &g.OrgUnit, &g.Responsible,
		&g.Status, &g.EstablishedAt, &g.ExpiresAt, &g.DissolvedReason, &g.CreatedAt, &g.UpdatedAt)
	sqlutil.UTC(&g.EstablishedAt, &g.ExpiresAt, &g.CreatedAt, &g.UpdatedAt)
	return g, err
}

func (s Shared) AddMember(ctx context.Context, m *registry.Member) error {
	var user sql.NullString
	if m.Username != "" {
		user = sql.NullString{String: m.Username, Valid: true}
	}
	return s.insert(ctx, &m.ID, `INSERT INTO group_members (group_id, user_id, external_name, organization, justification, platform, handle, joined_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		m.GroupID, user, m.External, m.Organization, m.Justification, m.Platform, m.Handle, m.JoinedAt)
}

func (s Shared) EndMember(ctx context.Context, id int64, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE group_members SET left_at = ? WHERE id = ? AND left_at IS NULL`, at, id)
	return err
}

func (s Shared) Members(ctx context.Context, groupID int64, withPast bool) ([]registry.Member, error) {
	q := `SELECT m.id, m.group_id, COALESCE(u.username, ''), COALESCE(u.display_name, ''), COALESCE(u.real_name, ''), COALESCE(u.verified, false),
		m.external_name, m.organization, m.justification, m.platform, m.handle, m.joined_at, m.left_at
		FROM group_members m LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id = ?`
	if !withPast {
		q += ` AND m.left_at IS NULL`
	}
	return list(ctx, s, func(sc Scanner) (registry.Member, error) {
		var m registry.Member
		var left sql.NullTime
		err := sc.Scan(&m.ID, &m.GroupID, &m.Username, &m.DisplayName, &m.RealName, &m.Verified, &m.External, &m.Organization, &m.Justification,
			&m.Platform, &m.Handle, &m.JoinedAt, &left)
		m.JoinedAt, m.LeftAt = m.JoinedAt.UTC(), sqlutil.TimePtr(left)
		return m, err
	}, q+` ORDER BY m.id`, groupID)
}

func (s Shared) AddBinding(ctx context.Context, b *registry.Binding) error {
	err := s.insert(ctx, &b.ID, `INSERT INTO group_bindings (group_id, platform, room_id, bound_at, bound_by) VALUES (?, ?, ?, ?, ?)`,
		b.GroupID, b.Platform, b.RoomID, b.BoundAt, b.BoundBy)
	return s.conflict(err, "room %s %q is already bound to a group", b.Platform, b.RoomID)
}

func (s Shared) Bindings(ctx context.Context, groupID int64) ([]registry.Binding, error) {
	return list(ctx, s, func(sc Scanner) (registry.Binding, error) {
		var b registry.Binding
		err := sc.Scan(&b.ID, &b.GroupID, &b.Platform, &b.RoomID, &b.BoundAt, &b.BoundBy)
		b.BoundAt = b.BoundAt.UTC()
		return b, err
	}, `SELECT id, group_id, platform, room_id, bound_at, bound_by FROM group_bindings WHERE group_id = ? ORDER BY id`, groupID)
}

func (s Shared) AddHandle(ctx context.Context, h *registry.Handle) error {
	_, err := s.exec(ctx, `INSERT INTO user_handles (user_id, platform, handle, created_at)
		VALUES ((SELECT id FROM users WHERE username = ?), ?, ?, ?)`, h.Username, h.Platform, h.Handle, h.CreatedAt)
	return s.conflict(err, "handle %s %q already belongs to a user", h.Platform, h.Handle)
}

func (s Shared) HandleHolders(ctx context.Context, platform registry.Platform, handle string) (string, []int64, error) {
	var user string
	err := s.row(ctx, `SELECT u.username FROM user_handles h JOIN users u ON u.id = h.user_id
		WHERE h.platform = ? AND h.handle = ?`, platform, handle).Scan(&user)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, err
	}
	groups, err := list(ctx, s, func(sc Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `SELECT DISTINCT group_id FROM group_members
		WHERE platform = ? AND handle = ? AND user_id IS NULL AND left_at IS NULL ORDER BY group_id`, platform, handle)
	return user, groups, err
}

func (s Shared) Handles(ctx context.Context, username string) ([]registry.Handle, error) {
	return list(ctx, s, func(sc Scanner) (registry.Handle, error) {
		var h registry.Handle
		err := sc.Scan(&h.Username, &h.Platform, &h.Handle, &h.CreatedAt)
		h.CreatedAt = h.CreatedAt.UTC()
		return h, err
	}, `SELECT u.username, h.platform, h.handle, h.created_at
		FROM user_handles h JOIN users u ON u.id = h.user_id WHERE u.username = ? ORDER BY h.platform, h.handle`, username)
}

func (s Shared) AddTemplate(ctx context.Context, t *registry.Template) error {
	_, err := s.exec(ctx, `INSERT INTO statement_templates (version, text_zh, text_en, published_at, published_by) VALUES (?, ?, ?, ?, ?)`,
		t.Version, t.TextZh, t.TextEn, t.PublishedAt, t.PublishedBy)
	return s.conflict(err, "statement version %d already exists", t.Version)
}

const templateSelect = `SELECT version, text_zh, text_en, published_at, published_by FROM statement_templates`

func scanTemplate(sc Scanner) (registry.Template, error) {
	var t registry.Template
	err := sc.Scan(&t.Version, &t.TextZh, &t.TextEn, &t.PublishedAt, &t.PublishedBy)
	t.PublishedAt = t.PublishedAt.UTC()
	return t, err
}

func (s Shared) Templates(ctx context.Context) ([]registry.Template, error) {
	return list(ctx, s, scanTemplate, templateSelect+` ORDER BY version DESC`)
}

func (s Shared) CurrentTemplate(ctx context.Context) (*registry.Template, error) {
	ts, err := list(ctx, s, scanTemplate, templateSelect+` ORDER BY version DESC LIMIT 1`)
	return first(ts, err, "no statement template is published")
}

func (s Shared) AddSignature(ctx context.Context, x *registry.Signature) error {
	return s.insert(ctx, &x.ID, `INSERT INTO signatures (group_id, user_id, template_version, language, text_sha256, full_name, addr, signed_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?, ?)`,
		x.GroupID, x.Username, x.TemplateVersion, x.Language, x.TextSHA256, x.FullName, x.Addr, x.SignedAt)
}

func (s Shared) LatestSignature(ctx context.Context, groupID int64) (*registry.Signature, error) {
	var x registry.Signature
	err := s.row(ctx, `SELECT s.id, s.group_id, u.username, s.template_version, s.language, s.text_sha256, s.full_name, s.addr, s.signed_at
		FROM signatures s JOIN users u ON u.id = s.user_id WHERE s.group_id = ? ORDER BY s.id DESC LIMIT 1`, groupID).
		Scan(&x.ID, &x.GroupID, &x.Username, &x.TemplateVersion, &x.Language, &x.TextSHA256, &x.FullName, &x.Addr, &x.SignedAt)
	if err != nil {
		return nil, sqlutil.NotFound(err, "signature of group %d", groupID)
	}
	x.SignedAt = x.SignedAt.UTC()
	return &x, nil
}

func (s Shared) CreateCampaign(ctx context.Context, c *registry.Campaign) error {
	return s.insert(ctx, &c.ID, `INSERT INTO campaigns (kind, level, title, deadline, default_decision, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.Kind, c.Level, c.Title, c.Deadline, c.DefaultDecision, c.CreatedBy, c.CreatedAt)
}

func (s Shared) CloseCampaign(ctx context.Context, id int64, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE campaigns SET closed_at = ? WHERE id = ?`, at, id)
	return err
}

const campaignSelect = `SELECT id, kind, level, title, deadline, default_decision, created_by, created_at, closed_at FROM campaigns`

func scanCampaign(sc Scanner) (registry.Campaign, error) {
	var c registry.Campaign
	var closed sql.NullTime
	err := sc.Scan(&c.ID, &c.Kind, &c.Level, &c.Title, &c.Deadline, &c.DefaultDecision, &c.CreatedBy, &c.CreatedAt, &closed)
	c.Deadline, c.CreatedAt, c.ClosedAt = c.Deadline.UTC(), c.CreatedAt.UTC(), sqlutil.TimePtr(closed)
	return c, err
}

func (s Shared) Campaign(ctx context.Context, id int64) (*registry.Campaign, error) {
	cs, err := list(ctx, s, scanCampaign, campaignSelect+` WHERE id = ?`, id)
	return first(cs, err, "campaign %d not found", id)
}

func (s Shared) Campaigns(ctx context.Context) ([]registry.Campaign, error) {
	return list(ctx, s, scanCampaign, campaignSelect+` ORDER BY id DESC`)
}

func (s Shared) AddRecert(ctx context.Context, r *registry.Recert) error {
	_, err := s.exec(ctx, `INSERT INTO recertifications (campaign_id, group_id) VALUES (?, ?)`, r.CampaignID, r.GroupID)
	return err
}

func (s Shared) UpdateRecert(ctx context.Context, r *registry.Recert) error {
	_, err := s.exec(ctx, `UPDATE recertifications SET decision = ?, members_ok = ?, comment = ?, answered_by = ?, answered_at = ?, defaulted = ?
		WHERE campaign_id = ? AND group_id = ?`,
		r.Decision, r.MembersOK, r.Comment, r.AnsweredBy, sqlutil.NullTime(r.AnsweredAt), r.Defaulted, r.CampaignID, r.GroupID)
	return err
}

func (s Shared) Recerts(ctx context.Context, campaignID int64) ([]registry.Recert, error) {
	return list(ctx, s, func(sc Scanner) (registry.Recert, error) {
		var r registry.Recert
		var at sql.NullTime
		err := sc.Scan(&r.CampaignID, &r.GroupID, &r.GroupName, &r.Responsible, &r.Decision, &r.MembersOK, &r.Comment,
			&r.AnsweredBy, &at, &r.Defaulted)
		r.AnsweredAt = sqlutil.TimePtr(at)
		return r, err
	}, `SELECT c.campaign_id, c.group_id, g.name, u.username, c.decision, c.members_ok, c.comment,
		c.answered_by, c.answered_at, c.defaulted
		FROM recertifications c JOIN work_groups g ON g.id = c.group_id JOIN users u ON u.id = g.responsible_id
		WHERE c.campaign_id = ? ORDER BY c.group_id`, campaignID)
}

func (s Shared) AddDeclaration(ctx context.Context, x *registry.DeclaredGroup) error {
	return s.insert(ctx, &x.ID, `INSERT INTO declarations (campaign_id, user_id, group_id, name, platform, application_id, declared_at)
		VALUES (?, (SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?)`,
		x.CampaignID, x.Username, sqlutil.ZeroNullInt(x.GroupID), x.Name, x.Platform, sqlutil.ZeroNullInt(x.ApplicationID), x.DeclaredAt)
}

func (s Shared) Declarations(ctx context.Context, campaignID int64) ([]registry.DeclaredGroup, error) {
	return list(ctx, s, func(sc Scanner) (registry.DeclaredGroup, error) {
		var x registry.DeclaredGroup
		err := sc.Scan(&x.ID, &x.CampaignID, &x.Username, &x.GroupID, &x.Name, &x.Platform, &x.ApplicationID, &x.DeclaredAt)
		x.DeclaredAt = x.DeclaredAt.UTC()
		return x, err
	}, `SELECT x.id, x.campaign_id, u.username, COALESCE(x.group_id, 0), x.name, x.platform,
		COALESCE(x.application_id, 0), x.declared_at
		FROM declarations x JOIN users u ON u.id = x.user_id WHERE x.campaign_id = ? ORDER BY x.id`, campaignID)
}

func (s Shared) Notify(ctx context.Context, n *registry.Notification) (bool, error) {
	var key sql.NullString
	if n.Key != "" {
		key = sql.NullString{String: n.Key, Valid: true}
	}
	err := s.insert(ctx, &n.ID, `INSERT INTO notifications (user_id, kind, object, message, dedupe_key, created_at)
		VALUES ((SELECT id FROM users WHERE username = ?), ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, dedupe_key) DO NOTHING`, n.Username, n.Kind, n.Object, n.Message, key, n.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // RETURNING yields no row when the key was used before
	}
	return err == nil, err
}

func (s Shared) Notifications(ctx context.Context, username string, unreadOnly bool) ([]registry.Notification, error) {
	q := `SELECT n.id, u.username, n.kind, n.object, n.message, n.created_at, n.read_at
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ?`
	if unreadOnly {
		q += ` AND n.read_at IS NULL`
	}
	return list(ctx, s, func(sc Scanner) (registry.Notification, error) {
		var n registry.Notification
		var read sql.NullTime
		err := sc.Scan(&n.ID, &n.Username, &n.Kind, &n.Object, &n.Message, &n.CreatedAt, &read)
		n.CreatedAt, n.ReadAt = n.CreatedAt.UTC(), sqlutil.TimePtr(read)
		return n, err
	}, q+` ORDER BY n.id DESC LIMIT 500`, username)
}

func (s Shared) MarkRead(ctx context.Context, id int64, username string, at time.Time) error {
	n, err := s.affected(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, ?)
		WHERE id = ? AND user_id = (SELECT id FROM users WHERE username = ?)`, at, id, username)
	if err == nil && n == 0 {
		return errs.E(errs.NotFound, "notification %d not found", id)
	}
	return err
}
