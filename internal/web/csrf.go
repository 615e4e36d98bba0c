package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// Every form carries a CSRF token in a hidden field "csrf", checked on every
// POST, on top of http.CrossOriginProtection.
//
// For a signed-in user the token is an HMAC keyed by the session secret: it
// is per session, needs no storage and survives restarts, and only someone
// holding the cookie can compute it (the database keeps only the secret's
// hash). Before sign-in there is no session, so the sign-in and language
// forms use a double-submit cookie instead.

const csrfCookie = "charter_csrf"

func sessionCSRF(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("charter console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// anonymousCSRF returns the visitor's double-submit token, setting the cookie
// the first time.
func (s *Server) anonymousCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	return v
}

func checkCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
