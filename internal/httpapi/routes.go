package httpapi

import (
	. "charter/internal/account" // the role names read best unqualified in the table
)

// routeTable is the API, read top to bottom: method, path, who may call it,
// handler. Every new route joins this table, and TestRouteAccess walks it.
// It is a value of the package, not of a Server, so that the console can
// read who may call what (AccessOf) without a server to ask.
var routeTable = []route{
	{"GET", "/healthz", public(), (*Server).healthz},

	// The Matrix homeserver pushes its events (the legacy path for older
	// servers); wrap checks its hs_token.
	{"PUT", "/_matrix/app/v1/transactions/{txnId}", homeserver(), (*Server).matrixTransaction},
	{"PUT", "/transactions/{txnId}", homeserver(), (*Server).matrixTransaction},
	// WeCom's callbacks, signed with the callback token (checked in the
	// service: a bad signature is 403).
	{"GET", "/api/v1/wecom/callback", public(), (*Server).wecomVerify},
	{"POST", "/api/v1/wecom/callback", public(), (*Server).wecomCallback},
	// Enforcement on the homeserver for unregistered rooms; the service
	// lets only a security officer change it.
	{"GET", "/api/v1/matrix/enforcement", roles(SecurityOfficer, Auditor, Admin), (*Server).getEnforcement},
	{"PUT", "/api/v1/matrix/enforcement", roles(SecurityOfficer), (*Server).setEnforcement},
	{"GET", "/metrics", metricsAccess(), (*Server).metrics},

	{"POST", "/api/v1/login", public(), (*Server).login},
	{"POST", "/api/v1/logout", roles(Member), (*Server).logout},
	{"GET", "/api/v1/me", roles(Member), (*Server).me},

	{"GET", "/api/v1/org-units", roles(Member, Auditor, Admin), (*Server).listOrgUnits},
	{"POST", "/api/v1/org-units", roles(Admin), (*Server).createOrgUnit},

	{"GET", "/api/v1/users", roles(Admin, Auditor, SecurityOfficer), (*Server).listUsers},
	{"POST", "/api/v1/users", roles(Admin), (*Server).createUser},
	{"POST", "/api/v1/users/import", roles(Admin), (*Server).importUsers},
	{"GET", "/api/v1/users/{username}", roles(Admin, Auditor, SecurityOfficer), (*Server).getUser},
	{"PATCH", "/api/v1/users/{username}", roles(Admin), (*Server).patchUser},
	{"POST", "/api/v1/users/{username}/deactivate", roles(Admin), (*Server).deactivateUser},

	{"GET", "/api/v1/tokens", roles(Admin), (*Server).listTokens},
	{"POST", "/api/v1/tokens", roles(Admin), (*Server).createToken},
	{"POST", "/api/v1/tokens/{id}/revoke", roles(Admin), (*Server).revokeToken},

	{"GET", "/api/v1/audit", roles(Admin, Auditor), (*Server).listAudit},

	// Capture: machines deliver with an ingest token; an admin may too.
	{"POST", "/api/v1/ingest/messages", roles(Ingest, Admin), (*Server).ingestMessages},
	{"POST", "/api/v1/ingest/wecom", roles(Ingest, Admin), (*Server).ingestWeCom},
	{"POST", "/api/v1/imports/{format}", roles(Ingest, Admin), (*Server).importFile},
	// An attachment's bytes, named by their SHA-256; messages reference it.
	{"PUT", "/api/v1/attachments/{sha256}", roles(Ingest, Admin), (*Server).putAttachment},
	// Quarantined records are raw message content, possibly of rooms that
	// are not registered: only security officers read (audited) and correct them.
	{"GET", "/api/v1/quarantine", roles(SecurityOfficer), tokenGet((*Server).listQuarantine)},
	{"POST", "/api/v1/quarantine/list", roles(SecurityOfficer), (*Server).listQuarantine},
	{"POST", "/api/v1/quarantine/{id}/reprocess", roles(SecurityOfficer), (*Server).reprocessQuarantine},

	// Archive reads are audited. Admin is left out on purpose: running the
	// system does not need reading the messages (separation of duties).
	// Audited reads: a signed-in browser POSTs them (a link from another
	// site must not make one); a bearer token may GET.
	{"GET", "/api/v1/messages", roles(SecurityOfficer, Reviewer, Auditor), tokenGet((*Server).searchMessages)},
	{"POST", "/api/v1/messages/search", roles(SecurityOfficer, Reviewer, Auditor), (*Server).searchMessages},
	{"POST", "/api/v1/exports", roles(SecurityOfficer, Auditor), (*Server).createExport},
	{"GET", "/api/v1/legal-holds", roles(SecurityOfficer, Auditor), (*Server).listHolds},
	{"POST", "/api/v1/legal-holds", roles(SecurityOfficer), (*Server).placeHold},
	{"POST", "/api/v1/legal-holds/{id}/release", roles(SecurityOfficer), (*Server).releaseHold},
	// Registry. Routes open to members check the object in the service:
	// a member reads their own applications and groups, only the holder of
	// the current step decides, only the responsible person signs.
	{"POST", "/api/v1/applications", roles(Member), (*Server).apply},
	{"GET", "/api/v1/applications", roles(Member, Auditor), (*Server).listApplications},
	{"GET", "/api/v1/applications/{id}", roles(Member, Auditor), (*Server).getApplication},
	{"PUT", "/api/v1/applications/{id}", roles(Member), (*Server).editApplication},
	{"POST", "/api/v1/applications/{id}/submit", roles(Member), (*Server).submitApplication},
	{"POST", "/api/v1/applications/{id}/withdraw", roles(Member), (*Server).withdrawApplication},
	{"POST", "/api/v1/applications/{id}/decision", roles(Approver, SecurityOfficer), (*Server).decideApplication},

	{"GET", "/api/v1/approval-chains", roles(SecurityOfficer, Admin, Auditor), (*Server).listApprovalChains},
	{"PUT", "/api/v1/approval-chains", roles(SecurityOfficer, Admin), (*Server).setApprovalChain},
	{"DELETE", "/api/v1/approval-chains/{org_unit}/{level}", roles(SecurityOfficer, Admin), (*Server).deleteApprovalChain},

	{"GET", "/api/v1/groups", roles(Member, Auditor), (*Server).listGroups},
	{"GET", "/api/v1/groups/{id}", roles(Member, Auditor), (*Server).getGroup},
	{"GET", "/api/v1/groups/{id}/statement", roles(Member, Auditor), (*Server).getStatement},
	{"POST", "/api/v1/groups/{id}/statement", roles(Member), (*Server).signStatement},
	{"POST", "/api/v1/groups/{id}/bindings", roles(Member), (*Server).bindGroup},
	{"GET", "/api/v1/groups/{id}/members", roles(Member, Auditor), (*Server).memberTimeline},
	{"GET", "/api/v1/groups/{id}/room-members", roles(Member, Auditor), (*Server).roomMembers},
	{"GET", "/api/v1/rooms", roles(Admin, Auditor, SecurityOfficer), (*Server).listRooms},
	{"POST", "/api/v1/groups/{id}/members", roles(Member), (*Server).addMember},
	{"POST", "/api/v1/groups/{id}/members/{member}/leave", roles(Member), (*Server).removeMember},
	{"POST", "/api/v1/groups/{id}/dissolve", roles(Member), (*Server).dissolveGroup},
	{"GET", "/api/v1/roster.csv", roles(SecurityOfficer, Auditor, Reviewer, Admin), roster("csv")},
	{"GET", "/api/v1/roster.xlsx", roles(SecurityOfficer, Auditor, Reviewer, Admin), roster("xlsx")},
	{"GET", "/api/v1/roster.pdf", roles(SecurityOfficer, Auditor, Reviewer, Admin), roster("pdf")},

	{"GET", "/api/v1/users/{username}/handles", roles(Admin, Auditor, SecurityOfficer), (*Server).listHandles},
	{"POST", "/api/v1/users/{username}/handles", roles(Admin, SecurityOfficer), (*Server).addHandle},

	{"GET", "/api/v1/statement-templates", roles(Member, Auditor), (*Server).listTemplates},
	{"POST", "/api/v1/statement-templates", roles(SecurityOfficer), (*Server).publishTemplate},

	{"GET", "/api/v1/campaigns", roles(Member, Auditor), (*Server).listCampaigns},
	{"POST", "/api/v1/campaigns", roles(SecurityOfficer), (*Server).startCampaign},
	{"GET", "/api/v1/campaigns/{id}/tasks", roles(Member), (*Server).campaignTasks},
	{"GET", "/api/v1/campaigns/{id}/results", roles(SecurityOfficer, Auditor, Admin), (*Server).campaignResults},
	{"POST", "/api/v1/campaigns/{id}/recertifications", roles(Member), (*Server).recertify},
	{"POST", "/api/v1/campaigns/{id}/declarations", roles(Member), (*Server).declare},

	{"GET", "/api/v1/notifications", roles(Member), (*Server).listNotifications},
	{"POST", "/api/v1/notifications/{id}/read", roles(Member), (*Server).markRead},
	// Detection policy: security officers edit it; reviewers and auditors read it.
	// Admin is left out of detection and review on purpose: whoever manages
	// accounts should not also read alerts or tune what is watched without a
	// role grant that the audit trail shows.
	{"GET", "/api/v1/detection/rules", roles(SecurityOfficer, Reviewer, Auditor), (*Server).listRules},
	{"PUT", "/api/v1/detection/rules/{rule}", roles(SecurityOfficer), (*Server).putRule},
	{"GET", "/api/v1/detection/lexicons", roles(SecurityOfficer, Reviewer, Auditor), (*Server).listLexicons},
	{"POST", "/api/v1/detection/lexicons", roles(SecurityOfficer), (*Server).createLexicon},
	{"PUT", "/api/v1/detection/lexicons/{name}", roles(SecurityOfficer), (*Server).putLexicon},
	{"DELETE", "/api/v1/detection/lexicons/{name}", roles(SecurityOfficer), (*Server).deleteLexicon},
	{"GET", "/api/v1/detection/periods", roles(SecurityOfficer, Reviewer, Auditor), (*Server).listPeriods},
	{"POST", "/api/v1/detection/periods", roles(SecurityOfficer), (*Server).createPeriod},
	{"PUT", "/api/v1/detection/periods/{name}", roles(SecurityOfficer), (*Server).putPeriod},
	{"DELETE", "/api/v1/detection/periods/{name}", roles(SecurityOfficer), (*Server).deletePeriod},
	// Running the rules in force over a period again; also the backlog.
	{"POST", "/api/v1/detection/rescan", roles(SecurityOfficer), (*Server).rescan},
	{"GET", "/api/v1/detection/backlog", roles(SecurityOfficer, Auditor), (*Server).scanBacklog},
	// The signed checkpoints of the hash chains, with the public key: keep
	// an export of them to verify against later.
	{"GET", "/api/v1/checkpoints", roles(Admin, Auditor, SecurityOfficer), (*Server).listCheckpoints},

	// Alerts: reviewers triage; security officers and auditors read. Message
	// context is content, so only reviewers and auditors read it, audited.
	{"GET", "/api/v1/alerts", roles(Reviewer, SecurityOfficer, Auditor), (*Server).listAlerts},
	{"GET", "/api/v1/alerts/{id}", roles(Reviewer, SecurityOfficer, Auditor), (*Server).getAlert},
	{"GET", "/api/v1/alerts/{id}/context", roles(Reviewer, Auditor), tokenGet((*Server).alertContext)},
	{"POST", "/api/v1/alerts/{id}/context", roles(Reviewer, Auditor), (*Server).alertContext},
	{"POST", "/api/v1/alerts/{id}/claim", roles(Reviewer), (*Server).claimAlert},
	{"POST", "/api/v1/alerts/{id}/resolve", roles(Reviewer), (*Server).resolveAlert},

	// Cases: reviewers work them; auditors read them.
	{"GET", "/api/v1/cases", roles(Reviewer, Auditor), (*Server).listCases},
	{"POST", "/api/v1/cases", roles(Reviewer), (*Server).createCase},
	{"GET", "/api/v1/cases/{id}", roles(Reviewer, Auditor), (*Server).getCase},
	{"POST", "/api/v1/cases/{id}/notes", roles(Reviewer), (*Server).addCaseNote},
	{"POST", "/api/v1/cases/{id}/assign", roles(Reviewer), (*Server).assignCase},
	{"POST", "/api/v1/cases/{id}/close", roles(Reviewer), (*Server).closeCase},

	// Reports. A member sees and fills only the reports of groups they are
	// responsible for (checked in report.Service); security officers and
	// auditors read all. Admins are left out: they run accounts and the
	// system, and what groups file is compliance material, not theirs.
	{"GET", "/api/v1/reports", roles(Member, SecurityOfficer, Auditor), (*Server).listReports},
	{"GET", "/api/v1/reports/overdue", roles(SecurityOfficer, Auditor), (*Server).overdueReports},
	{"POST", "/api/v1/reports/generate", roles(SecurityOfficer), (*Server).generateReports},
	{"GET", "/api/v1/reports/{id}", roles(Member, SecurityOfficer, Auditor), (*Server).getReport}, // also {id}.csv, {id}.xlsx, {id}.pdf
	{"PUT", "/api/v1/reports/{id}/draft", roles(Member), (*Server).saveReportDraft},
	{"POST", "/api/v1/reports/{id}/file", roles(Member), (*Server).fileReport},
	{"GET", "/api/v1/report-schedules", roles(SecurityOfficer, Auditor), (*Server).listReportSchedules},
	{"PUT", "/api/v1/report-schedules/{level}", roles(SecurityOfficer), (*Server).setReportSchedule},
	{"GET", "/api/v1/checklist-items", roles(Member, SecurityOfficer, Auditor), (*Server).listChecklistItems},
	{"POST", "/api/v1/checklist-items", roles(SecurityOfficer), (*Server).addChecklistItem},
	{"POST", "/api/v1/checklist-items/{id}/deactivate", roles(SecurityOfficer), (*Server).deactivateChecklistItem},
	{"GET", "/api/v1/users/{username}/registration-form.csv", roles(Member, SecurityOfficer, Auditor), registrationForm("csv")},
	{"GET", "/api/v1/users/{username}/registration-form.xlsx", roles(Member, SecurityOfficer, Auditor), registrationForm("xlsx")},
	{"GET", "/api/v1/users/{username}/registration-form.pdf", roles(Member, SecurityOfficer, Auditor), registrationForm("pdf")},
}
