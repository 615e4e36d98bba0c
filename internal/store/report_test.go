package store_test

import (
	"context"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

func TestReportStorage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		if _, err := accounts(db).CreateUser(ctx, account.NewUser{Username: "zhang", RealName: "张伟"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		g := storetest.Group(t, db, "预算编制工作群", "zhang", registry.Sensitive, at)

		// The migration's defaults: a cadence for every level and the four checklist items.
		ss, err := db.Schedules(ctx)
		if err != nil || len(ss) != 3 {
			t.Fatalf("schedules: %v %+v", err, ss)
		}
		if err := db.SetSchedule(ctx, &report.Schedule{Level: registry.Public, Cadence: report.Monthly, DueDays: 7, UpdatedAt: at, UpdatedBy: "so"}); err != nil {
			t.Fatal(err)
		}
		ss, _ = db.Schedules(ctx)
		if ss[1].Level != registry.Public || ss[1].Cadence != report.Monthly || ss[1].DueDays != 7 || ss[1].UpdatedBy != "so" || len(ss) != 3 {
			t.Fatalf("schedule after set: %+v", ss)
		}
		items, err := db.ChecklistItems(ctx, true)
		if err != nil || len(items) != 4 || items[0].TextZh != "本群未传播任何涉密信息" || items[3].TextEn != "Red envelopes and transfers were within the rules" {
			t.Fatalf("default checklist: %v %+v", err, items)
		}
		extra := &report.ChecklistItem{TextZh: "群公告已告知成员存档范围", TextEn: "The group notice tells members what is archived", Position: 5,
			Active: true, CreatedAt: at, CreatedBy: "so"}
		if err := db.AddChecklistItem(ctx, extra); err != nil || extra.ID == 0 {
			t.Fatalf("add item: %v %d", err, extra.ID)
		}
		if err := db.SetChecklistItemActive(ctx, items[1].ID, false); err != nil {
			t.Fatal(err)
		}
		if err := db.SetChecklistItemActive(ctx, 9999, false); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown item: %v", err)
		}
		active, _ := db.ChecklistItems(ctx, true)
		all, _ := db.ChecklistItems(ctx, false)
		if len(active) != 4 || len(all) != 5 || active[3].ID != extra.ID {
			t.Fatalf("active %d, all %d: %+v", len(active), len(all), active)
		}

		// A report per group and period: the second create is refused quietly.
		msgs, fen := 12, int64(8888)
		r := &report.Report{GroupID: g.ID, Period: "2026-10", PeriodStart: at.AddDate(0, 1, 0), PeriodEnd: at.AddDate(0, 2, 0),
			DueAt: at.AddDate(0, 2, 10), Status: report.Due, Stats: report.Stats{Messages: &msgs, TransferFen: &fen, Joins: 2},
			Checklist: []report.Answer{{ItemID: 1, TextZh: "甲", TextEn: "A"}}, CreatedAt: at, UpdatedAt: at}
		if ok, err := db.CreateReport(ctx, r); err != nil || !ok || r.ID == 0 {
			t.Fatalf("create report: %v %v %d", ok, err, r.ID)
		}
		dup := *r
		if ok, err := db.CreateReport(ctx, &dup); err != nil || ok {
			t.Fatalf("second report for the period: %v %v", ok, err)
		}
		got, err := db.Report(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GroupName != "预算编制工作群" || got.Responsible != "zhang" || got.ResponsibleName != "张伟" || got.Level != registry.Sensitive ||
			*got.Stats.Messages != 12 || *got.Stats.TransferFen != 8888 || got.Stats.ActiveMembers != nil || got.Stats.Joins != 2 ||
			!got.DueAt.Equal(r.DueAt) || got.Checklist[0].TextZh != "甲" || got.FiledAt != nil {
			t.Fatalf("stored report differs: %+v", got)
		}
		filed := at.AddDate(0, 2, 3)
		got.Status, got.Remarks, got.FiledBy, got.FullName, got.Addr, got.ContentSHA256, got.FiledAt = report.Filed, "无异常", "zhang", "张伟", "10.0.0.8", "abc", &filed
		got.Checklist[0].Answer = "yes"
		if err := db.UpdateReport(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := db.Report(ctx, r.ID)
		if again.Status != report.Filed || again.FiledBy != "zhang" || again.FullName != "张伟" || again.Addr != "10.0.0.8" ||
			again.FiledAt == nil || !again.FiledAt.Equal(filed) || again.Checklist[0].Answer != "yes" || again.Remarks != "无异常" {
			t.Fatalf("filed report differs: %+v", again)
		}
		for _, c := range []struct {
			f    report.Filter
			want int
		}{
			{report.Filter{}, 1}, {report.Filter{Responsible: "zhang"}, 1}, {report.Filter{Responsible: "li"}, 0},
			{report.Filter{Period: "2026-10", GroupID: g.ID}, 1}, {report.Filter{Status: report.Due}, 0}, {report.Filter{Unfiled: true}, 0},
		} {
			rs, err := db.Reports(ctx, c.f)
			if err != nil || len(rs) != c.want {
				t.Errorf("reports %+v: %v %d, want %d", c.f, err, len(rs), c.want)
			}
		}
		if _, err := db.Report(ctx, 424242); !errs.Is(err, errs.NotFound) {
			t.Fatalf("missing report: %v", err)
		}
	})
}
