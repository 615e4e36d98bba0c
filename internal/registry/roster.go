package registry

import (
	"context"
	"time"
)

// RosterRow is one line of the registration roster.
type RosterRow struct {
	Group       Group
	RealName    string // of the responsible person
	Members     int
	SignedAt    *time.Time
	SignedValid bool
}

// Roster lists every registered group with what the registration roster shows.
func (s *Service) Roster(ctx context.Context) ([]RosterRow, error) {
	gs, err := s.Store.Groups(ctx, GroupFilter{})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := make([]RosterRow, 0, len(gs))
	for _, g := range gs {
		r := RosterRow{Group: g}
		if _, ok := names[g.Responsible]; !ok {
			if u, err := s.Store.User(ctx, g.Responsible); err == nil {
				names[g.Responsible] = u.RealName
			}
		}
		r.RealName = names[g.Responsible]
		ms, err := s.Store.Members(ctx, g.ID, false)
		if err != nil {
			return nil, err
		}
		r.Members = len(ms)
		info, err := s.statementInfo(ctx, s.Store, g.ID)
		if err != nil {
			return nil, err
		}
		if info.Signature != nil {
			r.SignedAt, r.SignedValid = &info.Signature.SignedAt, info.Signed
		}
		out = append(out, r)
	}
	return out, nil
}
