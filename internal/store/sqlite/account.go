package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/store/sqlutil"
)

func (d *DB) CreateOrgUnit(ctx context.Context, u *account.OrgUnit) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO org_units (name, parent_id, created_at)
		VALUES (?, (SELECT id FROM org_units WHERE name = ?), ?)`, u.Name, u.Parent, u.CreatedAt)
	if err != nil {
		return conflict(err, "org unit %q already exists", u.Name)
	}
	u.ID, err = res.LastInsertId()
	return err
}

const orgUnitSelect = `SELECT o.id, o.name, COALESCE(p.name, ''), o.created_at FROM org_units o LEFT JOIN org_units p ON p.id = o.parent_id`

func (d *DB) OrgUnits(ctx context.Context) ([]account.OrgUnit, error) {
	rows, err := d.r().QueryContext(ctx, orgUnitSelect+` ORDER BY o.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []account.OrgUnit{}
	for rows.Next() {
		var u account.OrgUnit
		if err := rows.Scan(&u.ID, &u.Name, &u.Parent, &u.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (d *DB) OrgUnit(ctx context.Context, name string) (*account.OrgUnit, error) {
	var u account.OrgUnit
	err := d.r().QueryRowContext(ctx, orgUnitSelect+` WHERE o.name = ?`, name).Scan(&u.ID, &u.Name, &u.Parent, &u.CreatedAt)
	if err != nil {
		return nil, sqlutil.NotFound(err, "org unit %q", name)
	}
	return &u, nil
}

func (d *DB) CreateUser(ctx context.Context, u *account.User) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO users (username, display_name, real_name, employee_no, org_unit_id, verified, active, language, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, (SELECT id FROM org_units WHERE name = ?), ?, ?, ?, ?, ?, ?)`,
		u.Username, u.DisplayName, u.RealName, u.EmployeeNo, u.OrgUnit, u.Verified, u.Active, u.Language, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return conflict(err, "user %q already exists", u.Username)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return d.setRoles(ctx, u)
}

func (d *DB) UpdateUser(ctx context.Context, u *account.User) error {
	_, err := d.w().ExecContext(ctx, `UPDATE users SET display_name = ?, real_name = ?, employee_no = ?,
		org_unit_id = (SELECT id FROM org_units WHERE name = ?), verified = ?, active = ?, language = ?, password_hash = ?, updated_at = ?
		WHERE id = ?`, u.DisplayName, u.RealName, u.EmployeeNo, u.OrgUnit, u.Verified, u.Active, u.Language, u.PasswordHash, u.UpdatedAt, u.ID)
	if err != nil {
		return err
	}
	if _, err := d.w().ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	return d.setRoles(ctx, u)
}

func (d *DB) setRoles(ctx context.Context, u *account.User) error {
	for _, g := range u.Roles {
		if _, err := d.w().ExecContext(ctx, `INSERT INTO user_roles (user_id, role, org_unit_id)
			VALUES (?, ?, (SELECT id FROM org_units WHERE name = ?))`, u.ID, g.Role, g.OrgUnit); err != nil {
			return err
		}
	}
	return nil
}

const userSelect = `SELECT u.id, u.username, u.display_name, u.real_name, u.employee_no, COALESCE(o.name, ''),
	u.verified, u.active, u.language, u.password_hash, u.created_at, u.updated_at
	FROM users u LEFT JOIN org_units o ON o.id = u.org_unit_id`

func (d *DB) User(ctx context.Context, username string) (*account.User, error) {
	return d.oneUser(ctx, userSelect+` WHERE u.username = ?`, username)
}

func (d *DB) UserByID(ctx context.Context, id int64) (*account.User, error) {
	return d.oneUser(ctx, userSelect+` WHERE u.id = ?`, id)
}

func (d *DB) oneUser(ctx context.Context, q string, arg any) (*account.User, error) {
	us, err := d.users(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, errs.E(errs.NotFound, "user %v not found", arg)
	}
	return &us[0], nil
}

func (d *DB) Users(ctx context.Context, f account.UserFilter) ([]account.User, error) {
	var where []string
	var args []any
	if f.OrgUnit != "" {
		where, args = append(where, "o.name = ?"), append(args, f.OrgUnit)
	}
	if f.Role != "" && f.Role != account.Member {
		where, args = append(where, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ?)"), append(args, f.Role)
	}
	if f.Active != nil {
		where, args = append(where, "u.active = ?"), append(args, *f.Active)
	}
	q := userSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return d.users(ctx, q+" ORDER BY u.username", args...)
}

func (d *DB) users(ctx context.Context, q string, args ...any) ([]account.User, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []account.User{}
	byID := map[int64]int{}
	for rows.Next() {
		var u account.User
		if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &u.RealName, &u.EmployeeNo, &u.OrgUnit,
			&u.Verified, &u.Active, &u.Language, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt); err != nil {
			return nil, err
		}
		u.Roles = []account.Grant{}
		byID[u.ID] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// One query for the roles of all listed users, not one per user.
	q = `SELECT r.user_id, r.role, COALESCE(o.name, '') FROM user_roles r LEFT JOIN org_units o ON o.id = r.org_unit_id`
	args = nil
	if len(out) == 1 {
		q, args = q+` WHERE r.user_id = ?`, []any{out[0].ID}
	}
	rr, err := d.r().QueryContext(ctx, q+` ORDER BY r.user_id, r.role, o.name`, args...)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	for rr.Next() {
		var id int64
		var g account.Grant
		if err := rr.Scan(&id, &g.Role, &g.OrgUnit); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Roles = append(out[i].Roles, g)
		}
	}
	return out, rr.Err()
}

func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := d.r().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func (d *DB) CreateSession(ctx context.Context, s *account.Session) error {
	_, err := d.w().ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, expires_at, addr) VALUES (?, ?, ?, ?, ?)`,
		s.Hash, s.UserID, s.CreatedAt, s.ExpiresAt, s.Addr)
	return err
}

func (d *DB) Session(ctx context.Context, hash string, now time.Time) (*account.Session, error) {
	var s account.Session
	err := d.r().QueryRowContext(ctx, `SELECT hash, user_id, created_at, expires_at, addr FROM sessions WHERE hash = ? AND expires_at > ?`,
		hash, now).Scan(&s.Hash, &s.UserID, &s.CreatedAt, &s.ExpiresAt, &s.Addr)
	if err != nil {
		return nil, sqlutil.NotFound(err, "session")
	}
	return &s, nil
}

func (d *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := d.w().ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

func (d *DB) CreateToken(ctx context.Context, t *account.Token) error {
	res, err := d.w().ExecContext(ctx, `INSERT INTO api_tokens (name, scope, prefix, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Name, t.Scope, t.Prefix, t.Hash, t.CreatedBy, t.CreatedAt)
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

const tokenSelect = `SELECT id, name, scope, prefix, hash, created_by, created_at, last_used_at, revoked_at FROM api_tokens`

func (d *DB) Tokens(ctx context.Context) ([]account.Token, error) {
	rows, err := d.r().QueryContext(ctx, tokenSelect+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []account.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

func (d *DB) TokenByHash(ctx context.Context, hash string) (*account.Token, error) {
	t, err := scanToken(d.r().QueryRowContext(ctx, tokenSelect+` WHERE hash = ?`, hash))
	if err != nil {
		return nil, sqlutil.NotFound(err, "token")
	}
	return t, nil
}

func scanToken(row interface{ Scan(...any) error }) (*account.Token, error) {
	var t account.Token
	var used, revoked sql.NullTime
	if err := row.Scan(&t.ID, &t.Name, &t.Scope, &t.Prefix, &t.Hash, &t.CreatedBy, &t.CreatedAt, &used, &revoked); err != nil {
		return nil, err
	}
	t.LastUsedAt, t.RevokedAt = sqlutil.TimePtr(used), sqlutil.TimePtr(revoked)
	return &t, nil
}

func (d *DB) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, at, id)
	return err
}

func (d *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	_, err := d.w().ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at, id)
	return err
}
