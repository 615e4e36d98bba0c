package registry_test

import (
	"strings"
	"testing"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A step's decider must differ from every earlier decider of the round,
// even when one person (zhou.both) holds both steps' roles.
func TestTwoStepsNeedTwoPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		a := f.apply(t, f.application())
		if len(a.Steps) != 2 {
			t.Fatalf("steps: %+v", a.Steps)
		}
		t.Run("one who holds both roles decides step 1", func(t *testing.T) {
			f.decide(t, "zhou.both", a.ID, "approve", "ok")
		})
		t.Run("they may not decide step 2", func(t *testing.T) {
			shown, err := f.reg.ShowApplication(ctx, f.as("zhao.sec"), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if may, err := f.reg.MayDecide(ctx, f.as("zhou.both"), shown); err != nil || may {
				t.Fatalf("the step-1 decider may decide step 2: %v %v", may, err)
			}
			_, err = f.reg.Decide(ctx, f.as("zhou.both"), a.ID, "approve", "ok")
			wantErr(t, err, errs.Forbidden, "")
		})
		t.Run("another security officer decides step 2", func(t *testing.T) {
			if got := f.decide(t, "zhao.sec", a.ID, "approve", "ok"); got.Status != registry.Approved {
				t.Fatalf("step 2 by another person: %+v", got)
			}
		})
	})
}

// A chain made only of steps for external members is refused; one saved
// before that rule makes applying fail with a message, not a crash.
func TestConditionalOnlyChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		only := []registry.Step{{Role: account.SecurityOfficer, When: "external"}}
		t.Run("setting it", func(t *testing.T) {
			_, err := f.reg.SetApprovalChain(ctx, registry.ApprovalChain{OrgUnit: "财务处", Level: registry.Internal, Steps: only})
			wantErr(t, err, errs.Invalid, "steps")
		})
		t.Run("applying under one stored anyway", func(t *testing.T) {
			if err := db.SetApprovalChain(ctx, &registry.ApprovalChain{OrgUnit: "财务处", Level: registry.Internal, Steps: only, UpdatedAt: f.start}); err != nil {
				t.Fatal(err)
			}
			in := f.public("内部群")
			in.Level = registry.Internal
			_, err := f.reg.Apply(ctx, f.as("zhang.san"), in)
			wantErr(t, err, errs.Conflict, "")
		})
	})
}

// A renewal cannot lower its chain by declaring a lower level: it is
// decided by the stricter of the renewed group and what it declares, in
// the group's unit even when a security officer of another unit asks.
func TestRenewalTakesTheStricterChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.approved(t, f.application()).GroupID // sensitive, in 财务处
		for _, who := range []string{"zhang.san", "zhao.sec"} {
			t.Run("asked by "+who+", declared public", func(t *testing.T) {
				in := f.public("续期")
				in.Renews = gid
				r, err := f.reg.Apply(ctx, f.as(who), in)
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Steps) != 2 || r.Steps[1].Role != account.SecurityOfficer || r.OrgUnit != "财务处" {
					t.Fatalf("steps %+v in %q, want approver then security officer in 财务处", r.Steps, r.OrgUnit)
				}
				if _, err := f.reg.Withdraw(ctx, f.as(who), r.ID); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// A member declares only groups they may read: another group's id is
// answered as no group at all, and its name is not returned.
func TestDeclarationsLeakNoNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		in := f.public("预算工作群")
		in.Level = registry.Internal
		gid := f.approved(t, in).GroupID
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Declaration, Deadline: rfc(f.start.AddDate(0, 0, 7))})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the approver who decided it, not a member", func(t *testing.T) {
			_, err := f.reg.Declare(ctx, f.as("wang.head"), c.ID, []registry.Declared{{GroupID: gid}})
			wantErr(t, err, errs.Invalid, "groups")
			if strings.Contains(err.Error(), "预算工作群") {
				t.Errorf("the error names the group: %v", err)
			}
		})
		t.Run("the responsible person", func(t *testing.T) {
			out, err := f.reg.Declare(ctx, f.as("zhang.san"), c.ID, []registry.Declared{{GroupID: gid}})
			if err != nil || len(out) != 1 || out[0].Name != "预算工作群" {
				t.Fatalf("declaring their group: %v %+v", err, out)
			}
		})
	})
}
