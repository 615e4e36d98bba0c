package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"charter/internal/errs"
	"charter/internal/report"
	"charter/internal/web/i18n"
)

var reportStates = []string{report.Due, report.Draft, report.Filed}

// reportsPage lists reports: a responsible person's own, or every report
// with filters for those who read all (the service decides which).
type reportsPage struct {
	Layout
	Reports []report.Report
	SeesAll bool
	Filter  *Form
	States  []string
	Overdue bool // the overdue list, not a filtered listing
}

func (*reportsPage) template() string { return "reports" }

func (s *Server) reports(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	q := r.URL.Query()
	f := newForm(q)
	seesAll := report.SeesAll(st.p)
	filter := report.Filter{Status: q.Get("status"), Period: q.Get("period"), Unfiled: q.Get("unfiled") != ""}
	if v := q.Get("group_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			f.Errors["group_id"] = s.msgs.T(st.lang, "err.group_id")
		}
		filter.GroupID = id
	}
	title := "reports.mine_title"
	if seesAll {
		title = "reports.title"
	}
	p := &reportsPage{Layout: s.layout(r, title), SeesAll: seesAll, Filter: f, States: reportStates}
	if len(f.Errors) == 0 {
		rs, err := s.Reports.List(r.Context(), st.p, filter)
		if err != nil && !s.setError(st.lang, f, err, "status", "period") {
			return err
		}
		p.Reports = rs
	}
	code := http.StatusOK
	if len(f.Errors) > 0 || f.Error != "" {
		code = http.StatusBadRequest
	}
	s.render(w, r, code, p)
	return nil
}

func (s *Server) overdueReports(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.Reports.Overdue(r.Context(), stateOf(r).p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, &reportsPage{Layout: s.layout(r, "reports.overdue_title"), Reports: rs, SeesAll: true, Filter: newForm(nil), Overdue: true})
	return nil
}

// reportPage is one report: its figures, and for its responsible person
// until it is filed, the checklist, remarks and signature to fill in.
type reportPage struct {
	Layout
	Report  *report.Report
	Alerts  []alertFigure
	Items   []checkItem
	Form    *Form
	CanFill bool
	// From and To are the period's first and last day: periods are UTC
	// calendar months or quarters, so they are not moved to the console's zone.
	From, To string
}

func (*reportPage) template() string { return "report" }

// alertFigure is one line of the alert figures, its words already in the
// page's language.
type alertFigure struct {
	Category, Outcome string
	Count             int
}

// checkItem is a checklist question in the reader's language with the
// answer shown: the one typed when the form comes back, else the saved one.
type checkItem struct {
	ID                   int64
	Text, Answer, Remark string
	Error                string
}

func (s *Server) reportPage(r *http.Request, id int64, f *Form) (*reportPage, error) {
	st := stateOf(r)
	rep, err := s.Reports.Show(r.Context(), st.p, id)
	if err != nil {
		return nil, err
	}
	p := &reportPage{Layout: s.layout(r, "report.title", rep.GroupName, rep.Period), Report: rep, Form: f,
		CanFill: rep.Status != report.Filed && rep.Responsible == st.p.User.Username && s.may(r, "POST /api/v1/reports/{id}/file"),
		From:    i18n.Date(st.lang, rep.PeriodStart.UTC()), To: i18n.Date(st.lang, rep.PeriodEnd.UTC().AddDate(0, 0, -1))}
	for cat, byOutcome := range rep.Stats.Alerts {
		for outcome, n := range byOutcome {
			p.Alerts = append(p.Alerts, alertFigure{Category: s.word(st.lang, "category.", cat), Outcome: s.outcome(st.lang, outcome), Count: n})
		}
	}
	sort.Slice(p.Alerts, func(i, j int) bool {
		a, b := p.Alerts[i], p.Alerts[j]
		return a.Category < b.Category || a.Category == b.Category && a.Outcome < b.Outcome
	})
	sent := len(f.Values) > 0
	if !sent {
		f.Values.Set("remarks", rep.Remarks)
	}
	for _, a := range rep.Checklist {
		it := checkItem{ID: a.ItemID, Text: a.TextZh, Answer: a.Answer, Remark: a.Remark, Error: f.Errors[answerField(a.ItemID)]}
		if st.lang == i18n.EN && a.TextEn != "" {
			it.Text = a.TextEn
		}
		if sent {
			it.Answer, it.Remark = f.Value(answerField(a.ItemID)), f.Value(remarkField(a.ItemID))
		}
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// word translates key prefix+v, or shows v as it is when there is no word for it.
func (s *Server) word(l i18n.Lang, prefix, v string) string {
	if s.msgs.Has(l, prefix+v) {
		return s.msgs.T(l, prefix+v)
	}
	return v
}

// outcome names where alerts stand: a disposition once resolved, else their status.
func (s *Server) outcome(l i18n.Lang, v string) string {
	if s.msgs.Has(l, "disposition."+v) {
		return s.msgs.T(l, "disposition."+v)
	}
	return s.word(l, "status.", v)
}

func answerField(id int64) string { return fmt.Sprintf("answer_%d", id) }
func remarkField(id int64) string { return fmt.Sprintf("remark_%d", id) }

func (s *Server) reportDetail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.reportPage(r, id, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// draftInput reads the checklist and remarks of the form, for the items of
// the report as stored (an item the form left out keeps its saved answer).
func (s *Server) draftInput(r *http.Request, id int64, f *Form) (report.DraftInput, error) {
	rep, err := s.Reports.Show(r.Context(), stateOf(r).p, id)
	if err != nil {
		return report.DraftInput{}, err
	}
	in := report.DraftInput{}
	for _, a := range rep.Checklist {
		if _, ok := f.Values[answerField(a.ItemID)]; !ok {
			continue
		}
		in.Checklist = append(in.Checklist, report.AnswerInput{ItemID: a.ItemID, Answer: f.Value(answerField(a.ItemID)), Remark: f.Value(remarkField(a.ItemID))})
	}
	remarks := f.Value("remarks")
	in.Remarks = &remarks
	return in, nil
}

func (s *Server) saveReport(w http.ResponseWriter, r *http.Request) error {
	return s.fillReport(w, r, false)
}

func (s *Server) fileReport(w http.ResponseWriter, r *http.Request) error {
	return s.fillReport(w, r, true)
}

// fillReport saves the draft or signs and files it; a refusal shows the
// page again with the typed answers and the error beside its item or field.
func (s *Server) fillReport(w http.ResponseWriter, r *http.Request, file bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, st := r.Context(), stateOf(r)
	f := newForm(r.PostForm)
	in, err := s.draftInput(r, id, f)
	if err != nil {
		return err
	}
	done := "report_saved"
	if file {
		done = "report_filed"
		_, err = s.Reports.File(ctx, st.p, id, report.FileInput{DraftInput: in, FullName: f.Value("full_name")}, s.clientAddr(r))
	} else {
		_, err = s.Reports.SaveDraft(ctx, st.p, id, in)
	}
	if err == nil {
		return s.redirect(w, r, "/reports/"+strconv.FormatInt(id, 10)+"?done="+done)
	}
	if !s.setChecklistError(st.lang, f, err) && !s.setError(st.lang, f, err, "full_name", "remarks") {
		return err
	}
	p, err := s.reportPage(r, id, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

// setChecklistError puts the service's "item N ..." error beside item N.
func (s *Server) setChecklistError(l i18n.Lang, f *Form, err error) bool {
	var e *errs.Error
	var item int64
	if !errors.As(err, &e) || e.Field != "checklist" {
		return false
	}
	if _, scanErr := fmt.Sscanf(e.Message, "item %d", &item); scanErr != nil {
		return false
	}
	f.Errors[answerField(item)] = s.explain(l, e)
	return true
}
