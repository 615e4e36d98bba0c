package registry_test

import (
	"testing"
	"time"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// The administrator adds members: a user, or an external contact with a
// justification and maybe a handle; each join is in the audit trail.
func TestAddMember(t *testing.T) {
	consultant := registry.NewMember{External: "周顾问", Organization: "Consult", Justification: "project", Platform: "wecom", Handle: "wmEXT1"}
	cases := []struct {
		name  string
		who   string
		in    registry.NewMember
		kind  errs.Kind
		field string
	}{
		{"both a username and an external name", "zhang.san", registry.NewMember{Username: "qian.audit", External: "周顾问", Justification: "x"}, errs.Invalid, "username"},
		{"neither a username nor an external name", "zhang.san", registry.NewMember{}, errs.Invalid, "username"},
		{"an external contact without a justification", "zhang.san", registry.NewMember{External: "周顾问", Organization: "Consult"}, errs.Invalid, "justification"},
		{"a handle on an employee", "zhang.san", registry.NewMember{Username: "qian.audit", Platform: "wecom", Handle: "Qian"}, errs.Invalid, "handle"},
		{"a handle on an unknown platform", "zhang.san", registry.NewMember{External: "周顾问", Justification: "x", Platform: "qq", Handle: "1"}, errs.Invalid, "platform"},
		{"an unknown user", "zhang.san", registry.NewMember{Username: "nobody"}, errs.Invalid, "username"},
		{"a user already a member", "zhang.san", registry.NewMember{Username: "li.si"}, errs.Conflict, ""},
		{"an external contact already a member", "zhang.san", registry.NewMember{External: "陈会计", Organization: "审计事务所", Justification: "again"}, errs.Conflict, ""},
		{"by a member: not told it exists", "li.si", registry.NewMember{Username: "qian.audit"}, errs.NotFound, ""},
		{"by the auditor", "qian.audit", registry.NewMember{Username: "qian.audit"}, errs.Forbidden, ""},
		{"a user, by the responsible person", "zhang.san", registry.NewMember{Username: "qian.audit"}, "", ""},
		{"an external contact with a user's handle", "zhang.san", registry.NewMember{External: "假李四", Organization: "Other", Justification: "x", Platform: "wecom", Handle: "LiSi"}, errs.Conflict, ""},
		{"an external contact with a handle", "zhang.san", consultant, "", ""},
		{"the same name from another organization", "zhang.san", registry.NewMember{External: "陈会计", Organization: "另一家事务所", Justification: "second auditor"}, "", ""},
		{"by the security officer", "zhao.sec", registry.NewMember{Username: "wang.head"}, "", ""},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := f.approved(t, f.application()).GroupID // zhang.san, li.si, 陈会计 (审计事务所)
				m, err := f.reg.AddMember(ctx, f.as(c.who), id, c.in)
				ms := f.group(t, "zhang.san", id).Members
				if c.kind != "" {
					wantErr(t, err, c.kind, c.field)
					if len(ms) != 3 {
						t.Errorf("%d members after a refused join, want 3", len(ms))
					}
					f.wantActions(t, groupObj(id), map[string]int{"group.member.join": 0})
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.ID == 0 || m.GroupID != id || m.Username != c.in.Username || m.External != c.in.External || m.Handle != c.in.Handle ||
					!m.JoinedAt.Equal(f.clock.Now()) || m.LeftAt != nil {
					t.Errorf("member: %+v", m)
				}
				if len(ms) != 4 || ms[3].ID != m.ID {
					t.Errorf("members: %+v", ms)
				}
				f.wantActions(t, groupObj(id), map[string]int{"group.member.join": 1})
			})
		}
		t.Run("to a dissolved group", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			if _, err := f.reg.Dissolve(ctx, f.as("zhang.san"), id, "the audit is over"); err != nil {
				t.Fatal(err)
			}
			_, err := f.reg.AddMember(ctx, f.as("zhang.san"), id, consultant)
			wantErr(t, err, errs.Conflict, "")
		})
	})
}

// Leaving ends a stay; the timeline keeps every stay, with when it ended.
func TestRemoveMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		id := f.approved(t, f.application()).GroupID // zhang.san, li.si, 陈会计
		f.clock.t = f.start.Add(time.Hour)
		if _, err := f.reg.AddMember(ctx, f.as("zhang.san"), id, registry.NewMember{External: "周顾问", Organization: "Consult",
			Justification: "project", Platform: "wecom", Handle: "wmEXT1"}); err != nil {
			t.Fatal(err)
		}
		stay := func(t *testing.T, username, external string) registry.Member {
			t.Helper()
			for _, m := range f.group(t, "zhang.san", id).Members {
				if m.Username == username && m.External == external {
					return m
				}
			}
			t.Fatalf("%s%s is not a member", username, external)
			return registry.Member{}
		}
		li := stay(t, "li.si", "")

		refused := []struct {
			name   string
			who    string
			member int64
			kind   errs.Kind
		}{
			{"by a member: not told it exists", "li.si", li.ID, errs.NotFound},
			{"by the auditor", "qian.audit", li.ID, errs.Forbidden},
			{"no such member", "zhang.san", 999, errs.NotFound},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, f.reg.RemoveMember(ctx, f.as(c.who), id, c.member), c.kind, "")
				if len(f.group(t, "zhang.san", id).Members) != 4 {
					t.Error("a refused leave removed a member")
				}
			})
		}
		t.Run("the responsible person removes a member", func(t *testing.T) {
			f.clock.t = f.start.Add(2 * time.Hour)
			if err := f.reg.RemoveMember(ctx, f.as("zhang.san"), id, li.ID); err != nil {
				t.Fatal(err)
			}
			for _, m := range f.group(t, "zhang.san", id).Members {
				if m.ID == li.ID {
					t.Errorf("still listed: %+v", m)
				}
			}
			f.wantActions(t, groupObj(id), map[string]int{"group.member.leave": 1})
		})
		t.Run("removing them again", func(t *testing.T) {
			wantErr(t, f.reg.RemoveMember(ctx, f.as("zhang.san"), id, li.ID), errs.NotFound, "")
		})
		t.Run("who left no longer reads the group", func(t *testing.T) {
			_, err := f.reg.ShowGroup(ctx, f.as("li.si"), id)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("the security officer removes a member", func(t *testing.T) {
			if err := f.reg.RemoveMember(ctx, f.as("zhao.sec"), id, stay(t, "", "陈会计").ID); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the timeline keeps every stay", func(t *testing.T) {
			tl, err := f.reg.MemberTimeline(ctx, f.as("zhang.san"), id)
			if err != nil {
				t.Fatal(err)
			}
			if len(tl) != 4 {
				t.Fatalf("timeline has %d stays, want 4: %+v", len(tl), tl)
			}
			left := map[string]time.Time{}
			for _, m := range tl {
				if m.LeftAt != nil {
					left[m.Username+m.External] = *m.LeftAt
				}
			}
			if len(left) != 2 || !left["li.si"].Equal(f.start.Add(2*time.Hour)) || left["陈会计"].IsZero() {
				t.Errorf("stays ended: %v", left)
			}
			if tl[1].Username != "li.si" || tl[1].RealName != "李四" {
				t.Errorf("the responsible person sees the real name of who left: %+v", tl[1])
			}
			f.wantActions(t, groupObj(id), map[string]int{"group.member.join": 1, "group.member.leave": 2})
		})
		t.Run("a fellow member's timeline shows no real names", func(t *testing.T) {
			if _, err := f.reg.AddMember(ctx, f.as("zhang.san"), id, registry.NewMember{Username: "wang.head"}); err != nil {
				t.Fatal(err)
			}
			tl, err := f.reg.MemberTimeline(ctx, f.as("wang.head"), id)
			if err != nil || len(tl) != 5 {
				t.Fatalf("timeline: %v %+v", err, tl)
			}
			for _, m := range tl {
				if m.RealName != "" {
					t.Errorf("wang.head sees the real name %q", m.RealName)
				}
			}
		})
		t.Run("who left reads no timeline", func(t *testing.T) {
			_, err := f.reg.MemberTimeline(ctx, f.as("li.si"), id)
			wantErr(t, err, errs.NotFound, "")
		})
	})
}
