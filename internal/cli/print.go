package cli

import (
	"encoding/json"
	"io"
	"time"
)

// when, stamp and day print times in the organization's zone (--time-zone),
// the zone of every date a person reads, never the machine's.
func when(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "-"
	}
	return stamp(*t, loc)
}

func stamp(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") }

func day(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
