package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/metrics"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// clock is a settable time, so tests can step past leases and backoffs.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// flakyStore is the real store, but SenderTransferTotal fails for the
// handles in fail while that is set: a stand-in for any detector failure
// bound to one message.
type flakyStore struct {
	store.DB
	mu   sync.Mutex
	fail map[string]bool
}

func (f *flakyStore) SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error) {
	f.mu.Lock()
	bad := f.fail[sender]
	f.mu.Unlock()
	if bad {
		return 0, errors.New("transfer total unavailable")
	}
	return f.DB.SenderTransferTotal(ctx, platform, sender, from, to)
}

func (f *flakyStore) setFail(handle string, on bool) {
	f.mu.Lock()
	f.fail[handle] = on
	f.mu.Unlock()
}

type fixture struct {
	db    store.DB
	flaky *flakyStore
	arch  *archive.Service
	pipe  *pipeline.Pipeline
	clock *clock
	group int64
	seq   int
}

// newFixture is one registered, active group bound to room wr1 with three
// verified members holding handles owner, m1 and m2, a security officer,
// and the pipeline wired as serve wires it. With observe false the archive
// commits without scanning, as a process killed between the two would.
func newFixture(t *testing.T, db store.DB, observe bool) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, flaky: &flakyStore{DB: db, fail: map[string]bool{}}, clock: &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}}
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), f.clock.now, time.Hour)
	if _, err := accounts.CreateOrgUnit(ctx, "总部", ""); err != nil {
		t.Fatal(err)
	}
	for _, u := range []account.NewUser{
		{Username: "owner", RealName: "负责人", OrgUnit: "总部", Verified: true},
		{Username: "m1", RealName: "成员一", OrgUnit: "总部", Verified: true},
		{Username: "m2", RealName: "成员二", OrgUnit: "总部", Verified: true},
		{Username: "sec", RealName: "保密员", OrgUnit: "总部", Verified: true, Roles: []account.Grant{{Role: account.SecurityOfficer}}},
	} {
		if _, err := accounts.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	g := storetest.Group(t, db, "财务工作群", "owner", registry.Internal, f.clock.now().AddDate(0, -1, 0))
	f.group = g.ID
	for _, name := range []string{"owner", "m1", "m2"} {
		if err := db.AddHandle(ctx, &registry.Handle{Username: name, Platform: "wecom", Handle: name, CreatedAt: f.clock.now()}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMember(ctx, &registry.Member{GroupID: g.ID, Username: name, JoinedAt: f.clock.now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddBinding(ctx, &registry.Binding{GroupID: g.ID, Platform: "wecom", RoomID: "wr1", BoundAt: f.clock.now(), BoundBy: "owner"}); err != nil {
		t.Fatal(err)
	}
	f.wire(t, observe)
	return f
}

// line is one normalized text message in wr1 from sender.
func (f *fixture) line(sender, text string) string {
	f.seq++
	return fmt.Sprintf(`{"platform":"wecom","source_id":"s%d","room_id":"wr1","sender":%q,"sent_at":%q,"kind":"text","text":%q}`,
		f.seq, sender, f.clock.now().Add(time.Duration(f.seq)*time.Second).Format(time.RFC3339), text)
}

func (f *fixture) transfer(sender string, fen int64) string {
	f.seq++
	return fmt.Sprintf(`{"platform":"wecom","source_id":"s%d","room_id":"wr1","sender":%q,"sent_at":%q,"kind":"transfer","text":"","transfer":{"amount_fen":%d,"count":1,"type":"transfer"}}`,
		f.seq, sender, f.clock.now().Add(time.Duration(f.seq)*time.Second).Format(time.RFC3339), fen)
}

func (f *fixture) ingest(t *testing.T, lines ...string) *archive.Result {
	t.Helper()
	res, err := f.arch.Ingest(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), archive.Batch{Format: "ndjson", Source: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) alerts(t *testing.T, filter review.AlertFilter) []review.Alert {
	t.Helper()
	filter.Limit = 500
	as, err := f.db.Alerts(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (f *fixture) backlog(t *testing.T) pipeline.Backlog {
	t.Helper()
	if err := f.pipe.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f.pipe.Backlog()
}

func awsKey(i int) string { return fmt.Sprintf("AKIA%016d", 7100000000000000+i) }

func TestCrashBetweenArchiveAndScan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		// The first process archives and dies before scanning.
		crashed := newFixture(t, db, false)
		var lines []string
		for i := 0; i < 5; i++ {
			lines = append(lines, crashed.line("m1", "部署用的 key "+awsKey(i)), crashed.line("m2", "收到"))
		}
		crashed.ingest(t, lines...)
		if b := crashed.backlog(t); b.Queued != 10 || b.Oldest.IsZero() {
			t.Fatalf("after the crash: backlog %+v, want 10 queued", b)
		}
		if as := crashed.alerts(t, review.AlertFilter{Category: "credential"}); len(as) != 0 {
			t.Fatalf("alerts before any scan: %d", len(as))
		}

		// The next process: re-delivery finds duplicates only; nothing
		// scans the queued chunk until its lease runs out.
		f := newFixture2(t, db, crashed)
		if res := f.ingest(t, lines...); res.Duplicates != 10 || res.Accepted != 0 {
			t.Fatalf("re-delivery: %+v", res)
		}
		if r, err := f.pipe.CatchUp(ctx, 16); err != nil || r.Chunks != 0 {
			t.Fatalf("catch-up inside the lease: %+v %v", r, err)
		}
		// Past the lag alarm, health says detection is behind, and why.
		f.clock.add(6 * time.Minute)
		f.backlog(t)
		if ok, why := f.pipe.Health(); ok || !strings.Contains(why, "10 queued") {
			t.Fatalf("health with a stale backlog: %v %q", ok, why)
		}
		r, err := f.pipe.CatchUp(ctx, 16)
		if err != nil || r.Chunks != 1 || r.Messages != 10 || r.Created != 5 {
			t.Fatalf("catch-up after the lease: %+v %v", r, err)
		}
		if b := f.backlog(t); b.Queued != 0 || b.Failed != 0 || !b.Oldest.IsZero() {
			t.Fatalf("backlog after catch-up: %+v", b)
		}
		if ok, why := f.pipe.Health(); !ok {
			t.Fatalf("health after catch-up: %q", why)
		}
		as := f.alerts(t, review.AlertFilter{Category: "credential"})
		if len(as) != 5 {
			t.Fatalf("credential alerts: %d, want 5", len(as))
		}
		// The alerts' notices reached the responsible person with them.
		ns, err := db.Notifications(ctx, "owner", false)
		if err != nil || len(ns) != 5 {
			t.Fatalf("notices: %d %v", len(ns), err)
		}

		// Resolving them and scanning the period again makes none anew.
		svc := &review.Service{Store: db, Tx: store.TxFor[review.TxStore](db), Now: f.clock.now}
		rev := audit.WithActor(ctx, audit.Actor{Name: "rev"})
		for _, a := range as {
			if _, err := svc.Claim(rev, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Resolve(rev, a.ID, review.Resolution{Disposition: "no_action", Note: "test key"}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.pipe.Rescan(ctx, pipeline.RescanRequest{From: f.clock.now().Add(-time.Hour), To: f.clock.now().Add(time.Hour)}, nil)
		if err != nil || res.Scanned != 10 || res.Created != 0 {
			t.Fatalf("rescan: %+v %v", res, err)
		}
		if got := len(f.alerts(t, review.AlertFilter{Category: "credential"})); got != 5 {
			t.Fatalf("alerts after rescan: %d, want 5", got)
		}
	})
}

// newFixture2 is a second process on the same database: the pipeline and
// archive are built again, the registry rows are already there.
func newFixture2(t *testing.T, db store.DB, prev *fixture) *fixture {
	t.Helper()
	f := &fixture{db: db, flaky: prev.flaky, clock: prev.clock, group: prev.group, seq: prev.seq}
	f.wire(t, true)
	return f
}

// wire builds the archive and the pipeline as serve does; with observe
// false the archive commits without scanning.
func (f *fixture) wire(t *testing.T, observe bool) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reviewTx := store.TxFor[review.TxStore](f.db)
	policies, err := review.NewPolicies(context.Background(), f.db, reviewTx, f.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	scanner := &review.Scanner{Policies: policies, Store: f.db, Tx: reviewTx, Metrics: m, Log: log, Now: f.clock.now}
	dir := registry.NewDirectory(f.db)
	f.pipe = pipeline.New(f.flaky, store.TxFor[pipeline.TxStore](f.db), scanner, dir, m, log, f.clock.now, time.UTC)
	f.pipe.Retries, f.pipe.Backoff = 3, pipeline.Exponential(time.Minute, time.Hour)
	f.arch = archive.NewService(f.db, store.TxFor[archive.TxStore](f.db), f.clock.now)
	f.arch.Resolver, f.arch.Groups = pipeline.Resolver{Directory: dir}, pipeline.Resolver{Directory: dir}
	if observe {
		f.arch.Observe(f.pipe.Archived)
	}
}

func TestOneBadMessageNeverStopsTheOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, true)
		f.flaky.setFail("m2", true)
		res := f.ingest(t, f.transfer("m2", 50000), f.line("m1", "测试环境 "+awsKey(1)), f.line("owner", "好的"))
		if res.Accepted != 3 || res.ScanPending != 1 {
			t.Fatalf("ingest: %+v, want 3 accepted and 1 pending", res)
		}
		if as := f.alerts(t, review.AlertFilter{Category: "credential"}); len(as) != 1 {
			t.Fatalf("the other member's credential: %d alerts, want 1", len(as))
		}
		if b := f.backlog(t); b.Queued != 0 || b.Failed != 1 {
			t.Fatalf("backlog: %+v, want 1 failed", b)
		}
		// Retries with backoff; the third failed attempt raises one system
		// alert and tells the security officer, without content.
		for i := 0; i < 4; i++ {
			f.clock.add(2 * time.Hour)
			if _, err := f.pipe.CatchUp(ctx, 16); err != nil {
				t.Fatal(err)
			}
		}
		sys := f.alerts(t, review.AlertFilter{Category: "system"})
		if len(sys) != 1 || sys[0].Rule != "system.scan_failed" || !strings.Contains(sys[0].Excerpt, "transfer total unavailable") {
			t.Fatalf("system alerts: %+v", sys)
		}
		ns, err := db.Notifications(ctx, "sec", false)
		if err != nil || len(ns) != 1 || strings.Contains(ns[0].Message, "50000") {
			t.Fatalf("security officer notices: %+v %v", ns, err)
		}
		// Once the failure is gone, the retry scans it and the failure is cleared.
		f.flaky.setFail("m2", false)
		f.clock.add(2 * time.Hour)
		r, err := f.pipe.CatchUp(ctx, 16)
		if err != nil || r.Retried != 1 || r.Failed != 0 {
			t.Fatalf("retry after the fix: %+v %v", r, err)
		}
		if b := f.backlog(t); b.Failed != 0 || !b.Oldest.IsZero() {
			t.Fatalf("backlog after the fix: %+v", b)
		}
	})
}

func TestHugeAmountsAreRefusedAndSumsSaturate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, true)
		res := f.ingest(t, f.transfer("m2", 9223372036854775807), f.transfer("m2", archive.MaxAmountFen), f.line("m1", "key "+awsKey(2)))
		if res.Accepted != 2 || len(res.Rejected) != 1 || res.Rejected[0].Line != 1 || !strings.Contains(res.Rejected[0].Error, "transfer.amount_fen") {
			t.Fatalf("ingest: %+v", res)
		}
		// Amounts stored before the bound existed must not break a sum.
		storetest.Tamper(t, db) // stands in for rows archived before amounts were bounded
		if err := db.Exec(ctx, `UPDATE messages SET amount_fen = 9223372036854775807 WHERE kind = 'transfer'`); err != nil {
			t.Fatal(err)
		}
		res = f.ingest(t, f.transfer("m2", 100), f.transfer("m2", 100), f.line("m1", "another "+awsKey(3)))
		if res.Accepted != 3 || res.ScanPending != 0 {
			t.Fatalf("second batch: %+v", res)
		}
		if got := len(f.alerts(t, review.AlertFilter{Category: "credential"})); got != 2 {
			t.Fatalf("credential alerts: %d, want 2", got)
		}
		n, total, err := db.GroupTransferStats(ctx, f.group, f.clock.now().Add(-time.Hour), f.clock.now().Add(time.Hour))
		if err != nil || n != 3 || total <= 0 {
			t.Fatalf("group transfer stats: %d %d %v", n, total, err)
		}
	})
}

// countingStore counts snapshot reads.
type countingStore struct {
	store.DB
	loads atomic.Int64
}

func (c *countingStore) RegistrySnapshot(ctx context.Context) (*registry.SnapshotRows, error) {
	c.loads.Add(1)
	return c.DB.RegistrySnapshot(ctx)
}

func TestDirectoryFollowsEveryRegistryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, false)
		cs := &countingStore{DB: db}
		dir := registry.NewDirectory(cs)
		current := func() *registry.Snapshot {
			t.Helper()
			s, err := dir.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := current()
		if _, ok := s.RoomGroup("wecom", "wr2"); ok {
			t.Fatal("wr2 is not bound yet")
		}
		if id, ok := s.RoomGroup("wecom", "wr1"); !ok || id != f.group {
			t.Fatalf("wr1: %d %v", id, ok)
		}
		// Unknown rooms and senders are answered from memory too.
		for i := 0; i < 100; i++ {
			s := current()
			s.RoomGroup("wecom", fmt.Sprintf("unknown-%d", i))
			s.SenderUser("wecom", fmt.Sprintf("stranger-%d", i))
		}
		if n := cs.loads.Load(); n != 1 {
			t.Fatalf("snapshot loads with no change: %d, want 1", n)
		}
		steps := []struct {
			name   string
			change func() error
			check  func(s *registry.Snapshot) bool
		}{
			{"bind", func() error {
				return db.AddBinding(ctx, &registry.Binding{GroupID: f.group, Platform: "wecom", RoomID: "wr2", BoundAt: f.clock.now(), BoundBy: "owner"})
			}, func(s *registry.Snapshot) bool { id, ok := s.RoomGroup("wecom", "wr2"); return ok && id == f.group }},
			{"handle", func() error {
				return db.AddHandle(ctx, &registry.Handle{Username: "sec", Platform: "wecom", Handle: "sec-h", CreatedAt: f.clock.now()})
			}, func(s *registry.Snapshot) bool { u, ok := s.SenderUser("wecom", "sec-h"); return ok && u == "sec" }},
			{"member", func() error {
				return db.AddMember(ctx, &registry.Member{GroupID: f.group, Username: "sec", JoinedAt: f.clock.now()})
			}, func(s *registry.Snapshot) bool {
				snd := s.Sender("wecom", "sec-h", f.group)
				return snd != nil && snd.Member
			}},
			{"group status", func() error {
				return db.Exec(ctx, `UPDATE work_groups SET status = 'suspended'`)
			}, func(s *registry.Snapshot) bool { return s.Group(f.group).Status == "suspended" }},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := st.change(); err != nil {
					t.Fatal(err)
				}
				if !st.check(current()) {
					t.Fatalf("the change is not seen at once")
				}
			})
		}
	})
}

// The responsible person is not told of a transfer alert about a payment
// they sent; another member's transfer alert reaches them.
func TestNoTransferNoticeToItsSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, true)
		count := func() int {
			ns, err := db.Notifications(ctx, "owner", false)
			if err != nil {
				t.Fatal(err)
			}
			return len(ns)
		}
		f.ingest(t, f.transfer("owner", 500000))
		if len(f.alerts(t, review.AlertFilter{Category: "transfer"})) == 0 {
			t.Fatal("a 5,000-yuan transfer raised no alert")
		}
		if n := count(); n != 0 {
			t.Fatalf("the sender, who is the responsible person, got %d notices of their own transfer", n)
		}
		f.ingest(t, f.transfer("m1", 500000))
		if n := count(); n == 0 {
			t.Fatal("another member's transfer alert did not reach the responsible person")
		}
	})
}

// refusing is a transaction whose store refuses to record findings of one
// message: a stand-in for any persistent refusal by the store.
type refusing struct {
	pipeline.TxStore
	bad int64
}

func (r refusing) RecordFindings(ctx context.Context, fs []review.Finding) ([]review.Alert, int, error) {
	for _, f := range fs {
		if f.Source.ArchiveID == r.bad {
			return nil, 0, errors.New("the store refuses this finding")
		}
	}
	return r.TxStore.RecordFindings(ctx, fs)
}

// A message whose findings the store keeps refusing, alone in its chunk,
// becomes a failure; the chunks after it are scanned all the same.
func TestARefusedChunkDoesNotBlockTheOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, false)
		f.ingest(t, f.line("m1", "key "+awsKey(10)))
		for i := 11; i < 14; i++ {
			f.ingest(t, f.line("m1", "key "+awsKey(i)))
		}
		f.wire(t, true)
		real := f.pipe.Tx
		f.pipe.Tx = func(ctx context.Context, fn func(pipeline.TxStore) error) error {
			return real(ctx, func(tx pipeline.TxStore) error { return fn(refusing{tx, 1}) })
		}
		f.clock.add(time.Minute)
		if _, err := f.pipe.CatchUp(ctx, 16); err != nil {
			t.Fatal(err)
		}
		if got := len(f.alerts(t, review.AlertFilter{Category: "credential"})); got != 3 {
			t.Fatalf("credential alerts: %d, want the 3 of the other chunks", got)
		}
		if b := f.backlog(t); b.Queued != 0 || b.Failed != 1 {
			t.Fatalf("backlog: %+v, want nothing queued and the refused message failed", b)
		}
	})
}

// Two alerts raised in the same second each reach the responsible person.
func TestEveryAlertHasItsNotice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, true)
		at := f.clock.now().Format(time.RFC3339)
		f.ingest(t,
			fmt.Sprintf(`{"platform":"wecom","source_id":"same-1","room_id":"wr1","sender":"m1","sent_at":%q,"kind":"text","text":"key %s"}`, at, awsKey(20)),
			fmt.Sprintf(`{"platform":"wecom","source_id":"same-2","room_id":"wr1","sender":"m2","sent_at":%q,"kind":"text","text":"key %s"}`, at, awsKey(21)))
		ns, err := db.Notifications(ctx, "owner", false)
		if err != nil || len(ns) != 2 {
			t.Fatalf("notices for 2 alerts in one second: %d %v", len(ns), err)
		}
	})
}
