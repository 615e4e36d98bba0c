package report

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
)

// FormGroup is one line of a registration form.
type FormGroup struct {
	GroupID         int64          `json:"group_id"`
	Name            string         `json:"name"`
	Platform        string         `json:"platform"`
	Level           registry.Level `json:"level"`
	Status          string         `json:"status"`
	Responsible     string         `json:"responsible"`
	ResponsibleName string         `json:"responsible_name"`
	EstablishedAt   time.Time      `json:"established_at"`
	Role            string         `json:"role"` // responsible or member
	JoinedAt        *time.Time     `json:"joined_at,omitempty"`
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
		return nil, errs.E(errs.NotFound, "no registration form of %q for you", username)
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
	names := map[string]string{u.Username: u.RealName}
	for _, g := range gs {
		fg := FormGroup{GroupID: g.ID, Name: g.Name, Platform: string(g.Platform), Level: g.Level, Status: g.Status,
			Responsible: g.Responsible, EstablishedAt: g.EstablishedAt, Role: "member"}
		if g.Responsible == username {
			fg.Role = "responsible"
		}
		if _, ok := names[g.Responsible]; !ok {
			r, err := s.Store.User(ctx, g.Responsible)
			if err != nil {
				return nil, err
			}
			// Real names stay in the back end (后台实名、前台自愿): a member
			// printing their own form sees the display name of another
			// group's administrator; oversight roles see the real name.
			names[g.Responsible] = r.RealName
			if !seesAll(p) {
				names[g.Responsible] = r.DisplayName
			}
		}
		fg.ResponsibleName = names[g.Responsible]
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
