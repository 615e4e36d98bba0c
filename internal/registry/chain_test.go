package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// chainFixture: units HQ > Finance; an applicant and an approver in
// Finance, a security officer in HQ, and one person who is both an approver
// of Finance and a security officer.
type chainFixture struct {
	db    store.DB
	reg   *registry.Service
	users map[string]*account.Principal
	now   time.Time
}

func newChainFixture(t *testing.T, db store.DB) *chainFixture {
	t.Helper()
	ctx := context.Background()
	f := &chainFixture{db: db, users: map[string]*account.Principal{}, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return f.now }
	acc := account.NewService(db, store.TxFor[account.TxStore](db), now, time.Hour)
	f.reg = registry.NewService(db, store.TxFor[registry.TxStore](db), now, registry.DefaultPolicy())
	for _, u := range []struct{ name, parent string }{{"HQ", ""}, {"Finance", "HQ"}} {
		if _, err := acc.CreateOrgUnit(ctx, u.name, u.parent); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []account.NewUser{
		{Username: "applicant", RealName: "申请人", OrgUnit: "Finance", Verified: true},
		{Username: "head", RealName: "处长", OrgUnit: "Finance", Verified: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}}},
		{Username: "sec", RealName: "保密员", OrgUnit: "HQ", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}},
		{Username: "both", RealName: "兼任", OrgUnit: "Finance", Verified: true,
			Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}, {Role: account.SecurityOfficer}}},
	} {
		created, err := acc.CreateUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.Username] = &account.Principal{User: created}
	}
	return f
}

func (f *chainFixture) application(level registry.Level, members ...registry.ProposedMember) registry.NewApplication {
	if members == nil {
		members = []registry.ProposedMember{}
	}
	return registry.NewApplication{Name: "预算工作群", Purpose: "budget work", Platform: "wecom",
		PlannedAt: f.now.Add(24 * time.Hour).Format(time.RFC3339), ExpiresAt: f.now.AddDate(1, 0, 0).Format(time.RFC3339),
		Responsible: "applicant", Level: level, Members: members}
}

// A step's decider must differ from every earlier decider of the round,
// even when one person holds both steps' roles.
func TestTwoStepsNeedTwoPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newChainFixture(t, db)
		a, err := f.reg.Apply(ctx, f.users["applicant"], f.application(registry.Sensitive))
		if err != nil || len(a.Steps) != 2 {
			t.Fatalf("apply: %v %+v", err, a)
		}
		if _, err := f.reg.Decide(ctx, f.users["both"], a.ID, "approve", "ok"); err != nil {
			t.Fatalf("step 1: %v", err)
		}
		a, _ = f.reg.ShowApplication(ctx, f.users["sec"], a.ID)
		if may, err := f.reg.MayDecide(ctx, f.users["both"], a); err != nil || may {
			t.Fatalf("the step-1 decider may decide step 2: %v %v", may, err)
		}
		if _, err := f.reg.Decide(ctx, f.users["both"], a.ID, "approve", "ok"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("one person deciding both steps: %v, want forbidden", err)
		}
		if a, err = f.reg.Decide(ctx, f.users["sec"], a.ID, "approve", "ok"); err != nil || a.Status != registry.Approved {
			t.Fatalf("step 2 by another person: %v %+v", err, a)
		}
	})
}

// A chain made only of steps for external members is refused; one saved
// before that rule makes applying fail with a message, not a crash.
func TestConditionalOnlyChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newChainFixture(t, db)
		only := []registry.Step{{Role: account.SecurityOfficer, When: "external"}}
		_, err := f.reg.SetApprovalChain(ctx, registry.ApprovalChain{OrgUnit: "Finance", Level: registry.Internal, Steps: only})
		var e *errs.Error
		if !errors.As(err, &e) || e.Field != "steps" {
			t.Fatalf("conditional-only chain: %v, want a steps field error", err)
		}
		if err := db.SetApprovalChain(ctx, &registry.ApprovalChain{OrgUnit: "Finance", Level: registry.Internal, Steps: only, UpdatedAt: f.now}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.Apply(ctx, f.users["applicant"], f.application(registry.Internal)); !errs.Is(err, errs.Conflict) {
			t.Fatalf("applying under a stored conditional-only chain: %v, want conflict", err)
		}
	})
}

// A renewal cannot lower its chain by declaring a lower level: it is
// decided by the stricter of the renewed group and what it declares, in
// the group's unit even when a security officer of another unit asks.
func TestRenewalTakesTheStricterChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newChainFixture(t, db)
		a, err := f.reg.Apply(ctx, f.users["applicant"], f.application(registry.Sensitive,
			registry.ProposedMember{External: "陈顾问", Organization: "外协", Justification: "项目"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.Decide(ctx, f.users["head"], a.ID, "approve", "ok"); err != nil {
			t.Fatal(err)
		}
		if a, err = f.reg.Decide(ctx, f.users["sec"], a.ID, "approve", "ok"); err != nil || a.GroupID == 0 {
			t.Fatalf("approve: %v %+v", err, a)
		}
		for _, who := range []string{"applicant", "sec"} {
			in := f.application(registry.Public)
			in.Renews = a.GroupID
			r, err := f.reg.Apply(ctx, f.users[who], in)
			if err != nil {
				t.Fatalf("renewal by %s: %v", who, err)
			}
			if len(r.Steps) != 2 || r.Steps[1].Role != account.SecurityOfficer || r.OrgUnit != "Finance" {
				t.Fatalf("renewal by %s declared public: steps %+v in %q, want approver then security officer in Finance", who, r.Steps, r.OrgUnit)
			}
			if _, err := f.reg.Withdraw(ctx, f.users[who], r.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A member declares only groups they may read: another group's id is
// answered as no group at all, and its name is not returned.
func TestDeclarationsLeakNoNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newChainFixture(t, db)
		a, err := f.reg.Apply(ctx, f.users["applicant"], f.application(registry.Internal))
		if err != nil {
			t.Fatal(err)
		}
		if a, err = f.reg.Decide(ctx, f.users["head"], a.ID, "approve", "ok"); err != nil || a.GroupID == 0 {
			t.Fatalf("approve: %v %+v", err, a)
		}
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Declaration, Deadline: f.now.AddDate(0, 0, 7).Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.reg.Declare(ctx, f.users["head"], c.ID, []registry.Declared{{GroupID: a.GroupID}})
		var e *errs.Error
		if !errors.As(err, &e) || e.Field != "groups" || strings.Contains(err.Error(), "预算工作群") {
			t.Fatalf("declaring a group one may not read: %v", err)
		}
		out, err := f.reg.Declare(ctx, f.users["applicant"], c.ID, []registry.Declared{{GroupID: a.GroupID}})
		if err != nil || len(out) != 1 || out[0].Name != "预算工作群" {
			t.Fatalf("the responsible person declaring their group: %v %+v", err, out)
		}
	})
}
