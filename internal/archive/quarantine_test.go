package archive_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A correction records the hash of what it archived, and quarantined bytes
// are kept no longer than an unregistered room's messages.
func TestQuarantineCorrectionAndRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		svc := archive.NewService(db, store.TxFor[archive.TxStore](db), func() time.Time { return now })
		body := `{"platform":"wecom","source_id":"q1","room_id":"r","sender":"s","sent_at":"not a time","kind":"text","text":"x"}` + "\n" +
			`{"platform":"wecom","source_id":"q2","room_id":"r","sender":"s","sent_at":"also not","kind":"text","text":"y"}` + "\n"
		res, err := svc.Ingest(ctx, strings.NewReader(body), archive.Batch{Format: "ndjson", Source: "test"}, nil)
		if err != nil || len(res.Rejected) != 2 {
			t.Fatalf("ingest: %v %+v", err, res)
		}
		fixed := `{"platform":"wecom","source_id":"q1","room_id":"r","sender":"s","sent_at":"2026-11-20T08:00:00Z","kind":"text","text":"anything an admin typed"}`
		if _, _, err := svc.Reprocess(ctx, res.Rejected[0].QuarantineID, []byte(fixed), ""); err != nil {
			t.Fatal(err)
		}
		es, err := db.AuditEvents(ctx, audit.Filter{Action: "quarantine.reprocess", Limit: 10})
		sum := sha256.Sum256([]byte(fixed))
		if err != nil || len(es) != 1 || !strings.Contains(es[0].Summary, hex.EncodeToString(sum[:])) {
			t.Fatalf("the correction's audit event lacks the hash of what was archived: %v %+v", err, es)
		}
		now = now.Add(svc.Retention.Unregistered + time.Hour)
		pr, err := svc.Purge(ctx)
		if err != nil || pr.Quarantined != 2 {
			t.Fatalf("purge: %v %+v", err, pr)
		}
		if items, err := db.QuarantineItems(ctx, archive.QuarantineFilter{Limit: 10}); err != nil || len(items) != 0 {
			t.Fatalf("quarantine after its retention: %v %d items", err, len(items))
		}
	})
}
