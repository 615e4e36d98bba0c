package registry_test

import (
	"context"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/account/accounttest"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// TestReadsCheckTheCaller: each read refuses, as Forbidden, a caller the
// API's route table does not admit to it, and serves one it does.
func TestReadsCheckTheCaller(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	acc := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	reg := registry.NewService(db, store.TxFor[registry.TxStore](db), time.Now, registry.DefaultPolicy())
	if _, err := acc.CreateUser(ctx, account.NewUser{Username: "zhang.san", RealName: "张三"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.EnsureDefaultTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	people := []string{"operator", "admin", "security_officer", "reviewer", "auditor", "member", "token-read"}
	reads := []struct {
		name   string
		admits []string // as the API's route
		read   func(p *account.Principal) error
	}{
		{"ApprovalChains", []string{"operator", "admin", "security_officer", "auditor", "token-read", "token-admin"},
			func(p *account.Principal) error { _, err := reg.ApprovalChains(ctx, p); return err }},
		{"Handles", []string{"operator", "admin", "security_officer", "auditor", "token-read", "token-admin"},
			func(p *account.Principal) error { _, err := reg.Handles(ctx, p, "zhang.san"); return err }},
		{"Templates", people, func(p *account.Principal) error { _, err := reg.Templates(ctx, p); return err }},
		{"CurrentTemplate", people, func(p *account.Principal) error { _, err := reg.CurrentTemplate(ctx, p); return err }},
		{"Campaigns", people, func(p *account.Principal) error { _, err := reg.Campaigns(ctx, p); return err }},
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
	t.Run("Handles/unknown user", func(t *testing.T) {
		if _, err := reg.Handles(ctx, nil, "nobody"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}
