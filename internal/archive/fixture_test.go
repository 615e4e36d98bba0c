package archive_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// clock is a settable time shared by the services of one fixture.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is when every fixture begins.
var start = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// archiveFixture is the archive as the composition root builds it — the
// registry's directory resolving rooms, the registry answering group
// levels, exports signed — on db, with two registered groups: Finance
// (internal) bound to wr-finance and wr-old, and 项目群 (sensitive), the
// group personal-WeChat exports are imported into.
type archiveFixture struct {
	db      store.DB
	svc     *archive.Service
	clk     *clock
	finance int64
	project int64
	ids     map[string]int64 // source id -> archive id, for what load archived
}

// officer is the security officer's context: searches and holds are theirs.
var officer = audit.WithActor(context.Background(), audit.Actor{Name: "bao.mi", Addr: "test"})

func newArchiveFixture(t *testing.T, db store.DB) *archiveFixture {
	t.Helper()
	ctx := context.Background()
	f := &archiveFixture{db: db, clk: &clock{t: start}, ids: map[string]int64{}}
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), f.clk.now, time.Hour)
	if _, err := accounts.CreateOrgUnit(ctx, "总部", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.CreateUser(ctx, account.NewUser{Username: "owner", RealName: "负责人", OrgUnit: "总部", Verified: true}); err != nil {
		t.Fatal(err)
	}
	f.finance = storetest.Group(t, db, "Finance", "owner", registry.Internal, start.AddDate(-4, 0, 0)).ID
	f.project = storetest.Group(t, db, "项目群", "owner", registry.Sensitive, start.AddDate(-6, 0, 0)).ID
	for _, room := range []string{"wr-finance", "wr-old"} {
		if err := db.AddBinding(ctx, &registry.Binding{GroupID: f.finance, Platform: "wecom", RoomID: room, BoundAt: start.AddDate(-4, 0, 0), BoundBy: "owner"}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cps := &checkpoint.Service{Store: db, Tx: store.TxFor[checkpoint.Store](db), Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), Now: f.clk.now}
	f.svc = app.NewArchive(&cfg, db, f.clk.now, registry.NewDirectory(db), cps)
	return f
}

// msgLine is one normalized (NDJSON) message.
func msgLine(id, room, sender string, at time.Time, kind, text string) string {
	return fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":%q,"sender":%q,"sent_at":%q,"kind":%q,"text":%q}`,
		id, room, sender, at.UTC().Format(time.RFC3339), kind, text)
}

// ndjsonBatch: n1 twice (stored once), line 3 (n3) with a bad time, and n4
// sent three years and two days ago, past the internal retention (1,096 days) whatever the date.
var ndjsonBatch = strings.Join([]string{
	msgLine("n1", "wr-finance", "zhangsan", start.Add(-time.Hour), "text", "这份是机密文件，不要转发"),
	msgLine("n2", "wr-finance", "lisi", start.Add(-50*time.Minute), "text", "Quarterly budget draft attached"),
	`{"platform":"wecom","source_id":"n3","room_id":"wr-finance","sender":"lisi","sent_at":"yesterday","kind":"text","text":"修正后的消息"}`,
	msgLine("n1", "wr-finance", "zhangsan", start.Add(-time.Hour), "text", "这份是机密文件，不要转发"),
	msgLine("n4", "wr-old", "wangwu", start.AddDate(-3, 0, -2), "text", "过期的机密 stale"),
}, "\n") + "\n"

// wecomBatch: a decrypted WeCom message and the revoke of it.
var wecomBatch = fmt.Sprintf(`{"msgid":"w1","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"wr-finance","msgtime":%d,"msgtype":"text","text":{"content":"发错了，这是内部资料"}}
{"msgid":"w2","action":"recall","from":"zhangsan","tolist":["lisi"],"roomid":"wr-finance","msgtime":%d,"msgtype":"revoke","revoke":{"pre_msgid":"w1"}}
`, start.Add(-20*time.Minute).UnixMilli(), start.Add(-19*time.Minute).UnixMilli())

// chatlogExport is a personal-WeChat export of 项目群 from 2021.
const chatlogExport = `[
  {"seq":1,"time":"2021-03-01T09:15:02+08:00","talker":"345@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_a1","senderName":"张三","isSelf":false,"type":1,"subType":0,"content":"项目机密进度表"},
  {"seq":2,"time":"2021-03-01T09:16:10+08:00","talker":"345@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_b2","senderName":"李四","isSelf":false,"type":1,"subType":0,"content":"收到"}
]`

// fixedN3 is the quarantined line 3 with its time corrected.
var fixedN3 = strings.Replace(strings.Split(ndjsonBatch, "\n")[2], "yesterday", start.Add(-40*time.Minute).Format(time.RFC3339), 1)

func (f *archiveFixture) ingest(t *testing.T, format, body string, group int64) *archive.Result {
	t.Helper()
	res, err := f.svc.Ingest(context.Background(), strings.NewReader(body), archive.Batch{Format: format, GroupID: group, Source: "test"}, nil)
	if err != nil {
		t.Fatalf("ingest %s: %v", format, err)
	}
	return res
}

// load archives what the end-to-end story did before its searches: the
// NDJSON batch, the WeCom batch, line 3 reprocessed with its fix, and the
// chatlog export into 项目群 — eight messages.
func (f *archiveFixture) load(t *testing.T) {
	t.Helper()
	res := f.ingest(t, "ndjson", ndjsonBatch, 0)
	f.ingest(t, "wecom", wecomBatch, 0)
	if len(res.Rejected) != 1 {
		t.Fatalf("load: %+v", res)
	}
	if _, _, err := f.svc.Reprocess(officer, res.Rejected[0].QuarantineID, []byte(fixedN3), ""); err != nil {
		t.Fatal(err)
	}
	f.ingest(t, "chatlog", chatlogExport, f.project)
	err := f.db.WalkArchive(context.Background(), func(m *archive.Stored) error {
		f.ids[m.SourceID] = m.ID
		return nil
	})
	if err != nil || len(f.ids) != 8 {
		t.Fatalf("load: %v, %d messages archived, want 8", err, len(f.ids))
	}
}

// search runs q as the security officer and returns the source ids found.
func (f *archiveFixture) search(t *testing.T, q archive.Query) ([]archive.Stored, string) {
	t.Helper()
	items, next, err := f.svc.Search(officer, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return items, next
}

func sourceIDs(items []archive.Stored) string {
	var s []string
	for _, it := range items {
		s = append(s, it.SourceID)
	}
	return strings.Join(s, ",")
}

// wantFieldError checks that err is an invalid-input error naming field.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != field {
		t.Fatalf("error %v (%#v), want invalid field %q", err, e, field)
	}
}

// wantKind checks err's kind.
func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); err == nil || got != kind {
		t.Fatalf("error %v (kind %q), want kind %q", err, got, kind)
	}
}
