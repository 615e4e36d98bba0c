package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

func reviewService(db store.DB) *review.Service {
	return &review.Service{Store: db, Tx: store.TxFor[review.TxStore](db), Now: time.Now}
}

func as(ctx context.Context, name string) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: name, Addr: "127.0.0.1"})
}

func finding(key, rule string, at time.Time) *review.Alert {
	g := int64(7)
	return &review.Alert{Key: key, Rule: rule, Category: "registry", Severity: "high", Status: review.StatusOpen, GroupID: &g,
		Platform: "wecom", RoomID: "room-1", Excerpt: "hello", Detail: map[string]any{"room_id": "room-1"},
		FirstSeen: at, LastSeen: at, CreatedAt: at, UpdatedAt: at}
}

func src(id string, at time.Time) review.Source {
	return review.Source{Platform: "wecom", RoomID: "room-1", SourceID: id, ArchiveID: 1, SentAt: at}
}

func TestAlertAggregation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		record := func(key, id string, at time.Time) (int64, bool, bool) {
			t.Helper()
			a := finding(key, "registry.unregistered_room", at)
			created, counted, err := db.RecordFinding(ctx, a, src(id, at))
			if err != nil {
				t.Fatal(err)
			}
			return a.ID, created, counted
		}
		id1, created, counted := record("k1", "m1", t0)
		if !created || !counted {
			t.Fatalf("first finding: created %v counted %v", created, counted)
		}
		id2, created, counted := record("k1", "m2", t0.Add(time.Minute))
		if id2 != id1 || created || !counted {
			t.Fatalf("same key: id %d (first %d) created %v counted %v", id2, id1, created, counted)
		}
		// The same message again (a batch delivered twice) changes nothing.
		if _, created, counted := record("k1", "m2", t0.Add(time.Minute)); created || counted {
			t.Fatalf("repeated source: created %v counted %v", created, counted)
		}
		id3, _, _ := record("k2", "m3", t0)
		if id3 == id1 {
			t.Fatal("another key joined the first alert")
		}
		a, err := db.Alert(ctx, id1)
		if err != nil {
			t.Fatal(err)
		}
		if a.Count != 2 || len(a.SourceIDs) != 2 || a.SourceIDs[0] != "m1" || a.SourceIDs[1] != "m2" ||
			!a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(time.Minute)) || *a.GroupID != 7 || a.Detail["room_id"] != "room-1" {
			t.Fatalf("aggregated alert: %+v", a)
		}
		// Once resolved, the key opens a new alert.
		a.Status, a.Disposition, a.Note = review.StatusResolved, review.NoAction, "seen"
		if err := db.UpdateAlertReview(ctx, a); err != nil {
			t.Fatal(err)
		}
		id4, created, _ := record("k1", "m4", t0.Add(time.Hour))
		if !created || id4 == id1 {
			t.Fatalf("after resolution: id %d created %v", id4, created)
		}
		// Listing: newest first, filters, keyset pages.
		all, err := db.Alerts(ctx, review.AlertFilter{Limit: 10})
		if err != nil || len(all) != 3 || all[0].ID != id4 || all[2].ID != id1 {
			t.Fatalf("list: %v %+v", err, all)
		}
		open, _ := db.Alerts(ctx, review.AlertFilter{Status: review.StatusOpen, Limit: 10})
		if len(open) != 2 {
			t.Fatalf("open alerts: %d", len(open))
		}
		p1, _ := db.Alerts(ctx, review.AlertFilter{Limit: 2})
		p2, _ := db.Alerts(ctx, review.AlertFilter{Limit: 2, Before: p1[1].ID})
		if len(p1) != 2 || len(p2) != 1 || p2[0].ID != id1 {
			t.Fatalf("pages: %+v / %+v", p1, p2)
		}
		if g, _ := db.Alerts(ctx, review.AlertFilter{GroupID: 8, Limit: 10}); len(g) != 0 {
			t.Fatalf("group filter: %d", len(g))
		}
		srcs, err := db.AlertSources(ctx, id1, 1)
		if err != nil || len(srcs) != 1 || srcs[0].SourceID != "m2" || srcs[0].RoomID != "room-1" {
			t.Fatalf("newest source: %v %+v", err, srcs)
		}
	})
}

func TestAlertSourcesListBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		var id int64
		err := db.Tx(ctx, func(tx store.DB) error {
			for i := 0; i < review.MaxListedSources+5; i++ {
				a := finding("busy-room", "registry.unregistered_room", t0)
				if _, _, err := tx.RecordFinding(ctx, a, src("m"+strconv.Itoa(i), t0)); err != nil {
					return err
				}
				id = a.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.Alert(ctx, id)
		if err != nil || a.Count != int64(review.MaxListedSources+5) || len(a.SourceIDs) != review.MaxListedSources {
			t.Fatalf("busy alert: %v count %d listed %d", err, a.Count, len(a.SourceIDs))
		}
	})
}

func TestClaimResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		acc := accounts(db)
		for _, u := range []string{"rev.a", "rev.b"} {
			if _, err := acc.CreateUser(ctx, account.NewUser{Username: u, RealName: u, Roles: []account.Grant{{Role: account.Reviewer}}}); err != nil {
				t.Fatal(err)
			}
		}
		svc := reviewService(db)
		now := time.Now().UTC()
		a := finding("k", "pii.resident_id", now)
		if _, _, err := db.RecordFinding(ctx, a, src("m1", now)); err != nil {
			t.Fatal(err)
		}
		ra, rb := as(ctx, "rev.a"), as(ctx, "rev.b")
		// Resolving needs the claim.
		if _, err := svc.Resolve(ra, a.ID, review.Resolution{Disposition: review.NoAction, Note: "ok"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("resolve unclaimed: %v", err)
		}
		if _, err := svc.Claim(ra, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Claim(ra, a.ID); err != nil {
			t.Fatalf("claiming one's own claim again: %v", err)
		}
		if _, err := svc.Claim(rb, a.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("claim taken: %v", err)
		}
		if _, err := svc.Resolve(rb, a.ID, review.Resolution{Disposition: review.NoAction, Note: "mine now"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("resolve another's claim: %v", err)
		}
		// A note is required and the disposition must be known.
		if _, err := svc.Resolve(ra, a.ID, review.Resolution{Disposition: review.NoAction, Note: "  "}); !isField(err, "note") {
			t.Fatalf("no note: %v", err)
		}
		if _, err := svc.Resolve(ra, a.ID, review.Resolution{Disposition: "ignored", Note: "x"}); !isField(err, "disposition") {
			t.Fatalf("bad disposition: %v", err)
		}
		if _, err := svc.Resolve(ra, a.ID, review.Resolution{Disposition: review.Reminded, Note: "x", CaseID: new(int64)}); !isField(err, "case_id") {
			t.Fatalf("case for a non-escalation: %v", err)
		}
		got, err := svc.Resolve(rb, a.ID, review.Resolution{Disposition: review.Reminded, Note: "told the group admin", Reassign: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != review.StatusResolved || got.Assignee != "rev.b" || got.ResolvedBy != "rev.b" || got.Disposition != review.Reminded {
			t.Fatalf("resolved: %+v", got)
		}
		stored, _ := db.Alert(ctx, a.ID)
		if stored.Status != review.StatusResolved || stored.Note != "told the group admin" || stored.ResolvedAt == nil || stored.ClaimedAt == nil {
			t.Fatalf("stored: %+v", stored)
		}
		if _, err := svc.Claim(ra, a.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("claim resolved: %v", err)
		}
		es, _ := db.AuditEvents(ctx, audit.Filter{Object: "alert:" + itoa(a.ID), Limit: 10})
		if len(es) != 2 || es[0].Action != "alert.resolve" || !contains(es[0].Summary, `"reassigned_from":"rev.a"`) || es[1].Action != "alert.claim" {
			t.Fatalf("audit: %+v", es)
		}
	})
}

func TestCaseFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		acc := accounts(db)
		for _, u := range []string{"rev.a", "rev.b"} {
			if _, err := acc.CreateUser(ctx, account.NewUser{Username: u, RealName: u, Roles: []account.Grant{{Role: account.Reviewer}}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := acc.CreateUser(ctx, account.NewUser{Username: "aud", RealName: "aud", Roles: []account.Grant{{Role: account.Auditor}}}); err != nil {
			t.Fatal(err)
		}
		svc := reviewService(db)
		ra := as(ctx, "rev.a")
		now := time.Now().UTC()
		var ids []int64
		for i, key := range []string{"k1", "k2"} {
			a := finding(key, "marking.confidential", now)
			if _, _, err := db.RecordFinding(ctx, a, src("m"+itoa(int64(i)), now)); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
			if _, err := svc.Claim(ra, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		// Escalating without a case opens one; the second joins it.
		a1, err := svc.Resolve(ra, ids[0], review.Resolution{Disposition: review.Escalated, Note: "document leaked", CaseTitle: "Leak of the budget"})
		if err != nil || a1.CaseID == nil {
			t.Fatalf("escalate: %v %+v", err, a1)
		}
		caseID := *a1.CaseID
		if _, err := svc.Resolve(ra, ids[1], review.Resolution{Disposition: review.Escalated, Note: "same leak", CaseID: &caseID}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNote(ra, caseID, "asked the group admin for the sender's account"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Assign(ra, caseID, "aud"); !isField(err, "assignee") {
			t.Fatalf("assign to a non-reviewer: %v", err)
		}
		if _, err := svc.Assign(ra, caseID, "rev.b"); err != nil {
			t.Fatal(err)
		}
		c, err := svc.CaseDetail(ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "Leak of the budget" || c.Assignee != "rev.b" || len(c.Alerts) != 2 || len(c.Notes) != 1 || len(c.Messages) != 2 ||
			c.Notes[0].Author != "rev.a" || c.Messages[0].SourceID != "m0" {
			t.Fatalf("case: %+v", c)
		}
		if _, err := svc.Close(as(ctx, "rev.b"), caseID, ""); !isField(err, "resolution") {
			t.Fatalf("close without resolution: %v", err)
		}
		if _, err := svc.Close(as(ctx, "rev.b"), caseID, "handed to the security office"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNote(ra, caseID, "late"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("note on a closed case: %v", err)
		}
		if _, err := svc.Close(ra, caseID, "again"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("close twice: %v", err)
		}
		// A closed case takes no more escalations.
		a := finding("k3", "marking.confidential", now)
		db.RecordFinding(ctx, a, src("m9", now))
		svc.Claim(ra, a.ID)
		if _, err := svc.Resolve(ra, a.ID, review.Resolution{Disposition: review.Escalated, Note: "x", CaseID: &caseID}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("escalate into a closed case: %v", err)
		}
		// Manual case, listing.
		if _, err := svc.CreateCase(ra, review.NewCase{Title: "Vote buying in the union election", Note: "from a tip"}); err != nil {
			t.Fatal(err)
		}
		open, err := svc.Cases(ctx, review.CaseFilter{Status: review.CaseOpen})
		if err != nil || len(open) != 1 || open[0].Assignee != "rev.a" {
			t.Fatalf("open cases: %v %+v", err, open)
		}
		es, _ := db.AuditEvents(ctx, audit.Filter{Object: "case:" + itoa(caseID), Limit: 20})
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		want := "case.close case.assign case.note case.add_alert case.create"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("case audit: %s, want %s", got, want)
		}
	})
}

func TestDetectionPolicyRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := as(context.Background(), "officer")
		tx := store.TxFor[review.TxStore](db)
		p, err := review.NewPolicies(ctx, db, tx, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if _, v := p.Config(); v != 0 {
			t.Fatalf("fresh version %d", v)
		}
		pol := detect.Policy{Enabled: true, Severity: "critical", Thresholds: map[string]int64{"min_amount_fen": 10000},
			Scope: detect.Scope{Levels: []string{"sensitive"}, OrgUnits: []string{"财务处"}}}
		if err := p.SetRule(ctx, "transfer.large_amount", pol); err != nil {
			t.Fatal(err)
		}
		if err := p.PutLexicon(ctx, "", detect.Lexicon{Name: "项目代号", Terms: []string{"天穹计划", "Apollo"}, Severity: "high"}, true); err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		if err := p.PutPeriod(ctx, "", detect.Period{Name: "工会换届选举", From: from, To: from.AddDate(0, 0, 14), OrgUnits: []string{"市政府"}}, true); err != nil {
			t.Fatal(err)
		}
		// A second instance (another server) reads what was stored.
		q, err := review.NewPolicies(ctx, db, tx, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		cfg, v := q.Config()
		if v != 3 {
			t.Fatalf("version %d, want 3", v)
		}
		got := cfg.Rules["transfer.large_amount"]
		if got.Severity != "critical" || got.Thresholds["min_amount_fen"] != 10000 || got.Scope.Levels[0] != "sensitive" || got.Scope.OrgUnits[0] != "财务处" {
			t.Fatalf("rule: %+v", got)
		}
		if len(cfg.Lexicons) != 1 || cfg.Lexicons[0].Terms[0] != "天穹计划" || len(cfg.Periods) != 1 || !cfg.Periods[0].From.Equal(from) {
			t.Fatalf("config: %+v", cfg)
		}
		// A stale writer is refused rather than silently overwriting.
		if err := db.SaveDetectionConfig(ctx, cfg, 1, time.Now(), "x"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale save: %v", err)
		}
		// Invalid settings are refused naming the field, and nothing changes.
		if err := p.SetRule(ctx, "pii.resident_id", detect.Policy{Enabled: true, Severity: "urgent"}); !isField(err, "rules.pii.resident_id.severity") {
			t.Fatalf("bad severity: %v", err)
		}
		if err := p.SetRule(ctx, "no.such_rule", detect.Policy{}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown rule: %v", err)
		}
		if err := p.PutLexicon(ctx, "", detect.Lexicon{Name: "empty"}, true); !isField(err, "lexicons[1].terms") {
			t.Fatalf("empty lexicon: %v", err)
		}
		// Opinions are out of scope: a lexicon that would flag them is refused.
		if err := p.PutLexicon(ctx, "", detect.Lexicon{Name: "watch", Terms: []string{"房价", "democracy"}}, true); !isField(err, "lexicons[1].terms") {
			t.Fatalf("opinion lexicon: %v", err)
		}
		if err := p.PutPeriod(ctx, "工会换届选举", detect.Period{From: from, To: from}, false); !isField(err, "periods[0].to") {
			t.Fatalf("empty period: %v", err)
		}
		if err := p.DeleteLexicon(ctx, "项目代号"); err != nil {
			t.Fatal(err)
		}
		if err := p.DeletePeriod(ctx, "nope"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("delete unknown period: %v", err)
		}
		if _, v := p.Config(); v != 4 {
			t.Fatalf("version after refusals and one delete: %d", v)
		}
		es, _ := db.AuditEvents(ctx, audit.Filter{Actor: "officer", Limit: 20})
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != "detection.lexicon.delete detection.period.create detection.lexicon.create detection.rule.update" {
			t.Fatalf("policy audit: %s", got)
		}
	})
}

func isField(err error, field string) bool {
	e, ok := err.(*errs.Error)
	return ok && e.Kind == errs.Invalid && e.Field == field
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Scanners on several servers may record the same key at once: they must end
// with one alert counting every message, and concurrent claims with one winner.
func TestAlertConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		const n = 8
		errc := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				errc <- db.Tx(ctx, func(tx store.DB) error {
					_, _, err := tx.RecordFinding(ctx, finding("hot-key", "registry.unregistered_room", now), src("m"+strconv.Itoa(i), now))
					return err
				})
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.Alerts(ctx, review.AlertFilter{Limit: 10})
		if err != nil || len(list) != 1 || list[0].Count != n || len(list[0].SourceIDs) != n {
			t.Fatalf("concurrent findings: %v %+v", err, list)
		}
		acc := accounts(db)
		svc := reviewService(db)
		wins := make(chan error, n)
		for i := 0; i < n; i++ {
			name := "rev" + strconv.Itoa(i)
			if _, err := acc.CreateUser(ctx, account.NewUser{Username: name, RealName: name, Roles: []account.Grant{{Role: account.Reviewer}}}); err != nil {
				t.Fatal(err)
			}
			go func() {
				_, err := svc.Claim(as(ctx, name), list[0].ID)
				wins <- err
			}()
		}
		ok := 0
		for i := 0; i < n; i++ {
			err := <-wins
			switch {
			case err == nil:
				ok++
			case !errs.Is(err, errs.Conflict):
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d reviewers won the claim", ok)
		}
	})
}

// A report's alert figures come from one grouped query: by category and
// disposition (status while unresolved), for alerts first seen in the period.
func TestAlertFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 10, 10, 9, 0, 0, 0, time.UTC)
		group := int64(7)
		for i, c := range []struct {
			rule, category string
			at             time.Time
			disposition    string
		}{
			{"pii.resident_id", "pii", t0, ""},
			{"pii.bank_card", "pii", t0.Add(time.Hour), "no_action"},
			{"marking.secret", "marking", t0.Add(2 * time.Hour), "reminded"},
			{"marking.secret", "marking", t0.AddDate(0, 1, 0), ""}, // the next month
		} {
			a := finding(fmt.Sprintf("k%d", i), c.rule, c.at)
			a.Category, a.GroupID = c.category, &group
			if _, _, err := db.RecordFinding(ctx, a, review.Source{Platform: "wecom", RoomID: "r", SourceID: fmt.Sprint("m", i), ArchiveID: int64(i + 1), SentAt: c.at}); err != nil {
				t.Fatal(err)
			}
			if c.disposition != "" {
				a.Status, a.Disposition = review.StatusResolved, c.disposition
				if err := db.UpdateAlertReview(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := db.AlertFigures(ctx, group, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || got["pii"]["open"] != 1 || got["pii"]["no_action"] != 1 || got["marking"]["reminded"] != 1 || len(got["marking"]) != 1 {
			t.Fatalf("figures: %v %v", got, err)
		}
	})
}
