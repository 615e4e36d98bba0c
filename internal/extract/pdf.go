package extract

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// pdf runs poppler's pdftotext on the bytes and keeps each page as a part;
// pdftotext ends every page with a form feed. A page without text is noted,
// since it is most likely a scan that needs OCR.
func (x *extractor) pdf(prefix string, data []byte) error {
	exe, err := exec.LookPath("pdftotext")
	if err != nil {
		x.skip(prefix, "PDF not extracted: pdftotext not installed (Debian poppler-utils)")
		return nil
	}
	dir, err := os.MkdirTemp("", "charter-extract-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := dir + "/in.pdf"
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return err
	}
	out := &capWriter{max: x.l.MaxText - x.text + 1}
	var stderr capWriter
	stderr.max = 4 << 10
	cmd := exec.CommandContext(x.ctx, exe, "-layout", "-enc", "UTF-8", in, "-")
	cmd.Stdout, cmd.Stderr = out, &stderr
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		if x.ctx.Err() != nil {
			return x.ctx.Err()
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fmt.Errorf("pdftotext: %w", err)
		}
		// Exit 1 opening the file, 3 a permission (encryption) error.
		x.skip(prefix, "PDF not extracted: pdftotext: %s", firstLine(stderr.b.String(), err.Error()))
		return nil
	}
	pages := strings.Split(out.b.String(), "\f")
	if len(pages) > 1 && pages[len(pages)-1] == "" {
		pages = pages[:len(pages)-1]
	}
	var empty []string
	for i, p := range pages {
		p = strings.TrimRight(p, " \n")
		if strings.TrimSpace(p) == "" {
			empty = append(empty, strconv.Itoa(i+1))
			continue
		}
		if err := x.add(prefix, "page "+strconv.Itoa(i+1), p); err != nil {
			return err
		}
	}
	if len(empty) > 0 && !out.full {
		x.skip(prefix, "page %s: no text layer (a scan?); OCR not in this lane yet", strings.Join(empty, ", "))
	}
	return nil
}

// capWriter keeps the first max bytes a process writes and discards the rest,
// so a child's output never grows without bound in memory.
type capWriter struct {
	b      bytes.Buffer
	max    int64
	full   bool
	onFull func() // called once when the cap is passed, if set
}

func (w *capWriter) Write(p []byte) (int, error) {
	room := w.max - int64(w.b.Len())
	if int64(len(p)) > room {
		w.b.Write(p[:max(room, 0)])
		if !w.full && w.onFull != nil {
			w.onFull()
		}
		w.full = true
		return len(p), nil
	}
	w.b.Write(p)
	return len(p), nil
}

func firstLine(s, fallback string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return fallback
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
