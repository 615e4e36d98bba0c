package registry_test

import (
	"testing"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A campaign is refused with the field it gets wrong.
func TestStartCampaignNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		in    func(f *fixture) registry.NewCampaign
		field string
	}{
		{"an unknown kind", func(f *fixture) registry.NewCampaign {
			return registry.NewCampaign{Kind: "census", Deadline: rfc(f.start.AddDate(0, 0, 7))}
		}, "kind"},
		{"no deadline", func(*fixture) registry.NewCampaign { return registry.NewCampaign{Kind: registry.Declaration} }, "deadline"},
		{"a deadline in the past", func(f *fixture) registry.NewCampaign {
			return registry.NewCampaign{Kind: registry.Declaration, Deadline: rfc(f.start.AddDate(0, 0, -1))}
		}, "deadline"},
		{"an unknown level", func(f *fixture) registry.NewCampaign {
			return registry.NewCampaign{Kind: registry.Recertification, Level: "secret", Deadline: rfc(f.start.AddDate(0, 0, 7))}
		}, "level"},
		{"a declaration with a level", func(f *fixture) registry.NewCampaign {
			return registry.NewCampaign{Kind: registry.Declaration, Level: registry.Public, Deadline: rfc(f.start.AddDate(0, 0, 7))}
		}, "kind"},
		{"a default neither keep nor suspend", func(f *fixture) registry.NewCampaign {
			return registry.NewCampaign{Kind: registry.Recertification, Deadline: rfc(f.start.AddDate(0, 0, 7)), DefaultDecision: registry.Dissolve}
		}, "default_decision"},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.reg.StartCampaign(ctx, c.in(f))
				wantErr(t, err, errs.Invalid, c.field)
			})
		}
		t.Run("nothing was started", func(t *testing.T) {
			if cs, err := f.reg.Campaigns(ctx, nil); err != nil || len(cs) != 0 {
				t.Errorf("%d campaigns (%v)", len(cs), err)
			}
		})
	})
}

// Re-certification of every level: the responsible person keeps or
// dissolves each group; at the deadline the groups nobody answered for get
// the default (suspend), and the answered ones keep their answer.
func TestRecertify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		kept, dissolved, unanswered := f.withLiSi(t, "kept"), f.withLiSi(t, "dissolved"), f.active(t, "wrUnanswered")
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Recertification, Deadline: rfc(f.start.AddDate(0, 0, 14)),
			DefaultDecision: registry.Suspend})
		if err != nil {
			t.Fatal(err)
		}
		late := f.withLiSi(t, "made after the campaign started")
		decl, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Declaration, Deadline: rfc(f.start.AddDate(0, 0, 7))})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("every live group of every level has a task, its administrator a notice", func(t *testing.T) {
			tasks, err := f.reg.MyTasks(ctx, f.as("zhang.san"), c.ID)
			if err != nil || len(tasks.Recerts) != 3 {
				t.Fatalf("tasks: %v %+v", err, tasks)
			}
			if n := f.notices(t, "zhang.san", "campaign.recertify", ""); n != 3 {
				t.Errorf("%d notices, want 3", n)
			}
		})
		t.Run("a member has no task", func(t *testing.T) {
			if tasks, err := f.reg.MyTasks(ctx, f.as("li.si"), c.ID); err != nil || len(tasks.Recerts) != 0 {
				t.Errorf("tasks: %v %+v", err, tasks)
			}
		})

		refused := []struct {
			name     string
			who      string
			campaign int64
			group    int64
			decision string
			ok       bool
			kind     errs.Kind
			field    string
		}{
			{"a member answers", "li.si", c.ID, kept, registry.Keep, true, errs.Forbidden, ""},
			{"someone who may not read the group answers: not told it exists", "wang.head", c.ID, kept, registry.Keep, true, errs.NotFound, ""},
			{"neither keep nor dissolve", "zhang.san", c.ID, kept, registry.Suspend, true, errs.Invalid, "decision"},
			{"keep without confirming the members", "zhang.san", c.ID, kept, registry.Keep, false, errs.Invalid, "members_ok"},
			{"a group with no task", "zhang.san", c.ID, late, registry.Keep, true, errs.NotFound, ""},
			{"a declaration campaign", "zhang.san", decl.ID, kept, registry.Keep, true, errs.Conflict, ""},
			{"no campaign", "zhang.san", 999, kept, registry.Keep, true, errs.NotFound, ""},
		}
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				_, err := f.reg.Recertify(ctx, f.as(r.who), r.campaign, r.group, r.decision, r.ok, "")
				wantErr(t, err, r.kind, r.field)
			})
		}
		t.Run("the responsible person keeps a group", func(t *testing.T) {
			r, err := f.reg.Recertify(ctx, f.as("zhang.san"), c.ID, kept, registry.Keep, true, " still needed ")
			if err != nil || r.Decision != registry.Keep || !r.MembersOK || r.Comment != "still needed" || r.AnsweredBy != "zhang.san" || r.AnsweredAt == nil {
				t.Fatalf("keep: %v %+v", err, r)
			}
			f.wantActions(t, groupObj(kept), map[string]int{"group.recertify": 1})
		})
		t.Run("answering twice", func(t *testing.T) {
			_, err := f.reg.Recertify(ctx, f.as("zhang.san"), c.ID, kept, registry.Dissolve, false, "")
			wantErr(t, err, errs.Conflict, "")
		})
		t.Run("the responsible person dissolves a group", func(t *testing.T) {
			if _, err := f.reg.Recertify(ctx, f.as("zhang.san"), c.ID, dissolved, registry.Dissolve, false, "project over"); err != nil {
				t.Fatal(err)
			}
			g := f.group(t, "zhang.san", dissolved)
			if g.Status != registry.GroupDissolved || g.DissolvedReason != "no longer needed (re-certification): project over" {
				t.Errorf("dissolved: %s %q", g.Status, g.DissolvedReason)
			}
		})
		t.Run("at the deadline, ticked twice", func(t *testing.T) {
			f.tick(t, f.start.AddDate(0, 0, 15), 2)
			want := map[int64]string{kept: registry.GroupApproved, dissolved: registry.GroupDissolved, unanswered: registry.GroupSuspended, late: registry.GroupApproved}
			for id, status := range want {
				if g := f.group(t, "zhang.san", id); g.Status != status {
					t.Errorf("group %d %q: %s, want %s", id, g.Name, g.Status, status)
				}
			}
			if n := f.notices(t, "zhang.san", "group.suspended", ""); n != 1 {
				t.Errorf("%d suspension notices, want 1", n)
			}
		})
		t.Run("the results", func(t *testing.T) {
			res, err := f.reg.CampaignResults(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Campaign.ClosedAt == nil || len(res.Recerts) != 3 {
				t.Fatalf("results: %+v %+v", res.Campaign, res.Recerts)
			}
			want := map[int64]struct {
				decision  string
				defaulted bool
				by        string
			}{kept: {registry.Keep, false, "zhang.san"}, dissolved: {registry.Dissolve, false, "zhang.san"}, unanswered: {registry.Suspend, true, "system"}}
			for _, r := range res.Recerts {
				w := want[r.GroupID]
				if r.Decision != w.decision || r.Defaulted != w.defaulted || r.AnsweredBy != w.by {
					t.Errorf("group %d: %+v, want %+v", r.GroupID, r, w)
				}
			}
		})
		t.Run("a closed campaign takes no answer", func(t *testing.T) {
			_, err := f.reg.Recertify(ctx, f.as("zhang.san"), c.ID, unanswered, registry.Keep, true, "")
			wantErr(t, err, errs.Conflict, "")
		})
	})
}

// Declaration: each employee's form is pre-filled with the groups the
// registry has them in; a declared group that is not registered becomes a
// draft application the declarer completes, submits or withdraws.
func TestDeclare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		g1, g2, gone := f.withLiSi(t, "one"), f.withLiSi(t, "two"), f.withLiSi(t, "dissolved")
		notIn := f.approved(t, f.public("not li.si's")).GroupID
		if _, err := f.reg.Dissolve(ctx, f.as("zhang.san"), gone, "done"); err != nil {
			t.Fatal(err)
		}
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Declaration, Deadline: rfc(f.start.AddDate(0, 0, 7))})
		if err != nil {
			t.Fatal(err)
		}
		recert, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Recertification, Deadline: rfc(f.start.AddDate(0, 0, 7))})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("every active employee is asked", func(t *testing.T) {
			for who := range f.users {
				if n := f.notices(t, who, "campaign.declare", ""); n != 1 {
					t.Errorf("%s has %d declaration notices, want 1", who, n)
				}
			}
		})
		t.Run("the form is pre-filled with the live groups one is in", func(t *testing.T) {
			tasks, err := f.reg.MyTasks(ctx, f.as("li.si"), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, g := range tasks.Groups {
				got[g.GroupID] = true
			}
			if len(tasks.Groups) != 2 || !got[g1] || !got[g2] || got[gone] || got[notIn] || len(tasks.Declared) != 0 {
				t.Errorf("pre-filled: %+v, declared %+v", tasks.Groups, tasks.Declared)
			}
		})

		refused := []struct {
			name     string
			campaign int64
			lines    []registry.Declared
			kind     errs.Kind
			field    string
		}{
			{"a line with neither a group nor a name", c.ID, []registry.Declared{{GroupID: g1}, {Platform: "wechat"}}, errs.Invalid, "groups"},
			{"an unregistered group on an unknown platform", c.ID, []registry.Declared{{Name: "x", Platform: "qq"}}, errs.Invalid, "groups"},
			{"a group one is not in", c.ID, []registry.Declared{{GroupID: notIn}}, errs.Invalid, "groups"},
			{"no such group", c.ID, []registry.Declared{{GroupID: 999}}, errs.Invalid, "groups"},
			{"a re-certification campaign", recert.ID, []registry.Declared{{GroupID: g1}}, errs.Conflict, ""},
			{"no campaign", 999, []registry.Declared{{GroupID: g1}}, errs.NotFound, ""},
		}
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				_, err := f.reg.Declare(ctx, f.as("li.si"), r.campaign, r.lines)
				wantErr(t, err, r.kind, r.field)
			})
		}
		t.Run("nothing refused was recorded", func(t *testing.T) {
			if res, _ := f.reg.CampaignResults(ctx, c.ID); len(res.Declarations) != 0 {
				t.Errorf("declarations: %+v", res.Declarations)
			}
		})

		var draftID int64
		t.Run("a registered and an unregistered group", func(t *testing.T) {
			out, err := f.reg.Declare(ctx, f.as("li.si"), c.ID, []registry.Declared{{GroupID: g1}, {Name: " 项目群 ", Platform: "wechat"}})
			if err != nil || len(out) != 2 {
				t.Fatalf("declare: %v %+v", err, out)
			}
			if out[0].GroupID != g1 || out[0].Name != "one" || out[0].Platform != "wecom" || out[0].ApplicationID != 0 {
				t.Errorf("registered: %+v", out[0])
			}
			if out[1].GroupID != 0 || out[1].Name != "项目群" || out[1].ApplicationID == 0 {
				t.Errorf("unregistered: %+v", out[1])
			}
			draftID = out[1].ApplicationID
			if n := f.notices(t, "li.si", "application.draft", appObj(draftID)); n != 1 {
				t.Errorf("%d draft notices, want 1", n)
			}
			if tasks, _ := f.reg.MyTasks(ctx, f.as("li.si"), c.ID); len(tasks.Declared) != 2 {
				t.Errorf("declared so far: %+v", tasks.Declared)
			}
		})
		if draftID == 0 {
			t.FailNow()
		}
		t.Run("the draft is the declarer's", func(t *testing.T) {
			d, err := f.reg.ShowApplication(ctx, f.as("li.si"), draftID)
			if err != nil || d.Status != registry.Draft || d.Applicant != "li.si" || d.Responsible != "li.si" || d.OrgUnit != "财务处" ||
				d.Name != "项目群" || d.Platform != "wechat" {
				t.Fatalf("draft: %v %+v", err, d)
			}
			f.wantActions(t, appObj(draftID), map[string]int{"application.create": 1, "application.submit": 0})
		})
		done := registry.NewApplication{Name: "项目群", Purpose: "project", Platform: "wechat", PlannedAt: rfc(f.start.AddDate(0, 0, 1)),
			ExpiresAt: rfc(f.start.AddDate(0, 0, 90)), Responsible: "li.si", Level: registry.Public, Members: []registry.ProposedMember{}}
		t.Run("someone else completes it: not told it exists", func(t *testing.T) {
			_, err := f.reg.EditApplication(ctx, f.as("zhang.san"), draftID, done)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("the declarer completes and submits it", func(t *testing.T) {
			if _, err := f.reg.EditApplication(ctx, f.as("li.si"), draftID, done); err != nil {
				t.Fatal(err)
			}
			a, err := f.reg.Submit(ctx, f.as("li.si"), draftID)
			if err != nil || a.Status != registry.Submitted || a.Purpose != "project" || len(a.Steps) == 0 {
				t.Fatalf("submit: %v %+v", err, a)
			}
		})
		t.Run("someone else withdraws it: not told it exists", func(t *testing.T) {
			_, err := f.reg.Withdraw(ctx, f.as("zhang.san"), draftID)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("the declarer withdraws it", func(t *testing.T) {
			a, err := f.reg.Withdraw(ctx, f.as("li.si"), draftID)
			if err != nil || a.Status != registry.Withdrawn {
				t.Fatalf("withdraw: %v %+v", err, a)
			}
			f.wantActions(t, appObj(draftID), map[string]int{"application.withdraw": 1})
		})
		t.Run("a closed campaign takes no declaration", func(t *testing.T) {
			f.tick(t, f.start.AddDate(0, 0, 8), 1)
			_, err := f.reg.Declare(ctx, f.as("li.si"), c.ID, []registry.Declared{{GroupID: g2}})
			wantErr(t, err, errs.Conflict, "")
		})
	})
}
