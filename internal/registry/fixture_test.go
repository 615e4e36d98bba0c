package registry_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
)

// clock is the time the services read; a test moves it by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// fixture is an organization on a fresh database: units 总部 > 财务处;
// zhang.san (verified) and li.si (not verified, WeCom handle LiSi) in
// 财务处; wang.head, approver of 总部; zhao.sec, security officer;
// qian.audit, auditor; zhou.both in 财务处, both its approver and a
// security officer. The shipped statement is version 1. Every case
// makes its own applications and groups, so cases sharing a fixture do not
// see each other's state except in listings and scheduler ticks; cases that
// tick, publish a template or count groups take a fixture of their own.
type fixture struct {
	db    store.DB
	reg   *registry.Service
	sched *registry.Scheduler
	clock *clock
	start time.Time
	users map[string]*account.Principal
}

var ctx = context.Background()

func newFixture(t *testing.T, db store.DB) *fixture {
	t.Helper()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := &fixture{db: db, clock: &clock{t: start}, start: start, users: map[string]*account.Principal{}}
	acc := account.NewService(db, store.TxFor[account.TxStore](db), f.clock.Now, time.Hour)
	f.reg = registry.NewService(db, store.TxFor[registry.TxStore](db), f.clock.Now, registry.DefaultPolicy())
	f.sched = &registry.Scheduler{Service: f.reg}
	if err := f.reg.EnsureDefaultTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, parent string }{{"总部", ""}, {"财务处", "总部"}} {
		if _, err := acc.CreateOrgUnit(ctx, u.name, u.parent); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []account.NewUser{
		{Username: "zhang.san", RealName: "张三", OrgUnit: "财务处", Verified: true},
		{Username: "li.si", RealName: "李四", OrgUnit: "财务处", Verified: false},
		{Username: "wang.head", RealName: "王主任", OrgUnit: "总部", Verified: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "总部"}}},
		{Username: "zhao.sec", RealName: "赵保密", OrgUnit: "总部", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}},
		{Username: "qian.audit", RealName: "钱审计", OrgUnit: "总部", Verified: true, Roles: []account.Grant{{Role: account.Auditor}}},
		{Username: "zhou.both", RealName: "周兼任", OrgUnit: "财务处", Verified: true,
			Roles: []account.Grant{{Role: account.Approver, OrgUnit: "财务处"}, {Role: account.SecurityOfficer}}},
	} {
		created, err := acc.CreateUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.Username] = &account.Principal{User: created}
	}
	if _, err := f.reg.AddHandle(ctx, "li.si", "wecom", "LiSi"); err != nil {
		t.Fatal(err)
	}
	// Whatever a case did, the audit chain it left holds.
	t.Cleanup(func() {
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
	return f
}

// as is the principal of a fixture user.
func (f *fixture) as(username string) *account.Principal { return f.users[username] }

// application is the well-formed sensitive application of 张三 for 财务处工作群,
// with li.si and an external auditor, for sixty days from an hour from now.
func (f *fixture) application() registry.NewApplication {
	now := f.clock.Now()
	return registry.NewApplication{Name: "财务处工作群", Purpose: "coordinate the monthly payroll", Platform: "wecom",
		PlannedAt: rfc(now.Add(time.Hour)), ExpiresAt: rfc(now.AddDate(0, 0, 60)), Responsible: "zhang.san", Level: registry.Sensitive,
		Members: []registry.ProposedMember{{Username: "li.si"}, {External: "陈会计", Organization: "审计事务所", Justification: "annual audit"}}}
}

// public is a one-step application (public, no external member) named name.
func (f *fixture) public(name string) registry.NewApplication {
	in := f.application()
	in.Name, in.Level, in.Members = name, registry.Public, []registry.ProposedMember{}
	return in
}

// apply files in as zhang.san.
func (f *fixture) apply(t *testing.T, in registry.NewApplication) *registry.Application {
	t.Helper()
	a, err := f.reg.Apply(ctx, f.as("zhang.san"), in)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return a
}

// decide records a decision that must succeed.
func (f *fixture) decide(t *testing.T, who string, id int64, decision, comment string) *registry.Application {
	t.Helper()
	a, err := f.reg.Decide(ctx, f.as(who), id, decision, comment)
	if err != nil {
		t.Fatalf("%s decides %s on application %d: %v", who, decision, id, err)
	}
	return a
}

// approved files in and has it approved by every step: wang.head, then
// zhao.sec when there is a second step. It returns the application.
func (f *fixture) approved(t *testing.T, in registry.NewApplication) *registry.Application {
	t.Helper()
	a := f.apply(t, in)
	a = f.decide(t, "wang.head", a.ID, "approve", "ok")
	if a.Status == registry.Submitted {
		a = f.decide(t, "zhao.sec", a.ID, "approve", "ok")
	}
	if a.Status != registry.Approved || a.GroupID == 0 {
		t.Fatalf("not approved: %+v", a)
	}
	return a
}

// withLiSi makes an approved public group named name with li.si as a member.
func (f *fixture) withLiSi(t *testing.T, name string) int64 {
	t.Helper()
	in := f.public(name)
	in.Members = []registry.ProposedMember{{Username: "li.si"}}
	return f.approved(t, in).GroupID
}

// sign signs group id's statement as 张三.
func (f *fixture) sign(t *testing.T, id int64, lang string) *registry.Signature {
	t.Helper()
	sig, err := f.reg.Sign(ctx, f.as("zhang.san"), id, registry.SignInput{FullName: "张三", Language: lang, Addr: "10.0.0.2"})
	if err != nil {
		t.Fatalf("sign group %d: %v", id, err)
	}
	return sig
}

// bind binds room to group id as 张三.
func (f *fixture) bind(t *testing.T, id int64, room string) {
	t.Helper()
	if _, err := f.reg.Bind(ctx, f.as("zhang.san"), id, "wecom", room); err != nil {
		t.Fatalf("bind %s to group %d: %v", room, id, err)
	}
}

// active makes the sensitive group of f.application(), signed and bound to
// room, and returns its id.
func (f *fixture) active(t *testing.T, room string) int64 {
	t.Helper()
	a := f.approved(t, f.application())
	f.sign(t, a.GroupID, "")
	f.bind(t, a.GroupID, room)
	if g := f.group(t, "zhang.san", a.GroupID); g.Status != registry.GroupActive {
		t.Fatalf("group %d is %s, want active", a.GroupID, g.Status)
	}
	return a.GroupID
}

// activePublic makes a public group (one step, no external member),
// signed and bound to room, and returns its id.
func (f *fixture) activePublic(t *testing.T, room string) int64 {
	t.Helper()
	id := f.approved(t, f.public("公开群")).GroupID
	f.sign(t, id, "")
	f.bind(t, id, room)
	return id
}

// group shows group id to who.
func (f *fixture) group(t *testing.T, who string, id int64) *registry.GroupDetail {
	t.Helper()
	g, err := f.reg.ShowGroup(ctx, f.as(who), id)
	if err != nil {
		t.Fatalf("%s shows group %d: %v", who, id, err)
	}
	return g
}

// tick runs the scheduler at at, times times (ticks are idempotent).
func (f *fixture) tick(t *testing.T, at time.Time, times int) {
	t.Helper()
	for i := 0; i < times; i++ {
		if err := f.sched.Tick(ctx, at); err != nil {
			t.Fatalf("tick at %s: %v", at, err)
		}
	}
}

// notices counts who's notices of kind (on object, unless empty).
func (f *fixture) notices(t *testing.T, who, kind, object string) int {
	t.Helper()
	ns, err := f.reg.Notifications(ctx, f.as(who), false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind && (object == "" || x.Object == object) {
			n++
		}
	}
	return n
}

// wantActions checks how many audit events of each action object has.
func (f *fixture) wantActions(t *testing.T, object string, want map[string]int) {
	t.Helper()
	evs, err := f.db.AuditEvents(ctx, audit.Filter{Object: object, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range evs {
		got[e.Action]++
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("%s: %d %s events, want %d (all: %v)", object, got[action], action, n, got)
		}
	}
}

// wantErr checks err's kind and, for invalid input, the field it names.
func wantErr(t *testing.T, err error, kind errs.Kind, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != kind || e.Field != field {
		t.Fatalf("got %v, want a %v error naming field %q", err, kind, field)
	}
}

func rfc(t time.Time) string   { return t.UTC().Format(time.RFC3339) }
func appObj(id int64) string   { return "application:" + strconv.FormatInt(id, 10) }
func groupObj(id int64) string { return "group:" + strconv.FormatInt(id, 10) }
