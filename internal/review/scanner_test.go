package review_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/detect"
	"charter/internal/metrics"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// registry is a fake of what the lead wires to the registry and the archive.
type registry struct {
	mu       sync.Mutex
	groups   map[int64]*detect.Group
	dayTotal map[string]int64
	lookups  int
}

func (r *registry) GroupContext(ctx context.Context, id int64) (*detect.Group, []string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	g, ok := r.groups[id]
	if !ok {
		return nil, nil, fmt.Errorf("no group %d", id)
	}
	return g, []string{"zhangsan", "lisi", "wangwu"}, nil
}

func (r *registry) SenderContext(ctx context.Context, platform, handle string, groupID int64) (detect.Sender, error) {
	return detect.Sender{Resolved: true, Member: true, Verified: true}, nil
}

func (r *registry) SenderDayTotalFen(ctx context.Context, platform, handle string, day time.Time) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dayTotal[handle], nil
}

func (r *registry) GroupAdmin(ctx context.Context, groupID int64) (string, string, error) {
	return "admin.caiwu", "财务处工作群", nil
}

type notice struct{ user, subject, body string }

type notifier struct {
	mu   sync.Mutex
	sent []notice
}

func (n *notifier) Notify(ctx context.Context, user, subject, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, notice{user, subject, body})
	return nil
}

type fixture struct {
	db       store.DB
	policies *review.Policies
	scanner  *review.Scanner
	service  *review.Service
	reg      *registry
	notes    *notifier
	metrics  *metrics.Registry
}

func newFixture(t testing.TB, engine string) *fixture {
	t.Helper()
	return fixtureOn(t, storetest.Open(t, engine))
}

func fixtureOn(t testing.TB, db store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	tx := store.TxFor[review.TxStore](db)
	p, err := review.NewPolicies(ctx, db, tx, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, policies: p, metrics: metrics.New(), notes: &notifier{},
		reg: &registry{groups: map[int64]*detect.Group{
			1: {ID: "1", Status: "active", Level: detect.LevelInternal, OrgUnits: []string{"财务处", "市政府"}},
		}, dayTotal: map[string]int64{}}}
	f.scanner = &review.Scanner{Policies: p, Store: db, Tx: tx, Context: f.reg, Notifier: f.notes, Metrics: f.metrics,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	f.service = &review.Service{Store: db, Tx: tx, Now: time.Now}
	return f
}

var group1 = int64(1)

const wecomRoom = "wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAAA"

var batchStart = time.Date(2026, 5, 12, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// wecom builds a captured message as the WeCom importer would, in the
// registered group unless room says otherwise.
func wecom(n int, kind capture.Kind, text string) review.Captured {
	return review.Captured{
		ArchiveID: int64(1000 + n),
		GroupID:   &group1,
		Msg: capture.Message{Platform: "wecom", SourceID: fmt.Sprintf("msg%03d_1747013400", n), RoomID: wecomRoom,
			Sender: "zhangsan", SentAt: batchStart.Add(time.Duration(n) * time.Second), Kind: kind, Text: text,
			Raw: []byte(fmt.Sprintf(`{"msgid":"msg%03d_1747013400","action":"send","msgtype":"text"}`, n))},
	}
}

func unregistered(n int, text string) review.Captured {
	c := wecom(n, capture.KindText, text)
	c.GroupID = nil
	c.Msg.RoomID = "wrOgQhDgAAprivateRoomNotRegistered"
	c.Msg.Sender = "wangwu"
	return c
}

// opinions are criticism and political views; they must raise nothing.
var opinions = []string{
	"我觉得这次的政策调整完全没有考虑基层员工的实际情况。",
	"房价这么高，年轻人根本买不起房，这个政策是失败的。",
	"强制打疫苗这种做法我不认同，应该尊重个人选择。",
	"人权是普世价值，任何政府都不应该回避这个问题。",
	"我支持民主选举，每个人都应该有投票的权利。",
	"I think the new housing policy is a complete failure.",
	"I have serious doubts about the vaccine mandate and I want to see the data.",
	"Human rights are universal and must not be traded away for economic growth.",
	"Democracy means people can vote their leaders out; that should not be controversial.",
	"Honestly this reform is a disaster and the officials responsible should resign.",
}

func wecomBatch() []review.Captured {
	var b []review.Captured
	n := 0
	next := func() int { n++; return n }
	b = append(b, wecom(next(), capture.KindText, "大家好，下午三点开会。"))
	env := wecom(next(), capture.KindRedEnvelope, "恭喜发财，大吉大利")
	env.Msg.Transfer = &capture.Transfer{AmountFen: 400000, Count: 40, Type: "redpacket"}
	b = append(b, env)
	b = append(b, wecom(next(), capture.KindFile, "关于2026年预算调整的通知 秘密★1年"))
	b = append(b, wecom(next(), capture.KindText, "报销请用这个身份证号 11010519491231002X 登记"))
	b = append(b, wecom(next(), capture.KindText, "这个号码不对：110105194912310021"))
	for _, o := range opinions {
		b = append(b, wecom(next(), capture.KindText, o))
	}
	for i := 0; i < 4; i++ {
		b = append(b, unregistered(next(), fmt.Sprintf("周末一起吃饭？第%d条", i+1)))
	}
	return b
}

func alertsByRule(t *testing.T, f *fixture) map[string]review.Alert {
	t.Helper()
	as, err := f.service.Alerts(context.Background(), review.AlertFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]review.Alert{}
	for _, a := range as {
		if _, dup := out[a.Rule]; dup {
			t.Errorf("two alerts for rule %s", a.Rule)
		}
		out[a.Rule] = a
	}
	return out
}

func keys(m map[string]review.Alert) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestScannerWeComBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := fixtureOn(t, db)
		ctx := context.Background()
		batch := wecomBatch()
		res, err := f.scanner.Scan(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		got := alertsByRule(t, f)
		want := []string{"marking.confidential", "pii.resident_id", "registry.unregistered_room", "transfer.fan_out", "transfer.large_amount"}
		if strings.Join(keys(got), " ") != strings.Join(want, " ") {
			t.Fatalf("alerts %v, want %v", keys(got), want)
		}
		if len(res.Created) != 5 || res.Updated != 3 || res.Findings != 8 {
			t.Fatalf("result: %d created, %d updated, %d findings", len(res.Created), res.Updated, res.Findings)
		}
		room := got["registry.unregistered_room"]
		if room.Count != 4 || len(room.SourceIDs) != 4 || room.GroupID != nil || room.Excerpt != "text" || room.Platform != "wecom" || room.RoomID != "wrOgQhDgAAprivateRoomNotRegistered" {
			t.Fatalf("unregistered room alert: %+v", room)
		}
		id := got["pii.resident_id"]
		if strings.Contains(id.Excerpt, "11010519491231002X") || *id.GroupID != 1 || id.Severity != "high" {
			t.Fatalf("resident id alert leaks or misses: %+v", id)
		}
		env := got["transfer.fan_out"]
		if env.Detail["count"] != float64(40) || env.Detail["amount_yuan"] != "4000.00" || env.SourceIDs[0] != "msg002_1747013400" {
			t.Fatalf("red envelope alert: %+v", env)
		}
		if got["marking.confidential"].Category != "marking" {
			t.Fatalf("marking alert: %+v", got["marking.confidential"])
		}
		// One lookup of the group for the whole batch.
		if f.reg.lookups != 1 {
			t.Errorf("group looked up %d times", f.reg.lookups)
		}
		// The same batch delivered again changes nothing.
		res, err = f.scanner.Scan(ctx, batch)
		if err != nil || len(res.Created) != 0 || res.Updated != 0 {
			t.Fatalf("redelivery: %v %+v", err, res)
		}
		// The group's responsible person got one notice per alert in the
		// group, carrying no message content and no personal data.
		if len(f.notes.sent) != 4 {
			t.Fatalf("%d notices, want 4 (none for the unregistered room)", len(f.notes.sent))
		}
		for _, n := range f.notes.sent {
			all := n.subject + n.body
			if n.user != "admin.caiwu" || !strings.Contains(all, "财务处工作群") || strings.Contains(all, "11010519") ||
				strings.Contains(all, "预算") || strings.Contains(all, "zhangsan") || strings.Contains(all, "恭喜") {
				t.Errorf("notice: %+v", n)
			}
		}
		var b strings.Builder
		f.metrics.Write(&b)
		for _, line := range []string{`charter_alerts_total{category="transfer"} 2`, `charter_alerts_total{category="registry"} 1`, `charter_scanned_messages_total 38`} {
			if !strings.Contains(b.String(), line) {
				t.Errorf("metrics lack %q:\n%s", line, b.String())
			}
		}
	})
}

func TestScannerOpinionsRaiseNothing(t *testing.T) {
	f := newFixture(t, "sqlite")
	var batch []review.Captured
	for i, o := range loadOpinions(t) {
		batch = append(batch, wecom(i, capture.KindText, o))
	}
	res, err := f.scanner.Scan(context.Background(), batch)
	if err != nil || res.Findings != 0 {
		t.Fatalf("opinions: %v, %d findings", err, res.Findings)
	}
}

func loadOpinions(t *testing.T) []string {
	b, err := opinionsFile()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d opinion messages", len(out))
	}
	return out
}

// A policy change applies to the very next batch.
func TestScannerPolicySwap(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "officer"})
	batch := []review.Captured{wecom(1, capture.KindText, "报销请用这个身份证号 11010519491231002X 登记")}
	if err := f.policies.SetRule(ctx, "pii.resident_id", detect.Policy{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.scanner.Scan(ctx, batch); res.Findings != 0 {
		t.Fatalf("disabled rule still fired")
	}
	if err := f.policies.SetRule(ctx, "pii.resident_id", detect.Policy{Enabled: true, Severity: "critical"}); err != nil {
		t.Fatal(err)
	}
	res, _ := f.scanner.Scan(ctx, batch)
	if len(res.Created) != 1 || res.Created[0].Severity != "critical" {
		t.Fatalf("re-enabled rule: %+v", res)
	}
}

// A sensitive period lowers the transfer thresholds for the groups under it.
func TestScannerElectionPeriod(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "officer"})
	from := batchStart.Add(-24 * time.Hour)
	if err := f.policies.PutPeriod(ctx, "", detect.Period{Name: "居委会换届选举", From: from, To: from.AddDate(0, 0, 7), OrgUnits: []string{"市政府"}}, true); err != nil {
		t.Fatal(err)
	}
	env := wecom(1, capture.KindRedEnvelope, "投我一票")
	env.Msg.Transfer = &capture.Transfer{AmountFen: 6000, Count: 12, Type: "redpacket"}
	lucky := wecom(2, capture.KindRedEnvelope, "周五快乐")
	lucky.Msg.Transfer = &capture.Transfer{AmountFen: 888, Count: 4, Type: "redpacket"}
	res, err := f.scanner.Scan(ctx, []review.Captured{env, lucky})
	if err != nil || len(res.Created) != 1 || res.Created[0].Rule != "transfer.sensitive_period" {
		t.Fatalf("election: %v %+v", err, res.Created)
	}
}
