package httpapi

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/errs"
)

// readIngestBody reads a whole batch under cfg.MaxIngestBody before anything
// is archived, so an oversized body is refused (413) with nothing committed.
func (s *Server) readIngestBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.Cfg.MaxIngestBody
	if r.ContentLength > limit {
		return nil, errs.E(errs.TooLarge, "request body is larger than %d bytes", limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return nil, errs.E(errs.TooLarge, "request body is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, errs.E(errs.Invalid, "cannot read the request body: %v", err)
	}
	return b, nil
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request, format string, group int64) error {
	body, err := s.readIngestBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.Archive.Ingest(r.Context(), bytes.NewReader(body), archive.Batch{Format: format, GroupID: group, Source: "api:" + principal(r).Name()}, nil)
	if res != nil {
		// Counted even when the batch failed half-way: what was committed stays.
		const help = "Records delivered to the archive, by format and result."
		s.Metrics.Add("charter_ingest_records_total", help, float64(res.Accepted), "format", format, "result", "accepted")
		s.Metrics.Add("charter_ingest_records_total", help, float64(res.Duplicates), "format", format, "result", "duplicate")
		s.Metrics.Add("charter_ingest_records_total", help, float64(len(res.Rejected)), "format", format, "result", "rejected")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ingestMessages takes normalized NDJSON (docs/message.schema.json).
func (s *Server) ingestMessages(w http.ResponseWriter, r *http.Request) error {
	return s.ingest(w, r, "ndjson", 0)
}

// ingestWeCom takes decrypted WeCom archive messages, one JSON object a line.
func (s *Server) ingestWeCom(w http.ResponseWriter, r *http.Request) error {
	return s.ingest(w, r, "wecom", 0)
}

// importFile takes an export file of any capture format; personal-WeChat
// exports must name their group (?group=ID).
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) error {
	var group int64
	if g := r.URL.Query().Get("group"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil || n <= 0 {
			return errs.Field("group", "not a group id: %q", g)
		}
		group = n
	}
	format := r.PathValue("format")
	// Refuse before reading a large body.
	if err := s.Archive.CheckBatch(r.Context(), archive.Batch{Format: format, GroupID: group}); err != nil {
		return err
	}
	return s.ingest(w, r, format, group)
}

// quarantineView shows a quarantined record with its bytes as text.
type quarantineView struct {
	archive.QuarantineItem
	Raw string `json:"raw"`
}

func (s *Server) listQuarantine(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	before, err := archive.ParseCursor(q.Get("cursor"))
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 100 // what the service uses; a full page means there may be more
	}
	items, err := s.Archive.Quarantine(r.Context(), archive.QuarantineFilter{Open: q.Get("all") == "", Before: before, Limit: limit})
	if err != nil {
		return err
	}
	out := page[quarantineView]{Items: []quarantineView{}}
	for _, it := range items {
		out.Items = append(out.Items, quarantineView{QuarantineItem: it, Raw: string(it.Raw)})
	}
	if len(items) == limit {
		out.Next = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// reprocessQuarantine parses a quarantined record again: as kept, or with
// corrected content {"content": "...", "format": "ndjson"}.
func (s *Server) reprocessQuarantine(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Content string `json:"content"`
		Format  string `json:"format"`
	}
	body, err := s.readIngestBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return jsonError(err, s.Cfg.MaxIngestBody)
		}
	}
	res, item, err := s.Archive.Reprocess(r.Context(), id, []byte(in.Content), in.Format)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*archive.Result
		Item archive.QuarantineItem `json:"item"`
	}{res, *item})
	return nil
}

// queryFrom reads the search filters of a URL query.
func queryFrom(v interface{ Get(string) string }) (archive.Query, error) {
	q := archive.Query{Text: v.Get("q"), Sender: v.Get("sender"), Kind: v.Get("kind")}
	if g := v.Get("group"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil || n <= 0 {
			return q, errs.Field("group", "not a group id: %q", g)
		}
		q.GroupID = n
	}
	var err error
	if q.From, err = archive.ParseTime("from", v.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = archive.ParseTime("to", v.Get("to")); err != nil {
		return q, err
	}
	if q.Before, err = archive.ParseCursor(v.Get("cursor")); err != nil {
		return q, err
	}
	if l := v.Get("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit <= 0 {
			return q, errs.Field("limit", "not a positive number: %q", l)
		}
	}
	return q, nil
}

func (s *Server) searchMessages(w http.ResponseWriter, r *http.Request) error {
	q, err := queryFrom(r.URL.Query())
	if err != nil {
		return err
	}
	items, next, err := s.Archive.Search(r.Context(), q)
	if err != nil {
		return err
	}
	out := page[archive.Item]{Items: make([]archive.Item, 0, len(items)), Next: next}
	for i := range items {
		out.Items = append(out.Items, items[i].Item(false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportRequest is the body of POST /api/v1/exports: the search filters.
type exportRequest struct {
	Q      string `json:"q"`
	Group  int64  `json:"group"`
	Sender string `json:"sender"`
	From   string `json:"from"`
	To     string `json:"to"`
	Kind   string `json:"kind"`
}

func (e exportRequest) Get(k string) string {
	switch k {
	case "q":
		return e.Q
	case "group":
		if e.Group != 0 {
			return strconv.FormatInt(e.Group, 10)
		}
	case "sender":
		return e.Sender
	case "from":
		return e.From
	case "to":
		return e.To
	case "kind":
		return e.Kind
	}
	return ""
}

// createExport answers with a zip of messages.ndjson, messages.csv and
// manifest.json. The files are written to disk first, so a failure before
// the answer begins (a query error, the --max-export cap) is an error
// answer, not a truncated download; memory stays flat however large.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request) error {
	var in exportRequest
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	q, err := queryFrom(in)
	if err != nil {
		return err
	}
	// The export writes its two data files side by side, and zip entries
	// go one after the other: the files are written to disk first (never
	// held in memory), each under the --max-export cap, then streamed.
	// MkdirTemp makes the directory 0700: no one else can read the files.
	dir, err := os.MkdirTemp("", "charter-export-")
	if err != nil {
		return errs.Wrap(err, "export directory")
	}
	defer os.RemoveAll(dir)
	limit := &exportCap{left: s.Cfg.MaxExportBytes}
	man, err := s.Archive.Export(r.Context(), q, func(name string) (io.WriteCloser, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		return &cappedFile{File: f, cap: limit}, nil
	})
	if err != nil {
		return err
	}
	name := fmt.Sprintf("charter-export-%s.zip", man.CreatedAt.Format("20060102-150405"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	for _, name := range []string{archive.ExportNDJSON, archive.ExportCSV, archive.ExportManifest} {
		if err := copyInto(zw, filepath.Join(dir, name), name); err != nil {
			// The status is sent; a broken zip is what the client sees.
			s.Log.Error("stream export", "err", err)
			return nil
		}
	}
	if err := zw.Close(); err != nil {
		s.Log.Error("stream export", "err", err)
	}
	return nil
}

type holdRequest struct {
	GroupID int64      `json:"group_id"`
	User    string     `json:"user"`
	From    *time.Time `json:"from"`
	To      *time.Time `json:"to"`
	Reason  string     `json:"reason"`
}

func (s *Server) placeHold(w http.ResponseWriter, r *http.Request) error {
	var in holdRequest
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	h, err := s.Archive.PlaceHold(r.Context(), archive.LegalHold{GroupID: in.GroupID, User: in.User, From: in.From, To: in.To, Reason: in.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) listHolds(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.Archive.Holds(r.Context(), strings.EqualFold(r.URL.Query().Get("active"), "true"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[archive.LegalHold]{Items: hs})
	return nil
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	h, err := s.Archive.ReleaseHold(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// exportCap is what an export may still write, across its files.
type exportCap struct{ left int64 }

// cappedFile refuses writes past the cap, so an export of the whole
// archive fails with a clear error instead of filling the disk.
type cappedFile struct {
	*os.File
	cap *exportCap
}

func (f *cappedFile) Write(p []byte) (int, error) {
	if int64(len(p)) > f.cap.left {
		return 0, errs.E(errs.TooLarge, "the export would pass %d bytes (--max-export): narrow it by group, time or query", f.cap.left)
	}
	f.cap.left -= int64(len(p))
	return f.File.Write(p)
}

func copyInto(zw *zip.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dst, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, f)
	return err
}
