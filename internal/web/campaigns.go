package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"charter/internal/registry"
	"charter/internal/report"
)

// task is one thing waiting for the user, as the home page lists it.
type task struct {
	Label, Link string
	Due         *time.Time
}

// tasks gathers what waits for the user: open campaign tasks, decisions on
// applications, statements to sign. Each comes from the service that owns it.
func (s *Server) tasks(r *http.Request) ([]task, error) {
	ctx, st := r.Context(), stateOf(r)
	t := func(key string, args ...any) string { return s.msgs.T(st.lang, key, args...) }
	var out []task
	cs, err := s.Registry.Campaigns(ctx, st.p)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ClosedAt != nil {
			continue
		}
		my, err := s.Registry.MyTasks(ctx, st.p, c.ID)
		if err != nil {
			return nil, err
		}
		link := "/campaigns/" + strconv.FormatInt(c.ID, 10)
		due := c.Deadline
		for _, rc := range my.Recerts {
			if rc.Decision == "" {
				out = append(out, task{Label: t("task.recertify", rc.GroupName), Link: link, Due: &due})
			}
		}
		if c.Kind == registry.Declaration && len(my.Declared) == 0 {
			out = append(out, task{Label: t("task.declare", c.Title), Link: link, Due: &due})
		}
	}
	if s.may(r, "POST /api/v1/applications/{id}/decision") {
		as, err := s.Registry.Awaiting(ctx, st.p)
		if err != nil {
			return nil, err
		}
		if len(as) > 0 {
			out = append(out, task{Label: t("task.approvals", len(as)), Link: "/approvals"})
		}
	}
	mine, err := s.Registry.ListApplications(ctx, st.p, registry.ApplicationFilter{Applicant: st.p.User.Username})
	if err != nil {
		return nil, err
	}
	for _, a := range mine {
		link := "/applications/" + strconv.FormatInt(a.ID, 10) + "/edit"
		switch a.Status {
		case registry.Rejected:
			out = append(out, task{Label: t("task.resubmit", a.Name), Link: link})
		case registry.Draft:
			out = append(out, task{Label: t("task.complete", a.Name), Link: link})
		}
	}
	gs, err := s.Registry.ListGroups(ctx, st.p, registry.GroupFilter{Person: st.p.User.Username})
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.Responsible != st.p.User.Username {
			continue
		}
		switch g.Status {
		case registry.GroupApproved, registry.GroupNeedsSignature:
			out = append(out, task{Label: t("task.sign", g.Name), Link: "/groups/" + strconv.FormatInt(g.ID, 10)})
		}
	}
	if s.Reports != nil {
		// Only the responsible person's own reports: the task is to file them.
		rs, err := s.Reports.List(ctx, st.p, report.Filter{Responsible: st.p.User.Username, Unfiled: true})
		if err != nil {
			return nil, err
		}
		for _, rep := range rs {
			if rep.Responsible != st.p.User.Username {
				continue
			}
			due := rep.DueAt
			out = append(out, task{Label: t("task.report", rep.GroupName, rep.Period), Link: "/reports/" + strconv.FormatInt(rep.ID, 10), Due: &due})
		}
	}
	return out, nil
}

type campaignPage struct {
	Layout
	Tasks     *registry.Tasks
	Form      *Form
	Platforms []registry.Platform
	Open      bool
}

func (*campaignPage) template() string { return "campaign" }

func (s *Server) campaignPage(r *http.Request, f *Form) (*campaignPage, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ts, err := s.Registry.MyTasks(r.Context(), stateOf(r).p, id)
	if err != nil {
		return nil, err
	}
	p := &campaignPage{Layout: s.layout(r, "campaign.title"), Tasks: ts, Form: f, Platforms: registry.Platforms, Open: ts.Campaign.ClosedAt == nil}
	p.Title = ts.Campaign.Title
	return p, nil
}

func (s *Server) campaign(w http.ResponseWriter, r *http.Request) error {
	p, err := s.campaignPage(r, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) recertify(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	gid, _ := strconv.ParseInt(f.Value("group_id"), 10, 64)
	_, err = s.Registry.Recertify(r.Context(), stateOf(r).p, id, gid, f.Value("decision"), f.Value("members_ok") != "", f.Value("comment"))
	if err == nil {
		return s.redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10)+"?done=recertified")
	}
	if !s.setError(stateOf(r).lang, f, err, "decision", "members_ok") {
		return err
	}
	p, err := s.campaignPage(r, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

func (s *Server) declare(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	var ds []registry.Declared
	for _, v := range f.Values["group_id"] {
		if gid, err := strconv.ParseInt(v, 10, 64); err == nil {
			ds = append(ds, registry.Declared{GroupID: gid})
		}
	}
	platforms := f.Values["other_platform"]
	for i, n := range f.Values["other_name"] {
		if n = strings.TrimSpace(n); n != "" {
			d := registry.Declared{Name: n, Platform: "other"}
			if i < len(platforms) {
				d.Platform = registry.Platform(platforms[i])
			}
			ds = append(ds, d)
		}
	}
	_, err = s.Registry.Declare(r.Context(), stateOf(r).p, id, ds)
	if err == nil {
		return s.redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10)+"?done=declared")
	}
	if !s.setError(stateOf(r).lang, f, err, "groups") {
		return err
	}
	p, err := s.campaignPage(r, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

type templatesPage struct {
	Layout
	Templates []registry.Template
	Form      *Form
}

func (*templatesPage) template() string { return "templates" }

func (s *Server) templatesPage(r *http.Request, f *Form) (*templatesPage, error) {
	ts, err := s.Registry.Templates(r.Context(), stateOf(r).p)
	if err != nil {
		return nil, err
	}
	if f.Value("text_zh") == "" && f.Value("text_en") == "" && len(ts) > 0 {
		f.Values.Set("text_zh", ts[0].TextZh)
		f.Values.Set("text_en", ts[0].TextEn)
	}
	return &templatesPage{Layout: s.layout(r, "templates.title"), Templates: ts, Form: f}, nil
}

func (s *Server) statementTemplates(w http.ResponseWriter, r *http.Request) error {
	p, err := s.templatesPage(r, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) publishTemplate(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	_, err := s.Registry.PublishTemplate(r.Context(), f.Value("text_zh"), f.Value("text_en"))
	if err == nil {
		return s.redirect(w, r, "/statement-templates?done=published")
	}
	if !s.setError(stateOf(r).lang, f, err, "text_zh", "text_en") {
		return err
	}
	p, err := s.templatesPage(r, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}
