package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/config"
)

// importCmd archives an export file through the same archive service the
// ingest API uses, on the configured database.
func importCmd(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "import", "FORMAT FILE", config.Storage)
	c.interspersed = true
	group := c.fs.Int64("group", 0, "the registered work group a personal-WeChat export belongs to (required for pywxdump, wechatmsg, chatlog)")
	c.fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "Usage: charter import FORMAT FILE [--group ID]   (FILE - reads standard input)\n\nFormats: %s\n\n", strings.Join(capture.Formats(), ", "))
		c.fs.PrintDefaults()
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if len(c.args) != 2 {
		c.fs.Usage()
		return fmt.Errorf("%w: import needs FORMAT and FILE", ErrUsage)
	}
	format, path := c.args[0], c.args[1]
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = cliContext(ctx)
	b := archive.Batch{Format: format, GroupID: *group, Source: "cli:" + filepath.Base(path)}
	if err := a.Archive.CheckBatch(ctx, b); err != nil {
		return err
	}
	var in io.Reader = e.Stdin // "-" reads standard input
	var size int64
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	cr := capture.NewCountingReader(in)
	p := newProgress(e.Stderr, size, cr.N)
	res, err := a.Archive.Ingest(ctx, cr, b, p.update)
	p.done()
	if res != nil {
		fmt.Fprintf(e.Stdout, "%s: %d accepted, %d duplicates, %d rejected\n", filepath.Base(path), res.Accepted, res.Duplicates, len(res.Rejected))
		for _, r := range res.Rejected {
			fmt.Fprintf(e.Stderr, "line %d: %s (quarantine %d)\n", r.Line, r.Error, r.QuarantineID)
		}
	}
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("%d rejected, kept in the quarantine (GET /api/v1/quarantine)", len(res.Rejected))
	}
	return nil
}

// progress shows how far an import got: a bar redrawn in place on a
// terminal, plain lines at every tenth otherwise (logs, CI).
type progress struct {
	w        io.Writer
	size     int64
	read     func() int64
	tty      bool
	start    time.Time
	lastStep int64
	last     archive.Result
	drawn    bool
}

func newProgress(w io.Writer, size int64, read func() int64) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, size: size, read: read, tty: tty, start: time.Now()}
}

func (p *progress) update(r archive.Result) {
	p.last = r
	n := p.read()
	pct := int64(100)
	if p.size > 0 {
		pct = min(100, n*100/p.size)
	}
	done := r.Accepted + r.Duplicates + len(r.Rejected)
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
	if p.tty {
		const width = 30
		fill := int(pct * width / 100)
		fmt.Fprintf(p.w, "\r[%s%s] %3d%%  %d records  %.0f/s ", strings.Repeat("#", fill), strings.Repeat(" ", width-fill), pct, done, rate)
		p.drawn = true
		return
	}
	if step := pct / 10; step > p.lastStep {
		p.lastStep = step
		fmt.Fprintf(p.w, "progress: %d%% (%d records, %.0f/s)\n", pct, done, rate)
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
