package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"charter/internal/audit"
)

const auditPageSize = 50

type auditPage struct {
	Layout
	Form   *Form // the filters, as typed
	Events []audit.Event
	Newer  bool   // not on the first page: offer the way back to the newest
	Next   string // the URL of the next (older) page, or ""
	First  string // the URL of the first page with the same filters
}

func (*auditPage) template() string { return "audit" }

// audit pages through the trail newest first with the API's filters; from
// and to are days in the console's time zone, to inclusive.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := newForm(q)
	l := stateOf(r).lang
	filter := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Limit: auditPageSize}
	day := func(name string) time.Time {
		v := q.Get(name)
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, v, s.Location)
		if err != nil {
			f.Errors[name] = s.msgs.T(l, "err.date")
		}
		return t
	}
	filter.From = day("from")
	if to := day("to"); !to.IsZero() {
		filter.To = to.AddDate(0, 0, 1)
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			f.Error = s.msgs.T(l, "err.page")
		}
		filter.Before = n
	}
	p := &auditPage{Layout: s.layout(r, "audit.title"), Form: f, Newer: filter.Before > 0}
	keep := url.Values{}
	for _, k := range []string{"actor", "action", "object", "from", "to"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	p.First = "/audit?" + keep.Encode()
	code := http.StatusOK
	if len(f.Errors) > 0 || f.Error != "" {
		code = http.StatusBadRequest
	} else {
		es, err := s.Audit.Events(r.Context(), stateOf(r).p, filter)
		if err != nil {
			return err
		}
		p.Events = es
		if len(es) == auditPageSize {
			keep.Set("before", strconv.FormatInt(es[len(es)-1].Seq, 10))
			p.Next = "/audit?" + keep.Encode()
		}
	}
	s.render(w, r, code, p)
	return nil
}
