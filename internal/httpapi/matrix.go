package httpapi

import "net/http"

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
