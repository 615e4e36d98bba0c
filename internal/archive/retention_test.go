package archive_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// holdFixture is the loaded archive with sensitive groups kept 30 days, an
// hour after load (so Finance's n4, sent three years and two days before, is past the
// internal retention), and a legal hold on 项目群, whose 2021 messages are
// past theirs.
func holdFixture(t *testing.T, db store.DB) (*archiveFixture, *archive.LegalHold) {
	t.Helper()
	f := newArchiveFixture(t, db)
	f.svc.Retention.Sensitive = 30 * 24 * time.Hour
	f.load(t)
	f.clk.add(time.Hour)
	h, err := f.svc.PlaceHold(officer, archive.LegalHold{GroupID: f.project, Reason: "案件 2026-17 证据保全"})
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

func (f *archiveFixture) purge(t *testing.T) *archive.PurgeResult {
	t.Helper()
	res, err := f.svc.Purge(officer)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *archiveFixture) verify(t *testing.T) archive.VerifyResult {
	t.Helper()
	res, err := f.svc.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

// Retention tombstones what is past its group's period unless a legal hold
// covers it; a released hold protects nothing; the chain verifies through
// tombstones and names a message changed behind Charter's back.
func TestRetentionAndLegalHolds(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *archiveFixture, h *archive.LegalHold)
	}{
		{"the hold is placed by its officer and listed as active", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			if h.ID == 0 || h.PlacedBy != "bao.mi" || !h.PlacedAt.Equal(f.clk.now()) {
				t.Errorf("hold %+v", h)
			}
			if hs, err := f.svc.Holds(officer, true); err != nil || len(hs) != 1 || hs[0].ID != h.ID {
				t.Errorf("active holds: %v %+v", err, hs)
			}
		}},
		{"a purge tombstones what is past retention and keeps what the hold covers", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			if res := f.purge(t); res.Tombstoned != 1 || res.Held != 2 {
				t.Fatalf("purge %+v, want 1 tombstoned and 2 held", res)
			}
			items, _ := f.search(t, archive.Query{Text: "机密"})
			if len(items) != 2 || items[1].SourceID != "n1" {
				t.Errorf("机密 after the purge: %s, want the held 2021 message and n1", sourceIDs(items))
			}
		}},
		{"the chain verifies through the tombstone", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			f.purge(t)
			if res := f.verify(t); res.Messages != 8 || res.Tombstones != 1 {
				t.Errorf("verify %+v, want 8 messages, 1 tombstone", res)
			}
		}},
		{"after release the held messages are purged, and the release is audited", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			f.purge(t)
			rel, err := f.svc.ReleaseHold(officer, h.ID)
			if err != nil || rel.ReleasedBy != "bao.mi" || rel.ReleasedAt == nil {
				t.Fatalf("release: %v %+v", err, rel)
			}
			if hs, err := f.svc.Holds(officer, true); err != nil || len(hs) != 0 {
				t.Errorf("active holds after release: %v %+v", err, hs)
			}
			if hs, err := f.svc.Holds(officer, false); err != nil || len(hs) != 1 {
				t.Errorf("all holds after release: %v %+v", err, hs)
			}
			if res := f.purge(t); res.Tombstoned != 2 || res.Held != 0 {
				t.Errorf("purge after release %+v, want 2 tombstoned", res)
			}
			if res := f.verify(t); res.Tombstones != 3 {
				t.Errorf("verify after release %+v, want 3 tombstones", res)
			}
			es, err := f.db.AuditEvents(officer, audit.Filter{Action: "legal_hold.release", Limit: 10})
			if err != nil || len(es) != 1 || es[0].Actor != "bao.mi" {
				t.Errorf("release audit: %v %+v", err, es)
			}
		}},
		{"a hold released twice is a conflict, an unknown one not found", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			if _, err := f.svc.ReleaseHold(officer, h.ID); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.ReleaseHold(officer, h.ID)
			wantKind(t, err, errs.Conflict)
			_, err = f.svc.ReleaseHold(officer, h.ID+100)
			wantKind(t, err, errs.NotFound)
		}},
		{"a hold must name what it holds and why", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			from := start
			for _, c := range []struct {
				hold  archive.LegalHold
				field string
			}{
				{archive.LegalHold{Reason: "x"}, "group_id"},
				{archive.LegalHold{GroupID: f.project}, "reason"},
				{archive.LegalHold{GroupID: 999, Reason: "x"}, "group_id"},
				{archive.LegalHold{From: &from, To: &from, Reason: "x"}, "to"},
			} {
				_, err := f.svc.PlaceHold(officer, c.hold)
				wantFieldError(t, err, c.field)
			}
		}},
		{"a message changed behind Charter's back is named", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			storetest.Tamper(t, f.db)
			if err := f.db.Exec(context.Background(), "UPDATE messages SET text = '无' WHERE id = 2"); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.Verify(context.Background())
			var broken *audit.BrokenLink
			if !errors.As(err, &broken) || broken.Chain != "archive" || broken.Seq != 2 {
				t.Fatalf("verify after tampering: %v, want the archive chain broken at seq 2", err)
			}
		}},
		{"text written back into a tombstone is named", func(t *testing.T, f *archiveFixture, h *archive.LegalHold) {
			if res := f.purge(t); res.Tombstoned != 1 {
				t.Fatalf("purge %+v, want 1 tombstoned", res)
			}
			storetest.Tamper(t, f.db)
			if err := f.db.Exec(context.Background(), "UPDATE messages SET text = '机密' WHERE purged_at IS NOT NULL"); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.Verify(context.Background())
			var broken *audit.BrokenLink
			if !errors.As(err, &broken) || broken.Chain != "archive" || !strings.Contains(broken.Reason, "tombstone") {
				t.Fatalf("verify after writing into a tombstone: %v, want the archive chain broken there", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f, h := holdFixture(t, db)
				c.run(t, f, h)
			})
		})
	}
}
