package web

import (
	"errors"
	"net/url"
	"strings"

	"charter/internal/errs"
	"charter/internal/web/i18n"
)

// Form is a submitted form shown again: the typed values kept, and an error
// beside each field that was wrong. Passwords are never put back.
type Form struct {
	Values url.Values
	Errors map[string]string
	Error  string // a problem that belongs to no one field
}

func newForm(v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// Value is the submitted value of a field.
func (f *Form) Value(name string) string { return f.Values.Get(name) }

// Has reports whether a checkbox or multiple select included v.
func (f *Form) Has(name, v string) bool {
	for _, x := range f.Values[name] {
		if x == v {
			return true
		}
	}
	return false
}

// Field is what the "field" partial draws: a label, an input, its error.
type Field struct {
	Name, Label, Type, Value, Error string
	Required, Autofocus             bool
}

// fieldOf describes one input of f; flags are "required" and "autofocus".
func fieldOf(f *Form, name, label, typ string, flags ...string) Field {
	fd := Field{Name: name, Label: label, Type: typ, Error: f.Errors[name]}
	if typ != "password" {
		fd.Value = f.Value(name)
	}
	for _, x := range flags {
		switch x {
		case "required":
			fd.Required = true
		case "autofocus":
			fd.Autofocus = true
		}
	}
	return fd
}

// setError places err on its field when it names one the form shows, else
// on the form; it reports false for errors that are not the user's to fix.
func (s *Server) setError(l i18n.Lang, f *Form, err error, fields ...string) bool {
	var e *errs.Error
	if !errors.As(err, &e) || (e.Kind != errs.Invalid && e.Kind != errs.Conflict) {
		return false
	}
	if e.Kind == errs.Conflict && e.Field == "" && !strings.Contains(e.Message, "already") {
		// A state conflict (an application already decided, a group
		// dissolved) belongs to the form, not to its first field.
		f.Error = e.Message
		return true
	}
	msg := s.explain(l, e)
	for _, name := range fields {
		if e.Field == name || (e.Field == "" && e.Kind == errs.Conflict && name == fields[0]) {
			f.Errors[name] = msg
			return true
		}
	}
	f.Error = msg
	return true
}

// explain turns the domain's English messages into the page's language
// where there is a translation; others are shown as they are.
func (s *Server) explain(l i18n.Lang, e *errs.Error) string {
	switch {
	case e.Kind == errs.Conflict:
		return s.msgs.T(l, "err.taken")
	case e.Message == "required" || strings.HasPrefix(e.Message, "required:"):
		return s.msgs.T(l, "err.required")
	case strings.Contains(e.Message, "there is no user"):
		return s.msgs.T(l, "err.no_user")
	case strings.Contains(e.Message, "is not a date and time"):
		return s.msgs.T(l, "err.datetime")
	case strings.Contains(e.Message, "the term must end after"):
		return s.msgs.T(l, "err.term_order")
	case strings.Contains(e.Message, "needs a justification"):
		return s.msgs.T(l, "err.justification")
	case strings.Contains(e.Message, "a rejection needs a comment"):
		return s.msgs.T(l, "err.reject_comment")
	case strings.Contains(e.Message, "does not match your real name"):
		return s.msgs.T(l, "err.full_name")
	case strings.Contains(e.Message, "does not exist"):
		return s.msgs.T(l, "err.no_org_unit")
	case strings.Contains(e.Message, "approver needs an org_unit"):
		return s.msgs.T(l, "err.approver_unit")
	case e.Field == "username":
		return s.msgs.T(l, "err.username")
	}
	return e.Message
}
