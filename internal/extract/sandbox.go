package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Sandbox runs Extract in a child process, so a parser crash, a runaway
// allocation or an endless loop on a hostile file costs only the child. The
// child is this program re-executed: Exe with Args must reach a subcommand
// that calls Child(os.Stdin, os.Stdout) and nothing else first.
//
// The protocol: the parent writes one JSON request line (name, content type,
// limits, size) followed by exactly size bytes of the file on the child's
// stdin; the child writes one JSON response (a Result or an error) on stdout.
// The resource limits travel in the environment (CHARTER_EXTRACT_RLIMIT_AS,
// CHARTER_EXTRACT_RLIMIT_CPU) because the child must apply them before it
// reads anything the file's sender controls.
type Sandbox struct {
	Exe  string   // the program to start, usually os.Executable()
	Args []string // arguments that select the Child subcommand
	Env  []string // extra environment for the child, KEY=value

	// Memory is the child's address-space limit (RLIMIT_AS) in bytes; 0
	// means 2 GiB. The Go runtime needs a few hundred MiB of address space
	// of its own, so do not go below 512 MiB.
	Memory int64
	// CPU is the child's CPU-time limit (RLIMIT_CPU); 0 means the extract
	// timeout plus 5 seconds. The kernel kills the child when it is spent,
	// which also bounds pdftotext and LibreOffice: rlimits are inherited.
	CPU time.Duration
}

type request struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Limits      Limits `json:"limits"`
	Size        int64  `json:"size"`
}

type response struct {
	Result *Result `json:"result,omitempty"`
	Error  string  `json:"error,omitempty"`
}

const (
	envAS  = "CHARTER_EXTRACT_RLIMIT_AS"
	envCPU = "CHARTER_EXTRACT_RLIMIT_CPU"
)

// Extract runs Extract in a child. It returns an error naming the file when
// the child fails, is killed (timeout, CPU or memory limit), or answers with
// more than the limits allow.
func (s Sandbox) Extract(ctx context.Context, name, contentType string, data []byte, l Limits) (_ *Result, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("extract %q in a child: %w", name, err)
		}
	}()
	l = l.withDefaults()
	if int64(len(data)) > l.MaxBytes {
		// The child would only say so; no need to start it.
		return &Result{Skipped: []string{fmt.Sprintf("not extracted: %d bytes, over the %d-byte limit", len(data), l.MaxBytes)}}, nil
	}
	mem, cpu := s.Memory, s.CPU
	if mem <= 0 {
		mem = 2 << 30
	}
	if cpu <= 0 {
		cpu = l.Timeout + 5*time.Second
	}
	// The child enforces l.Timeout itself and answers; the parent waits a
	// little longer before killing, so the usual timeout comes back as the
	// child's own message.
	ctx, cancel := context.WithTimeout(ctx, l.Timeout+2*time.Second)
	defer cancel()
	// A child that answers more than any honest answer is killed at once
	// rather than drained.
	runCtx, kill := context.WithCancel(ctx)
	defer kill()

	cmd := exec.CommandContext(runCtx, s.Exe, s.Args...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Env = append(cmd.Env,
		envAS+"="+strconv.FormatInt(mem, 10),
		envCPU+"="+strconv.FormatInt(int64((cpu+time.Second-1)/time.Second), 10))
	setProcessGroup(cmd)
	cmd.WaitDelay = time.Second

	req, _ := json.Marshal(request{Name: name, ContentType: contentType, Limits: l, Size: int64(len(data))})
	cmd.Stdin = io.MultiReader(bytes.NewReader(append(req, '\n')), bytes.NewReader(data))
	// Text appears twice in a Result (Text and Parts) and JSON may escape a
	// control byte into six, so this bounds every honest answer.
	maxOut := 12*l.MaxText + 1<<20
	stdout := &capWriter{max: maxOut, onFull: kill}
	stderr := &capWriter{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr

	runErr := cmd.Run()
	switch {
	case stdout.full:
		return nil, fmt.Errorf("child answered more than %d bytes", maxOut)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("killed after %s: %w", l.Timeout+2*time.Second, ctx.Err())
	case runErr != nil && strings.Contains(stderr.b.String(), "out of memory"):
		return nil, fmt.Errorf("child out of memory (limit %d bytes)", mem)
	case runErr != nil:
		return nil, fmt.Errorf("child failed: %s%s", describeExit(runErr), head(stderr.b.String()))
	}
	var resp response
	if err := json.Unmarshal(stdout.b.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("child answer not read: %w", err)
	}
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	if resp.Result == nil {
		return nil, errors.New("child answered no result")
	}
	return resp.Result, nil
}

// Child is the body of the sandbox subcommand. It applies the resource
// limits from the environment first, before it reads a byte of the request,
// then extracts and writes one JSON response. It returns an error only when
// it cannot talk to its parent; a failed extraction is sent as the answer.
func Child(stdin io.Reader, stdout io.Writer) error {
	if err := applyLimitsFromEnv(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(stdin, 64<<10)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("extract child: request: %w", err)
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return fmt.Errorf("extract child: request: %w", err)
	}
	l := req.Limits.withDefaults()
	if req.Size < 0 || req.Size > l.MaxBytes {
		return fmt.Errorf("extract child: request declares %d bytes, limit %d", req.Size, l.MaxBytes)
	}
	data := make([]byte, req.Size)
	if _, err := io.ReadFull(br, data); err != nil {
		return fmt.Errorf("extract child: file: %w", err)
	}
	var resp response
	res, err := Extract(context.Background(), req.Name, req.ContentType, data, l)
	if err != nil {
		resp.Error = err.Error()
	} else {
		resp.Result = res
	}
	return json.NewEncoder(stdout).Encode(resp)
}

// applyLimitsFromEnv sets RLIMIT_AS and RLIMIT_CPU from the parent's values
// and a soft Go memory limit a little below the hard one, so the collector
// works harder before an allocation fails outright.
func applyLimitsFromEnv() error {
	if v := os.Getenv(envAS); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("extract child: %s=%q", envAS, v)
		}
		debug.SetMemoryLimit(n / 4 * 3)
		if err := setRlimit(rlimitAS, uint64(n)); err != nil {
			return fmt.Errorf("extract child: RLIMIT_AS: %w", err)
		}
	}
	if v := os.Getenv(envCPU); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return fmt.Errorf("extract child: %s=%q", envCPU, v)
		}
		if err := setRlimit(rlimitCPU, n); err != nil {
			return fmt.Errorf("extract child: RLIMIT_CPU: %w", err)
		}
	}
	return nil
}

func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if sig := exitSignal(ee); sig != "" {
			return "killed by signal " + strconv.Quote(sig) + " (the CPU limit, or a crash)"
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	return err.Error()
}

// head keeps the start of the child's stderr, where a panic says what it was.
func head(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > 500 {
		s = cutUTF8(s, 500) + "…"
	}
	return ": " + s
}
