package common

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"charter/internal/account"
	"charter/internal/store/sqlutil"
)

// DeleteUserSessions signs a user out everywhere.
func (s Shared) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

// DeleteExpiredSessions removes sessions that ended before now.
func (s Shared) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM sessions WHERE expires_at < ?`), now.UTC())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// LoginFailures reads a failure counter (nil: none).
func (s Shared) LoginFailures(ctx context.Context, scope, key string) (*account.LoginFailures, error) {
	c := &account.LoginFailures{Scope: scope, Key: key}
	err := s.r.QueryRowContext(ctx, s.d.Rebind(`SELECT window_start, failures, last_at FROM login_failures WHERE scope = ? AND key = ?`), scope, key).
		Scan(&c.WindowStart, &c.Failures, &c.LastAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
	return c, err
}

// AddLoginFailure counts one more failure, atomically (parallel attempts
// each get their own count), starting the counter's window at now when it
// has none, and returns the counter as it now stands.
func (s Shared) AddLoginFailure(ctx context.Context, scope, key string, now time.Time) (*account.LoginFailures, error) {
	c := &account.LoginFailures{Scope: scope, Key: key}
	err := s.w.QueryRowContext(ctx, s.d.Rebind(`INSERT INTO login_failures (scope, key, window_start, failures, last_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (scope, key) DO UPDATE SET failures = login_failures.failures + 1, last_at = excluded.last_at
		RETURNING window_start, failures, last_at`), scope, key, now.UTC(), now.UTC()).Scan(&c.WindowStart, &c.Failures, &c.LastAt)
	c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
	return c, err
}

// DeleteLoginFailures forgets a counter.
func (s Shared) DeleteLoginFailures(ctx context.Context, scope, key string) error {
	_, err := s.w.ExecContext(ctx, s.d.Rebind(`DELETE FROM login_failures WHERE scope = ? AND key = ?`), scope, key)
	return err
}

// StaleLoginFailures lists the counters whose window began before `before`.
func (s Shared) StaleLoginFailures(ctx context.Context, before time.Time) ([]account.LoginFailures, error) {
	var out []account.LoginFailures
	err := Each(ctx, s.r, s.d.Rebind(`SELECT scope, key, window_start, failures, last_at FROM login_failures WHERE window_start < ? ORDER BY scope, key`), func(sc Scanner) error {
		var c account.LoginFailures
		if err := sc.Scan(&c.Scope, &c.Key, &c.WindowStart, &c.Failures, &c.LastAt); err != nil {
			return err
		}
		c.WindowStart, c.LastAt = c.WindowStart.UTC(), c.LastAt.UTC()
		out = append(out, c)
		return nil
	}, before.UTC())
	return out, err
}

func (s Shared) CreateOrgUnit(ctx context.Context, u *account.OrgUnit) error {
	err := s.insert(ctx, &u.ID, `INSERT INTO org_units (name, parent_id, created_at)
		VALUES (?, (SELECT id FROM org_units WHERE name = ?), ?)`, u.Name, u.Parent, u.CreatedAt)
	return s.conflict(err, "org unit %q already exists", u.Name)
}

const orgUnitSelect = `SELECT o.id, o.name, COALESCE(p.name, ''), o.created_at FROM org_units o LEFT JOIN org_units p ON p.id = o.parent_id`

func scanOrgUnit(sc Scanner) (account.OrgUnit, error) {
	var u account.OrgUnit
	err := sc.Scan(&u.ID, &u.Name, &u.Parent, &u.CreatedAt)
	return u, err
}

func (s Shared) OrgUnits(ctx context.Context) ([]account.OrgUnit, error) {
	return list(ctx, s, scanOrgUnit, orgUnitSelect+` ORDER BY o.name`)
}

func (s Shared) OrgUnit(ctx context.Context, name string) (*account.OrgUnit, error) {
	u, err := scanOrgUnit(s.row(ctx, orgUnitSelect+` WHERE o.name = ?`, name))
	if err != nil {
		return nil, sqlutil.NotFound(err, "org unit %q", name)
	}
	return &u, nil
}

func (s Shared) CreateUser(ctx context.Context, u *account.User) error {
	err := s.insert(ctx, &u.ID, `INSERT INTO users (username, display_name, real_name, employee_no, org_unit_id, verified, active, language, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, (SELECT id FROM org_units WHERE name = ?), ?, ?, ?, ?, ?, ?)`,
		u.Username, u.DisplayName, u.RealName, u.EmployeeNo, u.OrgUnit, u.Verified, u.Active, u.Language, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return s.conflict(err, "user %q already exists", u.Username)
	}
	return s.setRoles(ctx, u)
}

func (s Shared) UpdateUser(ctx context.Context, u *account.User) error {
	_, err := s.exec(ctx, `UPDATE users SET display_name = ?, real_name = ?, employee_no = ?,
		org_unit_id = (SELECT id FROM org_units WHERE name = ?), verified = ?, active = ?, language = ?, password_hash = ?, updated_at = ?
		WHERE id = ?`, u.DisplayName, u.RealName, u.EmployeeNo, u.OrgUnit, u.Verified, u.Active, u.Language, u.PasswordHash, u.UpdatedAt, u.ID)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, `DELETE FROM user_roles WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	return s.setRoles(ctx, u)
}

func (s Shared) setRoles(ctx context.Context, u *account.User) error {
	for _, g := range u.Roles {
		if _, err := s.exec(ctx, `INSERT INTO user_roles (user_id, role, org_unit_id)
			VALUES (?, ?, (SELECT id FROM org_units WHERE name = ?))`, u.ID, g.Role, g.OrgUnit); err != nil {
			return err
		}
	}
	return nil
}

const userSelect = `SELECT u.id, u.username, u.display_name, u.real_name, u.employee_no, COALESCE(o.name, ''),
	u.verified, u.active, u.language, u.password_hash, u.created_at, u.updated_at
	FROM users u LEFT JOIN org_units o ON o.id = u.org_unit_id`

func (s Shared) User(ctx context.Context, username string) (*account.User, error) {
	us, err := s.users(ctx, userSelect+` WHERE u.username = ?`, username)
	return first(us, err, "user %v not found", username)
}

func (s Shared) UserByID(ctx context.Context, id int64) (*account.User, error) {
	us, err := s.users(ctx, userSelect+` WHERE u.id = ?`, id)
	return first(us, err, "user %v not found", id)
}

func (s Shared) Users(ctx context.Context, f account.UserFilter) ([]account.User, error) {
	var w Filter
	if f.OrgUnit != "" {
		w.Add("o.name = ?", f.OrgUnit)
	}
	if f.Role != "" && f.Role != account.Member {
		w.Add("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ?)", f.Role)
	}
	if f.Active != nil {
		w.Add("u.active = ?", *f.Active)
	}
	return s.users(ctx, userSelect+w.Where()+" ORDER BY u.username", w.Args...)
}

func (s Shared) users(ctx context.Context, q string, args ...any) ([]account.User, error) {
	out, err := list(ctx, s, func(sc Scanner) (account.User, error) {
		var u account.User
		err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.RealName, &u.EmployeeNo, &u.OrgUnit,
			&u.Verified, &u.Active, &u.Language, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
		u.Roles = []account.Grant{}
		return u, err
	}, q, args...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	byID := map[int64]int{}
	for i, u := range out {
		byID[u.ID] = i
	}
	// One query for the roles of all listed users, not one per user.
	q = `SELECT r.user_id, r.role, COALESCE(o.name, '') FROM user_roles r LEFT JOIN org_units o ON o.id = r.org_unit_id`
	args = nil
	if len(out) == 1 {
		q, args = q+` WHERE r.user_id = ?`, []any{out[0].ID}
	}
	return out, Each(ctx, s.r, s.d.Rebind(q+` ORDER BY r.user_id, r.role, o.name`), func(sc Scanner) error {
		var id int64
		var g account.Grant
		if err := sc.Scan(&id, &g.Role, &g.OrgUnit); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			out[i].Roles = append(out[i].Roles, g)
		}
		return nil
	}, args...)
}

func (s Shared) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.row(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func (s Shared) CreateSession(ctx context.Context, x *account.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (hash, user_id, created_at, expires_at, addr) VALUES (?, ?, ?, ?, ?)`,
		x.Hash, x.UserID, x.CreatedAt, x.ExpiresAt, x.Addr)
	return err
}

func (s Shared) Session(ctx context.Context, hash string, now time.Time) (*account.Session, error) {
	var x account.Session
	err := s.row(ctx, `SELECT hash, user_id, created_at, expires_at, addr FROM sessions WHERE hash = ? AND expires_at > ?`,
		hash, now).Scan(&x.Hash, &x.UserID, &x.CreatedAt, &x.ExpiresAt, &x.Addr)
	if err != nil {
		return nil, sqlutil.NotFound(err, "session")
	}
	return &x, nil
}

func (s Shared) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

func (s Shared) CreateToken(ctx context.Context, t *account.Token) error {
	return s.insert(ctx, &t.ID, `INSERT INTO api_tokens (name, scope, prefix, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Name, t.Scope, t.Prefix, t.Hash, t.CreatedBy, t.CreatedAt)
}

const tokenSelect = `SELECT id, name, scope, prefix, hash, created_by, created_at, last_used_at, revoked_at FROM api_tokens`

func (s Shared) Tokens(ctx context.Context) ([]account.Token, error) {
	return list(ctx, s, scanToken, tokenSelect+` ORDER BY id`)
}

func (s Shared) TokenByHash(ctx context.Context, hash string) (*account.Token, error) {
	t, err := scanToken(s.row(ctx, tokenSelect+` WHERE hash = ?`, hash))
	if err != nil {
		return nil, sqlutil.NotFound(err, "token")
	}
	return &t, nil
}

func scanToken(sc Scanner) (account.Token, error) {
	var t account.Token
	var used, revoked sql.NullTime
	err := sc.Scan(&t.ID, &t.Name, &t.Scope, &t.Prefix, &t.Hash, &t.CreatedBy, &t.CreatedAt, &used, &revoked)
	t.LastUsedAt, t.RevokedAt = sqlutil.TimePtr(used), sqlutil.TimePtr(revoked)
	return t, err
}

func (s Shared) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, at, id)
	return err
}

func (s Shared) TouchToken(ctx context.Context, id int64, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at, id)
	return err
}
