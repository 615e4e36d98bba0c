package account_test

import (
	"context"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/account/accounttest"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

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
		for name, p := range accounttest.Callers() {
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
