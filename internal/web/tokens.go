package web

import (
	"net/http"

	"charter/internal/account"
)

type tokensPage struct {
	Layout
	Tokens []account.Token
	Scopes []account.Scope
	Form   *Form
	// Secret is the new token's secret, shown on this one response only:
	// the database keeps its hash.
	Secret string
	New    *account.Token
}

func (*tokensPage) template() string { return "tokens" }

func (s *Server) tokensPage(r *http.Request, f *Form) (*tokensPage, error) {
	ts, err := s.Accounts.Tokens(r.Context())
	if err != nil {
		return nil, err
	}
	return &tokensPage{Layout: s.layout(r, "tokens.title"), Tokens: ts, Form: f,
		Scopes: []account.Scope{account.ScopeIngest, account.ScopeRead, account.ScopeAdmin}}, nil
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) error {
	p, err := s.tokensPage(r, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	secret, tok, err := s.Accounts.CreateToken(r.Context(), f.Value("name"), account.Scope(f.Value("scope")))
	if err != nil && !s.setError(stateOf(r).lang, f, err, "name", "scope") {
		return err
	}
	code := http.StatusBadRequest
	if err == nil {
		code, f = http.StatusCreated, newForm(nil)
	}
	p, err2 := s.tokensPage(r, f)
	if err2 != nil {
		return err2
	}
	if err == nil {
		p.Secret, p.New = secret, tok
	}
	s.render(w, r, code, p)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/tokens?done=token_revoked")
}
