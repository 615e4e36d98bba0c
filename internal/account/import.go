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
	Handles int      `json:"handles"` // platform handles added
	Errors  []string `json:"errors"`
}

// ImportColumns are the HR directory columns. username and real_name are
// required; roles is "approver:Finance;reviewer"; each of HandleColumns
// holds the user's handles on that platform, several separated by ";".
var ImportColumns = append([]string{"username", "real_name", "display_name", "employee_no", "org_unit", "verified", "roles"}, HandleColumns...)

// HandleColumns are the optional columns of platform handles, each named by
// its platform, so an organization maps its people's chat accounts in the
// file it keeps them in.
var HandleColumns = []string{"matrix", "wecom", "wechat", "dingtalk", "feishu"}

// Handles adds users' platform handles inside the transaction it was made
// for. The registry keeps handles, and knows which are taken by other users
// and by external members; it imports this package, not the other way
// round, so the import asks for this one method instead.
type Handles interface {
	// AddHandle gives username the handle on platform, checked and
	// audited; one the user has already is no error and not added again.
	AddHandle(ctx context.Context, username, platform, handle string) (added bool, err error)
}

// ImportCSV reads users from an HR directory export. Each row is its own
// transaction, the user and the user's handles together: a bad row is
// reported with its line number and leaves nothing behind, and the good rows
// are kept. A known username is updated (HR stays the source of truth for
// names, numbers and units); roles are only changed when the column is set;
// handles are only added, and a handle the user has is kept as it is, so
// importing a file again changes nothing.
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
			return nil, errs.E(errs.Invalid, "line 1: the header has no %q column (columns: %s)", need, strings.Join(ImportColumns, ","))
		}
	}
	if s.ImportTx == nil {
		for _, c := range HandleColumns {
			if _, ok := col[c]; ok {
				return nil, fmt.Errorf("account: the import has no ImportTx to write the %q column's handles with", c)
			}
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
		created, added, err := s.importRow(ctx, get, col)
		switch {
		case err == nil && created:
			res.Created++
		case err == nil:
			res.Updated++
		case errs.KindOf(err) == errs.Internal:
			return res, err
		default:
			res.Errors = append(res.Errors, fmt.Sprintf("line %d: %v", line, err))
			continue
		}
		res.Handles += added
	}
	return res, nil
}

// importRow writes one row, the user and then the user's handles, in one
// transaction.
func (s *Service) importRow(ctx context.Context, get func(string) string, col map[string]int) (created bool, added int, err error) {
	verified := false
	if v := get("verified"); v != "" {
		verified, err = strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return false, 0, errs.Field("verified", "%q is not true or false", v)
		}
	}
	var roles *[]Grant
	if _, ok := col["roles"]; ok && get("roles") != "" {
		g, err := ParseGrants(get("roles"))
		if err != nil {
			return false, 0, err
		}
		roles = &g
	}
	write := func(tx TxStore, hs Handles) error {
		var err error
		if created, err = s.importUser(ctx, tx, get, col, verified, roles); err != nil {
			return err
		}
		for _, platform := range HandleColumns {
			for _, h := range strings.Split(get(platform), ";") {
				if h = strings.TrimSpace(h); h == "" {
					continue
				}
				ok, err := hs.AddHandle(ctx, get("username"), platform, h)
				if err != nil {
					return inColumn(platform, err)
				}
				if ok {
					added++
				}
			}
		}
		return nil
	}
	if s.ImportTx != nil {
		err = s.ImportTx(ctx, write)
	} else {
		// ImportCSV refused the handle columns: hs is never asked.
		err = s.Tx(ctx, func(tx TxStore) error { return write(tx, nil) })
	}
	return created, added, err
}

// importUser creates the row's user in tx, or updates the one HR named so
// before.
func (s *Service) importUser(ctx context.Context, tx TxStore, get func(string) string, col map[string]int, verified bool, roles *[]Grant) (created bool, err error) {
	username := get("username")
	if _, err := tx.User(ctx, username); errs.Is(err, errs.NotFound) {
		in := NewUser{Username: username, RealName: get("real_name"), DisplayName: get("display_name"),
			EmployeeNo: get("employee_no"), OrgUnit: get("org_unit"), Verified: verified}
		if roles != nil {
			in.Roles = *roles
		}
		u, err := s.newUser(in)
		if err != nil {
			return false, err
		}
		return true, s.createUser(ctx, tx, u)
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
	_, err = s.updateUser(ctx, tx, username, p)
	return false, err
}

// inColumn names the column a handle came from as its error's field: the
// registry speaks of the handle, the person fixing the file looks for a
// column.
func inColumn(column string, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal {
		return err
	}
	return &errs.Error{Kind: e.Kind, Field: column, Message: e.Message, Err: e.Err}
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
