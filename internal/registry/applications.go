package registry

import (
	"context"
	"fmt"
	"strings"

	"charter/internal/account"
	"charter/internal/errs"
)

// Apply files an application for p, submitted at once unless in.Draft.
func (s *Service) Apply(ctx context.Context, p *account.Principal, in NewApplication) (*Application, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &Application{Applicant: u.Username, OrgUnit: u.OrgUnit, Status: Draft, Steps: []Step{}, CreatedAt: now, UpdatedAt: now}
	if err := in.fill(a); err != nil {
		return nil, err
	}
	if err := a.validate(true); err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx TxStore) error {
		if err := s.checkRenewal(ctx, tx, p, a); err != nil {
			return err
		}
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, event(ctx, now, "application.create", appObject(a.ID), map[string]any{
			"name": a.Name, "level": a.Level, "platform": a.Platform, "responsible": a.Responsible, "draft": in.Draft})); err != nil {
			return err
		}
		if in.Draft {
			return nil
		}
		return s.submit(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	a.setCurrentStep()
	return a, nil
}

// checkRenewal lets only the group's responsible person (or a security
// officer) ask for a new term, and only for a group that is not dissolved.
func (s *Service) checkRenewal(ctx context.Context, tx TxStore, p *account.Principal, a *Application) error {
	if a.Renews == 0 {
		return nil
	}
	g, err := tx.Group(ctx, a.Renews)
	if errs.Is(err, errs.NotFound) {
		return errs.Field("renews", "group %d does not exist", a.Renews)
	} else if err != nil {
		return err
	}
	if g.Status == GroupDissolved {
		return errs.Field("renews", "group %d is dissolved", a.Renews)
	}
	if p != nil && p.User.Username != g.Responsible && !p.Has(account.SecurityOfficer) {
		return errs.E(errs.Forbidden, "only the group's responsible person may ask for a new term")
	}
	// A renewal is decided in the group's unit, whoever asks (a security
	// officer's own unit is not the group's).
	if g.OrgUnit != "" {
		a.OrgUnit = g.OrgUnit
	}
	return nil
}

// EditApplication changes a draft or a rejected application; it stays
// unsubmitted until Submit.
func (s *Service) EditApplication(ctx context.Context, p *account.Principal, id int64, in NewApplication) (*Application, error) {
	var out *Application
	err := s.Tx(ctx, func(tx TxStore) error {
		a, err := s.ownApplication(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Status != Draft && a.Status != Rejected {
			return errs.E(errs.Conflict, "application %d is %s; only a draft or a rejected application can be edited", id, a.Status)
		}
		if err := in.fill(a); err != nil {
			return err
		}
		if err := a.validate(true); err != nil {
			return err
		}
		if err := s.checkRenewal(ctx, tx, p, a); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		out = a
		return tx.AppendAudit(ctx, event(ctx, a.UpdatedAt, "application.edit", appObject(id), map[string]any{
			"name": a.Name, "level": a.Level, "responsible": a.Responsible}))
	})
	return out, err
}

// ownApplication loads an application that p filed (the operator may act on any).
func (s *Service) ownApplication(ctx context.Context, tx TxStore, p *account.Principal, id int64) (*Application, error) {
	a, err := tx.Application(ctx, id)
	if err != nil {
		return nil, err
	}
	if p != nil && (p.User == nil || p.User.Username != a.Applicant) {
		// Whoever may not read it is not told it exists.
		if ok, err := s.mayRead(ctx, p, a); err != nil {
			return nil, err
		} else if !ok {
			return nil, errs.E(errs.NotFound, "application %d not found", id)
		}
		return nil, errs.E(errs.Forbidden, "only the applicant may change application %d", id)
	}
	return a, nil
}

// Submit sends a draft, or a rejected application as a new round, to approval.
func (s *Service) Submit(ctx context.Context, p *account.Principal, id int64) (*Application, error) {
	var out *Application
	err := s.Tx(ctx, func(tx TxStore) error {
		a, err := s.ownApplication(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Status != Draft && a.Status != Rejected {
			return errs.E(errs.Conflict, "application %d is %s; only a draft or a rejected application can be submitted", id, a.Status)
		}
		out = a
		return s.submit(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	out.setCurrentStep()
	return out, nil
}

// submit checks the application in full, fixes its approval chain for the
// new round and tells the holders of the first step.
func (s *Service) submit(ctx context.Context, tx TxStore, a *Application) error {
	if err := a.validate(false); err != nil {
		return err
	}
	if _, err := tx.User(ctx, a.Responsible); errs.Is(err, errs.NotFound) {
		return errs.Field("responsible", "there is no user %q", a.Responsible)
	} else if err != nil {
		return err
	}
	for i, m := range a.Members {
		if m.Username == "" {
			continue
		}
		if _, err := tx.User(ctx, m.Username); errs.Is(err, errs.NotFound) {
			return errs.Field("members", "member %d: there is no user %q", i+1, m.Username)
		} else if err != nil {
			return err
		}
	}
	steps, err := s.chainFor(ctx, tx, a)
	if err != nil {
		return err
	}
	if a.OrgUnit == "" {
		for _, st := range steps {
			if st.Role == account.Approver {
				return errs.E(errs.Conflict, "the applicant %s belongs to no org unit, so no approver can decide; ask an admin to set it", a.Applicant)
			}
		}
	}
	now := s.now()
	a.Status, a.Round, a.Step, a.Steps, a.StepSince, a.UpdatedAt = Submitted, a.Round+1, 0, steps, &now, now
	if err := tx.UpdateApplication(ctx, a); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, event(ctx, now, "application.submit", appObject(a.ID), map[string]any{
		"round": a.Round, "steps": steps})); err != nil {
		return err
	}
	return s.tellHolders(ctx, tx, a)
}

// chainFor is the chain configured for the application's org unit (or the
// nearest parent with one) at its level, or the default chain, with the
// steps that apply only to external members dropped when there are none.
// A renewal is judged by the stricter of what it declares and what the
// renewed group is: its level and its external members.
func (s *Service) chainFor(ctx context.Context, tx TxStore, a *Application) ([]Step, error) {
	level, external, err := s.chainCase(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	units, err := ancestors(ctx, tx, a.OrgUnit)
	if err != nil {
		return nil, err
	}
	chains, err := tx.ApprovalChains(ctx)
	if err != nil {
		return nil, err
	}
	steps := DefaultChain(level)
find:
	for _, unit := range units {
		for _, c := range chains {
			if c.OrgUnit == unit && c.Level == level {
				steps = c.Steps
				break find
			}
		}
	}
	out := []Step{}
	for _, st := range steps {
		if st.When == "external" && !external {
			continue
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		// A chain saved before conditional-only chains were refused.
		return nil, errs.E(errs.Conflict, "the approval chain for %s groups of %s has only steps for groups with external members, so nobody would decide this application; a security officer must add a step that always applies", level, a.OrgUnit)
	}
	return out, nil
}

// chainCase is the level and the presence of external members that choose
// an application's chain.
func (s *Service) chainCase(ctx context.Context, tx TxStore, a *Application) (Level, bool, error) {
	level, external := a.Level, a.hasExternal()
	if a.Renews == 0 {
		return level, external, nil
	}
	g, err := tx.Group(ctx, a.Renews)
	if err != nil {
		return "", false, err
	}
	if levelRank(g.Level) > levelRank(level) {
		level = g.Level
	}
	ms, err := tx.Members(ctx, g.ID, false)
	if err != nil {
		return "", false, err
	}
	for _, m := range ms {
		external = external || m.External != ""
	}
	return level, external, nil
}

func levelRank(l Level) int {
	switch l {
	case Sensitive:
		return 2
	case Internal:
		return 1
	}
	return 0
}

// DefaultChain is the chain where none is configured: an approver of the
// applicant's org unit, then a security officer when the level is sensitive
// or there are external members.
func DefaultChain(l Level) []Step {
	if l == Sensitive {
		return []Step{{Role: account.Approver}, {Role: account.SecurityOfficer}}
	}
	return []Step{{Role: account.Approver}, {Role: account.SecurityOfficer, When: "external"}}
}

func (s *Service) tellHolders(ctx context.Context, tx TxStore, a *Application) error {
	units, err := ancestors(ctx, tx, a.OrgUnit)
	if err != nil {
		return err
	}
	hs, err := holders(ctx, tx, a.Steps[a.Step], units)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.Username == a.Applicant {
			continue
		}
		if _, err := notify(ctx, tx, s.now(), h.Username, "application.waiting", appObject(a.ID), "",
			"Application %d %q by %s waits for your decision (step %d of %d).", a.ID, a.Name, a.Applicant, a.Step+1, len(a.Steps)); err != nil {
			return err
		}
	}
	return nil
}

// Withdraw lets the applicant take back an application before the last decision.
func (s *Service) Withdraw(ctx context.Context, p *account.Principal, id int64) (*Application, error) {
	var out *Application
	err := s.Tx(ctx, func(tx TxStore) error {
		a, err := s.ownApplication(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Status != Draft && a.Status != Submitted && a.Status != Rejected {
			return errs.E(errs.Conflict, "application %d is %s and can no longer be withdrawn", id, a.Status)
		}
		a.Status, a.StepSince, a.UpdatedAt = Withdrawn, nil, s.now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		out = a
		return tx.AppendAudit(ctx, event(ctx, a.UpdatedAt, "application.withdraw", appObject(id), nil))
	})
	return out, err
}

// Decide records p's decision on the step an application waits on. Only a
// holder of that step may decide, never the applicant; a rejection needs a
// comment. The last approval creates the group (or renews it).
func (s *Service) Decide(ctx context.Context, p *account.Principal, id int64, decision, comment string) (*Application, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if decision != "approve" && decision != "reject" {
		return nil, errs.Field("decision", "%q is not approve or reject", decision)
	}
	if decision == "reject" && comment == "" {
		return nil, errs.Field("comment", "a rejection needs a comment saying why")
	}
	var out *Application
	err = s.Tx(ctx, func(tx TxStore) error {
		a, err := tx.Application(ctx, id)
		if err != nil {
			return err
		}
		if a.Status != Submitted {
			return errs.E(errs.Conflict, "application %d is %s, not waiting for a decision", id, a.Status)
		}
		units, err := ancestors(ctx, tx, a.OrgUnit)
		if err != nil {
			return err
		}
		step := a.Steps[a.Step]
		if !holds(u, step, units) {
			// Who may neither read it nor decided it before is not told it exists.
			ok, err := s.mayRead(ctx, p, a)
			if err == nil && !ok {
				var by int
				by, err = s.decidedThisRound(ctx, tx, a, u.Username)
				ok = by > 0
			}
			if err != nil {
				return err
			} else if !ok {
				return errs.E(errs.NotFound, "application %d not found", id)
			}
			return errs.E(errs.Forbidden, "step %d of application %d is for a %s of %s; you do not hold it", a.Step+1, id, step.Role, a.OrgUnit)
		}
		if u.Username == a.Applicant {
			return errs.E(errs.Forbidden, "you may not decide on your own application")
		}
		if by, err := s.decidedThisRound(ctx, tx, a, u.Username); err != nil {
			return err
		} else if by > 0 {
			return errs.E(errs.Forbidden, "you decided step %d of this round of application %d; step %d needs another person", by, id, a.Step+1)
		}
		now := s.now()
		d := &Decision{ApplicationID: id, Round: a.Round, Step: a.Step + 1, Decider: u.Username, Decision: decision, Comment: comment, At: now}
		if err := tx.AddDecision(ctx, d); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, event(ctx, now, "application.decide", appObject(id), map[string]any{
			"decision": decision, "round": a.Round, "step": d.Step, "comment": comment})); err != nil {
			return err
		}
		a.UpdatedAt = now
		out = a
		switch {
		case decision == "reject":
			a.Status, a.StepSince = Rejected, nil
			if _, err := notify(ctx, tx, now, a.Applicant, "application.rejected", appObject(id), "",
				"Application %d %q was rejected by %s: %s", id, a.Name, u.Username, comment); err != nil {
				return err
			}
			return tx.UpdateApplication(ctx, a)
		case a.Step+1 < len(a.Steps):
			a.Step, a.StepSince = a.Step+1, &now
			if err := tx.UpdateApplication(ctx, a); err != nil {
				return err
			}
			return s.tellHolders(ctx, tx, a)
		}
		a.Status, a.StepSince = Approved, nil
		g, err := s.establish(ctx, tx, a)
		if err != nil {
			return err
		}
		a.GroupID = g.ID
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		_, err = notify(ctx, tx, now, a.Applicant, "application.approved", appObject(id), "",
			"Application %d %q is approved: group %d. Its responsible person signs the statement and binds the platform group.", id, a.Name, g.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.setCurrentStep()
	return out, nil
}

// establish creates the group of an approved application, with the
// responsible person and the intended members; a renewal extends the term
// of the existing group instead.
func (s *Service) establish(ctx context.Context, tx TxStore, a *Application) (*Group, error) {
	now := s.now()
	if a.Renews != 0 {
		g, err := tx.Group(ctx, a.Renews)
		if err != nil {
			return nil, err
		}
		old, oldStatus := g.ExpiresAt, g.Status
		g.ExpiresAt, g.UpdatedAt = a.ExpiresAt, now
		if g.Status == GroupExpired {
			g.Status = GroupApproved // settle below decides what it is now
		}
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(ctx, event(ctx, now, "group.renew", groupObject(g.ID), map[string]any{
			"application": a.ID, "expires_at_before": old, "expires_at": g.ExpiresAt, "status_before": oldStatus})); err != nil {
			return nil, err
		}
		return g, s.settle(ctx, tx, g, now, "renewed")
	}
	g := &Group{ApplicationID: a.ID, Name: a.Name, Purpose: a.Purpose, Platform: a.Platform, Level: a.Level, OrgUnit: a.OrgUnit,
		Responsible: a.Responsible, Status: GroupApproved, EstablishedAt: a.PlannedAt, ExpiresAt: a.ExpiresAt, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateGroup(ctx, g); err != nil {
		return nil, err
	}
	members := append([]ProposedMember{{Username: a.Responsible}}, a.Members...)
	seen := map[string]bool{}
	for _, m := range members {
		if m.Username != "" {
			if seen[m.Username] {
				continue
			}
			seen[m.Username] = true
		}
		if err := tx.AddMember(ctx, &Member{GroupID: g.ID, Username: m.Username, External: m.External, Organization: m.Organization,
			Justification: m.Justification, JoinedAt: now}); err != nil {
			return nil, err
		}
	}
	if err := tx.AppendAudit(ctx, event(ctx, now, "group.create", groupObject(g.ID), map[string]any{
		"application": a.ID, "name": g.Name, "level": g.Level, "responsible": g.Responsible, "status": g.Status})); err != nil {
		return nil, err
	}
	if a.Responsible != a.Applicant {
		if _, err := notify(ctx, tx, now, a.Responsible, "group.approved", groupObject(g.ID), "",
			"You are responsible for the new work group %d %q: sign the confidentiality statement and bind the platform group.", g.ID, g.Name); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// ShowApplication returns one application with its decisions and current
// step. A member sees their own applications and those they may decide.
func (s *Service) ShowApplication(ctx context.Context, p *account.Principal, id int64) (*Application, error) {
	a, err := s.Store.Application(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.mayRead(ctx, p, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.NotFound, "application %d not found", id)
	}
	if a.Decisions, err = s.Store.Decisions(ctx, id); err != nil {
		return nil, err
	}
	a.setCurrentStep()
	return a, nil
}

// setCurrentStep fills the step a submitted application waits on, for showing.
func (a *Application) setCurrentStep() {
	a.CurrentStep = nil
	if a.Status == Submitted && a.Step < len(a.Steps) {
		a.CurrentStep = &CurrentStep{Number: a.Step + 1, Role: a.Steps[a.Step].Role}
	}
}

func (s *Service) mayRead(ctx context.Context, p *account.Principal, a *Application) (bool, error) {
	if seesAll(p) {
		return true, nil
	}
	if p.User == nil {
		return false, nil
	}
	if a.Applicant == p.User.Username || a.Responsible == p.User.Username {
		return true, nil
	}
	if a.Status != Submitted || !p.Has(account.Approver) {
		return false, nil
	}
	units, err := ancestors(ctx, s.Store, a.OrgUnit)
	if err != nil {
		return false, err
	}
	return holds(p.User, a.Steps[a.Step], units), nil
}

// ListApplications lists the applications p may read.
func (s *Service) ListApplications(ctx context.Context, p *account.Principal, f ApplicationFilter) ([]Application, error) {
	switch f.Status {
	case "", Draft, Submitted, Approved, Rejected, Withdrawn:
	default:
		return nil, errs.Field("status", "%q is not draft, submitted, approved, rejected or withdrawn", f.Status)
	}
	as, err := s.Store.Applications(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []Application{}
	for _, a := range as {
		ok, err := s.mayRead(ctx, p, &a)
		if err != nil {
			return nil, err
		}
		if ok {
			a.setCurrentStep()
			out = append(out, a)
		}
	}
	return out, nil
}

// ApprovalChains lists the configured chains to those who set them
// (security officers and admins) and to auditors.
func (s *Service) ApprovalChains(ctx context.Context, p *account.Principal) ([]ApprovalChain, error) {
	if err := account.Allow(p, "read the approval chains", account.SecurityOfficer, account.Admin, account.Auditor); err != nil {
		return nil, err
	}
	return s.Store.ApprovalChains(ctx)
}

// SetApprovalChain configures the chain for an org unit and level.
func (s *Service) SetApprovalChain(ctx context.Context, c ApprovalChain) (*ApprovalChain, error) {
	if !validLevel(c.Level) {
		return nil, errs.Field("level", "%q is not one of public, internal, sensitive", c.Level)
	}
	if len(c.Steps) == 0 {
		return nil, errs.Field("steps", "a chain needs at least one step (delete it to use the default)")
	}
	for i, st := range c.Steps {
		if st.Role != account.Approver && st.Role != account.SecurityOfficer {
			return nil, errs.Field("steps", "step %d: role %q is not approver or security_officer", i+1, st.Role)
		}
		if st.When != "" && st.When != "external" {
			return nil, errs.Field("steps", "step %d: when %q is not empty or external", i+1, st.When)
		}
	}
	always := false
	for _, st := range c.Steps {
		always = always || st.When == ""
	}
	if !always {
		return nil, errs.Field("steps", "every step applies only with external members, so a group without them would have nobody to decide: add a step that always applies")
	}
	c.UpdatedAt = s.now()
	err := s.Tx(ctx, func(tx TxStore) error {
		if _, err := tx.OrgUnit(ctx, c.OrgUnit); errs.Is(err, errs.NotFound) {
			return errs.Field("org_unit", "org unit %q does not exist", c.OrgUnit)
		} else if err != nil {
			return err
		}
		if err := tx.SetApprovalChain(ctx, &c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, c.UpdatedAt, "approval_chain.set", chainObject(c.OrgUnit, c.Level), map[string]any{"steps": c.Steps}))
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteApprovalChain removes a configured chain; the default applies again.
func (s *Service) DeleteApprovalChain(ctx context.Context, orgUnit string, level Level) error {
	return s.Tx(ctx, func(tx TxStore) error {
		if err := tx.DeleteApprovalChain(ctx, orgUnit, level); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, s.now(), "approval_chain.delete", chainObject(orgUnit, level), nil))
	})
}

func chainObject(unit string, l Level) string { return fmt.Sprintf("approval_chain:%s/%s", unit, l) }

// MayDecide reports whether p holds the step a submitted application waits
// on, is not its applicant and decided no earlier step of the round:
// exactly what Decide checks, for a page to show its decision form only to
// whoever Decide will accept.
func (s *Service) MayDecide(ctx context.Context, p *account.Principal, a *Application) (bool, error) {
	if p == nil || p.User == nil || a.Status != Submitted || a.Step >= len(a.Steps) || a.Applicant == p.User.Username {
		return false, nil
	}
	units, err := ancestors(ctx, s.Store, a.OrgUnit)
	if err != nil || !holds(p.User, a.Steps[a.Step], units) {
		return false, err
	}
	by, err := s.decidedThisRound(ctx, s.Store, a, p.User.Username)
	return by == 0, err
}

// decidedThisRound returns the step of a's current round that username
// already decided (0: none): two steps of one chain need two people.
func (s *Service) decidedThisRound(ctx context.Context, st Store, a *Application, username string) (int, error) {
	ds, err := st.Decisions(ctx, a.ID)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		if d.Round == a.Round && d.Decider == username {
			return d.Step, nil
		}
	}
	return 0, nil
}

// Awaiting is p's approval inbox: the submitted applications whose current
// step p may decide, in the order they were filed.
func (s *Service) Awaiting(ctx context.Context, p *account.Principal) ([]Application, error) {
	as, err := s.Store.Applications(ctx, ApplicationFilter{Status: Submitted})
	if err != nil {
		return nil, err
	}
	out := []Application{}
	for _, a := range as {
		ok, err := s.MayDecide(ctx, p, &a)
		if err != nil {
			return nil, err
		}
		if ok {
			a.setCurrentStep()
			out = append(out, a)
		}
	}
	return out, nil
}
