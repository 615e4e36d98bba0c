package web

import (
	"net/http"

	"charter/internal/account"
	"charter/internal/web/i18n"
)

const langCookie = "charter_lang"

// language picks the page language: the signed-in user's own setting, else
// the language cookie (chosen before sign-in), else the browser's Accept-Language.
func (s *Server) language(r *http.Request, p *account.Principal) i18n.Lang {
	if p != nil && p.User != nil {
		if l, ok := i18n.Parse(p.User.Language); ok {
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// setLang stores the chosen language: on the account of a signed-in user (so
// it follows them to other browsers) and in a cookie for everyone.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) error {
	l, ok := i18n.Parse(r.PostForm.Get("lang"))
	if !ok {
		return s.redirect(w, r, safeNext(r.PostForm.Get("next")))
	}
	if p := stateOf(r).p; p != nil && p.User.Language != string(l) {
		v := string(l)
		if _, err := s.Accounts.UpdateUser(r.Context(), p.User.Username, account.UserPatch{Language: &v}); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: s.secure(r)})
	return s.redirect(w, r, safeNext(r.PostForm.Get("next")))
}
