package httpapi

import (
	"net/http"

	"charter/internal/matrix"
)

// homeserver admits only the Matrix homeserver Charter is registered with.
func homeserver() access { return access{appService: true} }

// matrixTransaction archives one transaction of events and answers {} as the
// application-service API asks; the homeserver retries until it gets a 200.
func (s *Server) matrixTransaction(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, s.Cfg.MaxIngestBody)
	if _, err := s.Matrix.Transaction(r.Context(), r.PathValue("txnId"), body); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) getEnforcement(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Matrix.GetEnforcement(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// setEnforcement: {"notice":true,"close_after":"72h","admin_token":"..."}.
func (s *Server) setEnforcement(w http.ResponseWriter, r *http.Request) error {
	var in matrix.EnforcementInput
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	e, err := s.Matrix.SetEnforcement(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
