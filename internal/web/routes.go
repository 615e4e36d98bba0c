package web

import (
	"fmt"

	. "charter/internal/account" // the role names read best unqualified in the table
	"charter/internal/httpapi"
)

// page is one console route: method, path, who may reach it, handler, and
// the navigation link it gets (none for forms' POST targets and detail pages).
type page struct {
	method, path string
	allow        httpapi.Access
	handle       handler
	nav          nav
}

// nav is a page's link in the side navigation: its message key and section.
type nav struct {
	label   string
	section section
}

// section groups navigation links; the order here is the order on screen.
type section int

const (
	secNone section = iota
	// secWork: home, and later my groups, applications, approvals.
	secWork
	// secOversight: later alerts, cases, archive search, dashboard.
	secOversight
	// secAdmin: users, org units, API tokens, audit trail (later connectors, settings).
	secAdmin
)

var sectionKeys = map[section]string{secWork: "nav.section.work", secOversight: "nav.section.oversight", secAdmin: "nav.section.admin"}

// asAPI is the access of an API route: a page that shows or changes what
// that route does admits exactly the roles the API admits, by construction.
func asAPI(route string) httpapi.Access {
	a, ok := httpapi.AccessOf(route)
	if !ok {
		panic(fmt.Sprintf("web: page declared as API route %q, which the API does not have", route))
	}
	return a
}

// routes is the console, read top to bottom. Every new page joins this table,
// and TestPageAccess walks it with every role.
func (s *Server) routes() []page {
	return []page{
		{"GET", "/static/{file...}", httpapi.Public(), s.static, nav{}},
		{"GET", "/login", httpapi.Public(), s.loginForm, nav{}},
		{"POST", "/login", httpapi.Public(), s.login, nav{}},
		{"POST", "/logout", asAPI("POST /api/v1/logout"), s.logout, nav{}},
		{"POST", "/lang", httpapi.Public(), s.setLang, nav{}},

		{"GET", "/{$}", httpapi.Roles(Member), s.home, nav{"nav.home", secWork}},
		{"GET", "/profile", asAPI("GET /api/v1/me"), s.profile, nav{}},

		// Later pages join here: /groups, /applications, /approvals (secWork),
		// /alerts, /cases, /search, /dashboard (secOversight), each as the API
		// route it shows.

		{"GET", "/users", asAPI("GET /api/v1/users"), s.users, nav{"nav.users", secAdmin}},
		{"GET", "/users/new", asAPI("POST /api/v1/users"), s.newUser, nav{}},
		{"POST", "/users", asAPI("POST /api/v1/users"), s.createUser, nav{}},
		{"GET", "/users/{username}", asAPI("GET /api/v1/users/{username}"), s.user, nav{}},
		{"POST", "/users/{username}", asAPI("PATCH /api/v1/users/{username}"), s.updateUser, nav{}},
		{"POST", "/users/{username}/deactivate", asAPI("POST /api/v1/users/{username}/deactivate"), s.deactivateUser, nav{}},

		// The org unit tree belongs to the directory: shown to whoever may read
		// the user list, changed by whoever may create units.
		{"GET", "/org-units", asAPI("GET /api/v1/users"), s.orgUnits, nav{"nav.org_units", secAdmin}},
		{"POST", "/org-units", asAPI("POST /api/v1/org-units"), s.createOrgUnit, nav{}},

		{"GET", "/tokens", asAPI("GET /api/v1/tokens"), s.tokens, nav{"nav.tokens", secAdmin}},
		{"POST", "/tokens", asAPI("POST /api/v1/tokens"), s.createToken, nav{}},
		{"POST", "/tokens/{id}/revoke", asAPI("POST /api/v1/tokens/{id}/revoke"), s.revokeToken, nav{}},

		{"GET", "/audit", asAPI("GET /api/v1/audit"), s.audit, nav{"nav.audit", secAdmin}},

		{"GET", "/", httpapi.Public(), s.notFound, nav{}},
	}
}
