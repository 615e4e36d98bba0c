package web

import (
	"net/http"

	"charter/internal/registry"
)

// rosterPage is the registration roster on screen, with its downloads (the
// API's routes: the session cookie signs them in, and the service audits each).
type rosterPage struct {
	Layout
	Rows []registry.RosterRow
}

func (*rosterPage) template() string { return "roster" }

func (s *Server) roster(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.Registry.Roster(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, &rosterPage{Layout: s.layout(r, "roster.title"), Rows: rows})
	return nil
}
