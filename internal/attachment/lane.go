// Package attachment is the background lane that reads what attachments
// hold and runs the detectors on it: never on the ingest path, bounded by
// its workers, durable (each attachment waits in the store until it is
// scanned), and patient with a blob that has not arrived yet.
package attachment

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"charter/internal/errs"
	"charter/internal/metrics"
)

// Scan is one attachment of one archived message, waiting.
type Scan struct {
	ID          int64
	SHA256      string
	MessageID   int64
	Name        string
	ContentType string
	// SourceRef is where the platform keeps a file that did not come with
	// its message; SHA256 is empty until it is fetched.
	SourceRef string
	Attempts  int
}

// Part is a piece of an attachment's text: a page, sheet, slide or archive
// member, with its label.
type Part struct {
	Label string `json:"label,omitempty"`
	Text  string `json:"text"`
}

// Text is what was read from a blob, once for all messages naming it.
type Text struct {
	SHA256      string
	Parts       []Part
	Skipped     []string // what could not be read, and why
	ExtractedAt time.Time
}

// Store keeps the lane.
type Store interface {
	DueAttachmentScans(ctx context.Context, now time.Time, limit int) ([]Scan, error)
	// AttachmentText is NotFound before the blob was read.
	AttachmentText(ctx context.Context, sha256 string) (*Text, error)
	SaveAttachmentText(ctx context.Context, t *Text) error
	FinishAttachmentScan(ctx context.Context, id int64) error
	DelayAttachmentScan(ctx context.Context, id int64, next time.Time, attempts int, reason string) error
	// FetchedAttachmentScan records the hash of a file fetched from its platform.
	FetchedAttachmentScan(ctx context.Context, id int64, sha256 string) error
}

// Fetcher brings a file the platform keeps into the attachment store and
// returns its SHA-256; ok is false when no fetcher serves the reference's
// platform (the scan waits for one, e.g. until the WeCom SDK is opened).
type Fetcher func(ctx context.Context, ref string) (sha256 string, ok bool, err error)

// Blobs are the attachment store's.
type Blobs interface {
	Has(sha256 string) (bool, error)
	Open(sha256 string) (io.ReadCloser, error)
}

// Extractor reads the text of one file.
type Extractor func(ctx context.Context, name, contentType string, data []byte) (*Text, error)

// Scanner runs the detectors on an attachment's text with its message's
// context and records the alerts (the pipeline does).
type Scanner func(ctx context.Context, messageID int64, name string, parts []Part) (int, error)

// Lane is the attachment lane.
type Lane struct {
	Store   Store
	Blobs   Blobs
	Extract Extractor
	Scan    Scanner
	// Fetch, when set, fetches the files platforms keep (WeCom media).
	Fetch   Fetcher
	Workers int
	// MaxBytes is the largest blob read (the attachment limit).
	MaxBytes int64
	Metrics  *metrics.Registry
	Log      *slog.Logger
	Now      func() time.Time
}

// waitForBlob is how long an attachment whose blob has not arrived waits
// before it is looked at again; failed ones back off from a minute to a day.
const waitForBlob = 10 * time.Second

// Round scans what is due, at most limit attachments, on the lane's
// workers, and reports how many were scanned.
func (l *Lane) Round(ctx context.Context, limit int) (int, error) {
	due, err := l.Store.DueAttachmentScans(ctx, l.Now().UTC(), limit)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	work := make(chan Scan)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range max(1, l.Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sc := range work {
				ok := l.one(ctx, sc)
				mu.Lock()
				if ok {
					done++
				}
				mu.Unlock()
			}
		}()
	}
	for _, sc := range due {
		work <- sc
	}
	close(work)
	wg.Wait()
	return done, ctx.Err()
}

// one scans one attachment; a blob not yet here, or a failure, puts it
// back with its reason for later.
func (l *Lane) one(ctx context.Context, sc Scan) bool {
	retry := func(wait time.Duration, attempts int, reason string) bool {
		if err := l.Store.DelayAttachmentScan(ctx, sc.ID, l.Now().UTC().Add(wait), attempts, reason); err != nil {
			l.Log.Error("attachment lane: cannot put a scan back", "scan", sc.ID, "err", err)
		}
		return false
	}
	if sc.SHA256 == "" {
		if l.Fetch == nil {
			return retry(time.Minute, sc.Attempts, "waiting for the platform's file to be fetched")
		}
		sha, ok, err := l.Fetch(ctx, sc.SourceRef)
		switch {
		case err != nil:
			return retry(min(time.Minute<<min(sc.Attempts, 10), 24*time.Hour), sc.Attempts+1, "fetch "+sc.SourceRef+": "+err.Error())
		case !ok:
			return retry(time.Minute, sc.Attempts, "waiting for the platform's file to be fetched")
		}
		if err := l.Store.FetchedAttachmentScan(ctx, sc.ID, sha); err != nil {
			return retry(time.Minute, sc.Attempts+1, err.Error())
		}
		sc.SHA256 = sha
	}
	has, err := l.Blobs.Has(sc.SHA256)
	if err != nil {
		return retry(time.Minute, sc.Attempts+1, err.Error())
	} else if !has {
		return retry(waitForBlob, sc.Attempts, "waiting for the blob")
	}
	t, err := l.text(ctx, sc)
	if err == nil {
		var n int
		n, err = l.Scan(ctx, sc.MessageID, sc.Name, t.Parts)
		l.Metrics.Add("charter_attachment_findings_total", "Findings in attachments' text.", float64(n))
	}
	if err != nil {
		wait := time.Minute << min(sc.Attempts, 10)
		l.Log.Warn("attachment lane: scan failed; tried again later", "sha256", sc.SHA256, "message", sc.MessageID, "err", err, "wait", wait)
		return retry(min(wait, 24*time.Hour), sc.Attempts+1, err.Error())
	}
	if err := l.Store.FinishAttachmentScan(ctx, sc.ID); err != nil {
		l.Log.Error("attachment lane: cannot finish a scan", "scan", sc.ID, "err", err)
		return false
	}
	l.Metrics.Add("charter_attachments_scanned_total", "Attachments whose text the detectors ran on.", 1)
	return true
}

// text is the blob's text, read once: later messages naming the same blob
// reuse it.
func (l *Lane) text(ctx context.Context, sc Scan) (*Text, error) {
	t, err := l.Store.AttachmentText(ctx, sc.SHA256)
	if err == nil || !errs.Is(err, errs.NotFound) {
		return t, err
	}
	r, err := l.Blobs.Open(sc.SHA256)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	r.Close()
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, fmt.Errorf("blob %s is larger than the attachment limit", sc.SHA256)
	}
	start := time.Now()
	t, err = l.Extract(ctx, sc.Name, sc.ContentType, data)
	if err != nil {
		return nil, errs.Wrap(err, "extract "+sc.Name)
	}
	l.Metrics.Add("charter_extract_seconds_total", "Time spent reading attachments' text.", time.Since(start).Seconds())
	l.Metrics.Add("charter_extract_bytes_total", "Bytes of attachments read for their text.", float64(len(data)))
	t.SHA256, t.ExtractedAt = sc.SHA256, l.Now().UTC()
	return t, l.Store.SaveAttachmentText(ctx, t)
}

// Run scans due attachments every interval until ctx ends.
func (l *Lane) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := l.Round(ctx, 100)
			if err != nil && ctx.Err() == nil {
				l.Log.Error("attachment lane", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
