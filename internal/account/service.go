package account

import (
	"context"
	"slices"
	"strings"
	"time"

	"charter/internal/audit"
	"charter/internal/errs"
)

// TxStore is the storage a transaction sees: accounts plus the audit trail,
// so a change and its audit event commit together.
type TxStore interface {
	Store
	AppendAudit(ctx context.Context, e *audit.Event) error
}

// Service is the account domain: every change goes through it, in a
// transaction, with its audit event.
type Service struct {
	Store      Store
	Tx         func(ctx context.Context, fn func(TxStore) error) error
	Now        func() time.Time
	SessionTTL time.Duration
	Throttle   Throttle
	// ImportTx runs one row of a directory import in one transaction that
	// writes the accounts (TxStore) and the row's platform handles
	// (Handles), so the row commits whole or not at all. The composition
	// root makes it from the database transaction both domains' stores
	// share; nil (a service on its own) imports no handle columns.
	ImportTx func(ctx context.Context, fn func(TxStore, Handles) error) error
}

// NewService wires the service with DefaultThrottle.
func NewService(s Store, tx func(context.Context, func(TxStore) error) error, now func() time.Time, ttl time.Duration) *Service {
	return &Service{Store: s, Tx: tx, Now: now, SessionTTL: ttl, Throttle: DefaultThrottle()}
}

// Principal is who a request acts as: a signed-in user or an API token.
type Principal struct {
	User        *User
	Token       *Token
	SessionHash string
}

// Name is the actor name written to the audit trail.
func (p *Principal) Name() string {
	if p.Token != nil {
		return "token:" + p.Token.Name
	}
	return p.User.Username
}

// Has reports whether the principal acts with role r.
func (p *Principal) Has(r Role) bool {
	if p.Token != nil {
		for _, x := range p.Token.Scope.Roles() {
			if x == r {
				return true
			}
		}
		return false
	}
	return p.User.Has(r)
}

// Roles lists the roles the principal acts with.
func (p *Principal) Roles() []Role {
	if p.Token != nil {
		return p.Token.Scope.Roles()
	}
	out := []Role{Member}
	for _, g := range p.User.Roles {
		if g.Role != Member {
			out = append(out, g.Role)
		}
	}
	return out
}

// Allow is a service's own check of the caller's role, the same one the
// route tables make before a handler runs, so that a handler wired to the
// wrong route still cannot read what its caller may not. nil, the operator at
// the command line, may do everything; anyone else needs one of rs. what
// completes "your role may not ...".
func Allow(p *Principal, what string, rs ...Role) error {
	if p == nil {
		return nil
	}
	for _, r := range rs {
		if p.Has(r) {
			return nil
		}
	}
	return errs.E(errs.Forbidden, "your role may not %s", what)
}

// ReadsAudit says whether p may read the audit trail (audit.Reader): admins
// and auditors, and the operator at the command line (nil).
func (p *Principal) ReadsAudit() bool { return Allow(p, "", Admin, Auditor) == nil }

// DirectoryReaders read the user directory (users and their platform
// handles): admins run it, auditors check it, security officers answer for
// who is in which group.
var DirectoryReaders = []Role{Admin, Auditor, SecurityOfficer}

// OrgUnits lists the organization tree to every person and to read and
// admin tokens; an ingest token only delivers messages.
func (s *Service) OrgUnits(ctx context.Context, p *Principal) ([]OrgUnit, error) {
	if err := Allow(p, "read the org units", Member, Auditor, Admin); err != nil {
		return nil, err
	}
	return s.Store.OrgUnits(ctx)
}

// Users lists the directory to its readers (DirectoryReaders).
func (s *Service) Users(ctx context.Context, p *Principal, f UserFilter) ([]User, error) {
	if err := Allow(p, "list the users", DirectoryReaders...); err != nil {
		return nil, err
	}
	return s.Store.Users(ctx, f)
}

// User returns one user of the directory to its readers (DirectoryReaders).
func (s *Service) User(ctx context.Context, p *Principal, username string) (*User, error) {
	if err := Allow(p, "read users", DirectoryReaders...); err != nil {
		return nil, err
	}
	return s.Store.User(ctx, username)
}

// CreateOrgUnit adds a unit under parent (by name; empty for a root).
func (s *Service) CreateOrgUnit(ctx context.Context, name, parent string) (*OrgUnit, error) {
	name, parent = strings.TrimSpace(name), strings.TrimSpace(parent)
	if name == "" {
		return nil, errs.Field("name", "required")
	}
	u := &OrgUnit{Name: name, Parent: parent, CreatedAt: s.Now().UTC()}
	err := s.Tx(ctx, func(tx TxStore) error {
		if parent != "" {
			if _, err := tx.OrgUnit(ctx, parent); err != nil {
				if errs.Is(err, errs.NotFound) {
					return errs.Field("parent", "org unit %q does not exist", parent)
				}
				return err
			}
		}
		if err := tx.CreateOrgUnit(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "org_unit.create", "org_unit:"+name, audit.Summarize(map[string]string{"parent": parent})))
	})
	return u, err
}

// NewUser is the input for creating a user.
type NewUser struct {
	Username    string  `json:"username"`
	Password    string  `json:"password"`
	DisplayName string  `json:"display_name"`
	RealName    string  `json:"real_name"`
	EmployeeNo  string  `json:"employee_no"`
	OrgUnit     string  `json:"org_unit"`
	Verified    bool    `json:"verified"`
	Roles       []Grant `json:"roles"`
	Language    string  `json:"language"`
}

// CreateUser adds a user. An empty password leaves the account unable to
// sign in until one is set (users imported from HR start that way).
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	u, err := s.newUser(in)
	if err != nil {
		return nil, err
	}
	if err := s.Tx(ctx, func(tx TxStore) error { return s.createUser(ctx, tx, u) }); err != nil {
		return nil, err
	}
	return u, nil
}

// newUser checks in and hashes its password, before any transaction: the
// hash takes a while and needs no database.
func (s *Service) newUser(in NewUser) (*User, error) {
	now := s.Now().UTC()
	u := &User{Username: in.Username, DisplayName: in.DisplayName, RealName: in.RealName, EmployeeNo: in.EmployeeNo,
		OrgUnit: in.OrgUnit, Verified: in.Verified, Roles: in.Roles, Language: in.Language, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if in.Password != "" {
		h, err := HashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	return u, nil
}

// createUser stores u, made by newUser, in tx with its audit event.
func (s *Service) createUser(ctx context.Context, tx TxStore, u *User) error {
	if err := checkOrgUnits(ctx, tx, u); err != nil {
		return err
	}
	if err := tx.CreateUser(ctx, u); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "user.create", "user:"+u.Username, audit.Summarize(userSummary(u))))
}

// UserPatch changes the fields that are set.
type UserPatch struct {
	DisplayName *string  `json:"display_name"`
	RealName    *string  `json:"real_name"`
	EmployeeNo  *string  `json:"employee_no"`
	OrgUnit     *string  `json:"org_unit"`
	Verified    *bool    `json:"verified"`
	Active      *bool    `json:"active"`
	Roles       *[]Grant `json:"roles"`
	Password    *string  `json:"password"`
	Language    *string  `json:"language"`
}

// UpdateUser applies a patch and audits what changed (never the password itself).
func (s *Service) UpdateUser(ctx context.Context, username string, p UserPatch) (*User, error) {
	var out *User
	err := s.Tx(ctx, func(tx TxStore) error {
		var err error
		out, err = s.updateUser(ctx, tx, username, p)
		return err
	})
	return out, err
}

// updateUser is UpdateUser in tx.
func (s *Service) updateUser(ctx context.Context, tx TxStore, username string, p UserPatch) (*User, error) {
	u, err := tx.User(ctx, username)
	if err != nil {
		return nil, err
	}
	changed := map[string]any{}
	set := func(name string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed[name] = *v
		}
	}
	set("display_name", &u.DisplayName, p.DisplayName)
	set("real_name", &u.RealName, p.RealName)
	set("employee_no", &u.EmployeeNo, p.EmployeeNo)
	set("org_unit", &u.OrgUnit, p.OrgUnit)
	set("language", &u.Language, p.Language)
	if p.Verified != nil && *p.Verified != u.Verified {
		u.Verified = *p.Verified
		changed["verified"] = u.Verified
	}
	if p.Active != nil && *p.Active != u.Active {
		u.Active = *p.Active
		changed["active"] = u.Active
	}
	endSessions := p.Active != nil && !*p.Active && changed["active"] != nil
	if p.Roles != nil {
		endSessions = endSessions || lostRole(u.Roles, *p.Roles)
		u.Roles = *p.Roles
		changed["roles"] = u.Roles
	}
	if p.Password != nil {
		h, err := HashPassword(*p.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
		changed["password"] = "(changed)"
		endSessions = true
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := checkOrgUnits(ctx, tx, u); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return u, nil
	}
	u.UpdatedAt = s.Now().UTC()
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	// A new password, a deactivation or a role taken away ends every
	// session: none survives to be revived by a reactivation.
	if endSessions {
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
		changed["sessions_ended"] = true
	}
	action := "user.update"
	if p.Active != nil && !*p.Active && len(changed) == 1 {
		action = "user.deactivate"
	}
	if err := tx.AppendAudit(ctx, audit.New(ctx, s.Now(), action, "user:"+u.Username, audit.Summarize(changed))); err != nil {
		return nil, err
	}
	return u, nil
}

// lostRole reports whether next lacks a grant that prev had.
func lostRole(prev, next []Grant) bool {
	for _, g := range prev {
		if !slices.Contains(next, g) {
			return true
		}
	}
	return false
}

// Deactivate stops a user from signing in; the account stays for history.
func (s *Service) Deactivate(ctx context.Context, username string) (*User, error) {
	f := false
	return s.UpdateUser(ctx, username, UserPatch{Active: &f})
}

func checkOrgUnits(ctx context.Context, tx Store, u *User) error {
	check := func(field, name string) error {
		if name == "" {
			return nil
		}
		if _, err := tx.OrgUnit(ctx, name); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.Field(field, "org unit %q does not exist", name)
			}
			return err
		}
		return nil
	}
	if err := check("org_unit", u.OrgUnit); err != nil {
		return err
	}
	for _, g := range u.Roles {
		if err := check("roles", g.OrgUnit); err != nil {
			return err
		}
	}
	return nil
}

func userSummary(u *User) map[string]any {
	return map[string]any{"real_name": u.RealName, "display_name": u.DisplayName, "employee_no": u.EmployeeNo,
		"org_unit": u.OrgUnit, "verified": u.Verified, "roles": u.Roles}
}

// Login checks a password and opens a session. A username that cannot be
// one is refused before anything is read or written. Failures are counted
// in the store (see Throttle): an account that keeps failing waits longer
// and longer, without locking out anyone else, and one address has a limit
// per window. An address's refusals reach the audit trail as its first
// refusal and one summary with the count of the window.
func (s *Service) Login(ctx context.Context, username, password, addr string) (secret string, u *User, err error) {
	if len(username) > 64 || ValidateUsername(username) != nil {
		return "", nil, errs.Field("username", "not a username: 2-64 lowercase letters, digits, '.', '_' or '-'")
	}
	now := s.Now().UTC()
	byAddr, err := s.counter(ctx, "addr", addr, now)
	if err != nil {
		return "", nil, err
	}
	if byAddr.Failures >= s.Throttle.AddrLimit {
		return "", nil, s.refuse(ctx, username, addr, now, errs.E(errs.RateLimited, "too many failed sign-ins from this address; try again later"))
	}
	prev, err := s.counter(ctx, "user", username, now)
	if err != nil {
		return "", nil, err
	}
	// The attempt is counted against the account before the password is
	// checked, atomically, so parallel guesses each take their own place
	// in the count; a success forgets it. Attempts counted since prev was
	// read are as recent as this one.
	cur, err := s.Store.AddLoginFailure(ctx, "user", username, now)
	if err != nil {
		return "", nil, err
	}
	last := prev.LastAt
	if cur.Failures-1 > prev.Failures {
		last = now
	}
	if wait := s.Throttle.backoff(cur.Failures - 1); now.Before(last.Add(wait)) {
		left := last.Add(wait).Sub(now).Round(time.Second)
		return "", nil, s.refuse(ctx, username, addr, now, errs.E(errs.RateLimited, "too many failed sign-ins for this account; try again in %s", max(left, time.Second)))
	}
	u, err = s.Store.User(ctx, username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", nil, err
	}
	ok := false
	if u != nil && u.PasswordHash != "" {
		ok = CheckPassword(u.PasswordHash, password)
	} else {
		CheckPassword(dummyHash, password)
	}
	if !ok || !u.Active {
		return "", nil, s.refuse(ctx, username, addr, now, errs.E(errs.Unauthorized, "wrong username or password"))
	}
	secret, hash, err := NewSecret("chs_")
	if err != nil {
		return "", nil, err
	}
	sess := &Session{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.SessionTTL), Addr: addr}
	err = s.Tx(ctx, func(tx TxStore) error {
		// The password was checked outside the transaction: a password
		// change or a deactivation committed since must not be outlived.
		fresh, err := tx.User(ctx, username)
		if err != nil {
			return err
		}
		if fresh.PasswordHash != u.PasswordHash || !fresh.Active {
			return errs.E(errs.Unauthorized, "wrong username or password")
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.DeleteLoginFailures(ctx, "user", username); err != nil {
			return err
		}
		e := audit.New(ctx, now, "login.success", "user:"+u.Username, "")
		e.Actor, e.Addr = u.Username, addr
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, u, nil
}

// counter reads a failure counter as it stands at now. An address's
// window that has ended starts afresh (after its summary is written, see
// closeWindow); an account's count lasts until its wait and a window after
// it have passed, so the longest wait can be reached.
func (s *Service) counter(ctx context.Context, scope, key string, now time.Time) (*LoginFailures, error) {
	c, err := s.Store.LoginFailures(ctx, scope, key)
	if err != nil {
		return nil, err
	}
	if c != nil && s.stale(c, now) {
		if err := s.Tx(ctx, func(tx TxStore) error { return s.closeWindow(ctx, tx, c, now) }); err != nil {
			return nil, err
		}
		c = nil
	}
	if c == nil {
		c = &LoginFailures{Scope: scope, Key: key, WindowStart: now}
	}
	return c, nil
}

func (s *Service) stale(c *LoginFailures, now time.Time) bool {
	if c.Scope == "user" {
		return now.Sub(c.LastAt) >= s.Throttle.Window+s.Throttle.backoff(c.Failures)
	}
	return now.Sub(c.WindowStart) >= s.Throttle.Window
}

// closeWindow writes the summary of an address's window that saw more than
// its first refusal, and forgets the counter.
func (s *Service) closeWindow(ctx context.Context, tx TxStore, c *LoginFailures, now time.Time) error {
	if c.Scope == "addr" && c.Failures > 1 {
		e := audit.New(ctx, now, "login.fail.window", "addr:"+c.Key, audit.Summarize(map[string]any{
			"refusals": c.Failures, "from": c.WindowStart, "to": c.LastAt}))
		e.Actor, e.Addr = "anonymous", c.Key
		if err := tx.AppendAudit(ctx, e); err != nil {
			return err
		}
	}
	return tx.DeleteLoginFailures(ctx, c.Scope, c.Key)
}

// refuse counts a refused sign-in against the address (the account counted
// the attempt already) and returns why. Only an address's first refusal of
// a window is audited on its own; the rest are summed (closeWindow).
func (s *Service) refuse(ctx context.Context, username, addr string, now time.Time, why error) error {
	err := s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.AddLoginFailure(ctx, "addr", addr, now)
		if err != nil || c.Failures != 1 {
			return err
		}
		e := audit.New(ctx, now, "login.fail", "user:"+username, why.Error())
		e.Actor, e.Addr = username, addr
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return err
	}
	return why
}

// FlushLoginFailures closes the windows that have ended: addresses'
// summaries reach the audit trail and stale counters are dropped. serve
// runs it daily; a window is also closed by its key's next attempt.
func (s *Service) FlushLoginFailures(ctx context.Context) error {
	now := s.Now().UTC()
	old, err := s.Store.StaleLoginFailures(ctx, now.Add(-s.Throttle.Window))
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(tx TxStore) error {
		for i := range old {
			if s.stale(&old[i], now) {
				if err := s.closeWindow(ctx, tx, &old[i], now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p.SessionHash == "" {
		return nil
	}
	return s.Tx(ctx, func(tx TxStore) error {
		if err := tx.DeleteSession(ctx, p.SessionHash); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "logout", "user:"+p.User.Username, ""))
	})
}

// Authenticate resolves a bearer secret (session or API token) to a principal.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	unauth := errs.E(errs.Unauthorized, "invalid or expired credentials")
	hash := HashSecret(secret)
	now := s.Now()
	switch {
	case strings.HasPrefix(secret, "chs_"):
		sess, err := s.Store.Session(ctx, hash, now.UTC())
		if errs.Is(err, errs.NotFound) {
			return nil, unauth
		} else if err != nil {
			return nil, err
		}
		u, err := s.Store.UserByID(ctx, sess.UserID)
		if err != nil {
			return nil, err
		}
		if !u.Active {
			return nil, unauth
		}
		return &Principal{User: u, SessionHash: hash}, nil
	case strings.HasPrefix(secret, "cht_"):
		t, err := s.Store.TokenByHash(ctx, hash)
		if errs.Is(err, errs.NotFound) {
			return nil, unauth
		} else if err != nil {
			return nil, err
		}
		if t.RevokedAt != nil {
			return nil, unauth
		}
		// A token lives on its creator's standing: it stops when they are
		// deactivated (a token made from the CLI has no person behind it).
		if by, err := s.Store.User(ctx, t.CreatedBy); err == nil && !by.Active {
			return nil, errs.E(errs.Unauthorized, "this token is suspended: its creator %s is deactivated", t.CreatedBy)
		} else if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		// Last use is a hint for admins; losing one update is harmless.
		if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
			_ = s.Store.TouchToken(ctx, t.ID, now.UTC())
		}
		return &Principal{Token: t}, nil
	}
	return nil, unauth
}

// CreateToken makes an API token and returns its secret, shown only this once.
func (s *Service) CreateToken(ctx context.Context, name string, scope Scope) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, errs.Field("name", "required")
	}
	if scope.Roles() == nil {
		return "", nil, errs.Field("scope", "%q is not ingest, read or admin", scope)
	}
	secret, hash, err := NewSecret("cht_")
	if err != nil {
		return "", nil, err
	}
	t := &Token{Name: name, Scope: scope, Prefix: secret[:10], Hash: hash, CreatedBy: audit.ActorFrom(ctx).Name, CreatedAt: s.Now().UTC()}
	err = s.Tx(ctx, func(tx TxStore) error {
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "token.create", "token:"+name, audit.Summarize(map[string]any{"scope": scope, "prefix": t.Prefix})))
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Tokens lists every token, saying which are suspended.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	ts, err := s.Store.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for i := range ts {
		by := ts[i].CreatedBy
		if _, ok := active[by]; !ok {
			u, err := s.Store.User(ctx, by)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return nil, err
			}
			active[by] = u == nil || u.Active
		}
		ts[i].Suspended = !active[by]
	}
	return ts, nil
}

// PurgeSessions deletes the sessions that have expired.
func (s *Service) PurgeSessions(ctx context.Context) (int, error) {
	return s.Store.DeleteExpiredSessions(ctx, s.Now().UTC())
}

// RevokeToken stops a token from working; it stays listed.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx TxStore) error {
		ts, err := tx.Tokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == id {
				if t.RevokedAt != nil {
					return errs.E(errs.Conflict, "token %d is already revoked", id)
				}
				if err := tx.RevokeToken(ctx, id, s.Now().UTC()); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "token.revoke", "token:"+t.Name, ""))
			}
		}
		return errs.E(errs.NotFound, "token %d not found", id)
	})
}

// EnsureAdmin creates the first admin account when there are no users yet.
// It returns the generated password when it made one, to be printed once.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (generated string, err error) {
	n, err := s.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	_, err = s.CreateUser(ctx, NewUser{Username: "admin", Password: password, RealName: "Administrator", DisplayName: "Administrator",
		Verified: true, Roles: []Grant{{Role: Admin}}})
	return generated, err
}
