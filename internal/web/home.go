package web

import (
	"net/http"
	"time"

	"charter/internal/account"
	"charter/internal/web/i18n"
)

// homePage is a user's start: their tasks and unread notices. Tasks come
// with the registry's and review's pages; until then the page says there are
// none rather than showing examples.
type homePage struct {
	Layout
	Tasks   []task
	Notices []notice
}

// notice is a registry notification as the home page lists it: its kind in
// the page's language, and the registry's own (English) text in English only.
type notice struct {
	Title, Object, Detail string
	At                    time.Time
}

func (*homePage) template() string { return "home" }

const homeNotices = 10

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := &homePage{Layout: s.layout(r, "home.title")}
	if s.Registry != nil {
		st := stateOf(r)
		var err error
		if p.Tasks, err = s.tasks(r); err != nil {
			return err
		}
		ns, err := s.Registry.Notifications(r.Context(), st.p, true)
		if err != nil {
			return err
		}
		for i, n := range ns {
			if i == homeNotices {
				break
			}
			x := notice{Title: n.Kind, Object: n.Object, At: n.CreatedAt}
			if s.msgs.Has(st.lang, "notice."+n.Kind) {
				x.Title = s.msgs.T(st.lang, "notice."+n.Kind)
			}
			if st.lang == i18n.EN {
				x.Detail = n.Message
			}
			p.Notices = append(p.Notices, x)
		}
	}
	s.render(w, r, http.StatusOK, p)
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
