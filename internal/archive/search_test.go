package archive_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// Search finds a two-character Chinese term and an English word, filters by
// group, sender and kind, pages by cursor, refuses a bad query naming the
// field, and audits every search with its query. The cases read one loaded
// archive per engine.
func TestSearch(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *archiveFixture)
	}{
		{"a two-character Chinese term, newest first", func(t *testing.T, f *archiveFixture) {
			// The 2021 chatlog message was archived last, so it comes first.
			items, _ := f.search(t, archive.Query{Text: "机密"})
			if len(items) != 3 || items[0].Text != "项目机密进度表" || sourceIDs(items[1:]) != "n4,n1" {
				t.Errorf("机密: %s", sourceIDs(items))
			}
		}},
		{"an English word", func(t *testing.T, f *archiveFixture) {
			items, _ := f.search(t, archive.Query{Text: "budget"})
			if sourceIDs(items) != "n2" || items[0].Sender != "lisi" || items[0].GroupID != f.finance {
				t.Errorf("budget: %+v", items)
			}
		}},
		{"a reprocessed message", func(t *testing.T, f *archiveFixture) {
			if items, _ := f.search(t, archive.Query{Text: "修正"}); sourceIDs(items) != "n3" {
				t.Errorf("修正: %s", sourceIDs(items))
			}
		}},
		{"a recalled original keeps its text", func(t *testing.T, f *archiveFixture) {
			items, _ := f.search(t, archive.Query{Text: "内部资料"})
			if sourceIDs(items) != "w1" || !items[0].Recalled || items[0].Text == "" {
				t.Errorf("recalled original: %+v", items)
			}
		}},
		{"by sender and kind", func(t *testing.T, f *archiveFixture) {
			if items, _ := f.search(t, archive.Query{Sender: "zhangsan", Kind: "revoke"}); sourceIDs(items) != "w2" {
				t.Errorf("zhangsan's revokes: %s", sourceIDs(items))
			}
		}},
		{"by group", func(t *testing.T, f *archiveFixture) {
			items, _ := f.search(t, archive.Query{Text: "机密", GroupID: f.project})
			if len(items) != 1 || items[0].GroupID != f.project {
				t.Errorf("机密 in 项目群: %+v", items)
			}
		}},
		{"pages by cursor", func(t *testing.T, f *archiveFixture) {
			first, next := f.search(t, archive.Query{Limit: 2})
			if len(first) != 2 || next == "" {
				t.Fatalf("first page: %d items, next %q", len(first), next)
			}
			before, err := archive.ParseCursor(next)
			if err != nil {
				t.Fatal(err)
			}
			second, _ := f.search(t, archive.Query{Limit: 2, Before: before})
			if len(second) != 2 || second[0].ID >= first[1].ID {
				t.Errorf("second page %s after %s", sourceIDs(second), sourceIDs(first))
			}
		}},
		{"an unknown kind is refused", func(t *testing.T, f *archiveFixture) {
			_, _, err := f.svc.Search(officer, archive.Query{Kind: "hologram"})
			wantFieldError(t, err, "kind")
		}},
		{"to before from is refused", func(t *testing.T, f *archiveFixture) {
			_, _, err := f.svc.Search(officer, archive.Query{From: start, To: start.Add(-time.Hour)})
			wantFieldError(t, err, "to")
		}},
		{"a cursor not from a page is refused", func(t *testing.T, f *archiveFixture) {
			_, err := archive.ParseCursor("abc")
			wantFieldError(t, err, "cursor")
		}},
		{"every search is audited with its query and searcher", func(t *testing.T, f *archiveFixture) {
			f.search(t, archive.Query{Text: "机密"})
			es, err := f.db.AuditEvents(officer, audit.Filter{Action: "message.search", Actor: "bao.mi", Limit: 500})
			if err != nil || len(es) == 0 || !strings.Contains(es[0].Summary, `"q":"机密"`) {
				t.Fatalf("search audit: %v %+v", err, es)
			}
		}},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newArchiveFixture(t, db)
		f.load(t)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { c.run(t, f) })
		}
	})
}

// memFiles collects an export's files in memory.
type memFiles map[string]*bytes.Buffer

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func (m memFiles) create(name string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m[name] = b
	return nopCloser{b}, nil
}

// Export writes the messages found as NDJSON and CSV and a manifest with
// every file's SHA-256 and a signed checkpoint, audited as one read.
func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newArchiveFixture(t, db)
		f.load(t)
		files := memFiles{}
		man, err := f.svc.Export(officer, archive.Query{Text: "机密"}, files.create)
		if err != nil {
			t.Fatal(err)
		}
		var written archive.Manifest
		if err := json.Unmarshal(files[archive.ExportManifest].Bytes(), &written); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			run  func(t *testing.T)
		}{
			{"the manifest counts the messages and lists both files", func(t *testing.T) {
				if written.Messages != 3 || len(written.Files) != 2 || written.CreatedBy != "bao.mi" || written.Query.Text != "机密" {
					t.Errorf("manifest %+v", written)
				}
				if man.Messages != written.Messages {
					t.Errorf("returned manifest counts %d, written %d", man.Messages, written.Messages)
				}
			}},
			{"every file matches its sum", func(t *testing.T) {
				for _, mf := range written.Files {
					sum := sha256.Sum256(files[mf.Name].Bytes())
					if hex.EncodeToString(sum[:]) != mf.SHA256 || int64(files[mf.Name].Len()) != mf.Bytes {
						t.Errorf("%s: differs from the manifest", mf.Name)
					}
				}
			}},
			{"the manifest carries a signed checkpoint of the chains", func(t *testing.T) {
				c := written.Checkpoint
				if c == nil || c.Signature == "" || c.PublicKey == "" || c.Chains["audit"].Seq == 0 || c.Chains["archive"].Seq != 8 {
					t.Errorf("checkpoint %+v", c)
				}
			}},
			{"the CSV has a BOM, a header and one row a message", func(t *testing.T) {
				csv := files[archive.ExportCSV].Bytes()
				if !bytes.HasPrefix(csv, []byte("\ufeffid,platform,source_id")) || bytes.Count(csv, []byte("\n")) != 4 {
					t.Errorf("csv: %q", csv)
				}
			}},
			{"the NDJSON has one line a message, with its raw record", func(t *testing.T) {
				lines := strings.Split(strings.TrimSpace(files[archive.ExportNDJSON].String()), "\n")
				var it archive.Item
				if len(lines) != 3 || json.Unmarshal([]byte(lines[0]), &it) != nil || it.Text != "项目机密进度表" || !bytes.Contains(it.Raw, []byte(`"talker"`)) {
					t.Errorf("ndjson: %q", lines)
				}
			}},
			{"the export is audited", func(t *testing.T) {
				es, err := db.AuditEvents(officer, audit.Filter{Action: "message.export", Limit: 10})
				if err != nil || len(es) != 1 || es[0].Actor != "bao.mi" || !strings.Contains(es[0].Summary, `"results":3`) {
					t.Errorf("export audit: %v %+v", err, es)
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, c.run)
		}
	})
}
