package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"charter/internal/detect"
	"charter/internal/review"
	"charter/internal/web/i18n"
)

var (
	alertStatuses   = []string{review.StatusOpen, review.StatusClaimed, review.StatusResolved}
	alertCategories = []string{detect.CatMarking, detect.CatPII, detect.CatCredential, detect.CatLexicon, detect.CatTransfer, detect.CatRegistry}
	alertSeverities = []string{detect.SevLow, detect.SevMedium, detect.SevHigh, detect.SevCritical}
	dispositions    = []string{review.FalsePositive, review.NoAction, review.Reminded, review.Escalated}
)

const alertsPerPage = 50

type alertsPage struct {
	Layout
	Alerts                         []review.Alert
	Filter                         *Form
	Statuses, Categories, Severity []string
	Next, First                    string // links to the next and first page; empty when none
}

func (*alertsPage) template() string { return "alerts" }

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := newForm(url.Values{"status": {q.Get("status")}, "category": {q.Get("category")}, "severity": {q.Get("severity")}})
	af := review.AlertFilter{Status: q.Get("status"), Category: q.Get("category"), Severity: q.Get("severity"), Limit: alertsPerPage}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		af.Before = b
	}
	as, err := s.Review.Alerts(r.Context(), af)
	if err != nil && !s.setError(stateOf(r).lang, f, err, "status") {
		return err
	}
	p := &alertsPage{Layout: s.layout(r, "alerts.title"), Alerts: as, Filter: f, Statuses: alertStatuses, Categories: alertCategories, Severity: alertSeverities}
	base := url.Values{}
	for _, k := range []string{"status", "category", "severity"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	if len(as) == alertsPerPage {
		n := url.Values{}
		for k, v := range base {
			n[k] = v
		}
		n.Set("before", strconv.FormatInt(as[len(as)-1].ID, 10))
		p.Next = "/alerts?" + n.Encode()
	}
	if af.Before != 0 {
		p.First = "/alerts?" + base.Encode()
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// detailRow is one field of an alert's detail, its value ready to show.
type detailRow struct{ Label, Value string }

type alertPage struct {
	Layout
	Alert        *review.Alert
	Detail       []detailRow
	Form         *Form // resolve
	Dispositions []string
	CanTriage    bool // may claim and resolve
	CanContext   bool // may read the messages around it
	ArchiveReady bool // the message archive is connected
	ContextRead  bool
	Context      []review.ContextMessage
	GroupName    string // of the alert's group, when the reader may see it
}

func (*alertPage) template() string { return "alert" }

// details formats an alert's detail map: amounts in yuan per language,
// lists joined, keys in a stable order.
func (s *Server) details(l i18n.Lang, d map[string]any) []detailRow {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []detailRow
	for _, k := range keys {
		v := d[k]
		label := k
		if s.msgs.Has(l, "detail."+k) {
			label = s.msgs.T(l, "detail."+k)
		}
		val := fmt.Sprint(v)
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			val = strings.Join(parts, ", ")
		case []string:
			val = strings.Join(x, ", ")
		case float64:
			val = strconv.FormatFloat(x, 'f', -1, 64)
		}
		if s.msgs.Has(l, "detail.value."+val) {
			val = s.msgs.T(l, "detail.value."+val) // kinds and reasons the detectors name in English
		}
		if strings.HasSuffix(k, "_yuan") {
			if fen, ok := parseYuan(val); ok {
				val = i18n.Yuan(l, fen)
			}
		}
		out = append(out, detailRow{Label: label, Value: val})
	}
	return out
}

// parseYuan reads "4000.00" as fen.
func parseYuan(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	frac = (frac + "00")[:2]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	if y < 0 || strings.HasPrefix(whole, "-") {
		return y*100 - f, true
	}
	return y*100 + f, true
}

func (s *Server) alertPage(r *http.Request, f *Form) (*alertPage, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	a, err := s.Review.Alert(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p := &alertPage{Layout: s.layout(r, "alert.title", a.ID), Alert: a, Detail: s.details(stateOf(r).lang, a.Detail), Form: f,
		Dispositions: dispositions, CanTriage: s.may(r, "POST /api/v1/alerts/{id}/resolve"),
		CanContext: s.may(r, "GET /api/v1/alerts/{id}/context"), ArchiveReady: s.Review.Archive != nil}
	if a.GroupID != nil && s.Registry != nil {
		if g, err := s.Registry.ShowGroup(r.Context(), stateOf(r).p, *a.GroupID); err == nil {
			p.GroupName = g.Name
		}
	}
	return p, nil
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) error {
	p, err := s.alertPage(r, newForm(url.Values{"disposition": {review.NoAction}}))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// alertContext reads the messages around an alert. It is a POST, never a
// link, because the read is audited and must be a deliberate act.
func (s *Server) alertContext(w http.ResponseWriter, r *http.Request) error {
	p, err := s.alertPage(r, newForm(url.Values{"disposition": {review.NoAction}}))
	if err != nil {
		return err
	}
	if !p.ArchiveReady {
		p.Form.Error = s.msgs.T(p.Lang, "alert.no_archive")
	} else {
		if _, p.Context, err = s.Review.ReadContext(r.Context(), p.Alert.ID, 5); err != nil {
			return err
		}
		p.ContextRead = true
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) claimAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Review.Claim(r.Context(), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10)+"?done=claimed")
}

func (s *Server) resolveAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	res := review.Resolution{Disposition: f.Value("disposition"), Note: f.Value("note"), CaseTitle: f.Value("case_title"), Reassign: f.Value("reassign") != ""}
	a, err := s.Review.Resolve(r.Context(), id, res)
	if err == nil {
		if a.CaseID != nil {
			return s.redirect(w, r, "/cases/"+strconv.FormatInt(*a.CaseID, 10)+"?done=escalated")
		}
		return s.redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10)+"?done=resolved")
	}
	if !s.setError(stateOf(r).lang, f, err, "note", "disposition") {
		return err
	}
	p, err := s.alertPage(r, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

type casesPage struct {
	Layout
	Cases     []review.Case
	Status    string
	Form      *Form
	CanCreate bool
}

func (*casesPage) template() string { return "cases" }

func (s *Server) cases(w http.ResponseWriter, r *http.Request) error {
	st := r.URL.Query().Get("status")
	cs, err := s.Review.Cases(r.Context(), review.CaseFilter{Status: st, Limit: 200})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, &casesPage{Layout: s.layout(r, "cases.title"), Cases: cs, Status: st, Form: newForm(nil), CanCreate: s.may(r, "POST /api/v1/cases")})
	return nil
}

type casePage struct {
	Layout
	Case    *review.Case
	Form    *Form
	CanWork bool
}

func (*casePage) template() string { return "case" }

func (s *Server) casePage(r *http.Request, f *Form) (*casePage, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.Review.CaseDetail(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if f.Value("assignee") == "" {
		f.Values.Set("assignee", c.Assignee)
	}
	p := &casePage{Layout: s.layout(r, "case.title", c.ID), Case: c, Form: f, CanWork: s.may(r, "POST /api/v1/cases/{id}/notes")}
	p.Title = c.Title
	return p, nil
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) error {
	p, err := s.casePage(r, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// caseAction runs one change to a case from its page and shows the page again.
func (s *Server) caseAction(do func(s *Server, r *http.Request, id int64, f *Form) error, field, done string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		f := newForm(r.PostForm)
		if err := do(s, r, id, f); err != nil {
			if !s.setError(stateOf(r).lang, f, err, field) {
				return err
			}
			p, err := s.casePage(r, f)
			if err != nil {
				return err
			}
			s.render(w, r, http.StatusBadRequest, p)
			return nil
		}
		return s.redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done="+done)
	}
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	c, err := s.Review.CreateCase(r.Context(), review.NewCase{Title: f.Value("title"), Note: f.Value("note")})
	if err == nil {
		return s.redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10)+"?done=case_created")
	}
	if !s.setError(stateOf(r).lang, f, err, "title") {
		return err
	}
	cs, err := s.Review.Cases(r.Context(), review.CaseFilter{Limit: 200})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, &casesPage{Layout: s.layout(r, "cases.title"), Cases: cs, Form: f, CanCreate: true})
	return nil
}

func addNote(s *Server, r *http.Request, id int64, f *Form) error {
	_, err := s.Review.AddNote(r.Context(), id, f.Value("body"))
	return err
}

func assignCase(s *Server, r *http.Request, id int64, f *Form) error {
	_, err := s.Review.Assign(r.Context(), id, f.Value("assignee"))
	return err
}

func closeCase(s *Server, r *http.Request, id int64, f *Form) error {
	_, err := s.Review.Close(r.Context(), id, f.Value("resolution"))
	return err
}
