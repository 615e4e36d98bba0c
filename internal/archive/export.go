package archive

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"strconv"
	"time"

	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/csvsafe"
	"charter/internal/errs"
)

// Manifest describes an e-discovery export: what was asked, when, by whom,
// and the SHA-256 of every file, so a recipient can prove the files are the
// ones Charter wrote.
type Manifest struct {
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
	Query     Query          `json:"query"`
	Messages  int            `json:"messages"`
	Files     []ManifestFile `json:"files"`
	// Checkpoint signs the chain heads with the export's own audit event:
	// keep the manifest, and `charter verify --against` it later.
	Checkpoint *checkpoint.Checkpoint `json:"checkpoint,omitempty"`
}

// ManifestFile is one exported file.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Export file names.
const (
	ExportNDJSON   = "messages.ndjson"
	ExportCSV      = "messages.csv"
	ExportManifest = "manifest.json"
)

var csvHeader = []string{"id", "platform", "source_id", "group_id", "room_id", "sender", "user", "sent_at", "sent_at_unknown", "kind", "text",
	"attachments", "amount_fen", "transfer_count", "transfer_type", "recalls", "recalled", "recalled_at", "captured_at", "hash"}

type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// Export writes every message matching q as NDJSON and CSV (with a UTF-8 BOM
// so spreadsheet programs read Chinese correctly) and then the manifest,
// creating each file with create. It is audited as one read of the archive.
func (s *Service) Export(ctx context.Context, q Query, create func(name string) (io.WriteCloser, error)) (*Manifest, error) {
	if err := s.prepare(&q); err != nil {
		return nil, err
	}
	q.Limit = MaxLimit
	q.Before = 0
	nf, err := create(ExportNDJSON)
	if err != nil {
		return nil, errs.Wrap(err, "create export file")
	}
	defer nf.Close()
	cf, err := create(ExportCSV)
	if err != nil {
		return nil, errs.Wrap(err, "create export file")
	}
	defer cf.Close()
	nh := &hashingWriter{w: nf, h: sha256.New()}
	ch := &hashingWriter{w: cf, h: sha256.New()}
	nb, cb := bufio.NewWriter(nh), bufio.NewWriter(ch)
	cb.WriteString("\ufeff")
	cw := csv.NewWriter(cb)
	cw.Write(csvHeader)
	enc := json.NewEncoder(nb)
	enc.SetEscapeHTML(false)
	count := 0
	for q.Text == "" || len(q.Terms) > 0 {
		page, err := s.Store.SearchMessages(ctx, q)
		if err != nil {
			return nil, errs.Wrap(err, "export search")
		}
		for i := range page {
			m := &page[i]
			if err := enc.Encode(m.Item(true)); err != nil {
				return nil, errs.Wrap(err, "write export")
			}
			cw.Write(csvRow(m))
			count++
		}
		if len(page) < q.Limit {
			break
		}
		q.Before = page[len(page)-1].ID
	}
	cw.Flush()
	for _, err := range []error{cw.Error(), nb.Flush(), cb.Flush(), nf.Close(), cf.Close()} {
		if err != nil {
			return nil, errs.Wrap(err, "write export")
		}
	}
	q.Before = 0
	man := &Manifest{CreatedAt: s.Now().UTC(), CreatedBy: audit.ActorFrom(ctx).Name, Query: q, Messages: count, Files: []ManifestFile{
		{Name: ExportNDJSON, Bytes: nh.n, SHA256: hex.EncodeToString(nh.h.Sum(nil))},
		{Name: ExportCSV, Bytes: ch.n, SHA256: hex.EncodeToString(ch.h.Sum(nil))},
	}}
	// The read is audited, and the chains signed over it, before the
	// manifest is written: the manifest carries the checkpoint.
	sum := querySummary(q, count)
	sum["files"] = man.Files
	err = s.Tx(ctx, func(tx TxStore) error {
		if err := tx.AppendAudit(ctx, audit.New(ctx, s.Now(), "message.export", "archive", audit.Summarize(sum))); err != nil {
			return err
		}
		if s.Checkpoints == nil {
			return nil
		}
		c, err := s.Checkpoints.In(ctx, tx, "export")
		if err != nil {
			return err
		}
		c.PublicKey = base64.StdEncoding.EncodeToString(s.Checkpoints.Public())
		man.Checkpoint = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	mf, err := create(ExportManifest)
	if err != nil {
		return nil, errs.Wrap(err, "create export file")
	}
	b, _ := json.MarshalIndent(man, "", "  ")
	if _, err := mf.Write(append(b, '\n')); err != nil {
		mf.Close()
		return nil, errs.Wrap(err, "write manifest")
	}
	if err := mf.Close(); err != nil {
		return nil, errs.Wrap(err, "write manifest")
	}
	return man, nil
}

func csvRow(m *Stored) []string {
	g := ""
	if m.GroupID != 0 {
		g = itoa(m.GroupID)
	}
	amount, count, typ := "", "", ""
	if t := m.Transfer; t != nil {
		amount, count, typ = itoa(t.AmountFen), strconv.Itoa(t.Count), t.Type
	}
	recalledAt := ""
	if m.RecalledAt != nil {
		recalledAt = m.RecalledAt.UTC().Format(time.RFC3339Nano)
	}
	return []string{itoa(m.ID), m.Platform, cell(m.SourceID), g, cell(m.RoomID), cell(m.Sender), cell(m.User), m.SentAt.UTC().Format(time.RFC3339Nano),
		strconv.FormatBool(m.SentAtUnknown), string(m.Kind), cell(m.Text), cell(AttachmentsJSON(m.Attachments)), amount, count, cell(typ), cell(m.Recalls), strconv.FormatBool(m.Recalled),
		recalledAt, m.CapturedAt.UTC().Format(time.RFC3339Nano), m.Hash}
}

// cell keeps a spreadsheet from running message content as a formula; the
// CSV is for reading, messages.ndjson keeps the exact content.
func cell(v string) string { return csvsafe.Cell(v) }
