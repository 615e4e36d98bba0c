package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

func accounts(db store.DB) *account.Service {
	return account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := accounts(db)
		if _, err := svc.CreateOrgUnit(ctx, "HQ", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateOrgUnit(ctx, "Finance", "HQ"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateOrgUnit(ctx, "Finance", "HQ"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate org unit: got %v, want conflict", err)
		}
		if _, err := svc.CreateOrgUnit(ctx, "Ops", "Nowhere"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown parent: got %v, want invalid", err)
		}
		u, err := svc.CreateUser(ctx, account.NewUser{Username: "li.wei", Password: "a long password", RealName: "李伟",
			OrgUnit: "Finance", Verified: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}, {Role: account.Reviewer}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.User(ctx, "li.wei")
		if err != nil {
			t.Fatal(err)
		}
		if got.RealName != "李伟" || got.DisplayName != "李伟" || got.OrgUnit != "Finance" || !got.Verified || len(got.Roles) != 2 || got.ID != u.ID {
			t.Fatalf("stored user differs: %+v", got)
		}
		if _, err := svc.CreateUser(ctx, account.NewUser{Username: "li.wei", RealName: "x"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate user: got %v", err)
		}
		// A user whose org unit does not exist is refused, and nothing is written.
		if _, err := svc.CreateUser(ctx, account.NewUser{Username: "ghost", RealName: "x", OrgUnit: "Nowhere"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown org unit: got %v", err)
		}
		if _, err := db.User(ctx, "ghost"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("half-written user: %v", err)
		}
		// Sign-in, session and deactivation.
		secret, _, err := svc.Login(ctx, "li.wei", "a long password", "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Authenticate(ctx, secret)
		if err != nil || p.User.Username != "li.wei" || !p.Has(account.Approver) || p.Has(account.Admin) {
			t.Fatalf("authenticate: %v %+v", err, p)
		}
		if _, _, err := svc.Login(ctx, "li.wei", "wrong password!", "10.0.0.1"); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := svc.Deactivate(ctx, "li.wei"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, secret); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("deactivated user still authenticates: %v", err)
		}
		// Tokens: stored hashed, scoped, revocable.
		tsecret, tok, err := svc.CreateToken(ctx, "wecom-puller", account.ScopeIngest)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Hash == tsecret || tok.Hash != account.HashSecret(tsecret) {
			t.Fatal("token is not stored as its hash")
		}
		tp, err := svc.Authenticate(ctx, tsecret)
		if err != nil || !tp.Has(account.Ingest) || tp.Has(account.Admin) || tp.Has(account.Member) {
			t.Fatalf("token principal: %v %+v", err, tp)
		}
		if err := svc.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, tsecret); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("revoked token still works: %v", err)
		}
		// Every change above is in the audit trail, and the chain holds.
		n, err := audit.Verify(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		es, err := db.AuditEvents(ctx, audit.Filter{Action: "login.fail", Limit: 10})
		if err != nil || len(es) != 1 || es[0].Actor != "li.wei" || es[0].Addr != "10.0.0.1" {
			t.Fatalf("login.fail events: %v %+v", err, es)
		}
		if n < 8 {
			t.Fatalf("only %d audit events", n)
		}
	})
}

func TestAuditChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			if err := db.Tx(ctx, func(tx store.DB) error {
				return tx.AppendAudit(ctx, audit.New(ctx, time.Now(), "test.event", "thing", "n"))
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
		mustBreakAt := func(seq int64) {
			t.Helper()
			_, err := audit.Verify(ctx, db)
			var bl *audit.BrokenLink
			if !errors.As(err, &bl) || bl.Seq != seq {
				t.Fatalf("want broken link at %d, got %v", seq, err)
			}
		}
		storetest.Tamper(t, db)
		if err := db.Exec(ctx, "UPDATE audit_events SET summary = 'changed' WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		mustBreakAt(3)
		if err := db.Exec(ctx, "UPDATE audit_events SET summary = 'n' WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(ctx, "DELETE FROM audit_events WHERE seq = 5"); err != nil {
			t.Fatal(err)
		}
		mustBreakAt(5) // removed at the end: caught by the head
		if err := db.Exec(ctx, "DELETE FROM audit_events WHERE seq = 2"); err != nil {
			t.Fatal(err)
		}
		mustBreakAt(2)
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		if err := db.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', CURRENT_TIMESTAMP)"); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		if err == nil || !contains(err.Error(), "newer") && !contains(err.Error(), "upgrade charter") {
			t.Fatalf("want a refusal naming the newer schema, got %v", err)
		}
	})
}

func TestImportCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := accounts(db)
		svc.CreateOrgUnit(ctx, "HQ", "")
		csv := "\ufeffusername,real_name,display_name,employee_no,org_unit,verified,roles\n" +
			"zhang.san,张三,,E001,HQ,true,\n" +
			"Bad Name,x,,,HQ,true,\n" +
			"li.si,李四,小李,E002,Nowhere,true,\n" +
			"wang.wu,王五,,E003,HQ,maybe,\n" +
			"zhao.liu,赵六,,E004,HQ,false,approver:HQ;reviewer\n"
		res, err := svc.ImportCSV(ctx, stringsReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 || len(res.Errors) != 3 {
			t.Fatalf("got %+v", res)
		}
		for i, want := range []string{"line 3: username", "line 4: org_unit", "line 5: verified"} {
			if !contains(res.Errors[i], want) {
				t.Errorf("error %d = %q, want it to start with %q", i, res.Errors[i], want)
			}
		}
		u, err := db.User(ctx, "zhao.liu")
		if err != nil || len(u.Roles) != 2 {
			t.Fatalf("zhao.liu: %v %+v", err, u)
		}
		// A second import updates instead of duplicating.
		res, err = svc.ImportCSV(ctx, stringsReader("username,real_name,org_unit,verified\nzhang.san,张叁,HQ,false\n"))
		if err != nil || res.Updated != 1 || res.Created != 0 {
			t.Fatalf("re-import: %v %+v", err, res)
		}
		if u, _ := db.User(ctx, "zhang.san"); u.RealName != "张叁" || u.Verified {
			t.Fatalf("not updated: %+v", u)
		}
		// A file without some columns leaves those fields alone.
		res, err = svc.ImportCSV(ctx, stringsReader("username,real_name\nzhao.liu,赵陆\n"))
		if err != nil || res.Updated != 1 {
			t.Fatalf("partial re-import: %v %+v", err, res)
		}
		if u, _ := db.User(ctx, "zhao.liu"); u.RealName != "赵陆" || u.OrgUnit != "HQ" || u.EmployeeNo != "E004" || len(u.Roles) != 2 {
			t.Fatalf("a partial import changed fields it does not have: %+v", u)
		}
	})
}
