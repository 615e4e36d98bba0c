package httpapi

import (
	"bytes"
	"net/http"
	"strings"

	"charter/internal/account"
	"charter/internal/errs"
)

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.Username == "" {
		return errs.Field("username", "required")
	}
	if in.Password == "" {
		return errs.Field("password", "required")
	}
	secret, u, err := s.Accounts.Login(r.Context(), in.Username, in.Password, s.clientAddr(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: IsTLS(r, s.Cfg.Proxies), MaxAge: int(s.Cfg.SessionTTL.Seconds())})
	writeJSON(w, http.StatusOK, map[string]any{"token": secret, "username": u.Username})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Logout(r.Context(), principal(r)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

type meBody struct {
	Username    string          `json:"username"`
	DisplayName string          `json:"display_name"`
	RealName    string          `json:"real_name"`
	OrgUnit     string          `json:"org_unit"`
	Verified    bool            `json:"verified"`
	Language    string          `json:"language,omitempty"`
	Roles       []account.Grant `json:"roles"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u := principal(r).User
	roles := []account.Grant{{Role: account.Member}}
	for _, g := range u.Roles {
		if g.Role != account.Member {
			roles = append(roles, g)
		}
	}
	writeJSON(w, http.StatusOK, meBody{u.Username, u.DisplayName, u.RealName, u.OrgUnit, u.Verified, u.Language, roles})
	return nil
}

func (s *Server) listOrgUnits(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Accounts.OrgUnits(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[account.OrgUnit]{Items: us})
	return nil
}

func (s *Server) createOrgUnit(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string `json:"name"`
		Parent string `json:"parent"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	u, err := s.Accounts.CreateOrgUnit(r.Context(), in.Name, in.Parent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := account.UserFilter{OrgUnit: q.Get("org_unit"), Role: account.Role(q.Get("role"))}
	if v := q.Get("active"); v != "" {
		b := v == "true"
		f.Active = &b
	}
	us, err := s.Accounts.Users(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[account.User]{Items: us})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in account.NewUser
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	u, err := s.Accounts.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/csv") {
		return errs.E(errs.Invalid, "send the HR directory as text/csv, not %s", ct)
	}
	// The whole file is read first: an oversized upload is refused before
	// any row is imported.
	body, err := s.readIngestBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.Accounts.ImportCSV(r.Context(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.User(r.Context(), principal(r), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	var p account.UserPatch
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &p); err != nil {
		return err
	}
	u, err := s.Accounts.UpdateUser(r.Context(), r.PathValue("username"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.Deactivate(r.Context(), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Accounts.Tokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[account.Token]{Items: ts})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name  string        `json:"name"`
		Scope account.Scope `json:"scope"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	secret, t, err := s.Accounts.CreateToken(r.Context(), in.Name, in.Scope)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		*account.Token
		Secret string `json:"token"`
	}{t, secret})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}
