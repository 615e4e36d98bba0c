package httpapi

import (
	"net/http"
	"strconv"

	"charter/internal/errs"
	"charter/internal/review"
)

// Alerts and cases: reviewers triage, auditors read.

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := review.AlertFilter{Status: q.Get("status"), Category: q.Get("category"), Severity: q.Get("severity"), Rule: q.Get("rule")}
	var err error
	if f.GroupID, err = queryInt(q.Get("group"), "group"); err != nil {
		return err
	}
	if f.Before, err = queryInt(q.Get("before"), "before"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(q.Get("limit")); err != nil {
		return err
	}
	as, err := s.Review.Alerts(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(as) > 0 && len(as) == f.Limit {
		next = strconv.FormatInt(as[len(as)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, page[review.Alert]{Items: as, Next: next})
	return nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Review.Alert(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) claimAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Review.Claim(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) resolveAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in review.Resolution
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	a, err := s.Review.Resolve(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// alertContext returns the archived messages around an alert; the service
// audits the read before it hands the content over.
func (s *Server) alertContext(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	radius := 5
	if v := r.URL.Query().Get("radius"); v != "" {
		if radius, err = strconv.Atoi(v); err != nil {
			return errs.Field("radius", "%q is not a number", v)
		}
	}
	a, msgs, err := s.Review.ReadContext(r.Context(), id, radius)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"alert": a, "messages": msgs})
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := review.CaseFilter{Status: q.Get("status"), Assignee: q.Get("assignee")}
	var err error
	if f.Before, err = queryInt(q.Get("before"), "before"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(q.Get("limit")); err != nil {
		return err
	}
	cs, err := s.Review.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(cs) > 0 && len(cs) == f.Limit {
		next = strconv.FormatInt(cs[len(cs)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, page[review.Case]{Items: cs, Next: next})
	return nil
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var in review.NewCase
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := s.Review.CreateCase(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Review.CaseDetail(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) addCaseNote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	n, err := s.Review.AddNote(r.Context(), id, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *Server) assignCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Assignee string `json:"assignee"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := s.Review.Assign(r.Context(), id, in.Assignee)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) closeCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Resolution string `json:"resolution"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := s.Review.Close(r.Context(), id, in.Resolution)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func queryInt(v, field string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Field(field, "%q is not a positive number", v)
	}
	return n, nil
}

func queryLimit(v string) (int, error) {
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, errs.Field("limit", "must be a number from 1 to 500")
	}
	return n, nil
}
