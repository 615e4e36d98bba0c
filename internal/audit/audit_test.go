package audit_test

import (
	"context"
	"testing"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
)

type events []audit.Event

func (es events) AuditEvents(context.Context, audit.Filter) ([]audit.Event, error) { return es, nil }

// TestEventsChecksTheReader: the trail is read by admins and auditors (and
// a read token, which acts as an auditor), as the API's GET /api/v1/audit
// admits; anyone else is refused as Forbidden.
func TestEventsChecksTheReader(t *testing.T) {
	s := &audit.Service{Store: events{{Seq: 1, Action: "login.success"}}}
	user := func(rs ...account.Role) *account.Principal {
		u := &account.User{Username: "u", Active: true}
		for _, r := range rs {
			u.Roles = append(u.Roles, account.Grant{Role: r})
		}
		return &account.Principal{User: u}
	}
	token := func(sc account.Scope) *account.Principal {
		return &account.Principal{Token: &account.Token{Name: "t", Scope: sc}}
	}
	cases := []struct {
		name   string
		reader audit.Reader
		ok     bool
	}{
		{"operator", nil, true},
		{"operator principal", (*account.Principal)(nil), true},
		{"admin", user(account.Admin), true},
		{"auditor", user(account.Auditor), true},
		{"security officer", user(account.SecurityOfficer), false},
		{"reviewer", user(account.Reviewer), false},
		{"member", user(), false},
		{"read token", token(account.ScopeRead), true},
		{"admin token", token(account.ScopeAdmin), true},
		{"ingest token", token(account.ScopeIngest), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es, err := s.Events(context.Background(), c.reader, audit.Filter{})
			switch {
			case c.ok && (err != nil || len(es) != 1):
				t.Fatalf("got %v %v, want the event", es, err)
			case !c.ok && !errs.Is(err, errs.Forbidden):
				t.Fatalf("got %v, want forbidden", err)
			}
		})
	}
}
