package httpapi

import (
	"io"
	"net/http"
)

// wecomVerify answers WeCom's check of the callback URL with the plaintext
// of echostr, as is. Its signature is the check (the service counts and
// refuses a bad one with 403), so the route is public.
func (s *Server) wecomVerify(w http.ResponseWriter, r *http.Request) error {
	out, err := s.WeCom.VerifyURL(r.URL.Query())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write(out)
	return err
}

// wecomCallback takes one encrypted event and answers "success", which
// WeCom expects within five seconds.
func (s *Server) wecomCallback(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.Cfg.MaxBodyBytes))
	if err != nil {
		return err
	}
	if err := s.WeCom.Callback(r.Context(), r.URL.Query(), body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.WriteString(w, "success")
	return err
}
