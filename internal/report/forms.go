package report

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
)

// RosterRow is one registered group on the registration roster.
type RosterRow struct {
	GroupID         int64          `json:"group_id"`
	Name            string         `json:"name"`
	Purpose         string         `json:"purpose"`
	EstablishedAt   time.Time      `json:"established_at"`
	Responsible     string         `json:"responsible"`
	ResponsibleName string         `json:"responsible_name"`
	Level           registry.Level `json:"level"`
	Status          string         `json:"status"`
	Members         int            `json:"members"`
	SignedAt        *time.Time     `json:"statement_signed_at,omitempty"`
}

// Roster lists every registered group with what the registration roster
// prints. The registry branch may grow its own roster listing; when it does,
// this should read from it rather than repeat the query.
func (s *Service) Roster(ctx context.Context, p *account.Principal) ([]RosterRow, error) {
	if !seesAll(p) {
		return nil, errs.E(errs.Forbidden, "only security officers and auditors read the roster")
	}
	gs, err := s.Store.Groups(ctx, registry.GroupFilter{})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := []RosterRow{}
	for _, g := range gs {
		row, err := s.rosterRow(ctx, &g, names)
		if err != nil {
			return nil, err
		}
		out = append(out, *row)
	}
	return out, nil
}

func (s *Service) rosterRow(ctx context.Context, g *registry.Group, names map[string]string) (*RosterRow, error) {
	row := &RosterRow{GroupID: g.ID, Name: g.Name, Purpose: g.Purpose, EstablishedAt: g.EstablishedAt, Responsible: g.Responsible,
		Level: g.Level, Status: g.Status}
	name, ok := names[g.Responsible]
	if !ok {
		u, err := s.Store.User(ctx, g.Responsible)
		if err != nil {
			return nil, err
		}
		name, names[g.Responsible] = u.RealName, u.RealName
	}
	row.ResponsibleName = name
	ms, err := s.Store.Members(ctx, g.ID, false)
	if err != nil {
		return nil, err
	}
	row.Members = len(ms)
	sig, err := s.Store.LatestSignature(ctx, g.ID)
	switch {
	case err == nil:
		at := sig.SignedAt
		row.SignedAt = &at
	case !errs.Is(err, errs.NotFound):
		return nil, err
	}
	return row, nil
}

// FormGroup is one line of a registration form.
type FormGroup struct {
	RosterRow
	Role     string     `json:"role"` // responsible or member
	JoinedAt *time.Time `json:"joined_at,omitempty"`
}

// Form is one person's registration form: the work groups they administer
// and belong to, the printable counterpart of the declaration campaign.
type Form struct {
	Username   string      `json:"username"`
	RealName   string      `json:"real_name"`
	EmployeeNo string      `json:"employee_no"`
	OrgUnit    string      `json:"org_unit"`
	Groups     []FormGroup `json:"groups"`
	PrintedAt  time.Time   `json:"printed_at"`
}

// RegistrationForm returns username's form to that person or to whoever sees all.
func (s *Service) RegistrationForm(ctx context.Context, p *account.Principal, username string) (*Form, error) {
	if !seesAll(p) && (p.User == nil || p.User.Username != username) {
		return nil, errs.E(errs.Forbidden, "you may read only your own registration form")
	}
	u, err := s.Store.User(ctx, username)
	if err != nil {
		return nil, err
	}
	gs, err := s.Store.Groups(ctx, registry.GroupFilter{Person: username})
	if err != nil {
		return nil, err
	}
	f := &Form{Username: u.Username, RealName: u.RealName, EmployeeNo: u.EmployeeNo, OrgUnit: u.OrgUnit, Groups: []FormGroup{}, PrintedAt: s.now()}
	names := map[string]string{}
	for _, g := range gs {
		row, err := s.rosterRow(ctx, &g, names)
		if err != nil {
			return nil, err
		}
		fg := FormGroup{RosterRow: *row, Role: "member"}
		if g.Responsible == username {
			fg.Role = "responsible"
		}
		ms, err := s.Store.Members(ctx, g.ID, false)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Username == username {
				at := m.JoinedAt
				fg.JoinedAt = &at
				break
			}
		}
		f.Groups = append(f.Groups, fg)
	}
	return f, nil
}
