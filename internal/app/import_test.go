package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// The HR directory maps people's platform handles in the same file, through
// the wiring Open builds: a row's user and handles commit together or not at
// all, a handle the user has is kept once, and the same file again changes
// nothing.
func TestImportHandles(t *testing.T) {
	const file = "username,real_name,org_unit,matrix,wecom\n" +
		"zhang.wei,张伟,Finance,@zhang.wei:example.org,ZhangWei\n" +
		"li.na,李娜,Finance, @li.na:example.org ; @lina:matrix.example.org:8448 ;,\n" +
		"wang.fang,王芳,Finance,wang.fang:example.org,WangFang\n" + // line 4: no @
		"zhao.lei,赵磊,Finance,@zhang.wei:example.org,\n" + // line 5: zhang.wei's, two lines up
		"chen.jie,陈杰,Finance,,wmGUEST\n" + // line 6: an external member's
		"qian.bo,钱博改,Finance,@qian.bo,\n" + // line 7: known, no :server
		"sun.li,孙丽,Finance,@sun.li:example.org;@sun.li:example.org,\n" +
		"zhou.min,周敏,Finance,@zhou.min:example.org,ZhouMin\n" // known, ZhouMin hers already
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "cli", Addr: "local"})
		cfg := config.Default()
		reg := registry.NewService(db, store.TxFor[registry.TxStore](db), time.Now, registry.DefaultPolicy())
		acc := newAccounts(&cfg, db, time.Now, reg)
		if _, err := acc.CreateOrgUnit(ctx, "Finance", ""); err != nil {
			t.Fatal(err)
		}
		for _, u := range []account.NewUser{{Username: "qian.bo", RealName: "钱博", OrgUnit: "Finance"}, {Username: "zhou.min", RealName: "周敏", OrgUnit: "Finance"}} {
			if _, err := acc.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := reg.AddHandle(ctx, "zhou.min", "wecom", "ZhouMin"); err != nil {
			t.Fatal(err)
		}
		g := storetest.Group(t, db, "项目组", "zhou.min", registry.Internal, time.Now().Add(-time.Hour))
		if _, err := reg.AddMember(ctx, nil, g.ID, registry.NewMember{External: "顾问", Organization: "Guest", Justification: "project",
			Platform: "wecom", Handle: "wmGUEST"}); err != nil {
			t.Fatal(err)
		}
		events := func() int {
			es, err := db.AuditEvents(ctx, audit.Filter{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		before := events()

		res, err := acc.ImportCSV(ctx, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 3 || res.Updated != 1 || res.Handles != 6 || len(res.Errors) != 4 {
			t.Fatalf("import: %+v", res)
		}
		for i, want := range []string{
			`line 4: matrix: "wang.fang:example.org" is not a Matrix user ID`,
			`line 5: matrix: matrix handle "@zhang.wei:example.org" belongs to user zhang.wei`,
			`line 6: wecom: wecom handle "wmGUEST" is an external member's in group`,
			`line 7: matrix: "@qian.bo" is not a Matrix user ID`,
		} {
			if !strings.HasPrefix(res.Errors[i], want) {
				t.Errorf("error %d = %q, want it to start with %q", i, res.Errors[i], want)
			}
		}

		t.Run("the good rows with their handles", func(t *testing.T) {
			for user, want := range map[string][]string{
				"zhang.wei": {"matrix @zhang.wei:example.org", "wecom ZhangWei"},
				"li.na":     {"matrix @li.na:example.org", "matrix @lina:matrix.example.org:8448"},
				"sun.li":    {"matrix @sun.li:example.org"},
				"zhou.min":  {"matrix @zhou.min:example.org", "wecom ZhouMin"},
			} {
				hs, err := reg.Handles(ctx, nil, user)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hs {
					got = append(got, string(h.Platform)+" "+h.Handle)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: handles %q, want %q", user, got, want)
				}
			}
			es, err := db.AuditEvents(ctx, audit.Filter{Action: "user.handle.add", Limit: 100})
			if err != nil || len(es) != 7 { // zhou.min's ZhouMin before, the six imported
				t.Fatalf("user.handle.add events: %v %d", err, len(es))
			}
		})
		t.Run("nothing of the bad rows", func(t *testing.T) {
			for _, user := range []string{"wang.fang", "zhao.lei", "chen.jie"} {
				if _, err := db.User(ctx, user); !errs.Is(err, errs.NotFound) {
					t.Errorf("%s: got %v, want no such user", user, err)
				}
			}
			if u, err := db.User(ctx, "qian.bo"); err != nil || u.RealName != "钱博" {
				t.Errorf("qian.bo changed by a rejected row: %v %+v", err, u)
			}
			if hs, err := reg.Handles(ctx, nil, "qian.bo"); err != nil || len(hs) != 0 {
				t.Errorf("qian.bo: %v %+v", err, hs)
			}
			if user, _, err := db.HandleHolders(ctx, "wecom", "WangFang"); err != nil || user != "" {
				t.Errorf("WangFang is %q's (%v)", user, err)
			}
			for _, object := range []string{"user:wang.fang", "user:zhao.lei", "user:chen.jie", "user:qian.bo"} {
				es, err := db.AuditEvents(ctx, audit.Filter{Object: object, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					if object == "user:qian.bo" && e.Action == "user.create" {
						continue // before the import
					}
					t.Errorf("%s: a rejected row left %s", object, e.Action)
				}
			}
		})
		t.Run("the same file again changes nothing", func(t *testing.T) {
			written := events()
			res, err := acc.ImportCSV(ctx, strings.NewReader(file))
			if err != nil || res.Created != 0 || res.Updated != 4 || res.Handles != 0 || len(res.Errors) != 4 {
				t.Fatalf("again: %v %+v", err, res)
			}
			if n := events(); n != written {
				t.Errorf("%d audit events written by the same file again", n-written)
			}
			if written-before != 3+6 { // three users created, six handles
				t.Errorf("%d audit events for the first import, want 9", written-before)
			}
		})
	})
}
