package registry_test

import (
	"testing"
	"time"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A re-certification nobody answers: at the deadline the default applies
// (suspend), once however often the scheduler runs, and the campaign closes.
func TestRecertificationDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.active(t, "wrRecert")
		public := f.activePublic(t, "wrPublic")
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Recertification, Level: registry.Sensitive,
			Deadline: rfc(f.start.AddDate(0, 0, 7)), DefaultDecision: registry.Suspend})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the responsible person has one task, for the sensitive group", func(t *testing.T) {
			tasks, err := f.reg.MyTasks(ctx, f.as("zhang.san"), c.ID)
			if err != nil || len(tasks.Recerts) != 1 || tasks.Recerts[0].GroupID != gid {
				t.Fatalf("tasks: %v %+v", err, tasks)
			}
		})
		t.Run("a member answers for the group", func(t *testing.T) {
			_, err := f.reg.Recertify(ctx, f.as("li.si"), c.ID, gid, registry.Keep, true, "")
			wantErr(t, err, errs.Forbidden, "")
		})
		t.Run("before the deadline nothing happens", func(t *testing.T) {
			f.tick(t, f.start.AddDate(0, 0, 6), 1)
			if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupActive {
				t.Errorf("status %s before the deadline", g.Status)
			}
		})
		t.Run("after the deadline the group is suspended", func(t *testing.T) {
			f.tick(t, f.start.AddDate(0, 0, 8), 2)
			if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupSuspended {
				t.Errorf("status %s, want suspended", g.Status)
			}
			if n := f.notices(t, "zhang.san", "group.suspended", groupObj(gid)); n != 1 {
				t.Errorf("%d suspension notices, want 1", n)
			}
			f.wantActions(t, groupObj(gid), map[string]int{"group.recertify": 1, "group.status": 2}) // bound, then suspended
		})
		t.Run("a group of another level is untouched", func(t *testing.T) {
			if g := f.group(t, "zhang.san", public); g.Status != registry.GroupActive {
				t.Errorf("status %s", g.Status)
			}
		})
		t.Run("the results show the default and the campaign closed", func(t *testing.T) {
			res, err := f.reg.CampaignResults(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Campaign.ClosedAt == nil || len(res.Recerts) != 1 || !res.Recerts[0].Defaulted || res.Recerts[0].Decision != registry.Suspend {
				t.Errorf("results: %+v %+v", res.Campaign, res.Recerts)
			}
		})
		t.Run("a closed campaign takes no answer", func(t *testing.T) {
			_, err := f.reg.Recertify(ctx, f.as("zhang.san"), c.ID, gid, registry.Keep, true, "")
			wantErr(t, err, errs.Conflict, "")
		})
	})
}

// Expiry: a notice 30, 15 and 1 days before the term ends, each once; at
// the end of the term the group is expired.
func TestExpiry(t *testing.T) {
	cases := []struct {
		name    string
		days    []int // ticks at this many days before the end (plus a minute)
		notices int
	}{
		{"31 days ahead", []int{31}, 0},
		{"30 days ahead", []int{30}, 1},
		{"30 days ahead, ticked twice", []int{30, 30}, 1},
		{"30, then 15 days ahead", []int{30, 15}, 2},
		{"every threshold, each ticked twice", []int{30, 30, 15, 15, 1, 1}, 3},
		{"only the last day", []int{1, 1}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f := newFixture(t, db)
				gid := f.active(t, "wrExpiry")
				end := f.group(t, "zhang.san", gid).ExpiresAt
				for _, d := range c.days {
					f.tick(t, end.AddDate(0, 0, -d).Add(time.Minute), 1)
				}
				if n := f.notices(t, "zhang.san", "group.expiry_notice", groupObj(gid)); n != c.notices {
					t.Errorf("%d expiry notices, want %d", n, c.notices)
				}
				if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupActive {
					t.Errorf("status %s before the end of the term", g.Status)
				}
				f.wantActions(t, groupObj(gid), map[string]int{"group.expiry_notice": c.notices, "group.expire": 0})
			})
		})
	}
	t.Run("the end of the term", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db store.DB) {
			f := newFixture(t, db)
			gid := f.active(t, "wrExpiry")
			end := f.group(t, "zhang.san", gid).ExpiresAt
			f.tick(t, end.Add(time.Minute), 2)
			if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupExpired {
				t.Errorf("status %s after the term, want expired", g.Status)
			}
			if n := f.notices(t, "zhang.san", "group.expired", groupObj(gid)); n != 1 {
				t.Errorf("%d expired notices, want 1", n)
			}
			f.wantActions(t, groupObj(gid), map[string]int{"group.expire": 1})
			_, err := f.reg.Sign(ctx, f.as("zhang.san"), gid, registry.SignInput{FullName: "张三"})
			wantErr(t, err, errs.Conflict, "")
		})
	})
	t.Run("two groups ending together, one not yet signed or bound", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db store.DB) {
			f := newFixture(t, db)
			active := f.active(t, "wrExpiry")
			waiting := f.approved(t, f.public("not yet signed")).GroupID // same term
			end := f.group(t, "zhang.san", active).ExpiresAt
			for _, d := range []int{30, 30, 15, 1, 1} {
				f.tick(t, end.AddDate(0, 0, -d).Add(time.Minute), 1)
			}
			f.tick(t, end.Add(time.Minute), 1)
			for _, id := range []int64{active, waiting} {
				if n := f.notices(t, "zhang.san", "group.expiry_notice", groupObj(id)); n != 3 {
					t.Errorf("group %d: %d expiry notices, want 3", id, n)
				}
				if g := f.group(t, "zhang.san", id); g.Status != registry.GroupExpired {
					t.Errorf("group %d: status %s after the term, want expired", id, g.Status)
				}
				f.wantActions(t, groupObj(id), map[string]int{"group.expiry_notice": 3, "group.expire": 1})
			}
		})
	})
}

// Renewal: a new term goes through a new approval (the renewed group's
// chain), and an expired group is active again.
func TestRenewal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.active(t, "wrRenewal")
		end := f.group(t, "zhang.san", gid).ExpiresAt
		f.tick(t, end.Add(time.Minute), 1)
		f.clock.t = end.Add(time.Hour)
		in := f.application()
		in.Renews, in.ExpiresAt = gid, rfc(f.clock.Now().AddDate(1, 0, 0))

		t.Run("a member asks for a new term", func(t *testing.T) {
			_, err := f.reg.Apply(ctx, f.as("li.si"), in)
			wantErr(t, err, errs.Forbidden, "")
		})
		t.Run("two steps, then the same group is active again", func(t *testing.T) {
			r := f.apply(t, in)
			if r.Renews != gid || len(r.Steps) != 2 {
				t.Fatalf("renewal: %+v", r)
			}
			if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupExpired {
				t.Errorf("status %s while the renewal waits", g.Status)
			}
			f.decide(t, "wang.head", r.ID, "approve", "")
			r = f.decide(t, "zhao.sec", r.ID, "approve", "")
			if r.Status != registry.Approved || r.GroupID != gid {
				t.Fatalf("renewal approved: %+v", r)
			}
			g := f.group(t, "zhang.san", gid)
			if g.Status != registry.GroupActive || !g.ExpiresAt.Equal(f.clock.Now().AddDate(1, 0, 0).Truncate(time.Second)) {
				t.Errorf("renewed: %s until %s", g.Status, g.ExpiresAt)
			}
			if gs, _ := f.reg.ListGroups(ctx, nil, registry.GroupFilter{}); len(gs) != 1 {
				t.Errorf("%d groups after a renewal, want 1", len(gs))
			}
			// approved→active at binding, expired→active at renewal.
			f.wantActions(t, groupObj(gid), map[string]int{"group.renew": 1, "group.expire": 1, "group.status": 2})
		})
		t.Run("a dissolved group cannot be renewed", func(t *testing.T) {
			if _, err := f.reg.Dissolve(ctx, f.as("zhang.san"), gid, "the audit is over"); err != nil {
				t.Fatal(err)
			}
			_, err := f.reg.Apply(ctx, f.as("zhang.san"), in)
			wantErr(t, err, errs.Invalid, "renews")
		})
	})
}
