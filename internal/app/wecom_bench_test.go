//go:build linux || darwin || freebsd || netbsd

package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/capture/wecom/sdk/sdktest"
	"charter/internal/config"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store/storetest"
	"charter/internal/wecom"
)

// BenchmarkWeComPullToAlert: rounds of 1,000 records through the stand-in
// Finance SDK into a registered room, each record with its own credential;
// a record's latency runs from the round's start (GetChatData) to its
// chunk archived and scanned, its alert stored. Reports p50 and p99 of
// that and records/s of RSA, decrypt, archive and scan together, and fails
// when a record has no alert. Use -benchtime Nx for N rounds.
func BenchmarkWeComPullToAlert(b *testing.B) {
	const corp, secret, perRound = "wwbench", "secret", 1000
	fake := sdktest.New(b, corp, secret)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemFile := filepath.Join(b.TempDir(), "v1.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	cfg := config.Default()
	cfg.DataDir, cfg.WeComCorpID, cfg.WeComSecret, cfg.WeComSDK, cfg.WeComPrivateKeys = b.TempDir(), corp, secret, fake.Path, "1="+pemFile
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "bench"})
	a, err := Open(ctx, &cfg, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "zhangsan", RealName: "张三"}); err != nil {
		b.Fatal(err)
	}
	g := storetest.Group(b, a.DB, "bench", "zhangsan", registry.Internal, time.Now().Add(-time.Hour))
	if err := a.DB.AddBinding(ctx, &registry.Binding{GroupID: g.ID, Platform: "wecom", RoomID: "wrBench", BoundAt: time.Now(), BoundBy: "bench"}); err != nil {
		b.Fatal(err)
	}
	closeSDK, err := a.OpenWeComPull(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer closeSDK()

	seq := int64(0)
	var rounds, latency []time.Duration
	total := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for range perRound {
			seq++
			msg, _ := json.Marshal(map[string]any{"msgid": fmt.Sprintf("b%d", seq), "action": "send", "from": "zhangsan", "tolist": []string{"lisi"},
				"roomid": "wrBench", "msgtime": time.Now().UnixMilli(), "msgtype": "text",
				"text": map[string]string{"content": fmt.Sprintf("部署用的 key AKIAZ3MSJV4W%08d 别外传", seq)}})
			fake.AddChat(uint64(seq), sdktest.Seal(b, &key.PublicKey, 1, seq, fmt.Sprintf("b%d", seq), msg))
		}
		b.StartTimer()
		start := time.Now()
		n, err := a.WeCom.Pull(ctx, func(p wecom.Progress) {
			// The chunk's records are archived and scanned, their alerts
			// stored, when the sink returns.
			for range p.Records {
				latency = append(latency, time.Since(start))
			}
		})
		rounds = append(rounds, time.Since(start))
		if err != nil || n != perRound {
			b.Fatalf("round pulled %d: %v", n, err)
		}
		total += n
	}
	b.StopTimer()
	// Every record of every round has its alert (each its own key).
	alerts, before := 0, int64(0)
	for {
		as, err := a.DB.Alerts(ctx, review.AlertFilter{Rule: "credential.aws_access_key", Before: before, Limit: 500})
		if err != nil {
			b.Fatal(err)
		}
		alerts += len(as)
		if len(as) < 500 {
			break
		}
		before = as[len(as)-1].ID
	}
	if alerts != total {
		b.Fatalf("%d alerts for %d records", alerts, total)
	}
	var sum time.Duration
	for _, r := range rounds {
		sum += r
	}
	sort.Slice(latency, func(i, j int) bool { return latency[i] < latency[j] })
	b.ReportMetric(float64(total)/sum.Seconds(), "records/s")
	b.ReportMetric(float64(latency[len(latency)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(latency[(len(latency)*99)/100].Milliseconds()), "p99-ms")
}
