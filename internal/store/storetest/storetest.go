// Package storetest opens fresh, migrated databases of each engine for tests.
// PostgreSQL tests read CHARTER_TEST_POSTGRES_URL; each test gets its own
// schema, dropped at the end, so runs never collide.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"charter/internal/registry"
	"charter/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test server URL.
const EnvPostgres = "CHARTER_TEST_POSTGRES_URL"

// Engines are the engines every storage test runs on.
var Engines = []string{"sqlite", "postgres"}

// Each runs fn as a subtest on a fresh database of every engine.
func Each(t *testing.T, fn func(t *testing.T, db store.DB)) {
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) { fn(t, Open(t, engine)) })
	}
}

// Open returns a fresh migrated database of engine, closed when t ends. For
// postgres it skips t with the reason when CHARTER_TEST_POSTGRES_URL is unset.
func Open(t testing.TB, engine string) store.DB {
	t.Helper()
	ctx := context.Background()
	var db store.DB
	var err error
	switch engine {
	case "sqlite":
		db, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "charter.db"))
	case "postgres":
		db, err = store.OpenPostgres(ctx, PostgresURL(t))
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL creates a fresh schema on the test server and returns a URL
// whose connections use it. It skips t when the server is not configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("skipping PostgreSQL: %s is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Group registers a group straight in storage, as an approved application
// would, for tests of what reads the registry (reports, exports). The
// responsible person must exist; they are also recorded as the applicant.
func Group(t testing.TB, db store.DB, name, responsible string, level registry.Level, established time.Time) *registry.Group {
	t.Helper()
	ctx := context.Background()
	now := established.UTC()
	a := &registry.Application{Name: name, Purpose: name + "的日常工作沟通", Platform: "wecom", PlannedAt: now, ExpiresAt: now.AddDate(2, 0, 0),
		Responsible: responsible, Level: level, Members: []registry.ProposedMember{}, Applicant: responsible, Status: registry.Approved,
		Round: 1, Steps: []registry.Step{}, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	g := &registry.Group{ApplicationID: a.ID, Name: name, Purpose: a.Purpose, Platform: a.Platform, Level: level, Responsible: responsible,
		Status: registry.GroupActive, EstablishedAt: now, ExpiresAt: a.ExpiresAt, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	return g
}

// guards are the append-only triggers of migration 0008, by table.
var guards = [][2]string{
	{"messages", "messages_append_only_update"}, {"messages", "messages_append_only_delete"},
	{"audit_events", "audit_events_append_only_update"}, {"audit_events", "audit_events_append_only_delete"},
	{"chain_heads", "chain_heads_forward"}, {"chain_heads", "chain_heads_keep"},
	{"checkpoints", "checkpoints_append_only_update"}, {"checkpoints", "checkpoints_append_only_delete"},
	{"messages", "messages_no_truncate"}, {"audit_events", "audit_events_no_truncate"},
	{"chain_heads", "chain_heads_no_truncate"}, {"checkpoints", "checkpoints_no_truncate"},
}

// Tamper drops the append-only guards, as someone with the database
// owner's rights would before editing rows behind Charter's back, so a test
// can show that verify and the signed checkpoints still catch the edit.
func Tamper(t testing.TB, db store.DB) {
	t.Helper()
	for _, g := range guards {
		q := "DROP TRIGGER IF EXISTS " + g[1]
		if db.Engine() == "postgres" {
			q += " ON " + g[0]
		}
		if err := db.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}
