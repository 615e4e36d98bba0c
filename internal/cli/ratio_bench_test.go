package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"charter/internal/app"
	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/store"
	"charter/internal/store/sqlite"
)

// ratioCorpus makes batches of n messages over 50 rooms with 10 members
// each: chatter, and about 1 in 100 with a finding (a marking, an ID number,
// a key) or a red envelope. It returns the NDJSON body and the same messages
// as the archive would store them (hashed and chained), for the baseline.
func ratioCorpus(rnd *rand.Rand, seq *int, n int, at time.Time, head *archive.Stored) ([]byte, []*archive.Stored) {
	var buf []byte
	rows := make([]*archive.Stored, 0, n)
	for i := 0; i < n; i++ {
		*seq++
		r := rnd.IntN(50)
		sender := fmt.Sprintf("user%04d", r*benchMembers+rnd.IntN(benchMembers))
		text := benchZh[rnd.IntN(len(benchZh))] + "，" + benchEn[rnd.IntN(len(benchEn))]
		kind, extra := "text", ""
		var tr *capture.Transfer
		switch rnd.IntN(300) {
		case 0:
			text += "，附件为秘密★1年"
		case 1:
			text += "，身份证号11010519491231002X"
		case 2:
			text += fmt.Sprintf("，key AKIA%016d", *seq)
		case 3, 4, 5:
			tr = &capture.Transfer{AmountFen: int64(100 * (1 + rnd.IntN(100))), Count: 1 + rnd.IntN(10), Type: "group"}
			kind, extra = "red_envelope", fmt.Sprintf(`,"transfer":{"amount_fen":%d,"count":%d,"type":"group"}`, tr.AmountFen, tr.Count)
		}
		sent := at.Add(time.Duration(*seq) * time.Millisecond).UTC()
		id := fmt.Sprintf("r-%d", *seq)
		room := fmt.Sprintf("wr%04d", r)
		start := len(buf)
		buf = fmt.Appendf(buf, `{"platform":"wecom","source_id":%q,"room_id":%q,"sender":%q,"sent_at":%q,"kind":%q,"text":%q%s}`,
			id, room, sender, sent.Format(time.RFC3339Nano), kind, text, extra)
		m := &archive.Stored{Message: capture.Message{Platform: "wecom", SourceID: id, RoomID: room, Sender: sender, SentAt: sent,
			Kind: capture.Kind(kind), Text: text, Transfer: tr, Raw: append([]byte(nil), buf[start:]...)}, CapturedAt: sent}
		buf = append(buf, '\n')
		archive.Seal(m, head.ID, head.Hash)
		*head = *m
		rows = append(rows, m)
	}
	return buf, rows
}

// rawSQLite is the baseline: the same rows inserted straight into a fresh
// Charter database (the same messages table, its indexes and the same
// bigram FTS5 index), WAL, synchronous=FULL, one transaction per batch, with
// nothing parsed, resolved, hashed or scanned while timed.
type rawSQLite struct{ db *sql.DB }

func newRawSQLite(b *testing.B) *rawSQLite {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "raw.db")
	st, err := store.OpenSQLite(ctx, path) // creates the schema; then closed
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sqlite.RawWriter(sqlite.Drivers[0], path) // the driver and settings Charter writes with
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	return &rawSQLite{db: db}
}

func (r *rawSQLite) insert(b *testing.B, ms []*archive.Stored) {
	tx, err := r.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, _ := tx.Prepare(`INSERT INTO messages (id, platform, source_id, room_id, sender, sent_at, kind, text, attachments,
		amount_fen, transfer_count, transfer_type, recalls, raw, group_id, username, captured_at, body_hash, content_hash, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	fts, _ := tx.Prepare(`INSERT INTO messages_fts (rowid, tok) VALUES (?, ?)`)
	var buf []byte
	for _, m := range ms {
		var amount, count, typ any
		if t := m.Transfer; t != nil {
			amount, count, typ = t.AmountFen, t.Count, t.Type
		}
		if _, err := ins.Exec(m.ID, m.Platform, m.SourceID, m.RoomID, m.Sender, m.SentAt, string(m.Kind), m.Text, "",
			amount, count, typ, "", []byte(m.Raw), nil, "", m.CapturedAt, m.BodyHash, m.ContentHash, m.PrevHash, m.Hash); err != nil {
			b.Fatal(err)
		}
		if buf = archive.AppendIndexText(buf[:0], m.Text); len(buf) > 0 {
			if _, err := fts.Exec(m.ID, string(buf)); err != nil {
				b.Fatal(err)
			}
		}
	}
	ins.Close()
	fts.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngestVsRawInsert measures, in one run, batches of 5,000
// messages posted to POST /api/v1/ingest/messages (parse, resolve, archive
// with hash chain and search index, scan with every detector, alerts and
// notices, all before the answer; SQLite with synchronous=FULL) against the
// same messages inserted raw into SQLite with the same bigram index, and
// reports the ratio. realistic: 45 of the 50 rooms registered and bound,
// every sender a verified member of their room; worst: no room registered,
// no sender known.
func BenchmarkIngestVsRawInsert(b *testing.B) {
	for _, sc := range []struct {
		name  string
		bound int
	}{{"realistic", 45}, {"worst", 0}} {
		b.Run(sc.name, func(b *testing.B) {
			const n = 5000
			p := newBenchApp(b, sc.bound)
			raw := newRawSQLite(b)
			rnd, seq, at := rand.New(rand.NewPCG(11, 11)), 0, time.Now().Add(-time.Hour)
			bodies := make([][]byte, b.N)
			raws := make([][]*archive.Stored, b.N)
			var head archive.Stored
			for i := range bodies {
				bodies[i], raws[i] = ratioCorpus(rnd, &seq, n, at, &head)
			}
			b.ResetTimer()
			start := time.Now()
			for i := range raws {
				raw.insert(b, raws[i])
			}
			rawRate := float64(b.N*n) / time.Since(start).Seconds()
			start = time.Now()
			for i := range bodies {
				p.post(b, bodies[i], n)
			}
			rate := float64(b.N*n) / time.Since(start).Seconds()
			b.StopTimer()
			b.ReportMetric(rawRate, "raw-msgs/s")
			b.ReportMetric(rate, "msgs/s")
			b.ReportMetric(rate/rawRate, "ratio")
		})
	}
}

// BenchmarkCatchUp1M archives 1,000,000 messages of registered groups
// without scanning them (as a crashed process would leave them), then times
// the catch-up scanner taking them all. Run it with -benchtime 1x; the size
// is CHARTER_BENCH_CATCHUP (default 1,000,000).
func BenchmarkCatchUp1M(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CHARTER_BENCH_CATCHUP")); err == nil && v > 0 {
		total = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := newBenchApp(b, benchRooms)
		ctx := context.Background()
		// An archive with no observer: every chunk stays queued.
		unscanned := app.NewArchive(p.a.Config, p.a.DB, time.Now, p.a.Directory, nil)
		rnd, seq, at := rand.New(rand.NewPCG(13, 13)), 0, time.Now().Add(-48*time.Hour)
		for done := 0; done < total; done += 5000 {
			body := benchBatch(rnd, &seq, min(5000, total-done), at)
			if _, err := unscanned.Ingest(ctx, bytes.NewReader(body), archive.Batch{Format: "ndjson", Source: "bench"}, nil); err != nil {
				b.Fatal(err)
			}
		}
		// Every lease has run out, as after a restart.
		p.a.Pipeline.Now = func() time.Time { return time.Now().Add(time.Hour) }
		b.StartTimer()
		start := time.Now()
		scanned, created := 0, 0
		for {
			r, err := p.a.Pipeline.CatchUp(ctx, 16)
			if err != nil {
				b.Fatal(err)
			}
			scanned, created = scanned+r.Messages, created+r.Created
			if r.Chunks == 0 {
				break
			}
		}
		el := time.Since(start)
		b.StopTimer()
		if scanned != total || created == 0 {
			b.Fatalf("caught up %d of %d messages, %d alerts", scanned, total, created)
		}
		b.ReportMetric(float64(scanned)/el.Seconds(), "msgs/s")
		b.StartTimer()
	}
}
