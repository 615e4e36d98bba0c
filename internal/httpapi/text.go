package httpapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"charter/internal/errs"
)

// badText is what no text field may hold: a NUL character (PostgreSQL
// refuses it) or bytes that are not UTF-8. Both engines refuse it at the
// boundary, with the field's name, instead of one failing with a 500.
func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// CheckValues refuses query or form values with bad text, naming the field.
func CheckValues(vs url.Values) error {
	for k, list := range vs {
		if badText(k) {
			return errs.E(errs.Invalid, "a parameter name holds a NUL character or invalid UTF-8")
		}
		for _, v := range list {
			if badText(v) {
				return errs.Field(k, "holds a NUL character or invalid UTF-8")
			}
		}
	}
	return nil
}

// checkRequestText refuses a path or query with bad text.
func checkRequestText(r *http.Request) error {
	if badText(r.URL.Path) {
		return errs.E(errs.Invalid, "the path holds a NUL character or invalid UTF-8")
	}
	return CheckValues(r.URL.Query())
}

// checkText walks a decoded body and refuses the first string with bad
// text, named by its JSON field path (members[2].name).
func checkText(v any) error {
	if path, bad := findBadText(reflect.ValueOf(v), ""); bad {
		return errs.Field(path, "holds a NUL character or invalid UTF-8")
	}
	return nil
}

func findBadText(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findBadText(v.Elem(), path)
	case reflect.String:
		return path, badText(v.String())
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			sub := join(path, name)
			if f.Anonymous {
				sub = path
			}
			if p, bad := findBadText(v.Field(i), sub); bad {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p, bad := findBadText(v.Index(i), path+"["+strconv.Itoa(i)+"]"); bad {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String && badText(k.String()) {
				return path, true
			}
			if p, bad := findBadText(it.Value(), join(path, k.String())); bad {
				return p, true
			}
		}
	}
	return "", false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
