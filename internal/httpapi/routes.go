package httpapi

import (
	. "charter/internal/account" // the role names read best unqualified in the table
)

// routes is the API, read top to bottom: method, path, who may call it, handler.
// Every new route joins this table, and TestRouteAccess walks it.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", public(), s.healthz},
		{"GET", "/metrics", s.metricsAccess(), s.metrics},

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
		// Quarantined records are raw message content, possibly of rooms that
		// are not registered: only security officers read (audited) and correct them.
		{"GET", "/api/v1/quarantine", roles(SecurityOfficer), tokenGet(s.listQuarantine)},
		{"POST", "/api/v1/quarantine/list", roles(SecurityOfficer), s.listQuarantine},
		{"POST", "/api/v1/quarantine/{id}/reprocess", roles(SecurityOfficer), s.reprocessQuarantine},

		// Archive reads are audited. Admin is left out on purpose: running the
		// system does not need reading the messages (separation of duties).
		// Audited reads: a signed-in browser POSTs them (a link from another
		// site must not make one); a bearer token may GET.
		{"GET", "/api/v1/messages", roles(SecurityOfficer, Reviewer, Auditor), tokenGet(s.searchMessages)},
		{"POST", "/api/v1/messages/search", roles(SecurityOfficer, Reviewer, Auditor), s.searchMessages},
		{"POST", "/api/v1/exports", roles(SecurityOfficer, Auditor), s.createExport},
		{"GET", "/api/v1/legal-holds", roles(SecurityOfficer, Auditor), s.listHolds},
		{"POST", "/api/v1/legal-holds", roles(SecurityOfficer), s.placeHold},
		{"POST", "/api/v1/legal-holds/{id}/release", roles(SecurityOfficer), s.releaseHold},
		// Registry. Routes open to members check the object in the service:
		// a member reads their own applications and groups, only the holder of
		// the current step decides, only the responsible person signs.
		{"POST", "/api/v1/applications", roles(Member), s.apply},
		{"GET", "/api/v1/applications", roles(Member, Auditor), s.listApplications},
		{"GET", "/api/v1/applications/{id}", roles(Member, Auditor), s.getApplication},
		{"PUT", "/api/v1/applications/{id}", roles(Member), s.editApplication},
		{"POST", "/api/v1/applications/{id}/submit", roles(Member), s.submitApplication},
		{"POST", "/api/v1/applications/{id}/withdraw", roles(Member), s.withdrawApplication},
		{"POST", "/api/v1/applications/{id}/decision", roles(Approver, SecurityOfficer), s.decideApplication},

		{"GET", "/api/v1/approval-chains", roles(SecurityOfficer, Admin, Auditor), s.listApprovalChains},
		{"PUT", "/api/v1/approval-chains", roles(SecurityOfficer, Admin), s.setApprovalChain},
		{"DELETE", "/api/v1/approval-chains/{org_unit}/{level}", roles(SecurityOfficer, Admin), s.deleteApprovalChain},

		{"GET", "/api/v1/groups", roles(Member, Auditor), s.listGroups},
		{"GET", "/api/v1/groups/{id}", roles(Member, Auditor), s.getGroup},
		{"GET", "/api/v1/groups/{id}/statement", roles(Member, Auditor), s.getStatement},
		{"POST", "/api/v1/groups/{id}/statement", roles(Member), s.signStatement},
		{"POST", "/api/v1/groups/{id}/bindings", roles(Member), s.bindGroup},
		{"GET", "/api/v1/groups/{id}/members", roles(Member, Auditor), s.memberTimeline},
		{"POST", "/api/v1/groups/{id}/members", roles(Member), s.addMember},
		{"POST", "/api/v1/groups/{id}/members/{member}/leave", roles(Member), s.removeMember},
		{"POST", "/api/v1/groups/{id}/dissolve", roles(Member), s.dissolveGroup},
		{"GET", "/api/v1/roster.csv", roles(SecurityOfficer, Auditor, Reviewer, Admin), s.roster("csv")},
		{"GET", "/api/v1/roster.xlsx", roles(SecurityOfficer, Auditor, Reviewer, Admin), s.roster("xlsx")},
		{"GET", "/api/v1/roster.pdf", roles(SecurityOfficer, Auditor, Reviewer, Admin), s.roster("pdf")},

		{"GET", "/api/v1/users/{username}/handles", roles(Admin, Auditor, SecurityOfficer), s.listHandles},
		{"POST", "/api/v1/users/{username}/handles", roles(Admin, SecurityOfficer), s.addHandle},

		{"GET", "/api/v1/statement-templates", roles(Member, Auditor), s.listTemplates},
		{"POST", "/api/v1/statement-templates", roles(SecurityOfficer), s.publishTemplate},

		{"GET", "/api/v1/campaigns", roles(Member, Auditor), s.listCampaigns},
		{"POST", "/api/v1/campaigns", roles(SecurityOfficer), s.startCampaign},
		{"GET", "/api/v1/campaigns/{id}/tasks", roles(Member), s.campaignTasks},
		{"GET", "/api/v1/campaigns/{id}/results", roles(SecurityOfficer, Auditor, Admin), s.campaignResults},
		{"POST", "/api/v1/campaigns/{id}/recertifications", roles(Member), s.recertify},
		{"POST", "/api/v1/campaigns/{id}/declarations", roles(Member), s.declare},

		{"GET", "/api/v1/notifications", roles(Member), s.listNotifications},
		{"POST", "/api/v1/notifications/{id}/read", roles(Member), s.markRead},
		// Detection policy: security officers edit it; reviewers and auditors read it.
		// Admin is left out of detection and review on purpose: whoever manages
		// accounts should not also read alerts or tune what is watched without a
		// role grant that the audit trail shows.
		{"GET", "/api/v1/detection/rules", roles(SecurityOfficer, Reviewer, Auditor), s.listRules},
		{"PUT", "/api/v1/detection/rules/{rule}", roles(SecurityOfficer), s.putRule},
		{"GET", "/api/v1/detection/lexicons", roles(SecurityOfficer, Reviewer, Auditor), s.listLexicons},
		{"POST", "/api/v1/detection/lexicons", roles(SecurityOfficer), s.createLexicon},
		{"PUT", "/api/v1/detection/lexicons/{name}", roles(SecurityOfficer), s.putLexicon},
		{"DELETE", "/api/v1/detection/lexicons/{name}", roles(SecurityOfficer), s.deleteLexicon},
		{"GET", "/api/v1/detection/periods", roles(SecurityOfficer, Reviewer, Auditor), s.listPeriods},
		{"POST", "/api/v1/detection/periods", roles(SecurityOfficer), s.createPeriod},
		{"PUT", "/api/v1/detection/periods/{name}", roles(SecurityOfficer), s.putPeriod},
		{"DELETE", "/api/v1/detection/periods/{name}", roles(SecurityOfficer), s.deletePeriod},
		// Running the rules in force over a period again; also the backlog.
		{"POST", "/api/v1/detection/rescan", roles(SecurityOfficer), s.rescan},
		{"GET", "/api/v1/detection/backlog", roles(SecurityOfficer, Auditor), s.scanBacklog},
		// The signed checkpoints of the hash chains, with the public key: keep
		// an export of them to verify against later.
		{"GET", "/api/v1/checkpoints", roles(Admin, Auditor, SecurityOfficer), s.listCheckpoints},

		// Alerts: reviewers triage; security officers and auditors read. Message
		// context is content, so only reviewers and auditors read it, audited.
		{"GET", "/api/v1/alerts", roles(Reviewer, SecurityOfficer, Auditor), s.listAlerts},
		{"GET", "/api/v1/alerts/{id}", roles(Reviewer, SecurityOfficer, Auditor), s.getAlert},
		{"GET", "/api/v1/alerts/{id}/context", roles(Reviewer, Auditor), tokenGet(s.alertContext)},
		{"POST", "/api/v1/alerts/{id}/context", roles(Reviewer, Auditor), s.alertContext},
		{"POST", "/api/v1/alerts/{id}/claim", roles(Reviewer), s.claimAlert},
		{"POST", "/api/v1/alerts/{id}/resolve", roles(Reviewer), s.resolveAlert},

		// Cases: reviewers work them; auditors read them.
		{"GET", "/api/v1/cases", roles(Reviewer, Auditor), s.listCases},
		{"POST", "/api/v1/cases", roles(Reviewer), s.createCase},
		{"GET", "/api/v1/cases/{id}", roles(Reviewer, Auditor), s.getCase},
		{"POST", "/api/v1/cases/{id}/notes", roles(Reviewer), s.addCaseNote},
		{"POST", "/api/v1/cases/{id}/assign", roles(Reviewer), s.assignCase},
		{"POST", "/api/v1/cases/{id}/close", roles(Reviewer), s.closeCase},

		// Reports. A member sees and fills only the reports of groups they are
		// responsible for (checked in report.Service); security officers and
		// auditors read all. Admins are left out: they run accounts and the
		// system, and what groups file is compliance material, not theirs.
		{"GET", "/api/v1/reports", roles(Member, SecurityOfficer, Auditor), s.listReports},
		{"GET", "/api/v1/reports/overdue", roles(SecurityOfficer, Auditor), s.overdueReports},
		{"POST", "/api/v1/reports/generate", roles(SecurityOfficer), s.generateReports},
		{"GET", "/api/v1/reports/{id}", roles(Member, SecurityOfficer, Auditor), s.getReport}, // also {id}.csv, {id}.xlsx, {id}.pdf
		{"PUT", "/api/v1/reports/{id}/draft", roles(Member), s.saveReportDraft},
		{"POST", "/api/v1/reports/{id}/file", roles(Member), s.fileReport},
		{"GET", "/api/v1/report-schedules", roles(SecurityOfficer, Auditor), s.listReportSchedules},
		{"PUT", "/api/v1/report-schedules/{level}", roles(SecurityOfficer), s.setReportSchedule},
		{"GET", "/api/v1/checklist-items", roles(Member, SecurityOfficer, Auditor), s.listChecklistItems},
		{"POST", "/api/v1/checklist-items", roles(SecurityOfficer), s.addChecklistItem},
		{"POST", "/api/v1/checklist-items/{id}/deactivate", roles(SecurityOfficer), s.deactivateChecklistItem},
		{"GET", "/api/v1/users/{username}/registration-form.csv", roles(Member, SecurityOfficer, Auditor), s.registrationForm("csv")},
		{"GET", "/api/v1/users/{username}/registration-form.xlsx", roles(Member, SecurityOfficer, Auditor), s.registrationForm("xlsx")},
		{"GET", "/api/v1/users/{username}/registration-form.pdf", roles(Member, SecurityOfficer, Auditor), s.registrationForm("pdf")},
	}
}
