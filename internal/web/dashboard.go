package web

import (
	"html/template"
	"net/http"
	"sort"
	"time"

	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/web/chart"
)

// dashboardPage is the security officer's overview: the register by status,
// what waits for approval, re-certifications past their deadline, and alerts
// per category over the last weeks.
type dashboardPage struct {
	Layout
	GroupsByStatus  template.HTML
	GroupTotal      int
	Pending         []registry.Application // oldest waiting first
	Overdue         []registry.Recert
	OverdueDeadline map[int64]time.Time // campaign id -> deadline
	AlertCharts     []categoryChart
	OpenAlerts      int
}

type categoryChart struct {
	Category string
	Total    int
	Chart    template.HTML
}

func (*dashboardPage) template() string { return "dashboard" }

// dashboardAlerts bounds the alerts the dashboard counts; the chart covers
// activityDays days, and more alerts than this in that time is a queue to
// work, not a chart to read.
const dashboardAlerts = 500

// overdueDays is how long a re-certification left to its default stays on the dashboard.
const overdueDays = 90

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx, st := r.Context(), stateOf(r)
	t := func(key string, args ...any) string { return s.msgs.T(st.lang, key, args...) }
	p := &dashboardPage{Layout: s.layout(r, "dashboard.title"), OverdueDeadline: map[int64]time.Time{}}

	gs, err := s.Registry.ListGroups(ctx, st.p, registry.GroupFilter{})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, g := range gs {
		counts[g.Status]++
	}
	var pts []chart.Point
	for _, x := range groupStates {
		pts = append(pts, chart.Point{Label: t("status." + x), Value: float64(counts[x])})
	}
	p.GroupTotal = len(gs)
	p.GroupsByStatus = chart.Bar(pts, chart.Options{Title: t("dashboard.groups_by_status"), Width: 440, Height: 250, Counts: true})

	if p.Pending, err = s.Registry.ListApplications(ctx, st.p, registry.ApplicationFilter{Status: registry.Submitted}); err != nil {
		return err
	}
	sort.SliceStable(p.Pending, func(i, j int) bool { return since(p.Pending[i]).Before(since(p.Pending[j])) })

	cs, err := s.Registry.Campaigns(ctx, st.p)
	if err != nil {
		return err
	}
	// Overdue: unanswered past the deadline of an open campaign, or left to
	// the default decision by a campaign closed in the last overdueDays.
	now := s.Now()
	for _, c := range cs {
		if c.Kind != registry.Recertification || !now.After(c.Deadline) || c.ClosedAt != nil && now.Sub(*c.ClosedAt) > overdueDays*24*time.Hour {
			continue
		}
		res, err := s.Registry.CampaignResults(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, rc := range res.Recerts {
			if rc.Decision == "" || rc.Defaulted {
				p.Overdue = append(p.Overdue, rc)
				p.OverdueDeadline[c.ID] = c.Deadline
			}
		}
	}

	if s.Review != nil {
		as, err := s.Review.Alerts(ctx, review.AlertFilter{Limit: dashboardAlerts})
		if err != nil {
			return err
		}
		by := map[string][]review.Alert{}
		for _, a := range as {
			by[a.Category] = append(by[a.Category], a)
			if a.Status != review.StatusResolved {
				p.OpenAlerts++
			}
		}
		for _, c := range alertCategories {
			p.AlertCharts = append(p.AlertCharts, categoryChart{Category: c, Total: len(by[c]),
				Chart: s.perDayLine(by[c], t("category."+c))})
		}
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func since(a registry.Application) time.Time {
	if a.StepSince != nil {
		return *a.StepSince
	}
	return a.UpdatedAt
}

// perDayLine charts alerts per day as a small line chart, one series among several.
func (s *Server) perDayLine(items []review.Alert, title string) template.HTML {
	pts := s.dayCounts(items, func(a review.Alert) time.Time { return a.FirstSeen })
	return chart.Line(pts, chart.Options{Title: title, Width: 340, Height: 150, Counts: true})
}
