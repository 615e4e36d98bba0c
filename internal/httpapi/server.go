// Package httpapi is Charter's JSON API. Every route is declared once, with the
// roles it admits, in the table in routes.go; the wrapper here authenticates the
// caller and enforces that table before any handler runs.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/blob"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/matrix"
	"charter/internal/metrics"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/wecom"
)

// SessionCookie is the name of the sign-in cookie.
const SessionCookie = "charter_session"

// Storage is what GET /healthz asks of the database: that it answers, and
// which engine it is. Everything else is read and written through the services.
type Storage interface {
	SchemaVersion(ctx context.Context) (int, error)
	Engine() string
}

// Server serves the API.
type Server struct {
	Cfg      *config.Config
	Storage  Storage
	Accounts *account.Service
	Archive  *archive.Service
	Registry *registry.Service
	Reports  *report.Service
	Audit    *audit.Service // the trail, read by GET /api/v1/audit
	Log      *slog.Logger
	Metrics  *metrics.Registry
	Now      func() time.Time
	// Review is alert triage and cases; Policies the detection policy.
	Review   *review.Service
	Policies *review.Policies
	// Pipeline is durable detection: its health, backlog and rescans.
	Pipeline *pipeline.Pipeline
	// Checkpoints lists the signed checkpoints of the hash chains.
	Checkpoints *checkpoint.Service
	Matrix      *matrix.Service // the homeserver's transactions
	WeCom       *wecom.Service  // WeCom's callbacks
	Blobs       *blob.Store     // the attachments' bytes

	storageFull atomic.Int64 // unix time of the last write refused for a full disk
}

// routes is the table as this server serves it: /metrics is public when
// the operator chose --metrics-public.
func (s *Server) routes() []route {
	rs := slices.Clone(routeTable)
	for i := range rs {
		if rs[i].allow.metrics && s.Cfg != nil && s.Cfg.MetricsPublic {
			rs[i].allow = public()
		}
	}
	return rs
}

// Handler returns the API with every route of the table registered, wrapped
// in cross-origin protection (the CSRF defence for cookie-authenticated
// requests) and request logging.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	return s.logRequests(http.NewCrossOriginProtection().Handler(mux))
}

// access says who may call a route.
type access struct {
	public bool
	roles  []account.Role
	// metrics: public instead when the operator chose --metrics-public
	// (see metricsAccess); routes applies it.
	metrics bool
	// appService: the Matrix homeserver Charter is registered with, by
	// its hs_token; no user or API token is admitted.
	appService bool
}

func public() access                  { return access{public: true} }
func roles(rs ...account.Role) access { return access{roles: rs} }
func (a access) admits(p *account.Principal) bool {
	for _, r := range a.roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// handler serves a route for a server; the table holds method expressions
// ((*Server).healthz), so it needs no server to be read.
type handler func(s *Server, w http.ResponseWriter, r *http.Request) error

type route struct {
	method, path string
	allow        access
	handle       handler
}

// tokenGet lets an audited read be a GET only for a caller that sent its
// credentials itself (a bearer token or session in Authorization): a
// browser's cookie rides along on any link from any site, so a cookie
// caller must POST, which cross-origin protection guards.
func tokenGet(h handler) handler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") == "" {
			return errs.E(errs.Forbidden, "with a session cookie this read is a POST (%s), so that a link from another site cannot make it", r.URL.Path)
		}
		return h(s, w, r)
	}
}

type principalKey struct{}

// principal returns the authenticated caller of a request that passed wrap.
func principal(r *http.Request) *account.Principal {
	p, _ := r.Context().Value(principalKey{}).(*account.Principal)
	return p
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequestText(r); err != nil {
			writeError(s.Log, w, r, err)
			return
		}
		addr := s.clientAddr(r)
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: "anonymous", Addr: addr})
		if rt.allow.appService {
			if s.Matrix == nil {
				writeError(s.Log, w, r, errs.E(errs.Forbidden, "no Matrix homeserver is connected"))
				return
			}
			if err := s.Matrix.Authorize(ctx, homeserverToken(r)); err != nil {
				writeError(s.Log, w, r, err)
				return
			}
			s.serve(rt, w, r.WithContext(audit.WithActor(ctx, audit.Actor{Name: "matrix", Addr: addr})))
			return
		}
		p, err := s.authenticate(ctx, r)
		switch {
		case err != nil && !rt.allow.public:
			writeError(s.Log, w, r, err)
			return
		case p == nil && !rt.allow.public:
			writeError(s.Log, w, r, errs.E(errs.Unauthorized, "sign in or send an API token"))
			return
		case p != nil && !rt.allow.public && !rt.allow.admits(p):
			writeError(s.Log, w, r, errs.E(errs.Forbidden, "your role may not %s %s", rt.method, rt.path))
			return
		}
		if p != nil {
			ctx = audit.WithActor(context.WithValue(ctx, principalKey{}, p), audit.Actor{Name: p.Name(), Addr: addr})
		}
		s.serve(rt, w, r.WithContext(ctx))
	})
}

// serve runs the route's handler for a caller wrap admitted and answers its
// error, a full disk as 503.
func (s *Server) serve(rt route, w http.ResponseWriter, r *http.Request) {
	if err := rt.handle(s, w, r); err != nil {
		if store.Full(err) {
			s.storageFull.Store(s.Now().Unix())
			s.Log.Error("storage full", "method", r.Method, "path", r.URL.Path, "err", err)
			err = errs.E(errs.Unavailable, "storage full: the database has no room to write; nothing of this request was stored")
		}
		writeError(s.Log, w, r, err)
	}
}

// homeserverToken is the hs_token a homeserver call carries: in the
// Authorization header (spec v1.4 on), or the access_token parameter older
// servers send.
func homeserverToken(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return r.URL.Query().Get("access_token")
}

// authenticate reads a bearer token or the session cookie. No credentials is
// (nil, nil); bad credentials is an Unauthorized error.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*account.Principal, error) {
	secret := ""
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, errs.E(errs.Unauthorized, "the Authorization header must be 'Bearer <token>'")
		}
		secret = strings.TrimSpace(t)
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		secret = c.Value
	}
	if secret == "" {
		return nil, nil
	}
	return s.Accounts.Authenticate(ctx, secret)
}

// clientAddr is the request's client address (see ClientAddr).
func (s *Server) clientAddr(r *http.Request) string { return ClientAddr(r, s.Cfg.Proxies) }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		next.ServeHTTP(sw, r)
		d := s.Now().Sub(start)
		pattern := r.Pattern
		if pattern == "" {
			pattern = "unmatched"
		}
		s.Metrics.Add("charter_http_requests_total", "HTTP requests by route and status.", 1, "route", pattern, "code", strconv.Itoa(sw.code))
		s.Metrics.Add("charter_http_request_seconds_total", "Time spent serving HTTP requests, by route.", d.Seconds(), "route", pattern)
		s.Log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.code, "duration", d, "addr", s.clientAddr(r))
	})
}
