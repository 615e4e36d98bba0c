package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/capture/wecom"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

type fixedResolver struct{}

// fixedResolver binds every room to group 7 but those named room-unreg*,
// which stay unregistered: archived, never searched.
func (r fixedResolver) View(context.Context) (archive.View, error) { return r, nil }

func (fixedResolver) RoomGroup(platform, room string) (int64, bool) {
	if strings.HasPrefix(room, "room-unreg") {
		return 0, false
	}
	return 7, true
}

func (fixedResolver) SenderUser(platform, handle string) (string, bool) {
	if handle == "zhangsan" {
		return "zhang.san", true
	}
	return "", false
}

func archiveService(db store.DB, now func() time.Time) *archive.Service {
	s := archive.NewService(db, store.TxFor[archive.TxStore](db), now)
	s.Resolver = fixedResolver{}
	s.ChunkSize = 3 // several chunks even in a small test
	return s
}

func ndjsonLine(id, room, sender string, at time.Time, kind, text string, extra string) string {
	return fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":%q,"sender":%q,"sent_at":%q,"kind":%q,"text":%q%s}`,
		id, room, sender, at.UTC().Format(time.RFC3339), kind, text, extra)
}

func TestArchive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		svc := archiveService(db, func() time.Time { return now })
		var observed []archive.Stored
		svc.Observe(func(_ context.Context, c archive.Committed) int { observed = append(observed, c.Messages...); return 0 })

		old := now.AddDate(-2, 0, 0)
		lines := []string{
			ndjsonLine("m1", "room-finance", "zhangsan", now.Add(-time.Hour), "text", "这是机密文件，请勿外传", ""),
			ndjsonLine("m2", "room-finance", "lisi", now.Add(-50*time.Minute), "text", "The quarterly Budget is attached", `,"attachments":[{"name":"budget.xlsx","size":1024}]`),
			`{"platform":"wecom","source_id":"bad"`, // line 3: malformed
			ndjsonLine("m3", "room-x", "wangwu", now.Add(-40*time.Minute), "red_envelope", "恭喜发财", `,"transfer":{"amount_fen":20000,"count":5,"type":"group"}`),
			ndjsonLine("m1", "room-finance", "zhangsan", now.Add(-time.Hour), "text", "这是机密文件，请勿外传", ""), // duplicate
			ndjsonLine("m4", "room-finance", "zhangsan", now.Add(-30*time.Minute), "revoke", "", `,"recalls":"m1"`),
			ndjsonLine("m5", "room-unreg", "zhaoliu", old, "text", "旧的机密消息 old secret", ""),
			ndjsonLine("m6", "room-finance", "zhangsan", old, "text", "旧的内部消息 under hold", ""),
		}
		res, err := svc.Ingest(ctx, strings.NewReader(strings.Join(lines, "\n")+"\n"), archive.Batch{Format: "ndjson", Source: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != 6 || res.Duplicates != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 3 || res.Rejected[0].QuarantineID == 0 {
			t.Fatalf("ingest result: %+v", res)
		}
		if len(observed) != 6 || observed[0].GroupID != 7 || observed[0].User != "zhang.san" || observed[2].GroupID != 7 || observed[4].GroupID != 0 {
			t.Fatalf("observed: %+v", observed)
		}
		// What review reads: context around a message, a sender's transfers.
		around, err := db.MessagesAround(ctx, 7, "wecom", "room-finance", []string{"m2", "nope"}, 1)
		if err != nil || len(around) != 3 || around[0].SourceID != "m1" || around[1].SourceID != "m2" || around[2].SourceID != "m4" {
			t.Fatalf("messages around m2: %v %+v", err, around)
		}
		if other, err := db.MessagesAround(ctx, 8, "wecom", "room-finance", []string{"m2"}, 1); err != nil || len(other) != 0 {
			t.Fatalf("another group's context of the same room: %v %+v", err, other)
		}
		if n, err := db.SenderTransferTotal(ctx, "wecom", "wangwu", now.Add(-2*time.Hour), now); err != nil || n != 20000 {
			t.Fatalf("transfer total: %v %d", err, n)
		}
		// The same batch again: all duplicates, nothing new.
		res, err = svc.Ingest(ctx, strings.NewReader(lines[0]+"\n"+lines[1]+"\n"), archive.Batch{Format: "ndjson"}, nil)
		if err != nil || res.Accepted != 0 || res.Duplicates != 2 {
			t.Fatalf("re-ingest: %v %+v", err, res)
		}

		search := func(q archive.Query) []archive.Stored {
			t.Helper()
			got, _, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		ids := func(ms []archive.Stored) string {
			var s []string
			for _, m := range ms {
				s = append(s, m.SourceID)
			}
			return strings.Join(s, ",")
		}
		// m5 also says 机密, but its room is bound to no group: Charter keeps it
		// and never reads it.
		if got := search(archive.Query{Text: "机密"}); ids(got) != "m1" || !got[0].Recalled || got[0].Text == "" {
			t.Fatalf("search 机密: %s %+v", ids(got), got)
		}
		if got := search(archive.Query{Text: "budget"}); ids(got) != "m2" || len(got[0].Attachments) != 1 {
			t.Fatalf("search budget: %s", ids(got))
		}
		if got := search(archive.Query{Text: "机密文件"}); ids(got) != "m1" {
			t.Fatalf("search 机密文件: %s", ids(got))
		}
		if got := search(archive.Query{Text: "密文"}); ids(got) != "m1" {
			t.Fatalf("search 密文: %s", ids(got))
		}
		if got := search(archive.Query{Text: "密外"}); ids(got) != "" {
			t.Fatalf("search across punctuation: %s", ids(got))
		}
		if got := search(archive.Query{Text: "机密", GroupID: 7}); ids(got) != "m1" {
			t.Fatalf("search with group: %s", ids(got))
		}
		if got := search(archive.Query{Sender: "zhang.san"}); ids(got) != "m6,m4,m1" {
			t.Fatalf("search by user: %s", ids(got))
		}
		if got := search(archive.Query{Kind: "red_envelope"}); ids(got) != "m3" || got[0].Transfer.AmountFen != 20000 {
			t.Fatalf("search by kind: %s", ids(got))
		}
		if got := search(archive.Query{From: now.Add(-55 * time.Minute), To: now}); ids(got) != "m4,m3,m2" {
			t.Fatalf("search by time: %s", ids(got))
		}
		// Pagination walks everything once.
		page, next, err := svc.Search(ctx, archive.Query{Limit: 4})
		if err != nil || len(page) != 4 || next == "" {
			t.Fatalf("page 1: %v %d %q", err, len(page), next)
		}
		before, _ := archive.ParseCursor(next)
		page2, next2, err := svc.Search(ctx, archive.Query{Limit: 4, Before: before})
		if err != nil || len(page2) != 1 || next2 != "" || page2[0].ID >= page[3].ID {
			t.Fatalf("page 2: %v %d %q", err, len(page2), next2)
		}
		es, _ := db.AuditEvents(ctx, audit.Filter{Action: "message.search", Limit: 100})
		if len(es) < 10 || !strings.Contains(es[len(es)-1].Summary, `"q":"机密"`) {
			t.Fatalf("search audit: %d %+v", len(es), es)
		}

		// Quarantine: listed, reprocessed with corrected content, not twice.
		qs, err := svc.Quarantine(ctx, archive.QuarantineFilter{Open: true})
		if err != nil || len(qs) != 1 || qs[0].Line != 3 || string(qs[0].Raw) != lines[2] {
			t.Fatalf("quarantine: %v %+v", err, qs)
		}
		if _, _, err := svc.Reprocess(ctx, qs[0].ID, nil, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reprocess unchanged: %v", err)
		}
		fixed := ndjsonLine("bad", "room-finance", "zhangsan", now.Add(-10*time.Minute), "text", "corrected line", "")
		r, _, err := svc.Reprocess(ctx, qs[0].ID, []byte(fixed), "")
		if err != nil || r.Accepted != 1 {
			t.Fatalf("reprocess: %v %+v", err, r)
		}
		if _, _, err := svc.Reprocess(ctx, qs[0].ID, []byte(fixed), ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reprocess twice: %v", err)
		}
		if qs, _ := svc.Quarantine(ctx, archive.QuarantineFilter{Open: true}); len(qs) != 0 {
			t.Fatalf("open quarantine after reprocess: %+v", qs)
		}

		// The chain verifies; a hold protects m6 from the purge; m5 becomes a tombstone.
		if n, err := svc.Verify(ctx); err != nil || n.Messages != 7 {
			t.Fatalf("verify: %v %+v", err, n)
		}
		hold, err := svc.PlaceHold(ctx, archive.LegalHold{User: "zhang.san", Reason: "investigation 2026-17"})
		if err != nil {
			t.Fatal(err)
		}
		svc.Retention.Sensitive = 365 * 24 * time.Hour // m6's group level is unknown: sensitive
		pr, err := svc.Purge(ctx)
		if err != nil || pr.Tombstoned != 1 || pr.Held != 1 {
			t.Fatalf("purge: %v %+v", err, pr)
		}
		if got := search(archive.Query{Text: "机密"}); ids(got) != "m1" {
			t.Fatalf("search after purge: %s", ids(got))
		}
		if got := search(archive.Query{Text: "hold"}); ids(got) != "m6" {
			t.Fatalf("held message: %s", ids(got))
		}
		if n, err := svc.Verify(ctx); err != nil || n.Tombstones != 1 {
			t.Fatalf("verify after purge: %v %+v", err, n)
		}
		// A purged message delivered again stays a duplicate.
		if res, err := svc.Ingest(ctx, strings.NewReader(lines[6]), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Duplicates != 1 {
			t.Fatalf("re-ingest purged: %v %+v", err, res)
		}
		if _, err := svc.ReleaseHold(ctx, hold.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ReleaseHold(ctx, hold.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("release twice: %v", err)
		}
		if pr, err := svc.Purge(ctx); err != nil || pr.Tombstoned != 1 {
			t.Fatalf("purge after release: %v %+v", err, pr)
		}

		// Tampering is named at the altered message: a body changed, a
		// tombstone's envelope changed, a message emptied as if purged.
		var bl *audit.BrokenLink
		storetest.Tamper(t, db)
		// Verify stops at the first broken link, so tamper from the end.
		for _, c := range []struct {
			sql, want string
			seq       int64
			arg       time.Time
		}{
			{"UPDATE messages SET sent_at = ? WHERE purged_at IS NOT NULL AND id = 5", "envelope does not match", 5, now.Add(-300 * 24 * time.Hour)},
			{"UPDATE messages SET text = 'nothing to see' WHERE id = 2", "content does not match", 2, time.Time{}},
			{"UPDATE messages SET text = '', purged_at = ? WHERE id = 1", "before its retention", 1, now},
		} {
			q, args := c.sql, []any{}
			if !c.arg.IsZero() {
				args = append(args, c.arg)
				if db.Engine() == "postgres" {
					q = strings.Replace(q, "?", "$1", 1)
				}
			}
			if err := db.Exec(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Verify(ctx); !errors.As(err, &bl) || bl.Chain != "archive" || bl.Seq != c.seq || !strings.Contains(bl.Reason, c.want) {
				t.Fatalf("verify after %q: %v", c.sql, err)
			}
		}
	})
}

func TestIngestRefusesPersonalExportWithoutGroup(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	svc := archiveService(db, time.Now)
	_, err := svc.Ingest(context.Background(), strings.NewReader(""), archive.Batch{Format: "chatlog"}, nil)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "group") {
		t.Fatalf("chatlog without group: %v", err)
	}
}

// fakeSource serves seqs 1..n in order.
type fakeSource struct{ items []wecom.ChatData }

func (f *fakeSource) GetChatData(seq int64, limit int) ([]wecom.ChatData, error) {
	var out []wecom.ChatData
	for _, it := range f.items {
		if it.Seq > seq && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func TestPullCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := archiveService(db, time.Now)
		c := &archive.PullCursor{Store: db, Ctx: ctx, Corp: "corp1", Source: "default"}
		if seq, err := c.Load(); err != nil || seq != 0 {
			t.Fatalf("fresh cursor: %v %d", err, seq)
		}
		// The sink saves the cursor with the batch, in one transaction.
		sink := svc.WeComSink("corp1", "default")
		batch := []wecom.Item{
			{Seq: 11, MsgID: "a", Record: capture.Record{Msg: &capture.Message{Platform: "wecom", SourceID: "a", RoomID: "r", Sender: "s", SentAt: time.Now(), Kind: capture.KindText, Text: "hi"}}},
			{Seq: 12, MsgID: "b", Record: capture.Record{Err: errs.Field("msgtype", "unknown"), Raw: []byte(`{"msgid":"b"}`)}},
		}
		if err := sink(ctx, 12, batch); err != nil {
			t.Fatal(err)
		}
		if seq, err := c.Load(); err != nil || seq != 12 {
			t.Fatalf("cursor after sink: %v %d", err, seq)
		}
		// A second corp/source is independent; Save moves only its own.
		other := &archive.PullCursor{Store: db, Ctx: ctx, Corp: "corp1", Source: "backup"}
		if err := other.Save(5); err != nil {
			t.Fatal(err)
		}
		if seq, _ := c.Load(); seq != 12 {
			t.Fatalf("cursor moved by another source: %d", seq)
		}
		qs, _ := svc.Quarantine(ctx, archive.QuarantineFilter{})
		if len(qs) != 1 || qs[0].Line != 12 {
			t.Fatalf("pulled reject quarantined: %+v", qs)
		}
		// A sink that fails leaves the cursor where it was (no gap).
		failing := func(ctx context.Context, last int64, b []wecom.Item) error { return errors.New("disk full") }
		p := &wecom.Puller{Source: &fakeSource{items: []wecom.ChatData{{Seq: 13, MsgID: "c"}}}, Cursor: c, Keys: wecom.NewKeyRing(), Sink: failing}
		if _, err := p.PullOnce(ctx); err == nil {
			t.Fatal("pull with a failing sink succeeded")
		}
		if seq, _ := c.Load(); seq != 12 {
			t.Fatalf("cursor after failed sink: %d", seq)
		}
	})
}

// TestSearchNewestFirstAtScale crosses the first search window of the
// PostgreSQL engine (20,000 ids): a common term fills its page from the
// newest ids, a rare one is found far back, a page cursor continues.
func TestSearchNewestFirstAtScale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
		svc.Resolver = fixedResolver{}
		var b strings.Builder
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		const n = 25000
		for i := 1; i <= n; i++ {
			text := "日常消息"
			switch {
			case i%1000 == 0:
				text = "窗口测试"
			case i == 7:
				text = "罕见词语"
			}
			b.WriteString(ndjsonLine(fmt.Sprintf("s%d", i), "r", "u", at.Add(time.Duration(i)*time.Second), "text", text, ""))
			b.WriteByte('\n')
		}
		if res, err := svc.Ingest(ctx, strings.NewReader(b.String()), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != n {
			t.Fatalf("ingest: %v %+v", err, res)
		}
		got, next, err := svc.Search(ctx, archive.Query{Text: "窗口", Limit: 3})
		if err != nil || len(got) != 3 || got[0].SourceID != "s25000" || got[2].SourceID != "s23000" || next == "" {
			t.Fatalf("common term: %v %d %+v", err, len(got), got)
		}
		before, _ := archive.ParseCursor(next)
		got, _, err = svc.Search(ctx, archive.Query{Text: "窗口", Limit: 30, Before: before})
		if err != nil || len(got) != 22 || got[0].SourceID != "s22000" || got[21].SourceID != "s1000" {
			t.Fatalf("common term, next page: %v %d", err, len(got))
		}
		got, _, err = svc.Search(ctx, archive.Query{Text: "罕见", Limit: 3})
		if err != nil || len(got) != 1 || got[0].SourceID != "s7" {
			t.Fatalf("rare term: %v %+v", err, got)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// A read failure half-way keeps what was read before it and says so.
func TestIngestKeepsWhatWasReadBeforeAFailure(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	svc := archiveService(db, time.Now) // chunks of 3
	var lines strings.Builder
	for i := 0; i < 5; i++ {
		lines.WriteString(ndjsonLine(fmt.Sprintf("f%d", i), "r", "u", time.Now(), "text", "x", "") + "\n")
	}
	res, err := svc.Ingest(context.Background(), io.MultiReader(strings.NewReader(lines.String()), failingReader{}), archive.Batch{Format: "ndjson"}, nil)
	if err == nil || !strings.Contains(err.Error(), "connection reset") || res == nil || res.Accepted != 5 {
		t.Fatalf("ingest with a failing reader: %v %+v", err, res)
	}
	if r, err := svc.Verify(context.Background()); err != nil || r.Messages != 5 {
		t.Fatalf("verify: %v %+v", err, r)
	}
}

// A message as large as capture allows is archived and searchable on both
// engines (PostgreSQL bounds the tsvector of one message).
func TestHugeMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
		svc.Resolver = fixedResolver{}
		text := "开头的机密 " + strings.Repeat("很长的会议记录内容，", 200_000) + strings.Repeat("x", 5000)
		line := ndjsonLine("huge", "r", "u", time.Now(), "text", text, "")
		res, err := svc.Ingest(ctx, strings.NewReader(line), archive.Batch{Format: "ndjson"}, nil)
		if err != nil || res.Accepted != 1 {
			t.Fatalf("ingest %d bytes: %v %+v", len(line), err, res)
		}
		if got, _, err := svc.Search(ctx, archive.Query{Text: "机密"}); err != nil || len(got) != 1 || len(got[0].Text) != len(text) {
			t.Fatalf("search: %v %d", err, len(got))
		}
	})
}

// What one engine cannot store is quarantined, never failing the others.
func TestUnstorableMessageIsQuarantined(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		svc := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
		lines := ndjsonLine("ok1", "r", "u", time.Now(), "text", "fine", "") + "\n" +
			`{"platform":"wecom","source_id":"nul","room_id":"r","sender":"u","sent_at":"2026-11-20T10:00:00Z","kind":"text","text":"a\u0000b"}` + "\n" +
			ndjsonLine("big", "r", "u", time.Now(), "red_envelope", "", `,"transfer":{"amount_fen":1,"count":99999999999,"type":"group"}`) + "\n" +
			ndjsonLine("ok2", "r", "u", time.Now(), "text", "fine too", "") + "\n"
		res, err := svc.Ingest(ctx, strings.NewReader(lines), archive.Batch{Format: "ndjson"}, nil)
		if err != nil || res.Accepted != 2 || len(res.Rejected) != 2 || res.Rejected[0].Line != 2 || !strings.Contains(res.Rejected[0].Error, "NUL") ||
			res.Rejected[1].Line != 3 || !strings.Contains(res.Rejected[1].Error, "count") {
			t.Fatalf("ingest: %v %+v", err, res)
		}
	})
}

// Content removed outside a purge is named by verify: a message younger than
// its group's retention, or one under a legal hold when it was removed.
func TestVerifyCatchesEarlyTombstone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		svc := archiveService(db, func() time.Time { return now })
		lines := ndjsonLine("e1", "room-finance", "zhangsan", now.AddDate(-2, 0, 0), "text", "两年前的消息", "") + "\n" +
			ndjsonLine("e2", "room-unreg-1", "someone", now.AddDate(-1, 0, 0), "text", "一年前的未登记消息", "") + "\n"
		if res, err := svc.Ingest(ctx, strings.NewReader(lines), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != 2 {
			t.Fatalf("ingest: %v %+v", err, res)
		}
		// The unregistered room's message is past its 180 days: a purge takes
		// it, and verify accepts that tombstone.
		if pr, err := svc.Purge(ctx); err != nil || pr.Tombstoned != 1 {
			t.Fatalf("purge: %v %+v", err, pr)
		}
		if _, err := svc.Verify(ctx); err != nil {
			t.Fatalf("verify after a lawful purge: %v", err)
		}
		// The group's message (level unknown: kept as sensitive, 10 years)
		// emptied by hand is caught.
		if err := db.Tombstone(ctx, []int64{1}, now); err != nil {
			t.Fatal(err)
		}
		var bl *audit.BrokenLink
		if _, err := svc.Verify(ctx); !errors.As(err, &bl) || bl.Seq != 1 || !strings.Contains(bl.Reason, "retention") {
			t.Fatalf("verify after an early tombstone: %v", err)
		}
		storetest.Tamper(t, db)
		if err := db.Exec(ctx, "DELETE FROM messages WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Verify(ctx); !errors.As(err, &bl) || bl.Seq != 1 || !strings.Contains(bl.Reason, "missing") {
			t.Fatalf("verify after removing a message: %v", err)
		}
	})
}

func TestVerifyCatchesTombstoneUnderHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		svc := archiveService(db, func() time.Time { return now })
		line := ndjsonLine("h1", "room-unreg-2", "someone", now.AddDate(-1, 0, 0), "text", "一年前的消息", "") + "\n"
		if res, err := svc.Ingest(ctx, strings.NewReader(line), archive.Batch{Format: "ndjson"}, nil); err != nil || res.Accepted != 1 {
			t.Fatalf("ingest: %v %+v", err, res)
		}
		// A tombstone keeps no sender, so verify can judge holds by group and
		// time range, not by person: this one covers the day it was sent.
		from, to := now.AddDate(-1, 0, -1), now.AddDate(-1, 0, 1)
		if _, err := svc.PlaceHold(ctx, archive.LegalHold{From: &from, To: &to, Reason: "inquiry"}); err != nil {
			t.Fatal(err)
		}
		if pr, err := svc.Purge(ctx); err != nil || pr.Tombstoned != 0 || pr.Held != 1 {
			t.Fatalf("purge under hold: %v %+v", err, pr)
		}
		if err := db.Tombstone(ctx, []int64{1}, now); err != nil { // by hand, past the purge
			t.Fatal(err)
		}
		var bl *audit.BrokenLink
		if _, err := svc.Verify(ctx); !errors.As(err, &bl) || bl.Seq != 1 || !strings.Contains(bl.Reason, "legal hold") {
			t.Fatalf("verify after emptying a held message: %v", err)
		}
	})
}
