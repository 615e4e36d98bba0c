package account_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// directory is an account service on a fresh database with the units
// 总部 and Finance under it, on a clock the test holds.
func directory(t *testing.T, db store.DB) *account.Service {
	t.Helper()
	c := &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s := account.NewService(db, store.TxFor[account.TxStore](db), c.now, time.Hour)
	for _, u := range [][2]string{{"总部", ""}, {"Finance", "总部"}} {
		if _, err := s.CreateOrgUnit(context.Background(), u[0], u[1]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// chen is an approver for Finance who may sign in.
var chen = account.NewUser{Username: "chen.jing", Password: "chen-jing-password", DisplayName: "小陈", RealName: "陈静",
	EmployeeNo: "E1001", OrgUnit: "Finance", Verified: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}}}

// TestCreateOrgUnit: a unit has a name and, under a parent, one that exists.
func TestCreateOrgUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		for _, c := range []struct {
			name, unit, parent string
			field              string // "" when it is created
		}{
			{"root", "分部", "", ""},
			{"under a parent", "Payroll", "Finance", ""},
			{"no name", "  ", "", "name"},
			{"unknown parent", "X", "Nowhere", "parent"},
		} {
			t.Run(c.name, func(t *testing.T) {
				u, err := s.CreateOrgUnit(context.Background(), c.unit, c.parent)
				if c.field != "" {
					errstest.Want(t, err, errs.Invalid, c.field)
					return
				}
				errstest.Want(t, err, "", "")
				if u.Name != c.unit || u.Parent != c.parent {
					t.Fatalf("created %+v", u)
				}
			})
		}
		t.Run("listed", func(t *testing.T) {
			us, err := s.OrgUnits(context.Background(), nil)
			if err != nil || len(us) != 4 {
				t.Fatalf("org units: %v %+v, want 4", err, us)
			}
		})
	})
}

// TestCreateUser: a user names units that exist, and each refusal names
// the field that is wrong.
func TestCreateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		with := func(f func(u *account.NewUser)) account.NewUser {
			u := chen
			u.Username = "x.y"
			f(&u)
			return u
		}
		for _, c := range []struct {
			name  string
			in    account.NewUser
			field string // "" when it is created
		}{
			{"an approver of a unit", chen, ""},
			{"unknown org unit", with(func(u *account.NewUser) { u.OrgUnit = "Nowhere" }), "org_unit"},
			{"approver of an unknown unit", with(func(u *account.NewUser) { u.Roles = []account.Grant{{Role: account.Approver, OrgUnit: "Nowhere"}} }), "roles"},
			{"approver of no unit", with(func(u *account.NewUser) { u.Roles = []account.Grant{{Role: account.Approver}} }), "roles"},
			{"no username", with(func(u *account.NewUser) { u.Username = "" }), "username"},
			{"no real name", with(func(u *account.NewUser) { u.RealName = " " }), "real_name"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateUser(context.Background(), c.in)
				if c.field != "" {
					errstest.Want(t, err, errs.Invalid, c.field)
					return
				}
				errstest.Want(t, err, "", "")
				u, err := s.User(context.Background(), nil, c.in.Username)
				if err != nil || u.RealName != c.in.RealName || u.DisplayName != c.in.DisplayName || u.OrgUnit != c.in.OrgUnit ||
					!u.Verified || !slices.Equal(u.Roles, c.in.Roles) {
					t.Fatalf("stored: %v %+v", err, u)
				}
			})
		}
		t.Run("display name changed", func(t *testing.T) {
			name := "陈经理"
			if _, err := s.UpdateUser(context.Background(), "chen.jing", account.UserPatch{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
			if u, err := s.User(context.Background(), nil, "chen.jing"); err != nil || u.DisplayName != name || u.RealName != "陈静" {
				t.Fatalf("after the patch: %v %+v", err, u)
			}
			if n := auditCount(t, db, "user.update"); n != 1 {
				t.Fatalf("user.update events: %d", n)
			}
		})
	})
}

// TestUserCreationIsAudited: each user's creation is on the record under
// whoever made it: the first admin under the system, the others under their maker.
func TestUserCreationIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		byAdmin := audit.WithActor(context.Background(), audit.Actor{Name: "admin", Addr: "10.0.0.1"})
		for _, c := range []struct {
			name, user, actor string
			create            func() error
		}{
			{"the first admin, at the first start", "admin", "system",
				func() error { _, err := s.EnsureAdmin(context.Background(), "an-admin-password"); return err }},
			{"a user made by the admin", "chen.jing", "admin",
				func() error { _, err := s.CreateUser(byAdmin, chen); return err }},
		} {
			t.Run(c.name, func(t *testing.T) {
				if err := c.create(); err != nil {
					t.Fatal(err)
				}
				es, err := db.AuditEvents(context.Background(), audit.Filter{Action: "user.create", Object: "user:" + c.user, Limit: 5})
				if err != nil || len(es) != 1 || es[0].Actor != c.actor {
					t.Fatalf("user.create events: %v %+v, want one by %s", err, es, c.actor)
				}
			})
		}
	})
}

// TestSignInAndOut: a session acts as its user with every role they hold;
// a wrong password is refused on the record with the address; signing out
// ends the session.
func TestSignInAndOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, chen); err != nil {
			t.Fatal(err)
		}
		secret, _, err := s.Login(ctx, "chen.jing", "chen-jing-password", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		var p *account.Principal
		steps := []struct {
			name string
			do   func(t *testing.T)
		}{
			{"the session is its user's", func(t *testing.T) {
				if p, err = s.Authenticate(ctx, secret); err != nil || !strings.HasPrefix(secret, "chs_") || p.User.Username != "chen.jing" {
					t.Fatalf("authenticate: %v %+v", err, p)
				}
				if rs := p.Roles(); !slices.Equal(rs, []account.Role{account.Member, account.Approver}) {
					t.Fatalf("roles %v", rs)
				}
			}},
			{"an approver lists the users", func(t *testing.T) {
				_, err := s.Users(ctx, p, account.UserFilter{})
				errstest.Want(t, err, errs.Forbidden, "")
			}},
			{"a wrong password", func(t *testing.T) {
				_, _, err := s.Login(ctx, "chen.jing", "not-the-password", "127.0.0.1")
				errstest.Want(t, err, errs.Unauthorized, "")
				es, err := db.AuditEvents(ctx, audit.Filter{Actor: "chen.jing", Action: "login.fail", Limit: 5})
				if err != nil || len(es) != 1 || es[0].Addr != "127.0.0.1" {
					t.Fatalf("login.fail events: %v %+v", err, es)
				}
			}},
			{"signed out", func(t *testing.T) {
				if err := s.Logout(ctx, p); err != nil {
					t.Fatal(err)
				}
				_, err := s.Authenticate(ctx, secret)
				errstest.Want(t, err, errs.Unauthorized, "")
				if n := auditCount(t, db, "logout"); n != 1 {
					t.Fatalf("logout events: %d", n)
				}
			}},
		}
		for _, st := range steps {
			t.Run(st.name, st.do)
		}
	})
}

// TestImportDirectory: an HR export's bad rows are named by line, its good
// rows kept.
func TestImportDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		res, err := s.ImportCSV(context.Background(), strings.NewReader(
			"username,real_name,org_unit,verified\nliu.yang,刘洋,Finance,true\n,无名,Finance,true\nsun.li,孙丽,Finance,true\n"))
		if err != nil || res.Created != 2 || !slices.Equal(res.Errors, []string{"line 3: username: required"}) {
			t.Fatalf("import: %v %+v", err, res)
		}
		for _, name := range []string{"liu.yang", "sun.li"} {
			t.Run(name, func(t *testing.T) {
				if u, err := s.User(context.Background(), nil, name); err != nil || u.OrgUnit != "Finance" || !u.Verified {
					t.Fatalf("imported: %v %+v", err, u)
				}
			})
		}
		// The registry writes handles (app wires it in as ImportTx); a
		// service without it refuses a file with handle columns whole
		// rather than drop the handles.
		t.Run("handle columns without ImportTx", func(t *testing.T) {
			_, err := s.ImportCSV(context.Background(), strings.NewReader("username,real_name,matrix\nzhou.yi,周毅,@zhou.yi:example.org\n"))
			errstest.Want(t, err, errs.Internal, "")
			_, err = s.User(context.Background(), nil, "zhou.yi")
			errstest.Want(t, err, errs.NotFound, "")
		})
	})
}

// TestTokens: a token is shown once, acts only within its scope, and stops
// when revoked.
func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := directory(t, db)
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "cli", Addr: "local"})
		for _, c := range []struct {
			scope                       account.Scope
			listsUsers, readsAudit, adm bool
		}{
			{account.ScopeIngest, false, false, false},
			{account.ScopeRead, true, true, false},
			{account.ScopeAdmin, true, true, true},
		} {
			t.Run(string(c.scope), func(t *testing.T) {
				secret, tok, err := s.CreateToken(ctx, "bot-"+string(c.scope), c.scope)
				if err != nil || !strings.HasPrefix(secret, "cht_") || tok.CreatedBy != "cli" {
					t.Fatalf("create: %v %q %+v", err, secret, tok)
				}
				p, err := s.Authenticate(ctx, secret)
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.Users(ctx, p, account.UserFilter{})
				if c.listsUsers != (err == nil) || (err != nil && !errs.Is(err, errs.Forbidden)) {
					t.Errorf("lists users: %v, want allowed %v", err, c.listsUsers)
				}
				if p.ReadsAudit() != c.readsAudit || p.Has(account.Admin) != c.adm {
					t.Errorf("reads audit %v, admin %v", p.ReadsAudit(), p.Has(account.Admin))
				}
				if err := s.RevokeToken(ctx, tok.ID); err != nil {
					t.Fatal(err)
				}
				_, err = s.Authenticate(ctx, secret)
				errstest.Want(t, err, errs.Unauthorized, "")
				errstest.Want(t, s.RevokeToken(ctx, tok.ID), errs.Conflict, "")
			})
		}
		for _, c := range []struct {
			name, token string
			scope       account.Scope
			field       string
		}{
			{"no name", " ", account.ScopeRead, "name"},
			{"unknown scope", "bot", "write", "scope"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, _, err := s.CreateToken(ctx, c.token, c.scope)
				errstest.Want(t, err, errs.Invalid, c.field)
			})
		}
		t.Run("revoke an unknown token", func(t *testing.T) { errstest.Want(t, s.RevokeToken(ctx, 999), errs.NotFound, "") })
		t.Run("audited", func(t *testing.T) {
			if c, r := auditCount(t, db, "token.create"), auditCount(t, db, "token.revoke"); c != 3 || r != 3 {
				t.Fatalf("token.create %d, token.revoke %d, want 3 each", c, r)
			}
		})
	})
}
