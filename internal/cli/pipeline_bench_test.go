package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/httpapi"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store/storetest"
)

// benchApp is the assembled program (as `charter serve` wires it) behind an
// HTTP server, with registered, bound groups of 10 verified members each.
type benchApp struct {
	a      *app.App
	url    string
	secret string
}

const (
	benchRooms   = 200
	benchMembers = 10
)

func newPipeline(b *testing.B) *benchApp { return newBenchApp(b, benchRooms) }

// newBenchApp registers and binds rooms wr0000.. wr(bound-1), each with
// benchMembers verified members holding handles user0000...
func newBenchApp(b *testing.B, bound int) *benchApp {
	b.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	// CHARTER_SQLITE_SYNCHRONOUS=normal measures what FULL costs.
	if v := os.Getenv("CHARTER_SQLITE_SYNCHRONOUS"); v != "" {
		cfg.SQLiteSynchronous = v
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(ctx, &cfg, time.Now, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	api := &httpapi.Server{Cfg: &cfg, Storage: a.DB, Accounts: a.Accounts, Archive: a.Archive, Registry: a.Registry, Reports: a.Reports,
		Log: log, Metrics: a.Metrics, Now: time.Now, Review: a.Review, Policies: a.Policies}
	srv := httptest.NewServer(api.Handler())
	b.Cleanup(srv.Close)
	if _, err := a.Accounts.CreateOrgUnit(ctx, "总部", ""); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for r := 0; r < bound; r++ {
		owner := fmt.Sprintf("user%04d", r*benchMembers)
		for m := 0; m < benchMembers; m++ {
			name := fmt.Sprintf("user%04d", r*benchMembers+m)
			if _, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: name, RealName: name, OrgUnit: "总部", Verified: true}); err != nil {
				b.Fatal(err)
			}
			if err := a.DB.AddHandle(ctx, &registry.Handle{Username: name, Platform: "wecom", Handle: name, CreatedAt: now}); err != nil {
				b.Fatal(err)
			}
		}
		g := storetest.Group(b, a.DB, fmt.Sprintf("工作群%03d", r), owner, registry.Internal, now.AddDate(0, -1, 0))
		for m := 0; m < benchMembers; m++ {
			if err := a.DB.AddMember(ctx, &registry.Member{GroupID: g.ID, Username: fmt.Sprintf("user%04d", r*benchMembers+m), JoinedAt: now}); err != nil {
				b.Fatal(err)
			}
		}
		if err := a.DB.AddBinding(ctx, &registry.Binding{GroupID: g.ID, Platform: "wecom", RoomID: fmt.Sprintf("wr%04d", r), BoundAt: now, BoundBy: owner}); err != nil {
			b.Fatal(err)
		}
	}
	secret, _, err := a.Accounts.CreateToken(ctx, "bench", account.ScopeIngest)
	if err != nil {
		b.Fatal(err)
	}
	return &benchApp{a: a, url: srv.URL, secret: secret}
}

var (
	benchZh = []string{"请大家注意", "明天上午十点开会", "会议纪要已经发到群里", "这个方案需要再讨论一下", "收到", "好的，我来跟进",
		"项目进度有点慢", "预算表已更新", "请各位领导审阅", "下午的培训改到三楼会议室", "客户那边反馈不错", "周报请在周五前提交"}
	benchEn = []string{"OK", "please check the budget", "meeting at 3pm", "PR merged", "deadline is Friday", "see attached report"}
)

// batch makes n normalized messages from members of bound rooms; about 1 in
// 200 carries a marking, 1 in 500 an ID number, 1 in 50 a red envelope.
func benchBatch(rnd *rand.Rand, seq *int, n int, at time.Time) []byte {
	var buf []byte
	for i := 0; i < n; i++ {
		*seq++
		r := rnd.IntN(benchRooms)
		sender := fmt.Sprintf("user%04d", r*benchMembers+rnd.IntN(benchMembers))
		text := benchZh[rnd.IntN(len(benchZh))] + "，" + benchEn[rnd.IntN(len(benchEn))]
		kind, extra := "text", ""
		switch {
		case rnd.IntN(200) == 0:
			text += "，附件为秘密★1年"
		case rnd.IntN(500) == 0:
			text += "，身份证号11010519491231002X"
		case rnd.IntN(50) == 0:
			kind, extra = "red_envelope", fmt.Sprintf(`,"transfer":{"amount_fen":%d,"count":%d,"type":"group"}`, 100*(1+rnd.IntN(100)), 1+rnd.IntN(10))
		}
		buf = fmt.Appendf(buf, `{"platform":"wecom","source_id":"p-%d","room_id":"wr%04d","sender":%q,"sent_at":%q,"kind":%q,"text":%q%s}`+"\n",
			*seq, r, sender, at.Add(time.Duration(*seq)*time.Millisecond).UTC().Format(time.RFC3339Nano), kind, text, extra)
	}
	return buf
}

func (p *benchApp) post(b *testing.B, body []byte, n int) {
	req, _ := http.NewRequest("POST", p.url+"/api/v1/ingest/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(out, fmt.Appendf(nil, `"accepted":%d`, n)) {
		b.Fatalf("ingest: %d %s", resp.StatusCode, out)
	}
}

// BenchmarkPipelineIngest is the whole capture path over HTTP into SQLite:
// parse, resolve through the registry, archive with search indexing, scan
// with every default detector and store the alerts, all before the answer.
func BenchmarkPipelineIngest(b *testing.B) {
	p := newPipeline(b)
	const n = 2000
	rnd, seq, at := rand.New(rand.NewPCG(7, 7)), 0, time.Now().Add(-time.Hour)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = benchBatch(rnd, &seq, n, at)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		p.post(b, bodies[i], n)
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "msgs/s")
	b.StopTimer()
	alerts, err := p.a.DB.Alerts(context.Background(), review.AlertFilter{Limit: 1000})
	if err != nil || len(alerts) == 0 {
		b.Fatalf("no alerts were stored: %v", err)
	}
}

// BenchmarkAlertLatency ingests at 10,000 messages a second (a batch of 1,000
// every 100 ms) and measures, per batch, the time from sending it to its
// answer — by which point its alerts are committed — reporting p50 and p99.
func BenchmarkAlertLatency(b *testing.B) {
	p := newPipeline(b)
	const n, every = 1000, 100 * time.Millisecond
	rnd, seq, at := rand.New(rand.NewPCG(9, 9)), 0, time.Now().Add(-time.Hour)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = benchBatch(rnd, &seq, n, at)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	tick := time.NewTicker(every)
	defer tick.Stop()
	next := time.Now()
	for i := 0; i < b.N; i++ {
		// Keep to the schedule: a late batch is measured from when it was due.
		due := next
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		p.post(b, bodies[i], n)
		lat = append(lat, time.Since(due))
		next = due.Add(every)
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(f float64) float64 {
		return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
