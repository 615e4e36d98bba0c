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
	// secOversight: dashboard, alerts, cases, message search, statement templates.
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

		// The registry. Pages open to members rely on the service for the
		// object check, as the API does: only the applicant withdraws, only the
		// holder of the current step decides, only the responsible person signs.
		{"GET", "/groups", asAPI("GET /api/v1/groups"), s.groups, nav{"nav.groups", secWork}},
		{"GET", "/groups/{id}", asAPI("GET /api/v1/groups/{id}"), s.group, nav{}},
		{"POST", "/groups/{id}/sign", asAPI("POST /api/v1/groups/{id}/statement"), s.signStatement, nav{}},
		{"POST", "/groups/{id}/bind", asAPI("POST /api/v1/groups/{id}/bindings"), s.bindGroup, nav{}},
		{"GET", "/applications", asAPI("GET /api/v1/applications"), s.applications, nav{"nav.applications", secWork}},
		// Reports: a responsible person sees and fills their groups' reports,
		// security officers and auditors read all (report.Service decides).
		// Downloads are the API's own routes, linked from the pages.
		{"GET", "/reports", asAPI("GET /api/v1/reports"), s.reports, nav{"nav.reports", secWork}},
		{"GET", "/reports/{id}", asAPI("GET /api/v1/reports/{id}"), s.reportDetail, nav{}},
		{"POST", "/reports/{id}/draft", asAPI("PUT /api/v1/reports/{id}/draft"), s.saveReport, nav{}},
		{"POST", "/reports/{id}/file", asAPI("POST /api/v1/reports/{id}/file"), s.fileReport, nav{}},
		{"GET", "/applications/new", asAPI("POST /api/v1/applications"), s.newApplication, nav{"nav.apply", secWork}},
		{"POST", "/applications", asAPI("POST /api/v1/applications"), s.apply, nav{}},
		{"GET", "/applications/{id}", asAPI("GET /api/v1/applications/{id}"), s.application, nav{}},
		{"GET", "/applications/{id}/edit", asAPI("PUT /api/v1/applications/{id}"), s.editApplication, nav{}},
		{"POST", "/applications/{id}/edit", asAPI("POST /api/v1/applications/{id}/submit"), s.resubmit, nav{}},
		{"POST", "/applications/{id}/withdraw", asAPI("POST /api/v1/applications/{id}/withdraw"), s.withdrawApplication, nav{}},
		{"POST", "/applications/{id}/decision", asAPI("POST /api/v1/applications/{id}/decision"), s.decide, nav{}},
		{"GET", "/approvals", asAPI("POST /api/v1/applications/{id}/decision"), s.approvals, nav{"nav.approvals", secWork}},
		{"GET", "/campaigns/{id}", asAPI("GET /api/v1/campaigns/{id}/tasks"), s.campaign, nav{}},
		{"POST", "/campaigns/{id}/recertify", asAPI("POST /api/v1/campaigns/{id}/recertifications"), s.recertify, nav{}},
		{"POST", "/campaigns/{id}/declare", asAPI("POST /api/v1/campaigns/{id}/declarations"), s.declare, nav{}},
		// The dashboard shows the register and the alert figures together:
		// the roles that read both (not admin, who reads no alerts).
		{"GET", "/dashboard", httpapi.Roles(SecurityOfficer, Auditor), s.dashboard, nav{"nav.dashboard", secOversight}},

		// Review. Reading the messages around an alert is a POST: it is audited.
		{"GET", "/alerts", asAPI("GET /api/v1/alerts"), s.alerts, nav{"nav.alerts", secOversight}},
		{"GET", "/alerts/{id}", asAPI("GET /api/v1/alerts/{id}"), s.alert, nav{}},
		{"POST", "/alerts/{id}/context", asAPI("GET /api/v1/alerts/{id}/context"), s.alertContext, nav{}},
		{"POST", "/alerts/{id}/claim", asAPI("POST /api/v1/alerts/{id}/claim"), s.claimAlert, nav{}},
		{"POST", "/alerts/{id}/resolve", asAPI("POST /api/v1/alerts/{id}/resolve"), s.resolveAlert, nav{}},
		{"GET", "/cases", asAPI("GET /api/v1/cases"), s.cases, nav{"nav.cases", secOversight}},
		// Archive search: every search is audited by the archive service.
		{"GET", "/search", asAPI("GET /api/v1/messages"), s.search, nav{"nav.search", secOversight}},
		{"POST", "/search", asAPI("GET /api/v1/messages"), s.search, nav{}},
		{"POST", "/cases", asAPI("POST /api/v1/cases"), s.createCase, nav{}},
		{"GET", "/cases/{id}", asAPI("GET /api/v1/cases/{id}"), s.caseDetail, nav{}},
		{"POST", "/cases/{id}/notes", asAPI("POST /api/v1/cases/{id}/notes"), s.caseAction(addNote, "body", "note_added"), nav{}},
		{"POST", "/cases/{id}/assign", asAPI("POST /api/v1/cases/{id}/assign"), s.caseAction(assignCase, "assignee", "assigned"), nav{}},
		{"POST", "/cases/{id}/close", asAPI("POST /api/v1/cases/{id}/close"), s.caseAction(closeCase, "resolution", "case_closed"), nav{}},
		// Statement templates: security officers publish new versions.
		{"GET", "/statement-templates", asAPI("POST /api/v1/statement-templates"), s.statementTemplates, nav{"nav.templates", secOversight}},
		{"POST", "/statement-templates", asAPI("POST /api/v1/statement-templates"), s.publishTemplate, nav{}},
		// The paperwork: reports past due and the registration roster.
		{"GET", "/reports/overdue", asAPI("GET /api/v1/reports/overdue"), s.overdueReports, nav{"nav.overdue_reports", secOversight}},
		{"GET", "/roster", asAPI("GET /api/v1/roster.csv"), s.roster, nav{"nav.roster", secOversight}},

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
