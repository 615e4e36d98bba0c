package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestRegister(t *testing.T) {
	env := map[string]string{
		"CHARTER_DATA":                     "/from/env",
		"CHARTER_ADDR":                     "127.0.0.1:9999",
		"CHARTER_RETENTION_SENSITIVE_DAYS": "30",
		"CHARTER_SCAN_LEASE":               "1m",
		"CHARTER_METRICS_PUBLIC":           "true",
		"CHARTER_CHECKPOINT_KEY":           "seed",
	}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name   string
		groups Group
		args   []string
		flags  []string // registered
		absent []string // not registered
	}{
		{"Storage", Storage, []string{"--data", "/from/flag"}, []string{"data", "database-url", "log-level", "time-zone", "checkpoint-key"},
			[]string{"addr", "retention-sensitive-days", "scheduler-every", "approval-remind-after"}},
		{"StorageRetention", Storage | Retention, []string{"--retention-internal-days", "7"}, []string{"data", "retention-sensitive-days"},
			[]string{"addr", "scan-lease"}},
		{"All", All, []string{"--addr", ":1"}, []string{"data", "addr", "max-body", "metrics-public", "scan-lease", "retention-public-days", "recert-default"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.Register(fs, getenv, tc.groups)
			for _, f := range tc.flags {
				if fs.Lookup(f) == nil {
					t.Errorf("--%s is not registered", f)
				}
			}
			for _, f := range tc.absent {
				if fs.Lookup(f) != nil {
					t.Errorf("--%s is registered", f)
				}
			}
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			// The environment applies to every setting, shown as a flag or not.
			if c.RetentionSensitiveDays != 30 || c.ScanLease != time.Minute || !c.MetricsPublic || c.CheckpointSeed != "seed" {
				t.Errorf("environment not applied: %+v", c)
			}
			if want := "127.0.0.1:9999"; tc.groups&Server == 0 && c.Addr != want {
				t.Errorf("addr %q, want %q from the environment", c.Addr, want)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("FlagWinsOverEnvironment", func(t *testing.T) {
		c := Default()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		c.Register(fs, getenv, Storage)
		if err := fs.Parse([]string{"--data", "/from/flag"}); err != nil {
			t.Fatal(err)
		}
		if c.DataDir != "/from/flag" {
			t.Errorf("data %q", c.DataDir)
		}
	})
	t.Run("HelpShowsTheValueInForce", func(t *testing.T) {
		c := Default()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		var b strings.Builder
		fs.SetOutput(&b)
		c.Register(fs, getenv, Storage)
		fs.PrintDefaults()
		if !strings.Contains(b.String(), "/from/env") || strings.Contains(b.String(), "-addr") {
			t.Errorf("help:\n%s", b.String())
		}
	})
}
