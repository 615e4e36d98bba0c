package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/web/chart"
	"charter/internal/web/i18n"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// view is a typed page struct: the data of exactly one template.
type view interface {
	template() string
	layout() *Layout
}

// Layout is what every page shows around its content.
type Layout struct {
	Lang      i18n.Lang
	OtherLang i18n.Lang // the language the switch offers
	Title     string    // already translated
	Nav       []navSection
	User      *account.User // nil when signed out
	CSRF      string
	Path      string // the current request URI, for the language switch to come back to
	Flash     string // a translated confirmation after a redirect
}

func (l *Layout) layout() *Layout { return l }

type navSection struct {
	Label string
	Links []navLink
}

type navLink struct {
	Label, Path string
	Current     bool
}

// templateSet is the layout plus one page, with the funcs bound to a language.
type templateSet = template.Template

// parseTemplates builds, for each language, one template set per page file
// in templates/pages: the layout, the partials and that page.
func (s *Server) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return err
	}
	s.pages = map[i18n.Lang]map[string]*templateSet{}
	for _, l := range i18n.Langs {
		s.pages[l] = map[string]*templateSet{}
		for _, file := range names {
			name := strings.TrimSuffix(path.Base(file), ".html")
			t, err := template.New(name).Funcs(s.funcs(l)).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", file)
			if err != nil {
				return fmt.Errorf("web: template %s: %w", name, err)
			}
			s.pages[l][name] = t
		}
	}
	return nil
}

func (s *Server) funcs(l i18n.Lang) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return s.msgs.T(l, key, args...) },
		"datetime": func(t time.Time) string { return i18n.DateTime(l, t.In(s.Location)) },
		"date":     func(t time.Time) string { return i18n.Date(l, t.In(s.Location)) },
		"ptime": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return i18n.DateTime(l, t.In(s.Location))
		},
		"yuan":     func(fen int64) string { return i18n.Yuan(l, fen) },
		"number":   func(n int) string { return i18n.Number(int64(n)) },
		"role":     func(r account.Role) string { return s.msgs.T(l, "role."+string(r)) },
		"langName": func(x i18n.Lang) string { return s.msgs.T(l, "lang."+string(x)) },
		"field":    fieldOf,
		"inc":      func(i int) int { return i + 1 },
		"list":     func(xs ...any) []any { return xs },
		// deref reads an optional id for the message funcs, which would
		// otherwise print the pointer.
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"bar":  chart.Bar,
		"line": chart.Line,
	}
}

// render writes p into a buffer first, so a template error becomes a clean
// error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, p view) {
	l := p.layout().Lang
	t, ok := s.pages[l][p.template()]
	var buf bytes.Buffer
	var err error
	if !ok {
		err = fmt.Errorf("no template %q", p.template())
	} else {
		err = t.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		s.Log.Error("console: render", "template", p.template(), "err", err)
		http.Error(w, s.msgs.T(l, "error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// layout fills the common part of a page for this request.
func (s *Server) layout(r *http.Request, titleKey string, args ...any) Layout {
	st := stateOf(r)
	l := Layout{Lang: st.lang, OtherLang: i18n.EN, Title: s.msgs.T(st.lang, titleKey, args...), CSRF: st.csrf, Path: r.URL.RequestURI()}
	if st.lang == i18n.EN {
		l.OtherLang = i18n.ZH
	}
	if st.p != nil {
		l.User = st.p.User
		l.Nav = s.navFor(st, r.URL.Path)
	}
	if k := r.URL.Query().Get("done"); k != "" && s.msgs.Has(st.lang, "done."+k) {
		l.Flash = s.msgs.T(st.lang, "done."+k)
	}
	return l
}

// navFor lists the table's linked pages that the principal may open.
func (s *Server) navFor(st *state, current string) []navSection {
	bySection := map[section][]navLink{}
	for _, pg := range s.routes() {
		if pg.nav.label == "" || !pg.allow.Admits(st.p) {
			continue
		}
		p := strings.TrimSuffix(pg.path, "{$}")
		cur := current == p || (p != "/" && strings.HasPrefix(current, p+"/"))
		bySection[pg.nav.section] = append(bySection[pg.nav.section], navLink{Label: s.msgs.T(st.lang, pg.nav.label), Path: p, Current: cur})
	}
	keys := make([]int, 0, len(bySection))
	for k := range bySection {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	var out []navSection
	for _, k := range keys {
		out = append(out, navSection{Label: s.msgs.T(st.lang, sectionKeys[section(k)]), Links: bySection[section(k)]})
	}
	return out
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	sub, _ := fs.Sub(staticFS, "static")
	// The assets are embedded in the binary and change only with it.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
	return nil
}

type errorPage struct {
	Layout
	Code    int
	Message string
}

func (*errorPage) template() string { return "error" }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	p := &errorPage{Layout: s.layout(r, "error.title_not_found"), Code: http.StatusNotFound, Message: s.msgs.T(stateOf(r).lang, "error.not_found")}
	s.render(w, r, http.StatusNotFound, p)
	return nil
}
