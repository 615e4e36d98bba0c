// Package common holds storage code that is the same on both engines, as
// methods of Shared, which each engine's DB embeds: the queries are written
// once with ? placeholders and rebound by the engine's Dialect (the identity
// on SQLite, ? to $N on PostgreSQL), and the row scanners and row loops are
// written once too. An engine package keeps only what truly differs: opening
// and transactions, driver error codes, how messages are written and searched
// through its full-text index, and tombstones.
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

// Dialect is the little SQL that differs between the engines in the code
// written here.
type Dialect struct {
	Rebind   func(string) string
	Least    string // min(a, b) on SQLite, LEAST(a, b) on PostgreSQL
	Greatest string
	// ForUpdate: reads in a transaction lock the rows they will change
	// (see Shared.forUpdate).
	ForUpdate bool
	// Arrays: a list of ids goes as one array argument (see Shared.inIDs).
	Arrays bool
	// SumFen sums amount_fen without overflow (see fen).
	SumFen string
}

var (
	SQLite = Dialect{Rebind: Identity, Least: "min", Greatest: "max",
		SumFen: `total(amount_fen)`}
	Postgres = Dialect{Rebind: Rebind, Least: "LEAST", Greatest: "GREATEST", ForUpdate: true, Arrays: true,
		SumFen: `LEAST(COALESCE(sum(amount_fen), 0), 9223372036854775807)::bigint`}
)

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
