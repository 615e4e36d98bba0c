package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store/storetest"
)

// detection is Charter assembled by the composition root on one engine,
// with a settable clock: 财务工作群 (internal, responsible zhang.san, member
// li.si, both holding WeCom handles) bound to wrFinance, a reviewer
// chen.rev, and the WeCom batch of the end-to-end story ingested: red
// envelopes, a classification marking, a valid and an invalid ID number,
// three opinions, and three messages of an unregistered room.
type detection struct {
	app   *app.App
	clk   *clock
	group int64
	res   *archive.Result
}

// actingAs is a context acting as username.
func actingAs(username string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: username, Addr: "test"})
}

func newDetection(t *testing.T, engine string) *detection {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if engine == "postgres" {
		cfg.DatabaseURL = storetest.PostgresURL(t)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d := &detection{clk: &clock{t: detectionStart}}
	a, err := app.Open(ctx, &cfg, d.clk.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	d.app = a
	if _, err := a.Accounts.CreateOrgUnit(ctx, "总部", ""); err != nil {
		t.Fatal(err)
	}
	for _, u := range []account.NewUser{
		{Username: "zhang.san", RealName: "张三", OrgUnit: "总部", Verified: true},
		{Username: "li.si", RealName: "李四", OrgUnit: "总部", Verified: true},
		{Username: "chen.rev", RealName: "陈审", OrgUnit: "总部", Verified: true, Roles: []account.Grant{{Role: account.Reviewer}}},
	} {
		if _, err := a.Accounts.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	d.group = storetest.Group(t, a.DB, "财务工作群", "zhang.san", registry.Internal, detectionStart.AddDate(0, -1, 0)).ID
	for user, handle := range map[string]string{"zhang.san": "ZhangSan", "li.si": "LiSi"} {
		if err := a.DB.AddHandle(ctx, &registry.Handle{Username: user, Platform: "wecom", Handle: handle, CreatedAt: detectionStart}); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.AddMember(ctx, &registry.Member{GroupID: d.group, Username: user, JoinedAt: detectionStart}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DB.AddBinding(ctx, &registry.Binding{GroupID: d.group, Platform: "wecom", RoomID: "wrFinance", BoundAt: detectionStart, BoundBy: "zhang.san"}); err != nil {
		t.Fatal(err)
	}
	d.res, err = a.Archive.Ingest(ctx, strings.NewReader(detectionBatch()), archive.Batch{Format: "wecom", Source: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// detectionStart is when every detection fixture begins.
var detectionStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// detectionBatch is the WeCom batch: one line a message, a millisecond apart.
func detectionBatch() string {
	ms := detectionStart.UnixMilli()
	line := func(id, from, room, msgtype, body string) string {
		ms++
		return fmt.Sprintf(`{"msgid":%q,"action":"send","from":%q,"tolist":["x"],"roomid":%q,"msgtime":%d,"msgtype":%q,%s}`, id, from, room, ms, msgtype, body)
	}
	text := func(id, from, room, s string) string {
		b, _ := json.Marshal(map[string]string{"content": s})
		return line(id, from, room, "text", `"text":`+string(b))
	}
	return strings.Join([]string{
		line("m-red", "ZhangSan", "wrFinance", "redpacket", `"redpacket":{"type":2,"wish":"恭喜发财","totalcnt":40,"totalamount":400000}`),
		line("m-small", "LiSi", "wrFinance", "redpacket", `"redpacket":{"type":2,"wish":"节日快乐","totalcnt":4,"totalamount":888}`),
		text("m-mark", "LiSi", "wrFinance", "附件是秘密★1年的预算草案，请勿外传"),
		text("m-id", "ZhangSan", "wrFinance", "报销人身份证号 11010519491231002X 请核对"),
		text("m-badid", "ZhangSan", "wrFinance", "测试号码 110105194912310021 不是真的"),
		text("m-op1", "LiSi", "wrFinance", "我觉得这次的房价调控政策完全没用，老百姓还是买不起房"),
		text("m-op2", "ZhangSan", "wrFinance", "Honestly the new vaccine policy was handled badly and people deserve better."),
		text("m-op3", "LiSi", "wrFinance", "人权和民主是普世价值，就业问题政府应该负责"),
		text("m-un1", "Stranger", "wrUnknown", "周末去爬山吗"),
		text("m-un2", "Stranger", "wrUnknown", "好的"),
		text("m-un3", "Other", "wrUnknown", "几点出发"),
	}, "\n") + "\n"
}

func (d *detection) open(t *testing.T) []review.Alert {
	t.Helper()
	alerts, err := d.app.Review.Alerts(actingAs("chen.rev"), review.AlertFilter{Status: review.StatusOpen, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

func (d *detection) alert(t *testing.T, rule string) review.Alert {
	t.Helper()
	for _, a := range d.open(t) {
		if a.Rule == rule {
			return a
		}
	}
	t.Fatalf("no open %s alert", rule)
	return review.Alert{}
}

// rulesBySource maps each source id to the rules its alerts name.
func rulesBySource(alerts []review.Alert) map[string]string {
	by := map[string]string{}
	for _, a := range alerts {
		for _, s := range a.SourceIDs {
			by[s] = strings.TrimSpace(by[s] + " " + a.Rule)
		}
	}
	return by
}

// Detection raises exactly the expected alerts for the batch, before the
// ingest answers, with masked excerpts, one alert per unregistered room,
// and tells the group's responsible person without the personal data;
// opinions and an ID number failing its check digit raise nothing. The
// cases read one ingested batch per engine.
func TestDetectionRaisesTheExpectedAlerts(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, d *detection)
	}{
		{"the batch is archived whole and scanned before the answer", func(t *testing.T, d *detection) {
			if d.res.Accepted != 11 || len(d.res.Rejected) != 0 || d.res.ScanPending != 0 {
				t.Errorf("ingest %+v, want 11 accepted and scanned", d.res)
			}
		}},
		{"exactly the expected rules", func(t *testing.T, d *detection) {
			var got []string
			for _, a := range d.open(t) {
				got = append(got, a.Rule)
			}
			sort.Strings(got) // 秘密 is the third level, which detect names marking.confidential
			want := "marking.confidential,pii.resident_id,registry.unregistered_room,transfer.fan_out,transfer.large_amount"
			if strings.Join(got, ",") != want {
				t.Errorf("alerts %v, want exactly %s", got, want)
			}
		}},
		{"the unregistered room raises one alert for all its messages", func(t *testing.T, d *detection) {
			a := d.alert(t, "registry.unregistered_room")
			if a.Count != 3 || strings.Join(a.SourceIDs, ",") != "m-un1,m-un2,m-un3" || a.GroupID != nil {
				t.Errorf("unregistered room alert: count %d, sources %v, group %v", a.Count, a.SourceIDs, a.GroupID)
			}
		}},
		{"a large red envelope names its amount in yuan", func(t *testing.T, d *detection) {
			if a := d.alert(t, "transfer.large_amount"); fmt.Sprint(a.Detail["amount_yuan"]) != "4000.00" {
				t.Errorf("large amount detail: %v", a.Detail)
			}
		}},
		{"no excerpt shows the ID number unmasked", func(t *testing.T, d *detection) {
			for _, a := range d.open(t) {
				if strings.Contains(a.Excerpt, "11010519491231002X") {
					t.Errorf("alert %s shows an unmasked ID number: %q", a.Rule, a.Excerpt)
				}
			}
		}},
		{"the responsible person is told, without the message content", func(t *testing.T, d *detection) {
			notes, err := d.app.DB.Notifications(context.Background(), "zhang.san", false)
			if err != nil {
				t.Fatal(err)
			}
			alertNotes := 0
			for _, n := range notes {
				if n.Kind == "alert" {
					alertNotes++
				}
				if strings.Contains(n.Message, "110105") || strings.Contains(n.Message, "秘密★") {
					t.Errorf("a notice carries message content: %q", n.Message)
				}
			}
			if alertNotes == 0 {
				t.Error("the responsible person got no alert notice")
			}
		}},
	}
	// Each message raises its rules, and only them.
	for _, c := range []struct{ source, rules, why string }{
		{"m-red", "transfer.fan_out transfer.large_amount", "a 4,000 yuan red envelope split 40 ways"},
		{"m-mark", "marking.confidential", "a 秘密★ marking"},
		{"m-id", "pii.resident_id", "a valid resident ID number"},
		{"m-un1", "registry.unregistered_room", "a message of an unregistered room"},
		{"m-small", "", "a small red envelope"},
		{"m-badid", "", "an ID number failing its check digit"},
		{"m-op1", "", "an opinion on housing policy"},
		{"m-op2", "", "an opinion on vaccine policy, in English"},
		{"m-op3", "", "an opinion on human rights"},
	} {
		name := c.why + " raises " + c.rules
		if c.rules == "" {
			name = c.why + " raises nothing"
		}
		cases = append(cases, struct {
			name string
			run  func(t *testing.T, d *detection)
		}{name, func(t *testing.T, d *detection) {
			by := rulesBySource(d.open(t))
			rules := strings.Fields(by[c.source])
			sort.Strings(rules)
			if got := strings.Join(rules, " "); got != c.rules {
				t.Errorf("%s raised %q, want %q", c.source, got, c.rules)
			}
		}})
	}
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			d := newDetection(t, engine)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, d) })
			}
		})
	}
}

// A reviewer reads an alert's context (audited), claims it and escalates it
// into a case; triage refuses what is out of order, naming why.
func TestDetectionTriage(t *testing.T) {
	rev := actingAs("chen.rev")
	cases := []struct {
		name string
		run  func(t *testing.T, d *detection)
	}{
		{"the context shows the flagged message, and the read is audited", func(t *testing.T, d *detection) {
			pii := d.alert(t, "pii.resident_id")
			_, msgs, err := d.app.Review.ReadContext(rev, pii.ID, 5)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range msgs {
				found = found || (m.SourceID == "m-id" && m.Flagged)
				if m.Flagged && m.SourceID != "m-id" {
					t.Errorf("%s flagged too", m.SourceID)
				}
			}
			if !found {
				t.Errorf("context lacks the flagged message: %+v", msgs)
			}
			es, err := d.app.DB.AuditEvents(context.Background(), audit.Filter{Action: "alert.read_context", Limit: 10})
			if err != nil || len(es) != 1 || es[0].Actor != "chen.rev" || es[0].Object != fmt.Sprintf("alert:%d", pii.ID) {
				t.Errorf("context read audit: %v %+v", err, es)
			}
		}},
		{"an unregistered room's context is not read", func(t *testing.T, d *detection) {
			_, _, err := d.app.Review.ReadContext(rev, d.alert(t, "registry.unregistered_room").ID, 5)
			if !errs.Is(err, errs.Forbidden) {
				t.Fatalf("reading an unregistered room: %v, want forbidden", err)
			}
		}},
		{"claimed and escalated, the alert is resolved into a case", func(t *testing.T, d *detection) {
			pii := d.alert(t, "pii.resident_id")
			if a, err := d.app.Review.Claim(rev, pii.ID); err != nil || a.Assignee != "chen.rev" || a.Status != review.StatusClaimed {
				t.Fatalf("claim: %v %+v", err, a)
			}
			a, err := d.app.Review.Resolve(rev, pii.ID, review.Resolution{Disposition: review.Escalated, Note: "ID number posted in the group"})
			if err != nil || a.Status != review.StatusResolved || a.CaseID == nil || a.ResolvedBy != "chen.rev" {
				t.Fatalf("resolve: %v %+v", err, a)
			}
		}},
		{"resolving an unclaimed alert is a conflict", func(t *testing.T, d *detection) {
			_, err := d.app.Review.Resolve(rev, d.alert(t, "pii.resident_id").ID, review.Resolution{Disposition: review.Escalated, Note: "x"})
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("resolve unclaimed: %v, want a conflict", err)
			}
		}},
		{"a resolution says why", func(t *testing.T, d *detection) {
			_, err := d.app.Review.Resolve(rev, d.alert(t, "pii.resident_id").ID, review.Resolution{Disposition: review.Escalated, Reassign: true})
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != "note" {
				t.Fatalf("resolve without a note: %v, want invalid field note", err)
			}
		}},
		{"another reviewer's claim is a conflict", func(t *testing.T, d *detection) {
			pii := d.alert(t, "pii.resident_id")
			if _, err := d.app.Review.Claim(rev, pii.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.app.Review.Claim(actingAs("someone.else"), pii.ID); !errs.Is(err, errs.Conflict) {
				t.Fatalf("second claim: %v, want a conflict", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, engine := range storetest.Engines {
				t.Run(engine, func(t *testing.T) { c.run(t, newDetection(t, engine)) })
			}
		})
	}
}
