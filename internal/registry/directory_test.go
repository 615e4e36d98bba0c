package registry_test

import (
	"errors"
	"reflect"
	"testing"

	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// A platform handle belongs to one user, so a captured message resolves to
// one person.
func TestAddHandle(t *testing.T) {
	cases := []struct {
		name     string
		username string
		platform registry.Platform
		handle   string
		kind     errs.Kind
		field    string
	}{
		{"a handle another user holds", "zhang.san", "wecom", "LiSi", errs.Conflict, ""},
		{"the same handle again", "li.si", "wecom", "LiSi", errs.Conflict, ""},
		{"an unknown platform", "zhang.san", "qq", "ZhangSan", errs.Invalid, "platform"},
		{"no handle", "zhang.san", "wecom", " ", errs.Invalid, "handle"},
		{"an unknown user", "nobody", "wecom", "Nobody", errs.NotFound, ""},
		{"a free handle", "zhang.san", "wecom", "ZhangSan", "", ""},
		{"the taken name on another platform", "zhang.san", "dingtalk", "LiSi", "", ""},
		{"a second handle of a user", "li.si", "matrix", "@lisi:example.org", "", ""},
		{"a Matrix handle without its server", "zhang.san", "matrix", "@zhangsan", errs.Invalid, "handle"},
		{"a Matrix handle without its @", "zhang.san", "matrix", "zhangsan:example.org", errs.Invalid, "handle"},
		{"the handle of an external contact still in a group", "zhang.san", "wecom", "wmGUEST", errs.Conflict, ""},
		{"the handle of an external contact who left", "zhang.san", "wecom", "wmLEFT", "", ""},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.approved(t, f.application()).GroupID
		for _, h := range []string{"wmGUEST", "wmLEFT"} {
			m, err := f.reg.AddMember(ctx, f.as("zhang.san"), gid, registry.NewMember{External: h, Organization: "Guest",
				Justification: "project", Platform: "wecom", Handle: h})
			if err != nil {
				t.Fatal(err)
			}
			if h == "wmLEFT" {
				if err := f.reg.RemoveMember(ctx, f.as("zhang.san"), gid, m.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := 0
				if c.kind != errs.NotFound {
					hs, err := f.reg.Handles(ctx, nil, c.username)
					if err != nil {
						t.Fatal(err)
					}
					before = len(hs)
				}
				h, err := f.reg.AddHandle(ctx, c.username, c.platform, c.handle)
				if c.kind != "" {
					wantErr(t, err, c.kind, c.field)
					if c.kind != errs.NotFound {
						if hs, _ := f.reg.Handles(ctx, nil, c.username); len(hs) != before {
							t.Errorf("%d handles after a refused one, want %d", len(hs), before)
						}
					}
					return
				}
				if err != nil || h.Username != c.username || h.Platform != c.platform || h.Handle != c.handle {
					t.Fatalf("add: %v %+v", err, h)
				}
				if hs, _ := f.reg.Handles(ctx, nil, c.username); len(hs) != before+1 {
					t.Errorf("%d handles, want %d", len(hs), before+1)
				}
			})
		}
		// li.si: LiSi (the fixture's) and the matrix one; zhang.san: three.
		f.wantActions(t, "user:li.si", map[string]int{"user.handle.add": 2})
		f.wantActions(t, "user:zhang.san", map[string]int{"user.handle.add": 3})
	})
}

// HandlesIn adds handles in a transaction its caller runs (the HR import's
// row): checked as AddHandle checks them, a handle the user has already
// left as it is, and nothing kept when the caller's transaction fails.
func TestHandlesIn(t *testing.T) {
	cases := []struct {
		name     string
		username string
		platform registry.Platform
		handle   string
		added    bool
		kind     errs.Kind
		field    string
	}{
		{"a new handle", "zhang.san", "matrix", "@zhang.san:example.org", true, "", ""},
		{"the same handle again", "zhang.san", "matrix", " @zhang.san:example.org ", false, "", ""},
		{"another user's handle", "zhang.san", "wecom", "LiSi", false, errs.Conflict, ""},
		{"an external member's handle", "zhang.san", "wecom", "wmGUEST", false, errs.Conflict, ""},
		{"not a Matrix user ID", "zhang.san", "matrix", "zhang.san@example.org", false, errs.Invalid, "handle"},
		{"an unknown user", "nobody", "wecom", "Nobody", false, errs.NotFound, ""},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.approved(t, f.application()).GroupID
		if _, err := f.reg.AddMember(ctx, f.as("zhang.san"), gid, registry.NewMember{External: "wmGUEST", Organization: "Guest",
			Justification: "project", Platform: "wecom", Handle: "wmGUEST"}); err != nil {
			t.Fatal(err)
		}
		tx := store.TxFor[registry.TxStore](db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var added bool
				err := tx(ctx, func(tx registry.TxStore) error {
					var err error
					added, err = f.reg.HandlesIn(tx).AddHandle(ctx, c.username, string(c.platform), c.handle)
					return err
				})
				errstest.Want(t, err, c.kind, c.field)
				if added != c.added {
					t.Errorf("added %v, want %v", added, c.added)
				}
			})
		}
		t.Run("the caller's transaction fails", func(t *testing.T) {
			failed := errors.New("the row's user could not be written")
			err := tx(ctx, func(tx registry.TxStore) error {
				if _, err := f.reg.HandlesIn(tx).AddHandle(ctx, "zhang.san", "wecom", "ZhangSan"); err != nil {
					t.Fatal(err)
				}
				return failed
			})
			if !errors.Is(err, failed) {
				t.Fatalf("got %v", err)
			}
			if user, _, err := db.HandleHolders(ctx, "wecom", "ZhangSan"); err != nil || user != "" {
				t.Fatalf("a handle outlived its transaction: %q %v", user, err)
			}
		})
		hs, err := f.reg.Handles(ctx, nil, "zhang.san")
		if err != nil || len(hs) != 1 || hs[0].Handle != "@zhang.san:example.org" {
			t.Fatalf("zhang.san's handles: %v %+v", err, hs)
		}
		f.wantActions(t, "user:zhang.san", map[string]int{"user.handle.add": 1})
	})
}

// The directory answers capture's questions from a snapshot: which group a
// room is, who a handle is in a group, what a group is.
func TestDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.active(t, "wrDirectory") // zhang.san, li.si, 陈会计 (no handle)
		second := f.approved(t, f.public("second")).GroupID
		if _, err := f.reg.AddHandle(ctx, "zhang.san", "wecom", "ZhangSan"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.AddMember(ctx, f.as("zhang.san"), gid, registry.NewMember{External: "周顾问", Organization: "Consult",
			Justification: "project", Platform: "wecom", Handle: "wmEXT1"}); err != nil {
			t.Fatal(err)
		}
		dir := registry.NewDirectory(db)
		current := func(t *testing.T) *registry.Snapshot {
			t.Helper()
			s, err := dir.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		rooms := []struct {
			name     string
			platform registry.Platform
			room     string
			want     int64 // 0: no group
		}{
			{"a bound room", "wecom", "wrDirectory", gid},
			{"an unbound room", "wecom", "unknown", 0},
			{"the bound room's id on another platform", "dingtalk", "wrDirectory", 0},
		}
		for _, c := range rooms {
			t.Run("room/"+c.name, func(t *testing.T) {
				id, ok := current(t).RoomGroup(string(c.platform), c.room)
				if ok != (c.want != 0) || id != c.want {
					t.Errorf("got group %d (%v), want %d", id, ok, c.want)
				}
			})
		}

		t.Run("group facts", func(t *testing.T) {
			g := current(t).Group(gid)
			if g == nil {
				t.Fatal("no facts")
			}
			if g.ID != gid || g.Name != "财务处工作群" || g.Status != registry.GroupActive || g.Level != registry.Sensitive || g.Responsible != "zhang.san" {
				t.Errorf("facts: %+v", g)
			}
			if !reflect.DeepEqual(g.OrgUnits, []string{"财务处", "总部"}) {
				t.Errorf("units %v, want the group's unit, then its parent", g.OrgUnits)
			}
			want := []string{"zhang.san", "li.si", "陈会计 (审计事务所)", "周顾问 (Consult)"}
			if !sameSet(g.Members, want) {
				t.Errorf("members %v, want %v", g.Members, want)
			}
			if current(t).Group(999) != nil {
				t.Error("facts for no group")
			}
		})

		senders := []struct {
			name     string
			platform registry.Platform
			handle   string
			group    int64
			want     *registry.Sender // nil: nobody
		}{
			{"a user who is a member", "wecom", "LiSi", gid, &registry.Sender{Username: "li.si", Name: "李四", Verified: false, Member: true}},
			{"the responsible person", "wecom", "ZhangSan", gid, &registry.Sender{Username: "zhang.san", Name: "张三", Verified: true, Member: true}},
			{"a user in a group they are not in", "wecom", "LiSi", second, &registry.Sender{Username: "li.si", Name: "李四", Member: false}},
			{"an external contact of the group", "wecom", "wmEXT1", gid, &registry.Sender{Name: "周顾问", External: true, Member: true}},
			{"an external contact's handle in another group", "wecom", "wmEXT1", second, nil},
			{"an unknown handle", "wecom", "nobody", gid, nil},
			{"a user's handle on another platform", "dingtalk", "LiSi", gid, nil},
		}
		for _, c := range senders {
			t.Run("sender/"+c.name, func(t *testing.T) {
				got := current(t).Sender(string(c.platform), c.handle, c.group)
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("got %+v, want %+v", got, c.want)
				}
			})
		}
		t.Run("SenderUser", func(t *testing.T) {
			s := current(t)
			if u, ok := s.SenderUser("wecom", "LiSi"); !ok || u != "li.si" {
				t.Errorf("LiSi: %q %v", u, ok)
			}
			if u, ok := s.SenderUser("wecom", "wmEXT1"); ok {
				t.Errorf("an external contact's handle is a user's: %q", u)
			}
		})

		t.Run("an unchanged registry keeps its snapshot", func(t *testing.T) {
			if a, b := current(t), current(t); a != b {
				t.Error("reloaded without a change")
			}
		})
		t.Run("the snapshot follows changes at once", func(t *testing.T) {
			before := current(t)
			removeMember(t, f, gid, "li.si", "")
			removeMember(t, f, gid, "", "周顾问")
			f.bind(t, second, "wrSecond")
			s := current(t)
			if s == before || s.Version <= before.Version {
				t.Fatalf("version %d after changes, was %d", s.Version, before.Version)
			}
			if snd := s.Sender("wecom", "LiSi", gid); snd == nil || snd.Member {
				t.Errorf("a member who left: %+v", snd)
			}
			if snd := s.Sender("wecom", "wmEXT1", gid); snd == nil || !snd.External || snd.Member {
				t.Errorf("an external contact who left: %+v", snd)
			}
			if id, ok := s.RoomGroup("wecom", "wrSecond"); !ok || id != second {
				t.Errorf("a room bound a moment ago: %d %v", id, ok)
			}
			if want := []string{"zhang.san", "陈会计 (审计事务所)"}; !sameSet(s.Group(gid).Members, want) {
				t.Errorf("members %v, want %v", s.Group(gid).Members, want)
			}
		})
	})
}

// removeMember ends the current stay of a user or an external contact, as 张三.
func removeMember(t *testing.T, f *fixture, group int64, username, external string) {
	t.Helper()
	ms, err := f.db.Members(ctx, group, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if username != "" && m.Username == username || external != "" && m.External == external {
			if err := f.reg.RemoveMember(ctx, f.as("zhang.san"), group, m.ID); err != nil {
				t.Fatalf("remove %s%s: %v", username, external, err)
			}
			return
		}
	}
	t.Fatalf("%s%s is not a member of group %d", username, external, group)
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[string]int{}
	for _, s := range a {
		n[s]++
	}
	for _, s := range b {
		n[s]--
	}
	for _, v := range n {
		if v != 0 {
			return false
		}
	}
	return true
}
