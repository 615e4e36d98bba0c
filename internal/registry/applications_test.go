package registry_test

import (
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// Applying with a mistake is refused with the field it concerns, and
// nothing is filed.
func TestApplyNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(f *fixture, in *registry.NewApplication)
		field string
	}{
		{"empty purpose", func(_ *fixture, in *registry.NewApplication) { in.Purpose = "" }, "purpose"},
		{"external member without justification", func(_ *fixture, in *registry.NewApplication) { in.Members[1].Justification = "" }, "members"},
		{"term ending before establishment", func(f *fixture, in *registry.NewApplication) { in.ExpiresAt = rfc(f.clock.Now()) }, "expires_at"},
		{"unknown responsible person", func(_ *fixture, in *registry.NewApplication) { in.Responsible = "nobody" }, "responsible"},
		{"unknown member", func(_ *fixture, in *registry.NewApplication) { in.Members[0].Username = "nobody" }, "members"},
		{"unknown level", func(_ *fixture, in *registry.NewApplication) { in.Level = "secret" }, "level"},
		{"renewal of no group", func(_ *fixture, in *registry.NewApplication) { in.Renews = 999 }, "renews"},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := f.application()
				c.edit(f, &in)
				a, err := f.reg.Apply(ctx, f.as("zhang.san"), in)
				if a != nil {
					t.Errorf("an application came back: %+v", a)
				}
				wantErr(t, err, errs.Invalid, c.field)
			})
		}
		t.Run("nothing was filed", func(t *testing.T) {
			if as, err := f.reg.ListApplications(ctx, nil, registry.ApplicationFilter{}); err != nil || len(as) != 0 {
				t.Errorf("%d applications filed (%v)", len(as), err)
			}
		})
	})
}

// A filed application is submitted and waits on its first step; the
// holders of that step are told.
func TestApplySubmits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		a := f.apply(t, f.application())
		if a.ID == 0 || a.Status != registry.Submitted || a.Round != 1 || len(a.Steps) != 2 {
			t.Fatalf("applied: %+v", a)
		}
		shown, err := f.reg.ShowApplication(ctx, f.as("zhang.san"), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := shown.CurrentStep; s == nil || s.Number != 1 || s.Role != account.Approver {
			t.Errorf("current step: %+v", s)
		}
		if n := f.notices(t, "wang.head", "application.waiting", appObj(a.ID)); n != 1 {
			t.Errorf("the approver has %d waiting notices, want 1", n)
		}
		f.wantActions(t, appObj(a.ID), map[string]int{"application.create": 1, "application.submit": 1})
	})
}

// Deciding: only the holder of the step an application waits on, a
// rejection with a comment; two steps, the approver's and then the
// security officer's, the last approval making the group.
func TestDecide(t *testing.T) {
	type want struct {
		kind   errs.Kind // the error, or "" for none
		field  string
		status string
		role   account.Role // of the step it then waits on
	}
	cases := []struct {
		name     string
		atStep   int // 1, or 2 after wang.head approved step 1
		who      string
		decision string
		comment  string
		want     want
	}{
		{"security officer on the approver's step", 1, "zhao.sec", "approve", "", want{kind: errs.Forbidden}},
		{"a member who may not read it is not told it exists", 1, "li.si", "approve", "", want{kind: errs.NotFound}},
		{"the auditor holds no step", 1, "qian.audit", "approve", "", want{kind: errs.Forbidden}},
		{"a rejection without a comment", 1, "wang.head", "reject", " ", want{kind: errs.Invalid, field: "comment"}},
		{"neither approve nor reject", 1, "wang.head", "maybe", "", want{kind: errs.Invalid, field: "decision"}},
		{"the approver rejects with a comment", 1, "wang.head", "reject", "the purpose is too vague", want{status: registry.Rejected}},
		{"the approver approves step 1", 1, "wang.head", "approve", "ok", want{status: registry.Submitted, role: account.SecurityOfficer}},
		{"the approver on the security officer's step", 2, "wang.head", "approve", "again", want{kind: errs.Forbidden}},
		{"the security officer approves step 2", 2, "zhao.sec", "approve", "external member justified", want{status: registry.Approved}},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := f.apply(t, f.application())
				if c.atStep == 2 {
					f.decide(t, "wang.head", a.ID, "approve", "ok")
				}
				got, err := f.reg.Decide(ctx, f.as(c.who), a.ID, c.decision, c.comment)
				if c.want.kind != "" {
					wantErr(t, err, c.want.kind, c.want.field)
					if shown, _ := f.reg.ShowApplication(ctx, nil, a.ID); shown.Status != registry.Submitted || shown.CurrentStep.Number != c.atStep {
						t.Errorf("a refused decision moved the application: %+v", shown)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != c.want.status {
					t.Errorf("status %s, want %s", got.Status, c.want.status)
				}
				switch {
				case c.want.role == "" && got.CurrentStep != nil:
					t.Errorf("still waits on %+v", got.CurrentStep)
				case c.want.role != "" && (got.CurrentStep == nil || got.CurrentStep.Role != c.want.role):
					t.Errorf("waits on %+v, want %s", got.CurrentStep, c.want.role)
				}
				if (c.want.status == registry.Approved) != (got.GroupID != 0) {
					t.Errorf("group %d after %s", got.GroupID, got.Status)
				}
				if c.want.status == registry.Rejected && f.notices(t, "zhang.san", "application.rejected", appObj(a.ID)) != 1 {
					t.Error("the applicant was not told of the rejection")
				}
				f.wantActions(t, appObj(a.ID), map[string]int{"application.decide": c.atStep})
			})
		}
	})
}

// A rejected application is edited and submitted again as a new round;
// its decisions keep every round.
func TestResubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		a := f.apply(t, f.application())
		f.decide(t, "wang.head", a.ID, "reject", "the purpose is too vague")
		in := f.application()
		in.Purpose = "coordinate the monthly payroll with the external auditor"

		t.Run("someone else edits: not told it exists", func(t *testing.T) {
			_, err := f.reg.EditApplication(ctx, f.as("li.si"), a.ID, in)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("someone else submits: not told it exists", func(t *testing.T) {
			_, err := f.reg.Submit(ctx, f.as("li.si"), a.ID)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("a rejected application cannot be decided", func(t *testing.T) {
			_, err := f.reg.Decide(ctx, f.as("wang.head"), a.ID, "approve", "")
			wantErr(t, err, errs.Conflict, "")
		})
		t.Run("the applicant edits and resubmits: round 2", func(t *testing.T) {
			edited, err := f.reg.EditApplication(ctx, f.as("zhang.san"), a.ID, in)
			if err != nil || edited.Purpose != in.Purpose || edited.Status != registry.Rejected {
				t.Fatalf("edit: %v %+v", err, edited)
			}
			re, err := f.reg.Submit(ctx, f.as("zhang.san"), a.ID)
			if err != nil || re.Status != registry.Submitted || re.Round != 2 || re.CurrentStep == nil || re.CurrentStep.Number != 1 {
				t.Fatalf("resubmit: %v %+v", err, re)
			}
		})
		t.Run("decisions keep both rounds", func(t *testing.T) {
			f.decide(t, "wang.head", a.ID, "approve", "ok")
			f.decide(t, "zhao.sec", a.ID, "approve", "external member justified")
			shown, err := f.reg.ShowApplication(ctx, f.as("zhang.san"), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			ds := shown.Decisions
			if len(ds) != 3 || ds[0].Decision != "reject" || ds[0].Round != 1 || ds[0].Comment != "the purpose is too vague" ||
				ds[2].Decider != "zhao.sec" || ds[2].Round != 2 || ds[2].Step != 2 || ds[2].At.IsZero() {
				t.Fatalf("decisions: %+v", ds)
			}
			f.wantActions(t, appObj(a.ID), map[string]int{"application.create": 1, "application.submit": 2,
				"application.decide": 3, "application.edit": 1})
		})
	})
}

// An application waiting too long on a step reminds the step's holders,
// once however often the scheduler runs.
func TestRemindApprovers(t *testing.T) {
	cases := []struct {
		name      string
		after     time.Duration
		ticks     int
		reminders int
	}{
		{"before the wait is over", 47 * time.Hour, 1, 0},
		{"after the wait", 49 * time.Hour, 1, 1},
		{"after the wait, ticked twice", 49 * time.Hour, 2, 1},
		{"days later, ticked again", 96 * time.Hour, 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f := newFixture(t, db)
				a := f.apply(t, f.application())
				f.tick(t, f.start.Add(c.after), c.ticks)
				if n := f.notices(t, "wang.head", "application.reminder", appObj(a.ID)); n != c.reminders {
					t.Errorf("%d reminders, want %d", n, c.reminders)
				}
				if n := f.notices(t, "zhao.sec", "application.reminder", appObj(a.ID)); n != 0 {
					t.Errorf("the holder of step 2 got %d reminders of step 1", n)
				}
				f.wantActions(t, appObj(a.ID), map[string]int{"application.remind": c.reminders})
			})
		})
	}
	t.Run("each round is reminded", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db store.DB) {
			f := newFixture(t, db)
			a := f.apply(t, f.application())
			f.tick(t, f.start.Add(49*time.Hour), 1)
			f.decide(t, "wang.head", a.ID, "reject", "too vague")
			f.clock.t = f.start.Add(50 * time.Hour)
			if _, err := f.reg.Submit(ctx, f.as("zhang.san"), a.ID); err != nil {
				t.Fatal(err)
			}
			f.tick(t, f.start.Add(99*time.Hour), 2)
			if n := f.notices(t, "wang.head", "application.reminder", appObj(a.ID)); n != 2 {
				t.Errorf("%d reminders over two rounds, want 2", n)
			}
		})
	})
}

// The default chain: the approver, then the security officer for a
// sensitive group or for any group with an external member; one step
// otherwise.
func TestStepsByLevel(t *testing.T) {
	external := registry.ProposedMember{External: "陈会计", Organization: "审计事务所", Justification: "annual audit"}
	cases := []struct {
		name    string
		level   registry.Level
		members []registry.ProposedMember
		steps   int
	}{
		{"public, employees only", registry.Public, []registry.ProposedMember{{Username: "li.si"}}, 1},
		{"internal, employees only", registry.Internal, []registry.ProposedMember{{Username: "li.si"}}, 1},
		{"sensitive, employees only", registry.Sensitive, []registry.ProposedMember{{Username: "li.si"}}, 2},
		{"public, with an external member", registry.Public, []registry.ProposedMember{external}, 2},
		{"internal, with an external member", registry.Internal, []registry.ProposedMember{external}, 2},
		{"sensitive, with an external member", registry.Sensitive, []registry.ProposedMember{external}, 2},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := f.application()
				in.Level, in.Members = c.level, c.members
				a := f.apply(t, in)
				if len(a.Steps) != c.steps || a.Steps[0].Role != account.Approver {
					t.Fatalf("steps: %+v, want %d from the approver", a.Steps, c.steps)
				}
				a = f.decide(t, "wang.head", a.ID, "approve", "ok")
				if got := a.Status == registry.Approved; got != (c.steps == 1) {
					t.Errorf("after the approver: %s", a.Status)
				}
			})
		}
	})
}

// The applicant takes back an application until it is decided for good.
func TestWithdraw(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, f *fixture) int64
		kind  errs.Kind
	}{
		{"submitted", func(t *testing.T, f *fixture) int64 { return f.apply(t, f.application()).ID }, ""},
		{"half way through the chain", func(t *testing.T, f *fixture) int64 {
			a := f.apply(t, f.application())
			return f.decide(t, "wang.head", a.ID, "approve", "ok").ID
		}, ""},
		{"rejected", func(t *testing.T, f *fixture) int64 {
			a := f.apply(t, f.application())
			return f.decide(t, "wang.head", a.ID, "reject", "too vague").ID
		}, ""},
		{"approved", func(t *testing.T, f *fixture) int64 { return f.approved(t, f.application()).ID }, errs.Conflict},
		{"already withdrawn", func(t *testing.T, f *fixture) int64 {
			a := f.apply(t, f.application())
			if _, err := f.reg.Withdraw(ctx, f.as("zhang.san"), a.ID); err != nil {
				t.Fatal(err)
			}
			return a.ID
		}, errs.Conflict},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := c.setup(t, f)
				_, err := f.reg.Withdraw(ctx, f.as("li.si"), id)
				wantErr(t, err, errs.NotFound, "")
				a, err := f.reg.Withdraw(ctx, f.as("zhang.san"), id)
				if c.kind != "" {
					wantErr(t, err, c.kind, "")
					return
				}
				if err != nil || a.Status != registry.Withdrawn || a.StepSince != nil {
					t.Fatalf("withdraw: %v %+v", err, a)
				}
				_, err = f.reg.Decide(ctx, f.as("wang.head"), id, "approve", "ok")
				wantErr(t, err, errs.Conflict, "")
				f.wantActions(t, appObj(id), map[string]int{"application.withdraw": 1})
			})
		}
	})
}
