// Package common holds storage code that is the same on both engines: the
// queries are written once with ? placeholders, and an engine passes its
// Rebind (the identity on SQLite, ? to $N on PostgreSQL). An engine file keeps
// only what truly differs.
package common

import (
	"math"
	"strconv"
	"strings"
)

// Rebind turns ? placeholders into PostgreSQL's $1, $2, ... The queries
// written here have no ? inside string literals.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Identity is SQLite's Rebind.
func Identity(q string) string { return q }

// ClampFen turns a floating-point sum of amounts into fen, saturating at
// the largest int64 instead of wrapping.
func ClampFen(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	if f <= 0 {
		return 0
	}
	return int64(math.Round(f))
}
