package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"charter/internal/errs"
)

// status is the one place an error kind becomes an HTTP status.
func status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

// writeError answers with the JSON error shape. Internal errors are logged
// with their detail and shown only as "internal error".
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	var body errorBody
	kind := errs.KindOf(err)
	body.Error.Code = string(kind)
	if kind == errs.Internal {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error.Message = "internal error"
	} else {
		var e *errs.Error
		errors.As(err, &e)
		body.Error.Message = e.Error()
		body.Error.Field = e.Field
	}
	writeJSON(w, status(kind), body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads one JSON object into v: unknown fields, malformed JSON,
// trailing data and bodies over limit are refused with a message naming the problem.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	// A JSON body is small: it arrives within bodyTimeout or the connection
	// goes (a body trickled byte by byte would hold it open for as long as
	// the sender likes).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.Invalid, "unexpected data after the JSON object")
	}
	return checkText(v)
}

// bodyTimeout is how long a JSON request body may take to arrive.
var bodyTimeout = 10 * time.Second

func jsonError(err error, limit int64) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errs.E(errs.Invalid, "the request body did not arrive within %s", bodyTimeout)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return errs.E(errs.TooLarge, "request body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "request body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "malformed JSON: the body ends too early")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.E(errs.Invalid, "the body must be a JSON object, not %s", typ.Value)
		}
		return errs.Field(typ.Field, "expected %s, got %s", typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Field(name, "unknown field")
	}
	return errs.E(errs.Invalid, "malformed JSON: %v", err)
}

// page is the shape of every paginated listing.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func pathInt(r *http.Request, name string) (int64, error) {
	n, ok := ParseID(r.PathValue(name))
	if !ok {
		return 0, errs.E(errs.NotFound, "%s %q not found", name, r.PathValue(name))
	}
	return n, nil
}

// ParseID reads an object id from a path: decimal digits only, no sign,
// no leading zero, no other base ("010", "0x10" and "1_0" name nothing).
func ParseID(s string) (int64, bool) {
	if s == "" || s[0] == '0' || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}
