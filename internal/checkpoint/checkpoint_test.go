package checkpoint_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

type fixture struct {
	db   store.DB
	arch *archive.Service
	cps  *checkpoint.Service
	now  time.Time
}

func newFixture(t *testing.T, db store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return f.now }
	key, err := checkpoint.LoadKey("", filepath.Join(t.TempDir(), "checkpoint.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	f.cps = &checkpoint.Service{Store: db, Tx: store.TxFor[checkpoint.Store](db), Key: key, Now: now}
	f.arch = archive.NewService(db, store.TxFor[archive.TxStore](db), now)
	var lines []string
	for i := 1; i <= 6; i++ {
		lines = append(lines, fmt.Sprintf(`{"platform":"wecom","source_id":"m%d","room_id":"r","sender":"s","sent_at":"2026-11-20T08:0%d:00Z","kind":"text","text":"第%d条"}`, i, i, i))
	}
	// Two deliveries: two audit events.
	for _, part := range [][]string{lines[:3], lines[3:]} {
		if _, err := f.arch.Ingest(context.Background(), strings.NewReader(strings.Join(part, "\n")), archive.Batch{Format: "ndjson", Source: "t"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) checkpoint(t *testing.T) checkpoint.Checkpoint {
	t.Helper()
	c, err := f.cps.Make(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

// What the outside review did passes the chains' own verification; the
// checkpoint catches it.
func TestCheckpointsCatchWhatChainsCannot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		t.Run("audit truncated and its head moved back", func(t *testing.T) {
			f := newFixture(t, storetest.Open(t, db.Engine()))
			c := f.checkpoint(t)
			if err := checkpoint.Verify(ctx, f.db, f.cps.Public(), []checkpoint.Checkpoint{c}); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			// The newest event the checkpoint covers goes (with the
			// checkpoint's own event after it), and the head moves back.
			storetest.Tamper(t, f.db)
			covered := c.Chains["audit"].Seq
			var keep *audit.Event
			if err := f.db.WalkAudit(ctx, func(e *audit.Event) error {
				if e.Seq == covered-1 {
					keep = e
				}
				return nil
			}); err != nil || keep == nil {
				t.Fatalf("walk: %v", err)
			}
			for _, q := range []string{
				fmt.Sprintf("DELETE FROM audit_events WHERE seq >= %d", covered),
				fmt.Sprintf("UPDATE chain_heads SET seq = %d, hash = '%s' WHERE name = 'audit'", keep.Seq, keep.Hash),
			} {
				if err := f.db.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := audit.Verify(ctx, f.db); err != nil {
				t.Fatalf("the audit chain itself should still verify: %v", err)
			}
			var m *checkpoint.Mismatch
			err := checkpoint.Verify(ctx, f.db, f.cps.Public(), []checkpoint.Checkpoint{c})
			if !errors.As(err, &m) || m.Chain != "audit" || !strings.Contains(m.Reason, "truncated") {
				t.Fatalf("truncation: %v", err)
			}
		})
		t.Run("archive rewritten with its hashes recomputed", func(t *testing.T) {
			f := newFixture(t, storetest.Open(t, db.Engine()))
			c := f.checkpoint(t)
			storetest.Tamper(t, f.db)
			var ms []*archive.Stored
			if err := f.db.WalkArchive(ctx, func(m *archive.Stored) error { ms = append(ms, m); return nil }); err != nil {
				t.Fatal(err)
			}
			prev, hash := int64(0), ""
			for _, m := range ms {
				if m.SourceID == "m2" {
					m.Text = "改过的内容"
				}
				m.BodyHash, m.ContentHash = "", ""
				archive.Seal(m, prev, hash)
				prev, hash = m.ID, m.Hash
				q := fmt.Sprintf("UPDATE messages SET text = '%s', body_hash = '%s', content_hash = '%s', prev_hash = '%s', hash = '%s' WHERE id = %d",
					m.Text, m.BodyHash, m.ContentHash, m.PrevHash, m.Hash, m.ID)
				if err := f.db.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.db.Exec(ctx, fmt.Sprintf("UPDATE chain_heads SET hash = '%s' WHERE name = 'archive'", hash)); err != nil {
				t.Fatal(err)
			}
			if _, err := f.arch.Verify(ctx); err != nil {
				t.Fatalf("the rewritten archive chain should verify on its own: %v", err)
			}
			var m *checkpoint.Mismatch
			err := checkpoint.Verify(ctx, f.db, f.cps.Public(), []checkpoint.Checkpoint{c})
			if !errors.As(err, &m) || m.Chain != "archive" || !strings.Contains(m.Reason, "rewritten") {
				t.Fatalf("rewrite: %v", err)
			}
		})
		t.Run("a checkpoint signed by another key", func(t *testing.T) {
			f := newFixture(t, storetest.Open(t, db.Engine()))
			c := f.checkpoint(t)
			_, other, _ := ed25519.GenerateKey(nil)
			forged := &checkpoint.Service{Store: f.db, Tx: f.cps.Tx, Key: other, Now: f.cps.Now}
			fc, err := forged.Make(ctx, "forged")
			if err != nil {
				t.Fatal(err)
			}
			if err := checkpoint.Verify(ctx, f.db, f.cps.Public(), []checkpoint.Checkpoint{c, *fc}); err == nil {
				t.Fatal("a checkpoint of another key verified")
			}
			c.Body = strings.Replace(c.Body, `"reason":"test"`, `"reason":"tset"`, 1)
			if err := checkpoint.Verify(ctx, f.db, f.cps.Public(), []checkpoint.Checkpoint{c}); err == nil || !strings.Contains(err.Error(), "signature") {
				t.Fatalf("an altered body: %v", err)
			}
		})
	})
}

// A mistaken statement fails loudly: the archive and the audit trail refuse
// UPDATE and DELETE, but for the purge's tombstone.
func TestArchiveAndAuditRefuseChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.checkpoint(t)
		for _, q := range []string{
			"UPDATE messages SET text = 'x' WHERE id = 1",
			"DELETE FROM messages WHERE id = 1",
			"UPDATE audit_events SET actor = 'x' WHERE seq = 1",
			"DELETE FROM audit_events WHERE seq = 1",
			"UPDATE chain_heads SET seq = 1 WHERE name = 'archive'",
			"UPDATE chain_heads SET hash = 'x' WHERE name = 'audit'",
			"DELETE FROM chain_heads WHERE name = 'audit'",
			"DELETE FROM checkpoints",
		} {
			if err := db.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") && !strings.Contains(err.Error(), "only moves forward") && !strings.Contains(err.Error(), "never deleted") {
				t.Errorf("%s: %v, want a refusal", q, err)
			}
		}
		if db.Engine() == "postgres" {
			for _, table := range []string{"messages", "audit_events", "chain_heads", "checkpoints"} {
				if err := db.Exec(ctx, "TRUNCATE "+table+" CASCADE"); err == nil {
					t.Errorf("TRUNCATE %s was allowed", table)
				}
			}
		}
		// The purge's tombstones still work.
		f.now = f.now.AddDate(20, 0, 0)
		if res, err := f.arch.Purge(ctx); err != nil || res.Tombstoned != 6 {
			t.Fatalf("purge: %v %+v", err, res)
		}
		if _, err := f.arch.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k", "checkpoint.key")
	if _, err := checkpoint.LoadKey("", path, false); err == nil {
		t.Fatal("a missing key loaded without create")
	}
	k1, err := checkpoint.LoadKey("", path, true)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := checkpoint.LoadKey("", path, true)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := checkpoint.LoadKey("", path, true); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable key: %v", err)
	}
	if _, err := checkpoint.LoadKey("bm90IGEga2V5", path, true); err == nil {
		t.Fatal("a malformed seed in the environment was accepted")
	}
}
