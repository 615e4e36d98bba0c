// Package store opens Charter's database, SQLite by default or PostgreSQL by
// URL, and presents both engines behind one interface made of the domain
// packages' store interfaces.
package store

import (
	"context"
	"fmt"
	"os"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/attachment"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/matrix"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/store/postgres"
	"charter/internal/store/sqlite"
)

// DB is everything Charter keeps. Tx runs fn in one transaction; the DB it
// passes to fn sees the transaction's own writes.
type DB interface {
	account.Store
	audit.Store
	archive.Store
	registry.Store
	review.Store
	report.Store
	pipeline.TxStore
	pipeline.Store
	registry.DirectoryStore
	checkpoint.Store
	matrix.Store
	attachment.Store

	Tx(ctx context.Context, fn func(DB) error) error
	Migrate(ctx context.Context) (int, error)
	SchemaVersion(ctx context.Context) (int, error)
	Engine() string
	Close() error
	// Exec runs raw SQL: tests use it to tamper with rows, maintenance to repair.
	Exec(ctx context.Context, query string, args ...any) error
}

// Open opens the database the configuration names, without migrating.
func Open(ctx context.Context, cfg *config.Config) (DB, error) {
	if cfg.DatabaseURL != "" {
		return OpenPostgres(ctx, cfg.DatabaseURL)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return openSQLite(ctx, cfg.SQLitePath(), cfg.SQLiteSynchronous)
}

// OpenSQLite opens the SQLite file at path with synchronous=FULL.
func OpenSQLite(ctx context.Context, path string) (DB, error) {
	return openSQLite(ctx, path, "full")
}

// OpenSQLiteDriver is OpenSQLite with one of sqlite.Drivers: the driver
// benchmark compares them on the same store.
func OpenSQLiteDriver(ctx context.Context, driver, path string) (DB, error) {
	d, err := sqlite.OpenDriver(ctx, driver, path, "full")
	if err != nil {
		return nil, err
	}
	return sqliteDB{d}, nil
}

func openSQLite(ctx context.Context, path, synchronous string) (DB, error) {
	d, err := sqlite.Open(ctx, path, synchronous)
	if err != nil {
		return nil, err
	}
	return sqliteDB{d}, nil
}

// OpenPostgres connects to the PostgreSQL database at url.
func OpenPostgres(ctx context.Context, url string) (DB, error) {
	d, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return postgresDB{d}, nil
}

// The engines' Tx hands out their own concrete type; these wrappers turn it
// back into a DB so domain code never sees which engine it runs on.
type sqliteDB struct{ *sqlite.DB }

func (d sqliteDB) Tx(ctx context.Context, fn func(DB) error) error {
	return d.DB.Tx(ctx, func(t *sqlite.DB) error { return fn(sqliteDB{t}) })
}

type postgresDB struct{ *postgres.DB }

func (d postgresDB) Tx(ctx context.Context, fn func(DB) error) error {
	return d.DB.Tx(ctx, func(t *postgres.DB) error { return fn(postgresDB{t}) })
}

// TxFor adapts db.Tx to a domain's own transaction signature, so a domain
// service can ask for exactly the store interface it needs.
func TxFor[S any](db DB) func(context.Context, func(S) error) error {
	return func(ctx context.Context, fn func(S) error) error {
		return db.Tx(ctx, func(d DB) error {
			s, ok := d.(S)
			if !ok {
				return fmt.Errorf("store: %T does not implement %T", d, s)
			}
			return fn(s)
		})
	}
}

// Full reports whether err is the database finding no room to write: the
// disk is full. Callers answer 503 and report degraded health.
func Full(err error) bool { return sqlite.IsFull(err) || postgres.IsFull(err) }
