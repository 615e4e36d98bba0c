// Package web is Charter's console: server-rendered pages in Chinese and
// English. Every page is declared once, with the roles it admits, in the
// table in routes.go, using the API's own access values (most pages say
// "as the API's route X"), and the wrapper here enforces that table, the
// sign-in and the CSRF token before any handler runs.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/httpapi"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/web/i18n"
)

// Server serves the console.
type Server struct {
	Cfg      *config.Config
	Accounts *account.Service
	Log      *slog.Logger
	Now      func() time.Time
	Location *time.Location // dates are shown in this zone
	// Registry and Review are the domain services the pages call, as the
	// API's handlers do; the home page works without them.
	Registry *registry.Service
	Review   *review.Service
	Archive  *archive.Service // message search
	Reports  *report.Service  // periodic reports, roster, registration forms, a group's messages per day
	Audit    *audit.Service   // the audit trail page

	msgs  i18n.Catalog
	pages map[i18n.Lang]map[string]*templateSet
}

// New makes the console on the services s names (a zero Location is the
// machine's zone): it loads the catalog and parses every template, and
// fails on a template error.
func New(s Server) (*Server, error) {
	if s.Location == nil {
		s.Location = time.Local
	}
	var err error
	if s.msgs, err = i18n.Load(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Handler returns the console with every page of the table registered,
// behind the same cross-origin protection as the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, pg := range s.routes() {
		mux.Handle(pg.method+" "+pg.path, s.wrap(pg))
	}
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// csp allows the console what it uses — its own stylesheet, forms posting
// to itself, inline SVG charts — and nothing else: no script at all, no
// frames, no plugins.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

type handler func(w http.ResponseWriter, r *http.Request) error

// state is what the wrapper learned about a request, carried in its context.
type state struct {
	p      *account.Principal // nil when signed out
	secret string             // the session secret, for the CSRF token
	lang   i18n.Lang
	csrf   string
}

type stateKey struct{}

func stateOf(r *http.Request) *state {
	st, _ := r.Context().Value(stateKey{}).(*state)
	if st == nil {
		return &state{lang: i18n.ZH}
	}
	return st
}

func (s *Server) wrap(pg page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := s.clientAddr(r)
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: "anonymous", Addr: addr})
		st := &state{}
		st.p, st.secret = s.authenticate(ctx, r)
		st.lang = s.language(r, st.p)
		if st.p != nil {
			ctx = audit.WithActor(ctx, audit.Actor{Name: st.p.Name(), Addr: addr})
			st.csrf = sessionCSRF(st.secret)
		} else {
			st.csrf = s.anonymousCSRF(w, r)
		}
		r = r.WithContext(context.WithValue(ctx, stateKey{}, st))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")

		if !pg.allow.IsPublic() {
			if st.p == nil {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if !pg.allow.Admits(st.p) {
				s.fail(w, r, errs.E(errs.Forbidden, "forbidden"))
				return
			}
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.Cfg.MaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, errs.E(errs.Invalid, "bad form"))
				return
			}
			if !checkCSRF(st.csrf, r.PostForm.Get("csrf")) {
				s.fail(w, r, errs.E(errs.Forbidden, "csrf"))
				return
			}
		}
		// A NUL character or invalid UTF-8 in any field is refused here,
		// naming it, on both engines (PostgreSQL would refuse it with a 500).
		for _, vs := range []url.Values{r.URL.Query(), r.PostForm} {
			if err := httpapi.CheckValues(vs); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if err := pg.handle(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authenticate reads the session cookie. The console is for people: a
// cookie holding anything but a live session of an active user is ignored,
// and the visitor is treated as signed out.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*account.Principal, string) {
	c, err := r.Cookie(httpapi.SessionCookie)
	if err != nil || !strings.HasPrefix(c.Value, "chs_") {
		return nil, ""
	}
	p, err := s.Accounts.Authenticate(ctx, c.Value)
	if err != nil {
		if !errs.Is(err, errs.Unauthorized) {
			s.Log.Error("console: authenticate", "err", err)
		}
		return nil, ""
	}
	if p.User == nil {
		return nil, ""
	}
	return p, c.Value
}

// fail shows the error page with the status the API would answer with.
// Internal errors are logged and shown only as "internal error".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	kind := errs.KindOf(err)
	code := httpapi.StatusOf(kind)
	st := stateOf(r)
	p := &errorPage{Code: code}
	title := "error.title"
	switch kind {
	case errs.Forbidden:
		title = "error.title_forbidden"
		p.Message = s.msgs.T(st.lang, "error.forbidden")
		if err.Error() == "csrf" {
			p.Message = s.msgs.T(st.lang, "error.csrf")
		}
	case errs.NotFound:
		title = "error.title_not_found"
		p.Message = s.msgs.T(st.lang, "error.not_found")
	case errs.Internal:
		s.Log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Message = s.msgs.T(st.lang, "error.internal")
	default:
		p.Message = err.Error()
	}
	p.Layout = s.layout(r, title)
	s.render(w, r, code, p)
}

// safeNext keeps a redirect target on this site: a local path, parsed,
// with no scheme or host, and no control character or backslash anywhere
// (browsers drop tabs and newlines and read \ as /, so "/\t/evil.example"
// and "/\\evil.example" would leave the site).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	if strings.ContainsFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.ContainsRune(u.Path, '\\') || strings.ContainsFunc(u.Path, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "/"
	}
	return next
}

// clientAddr is the request's client address, behind trusted proxies.
func (s *Server) clientAddr(r *http.Request) string { return httpapi.ClientAddr(r, s.Cfg.Proxies) }

// secure says whether cookies must be Secure: TLS here or at a trusted proxy.
func (s *Server) secure(r *http.Request) bool { return httpapi.IsTLS(r, s.Cfg.Proxies) }

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
