package archive_test

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
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/config"
	"charter/internal/httpapi"
	"charter/internal/metrics"
	"charter/internal/store"
	"charter/internal/store/sqlite"
	"charter/internal/store/storetest"
)

// A realistic corpus: work-group chatter in Chinese with English words,
// numbers and the odd file or red envelope. About 1 % of messages contain 机密.
var (
	zhPhrases = []string{"请大家注意", "明天上午十点开会", "会议纪要已经发到群里", "这个方案需要再讨论一下", "收到", "好的，我来跟进",
		"项目进度有点慢", "预算表已更新", "请各位领导审阅", "下午的培训改到三楼会议室", "客户那边反馈不错", "周报请在周五前提交",
		"合同的附件在邮件里", "谢谢大家的配合", "这个问题我查一下", "系统今晚维护", "报销流程有变化", "新同事明天入职",
		"请确认一下时间", "数据已经导出", "年度总结的模板", "审批已经通过了", "不要外传", "内部资料请妥善保管"}
	enPhrases = []string{"OK", "please check the budget", "meeting at 3pm", "PR merged", "deadline is Friday", "see attached report",
		"Q3 review", "thanks", "ETA tomorrow", "customer feedback", "release v2.1", "call me"}
)

type corpus struct {
	rnd *rand.Rand
	n   int
}

func newCorpus(seed uint64) *corpus { return &corpus{rnd: rand.New(rand.NewPCG(seed, 42))} }

func (c *corpus) text() string {
	var b strings.Builder
	parts := 1 + c.rnd.IntN(3)
	for i := 0; i < parts; i++ {
		if i > 0 {
			b.WriteString("，")
		}
		if c.rnd.IntN(4) == 0 {
			b.WriteString(enPhrases[c.rnd.IntN(len(enPhrases))])
		} else {
			b.WriteString(zhPhrases[c.rnd.IntN(len(zhPhrases))])
		}
	}
	if c.rnd.IntN(100) == 0 {
		b.WriteString("，这份文件是机密")
	}
	return b.String()
}

// line appends one normalized NDJSON message.
func (c *corpus) line(dst []byte, prefix string, at time.Time) []byte {
	c.n++
	room := c.rnd.IntN(200)
	sender := c.rnd.IntN(2000)
	kind, extra := "text", ""
	switch c.rnd.IntN(50) {
	case 0:
		kind, extra = "file", fmt.Sprintf(`,"attachments":[{"name":"报告%d.pdf","size":%d}]`, c.n, 1000+c.rnd.IntN(100000))
	case 1:
		kind, extra = "red_envelope", fmt.Sprintf(`,"transfer":{"amount_fen":%d,"count":%d,"type":"group"}`, 100*(1+c.rnd.IntN(200)), 1+c.rnd.IntN(10))
	}
	return fmt.Appendf(dst, `{"platform":"wecom","source_id":"%s-%d","room_id":"wr%04d","sender":"user%04d","sent_at":%q,"kind":%q,"text":%q%s}`+"\n",
		prefix, c.n, room, sender, at.UTC().Format(time.RFC3339), kind, c.text(), extra)
}

// BenchmarkIngestHTTP posts batches of 5,000 normalized messages to
// POST /api/v1/ingest/messages with an ingest token, into a SQLite archive
// with search indexing: the end-to-end ingest path.
func BenchmarkIngestHTTP(b *testing.B) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "charter.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	arch := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
	api := &httpapi.Server{Cfg: &cfg, Storage: db, Accounts: accounts, Archive: arch, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(), Now: time.Now}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	secret, _, err := accounts.CreateToken(ctx, "bench", account.ScopeIngest)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	c := newCorpus(1)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	// Batches are generated ahead, outside the timer.
	bodies := make([][]byte, b.N)
	for i := range bodies {
		var buf []byte
		for j := 0; j < batch; j++ {
			buf = c.line(buf, "b", at.Add(time.Duration(i*batch+j)*time.Second))
		}
		bodies[i] = buf
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var bytesSent int64
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/ingest/messages", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(out, []byte(fmt.Sprintf(`"accepted":%d`, batch))) {
			b.Fatalf("ingest: %d %s", resp.StatusCode, out)
		}
		bytesSent += int64(len(bodies[i]))
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(float64(b.N*batch)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(bytesSent)/el.Seconds()/1e6, "MB/s")
	// The machine is shared: CPU time per message says more than wall time
	// when others are busy. Two cores can at best do 2 CPU-seconds a second.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/msg")
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// oneGroup binds every room to group 1: only registered work groups are
// searched, so a search benchmark's archive must be one.
type oneGroup struct{}

func (g oneGroup) View(context.Context) (archive.View, error) { return g, nil }
func (oneGroup) RoomGroup(string, string) (int64, bool)       { return 1, true }
func (oneGroup) SenderUser(string, string) (string, bool)     { return "", false }

// benchDB returns a SQLite archive of n messages, built once and kept in the
// temporary directory (or CHARTER_BENCH_DIR) for later runs.
func benchDB(b *testing.B, n int) store.DB {
	b.Helper()
	dir := os.Getenv("CHARTER_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "charter-bench")
	}
	path := filepath.Join(dir, fmt.Sprintf("archive-%d-v4.db", n))
	ctx := context.Background()
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			b.Fatal(err)
		}
		tmp := path + ".building"
		os.Remove(tmp)
		os.Remove(tmp + "-wal")
		os.Remove(tmp + "-shm")
		db, err := store.OpenSQLite(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
		svc.ChunkSize, svc.Resolver = 5000, oneGroup{}
		c := newCorpus(2)
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		start := time.Now()
		pr, pw := io.Pipe()
		go func() {
			var buf []byte
			for i := 0; i < n; i++ {
				buf = c.line(buf, "s", at.Add(time.Duration(i)*20*time.Second))
				if len(buf) > 1<<20 {
					pw.Write(buf)
					buf = buf[:0]
				}
			}
			pw.Write(buf)
			pw.Close()
		}()
		res, err := svc.Ingest(ctx, pr, archive.Batch{Format: "ndjson", Source: "bench"}, nil)
		if err != nil || res.Accepted != n {
			b.Fatalf("build corpus: %v %+v", err, res)
		}
		b.Logf("built %d messages in %s (%.0f msgs/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
		db.Close()
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		os.Remove(tmp + "-wal")
		os.Remove(tmp + "-shm")
	}
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

var oneMillion = sync.OnceValue(func() int {
	if os.Getenv("CHARTER_BENCH_SMALL") != "" {
		return 100_000
	}
	return 1_000_000
})

// BenchmarkSearch1M measures a search for a two-character Chinese term (and
// an English word) in an archive of 1,000,000 messages: the newest 50 hits.
// "store" is the query alone; "service" adds the audit event each search writes.
func BenchmarkSearch1M(b *testing.B) {
	db := benchDB(b, oneMillion())
	svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
	ctx := context.Background()
	for _, tc := range []struct{ name, q string }{{"机密", "机密"}, {"budget", "budget"}, {"内部资料", "内部资料"}} {
		q := archive.Query{Text: tc.q, Limit: 50, Terms: archive.ParseQuery(tc.q)}
		b.Run("store/"+tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				ms, err := db.SearchMessages(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil || len(ms) != 50 {
					b.Fatalf("search %s: %v %d", tc.q, err, len(ms))
				}
			}
			reportPercentiles(b, lat)
		})
		b.Run("service/"+tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				ms, _, err := svc.Search(ctx, archive.Query{Text: tc.q, Limit: 50})
				lat = append(lat, time.Since(t0))
				if err != nil || len(ms) != 50 {
					b.Fatalf("search %s: %v %d", tc.q, err, len(ms))
				}
			}
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// BenchmarkIngestService archives batches of 5,000 messages through the
// service (no HTTP) on each engine; PostgreSQL runs when
// CHARTER_TEST_POSTGRES_URL is set.
func BenchmarkIngestService(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
			const batch = 5000
			c := newCorpus(3)
			at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			bodies := make([][]byte, b.N)
			for i := range bodies {
				var buf []byte
				for j := 0; j < batch; j++ {
					buf = c.line(buf, "s", at.Add(time.Duration(i*batch+j)*time.Second))
				}
				bodies[i] = buf
			}
			ctx := context.Background()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				res, err := svc.Ingest(ctx, bytes.NewReader(bodies[i]), archive.Batch{Format: "ndjson"}, nil)
				if err != nil || res.Accepted != batch {
					b.Fatalf("ingest: %v %+v", err, res)
				}
			}
			el, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(float64(b.N*batch)/el.Seconds(), "msgs/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/msg")
		})
	}
}

// BenchmarkSearch1MPostgres is BenchmarkSearch1M on PostgreSQL. Building its
// 1,000,000 messages takes minutes and is not cached, so it runs only when
// CHARTER_BENCH_POSTGRES is set (with CHARTER_TEST_POSTGRES_URL).
func BenchmarkSearch1MPostgres(b *testing.B) {
	if os.Getenv("CHARTER_BENCH_POSTGRES") == "" {
		b.Skip("set CHARTER_BENCH_POSTGRES=1 to build a 1,000,000-message PostgreSQL archive")
	}
	db := storetest.Open(b, "postgres")
	ctx := context.Background()
	svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
	svc.ChunkSize, svc.Resolver = 5000, oneGroup{}
	n := oneMillion()
	c := newCorpus(2)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pr, pw := io.Pipe()
	go func() {
		var buf []byte
		for i := 0; i < n; i++ {
			buf = c.line(buf, "s", at.Add(time.Duration(i)*20*time.Second))
			if len(buf) > 1<<20 {
				pw.Write(buf)
				buf = buf[:0]
			}
		}
		pw.Write(buf)
		pw.Close()
	}()
	start := time.Now()
	if res, err := svc.Ingest(ctx, pr, archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != n {
		b.Fatalf("build: %v %+v", err, res)
	}
	b.Logf("built %d messages in %s", n, time.Since(start).Round(time.Second))
	if err := db.Exec(ctx, "ANALYZE messages"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for _, q := range []string{"机密", "budget", "内部资料"} {
		query := archive.Query{Text: q, Limit: 50, Terms: archive.ParseQuery(q)}
		b.Run(q, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				ms, err := db.SearchMessages(ctx, query)
				lat = append(lat, time.Since(t0))
				if err != nil || len(ms) != 50 {
					b.Fatalf("search %s: %v %d", q, err, len(ms))
				}
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkDriver measures ingest and search through the store on each
// SQLite driver of the build, side by side in one run. A plain build has
// only the default (modernc.org/sqlite); -tags sqlite_mattn,sqlite_fts5 adds
// the cgo driver Charter used before:
//
//	go test -tags sqlite_mattn,sqlite_fts5 -run '^$' -bench Driver -benchtime 10x ./internal/archive/
//
// "ingest" archives batches of 5,000 messages through the service; "search"
// asks the store for the newest 50 messages holding 机密 in an archive of
// 200,000 (CHARTER_BENCH_SMALL: 20,000) built with the driver first.
func BenchmarkDriver(b *testing.B) {
	n := oneMillion() / 5
	for _, driver := range sqlite.Drivers {
		open := func(b *testing.B, path string) store.DB {
			db, err := store.OpenSQLiteDriver(context.Background(), driver, path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			return db
		}
		b.Run(driver+"/ingest", func(b *testing.B) {
			db := open(b, filepath.Join(b.TempDir(), "charter.db"))
			svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
			const batch = 5000
			c := newCorpus(3)
			at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			bodies := make([][]byte, b.N)
			for i := range bodies {
				for j := 0; j < batch; j++ {
					bodies[i] = c.line(bodies[i], "d", at.Add(time.Duration(i*batch+j)*time.Second))
				}
			}
			ctx := context.Background()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				if res, err := svc.Ingest(ctx, bytes.NewReader(bodies[i]), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != batch {
					b.Fatalf("ingest: %v %+v", err, res)
				}
			}
			el, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(float64(b.N*batch)/el.Seconds(), "msgs/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/msg")
		})
		b.Run(driver+"/search", func(b *testing.B) {
			db := open(b, filepath.Join(b.TempDir(), "charter.db"))
			svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
			svc.ChunkSize, svc.Resolver = 5000, oneGroup{}
			c := newCorpus(2)
			at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			var body []byte
			for i := 0; i < n; i++ {
				body = c.line(body, "s", at.Add(time.Duration(i)*20*time.Second))
			}
			ctx := context.Background()
			if res, err := svc.Ingest(ctx, bytes.NewReader(body), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != n {
				b.Fatalf("build: %v %+v", err, res)
			}
			q := archive.Query{Text: "机密", Limit: 50, Terms: archive.ParseQuery("机密")}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				ms, err := db.SearchMessages(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil || len(ms) != 50 {
					b.Fatalf("search: %v %d", err, len(ms))
				}
			}
			reportPercentiles(b, lat)
		})
	}
}
