package web

import (
	"net/http"
	"net/url"

	"charter/internal/account"
	"charter/internal/report"
)

// editableRoles are the roles the user form offers as checkboxes; approver
// is chosen per org unit, and member is everyone's.
var editableRoles = []account.Role{account.Admin, account.SecurityOfficer, account.Reviewer, account.Auditor}

type usersPage struct {
	Layout
	Users   []account.User
	CanEdit bool
	// Forms: the reader may download anyone's registration form, which the
	// report service allows security officers and auditors (not admins, who
	// run accounts but do not read what groups register).
	Forms bool
}

func (*usersPage) template() string { return "users" }

func (s *Server) users(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Accounts.Users(r.Context(), stateOf(r).p, account.UserFilter{})
	if err != nil {
		return err
	}
	p := &usersPage{Layout: s.layout(r, "users.title"), Users: us, CanEdit: s.may(r, "POST /api/v1/users"),
		Forms: s.may(r, "GET /api/v1/users/{username}/registration-form.pdf") && report.SeesAll(stateOf(r).p)}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// may reports whether the signed-in principal may call an API route, to
// show a page's buttons only to those the button's target admits.
func (s *Server) may(r *http.Request, route string) bool {
	return asAPI(route).Admits(stateOf(r).p)
}

// userPage is both the new-user form (User nil) and a user's page with its
// edit form.
type userPage struct {
	Layout
	Subject  *account.User // the user shown; nil on the new-user form (not User: that is the signed-in one)
	Form     *Form
	OrgUnits []account.OrgUnit
	Roles    []account.Role
	CanEdit  bool
}

func (*userPage) template() string { return "user" }

func (s *Server) userPage(r *http.Request, u *account.User, f *Form) (*userPage, error) {
	units, err := s.Accounts.OrgUnits(r.Context(), stateOf(r).p)
	if err != nil {
		return nil, err
	}
	title := "user.new_title"
	canEdit := s.may(r, "POST /api/v1/users")
	if u != nil {
		title = "user.title"
		canEdit = s.may(r, "PATCH /api/v1/users/{username}")
	}
	p := &userPage{Layout: s.layout(r, title), Subject: u, Form: f, OrgUnits: units, Roles: editableRoles, CanEdit: canEdit}
	if u != nil {
		p.Title = u.RealName + " (" + u.Username + ")"
	}
	return p, nil
}

func (s *Server) newUser(w http.ResponseWriter, r *http.Request) error {
	f := newForm(url.Values{"verified": {"on"}})
	p, err := s.userPage(r, nil, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// grants reads the roles part of the user form.
func grants(f *Form) []account.Grant {
	var gs []account.Grant
	for _, r := range editableRoles {
		if f.Has("role", string(r)) {
			gs = append(gs, account.Grant{Role: r})
		}
	}
	for _, unit := range f.Values["approver_unit"] {
		if unit != "" {
			gs = append(gs, account.Grant{Role: account.Approver, OrgUnit: unit})
		}
	}
	return gs
}

var userFields = []string{"username", "real_name", "display_name", "employee_no", "org_unit", "password", "roles", "language"}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	u, err := s.Accounts.CreateUser(r.Context(), account.NewUser{
		Username: f.Value("username"), RealName: f.Value("real_name"), DisplayName: f.Value("display_name"),
		EmployeeNo: f.Value("employee_no"), OrgUnit: f.Value("org_unit"), Password: f.Value("password"),
		Verified: f.Value("verified") != "", Roles: grants(f), Language: f.Value("language"),
	})
	if err == nil {
		return s.redirect(w, r, "/users/"+url.PathEscape(u.Username)+"?done=user_created")
	}
	if !s.setError(stateOf(r).lang, f, err, userFields...) {
		return err
	}
	p, err := s.userPage(r, nil, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

// userValues fills the edit form from the stored user.
func userValues(u *account.User) url.Values {
	v := url.Values{"real_name": {u.RealName}, "display_name": {u.DisplayName}, "employee_no": {u.EmployeeNo},
		"org_unit": {u.OrgUnit}, "language": {u.Language}}
	if u.Verified {
		v.Set("verified", "on")
	}
	if u.Active {
		v.Set("active", "on")
	}
	for _, g := range u.Roles {
		if g.Role == account.Approver {
			v.Add("approver_unit", g.OrgUnit)
		} else {
			v.Add("role", string(g.Role))
		}
	}
	return v
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.User(r.Context(), stateOf(r).p, r.PathValue("username"))
	if err != nil {
		return err
	}
	p, err := s.userPage(r, u, newForm(userValues(u)))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.User(r.Context(), stateOf(r).p, r.PathValue("username"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	str := func(name string) *string { v := f.Value(name); return &v }
	verified, active := f.Value("verified") != "", f.Value("active") != ""
	gs := grants(f)
	patch := account.UserPatch{RealName: str("real_name"), DisplayName: str("display_name"), EmployeeNo: str("employee_no"),
		OrgUnit: str("org_unit"), Language: str("language"), Verified: &verified, Active: &active, Roles: &gs}
	if pw := f.Value("password"); pw != "" {
		patch.Password = &pw
	}
	if _, err = s.Accounts.UpdateUser(r.Context(), u.Username, patch); err == nil {
		return s.redirect(w, r, "/users/"+url.PathEscape(u.Username)+"?done=user_saved")
	}
	if !s.setError(stateOf(r).lang, f, err, userFields...) {
		return err
	}
	p, err := s.userPage(r, u, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}

func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.Deactivate(r.Context(), r.PathValue("username"))
	if err != nil {
		return err
	}
	if stateOf(r).p.User.Username == u.Username {
		// An admin who deactivates themself is signed out by the next request.
		return s.redirect(w, r, "/login")
	}
	return s.redirect(w, r, "/users/"+url.PathEscape(u.Username)+"?done=user_deactivated")
}
