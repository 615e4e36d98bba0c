// Package export writes Charter's forms and reports as CSV, XLSX and PDF. Each
// format renders the same Table, so the three never disagree on content.
package export

import (
	"encoding/csv"
	"io"

	"charter/internal/csvsafe"
)

// Table is one printable form: a title, labelled facts above a grid, the grid,
// and closing lines (an attestation, a signature line) below it.
type Table struct {
	Title   string
	Meta    []Field // "Group: 财务部工作群", "Period: 2026-Q3"
	Columns []string
	Rows    [][]string
	Notes   []string
}

// Field is a label and its value.
type Field struct{ Label, Value string }

// bom makes spreadsheet programs read the CSV as UTF-8 and show Chinese.
const bom = "\ufeff"

// CSV writes the grid with a UTF-8 byte-order mark. Meta and notes are left
// out: a CSV is for machines and spreadsheets, one header row then the rows.
// No cell is written that a spreadsheet would run as a formula.
func CSV(w io.Writer, t *Table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what spreadsheet programs on every platform expect
	if err := cw.Write(csvsafe.Row(append([]string(nil), t.Columns...))); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := cw.Write(csvsafe.Row(append([]string(nil), r...))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
