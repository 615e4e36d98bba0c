package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	moderncsqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The driver is modernc.org/sqlite: SQLite translated to Go, with FTS5
// compiled in, so a plain `go build`, `go install` or `go test` gives a
// working Charter without cgo or build tags. mattn/go-sqlite3 (cgo) is
// faster at raw inserts, but needs the sqlite_fts5 tag for search and a C
// compiler; building with -tags sqlite_mattn adds it beside this one for
// the driver benchmark (BenchmarkDriver in internal/archive).
var (
	// Drivers are the drivers of this build, the default first.
	Drivers = []string{"modernc"}
	drivers = map[string]driver{"modernc": {name: "sqlite", dsn: moderncDSN, code: moderncCode}}
)

// driver is what differs between SQLite drivers: the name it registers,
// how it spells the connection settings, and how its errors carry
// SQLite's result code.
type driver struct {
	name string
	dsn  func(path string, readOnly, normalSync bool) string
	code func(error) (int, bool)
}

// SQLite result codes Charter tells apart (the same in every driver).
const (
	codeFull                 = sqlite3.SQLITE_FULL
	codeConstraintUnique     = sqlite3.SQLITE_CONSTRAINT_UNIQUE
	codeConstraintPrimaryKey = sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
)

// moderncDSN sets busy_timeout before WAL, so that switching the journal
// mode waits instead of failing; BEGIN IMMEDIATE for the writer, so a
// transaction never has to upgrade a read lock; and times written in the
// format SQLite's own date functions read (the driver's default would be
// Go's time.String).
func moderncDSN(path string, readOnly, normalSync bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_time_format", "sqlite")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", syncMode(normalSync))
		q.Set("_txlock", "immediate")
		q.Add("_pragma", "cache_size(-65536)")
	}
	return "file:" + url.PathEscape(path) + "?" + q.Encode()
}

func syncMode(normal bool) string {
	if normal {
		return "NORMAL"
	}
	return "FULL"
}

func moderncCode(err error) (int, bool) {
	var se *moderncsqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// errorCode is SQLite's extended result code carried by err, whichever
// driver raised it.
func errorCode(err error) (int, bool) {
	for _, d := range drivers {
		if c, ok := d.code(err); ok {
			return c, true
		}
	}
	return 0, false
}

// RawWriter opens path as Charter's writer does, without the store around
// it: benchmarks measure the storage floor with it.
func RawWriter(driver, path string) (*sql.DB, error) {
	drv, err := lookup(driver)
	if err != nil {
		return nil, err
	}
	return sql.Open(drv.name, drv.dsn(path, false, false))
}

// RawReader opens path read-only, as Charter's readers do: a benchmark
// watches a running Charter's database with it (WAL lets it read while
// Charter writes).
func RawReader(driver, path string) (*sql.DB, error) {
	drv, err := lookup(driver)
	if err != nil {
		return nil, err
	}
	return sql.Open(drv.name, drv.dsn(path, true, false))
}

func lookup(name string) (driver, error) {
	d, ok := drivers[name]
	if !ok {
		return driver{}, fmt.Errorf("sqlite: no driver %q in this build (have %v)", name, Drivers)
	}
	return d, nil
}
