package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/report"
)

func (s *Server) listReports(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := report.Filter{Status: q.Get("status"), Period: q.Get("period"), Unfiled: q.Get("unfiled") == "true"}
	if v := q.Get("group_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errs.Field("group_id", "%q is not a group id", v)
		}
		f.GroupID = id
	}
	rs, err := s.Reports.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[report.Report]{Items: rs})
	return nil
}

func (s *Server) overdueReports(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.Reports.Overdue(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[report.Report]{Items: rs})
	return nil
}

func (s *Server) generateReports(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Period string `json:"period"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	rs, err := s.Reports.Generate(r.Context(), in.Period)
	var failed report.FailedGroups
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if rs == nil {
		rs = []report.Report{}
	}
	// Groups that failed are named beside the reports that were made.
	writeJSON(w, http.StatusOK, struct {
		page[report.Report]
		Failed report.FailedGroups `json:"failed,omitempty"`
	}{page[report.Report]{Items: rs}, failed})
	return nil
}

// getReport answers /reports/12 with JSON and /reports/12.pdf (.xlsx, .csv)
// with the download: the mux cannot split a segment, so the suffix is read here.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) error {
	seg := r.PathValue("id")
	idText, format, download := strings.Cut(seg, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "report %q not found", seg)
	}
	if download {
		doc, err := s.Reports.ExportReport(r.Context(), principal(r), id, format)
		if err != nil {
			return err
		}
		return sendDocument(w, doc)
	}
	rep, err := s.Reports.Show(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func sendDocument(w http.ResponseWriter, doc *report.Document) error {
	w.Header().Set("Content-Type", doc.ContentType)
	w.Header().Set("Content-Disposition", doc.Disposition())
	w.Header().Set("Content-Length", strconv.Itoa(len(doc.Body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.Body) // the status is sent; a client gone away cannot be told more
	return nil
}

func (s *Server) saveReportDraft(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in report.DraftInput
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	rep, err := s.Reports.SaveDraft(r.Context(), principal(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) fileReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in report.FileInput
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	rep, err := s.Reports.File(r.Context(), principal(r), id, in, s.clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) listReportSchedules(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.Reports.Schedules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[report.Schedule]{Items: ss})
	return nil
}

func (s *Server) setReportSchedule(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Cadence string `json:"cadence"`
		DueDays int    `json:"due_days"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	sc, err := s.Reports.SetSchedule(r.Context(), report.Schedule{Level: registry.Level(r.PathValue("level")), Cadence: in.Cadence, DueDays: in.DueDays})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) listChecklistItems(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Reports.ChecklistItems(r.Context(), r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[report.ChecklistItem]{Items: items})
	return nil
}

func (s *Server) addChecklistItem(w http.ResponseWriter, r *http.Request) error {
	var in report.NewChecklistItem
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	it, err := s.Reports.AddChecklistItem(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) deactivateChecklistItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.Reports.SetChecklistItemActive(r.Context(), id, false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// roster serves the registration roster of all groups in one format.
func roster(format string) handler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		doc, err := s.Reports.ExportRoster(r.Context(), format)
		if err != nil {
			return err
		}
		return sendDocument(w, doc)
	}
}

// registrationForm serves one person's registration form in one format.
func registrationForm(format string) handler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		doc, err := s.Reports.ExportForm(r.Context(), principal(r), r.PathValue("username"), format)
		if err != nil {
			return err
		}
		return sendDocument(w, doc)
	}
}
