package registry

import (
	"context"
	"io"
	"strconv"
	"time"

	"charter/internal/report/export"
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

// RosterTable renders the roster as a printable table.
func RosterTable(rows []RosterRow) *export.Table {
	t := &export.Table{Title: "工作群登记表 Registration roster of work groups",
		Columns: []string{"编号 id", "群名称 name", "用途 purpose", "平台 platform", "建立时间 established_at", "负责人 responsible",
			"负责人姓名 real_name", "部门 org_unit", "密级 level", "状态 status", "成员数 members", "到期 expires_at",
			"责任书签署 statement_signed_at", "签署有效 statement_current"}}
	for _, r := range rows {
		g := r.Group
		signed := ""
		if r.SignedAt != nil {
			signed = r.SignedAt.Format(time.RFC3339)
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(g.ID, 10), g.Name, g.Purpose, string(g.Platform), g.EstablishedAt.Format(time.RFC3339),
			g.Responsible, r.RealName, g.OrgUnit, string(g.Level), g.Status, strconv.Itoa(r.Members), g.ExpiresAt.Format(time.RFC3339),
			signed, strconv.FormatBool(r.SignedValid)})
	}
	return t
}

// WriteRosterCSV writes the roster as UTF-8 CSV with a byte-order mark, so
// spreadsheet programs show the Chinese text.
func WriteRosterCSV(w io.Writer, rows []RosterRow) error {
	return export.CSV(w, RosterTable(rows))
}
