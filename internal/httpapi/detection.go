package httpapi

import (
	"net/http"
	"time"

	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/pipeline"
	"charter/internal/review"
)

// The detection policy: security officers edit it; a change is validated by
// compiling it, audited, and in force for the next batch scanned.

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, page[review.RuleView]{Items: s.Policies.Rules()})
	return nil
}

func (s *Server) putRule(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Enabled    *bool            `json:"enabled"`
		Severity   string           `json:"severity"`
		Thresholds map[string]int64 `json:"thresholds"`
		Scope      detect.Scope     `json:"scope"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.Enabled == nil {
		return errs.Field("enabled", "required")
	}
	id := r.PathValue("rule")
	if err := s.Policies.SetRule(r.Context(), id, detect.Policy{Enabled: *in.Enabled, Severity: in.Severity, Thresholds: in.Thresholds, Scope: in.Scope}); err != nil {
		return err
	}
	for _, rv := range s.Policies.Rules() {
		if rv.ID == id {
			writeJSON(w, http.StatusOK, rv)
			return nil
		}
	}
	return errs.E(errs.NotFound, "rule %q not found", id)
}

func (s *Server) listLexicons(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, page[detect.Lexicon]{Items: s.Policies.Lexicons()})
	return nil
}

func (s *Server) createLexicon(w http.ResponseWriter, r *http.Request) error {
	var in detect.Lexicon
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if err := s.Policies.PutLexicon(r.Context(), "", in, true); err != nil {
		return err
	}
	return s.writeLexicon(w, http.StatusCreated, in.Name)
}

func (s *Server) putLexicon(w http.ResponseWriter, r *http.Request) error {
	var in detect.Lexicon
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.Policies.PutLexicon(r.Context(), name, in, false); err != nil {
		return err
	}
	if in.Name == "" {
		in.Name = name
	}
	return s.writeLexicon(w, http.StatusOK, in.Name)
}

func (s *Server) writeLexicon(w http.ResponseWriter, code int, name string) error {
	for _, l := range s.Policies.Lexicons() {
		if l.Name == name {
			writeJSON(w, code, l)
			return nil
		}
	}
	return errs.E(errs.NotFound, "lexicon %q not found", name)
}

func (s *Server) deleteLexicon(w http.ResponseWriter, r *http.Request) error {
	if err := s.Policies.DeleteLexicon(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) listPeriods(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, page[detect.Period]{Items: s.Policies.Periods()})
	return nil
}

// periodBody reads times as strings so that a bad one is refused naming its field.
type periodBody struct {
	Name     string   `json:"name"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	OrgUnits []string `json:"org_units"`
}

func (s *Server) decodePeriod(w http.ResponseWriter, r *http.Request) (detect.Period, error) {
	var in periodBody
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return detect.Period{}, err
	}
	p := detect.Period{Name: in.Name, OrgUnits: in.OrgUnits}
	for _, f := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"from", in.From, &p.From}, {"to", in.To, &p.To}} {
		if f.v == "" {
			return p, errs.Field(f.name, "required")
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return p, errs.Field(f.name, "%q is not an RFC 3339 time with its offset (2026-06-01T00:00:00+08:00)", f.v)
		}
		*f.dst = t
	}
	return p, nil
}

func (s *Server) createPeriod(w http.ResponseWriter, r *http.Request) error {
	in, err := s.decodePeriod(w, r)
	if err != nil {
		return err
	}
	if err := s.Policies.PutPeriod(r.Context(), "", in, true); err != nil {
		return err
	}
	return s.writePeriod(w, http.StatusCreated, in.Name)
}

func (s *Server) putPeriod(w http.ResponseWriter, r *http.Request) error {
	in, err := s.decodePeriod(w, r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.Policies.PutPeriod(r.Context(), name, in, false); err != nil {
		return err
	}
	if in.Name == "" {
		in.Name = name
	}
	return s.writePeriod(w, http.StatusOK, in.Name)
}

func (s *Server) writePeriod(w http.ResponseWriter, code int, name string) error {
	for _, p := range s.Policies.Periods() {
		if p.Name == name {
			writeJSON(w, code, p)
			return nil
		}
	}
	return errs.E(errs.NotFound, "period %q not found", name)
}

func (s *Server) deletePeriod(w http.ResponseWriter, r *http.Request) error {
	if err := s.Policies.DeletePeriod(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

type rescanBody struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Group int64  `json:"group"`
}

// rescan runs the rules in force over a period again and answers once it is
// done, with what it created; only alerts that did not exist are made.
func (s *Server) rescan(w http.ResponseWriter, r *http.Request) error {
	var in rescanBody
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	req := pipeline.RescanRequest{GroupID: in.Group}
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"from", in.From, &req.From}, {"to", in.To, &req.To}} {
		if f.v == "" {
			return errs.Field(f.name, "required")
		}
		t, err := queryTime(f.v, f.name)
		if err != nil {
			return err
		}
		*f.dst = t
	}
	res, err := s.Pipeline.Rescan(r.Context(), req, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// scanBacklog says what detection has not finished, read now.
func (s *Server) scanBacklog(w http.ResponseWriter, r *http.Request) error {
	if err := s.Pipeline.Refresh(r.Context()); err != nil {
		return err
	}
	b := s.Pipeline.Backlog()
	ok, why := s.Pipeline.Health()
	out := map[string]any{"queued": b.Queued, "failed": b.Failed, "healthy": ok}
	if !b.Oldest.IsZero() {
		out["oldest"] = b.Oldest
	}
	if why != "" {
		out["reason"] = why
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
