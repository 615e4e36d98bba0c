package web

import (
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/errs"
)

// searchPage is the archive search: a query and filters, results newest
// first with the query's words marked, a page at a time. Every search is
// audited by the archive service.
type searchPage struct {
	Layout
	Form     *Form
	Kinds    []capture.Kind
	Searched bool
	Hits     []searchHit
	// Next and First are the fields to post for the next (older) page and
	// back to the newest; nil at the end and on the first page.
	Next  map[string]string
	First map[string]string
}

// searchHit is one message found, its text already escaped and marked.
type searchHit struct {
	archive.Item
	Marked    template.HTML
	GroupName string // of the message's group, when the reader may see it
}

func (*searchPage) template() string { return "search" }

const searchPerPage = 50

var searchFields = []string{"q", "group", "sender", "kind", "from", "to"}

// search shows the form; a POST runs the search. Every search is an
// audited read of message content, so a GET (what a link from another site
// makes) only fills the form in and reads nothing.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	run := r.Method == http.MethodPost
	v := r.URL.Query()
	if run {
		v = r.PostForm
	}
	f := newForm(url.Values{})
	for _, k := range searchFields {
		f.Values.Set(k, strings.TrimSpace(v.Get(k)))
	}
	p := &searchPage{Layout: s.layout(r, "search.title"), Form: f, Kinds: capture.Kinds}
	asked := false
	for _, k := range searchFields {
		asked = asked || f.Value(k) != ""
	}
	q, err := s.searchQuery(f, v.Get("cursor"))
	if err == nil && asked && run {
		p.Searched = true
		var items []archive.Stored
		var next string
		if items, next, err = s.Archive.Search(r.Context(), q); err == nil {
			names := map[int64]string{}
			for i := range items {
				it := items[i].Item(false)
				h := searchHit{Item: it, Marked: highlight(it.Text, q.Text)}
				if it.GroupID != nil {
					h.GroupName = s.groupName(r, *it.GroupID, names)
				}
				p.Hits = append(p.Hits, h)
			}
			keep := map[string]string{}
			for _, k := range searchFields {
				if x := f.Value(k); x != "" {
					keep[k] = x
				}
			}
			if next != "" {
				p.Next = maps.Clone(keep)
				p.Next["cursor"] = next
			}
			if v.Get("cursor") != "" {
				p.First = keep
			}
		}
	}
	if err != nil {
		if !s.setError(stateOf(r).lang, f, err, searchFields...) {
			return err
		}
		s.render(w, r, http.StatusBadRequest, p)
		return nil
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// groupName is a group's name for a page listing many messages, looked up
// once per group; "" when the reader may not see the group.
func (s *Server) groupName(r *http.Request, id int64, cache map[int64]string) string {
	if name, ok := cache[id]; ok {
		return name
	}
	name := ""
	if s.Registry != nil {
		if g, err := s.Registry.ShowGroup(r.Context(), stateOf(r).p, id); err == nil {
			name = g.Name
		}
	}
	cache[id] = name
	return name
}

// searchQuery reads the form; dates are days in the console's zone, "to"
// included.
func (s *Server) searchQuery(f *Form, cursor string) (archive.Query, error) {
	q := archive.Query{Text: f.Value("q"), Sender: f.Value("sender"), Kind: f.Value("kind"), Limit: searchPerPage}
	if g := f.Value("group"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil || n <= 0 {
			return q, errs.Field("group", "not a group id: %q", g)
		}
		q.GroupID = n
	}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &q.From, 0}, {"to", &q.To, 1}} {
		if x := f.Value(d.name); x != "" {
			t, err := time.ParseInLocation("2006-01-02", x, s.Location)
			if err != nil {
				return q, errs.Field(d.name, "not a date: %q", x)
			}
			*d.to = t.AddDate(0, 0, d.add)
		}
	}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return q, errs.Field("q", "bad page")
		}
		q.Before = n
	}
	return q, nil
}
