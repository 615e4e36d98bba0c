// Package sqlite is Charter's embedded storage engine: one SQLite file in the
// data directory. SQLite allows one writer at a time, so writes go through a
// pool of one connection (transactions queue in Go instead of failing with
// SQLITE_BUSY) while reads use their own pool under WAL.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"charter/internal/store/common"
	"charter/internal/store/sqlutil"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the SQLite store. Inside a transaction tx is set and every query uses it.
type DB struct {
	write *sql.DB
	read  *sql.DB
	tx    *sql.Tx
	common.Shared
}

// Open opens (creating if needed) the database file at path with the
// default driver. synchronous is "full" (a committed batch survives power
// loss) or "normal" (it survives a process crash; the last commits may be
// lost on power loss).
func Open(ctx context.Context, path, synchronous string) (*DB, error) {
	return OpenDriver(ctx, Drivers[0], path, synchronous)
}

// OpenDriver is Open with the driver named (one of Drivers): the benchmarks
// compare them on the same code.
func OpenDriver(ctx context.Context, driver, path, synchronous string) (*DB, error) {
	drv, err := lookup(driver)
	if err != nil {
		return nil, err
	}
	write, err := sql.Open(drv.name, drv.dsn(path, false, synchronous == "normal"))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read, err := sql.Open(drv.name, drv.dsn(path, true, false))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	d := &DB{write: write, read: read}
	d.Shared = common.NewShared(write, read, common.SQLite, d.lend())
	return d, nil
}

// isUnique reports whether err is a uniqueness (or primary key) violation.
func isUnique(err error) bool {
	code, ok := errorCode(err)
	return ok && (code == codeConstraintUnique || code == codeConstraintPrimaryKey)
}

// IsFull reports whether err is SQLite finding the disk (or its size
// limit) full.
func IsFull(err error) bool {
	code, ok := errorCode(err)
	return ok && code&0xff == codeFull
}

// Close closes both pools.
func (d *DB) Close() error {
	return errors.Join(d.read.Close(), d.write.Close())
}

// Engine names the engine.
func (d *DB) Engine() string { return "sqlite" }

// Migrate applies the embedded migrations.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	return sqlutil.Migrate(ctx, d.write, sqlutil.Dialect{
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`,
		Insert:      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
	}, ms)
}

// Migrations lists the embedded migrations.
func Migrations() ([]sqlutil.Migration, error) {
	return sqlutil.LoadMigrations(migrationFS, "migrations")
}

// SchemaVersion is the highest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	return sqlutil.SchemaVersion(ctx, d.write)
}

// Tx runs fn in one write transaction (BEGIN IMMEDIATE, from the writer's
// _txlock in driver.go, so it never has to upgrade a read lock) and commits
// when fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(*DB) error) error {
	if d.tx != nil {
		return fn(d) // already inside one: join it
	}
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := &DB{write: d.write, read: d.read, tx: tx}
	t.Shared = common.NewSharedTx(tx, common.SQLite, t.lend())
	if err := fn(t); err != nil {
		return err
	}
	return tx.Commit()
}
