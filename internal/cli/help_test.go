package cli

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every command and subcommand answers -h and --help with its own flags
// only, and exits 0; a flag it does not have is a usage error. No database
// is opened: the data directory does not exist.
func TestHelp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	run := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := Run(context.Background(), args, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string {
				if k == "CHARTER_DATA" {
					return dir
				}
				return ""
			}})
		return errOut.String() + out.String(), err
	}
	// What some command lines must and must not show.
	special := map[string]struct{ want, not []string }{
		"serve":             {want: []string{"-addr", "-data", "-retention-sensitive-days", "-scheduler-every", "-metrics-public", "-scan-lease", "-approval-remind-after"}},
		"user list":         {want: []string{"-data", "-database-url", "-log-level"}, not: []string{"-approval-remind-after"}},
		"user create":       {want: []string{"-username", "-roles", "-password-env"}},
		"user import":       {want: []string{"Columns:", "employee_no", "matrix", "wecom", "feishu", "-data"}},
		"archive purge":     {want: []string{"-retention-sensitive-days", "-retention-unregistered-days"}},
		"archive export":    {want: []string{"-out", "-q"}, not: []string{"-retention-sensitive-days"}},
		"tick":              {want: []string{"-at", "-approval-remind-after", "-recert-months"}},
		"import":            {want: []string{"-group", "Formats:"}},
		"report export":     {want: []string{"-format", "-out"}},
		"group sign":        {want: []string{"-as", "-full-name", "-signature-days"}},
		"application apply": {want: []string{"-as", "-member", "-external", "-draft"}, not: []string{"-signature-days"}},
		"version":           {not: []string{"-data"}},
	}
	type line struct {
		name string
		args []string
	}
	var lines []line
	for _, c := range commands() {
		if c.verbs == nil {
			lines = append(lines, line{c.name, []string{c.name}})
			continue
		}
		for _, v := range slices.Sorted(maps.Keys(c.verbs)) {
			lines = append(lines, line{c.name + " " + v, []string{c.name, v}})
		}
	}
	for _, l := range lines {
		t.Run(strings.ReplaceAll(l.name, " ", "_"), func(t *testing.T) {
			for _, h := range []string{"-h", "--help"} {
				out, err := run(append(slices.Clone(l.args), h)...)
				if err != nil {
					t.Fatalf("charter %s %s: %v\n%s", l.name, h, err, out)
				}
				if !strings.Contains(out, "Usage: charter "+l.name) {
					t.Errorf("charter %s %s does not say its usage:\n%s", l.name, h, out)
				}
				sp := special[l.name]
				want, not := sp.want, sp.not
				if l.name != "version" {
					want = append(want, "-data", "-time-zone")
				}
				// Only serve shows the server's settings, and only purging the
				// retention; the registry timing belongs to what acts on it.
				if l.name != "serve" {
					not = append(not, "-addr", "-max-body", "-scheduler-every", "-scan-lease", "-metrics-public", "-session-ttl")
				}
				if l.name != "serve" && l.name != "archive purge" {
					not = append(not, "-retention-sensitive-days")
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("charter %s %s lacks %s:\n%s", l.name, h, w, out)
					}
				}
				for _, n := range not {
					if strings.Contains(out, n+" ") {
						t.Errorf("charter %s %s shows %s:\n%s", l.name, h, n, out)
					}
				}
			}
			if out, err := run(append(slices.Clone(l.args), "--no-such-flag")...); !errors.Is(err, ErrUsage) {
				t.Errorf("charter %s --no-such-flag: %v, want a usage error\n%s", l.name, err, out)
			}
		})
	}
	for _, c := range commands() {
		if c.verbs == nil {
			continue
		}
		t.Run(c.name+"_help", func(t *testing.T) {
			for _, h := range []string{"-h", "--help", "help"} {
				if out, err := run(c.name, h); err != nil || !strings.Contains(out, "Subcommands:") {
					t.Errorf("charter %s %s: %v\n%s", c.name, h, err, out)
				}
			}
		})
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a help or a usage error opened the database")
	}
}
