package extract

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The test binary is its own sandbox child: with CHARTER_EXTRACT_TEST_CHILD
// set, TestMain plays the subcommand instead of running the tests. Modes other
// than "child" misbehave on purpose, after the limits are applied as Child
// applies them.
const childEnv = "CHARTER_EXTRACT_TEST_CHILD"

func TestMain(m *testing.M) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	if mode != "child" {
		if err := applyLimitsFromEnv(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	switch mode {
	case "child":
		if err := Child(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "crash":
		panic("parser blew up")
	case "hang":
		time.Sleep(time.Hour)
	case "spin":
		for {
			runtime.Gosched()
		}
	case "alloc":
		var keep [][]byte
		for {
			b := make([]byte, 64<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "flood":
		chunk := []byte(strings.Repeat("x", 1<<16))
		for {
			if _, err := os.Stdout.Write(chunk); err != nil {
				os.Exit(1)
			}
		}
	}
	os.Exit(0)
}

func sandbox(t *testing.T, mode string) Sandbox {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Sandbox{Exe: exe, Args: []string{"-test.run=^$"}, Env: []string{childEnv + "=" + mode}}
}

func TestSandbox(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		res, err := sandbox(t, "child").Extract(context.Background(), "a.zip", "",
			makeZip(t, member{"r.docx", makeDocx(t, "", secret)}, member{"p.png", []byte("\x89PNG\r\n\x1A\n")}), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != secret || len(res.Parts) != 1 || res.Parts[0].Label != "a.zip/r.docx" || len(res.Skipped) != 1 {
			t.Fatalf("result %+v", res)
		}
	})
	tests := []struct {
		mode string
		s    func(*Sandbox)
		l    Limits
		want string
	}{
		{mode: "crash", want: "child failed: exit status 2: panic: parser blew up"},
		{mode: "hang", l: Limits{Timeout: 200 * time.Millisecond}, want: "killed after 2.2s"},
		{mode: "spin", s: func(s *Sandbox) { s.CPU = time.Second }, want: `child failed: killed by signal "killed" (the CPU limit`},
		{mode: "alloc", s: func(s *Sandbox) { s.Memory = 512 << 20 }, want: "child out of memory (limit 536870912 bytes)"},
		{mode: "flood", l: Limits{MaxText: 1000}, want: "child answered more than 1060576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			s := sandbox(t, tt.mode)
			if tt.s != nil {
				tt.s(&s)
			}
			_, err := s.Extract(context.Background(), "evil.docx", "", []byte("x"), tt.l)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `extract "evil.docx" in a child: `) || !strings.Contains(msg, tt.want) {
				t.Fatalf("err = %v, want it to name the file and say %q", err, tt.want)
			}
		})
	}
}
