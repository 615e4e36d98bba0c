package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/report/export"
	"charter/internal/store/storetest"
)

// Open builds every service from the configuration, on each engine, and
// opens again on the same database with the same checkpoint key.
func TestOpen(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			if engine == "postgres" {
				cfg.DatabaseURL = storetest.PostgresURL(t)
			}
			cfg.RetentionPublicDays, cfg.ScanLease, cfg.LoginAddressLimit = 10, time.Minute, 7
			cfg.PDFFont, cfg.KillBeforeScan = "/fonts/cjk.ttf", 0
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			var key string
			for i := range 2 {
				a, err := Open(context.Background(), &cfg, time.Now, log)
				if err != nil {
					t.Fatal(err)
				}
				if a.Accounts == nil || a.Registry == nil || a.Directory == nil || a.Policies == nil || a.Review == nil ||
					a.Pipeline == nil || a.Checkpoints == nil || a.Archive == nil || a.Reports == nil || a.Metrics == nil {
					t.Fatalf("a service is missing: %+v", a)
				}
				if a.Archive.Retention.Public != 10*24*time.Hour || a.Archive.ScanLease != time.Minute || a.Archive.Checkpoints != a.Checkpoints {
					t.Errorf("archive not configured: %+v", a.Archive)
				}
				if a.Pipeline.Lease != time.Minute || a.Pipeline.BeforeScan != nil {
					t.Errorf("pipeline not configured: lease %v", a.Pipeline.Lease)
				}
				if a.Accounts.Throttle.AddrLimit != 7 {
					t.Errorf("sign-in limit %d", a.Accounts.Throttle.AddrLimit)
				}
				if a.Accounts.ImportTx == nil {
					t.Errorf("the directory import has no transaction to write handles in")
				}
				if a.Reports.Zone != cfg.Location || a.Reports.Checkpoints != a.Checkpoints || a.Reports.Getenv(export.FontEnv) != "/fonts/cjk.ttf" {
					t.Errorf("reports not configured")
				}
				// The first opening makes the key and signs with it; the second finds it.
				if i == 0 {
					if _, err := a.Checkpoints.Make(context.Background(), "test"); err != nil {
						t.Fatal(err)
					}
					key = checkpoint.KeyID(a.Checkpoints.Public())
				} else if got := checkpoint.KeyID(a.Checkpoints.Public()); got != key {
					t.Errorf("reopened with key %s, want %s", got, key)
				}
				if err := a.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
