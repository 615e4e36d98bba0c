package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
	"charter/internal/httpapi"
	"charter/internal/registry"
)

// applyPage is the application form: a new application, or a rejected (or
// draft) one being edited for resubmission when EditID is set.
type applyPage struct {
	Layout
	Form      *Form
	EditID    int64
	Platforms []registry.Platform
	Levels    []registry.Level
	Externals []extRow
}

// extRow is one external member line of the form, numbered from 0.
type extRow struct {
	I                          int
	Name, Organization, Reason string
}

func (*applyPage) template() string { return "apply" }

// applyFields are the form's fields in the order an error is looked for.
var applyFields = []string{"name", "purpose", "platform", "planned_at", "expires_at", "responsible", "level", "members"}

// localInput is how a datetime-local input writes a time.
const localInput = "2006-01-02T15:04"

func (s *Server) applyPage(r *http.Request, f *Form, editID int64) *applyPage {
	title := "apply.title"
	if editID != 0 {
		title = "apply.edit_title"
	}
	p := &applyPage{Layout: s.layout(r, title), Form: f, EditID: editID, Platforms: registry.Platforms, Levels: registry.Levels}
	names, orgs, why := f.Values["ext_name"], f.Values["ext_org"], f.Values["ext_why"]
	for i := range names {
		row := extRow{I: len(p.Externals), Name: names[i]}
		if i < len(orgs) {
			row.Organization = orgs[i]
		}
		if i < len(why) {
			row.Reason = why[i]
		}
		if row.Name != "" || row.Organization != "" || row.Reason != "" {
			p.Externals = append(p.Externals, row)
		}
	}
	for len(p.Externals) < 2 || p.Externals[len(p.Externals)-1].Name != "" {
		p.Externals = append(p.Externals, extRow{I: len(p.Externals)})
	}
	return p
}

func (s *Server) newApplication(w http.ResponseWriter, r *http.Request) error {
	now := s.Now().In(s.Location)
	start := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, s.Location)
	f := newForm(url.Values{"responsible": {stateOf(r).p.User.Username}, "platform": {"wecom"}, "level": {"internal"},
		"planned_at": {start.Format(localInput)}, "expires_at": {start.AddDate(1, 0, 0).Format(localInput)}})
	s.render(w, r, http.StatusOK, s.applyPage(r, f, 0))
	return nil
}

// applicationInput reads the form into the registry's input; times are typed
// in the console's zone.
func (s *Server) applicationInput(f *Form) (registry.NewApplication, error) {
	in := registry.NewApplication{Name: f.Value("name"), Purpose: f.Value("purpose"), Platform: registry.Platform(f.Value("platform")),
		Responsible: f.Value("responsible"), Level: registry.Level(f.Value("level"))}
	for _, fld := range []struct {
		name string
		to   *string
	}{{"planned_at", &in.PlannedAt}, {"expires_at", &in.ExpiresAt}} {
		v := strings.TrimSpace(f.Value(fld.name))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation(localInput, v, s.Location)
		if err != nil {
			return in, errs.Field(fld.name, "%q is not a date and time", v)
		}
		*fld.to = t.UTC().Format(time.RFC3339)
	}
	for _, u := range strings.FieldsFunc(f.Value("members"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		in.Members = append(in.Members, registry.ProposedMember{Username: u})
	}
	names, orgs, why := f.Values["ext_name"], f.Values["ext_org"], f.Values["ext_why"]
	for i, n := range names {
		m := registry.ProposedMember{External: strings.TrimSpace(n)}
		if i < len(orgs) {
			m.Organization = orgs[i]
		}
		if i < len(why) {
			m.Justification = why[i]
		}
		if m.External != "" || strings.TrimSpace(m.Organization+m.Justification) != "" {
			in.Members = append(in.Members, m)
		}
	}
	return in, nil
}

// applicationValues fills the form from a stored application, for editing.
func (s *Server) applicationValues(a *registry.Application) url.Values {
	v := url.Values{"name": {a.Name}, "purpose": {a.Purpose}, "platform": {string(a.Platform)}, "responsible": {a.Responsible},
		"level": {string(a.Level)}}
	if !a.PlannedAt.IsZero() {
		v.Set("planned_at", a.PlannedAt.In(s.Location).Format(localInput))
	}
	if !a.ExpiresAt.IsZero() {
		v.Set("expires_at", a.ExpiresAt.In(s.Location).Format(localInput))
	}
	var internal []string
	for _, m := range a.Members {
		if m.Username != "" {
			internal = append(internal, m.Username)
			continue
		}
		v.Add("ext_name", m.External)
		v.Add("ext_org", m.Organization)
		v.Add("ext_why", m.Justification)
	}
	v.Set("members", strings.Join(internal, " "))
	return v
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	in, err := s.applicationInput(f)
	if err == nil {
		var a *registry.Application
		if a, err = s.Registry.Apply(r.Context(), stateOf(r).p, in); err == nil {
			return s.redirect(w, r, "/applications/"+strconv.FormatInt(a.ID, 10)+"?done=applied")
		}
	}
	if !s.setError(stateOf(r).lang, f, err, applyFields...) {
		return err
	}
	s.render(w, r, http.StatusBadRequest, s.applyPage(r, f, 0))
	return nil
}

func (s *Server) editApplication(w http.ResponseWriter, r *http.Request) error {
	a, err := s.shownApplication(r)
	if err != nil {
		return err
	}
	if a.Applicant != stateOf(r).p.User.Username {
		return errs.E(errs.Forbidden, "only the applicant may change application %d", a.ID)
	}
	if a.Status != registry.Draft && a.Status != registry.Rejected {
		return errs.E(errs.Conflict, "application %d is %s; only a draft or a rejected application can be edited", a.ID, a.Status)
	}
	s.render(w, r, http.StatusOK, s.applyPage(r, newForm(s.applicationValues(a)), a.ID))
	return nil
}

// resubmit saves the edited application and submits it again as a new round.
func (s *Server) resubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	p := stateOf(r).p
	in, err := s.applicationInput(f)
	if err == nil {
		if _, err = s.Registry.EditApplication(r.Context(), p, id, in); err == nil {
			if _, err = s.Registry.Submit(r.Context(), p, id); err == nil {
				return s.redirect(w, r, "/applications/"+strconv.FormatInt(id, 10)+"?done=resubmitted")
			}
		}
	}
	if !s.setError(stateOf(r).lang, f, err, applyFields...) {
		return err
	}
	s.render(w, r, http.StatusBadRequest, s.applyPage(r, f, id))
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, ok := httpapi.ParseID(r.PathValue("id"))
	if !ok {
		return 0, errs.E(errs.NotFound, "no such object")
	}
	return id, nil
}

func (s *Server) shownApplication(r *http.Request) (*registry.Application, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Registry.ShowApplication(r.Context(), stateOf(r).p, id)
}

type applicationsPage struct {
	Layout
	Apps []registry.Application
}

func (*applicationsPage) template() string { return "applications" }

// applications lists the user's own applications (as applicant), newest first.
func (s *Server) applications(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Registry.ListApplications(r.Context(), stateOf(r).p, registry.ApplicationFilter{Applicant: stateOf(r).p.User.Username})
	if err != nil {
		return err
	}
	for i, j := 0, len(as)-1; i < j; i, j = i+1, j-1 {
		as[i], as[j] = as[j], as[i]
	}
	s.render(w, r, http.StatusOK, &applicationsPage{Layout: s.layout(r, "applications.title"), Apps: as})
	return nil
}

type applicationPage struct {
	Layout
	App         *registry.Application
	Form        *Form // the decision form
	CanWithdraw bool
	CanEdit     bool
	CanDecide   bool
}

func (*applicationPage) template() string { return "application" }

func (s *Server) applicationPage(r *http.Request, a *registry.Application, f *Form) (*applicationPage, error) {
	p := stateOf(r).p
	mine := a.Applicant == p.User.Username
	decide, err := s.Registry.MayDecide(r.Context(), p, a)
	if err != nil {
		return nil, err
	}
	pg := &applicationPage{Layout: s.layout(r, "application.title"), App: a, Form: f,
		CanWithdraw: mine && (a.Status == registry.Draft || a.Status == registry.Submitted || a.Status == registry.Rejected),
		CanEdit:     mine && (a.Status == registry.Draft || a.Status == registry.Rejected),
		CanDecide:   decide && s.may(r, "POST /api/v1/applications/{id}/decision")}
	pg.Title = a.Name
	return pg, nil
}

func (s *Server) application(w http.ResponseWriter, r *http.Request) error {
	a, err := s.shownApplication(r)
	if err != nil {
		return err
	}
	p, err := s.applicationPage(r, a, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) withdrawApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Registry.Withdraw(r.Context(), stateOf(r).p, id); err != nil {
		return err
	}
	return s.redirect(w, r, "/applications/"+strconv.FormatInt(id, 10)+"?done=withdrawn")
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	_, err = s.Registry.Decide(r.Context(), stateOf(r).p, id, f.Value("decision"), f.Value("comment"))
	if err == nil {
		return s.redirect(w, r, "/approvals?done=decided")
	}
	if !s.setError(stateOf(r).lang, f, err, "comment", "decision") {
		return err
	}
	a, err := s.shownApplication(r)
	if err != nil {
		return err
	}
	p, err := s.applicationPage(r, a, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

type approvalsPage struct {
	Layout
	Apps []registry.Application
}

func (*approvalsPage) template() string { return "approvals" }

func (s *Server) approvals(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Registry.Awaiting(r.Context(), stateOf(r).p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, &approvalsPage{Layout: s.layout(r, "approvals.title"), Apps: as})
	return nil
}
