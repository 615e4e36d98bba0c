package web

import (
	"net/http"
	"net/url"

	"charter/internal/account"
)

// unitNode is an org unit with its sub-units, for drawing the tree.
type unitNode struct {
	account.OrgUnit
	Children []*unitNode
}

type orgUnitsPage struct {
	Layout
	Roots     []*unitNode
	Units     []account.OrgUnit // flat, for the parent choice
	Form      *Form
	CanCreate bool
}

func (*orgUnitsPage) template() string { return "org_units" }

// tree arranges units under their parents; a unit whose parent is missing
// is shown as a root rather than lost.
func tree(units []account.OrgUnit) []*unitNode {
	nodes := map[string]*unitNode{}
	for _, u := range units {
		nodes[u.Name] = &unitNode{OrgUnit: u}
	}
	var roots []*unitNode
	for _, u := range units {
		n := nodes[u.Name]
		if p, ok := nodes[u.Parent]; ok && u.Parent != u.Name {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

func (s *Server) orgUnitsPage(r *http.Request, f *Form) (*orgUnitsPage, error) {
	units, err := s.Accounts.OrgUnits(r.Context(), stateOf(r).p)
	if err != nil {
		return nil, err
	}
	return &orgUnitsPage{Layout: s.layout(r, "org_units.title"), Roots: tree(units), Units: units, Form: f,
		CanCreate: s.may(r, "POST /api/v1/org-units")}, nil
}

func (s *Server) orgUnits(w http.ResponseWriter, r *http.Request) error {
	p, err := s.orgUnitsPage(r, newForm(nil))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) createOrgUnit(w http.ResponseWriter, r *http.Request) error {
	f := newForm(r.PostForm)
	_, err := s.Accounts.CreateOrgUnit(r.Context(), f.Value("name"), f.Value("parent"))
	if err == nil {
		return s.redirect(w, r, "/org-units?done=org_unit_created&"+url.Values{"unit": {f.Value("name")}}.Encode())
	}
	if !s.setError(stateOf(r).lang, f, err, "name", "parent") {
		return err
	}
	p, err := s.orgUnitsPage(r, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusBadRequest, p)
	return nil
}
