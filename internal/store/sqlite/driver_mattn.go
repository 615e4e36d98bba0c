//go:build sqlite_mattn

package sqlite

import (
	"errors"
	"net/url"

	"github.com/mattn/go-sqlite3"
)

// With -tags sqlite_mattn (and sqlite_fts5, which it needs for search) the
// cgo driver the project used before is built in beside the default, for
// BenchmarkDriver to measure both in one run.
func init() {
	Drivers = append(Drivers, "mattn")
	drivers["mattn"] = driver{name: "sqlite3", dsn: mattnDSN, code: mattnCode}
}

func mattnDSN(path string, readOnly, normalSync bool) string {
	q := "?_busy_timeout=10000&_foreign_keys=on"
	if readOnly {
		q = "?mode=ro&_busy_timeout=10000&_foreign_keys=on"
	} else {
		q += "&_journal_mode=WAL&_synchronous=" + syncMode(normalSync) + "&_txlock=immediate&_cache_size=-65536"
	}
	return "file:" + url.PathEscape(path) + q
}

func mattnCode(err error) (int, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return int(se.ExtendedCode), true
	}
	return 0, false
}
