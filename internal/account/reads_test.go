package account_test

import (
	"context"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// callers are one principal per role and per token scope, and nil, the
// operator at the command line.
func callers() map[string]*account.Principal {
	user := func(rs ...account.Role) *account.Principal {
		u := &account.User{Username: "u", Active: true}
		for _, r := range rs {
			u.Roles = append(u.Roles, account.Grant{Role: r})
		}
		return &account.Principal{User: u}
	}
	token := func(s account.Scope) *account.Principal {
		return &account.Principal{Token: &account.Token{Name: "t", Scope: s}}
	}
	return map[string]*account.Principal{
		"operator":         nil,
		"admin":            user(account.Admin),
		"security_officer": user(account.SecurityOfficer),
		"reviewer":         user(account.Reviewer),
		"auditor":          user(account.Auditor),
		"member":           user(),
		"token-ingest":     token(account.ScopeIngest),
		"token-read":       token(account.ScopeRead),
		"token-admin":      token(account.ScopeAdmin),
	}
}

// TestReadsCheckTheCaller: each read refuses, as Forbidden, a caller the
// API's route table does not admit to it, and serves one it does.
func TestReadsCheckTheCaller(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	s := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	ctx := context.Background()
	if _, err := s.CreateOrgUnit(ctx, "HQ", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, account.NewUser{Username: "zhang.san", RealName: "张三", OrgUnit: "HQ"}); err != nil {
		t.Fatal(err)
	}
	directory := []string{"operator", "admin", "security_officer", "auditor", "token-read", "token-admin"}
	reads := []struct {
		name   string
		admits []string // as the API's route
		read   func(p *account.Principal) error
	}{
		{"OrgUnits", []string{"operator", "admin", "security_officer", "reviewer", "auditor", "member", "token-read", "token-admin"},
			func(p *account.Principal) error { _, err := s.OrgUnits(ctx, p); return err }},
		{"Users", directory, func(p *account.Principal) error { _, err := s.Users(ctx, p, account.UserFilter{}); return err }},
		{"User", directory, func(p *account.Principal) error { _, err := s.User(ctx, p, "zhang.san"); return err }},
	}
	for _, rd := range reads {
		for name, p := range callers() {
			t.Run(rd.name+"/"+name, func(t *testing.T) {
				admitted := false
				for _, a := range rd.admits {
					admitted = admitted || a == name
				}
				err := rd.read(p)
				switch {
				case admitted && err != nil:
					t.Fatalf("refused: %v", err)
				case !admitted && !errs.Is(err, errs.Forbidden):
					t.Fatalf("got %v, want forbidden", err)
				}
			})
		}
	}
}
