// Package postgres is Charter's PostgreSQL storage engine, for organizations
// that run Charter on several machines or already operate PostgreSQL.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"charter/internal/store/common"
	"charter/internal/store/sqlutil"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the PostgreSQL store. Inside a transaction tx is set and every query uses it.
type DB struct {
	pool *sql.DB
	tx   *sql.Tx
	common.Shared
}

// Open connects to the database at url.
func Open(ctx context.Context, url string) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(16)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	d := &DB{pool: pool}
	d.Shared = common.NewShared(pool, pool, common.Postgres, d.lend())
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error { return d.pool.Close() }

// Engine names the engine.
func (d *DB) Engine() string { return "postgres" }

// Migrate applies the embedded migrations. The advisory lock keeps two
// servers starting together from applying the same step twice.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	return sqlutil.Migrate(ctx, d.pool, sqlutil.Dialect{
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
		Insert:      `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		Lock:        `SELECT pg_advisory_xact_lock(7263101)`,
	}, ms)
}

// Migrations lists the embedded migrations.
func Migrations() ([]sqlutil.Migration, error) {
	return sqlutil.LoadMigrations(migrationFS, "migrations")
}

// SchemaVersion is the highest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	return sqlutil.SchemaVersion(ctx, d.pool)
}

// Tx runs fn in one transaction and commits when fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(*DB) error) error {
	if d.tx != nil {
		return fn(d)
	}
	tx, err := d.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := &DB{pool: d.pool, tx: tx}
	t.Shared = common.NewSharedTx(tx, common.Postgres, t.lend())
	if err := fn(t); err != nil {
		return err
	}
	return tx.Commit()
}

// w is the transaction when in one, else the pool (PostgreSQL needs no
// separate readers).
func (d *DB) w() sqlutil.Querier {
	if d.tx != nil {
		return d.tx
	}
	return d.pool
}

// isUnique reports whether err is a unique_violation (SQLSTATE 23505).
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// IsFull reports whether err is PostgreSQL out of disk (SQLSTATE 53100).
func IsFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}
