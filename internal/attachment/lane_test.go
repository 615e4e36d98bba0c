package attachment

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"charter/internal/errs"
	"charter/internal/metrics"
)

type memStore struct {
	scans map[int64]*Scan
	next  map[int64]time.Time
	why   map[int64]string
	texts map[string]*Text
}

func (m *memStore) DueAttachmentScans(_ context.Context, now time.Time, limit int) ([]Scan, error) {
	var out []Scan
	for id, s := range m.scans {
		if !m.next[id].After(now) && len(out) < limit {
			out = append(out, *s)
		}
	}
	return out, nil
}
func (m *memStore) AttachmentText(_ context.Context, sha string) (*Text, error) {
	if t := m.texts[sha]; t != nil {
		return t, nil
	}
	return nil, errs.E(errs.NotFound, "no text")
}
func (m *memStore) SaveAttachmentText(_ context.Context, t *Text) error {
	m.texts[t.SHA256] = t
	return nil
}
func (m *memStore) FinishAttachmentScan(_ context.Context, id int64) error {
	delete(m.scans, id)
	return nil
}
func (m *memStore) DelayAttachmentScan(_ context.Context, id int64, next time.Time, attempts int, reason string) error {
	m.next[id], m.why[id], m.scans[id].Attempts = next, reason, attempts
	return nil
}

func (m *memStore) FetchedAttachmentScan(_ context.Context, id int64, sha string) error {
	m.scans[id].SHA256 = sha
	return nil
}

type memBlobs map[string]string

func (b memBlobs) Has(sha string) (bool, error) { _, ok := b[sha]; return ok, nil }
func (b memBlobs) Open(sha string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(b[sha])), nil
}

// The lane waits for a blob, reads each blob once for every message naming
// it, scans each message, and backs off from a failure with its reason.
func TestLane(t *testing.T) {
	st := &memStore{scans: map[int64]*Scan{
		1: {ID: 1, SHA256: "aa", MessageID: 10, Name: "a.docx"},
		2: {ID: 2, SHA256: "aa", MessageID: 11, Name: "a.docx"},
		3: {ID: 3, SHA256: "bb", MessageID: 12, Name: "b.docx"},
		4: {ID: 4, SHA256: "cc", MessageID: 13, Name: "bad.docx"},
	}, next: map[int64]time.Time{}, why: map[int64]string{}, texts: map[string]*Text{}}
	blobs := memBlobs{"aa": "机密", "cc": "x"}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	extracted, scanned := map[string]int{}, map[int64]string{}
	l := &Lane{Store: st, Blobs: blobs, Workers: 2, MaxBytes: 1 << 20, Metrics: metrics.New(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
		Extract: func(_ context.Context, name, _ string, data []byte) (*Text, error) {
			extracted[name]++
			return &Text{Parts: []Part{{Label: "page 1", Text: string(data)}}}, nil
		},
		Scan: func(_ context.Context, id int64, name string, parts []Part) (int, error) {
			if name == "bad.docx" {
				return 0, errors.New("the registry gave no group")
			}
			scanned[id] = parts[0].Text
			return 1, nil
		}}
	l.Workers = 1 // the fakes' maps are not guarded
	n, err := l.Round(context.Background(), 10)
	if err != nil || n != 2 {
		t.Fatalf("round scanned %d: %v", n, err)
	}
	if extracted["a.docx"] != 1 || scanned[10] != "机密" || scanned[11] != "机密" {
		t.Errorf("extracted %v scanned %v: want one read of a.docx for both messages", extracted, scanned)
	}
	if st.why[3] != "waiting for the blob" || !st.next[3].Equal(now.Add(waitForBlob)) {
		t.Errorf("the scan whose blob is missing: %q until %s", st.why[3], st.next[3])
	}
	if st.scans[4].Attempts != 1 || !strings.Contains(st.why[4], "no group") || !st.next[4].Equal(now.Add(time.Minute)) {
		t.Errorf("the failed scan: attempts %d, %q until %s", st.scans[4].Attempts, st.why[4], st.next[4])
	}
	// The blob arrives; at its time the scan goes through.
	blobs["bb"] = "内部资料"
	now = now.Add(waitForBlob)
	if n, err := l.Round(context.Background(), 10); err != nil || n != 1 || scanned[12] != "内部资料" {
		t.Errorf("after the blob came: %d %v %v", n, err, scanned)
	}
}

// A file the platform keeps waits until a fetcher serves its platform,
// then is fetched once, named by its hash, and scanned.
func TestLaneFetches(t *testing.T) {
	st := &memStore{scans: map[int64]*Scan{1: {ID: 1, MessageID: 10, Name: "a.docx", SourceRef: "wecom:f1"}},
		next: map[int64]time.Time{}, why: map[int64]string{}, texts: map[string]*Text{}}
	blobs := memBlobs{}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	scanned := ""
	l := &Lane{Store: st, Blobs: blobs, Workers: 1, MaxBytes: 1 << 20, Metrics: metrics.New(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
		Extract: func(_ context.Context, _, _ string, data []byte) (*Text, error) {
			return &Text{Parts: []Part{{Text: string(data)}}}, nil
		},
		Scan: func(_ context.Context, _ int64, _ string, parts []Part) (int, error) {
			scanned = parts[0].Text
			return 1, nil
		}}
	if n, _ := l.Round(context.Background(), 10); n != 0 || !strings.Contains(st.why[1], "fetched") {
		t.Fatalf("without a fetcher: scanned %d, %q", n, st.why[1])
	}
	l.Fetch = func(_ context.Context, ref string) (string, bool, error) {
		blobs["f1hash"] = "绝密"
		return "f1hash", ref == "wecom:f1", nil
	}
	now = now.Add(time.Minute)
	if n, err := l.Round(context.Background(), 10); n != 1 || err != nil || scanned != "绝密" {
		t.Errorf("with a fetcher: scanned %d %q %v", n, scanned, err)
	}
}
