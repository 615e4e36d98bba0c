package registry

import (
	"context"
	"fmt"
	"strings"

	"charter/internal/account"
	"charter/internal/errs"
)

// NewCampaign is the input for starting a campaign.
type NewCampaign struct {
	Kind            string `json:"kind"`
	Level           Level  `json:"level"`
	Title           string `json:"title"`
	Deadline        string `json:"deadline"`
	DefaultDecision string `json:"default_decision"`
}

// StartCampaign opens a campaign. A re-certification gives every live group
// of the level a task for its responsible person; a declaration asks every
// active employee.
func (s *Service) StartCampaign(ctx context.Context, in NewCampaign) (*Campaign, error) {
	deadline, err := parseTime("deadline", in.Deadline)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &Campaign{Kind: in.Kind, Level: in.Level, Title: strings.TrimSpace(in.Title), Deadline: deadline,
		DefaultDecision: in.DefaultDecision, CreatedBy: actorFromContext(ctx), CreatedAt: now}
	switch {
	case c.Kind != Recertification && c.Kind != Declaration:
		return nil, errs.Field("kind", "%q is not recertification or declaration", c.Kind)
	case deadline.IsZero():
		return nil, errs.Field("deadline", "required")
	case !deadline.After(now):
		return nil, errs.Field("deadline", "must be in the future")
	case c.Level != "" && !validLevel(c.Level):
		return nil, errs.Field("level", "%q is not one of public, internal, sensitive", c.Level)
	case c.Kind == Recertification && c.DefaultDecision == "":
		c.DefaultDecision = s.Policy.RecertDefault
	case c.Kind == Declaration && (c.Level != "" || c.DefaultDecision != ""):
		return nil, errs.Field("kind", "a declaration campaign has no level and no default decision")
	}
	if c.Kind == Recertification && c.DefaultDecision != Keep && c.DefaultDecision != Suspend {
		return nil, errs.Field("default_decision", "%q is not keep or suspend", c.DefaultDecision)
	}
	if c.Title == "" {
		c.Title = fmt.Sprintf("%s %s", c.Kind, now.Format("2006-01"))
	}
	err = s.Tx(ctx, func(tx TxStore) error { return s.startCampaign(ctx, tx, c) })
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) startCampaign(ctx context.Context, tx TxStore, c *Campaign) error {
	if err := tx.CreateCampaign(ctx, c); err != nil {
		return err
	}
	obj := fmt.Sprintf("campaign:%d", c.ID)
	tasks := 0
	if c.Kind == Recertification {
		gs, err := tx.Groups(ctx, GroupFilter{Level: c.Level})
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.Status != GroupApproved && g.Status != GroupActive && g.Status != GroupNeedsSignature {
				continue
			}
			if err := tx.AddRecert(ctx, &Recert{CampaignID: c.ID, GroupID: g.ID}); err != nil {
				return err
			}
			tasks++
			if _, err := notify(ctx, tx, c.CreatedAt, g.Responsible, "campaign.recertify", obj, "",
				"Re-certify group %d %q by %s: is it still needed, and are its members right?", g.ID, g.Name, c.Deadline.Format("2006-01-02")); err != nil {
				return err
			}
		}
	} else {
		active := true
		us, err := tx.Users(ctx, account.UserFilter{Active: &active})
		if err != nil {
			return err
		}
		for _, u := range us {
			tasks++
			if _, err := notify(ctx, tx, c.CreatedAt, u.Username, "campaign.declare", obj, "",
				"Declare the work groups you are in by %s.", c.Deadline.Format("2006-01-02")); err != nil {
				return err
			}
		}
	}
	return tx.AppendAudit(ctx, event(ctx, c.CreatedAt, "campaign.start", obj, map[string]any{
		"kind": c.Kind, "level": c.Level, "deadline": c.Deadline, "default_decision": c.DefaultDecision, "tasks": tasks}))
}

// Tasks is what a campaign asks of one person: the groups to re-certify, or
// the declaration form pre-filled with the groups the registry has them in.
type Tasks struct {
	Campaign *Campaign       `json:"campaign"`
	Recerts  []Recert        `json:"recertifications,omitempty"`
	Groups   []DeclaredGroup `json:"groups,omitempty"`   // declaration: pre-filled from the registry
	Declared []DeclaredGroup `json:"declared,omitempty"` // declaration: what they declared so far
}

// MyTasks returns p's part of a campaign.
func (s *Service) MyTasks(ctx context.Context, p *account.Principal, id int64) (*Tasks, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	t := &Tasks{Campaign: c, Recerts: []Recert{}, Groups: []DeclaredGroup{}, Declared: []DeclaredGroup{}}
	if c.Kind == Recertification {
		rs, err := s.Store.Recerts(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Responsible == u.Username {
				t.Recerts = append(t.Recerts, r)
			}
		}
		return t, nil
	}
	gs, err := s.Store.Groups(ctx, GroupFilter{Person: u.Username})
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.Status != GroupDissolved {
			t.Groups = append(t.Groups, DeclaredGroup{GroupID: g.ID, Name: g.Name, Platform: g.Platform})
		}
	}
	ds, err := s.Store.Declarations(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Username == u.Username {
			t.Declared = append(t.Declared, d)
		}
	}
	return t, nil
}

// Recertify records the responsible person's answer for a group: keep it
// (confirming the members are right) or dissolve it.
func (s *Service) Recertify(ctx context.Context, p *account.Principal, campaignID, groupID int64, decision string, membersOK bool, comment string) (*Recert, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	if decision != Keep && decision != Dissolve {
		return nil, errs.Field("decision", "%q is not keep or dissolve", decision)
	}
	if decision == Keep && !membersOK {
		return nil, errs.Field("members_ok", "confirm the member list is right (correct it first if not) to keep the group")
	}
	var out *Recert
	err = s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.Campaign(ctx, campaignID)
		if err != nil {
			return err
		}
		if c.Kind != Recertification {
			return errs.E(errs.Conflict, "campaign %d is not a re-certification", campaignID)
		}
		if c.ClosedAt != nil {
			return errs.E(errs.Conflict, "campaign %d is closed", campaignID)
		}
		rs, err := tx.Recerts(ctx, campaignID)
		if err != nil {
			return err
		}
		for i := range rs {
			r := &rs[i]
			if r.GroupID != groupID {
				continue
			}
			if r.Responsible != u.Username {
				if _, err := s.readableGroup(ctx, p, groupID); err != nil {
					return err
				}
				return errs.E(errs.Forbidden, "only the responsible person of group %d may re-certify it", groupID)
			}
			if r.Decision != "" {
				return errs.E(errs.Conflict, "group %d was already re-certified in campaign %d", groupID, campaignID)
			}
			now := s.now()
			r.Decision, r.MembersOK, r.Comment, r.AnsweredBy, r.AnsweredAt = decision, membersOK, strings.TrimSpace(comment), u.Username, &now
			if err := tx.UpdateRecert(ctx, r); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, event(ctx, now, "group.recertify", groupObject(groupID), map[string]any{
				"campaign": campaignID, "decision": decision, "members_ok": membersOK, "comment": r.Comment})); err != nil {
				return err
			}
			out = r
			if decision == Dissolve {
				g, err := tx.Group(ctx, groupID)
				if err != nil {
					return err
				}
				reason := "no longer needed (re-certification)"
				if r.Comment != "" {
					reason += ": " + r.Comment
				}
				return s.dissolve(ctx, tx, g, reason)
			}
			return nil
		}
		return errs.E(errs.NotFound, "group %d has no task in campaign %d", groupID, campaignID)
	})
	return out, err
}

// Declared is one line an employee declares: the ID of a registered group,
// or the name and platform of a group that is not registered.
type Declared struct {
	GroupID  int64    `json:"group_id,omitempty"`
	Name     string   `json:"name,omitempty"`
	Platform Platform `json:"platform,omitempty"`
}

// Declare records the work groups p says they are in. A group that is not
// registered becomes a draft application for p to complete and submit.
func (s *Service) Declare(ctx context.Context, p *account.Principal, campaignID int64, groups []Declared) ([]DeclaredGroup, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	for i, d := range groups {
		if d.GroupID == 0 && strings.TrimSpace(d.Name) == "" {
			return nil, errs.Field("groups", "group %d: give the group_id of a registered group or the name of one that is not", i+1)
		}
		if d.GroupID == 0 && !validPlatform(d.Platform) {
			return nil, errs.Field("groups", "group %d: platform %q is not one of wecom, wechat, dingtalk, feishu, matrix, other", i+1, d.Platform)
		}
		// A member declares the groups they are in: a registered group they
		// may not read is answered as one that does not exist, so a
		// declaration never reveals another group's name.
		if d.GroupID != 0 {
			if _, err := s.readableGroup(ctx, p, d.GroupID); errs.Is(err, errs.NotFound) {
				return nil, errs.Field("groups", "group %d: there is no registered group %d", i+1, d.GroupID)
			} else if err != nil {
				return nil, err
			}
		}
	}
	out := []DeclaredGroup{}
	err = s.Tx(ctx, func(tx TxStore) error {
		c, err := tx.Campaign(ctx, campaignID)
		if err != nil {
			return err
		}
		if c.Kind != Declaration {
			return errs.E(errs.Conflict, "campaign %d is not a declaration", campaignID)
		}
		if c.ClosedAt != nil {
			return errs.E(errs.Conflict, "campaign %d is closed", campaignID)
		}
		now := s.now()
		for i, in := range groups {
			d := DeclaredGroup{CampaignID: campaignID, Username: u.Username, GroupID: in.GroupID, Name: strings.TrimSpace(in.Name),
				Platform: in.Platform, DeclaredAt: now}
			if d.GroupID != 0 {
				g, err := tx.Group(ctx, d.GroupID)
				if errs.Is(err, errs.NotFound) {
					return errs.Field("groups", "group %d: there is no registered group %d", i+1, d.GroupID)
				} else if err != nil {
					return err
				}
				d.Name, d.Platform = g.Name, g.Platform
			} else {
				a := &Application{Name: d.Name, Platform: d.Platform, Responsible: u.Username, Applicant: u.Username, OrgUnit: u.OrgUnit,
					Status: Draft, Members: []ProposedMember{}, Steps: []Step{}, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateApplication(ctx, a); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, event(ctx, now, "application.create", appObject(a.ID), map[string]any{
					"name": a.Name, "platform": a.Platform, "draft": true, "declared_in": campaignID})); err != nil {
					return err
				}
				if _, err := notify(ctx, tx, now, u.Username, "application.draft", appObject(a.ID), "",
					"You declared the unregistered group %q: complete and submit draft application %d.", a.Name, a.ID); err != nil {
					return err
				}
				d.ApplicationID = a.ID
			}
			if err := tx.AddDeclaration(ctx, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return tx.AppendAudit(ctx, event(ctx, now, "campaign.declare", fmt.Sprintf("campaign:%d", campaignID), map[string]any{"groups": len(groups)}))
	})
	return out, err
}

// Campaigns lists the campaigns, newest first, to every person (each may
// have a part in one) and to auditors.
func (s *Service) Campaigns(ctx context.Context, p *account.Principal) ([]Campaign, error) {
	if err := account.Allow(p, "read the campaigns", account.Member, account.Auditor); err != nil {
		return nil, err
	}
	return s.Store.Campaigns(ctx)
}

// Results is a campaign with every answer so far.
type Results struct {
	Campaign     *Campaign       `json:"campaign"`
	Recerts      []Recert        `json:"recertifications"`
	Declarations []DeclaredGroup `json:"declarations"`
}

// CampaignResults returns a campaign's answers, for security officers and auditors.
func (s *Service) CampaignResults(ctx context.Context, id int64) (*Results, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &Results{Campaign: c}
	if r.Recerts, err = s.Store.Recerts(ctx, id); err != nil {
		return nil, err
	}
	if r.Declarations, err = s.Store.Declarations(ctx, id); err != nil {
		return nil, err
	}
	return r, nil
}
