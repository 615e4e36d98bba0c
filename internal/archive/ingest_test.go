package archive_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// Ingest archives every valid record once, quarantines a bad one with its
// line and reason, resolves rooms to their groups, and refuses a batch it
// cannot take, naming the field.
func TestIngest(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *archiveFixture)
	}{
		{"valid lines archived, a duplicate stored once, a bad line quarantined with its line", func(t *testing.T, f *archiveFixture) {
			res := f.ingest(t, "ndjson", ndjsonBatch, 0)
			if res.Accepted != 3 || res.Duplicates != 1 || len(res.Rejected) != 1 {
				t.Fatalf("result %+v, want 3 accepted, 1 duplicate, 1 rejected", res)
			}
			if r := res.Rejected[0]; r.Line != 3 || !strings.HasPrefix(r.Error, "sent_at") || r.QuarantineID == 0 {
				t.Errorf("rejection %+v, want line 3, a sent_at error and its quarantine id", r)
			}
		}},
		{"delivered again: every valid line a duplicate", func(t *testing.T, f *archiveFixture) {
			f.ingest(t, "ndjson", ndjsonBatch, 0)
			res := f.ingest(t, "ndjson", ndjsonBatch, 0)
			if res.Accepted != 0 || res.Duplicates != 4 || len(res.Rejected) != 1 {
				t.Fatalf("result %+v, want 0 accepted, 4 duplicates, 1 rejected", res)
			}
		}},
		{"rooms resolve to their registered group", func(t *testing.T, f *archiveFixture) {
			f.ingest(t, "ndjson", ndjsonBatch, 0)
			items, _ := f.search(t, archive.Query{GroupID: f.finance})
			if got := sourceIDs(items); got != "n4,n2,n1" {
				t.Fatalf("Finance holds %s, want n4,n2,n1", got)
			}
		}},
		{"a WeCom revoke is archived and marks its original recalled, text kept", func(t *testing.T, f *archiveFixture) {
			if res := f.ingest(t, "wecom", wecomBatch, 0); res.Accepted != 2 || len(res.Rejected) != 0 {
				t.Fatalf("result %+v, want 2 accepted", res)
			}
			items, _ := f.search(t, archive.Query{Text: "内部资料"})
			if len(items) != 1 || items[0].SourceID != "w1" || !items[0].Recalled || items[0].Text == "" {
				t.Fatalf("recalled original: %+v", items)
			}
		}},
		{"a WeCom message without a sending time is archived at its capture, marked so, and verifies", func(t *testing.T, f *archiveFixture) {
			// The vendor's own image example has msgtime 0; this one is a text.
			line := `{"msgid":"t0","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"wr-finance","msgtime":0,"msgtype":"text","text":{"content":"没有时间的内部资料"}}` + "\n"
			f.clk.add(time.Hour)
			if res := f.ingest(t, "wecom", line, 0); res.Accepted != 1 || len(res.Rejected) != 0 {
				t.Fatalf("result %+v, want 1 accepted", res)
			}
			items, _ := f.search(t, archive.Query{Text: "内部资料"})
			if len(items) != 1 {
				t.Fatalf("found %+v", items)
			}
			m := items[0]
			if !m.SentAtUnknown || !m.SentAt.Equal(m.CapturedAt) || !m.CapturedAt.Equal(f.clk.now()) {
				t.Fatalf("unknown %v sent %s captured %s, want unknown, both %s", m.SentAtUnknown, m.SentAt, m.CapturedAt, f.clk.now())
			}
			if it := m.Item(false); !it.SentAtUnknown {
				t.Fatalf("item does not say the time is unknown: %+v", it)
			}
			if v := f.verify(t); v.Messages != 1 {
				t.Fatalf("verified %+v", v)
			}
			known := m
			known.SentAtUnknown = false
			if archive.ContentHash(&known, m.BodyHash) == m.ContentHash {
				t.Fatal("the flag is not part of the hashed envelope")
			}
		}},
		{"attachments keep their sha256 and content type, and verify", func(t *testing.T, f *archiveFixture) {
			const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
			line := strings.TrimSuffix(msgLine("a1", "wr-finance", "zhangsan", start.Add(-time.Minute), "file", "预算表.xlsx"), "}") +
				`,"attachments":[{"name":"预算表.xlsx","size":4,"sha256":"` + sha + `","content_type":"application/vnd.ms-excel"}]}` + "\n"
			if res := f.ingest(t, "ndjson", line, 0); res.Accepted != 1 || len(res.Rejected) != 0 {
				t.Fatalf("result %+v, want 1 accepted", res)
			}
			items, _ := f.search(t, archive.Query{Text: "预算表"})
			if len(items) != 1 || len(items[0].Attachments) != 1 {
				t.Fatalf("found %+v", items)
			}
			if a := items[0].Item(false).Attachments[0]; a.SHA256 != sha || a.ContentType != "application/vnd.ms-excel" || a.Size != 4 {
				t.Fatalf("attachment %+v", a)
			}
			if v := f.verify(t); v.Messages != 1 {
				t.Fatalf("verified %+v", v)
			}
		}},
		{"a sha256 that is not 64 lowercase hex digits is quarantined naming it", func(t *testing.T, f *archiveFixture) {
			line := strings.TrimSuffix(msgLine("a2", "wr-finance", "zhangsan", start, "file", "x"), "}") + `,"attachments":[{"sha256":"../../etc/passwd"}]}` + "\n"
			res := f.ingest(t, "ndjson", line, 0)
			if res.Accepted != 0 || len(res.Rejected) != 1 || !strings.HasPrefix(res.Rejected[0].Error, "attachments.sha256") {
				t.Fatalf("result %+v, want the line rejected naming attachments.sha256", res)
			}
		}},
		{"a personal-WeChat export is archived into the group it names", func(t *testing.T, f *archiveFixture) {
			if res := f.ingest(t, "chatlog", chatlogExport, f.project); res.Accepted != 2 || res.Duplicates != 0 || len(res.Rejected) != 0 {
				t.Fatalf("result %+v, want 2 accepted", res)
			}
			items, _ := f.search(t, archive.Query{GroupID: f.project})
			if len(items) != 2 || items[0].GroupID != f.project {
				t.Fatalf("项目群 holds %+v", items)
			}
		}},
		{"a personal-WeChat export without a group is refused", func(t *testing.T, f *archiveFixture) {
			_, err := f.svc.Ingest(context.Background(), strings.NewReader(chatlogExport), archive.Batch{Format: "chatlog"}, nil)
			wantFieldError(t, err, "group")
		}},
		{"a group that does not exist is refused", func(t *testing.T, f *archiveFixture) {
			_, err := f.svc.Ingest(context.Background(), strings.NewReader(chatlogExport), archive.Batch{Format: "chatlog", GroupID: 999}, nil)
			wantFieldError(t, err, "group")
		}},
		{"an unknown format is refused", func(t *testing.T, f *archiveFixture) {
			_, err := f.svc.Ingest(context.Background(), strings.NewReader(ndjsonBatch), archive.Batch{Format: "telex"}, nil)
			wantFieldError(t, err, "format")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) { c.run(t, newArchiveFixture(t, db)) })
		})
	}
}

// The stored (and hashed) form of an attachment without the fields added
// for the blob store is what it was before them, so the messages archived
// then verify unchanged.
func TestAttachmentsJSONUnchangedWithoutTheNewFields(t *testing.T) {
	got := archive.AttachmentsJSON([]capture.Attachment{{Name: "a.pdf", Size: 4, MD5: "900150983cd24fb0d6963f7d28e17f72"}})
	if want := `[{"name":"a.pdf","size":4,"md5":"900150983cd24fb0d6963f7d28e17f72"}]`; got != want {
		t.Fatalf("stored form %s, want %s", got, want)
	}
}

// A quarantined record is listed with its line and bytes, and reprocessed
// with a correction it is archived and leaves the open list.
func TestQuarantine(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *archiveFixture, id int64)
	}{
		{"listed with its line, format and raw bytes", func(t *testing.T, f *archiveFixture, id int64) {
			items, err := f.svc.Quarantine(officer, archive.QuarantineFilter{Open: true})
			if err != nil || len(items) != 1 {
				t.Fatalf("quarantine: %v %+v", err, items)
			}
			if q := items[0]; q.ID != id || q.Line != 3 || q.Format != "ndjson" || !strings.Contains(string(q.Raw), "yesterday") {
				t.Errorf("item %+v (raw %q)", q, q.Raw)
			}
		}},
		{"reprocessed with a fix: archived, searchable, no longer open", func(t *testing.T, f *archiveFixture, id int64) {
			res, _, err := f.svc.Reprocess(officer, id, []byte(fixedN3), "")
			if err != nil || res.Accepted != 1 {
				t.Fatalf("reprocess: %v %+v", err, res)
			}
			if items, err := f.svc.Quarantine(officer, archive.QuarantineFilter{Open: true}); err != nil || len(items) != 0 {
				t.Errorf("open quarantine after reprocess: %v %+v", err, items)
			}
			if items, _ := f.search(t, archive.Query{Text: "修正"}); sourceIDs(items) != "n3" {
				t.Errorf("search 修正: %s, want n3", sourceIDs(items))
			}
		}},
		{"reprocessed as it was: still rejected", func(t *testing.T, f *archiveFixture, id int64) {
			_, _, err := f.svc.Reprocess(officer, id, nil, "")
			wantFieldError(t, err, "content")
		}},
		{"reprocessed twice: a conflict", func(t *testing.T, f *archiveFixture, id int64) {
			if _, _, err := f.svc.Reprocess(officer, id, []byte(fixedN3), ""); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.svc.Reprocess(officer, id, []byte(fixedN3), "")
			wantKind(t, err, errs.Conflict)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f := newArchiveFixture(t, db)
				res := f.ingest(t, "ndjson", ndjsonBatch, 0)
				c.run(t, f, res.Rejected[0].QuarantineID)
			})
		})
	}
}
