package account

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"charter/internal/errs"
)

// ImportResult tells what a directory import did; Errors has one line per bad row.
type ImportResult struct {
	Created int      `json:"created"`
	Updated int      `json:"updated"`
	Errors  []string `json:"errors"`
}

// importColumns are the HR directory columns. username and real_name are
// required; roles is "approver:Finance;reviewer".
var importColumns = []string{"username", "real_name", "display_name", "employee_no", "org_unit", "verified", "roles"}

// ImportCSV reads users from an HR directory export. Each row is its own
// transaction: a bad row is reported with its line number and the good rows
// are kept. A known username is updated (HR stays the source of truth for
// names, numbers and units); roles are only changed when the column is set.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader) (*ImportResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, errs.E(errs.Invalid, "line 1: cannot read the header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, need := range []string{"username", "real_name"} {
		if _, ok := col[need]; !ok {
			return nil, errs.E(errs.Invalid, "line 1: the header has no %q column (columns: %s)", need, strings.Join(importColumns, ","))
		}
	}
	res := &ImportResult{Errors: []string{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.Errors = append(res.Errors, fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
				continue
			}
			return res, err
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		created, err := s.importRow(ctx, get, col)
		switch {
		case err == nil && created:
			res.Created++
		case err == nil:
			res.Updated++
		case errs.KindOf(err) == errs.Internal:
			return res, err
		default:
			res.Errors = append(res.Errors, fmt.Sprintf("line %d: %v", line, err))
		}
	}
	return res, nil
}

func (s *Service) importRow(ctx context.Context, get func(string) string, col map[string]int) (created bool, err error) {
	verified := false
	if v := get("verified"); v != "" {
		verified, err = strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return false, errs.Field("verified", "%q is not true or false", v)
		}
	}
	var roles *[]Grant
	if _, ok := col["roles"]; ok && get("roles") != "" {
		g, err := ParseGrants(get("roles"))
		if err != nil {
			return false, err
		}
		roles = &g
	}
	username := get("username")
	if _, err := s.Store.User(ctx, username); errs.Is(err, errs.NotFound) {
		in := NewUser{Username: username, RealName: get("real_name"), DisplayName: get("display_name"),
			EmployeeNo: get("employee_no"), OrgUnit: get("org_unit"), Verified: verified}
		if roles != nil {
			in.Roles = *roles
		}
		_, err := s.CreateUser(ctx, in)
		return true, err
	} else if err != nil {
		return false, err
	}
	// Only the columns the file has are changed: a directory export without a
	// "verified" column must not unverify everyone.
	var p UserPatch
	for name, dst := range map[string]**string{"real_name": &p.RealName, "display_name": &p.DisplayName,
		"employee_no": &p.EmployeeNo, "org_unit": &p.OrgUnit} {
		if _, ok := col[name]; ok && (name != "display_name" || get(name) != "") {
			v := get(name)
			*dst = &v
		}
	}
	if _, ok := col["verified"]; ok && get("verified") != "" {
		p.Verified = &verified
	}
	p.Roles = roles
	_, err = s.UpdateUser(ctx, username, p)
	return false, err
}

// ParseGrants reads "approver:Finance;reviewer" into grants.
func ParseGrants(s string) ([]Grant, error) {
	var out []Grant
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		role, unit, _ := strings.Cut(part, ":")
		g := Grant{Role: Role(strings.TrimSpace(role)), OrgUnit: strings.TrimSpace(unit)}
		if !validRole(g.Role) {
			return nil, errs.Field("roles", "%q is not one of admin, security_officer, approver, reviewer, auditor, member", g.Role)
		}
		out = append(out, g)
	}
	return out, nil
}
