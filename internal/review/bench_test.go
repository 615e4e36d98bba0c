package review_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"charter/internal/capture"
	"charter/internal/detect"
	"charter/internal/review"
	"charter/internal/store/storetest"
)

// BenchmarkAlertLatency feeds the Scanner batches at a fixed rate (by default
// 500 messages every 50 ms: 10,000 messages a second) and measures, for each
// batch, the time from being handed over to its alerts being committed,
// queueing included: if the scanner falls behind, latency grows. b.N is the
// number of batches; run e.g.
//
//	CHARTER_TEST_POSTGRES_URL=... go test -run '^$' -bench AlertLatency -benchtime 200x ./internal/review/
//
// About 1 message in 60 raises a finding: ID numbers and markings (one new
// alert each), unregistered rooms (updating one alert per room), and large
// red envelopes; the rest is ordinary work talk and opinions.
func BenchmarkAlertLatency(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) { benchLatency(b, engine, 500, 50*time.Millisecond) })
	}
}

// BenchmarkScanCapacity hands batches over as fast as they are taken: msgs/s
// is the scanner's ceiling on this machine (latency there is queueing only).
func BenchmarkScanCapacity(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) { benchLatency(b, engine, 500, time.Microsecond) })
	}
}

func benchLatency(b *testing.B, engine string, batchSize int, every time.Duration) {
	f := newFixture(b, engine)
	for g := int64(1); g <= 20; g++ {
		f.reg.groups[g] = &detect.Group{ID: fmt.Sprint(g), Status: "active", Level: detect.LevelInternal, OrgUnits: []string{"市政府"}}
	}
	ctx := context.Background()
	batches := make([][]review.Captured, b.N)
	n := 0
	for i := range batches {
		batches[i] = benchBatch(&n, batchSize)
	}
	type handed struct {
		at    time.Time
		batch []review.Captured
	}
	queue := make(chan handed, b.N)
	lat := make([]time.Duration, 0, b.N)
	alerts := 0
	b.ResetTimer()
	start := time.Now()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for i := range batches {
			if i > 0 {
				<-t.C
			}
			queue <- handed{time.Now(), batches[i]}
		}
		close(queue)
	}()
	for h := range queue {
		res, err := f.scanner.Scan(ctx, h.batch)
		if err != nil {
			b.Fatal(err)
		}
		alerts += len(res.Created)
		lat = append(lat, time.Since(h.at))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(b.N*batchSize)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(alerts), "alerts")
	b.ReportMetric(0, "ns/op")
}

var benchTexts = []string{
	"大家好，下午三点在三楼会议室开周例会，请准时参加。",
	"报销单已经提交，请财务处审核一下，谢谢。",
	"Please review the Q3 budget draft before Friday.",
	"明天的培训改到线上，链接稍后发群里。",
	"房价这么高，年轻人根本买不起房，这个政策是失败的。",
	"I think the new housing policy is a complete failure.",
	"收到，我这边今天下班前整理好材料。",
	"这周的值班表更新了，有问题找办公室。",
}

func benchBatch(n *int, size int) []review.Captured {
	out := make([]review.Captured, size)
	for i := range out {
		*n++
		k := *n
		g := int64(k%20 + 1)
		c := review.Captured{ArchiveID: int64(k), GroupID: &g, Msg: capture.Message{Platform: "wecom", SourceID: fmt.Sprintf("b%d", k),
			RoomID: fmt.Sprintf("wr-group-%d", g), Sender: fmt.Sprintf("user%d", k%300), SentAt: time.Now(), Kind: capture.KindText,
			Text: benchTexts[k%len(benchTexts)]}}
		switch {
		case k%200 == 7:
			c.Msg.Text = "登记用身份证号 11010519491231002X 谢谢"
		case k%500 == 11:
			c.Msg.Kind, c.Msg.Text = capture.KindFile, "关于机构调整的通知 秘密★1年.docx"
		case k%100 == 13:
			c.GroupID, c.Msg.RoomID = nil, fmt.Sprintf("wr-unregistered-%d", k%10)
		case k%250 == 17:
			c.Msg.Kind, c.Msg.Text = capture.KindRedEnvelope, "恭喜发财"
			c.Msg.Transfer = &capture.Transfer{AmountFen: 400000, Count: 40, Type: "redpacket"}
		case k%50 == 19:
			c.Msg.Kind, c.Msg.Text = capture.KindRedEnvelope, "周五快乐"
			c.Msg.Transfer = &capture.Transfer{AmountFen: 888, Count: 4, Type: "redpacket"}
		}
		out[i] = c
	}
	return out
}
