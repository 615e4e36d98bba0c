// Package errstest checks errors the way the API maps them: by kind and by
// the field they name.
package errstest

import (
	"errors"
	"testing"

	"charter/internal/errs"
)

// Want checks err's kind ("" for success) and, when field is set, the field
// it names.
func Want(t testing.TB, err error, kind errs.Kind, field string) {
	t.Helper()
	var e *errs.Error
	switch {
	case kind == "" && err != nil:
		t.Fatalf("got %v, want success", err)
	case kind == "":
	case !errs.Is(err, kind):
		t.Fatalf("got %v (%s), want %s", err, errs.KindOf(err), kind)
	case field != "" && (!errors.As(err, &e) || e.Field != field):
		t.Fatalf("got %v, want field %q", err, field)
	}
}
