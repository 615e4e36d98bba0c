package cli

import "testing"

// TestReviewEndToEnd checks that charter serve wires detection policy and
// review: a policy change survives a restart, and the queues answer.
func TestReviewEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine)
		admin := in.login("admin", testAdminPassword)
		for _, u := range []map[string]any{
			{"username": "bao.mi", "password": "officer-password", "real_name": "保密员", "roles": []map[string]string{{"role": "security_officer"}}},
			{"username": "shen.he", "password": "reviewer-password", "real_name": "审核员", "roles": []map[string]string{{"role": "reviewer"}}},
		} {
			if code := in.call("POST", "/api/v1/users", admin, u, nil); code != 201 {
				t.Fatalf("create %v: %d", u["username"], code)
			}
		}
		officer := in.login("bao.mi", "officer-password")
		reviewer := in.login("shen.he", "reviewer-password")
		if code := in.call("GET", "/api/v1/alerts", admin, nil, nil); code != 403 {
			t.Fatalf("admin reads alerts: %d, want 403", code)
		}
		if code := in.call("POST", "/api/v1/detection/lexicons", officer, map[string]any{"name": "项目代号", "terms": []string{"天穹计划"}, "severity": "high"}, nil); code != 201 {
			t.Fatalf("create lexicon: %d", code)
		}
		var alerts struct{ Items []any }
		if code := in.call("GET", "/api/v1/alerts?status=open", reviewer, nil, &alerts); code != 200 || len(alerts.Items) != 0 {
			t.Fatalf("alerts: %d %+v", code, alerts)
		}
		in.stop()

		// Restarted on the same database, the lexicon is in force.
		again := startCharter(t, engine, in.args...)
		officer = again.login("bao.mi", "officer-password")
		var rules struct {
			Items []struct {
				ID     string `json:"id"`
				Policy struct {
					Severity string `json:"severity"`
				} `json:"policy"`
			}
		}
		if code := again.call("GET", "/api/v1/detection/rules", officer, nil, &rules); code != 200 {
			t.Fatalf("rules: %d", code)
		}
		last := rules.Items[len(rules.Items)-1]
		if last.ID != "lexicon.项目代号" || last.Policy.Severity != "high" {
			t.Fatalf("lexicon rule after restart: %+v", last)
		}
	})
}
