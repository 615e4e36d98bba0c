// Package accounttest gives tests of the services one caller of every kind.
package accounttest

import "charter/internal/account"

// Callers are one principal per role and per token scope, and nil, the
// operator at the command line, by name: a test of a service read walks
// them all and checks each is admitted exactly as the API's route is.
func Callers() map[string]*account.Principal {
	user := func(rs ...account.Role) *account.Principal {
		u := &account.User{Username: "u", Active: true}
		for _, r := range rs {
			u.Roles = append(u.Roles, account.Grant{Role: r})
		}
		return &account.Principal{User: u}
	}
	token := func(s account.Scope) *account.Principal {
		return &account.Principal{Token: &account.Token{Name: "t", Scope: s}}
	}
	return map[string]*account.Principal{
		"operator":         nil,
		"admin":            user(account.Admin),
		"security_officer": user(account.SecurityOfficer),
		"reviewer":         user(account.Reviewer),
		"auditor":          user(account.Auditor),
		"member":           user(),
		"token-ingest":     token(account.ScopeIngest),
		"token-read":       token(account.ScopeRead),
		"token-admin":      token(account.ScopeAdmin),
	}
}
