package config

import (
	"flag"
	"io"
	"path/filepath"
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

func TestBlobSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		wantDir string
		wantMax int64
		wantErr string
	}{
		{"DefaultInTheDataDirectory", nil, []string{"--data", "/srv/charter"}, "/srv/charter/blobs", 100 << 20, ""},
		{"FromTheEnvironment", map[string]string{"CHARTER_BLOB_DIR": "/mnt/blobs", "CHARTER_MAX_ATTACHMENT": "2048"}, nil, "/mnt/blobs", 2048, ""},
		{"FlagWins", map[string]string{"CHARTER_BLOB_DIR": "/mnt/blobs"}, []string{"--blob-dir", "/other"}, "/other", 100 << 20, ""},
		{"ZeroLimit", nil, []string{"--max-attachment", "0"}, "", 0, "--max-attachment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.Register(fs, func(k string) string { return tc.env[k] }, Storage|Server)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := c.Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BlobDir != tc.wantDir || c.MaxAttachment != tc.wantMax {
				t.Errorf("blob dir %q, max %d; want %q, %d", c.BlobDir, c.MaxAttachment, tc.wantDir, tc.wantMax)
			}
		})
	}
	t.Run("RelativeIsMadeAbsolute", func(t *testing.T) {
		c := Default()
		c.BlobDir = "rel/blobs"
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(c.BlobDir) {
			t.Errorf("blob dir %q is not absolute", c.BlobDir)
		}
	})
}
