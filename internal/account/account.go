// Package account holds the people and machines that use Charter: org units,
// users with their roles, sign-in sessions and API tokens.
package account

import (
	"context"
	"regexp"
	"strings"
	"time"

	"charter/internal/errs"
)

// Role is what a user may do. Every user is a member; approver is scoped to an
// org unit and covers its sub-units.
type Role string

const (
	Admin           Role = "admin"
	SecurityOfficer Role = "security_officer"
	Approver        Role = "approver"
	Reviewer        Role = "reviewer"
	Auditor         Role = "auditor"
	Member          Role = "member"
	// Ingest is held only by API tokens of scope ingest: machines that deliver messages.
	Ingest Role = "ingest"
)

// UserRoles are the roles a user account can hold.
var UserRoles = []Role{Admin, SecurityOfficer, Approver, Reviewer, Auditor, Member}

func validRole(r Role) bool {
	for _, x := range UserRoles {
		if x == r {
			return true
		}
	}
	return false
}

// Grant is one role held by a user; OrgUnit is set only for approver.
type Grant struct {
	Role    Role   `json:"role"`
	OrgUnit string `json:"org_unit,omitempty"`
}

// OrgUnit is a node of the organization tree; names are unique.
type OrgUnit struct {
	ID        int64     `json:"-"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person. Username is the stable key; users are deactivated, never
// deleted, because history refers to them.
type User struct {
	ID           int64     `json:"-"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	RealName     string    `json:"real_name"`
	EmployeeNo   string    `json:"employee_no"`
	OrgUnit      string    `json:"org_unit"`
	Verified     bool      `json:"verified"`
	Active       bool      `json:"active"`
	Roles        []Grant   `json:"roles"`
	Language     string    `json:"language,omitempty"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Has reports whether the user holds role r (member always).
func (u *User) Has(r Role) bool {
	if r == Member {
		return true
	}
	for _, g := range u.Roles {
		if g.Role == r {
			return true
		}
	}
	return false
}

// Scope of a machine token.
type Scope string

const (
	ScopeIngest Scope = "ingest"
	ScopeRead   Scope = "read"
	ScopeAdmin  Scope = "admin"
)

// Roles maps a token scope to the roles it acts with: ingest may only deliver
// messages, read may read what an auditor reads, admin may do what an admin does.
func (s Scope) Roles() []Role {
	switch s {
	case ScopeIngest:
		return []Role{Ingest}
	case ScopeRead:
		return []Role{Auditor}
	case ScopeAdmin:
		return []Role{Admin}
	}
	return nil
}

// Token is an API token for a machine; only its hash is stored.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scope      Scope      `json:"scope"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Hash       string     `json:"-"`
	// Suspended: the person who created it is deactivated, so it does not
	// work until they are active again (set by Service.Tokens).
	Suspended bool `json:"suspended"`
}

// Session is a signed-in user's bearer secret; only its hash is stored.
type Session struct {
	Hash      string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	Addr      string
}

// UserFilter narrows a user listing.
type UserFilter struct {
	OrgUnit string
	Role    Role
	Active  *bool
}

// Store is what the account domain needs from storage.
type Store interface {
	CreateOrgUnit(ctx context.Context, u *OrgUnit) error
	OrgUnits(ctx context.Context) ([]OrgUnit, error)
	OrgUnit(ctx context.Context, name string) (*OrgUnit, error)

	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error // every field but username, id and created_at; roles replaced
	User(ctx context.Context, username string) (*User, error)
	UserByID(ctx context.Context, id int64) (*User, error)
	Users(ctx context.Context, f UserFilter) ([]User, error)
	CountUsers(ctx context.Context) (int, error)

	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, hash string, now time.Time) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions signs a user out everywhere.
	DeleteUserSessions(ctx context.Context, userID int64) error
	// DeleteExpiredSessions removes sessions that ended before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	LoginFailures(ctx context.Context, scope, key string) (*LoginFailures, error) // nil: none
	// AddLoginFailure counts one more failure atomically and returns the counter.
	AddLoginFailure(ctx context.Context, scope, key string, now time.Time) (*LoginFailures, error)
	DeleteLoginFailures(ctx context.Context, scope, key string) error
	StaleLoginFailures(ctx context.Context, before time.Time) ([]LoginFailures, error)

	CreateToken(ctx context.Context, t *Token) error
	Tokens(ctx context.Context) ([]Token, error)
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	RevokeToken(ctx context.Context, id int64, at time.Time) error
	TouchToken(ctx context.Context, id int64, at time.Time) error
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidateUsername checks the shape of a username.
func ValidateUsername(s string) error {
	if s == "" {
		return errs.Field("username", "required")
	}
	if !usernameRE.MatchString(s) {
		return errs.Field("username", "%q must be 2-64 lowercase letters, digits, '.', '_' or '-'", s)
	}
	return nil
}

// Validate checks a user before it is stored; org unit existence is checked by the service.
func (u *User) Validate() error {
	if err := ValidateUsername(u.Username); err != nil {
		return err
	}
	if strings.TrimSpace(u.RealName) == "" {
		return errs.Field("real_name", "required")
	}
	if u.DisplayName == "" {
		u.DisplayName = u.RealName
	}
	if u.Language != "" && u.Language != "zh-CN" && u.Language != "en" {
		return errs.Field("language", "%q is not zh-CN or en", u.Language)
	}
	for i, g := range u.Roles {
		if !validRole(g.Role) {
			return errs.Field("roles", "role %d: %q is not one of admin, security_officer, approver, reviewer, auditor, member", i+1, g.Role)
		}
		if g.Role == Approver && g.OrgUnit == "" {
			return errs.Field("roles", "role %d: approver needs an org_unit", i+1)
		}
		if g.Role != Approver && g.OrgUnit != "" {
			return errs.Field("roles", "role %d: only approver is scoped to an org_unit", i+1)
		}
	}
	return nil
}
