package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newAccounts(t *testing.T, db store.DB, c *clock) *account.Service {
	t.Helper()
	s := account.NewService(db, store.TxFor[account.TxStore](db), c.now, time.Hour)
	ctx := context.Background()
	for _, u := range []account.NewUser{
		{Username: "admin2", Password: "password-admin2", RealName: "管理员", Verified: true, Roles: []account.Grant{{Role: account.Admin}}},
		{Username: "rev", Password: "password-rev", RealName: "审核员", Verified: true, Roles: []account.Grant{{Role: account.Reviewer}}},
	} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// A session ends with a password change, a deactivation (and stays ended
// after a reactivation) and the removal of a role.
func TestSessionsEndWithTheirStanding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		s := newAccounts(t, db, &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
		login := func(pw string) string {
			t.Helper()
			secret, _, err := s.Login(ctx, "rev", pw, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		live := func(secret string) bool {
			_, err := s.Authenticate(ctx, secret)
			return err == nil
		}
		yes, no := true, false
		newPW := "password-rev-2"
		steps := []struct {
			name  string
			patch account.UserPatch
			pw    string
		}{
			{"password change", account.UserPatch{Password: &newPW}, "password-rev"},
			{"deactivation", account.UserPatch{Active: &no}, newPW},
			{"role removed", account.UserPatch{Roles: &[]account.Grant{}}, newPW},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if st.name == "role removed" {
					if _, err := s.UpdateUser(ctx, "rev", account.UserPatch{Active: &yes}); err != nil {
						t.Fatal(err)
					}
				}
				secret := login(st.pw)
				if !live(secret) {
					t.Fatal("a fresh session does not work")
				}
				if _, err := s.UpdateUser(ctx, "rev", st.patch); err != nil {
					t.Fatal(err)
				}
				if live(secret) {
					t.Fatalf("the session survived the %s", st.name)
				}
				if st.name == "deactivation" {
					if _, err := s.UpdateUser(ctx, "rev", account.UserPatch{Active: &yes}); err != nil {
						t.Fatal(err)
					}
					if live(secret) {
						t.Fatal("a reactivation revived the old session")
					}
				}
			})
		}
	})
}

// A token stops with its creator's deactivation, is listed as suspended,
// and works again when they are reactivated.
func TestTokensFollowTheirCreator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		s := newAccounts(t, db, &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
		secret, tok, err := s.CreateToken(audit.WithActor(ctx, audit.Actor{Name: "admin2"}), "bridge", account.ScopeIngest)
		if err != nil || tok.CreatedBy != "admin2" {
			t.Fatalf("create: %v %+v", err, tok)
		}
		if _, err := s.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Deactivate(ctx, "admin2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); err == nil || !strings.Contains(err.Error(), "suspended") {
			t.Fatalf("token of a deactivated creator: %v", err)
		}
		ts, err := s.Tokens(ctx)
		if err != nil || len(ts) != 1 || !ts[0].Suspended {
			t.Fatalf("token list: %v %+v", err, ts)
		}
		yes := true
		if _, err := s.UpdateUser(ctx, "admin2", account.UserPatch{Active: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); err != nil {
			t.Fatalf("token after reactivation: %v", err)
		}
	})
}

func TestExpiredSessionsArePurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
		s := newAccounts(t, db, c)
		if _, _, err := s.Login(ctx, "rev", "password-rev", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeSessions(ctx); err != nil || n != 0 {
			t.Fatalf("purge of a live session: %d %v", n, err)
		}
		c.t = c.t.Add(2 * time.Hour)
		if n, err := s.PurgeSessions(ctx); err != nil || n != 1 {
			t.Fatalf("purge after expiry: %d %v", n, err)
		}
	})
}
