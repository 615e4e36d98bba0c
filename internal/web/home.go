package web

import (
	"net/http"

	"charter/internal/account"
	"charter/internal/web/i18n"
)

// homePage is a user's start: their tasks and notifications. Until the
// registry and review land there are none of either, and the page says so
// rather than showing examples.
type homePage struct {
	Layout
	Tasks         []string
	Notifications []string
}

func (*homePage) template() string { return "home" }

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, &homePage{Layout: s.layout(r, "home.title")})
	return nil
}

type profilePage struct {
	Layout
	Roles []account.Grant
	Langs []i18n.Lang
}

func (*profilePage) template() string { return "profile" }

func (s *Server) profile(w http.ResponseWriter, r *http.Request) error {
	u := stateOf(r).p.User
	p := &profilePage{Layout: s.layout(r, "profile.title"), Roles: withMember(u.Roles), Langs: i18n.Langs}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// withMember lists a user's grants with member first: everyone is one.
func withMember(gs []account.Grant) []account.Grant {
	out := []account.Grant{{Role: account.Member}}
	for _, g := range gs {
		if g.Role != account.Member {
			out = append(out, g)
		}
	}
	return out
}
