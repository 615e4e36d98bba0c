package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// clock is a fake time source a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time                    { return c.t }
func (c *clock) Add(d time.Duration)               { c.t = c.t.Add(d) }
func (c *clock) At(days int) time.Time             { return c.t.AddDate(0, 0, days) }
func rfc(t time.Time) string                       { return t.UTC().Format(time.RFC3339) }
func principal(u *account.User) *account.Principal { return &account.Principal{User: u} }

type registryFixture struct {
	db    store.DB
	acc   *account.Service
	reg   *registry.Service
	sched *registry.Scheduler
	clock *clock
	users map[string]*account.Principal
}

func newRegistry(t *testing.T, db store.DB) *registryFixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	f := &registryFixture{db: db, clock: c, users: map[string]*account.Principal{},
		acc: account.NewService(db, store.TxFor[account.TxStore](db), c.Now, time.Hour)}
	f.reg = registry.NewService(db, store.TxFor[registry.TxStore](db), c.Now, registry.DefaultPolicy())
	f.sched = &registry.Scheduler{Service: f.reg}
	if err := f.reg.EnsureDefaultTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, parent string }{{"HQ", ""}, {"Finance", "HQ"}, {"Payroll", "Finance"}} {
		if _, err := f.acc.CreateOrgUnit(ctx, u.name, u.parent); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []account.NewUser{
		{Username: "zhang.san", RealName: "张三", OrgUnit: "Payroll", Verified: true},
		{Username: "li.si", RealName: "李四", OrgUnit: "Payroll", Verified: false},
		{Username: "wang.head", RealName: "王主任", OrgUnit: "Finance", Verified: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}}},
		{Username: "zhao.sec", RealName: "赵保密", OrgUnit: "HQ", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}},
	} {
		created, err := f.acc.CreateUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.Username] = principal(created)
	}
	return f
}

func TestRegistryStorage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newRegistry(t, db)
		zhang, li, head, sec := f.users["zhang.san"], f.users["li.si"], f.users["wang.head"], f.users["zhao.sec"]
		in := registry.NewApplication{Name: "工资发放协调", Purpose: "coordinate payroll runs", Platform: "wecom",
			PlannedAt: rfc(f.clock.At(1)), ExpiresAt: rfc(f.clock.At(365)), Responsible: "zhang.san", Level: "internal",
			Members: []registry.ProposedMember{{Username: "li.si"}, {External: "陈会计", Organization: "Audit LLP", Justification: "annual audit"}}}

		// Field errors name the field.
		bad := in
		bad.Purpose = ""
		if _, err := f.reg.Apply(ctx, zhang, bad); fieldOf(err) != "purpose" {
			t.Fatalf("empty purpose: %v", err)
		}
		bad = in
		bad.ExpiresAt = rfc(f.clock.At(0))
		if _, err := f.reg.Apply(ctx, zhang, bad); fieldOf(err) != "expires_at" {
			t.Fatalf("term end before establishment: %v", err)
		}
		bad = in
		bad.Responsible = "nobody"
		if _, err := f.reg.Apply(ctx, zhang, bad); fieldOf(err) != "responsible" {
			t.Fatalf("unknown responsible: %v", err)
		}
		bad = in
		bad.Members = []registry.ProposedMember{{External: "x"}}
		if _, err := f.reg.Apply(ctx, zhang, bad); fieldOf(err) != "members" {
			t.Fatalf("external without justification: %v", err)
		}

		// External members: the default chain has two steps.
		a, err := f.reg.Apply(ctx, zhang, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != registry.Submitted || len(a.Steps) != 2 || a.Round != 1 {
			t.Fatalf("submitted: %+v", a)
		}
		if _, err := f.reg.Decide(ctx, sec, a.ID, "approve", ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("security officer deciding step 1: %v", err)
		}
		if _, err := f.reg.Decide(ctx, li, a.ID, "approve", ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("member deciding: %v", err)
		}
		if _, err := f.reg.Decide(ctx, head, a.ID, "reject", " "); fieldOf(err) != "comment" {
			t.Fatalf("rejection without comment: %v", err)
		}
		// Reminders: once per step, after the configured wait.
		f.clock.Add(49 * time.Hour)
		for i := 0; i < 2; i++ {
			if err := f.sched.Tick(ctx, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if n := countKind(t, f, "wang.head", "application.reminder"); n != 1 {
			t.Fatalf("%d reminders, want 1", n)
		}
		if _, err := f.reg.Decide(ctx, head, a.ID, "approve", "ok"); err != nil {
			t.Fatal(err)
		}
		a, err = f.reg.Decide(ctx, sec, a.ID, "approve", "external member justified")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != registry.Approved || a.GroupID == 0 {
			t.Fatalf("approved: %+v", a)
		}
		gd, err := f.reg.ShowGroup(ctx, zhang, a.GroupID)
		if err != nil {
			t.Fatal(err)
		}
		g := &gd.Group
		if gd.Status != registry.GroupApproved || len(gd.Members) != 3 || gd.Statement.CurrentVersion != 1 || gd.Statement.Signed {
			t.Fatalf("new group: %+v", gd)
		}
		if _, err := f.reg.ShowGroup(ctx, f.users["wang.head"], g.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an approver who is not in the group sees it: %v", err)
		}

		// Sign and bind.
		if _, err := f.reg.Sign(ctx, li, g.ID, registry.SignInput{FullName: "李四", Language: "zh-CN", Addr: "10.0.0.2"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("non-responsible signs: %v", err)
		}
		if _, err := f.reg.Sign(ctx, zhang, g.ID, registry.SignInput{FullName: "张3", Language: "zh-CN", Addr: "10.0.0.2"}); fieldOf(err) != "full_name" {
			t.Fatalf("wrong name: %v", err)
		}
		if _, err := f.reg.Sign(ctx, zhang, g.ID, registry.SignInput{FullName: "张三", Language: "zh-CN", Addr: "10.0.0.2", SHA256: "not-the-text-read"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("signing a text other than the one read: %v, want conflict", err)
		}
		sig, err := f.reg.Sign(ctx, zhang, g.ID, registry.SignInput{FullName: "张三", Language: "zh-CN", Addr: "10.0.0.2"})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.reg.Statement(ctx, zhang, g.ID, "zh-CN")
		if sig.TextSHA256 != st.SHA256 || sig.TemplateVersion != 1 || sig.Addr != "10.0.0.2" {
			t.Fatalf("signature: %+v vs %+v", sig, st)
		}
		if _, err := f.reg.Bind(ctx, zhang, g.ID, "wecom", "wrOgQhDgAAabc"); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Group(ctx, g.ID); g.Status != registry.GroupActive {
			t.Fatalf("signed and bound: %s", g.Status)
		}

		// A second group cannot take the same room.
		in2 := in
		in2.Name, in2.Members = "second", nil
		a2, err := f.reg.Apply(ctx, zhang, in2)
		if err != nil {
			t.Fatal(err)
		}
		if a2, err = f.reg.Decide(ctx, head, a2.ID, "approve", ""); err != nil || a2.Status != registry.Approved {
			t.Fatalf("one-step approval: %v %+v", err, a2)
		}
		if _, err := f.reg.Bind(ctx, zhang, a2.GroupID, "wecom", "wrOgQhDgAAabc"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("room bound twice: %v", err)
		}

		// Capture lookups.
		if _, err := f.reg.AddHandle(ctx, "li.si", "wecom", "LiSi"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.AddHandle(ctx, "zhang.san", "wecom", "LiSi"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("handle taken twice: %v", err)
		}
		if _, err := f.reg.AddMember(ctx, zhang, g.ID, registry.NewMember{External: "周顾问", Organization: "Consult", Justification: "project", Platform: "wecom", Handle: "wmEXT1"}); err != nil {
			t.Fatal(err)
		}
		dir := registry.NewDirectory(db)
		snap := func() *registry.Snapshot {
			t.Helper()
			s, err := dir.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := snap()
		gf := s.Group(g.ID)
		if id, ok := s.RoomGroup("wecom", "wrOgQhDgAAabc"); !ok || id != g.ID || gf.Status != registry.GroupActive || gf.Level != "internal" ||
			len(gf.OrgUnits) == 0 || gf.OrgUnits[0] != "Payroll" || gf.Responsible != "zhang.san" {
			t.Fatalf("room's group: %d %v %+v", id, ok, gf)
		}
		if _, ok := s.RoomGroup("wecom", "unknown"); ok {
			t.Fatal("an unbound room has a group")
		}
		snd := s.Sender("wecom", "LiSi", g.ID)
		if snd == nil || snd.Username != "li.si" || snd.Verified || !snd.Member || snd.External {
			t.Fatalf("sender, a user: %+v", snd)
		}
		if snd := s.Sender("wecom", "LiSi", a2.GroupID); snd == nil || snd.Member {
			t.Fatalf("not a member of the second group: %+v", snd)
		}
		snd = s.Sender("wecom", "wmEXT1", g.ID)
		if snd == nil || !snd.External || !snd.Member || snd.Name != "周顾问" {
			t.Fatalf("sender, an external contact: %+v", snd)
		}
		if snd := s.Sender("wecom", "nobody", g.ID); snd != nil {
			t.Fatalf("unknown handle: %+v", snd)
		}
		// Leaving ends membership, and the timeline keeps it.
		members, _ := db.Members(ctx, g.ID, false)
		for _, m := range members {
			if m.Username == "li.si" {
				if err := f.reg.RemoveMember(ctx, zhang, g.ID, m.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if snd := snap().Sender("wecom", "LiSi", g.ID); snd == nil || snd.Member {
			t.Fatalf("left member still a member: %+v", snd)
		}
		if tl, _ := f.reg.MemberTimeline(ctx, zhang, g.ID); len(tl) != 4 {
			t.Fatalf("timeline has %d stays, want 4", len(tl))
		}

		// A new template moves the active group to needs_signature and tells its administrator.
		if _, err := f.reg.PublishTemplate(ctx, "新版本", "new version"); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Group(ctx, g.ID); g.Status != registry.GroupNeedsSignature {
			t.Fatalf("after a new template: %s", g.Status)
		}
		if countKind(t, f, "zhang.san", "group.needs_signature") != 1 {
			t.Fatal("administrator not told to sign again")
		}
		if _, err := f.reg.Sign(ctx, zhang, g.ID, registry.SignInput{FullName: "张三", Language: "en", Addr: "10.0.0.2"}); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Group(ctx, g.ID); g.Status != registry.GroupActive {
			t.Fatalf("re-signed: %s", g.Status)
		}

		// Expiry notices 30, 15, 1 days ahead, each once; then expired.
		expires := g.ExpiresAt
		for _, d := range []int{30, 30, 15, 1, 1} {
			if err := f.sched.Tick(ctx, expires.AddDate(0, 0, -d).Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if n := countKind(t, f, "zhang.san", "group.expiry_notice"); n != 3*2 { // both groups share the term
			t.Fatalf("%d expiry notices, want 6", n)
		}
		if err := f.sched.Tick(ctx, expires.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Group(ctx, g.ID); g.Status != registry.GroupExpired {
			t.Fatalf("after the term: %s", g.Status)
		}
		evs, err := db.AuditEvents(ctx, audit.Filter{Object: "group:1", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"group.create": true, "statement.sign": true, "group.bind": true, "group.status": true, "group.expire": true,
			"group.member.join": true, "group.member.leave": true, "group.expiry_notice": true}
		for _, e := range evs {
			delete(want, e.Action)
		}
		if len(want) > 0 {
			t.Fatalf("missing audit events %v", want)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRegistryCampaigns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newRegistry(t, db)
		zhang, head, li := f.users["zhang.san"], f.users["wang.head"], f.users["li.si"]
		mk := func(name string) *registry.Group {
			a, err := f.reg.Apply(ctx, zhang, registry.NewApplication{Name: name, Purpose: "work", Platform: "dingtalk",
				PlannedAt: rfc(f.clock.At(0)), ExpiresAt: rfc(f.clock.At(200)), Responsible: "zhang.san", Level: "public",
				Members: []registry.ProposedMember{{Username: "li.si"}}})
			if err != nil {
				t.Fatal(err)
			}
			if a, err = f.reg.Decide(ctx, head, a.ID, "approve", ""); err != nil {
				t.Fatal(err)
			}
			g, _ := db.Group(ctx, a.GroupID)
			return g
		}
		g1, g2 := mk("one"), mk("two")
		c, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Recertification, Deadline: rfc(f.clock.At(14)), DefaultDecision: registry.Suspend})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.Recertify(ctx, li, c.ID, g1.ID, registry.Keep, true, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("non-responsible re-certifies: %v", err)
		}
		if _, err := f.reg.Recertify(ctx, zhang, c.ID, g1.ID, registry.Keep, true, "still needed"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := f.sched.Tick(ctx, f.clock.At(15)); err != nil {
				t.Fatal(err)
			}
		}
		if g, _ := db.Group(ctx, g2.ID); g.Status != registry.GroupSuspended {
			t.Fatalf("unanswered group: %s", g.Status)
		}
		if g, _ := db.Group(ctx, g1.ID); g.Status != registry.GroupApproved {
			t.Fatalf("kept group: %s", g.Status)
		}
		r, _ := f.reg.CampaignResults(ctx, c.ID)
		if r.Campaign.ClosedAt == nil || len(r.Recerts) != 2 || !r.Recerts[1].Defaulted || r.Recerts[1].Decision != registry.Suspend {
			t.Fatalf("results: %+v", r)
		}

		// Declarations: pre-filled from the registry; an unregistered group becomes a draft.
		d, err := f.reg.StartCampaign(ctx, registry.NewCampaign{Kind: registry.Declaration, Deadline: rfc(f.clock.At(7))})
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := f.reg.MyTasks(ctx, li, d.ID)
		if err != nil || len(tasks.Groups) != 2 {
			t.Fatalf("pre-filled form: %v %+v", err, tasks)
		}
		out, err := f.reg.Declare(ctx, li, d.ID, []registry.Declared{{GroupID: g1.ID}, {Name: "项目群", Platform: "wechat"}})
		if err != nil || len(out) != 2 || out[1].ApplicationID == 0 {
			t.Fatalf("declare: %v %+v", err, out)
		}
		draft, err := f.reg.ShowApplication(ctx, li, out[1].ApplicationID)
		if err != nil || draft.Status != registry.Draft || draft.Applicant != "li.si" {
			t.Fatalf("draft: %v %+v", err, draft)
		}
		// The declarer completes and submits it.
		done := registry.NewApplication{Name: "项目群", Purpose: "project", Platform: "wechat", PlannedAt: rfc(f.clock.At(1)),
			ExpiresAt: rfc(f.clock.At(90)), Responsible: "li.si", Level: "public"}
		if _, err := f.reg.EditApplication(ctx, li, draft.ID, done); err != nil {
			t.Fatal(err)
		}
		if a, err := f.reg.Submit(ctx, li, draft.ID); err != nil || a.Status != registry.Submitted {
			t.Fatalf("submit draft: %v %+v", err, a)
		}
		if _, err := f.reg.Withdraw(ctx, zhang, draft.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("someone else withdraws: %v", err)
		}
		if a, err := f.reg.Withdraw(ctx, li, draft.ID); err != nil || a.Status != registry.Withdrawn {
			t.Fatalf("withdraw: %v %+v", err, a)
		}
	})
}

func fieldOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func countKind(t *testing.T, f *registryFixture, user, kind string) int {
	t.Helper()
	ns, err := f.reg.Notifications(context.Background(), f.users[user], false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

func TestRegistrySchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newRegistry(t, db)
		f.reg.Policy.SignatureDays = 30
		f.reg.Policy.RecertMonths = map[registry.Level]int{registry.Public: 6}
		zhang, head := f.users["zhang.san"], f.users["wang.head"]
		a, err := f.reg.Apply(ctx, zhang, registry.NewApplication{Name: "g", Purpose: "work", Platform: "matrix",
			PlannedAt: rfc(f.clock.At(0)), ExpiresAt: rfc(f.clock.At(900)), Responsible: "zhang.san", Level: "public"})
		if err != nil {
			t.Fatal(err)
		}
		if a, err = f.reg.Decide(ctx, head, a.ID, "approve", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.Sign(ctx, zhang, a.GroupID, registry.SignInput{FullName: "张三", Language: "", Addr: "::1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.Bind(ctx, zhang, a.GroupID, "matrix", "!room:example.org"); err != nil {
			t.Fatal(err)
		}
		tick := func(days int) {
			t.Helper()
			for i := 0; i < 2; i++ { // twice: a tick is idempotent
				if err := f.sched.Tick(ctx, f.clock.At(days)); err != nil {
					t.Fatal(err)
				}
			}
		}
		tick(29)
		if g, _ := db.Group(ctx, a.GroupID); g.Status != registry.GroupActive {
			t.Fatalf("before the signature lapses: %s", g.Status)
		}
		tick(31)
		if g, _ := db.Group(ctx, a.GroupID); g.Status != registry.GroupNeedsSignature {
			t.Fatalf("after the signature lapses: %s", g.Status)
		}
		if n := countKind(t, f, "zhang.san", "group.needs_signature"); n != 1 {
			t.Fatalf("%d lapse notices, want 1", n)
		}
		// Automatic re-certification every 6 months for public groups, started once.
		tick(150)
		if cs, _ := db.Campaigns(ctx); len(cs) != 0 {
			t.Fatalf("campaign before 6 months: %+v", cs)
		}
		tick(200)
		cs, err := db.Campaigns(ctx)
		if err != nil || len(cs) != 1 || cs[0].Kind != registry.Recertification || cs[0].Level != registry.Public || cs[0].CreatedBy != "system" {
			t.Fatalf("automatic campaign: %v %+v", err, cs)
		}
		if rs, _ := db.Recerts(ctx, cs[0].ID); len(rs) != 1 || rs[0].GroupID != a.GroupID {
			t.Fatalf("campaign tasks: %+v", rs)
		}
	})
}
