package web

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/web/chart"
)

type groupsPage struct {
	Layout
	Groups  []registry.Group
	All     bool // the list is every group, not the user's own
	SeesAll bool // the user may switch to every group
	Status  string
	States  []string
}

func (*groupsPage) template() string { return "groups" }

var groupStates = []string{registry.GroupApproved, registry.GroupActive, registry.GroupNeedsSignature, registry.GroupSuspended, registry.GroupExpired, registry.GroupDissolved}

// groups lists the groups the user is responsible for or a member of; an
// oversight role may ask for every group.
func (s *Server) groups(w http.ResponseWriter, r *http.Request) error {
	p := stateOf(r).p
	q := r.URL.Query()
	seesAll := s.may(r, "GET /api/v1/roster.csv") // the roles the registry shows every group to
	f := registry.GroupFilter{Status: q.Get("status"), Person: p.User.Username}
	all := seesAll && q.Get("all") != ""
	if all {
		f.Person = ""
	}
	gs, err := s.Registry.ListGroups(r.Context(), p, f)
	if err != nil {
		return err
	}
	title := "groups.title"
	if all {
		title = "groups.all_title"
	}
	s.render(w, r, http.StatusOK, &groupsPage{Layout: s.layout(r, title), Groups: gs, All: all, SeesAll: seesAll, Status: f.Status, States: groupStates})
	return nil
}

type groupPage struct {
	Layout
	Group       *registry.GroupDetail
	Timeline    []registry.Member
	Statement   *registry.StatementText
	Responsible bool // the signed-in user is the group's responsible person
	SignForm    *Form
	BindForm    *Form
	Platforms   []registry.Platform
	ShowAlerts  bool
	Alerts      []review.Alert
	Activity    template.HTML
}

func (*groupPage) template() string { return "group" }

// activityDays is how far back the group's activity chart looks.
const activityDays = 30

func (s *Server) groupPage(r *http.Request, id int64, sign, bind *Form) (*groupPage, error) {
	ctx, st := r.Context(), stateOf(r)
	g, err := s.Registry.ShowGroup(ctx, st.p, id)
	if err != nil {
		return nil, err
	}
	p := &groupPage{Layout: s.layout(r, "group.title"), Group: g, SignForm: sign, BindForm: bind, Platforms: registry.Platforms,
		Responsible: g.Responsible == st.p.User.Username}
	p.Title = g.Name
	if p.Timeline, err = s.Registry.MemberTimeline(ctx, st.p, id); err != nil {
		return nil, err
	}
	if p.Statement, err = s.Registry.Statement(ctx, st.p, id, string(st.lang)); err != nil {
		return nil, err
	}
	if bind.Value("platform") == "" {
		bind.Values.Set("platform", string(g.Platform))
	}
	if s.Review != nil && s.may(r, "GET /api/v1/alerts") {
		p.ShowAlerts = true
		if p.Alerts, err = s.Review.Alerts(ctx, review.AlertFilter{GroupID: id, Limit: 20}); err != nil {
			return nil, err
		}
	}
	// Messages per day: counts only, no content, so every reader of the
	// group sees them and nothing is audited.
	if p.Activity, err = s.messagesPerDay(r, id); err != nil {
		return nil, err
	}
	return p, nil
}

// messagesPerDay charts the group's archived messages on each of the last
// activityDays days, in the console's zone.
func (s *Server) messagesPerDay(r *http.Request, id int64) (template.HTML, error) {
	now := s.Now().In(s.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Location)
	days := make([]time.Time, activityDays)
	for i := range days {
		days[i] = today.AddDate(0, 0, i-activityDays+1)
	}
	ns, err := s.Reports.DailyMessages(r.Context(), stateOf(r).p, id, days)
	if err != nil {
		return "", err
	}
	pts := make([]chart.Point, activityDays)
	for i, day := range days {
		pts[i] = chart.Point{Label: day.Format("01-02"), Value: float64(ns[i])}
	}
	return chart.Bar(pts, chart.Options{Title: s.msgs.T(stateOf(r).lang, "group.activity_messages"), Width: 960, Height: 220, Counts: true}), nil
}

// dayCounts counts the items on each of the last activityDays days, in the
// console's zone, oldest first.
func (s *Server) dayCounts(items []review.Alert, at func(review.Alert) time.Time) []chart.Point {
	now := s.Now().In(s.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Location)
	counts := make([]float64, activityDays)
	for _, a := range items {
		t := at(a).In(s.Location)
		d := int(today.Sub(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.Location)).Hours() / 24)
		if d >= 0 && d < activityDays {
			counts[activityDays-1-d]++
		}
	}
	pts := make([]chart.Point, activityDays)
	for i := range pts {
		day := today.AddDate(0, 0, i-activityDays+1)
		pts[i] = chart.Point{Label: day.Format("01-02"), Value: counts[i]}
	}
	return pts
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.groupPage(r, id, newForm(nil), newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// signStatement signs the text the page showed: when a new version was
// published since, the page is shown again with the new text instead.
func (s *Server) signStatement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, st := r.Context(), stateOf(r)
	f := newForm(r.PostForm)
	lang := f.Value("language")
	cur, err := s.Registry.Statement(ctx, st.p, id, lang)
	if err != nil {
		return err
	}
	if cur.SHA256 != f.Value("sha256") {
		f.Error = s.msgs.T(st.lang, "group.statement_changed")
	} else if _, err = s.Registry.Sign(ctx, st.p, id, registry.SignInput{FullName: f.Value("full_name"), Language: cur.Language, Addr: s.clientAddr(r), SHA256: cur.SHA256}); err == nil {
		return s.redirect(w, r, "/groups/"+strconv.FormatInt(id, 10)+"?done=signed")
	} else if !s.setError(st.lang, f, err, "full_name") {
		return err
	}
	p, err := s.groupPage(r, id, f, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

func (s *Server) bindGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st := stateOf(r)
	f := newForm(r.PostForm)
	_, err = s.Registry.Bind(r.Context(), st.p, id, registry.Platform(f.Value("platform")), f.Value("room_id"))
	if err == nil {
		return s.redirect(w, r, "/groups/"+strconv.FormatInt(id, 10)+"?done=bound")
	}
	if !s.setError(st.lang, f, err, "room_id", "platform") {
		return err
	}
	p, err := s.groupPage(r, id, newForm(nil), f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}
