package registry_test

import (
	"testing"
	"time"

	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A signature lapses after the configured days: the active group needs a
// new one and its administrator is told, once however often the scheduler
// runs; signing again makes it active.
func TestSignatureLapse(t *testing.T) {
	cases := []struct {
		name    string
		days    int   // the policy's signature days
		ticks   []int // days after signing, each ticked twice
		resign  int   // sign again this many days after signing, 0: not
		status  string
		notices int
	}{
		{"before the signature lapses", 30, []int{29}, 0, registry.GroupActive, 0},
		{"after it lapses", 30, []int{31}, 0, registry.GroupNeedsSignature, 1},
		{"after it lapses, ticked on later days", 30, []int{31, 40, 50}, 0, registry.GroupNeedsSignature, 1},
		{"signed again after the lapse", 30, []int{31}, 32, registry.GroupActive, 1},
		{"signed again, then ticked before the new one lapses", 30, []int{31, 55}, 32, registry.GroupActive, 1},
		{"signature days 0: never", 0, []int{59}, 0, registry.GroupActive, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f := newFixture(t, db)
				f.reg.Policy.SignatureDays = c.days
				gid := f.active(t, "wrLapse") // signed now; the term ends in 60 days
				resign := func() {
					f.clock.t = f.start.AddDate(0, 0, c.resign)
					f.sign(t, gid, "")
				}
				signed := c.resign == 0
				for _, d := range c.ticks {
					if !signed && d > c.resign {
						resign()
						signed = true
					}
					f.tick(t, f.start.AddDate(0, 0, d), 2)
				}
				if !signed {
					resign()
				}
				if g := f.group(t, "zhang.san", gid); g.Status != c.status {
					t.Errorf("status %s, want %s", g.Status, c.status)
				}
				if n := f.notices(t, "zhang.san", "group.needs_signature", groupObj(gid)); n != c.notices {
					t.Errorf("%d lapse notices, want %d", n, c.notices)
				}
			})
		})
	}
}

// Automatic re-certification: every N months per level, counted from the
// last campaign of the level, or before the first from its oldest live
// group; started by the system once however often the scheduler runs.
func TestAutomaticRecertification(t *testing.T) {
	cases := []struct {
		name      string
		months    map[registry.Level]int
		ticks     []int // days from the start, each ticked twice
		campaigns int
	}{
		{"no interval configured", map[registry.Level]int{}, []int{400}, 0},
		{"before six months", map[registry.Level]int{registry.Public: 6}, []int{150}, 0},
		{"after six months", map[registry.Level]int{registry.Public: 6}, []int{200}, 1},
		{"after six months, ticked on later days", map[registry.Level]int{registry.Public: 6}, []int{200, 250, 300}, 1},
		{"six months after the last campaign", map[registry.Level]int{registry.Public: 6}, []int{200, 390}, 2},
		{"a level with no live group", map[registry.Level]int{registry.Internal: 6}, []int{200}, 0},
		{"two levels, each on its own interval", map[registry.Level]int{registry.Public: 6, registry.Sensitive: 12}, []int{200, 370}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db store.DB) {
				f := newFixture(t, db)
				f.reg.Policy.RecertMonths = c.months
				public, sensitive := f.public("公开群"), f.application()
				public.ExpiresAt, sensitive.ExpiresAt = rfc(f.start.AddDate(0, 0, 900)), rfc(f.start.AddDate(0, 0, 900))
				pid, sid := f.approved(t, public).GroupID, f.approved(t, sensitive).GroupID
				for _, d := range c.ticks {
					f.tick(t, f.start.AddDate(0, 0, d), 2)
				}
				cs, err := f.reg.Campaigns(ctx, nil)
				if err != nil || len(cs) != c.campaigns {
					t.Fatalf("%d campaigns, want %d: %v %+v", len(cs), c.campaigns, err, cs)
				}
				for _, cp := range cs {
					if cp.Kind != registry.Recertification || cp.CreatedBy != "system" || cp.DefaultDecision != registry.Keep ||
						!cp.Deadline.Equal(cp.CreatedAt.Add(14*24*time.Hour)) {
						t.Errorf("campaign: %+v", cp)
					}
					res, err := f.reg.CampaignResults(ctx, cp.ID)
					if err != nil {
						t.Fatal(err)
					}
					want := map[registry.Level]int64{registry.Public: pid, registry.Sensitive: sid}[cp.Level]
					if len(res.Recerts) != 1 || res.Recerts[0].GroupID != want {
						t.Errorf("%s campaign's tasks: %+v, want group %d's", cp.Level, res.Recerts, want)
					}
				}
				if n := f.notices(t, "zhang.san", "campaign.recertify", ""); n != c.campaigns {
					t.Errorf("%d re-certification notices, want %d", n, c.campaigns)
				}
			})
		})
	}
}
