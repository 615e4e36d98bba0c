// Package errs is Charter's one error type. Every layer returns *Error (or
// wraps one); the HTTP layer maps Kind to a status in exactly one place, and
// anything that is not an *Error is logged in full and shown as "internal error".
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller; it decides the HTTP status.
type Kind string

const (
	Invalid      Kind = "invalid"      // 400: the request is wrong; Field names what
	Unauthorized Kind = "unauthorized" // 401: no or bad credentials
	Forbidden    Kind = "forbidden"    // 403: credentials fine, role may not
	NotFound     Kind = "not_found"    // 404
	Conflict     Kind = "conflict"     // 409: duplicate or wrong state
	TooLarge     Kind = "too_large"    // 413: body over the limit
	RateLimited  Kind = "rate_limited" // 429
	Unavailable  Kind = "unavailable"  // 503: something the server needs is missing (a font); the message says what
	Internal     Kind = "internal"     // 500: logged, never shown
)

// Error is a failure with a kind, an optional field it concerns and a message
// safe to show to the caller. Err keeps the cause for the log.
type Error struct {
	Kind    Kind
	Field   string
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		if msg == "" {
			return e.Err.Error()
		}
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of a kind with a formatted message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Field builds an Invalid error naming the field that was wrong.
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap tags an unexpected error with the operation that failed; it stays
// Internal unless it already carries a kind.
func Wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: Internal, Message: op, Err: err}
}

// KindOf returns the kind of err, Internal for anything untyped.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
