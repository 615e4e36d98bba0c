package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/errs"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Storage.SchemaVersion(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return nil
	}
	// A disk that refused a write in the last five minutes: 503, no
	// request can be trusted to be kept.
	if at := s.storageFull.Load(); at != 0 && s.Now().Unix()-at < 300 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "degraded", "reason": "storage full: the database has no room to write", "engine": s.Storage.Engine()})
		return nil
	}
	// Degraded still answers 200: the API serves, but alerts are late.
	// Monitors read the status.
	if s.Pipeline != nil {
		if ok, why := s.Pipeline.Health(); !ok {
			writeJSON(w, http.StatusOK, map[string]string{"status": "degraded", "reason": why, "engine": s.Storage.Engine()})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "engine": s.Storage.Engine()})
	return nil
}

// listCheckpoints lists the newest checkpoints first (limit, default 100).
func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	cs, err := s.Checkpoints.List(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[checkpoint.Checkpoint]{Items: cs})
	return nil
}

// metricsAccess: the counts (alerts per category among them) are for
// operators — an admin, an auditor or a read token — unless the operator
// chose --metrics-public for a scraper on a private network (Server.routes
// opens the route then).
func metricsAccess() access {
	a := roles(account.Admin, account.Auditor)
	a.metrics = true
	return a
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	return s.Metrics.Write(w)
}

// listAudit pages through the trail newest first; next is the seq to pass as
// before= for the following page.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Limit: 100}
	var err error
	if f.From, err = queryTime(q.Get("from"), "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(q.Get("to"), "to"); err != nil {
		return err
	}
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return errs.Field("before", "%q is not a number", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errs.Field("limit", "must be a number from 1 to 1000")
		}
		f.Limit = n
	}
	es, err := s.Audit.Events(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	next := ""
	if len(es) == f.Limit {
		next = strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, page[audit.Event]{Items: es, Next: next})
	return nil
}

// queryTime reads an RFC 3339 time or a date from a query parameter.
func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, errs.Field(field, "%q is not an RFC 3339 time or a date (2006-01-02)", v)
}
