// Package sqlutil holds the helpers both storage engines share: the query
// interface that a pool and a transaction both satisfy, the migration runner,
// and error translation. The queries are in store/common, written once.
package sqlutil

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"charter/internal/errs"
)

// Querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads dir/NNNN_name.sql files from fsys in version order.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Dialect is the little SQL the migration runner needs from an engine.
type Dialect struct {
	CreateTable string // creates schema_migrations(version, name, applied_at) if absent
	Insert      string // inserts (version, name, applied_at)
	Lock        string // optional: taken inside each migration transaction so two starting servers do not race
}

// ErrSchemaTooNew is returned when the database was migrated by a newer binary.
type ErrSchemaTooNew struct{ DB, Binary int }

func (e *ErrSchemaTooNew) Error() string {
	return fmt.Sprintf("the database schema is at version %d but this charter binary knows only up to version %d: upgrade charter before using this database", e.DB, e.Binary)
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and refuses a database whose schema is newer than ms.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, ms []Migration) (applied int, err error) {
	if _, err := db.ExecContext(ctx, d.CreateTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, db)
	if err != nil {
		return 0, err
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].Version
	}
	for v := range done {
		if v > known {
			return 0, &ErrSchemaTooNew{DB: v, Binary: known}
		}
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := apply(ctx, db, d, m); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}

func apply(ctx context.Context, db *sql.DB, d Dialect, m Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.Lock != "" {
		if _, err := tx.ExecContext(ctx, d.Lock); err != nil {
			return fmt.Errorf("migration %s: lock: %w", m.Name, err)
		}
		// Another server may have applied it while we waited for the lock.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = "+strconv.Itoa(m.Version)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, d.Insert, m.Version, m.Name, time.Now().UTC()); err != nil {
		return fmt.Errorf("migration %s: record: %w", m.Name, err)
	}
	return tx.Commit()
}

func appliedVersions(ctx context.Context, db *sql.DB) (map[int]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// SchemaVersion returns the highest applied version, 0 on an empty database.
func SchemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// NotFound turns sql.ErrNoRows into an errs.NotFound naming what was looked up.
func NotFound(err error, what string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, what+" not found", args...)
	}
	return err
}

// TimePtr converts a nullable time for a JSON field.
func TimePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// NullTime converts an optional time for a query argument.
func NullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// ZeroNull stores the zero time as NULL.
func ZeroNull(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// NullZero reads NULL as the zero time.
func NullZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// ZeroNullInt stores an absent id (0) as NULL.
func ZeroNullInt(n int64) sql.NullInt64 {
	return sql.NullInt64{Int64: n, Valid: n != 0}
}

// JSON encodes a value kept in a text column.
func JSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// FromJSON decodes text columns in pairs: (text, destination), ...
func FromJSON(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal([]byte(pairs[i].(string)), pairs[i+1]); err != nil {
			return fmt.Errorf("decode JSON column: %w", err)
		}
	}
	return nil
}

// Int64Ptr converts a nullable integer for a JSON field.
func Int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// UTC sets each time to UTC, as every engine should hand times out.
func UTC(ts ...*time.Time) {
	for _, t := range ts {
		*t = t.UTC()
	}
}
