// Package csvsafe keeps spreadsheet programs from running what Charter
// writes into a CSV as a formula (a group named =HYPERLINK(...), a message
// starting with +). Every CSV Charter writes goes through Cell.
package csvsafe

import "strings"

// Cell returns v with a leading ' when a spreadsheet could read it as a
// formula: it starts with = + - @ or a tab or carriage return. A signed
// number (+8613800000000) is guarded too, so it stays the text it was.
func Cell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	return "'" + v
}

// Row applies Cell to every value of a row, in place, and returns it.
func Row(r []string) []string {
	for i, v := range r {
		r[i] = Cell(v)
	}
	return r
}
