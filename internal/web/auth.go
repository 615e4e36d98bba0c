package web

import (
	"net/http"

	"charter/internal/errs"
	"charter/internal/httpapi"
)

type loginPage struct {
	Layout
	Form *Form
	Next string
}

func (*loginPage) template() string { return "login" }

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if stateOf(r).p != nil {
		return s.redirect(w, r, safeNext(r.URL.Query().Get("next")))
	}
	p := &loginPage{Layout: s.layout(r, "login.title"), Form: newForm(nil), Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// login opens a session exactly as the API's login does and sets the same cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	l := stateOf(r).lang
	username, password := f.Value("username"), f.Value("password")
	if username == "" {
		f.Errors["username"] = s.msgs.T(l, "err.required")
	}
	if password == "" {
		f.Errors["password"] = s.msgs.T(l, "err.required")
	}
	next := safeNext(f.Value("next"))
	if len(f.Errors) == 0 {
		secret, _, err := s.Accounts.Login(r.Context(), username, password, s.clientAddr(r))
		if err == nil {
			http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: secret, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: int(s.Cfg.SessionTTL.Seconds())})
			return s.redirect(w, r, next)
		}
		switch errs.KindOf(err) {
		case errs.Unauthorized:
			f.Error = s.msgs.T(l, "login.wrong")
		case errs.RateLimited:
			f.Error = s.msgs.T(l, "login.limited")
		default:
			return err
		}
	}
	code := http.StatusUnauthorized
	if len(f.Errors) > 0 {
		code = http.StatusBadRequest
	}
	s.render(w, r, code, &loginPage{Layout: s.layout(r, "login.title"), Form: f, Next: next})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Logout(r.Context(), stateOf(r).p); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return s.redirect(w, r, "/login")
}
