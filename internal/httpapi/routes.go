package httpapi

import (
	. "charter/internal/account" // the role names read best unqualified in the table
)

// routes is the API, read top to bottom: method, path, who may call it, handler.
// Every new route joins this table, and TestRouteAccess walks it.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", public(), s.healthz},
		{"GET", "/metrics", public(), s.metrics},

		{"POST", "/api/v1/login", public(), s.login},
		{"POST", "/api/v1/logout", roles(Member), s.logout},
		{"GET", "/api/v1/me", roles(Member), s.me},

		{"GET", "/api/v1/org-units", roles(Member, Auditor, Admin), s.listOrgUnits},
		{"POST", "/api/v1/org-units", roles(Admin), s.createOrgUnit},

		{"GET", "/api/v1/users", roles(Admin, Auditor, SecurityOfficer), s.listUsers},
		{"POST", "/api/v1/users", roles(Admin), s.createUser},
		{"POST", "/api/v1/users/import", roles(Admin), s.importUsers},
		{"GET", "/api/v1/users/{username}", roles(Admin, Auditor, SecurityOfficer), s.getUser},
		{"PATCH", "/api/v1/users/{username}", roles(Admin), s.patchUser},
		{"POST", "/api/v1/users/{username}/deactivate", roles(Admin), s.deactivateUser},

		{"GET", "/api/v1/tokens", roles(Admin), s.listTokens},
		{"POST", "/api/v1/tokens", roles(Admin), s.createToken},
		{"POST", "/api/v1/tokens/{id}/revoke", roles(Admin), s.revokeToken},

		{"GET", "/api/v1/audit", roles(Admin, Auditor), s.listAudit},

		// Capture: machines deliver with an ingest token; an admin may too.
		{"POST", "/api/v1/ingest/messages", roles(Ingest, Admin), s.ingestMessages},
		{"POST", "/api/v1/ingest/wecom", roles(Ingest, Admin), s.ingestWeCom},
		{"POST", "/api/v1/imports/{format}", roles(Ingest, Admin), s.importFile},
		{"GET", "/api/v1/quarantine", roles(Admin), s.listQuarantine},
		{"POST", "/api/v1/quarantine/{id}/reprocess", roles(Admin), s.reprocessQuarantine},

		// Archive reads are audited. Admin is left out on purpose: running the
		// system does not need reading the messages (separation of duties).
		{"GET", "/api/v1/messages", roles(SecurityOfficer, Reviewer, Auditor), s.searchMessages},
		{"POST", "/api/v1/exports", roles(SecurityOfficer, Auditor), s.createExport},
		{"GET", "/api/v1/legal-holds", roles(SecurityOfficer, Auditor), s.listHolds},
		{"POST", "/api/v1/legal-holds", roles(SecurityOfficer), s.placeHold},
		{"POST", "/api/v1/legal-holds/{id}/release", roles(SecurityOfficer), s.releaseHold},
	}
}
