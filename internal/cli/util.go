package cli

import (
	"sort"
	"time"
)

func sortStrings(s []string) { sort.Strings(s) }

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
