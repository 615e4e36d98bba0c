package registry_test

import (
	"strings"
	"testing"

	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

// The last approval makes the group, waiting for its administrator: the
// responsible person and the intended members, no binding, no signature.
func TestApprovalMakesTheGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		a := f.approved(t, f.application())
		g := f.group(t, "zhang.san", a.GroupID)
		if g.Status != registry.GroupApproved || g.Level != registry.Sensitive || g.Responsible != "zhang.san" || g.Name != "财务处工作群" {
			t.Errorf("new group: %+v", g.Group)
		}
		if len(g.Members) != 3 || g.Members[0].Username != "zhang.san" || g.Members[1].Username != "li.si" || g.Members[2].External != "陈会计" {
			t.Errorf("members: %+v", g.Members)
		}
		if len(g.Bindings) != 0 {
			t.Errorf("bindings: %+v", g.Bindings)
		}
		if g.Statement == nil || g.Statement.Signed || g.Statement.CurrentVersion != 1 {
			t.Errorf("statement: %+v", g.Statement)
		}
		f.wantActions(t, groupObj(a.GroupID), map[string]int{"group.create": 1})
	})
}

// Only the responsible person signs, with their real name; the signature
// records the version and the hash of the exact text.
func TestSign(t *testing.T) {
	cases := []struct {
		name     string
		who      string
		fullName string
		sha256   string
		kind     errs.Kind
		field    string
	}{
		{"a member signs", "li.si", "李四", "", errs.Forbidden, ""},
		{"the security officer signs", "zhao.sec", "赵保密", "", errs.Forbidden, ""},
		{"a name that is not the real name", "zhang.san", "张 三", "", errs.Invalid, "full_name"},
		{"no name", "zhang.san", " ", "", errs.Invalid, "full_name"},
		{"a text other than the current one", "zhang.san", "张三", "not-the-text-read", errs.Conflict, ""},
		{"the responsible person with their real name", "zhang.san", "张三", "", "", ""},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := f.approved(t, f.application()).GroupID
				st, err := f.reg.Statement(ctx, f.as("zhang.san"), id, "")
				if err != nil {
					t.Fatal(err)
				}
				if st.Version != 1 || !strings.Contains(st.Text, "保密") || len(st.SHA256) != 64 {
					t.Fatalf("statement: %+v", st)
				}
				sig, err := f.reg.Sign(ctx, f.as(c.who), id, registry.SignInput{FullName: c.fullName, Addr: "10.0.0.2", SHA256: c.sha256})
				g := f.group(t, "zhang.san", id)
				if c.kind != "" {
					wantErr(t, err, c.kind, c.field)
					if g.Statement.Signed {
						t.Error("signed after a refused signature")
					}
					f.wantActions(t, groupObj(id), map[string]int{"statement.sign": 0})
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if sig.TemplateVersion != 1 || sig.TextSHA256 != st.SHA256 || sig.Language != "zh-CN" || sig.Addr != "10.0.0.2" || sig.FullName != "张三" {
					t.Errorf("signature: %+v", sig)
				}
				// Signed but not bound: still waiting for its administrator.
				if g.Status != registry.GroupApproved || !g.Statement.Signed {
					t.Errorf("signed, not bound: %s %+v", g.Status, g.Statement)
				}
				f.wantActions(t, groupObj(id), map[string]int{"statement.sign": 1, "group.status": 0})
			})
		}
	})
}

// A group is active once signed and bound, in either order; a room belongs
// to one group; only the administrator binds.
func TestBind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		t.Run("signed, then bound: active", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			f.sign(t, id, "")
			f.bind(t, id, "wrSignedFirst")
			g := f.group(t, "zhang.san", id)
			if g.Status != registry.GroupActive || len(g.Bindings) != 1 || g.Bindings[0].RoomID != "wrSignedFirst" || g.Bindings[0].BoundBy != "zhang.san" {
				t.Errorf("bound: %s %+v", g.Status, g.Bindings)
			}
			f.wantActions(t, groupObj(id), map[string]int{"group.bind": 1, "group.status": 1})
		})
		t.Run("bound, then signed: active", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			f.bind(t, id, "wrBoundFirst")
			if g := f.group(t, "zhang.san", id); g.Status != registry.GroupApproved {
				t.Errorf("bound, not signed: %s", g.Status)
			}
			f.sign(t, id, "")
			if g := f.group(t, "zhang.san", id); g.Status != registry.GroupActive {
				t.Errorf("bound and signed: %s", g.Status)
			}
		})
		t.Run("a room bound to another group", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			f.bind(t, id, "wrTaken")
			second := f.approved(t, f.public("second")).GroupID
			_, err := f.reg.Bind(ctx, f.as("zhang.san"), second, "wecom", "wrTaken")
			wantErr(t, err, errs.Conflict, "")
		})
		t.Run("a member binds: not told it exists", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			_, err := f.reg.Bind(ctx, f.as("li.si"), id, "wecom", "wrByMember")
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("the auditor binds", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			_, err := f.reg.Bind(ctx, f.as("qian.audit"), id, "wecom", "wrByAuditor")
			wantErr(t, err, errs.Forbidden, "")
		})
		t.Run("no room", func(t *testing.T) {
			id := f.approved(t, f.application()).GroupID
			_, err := f.reg.Bind(ctx, f.as("zhang.san"), id, "wecom", " ")
			wantErr(t, err, errs.Invalid, "room_id")
		})
	})
}

// Who sees which groups, and whose real names.
func TestGroupVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.approved(t, f.application()).GroupID // li.si is a member
		second := f.approved(t, f.public("second")).GroupID
		cases := []struct {
			name string
			who  string
			want []int64
		}{
			{"a member lists the groups they are in", "li.si", []int64{gid}},
			{"the responsible person lists theirs", "zhang.san", []int64{gid, second}},
			{"an approver in none lists none", "wang.head", nil},
			{"the auditor lists every group", "qian.audit", []int64{gid, second}},
			{"the security officer lists every group", "zhao.sec", []int64{gid, second}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				gs, err := f.reg.ListGroups(ctx, f.as(c.who), registry.GroupFilter{})
				if err != nil {
					t.Fatal(err)
				}
				got := map[int64]bool{}
				for _, g := range gs {
					got[g.ID] = true
				}
				if len(gs) != len(c.want) {
					t.Errorf("%d groups, want %d", len(gs), len(c.want))
				}
				for _, id := range c.want {
					if !got[id] {
						t.Errorf("group %d missing from %v", id, got)
					}
				}
			})
		}
		t.Run("a member shows someone else's group: not found", func(t *testing.T) {
			_, err := f.reg.ShowGroup(ctx, f.as("li.si"), second)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("the approver who decided it shows it: not found", func(t *testing.T) {
			_, err := f.reg.ShowGroup(ctx, f.as("wang.head"), gid)
			wantErr(t, err, errs.NotFound, "")
		})
		t.Run("a fellow member sees display names only", func(t *testing.T) {
			for _, m := range f.group(t, "li.si", gid).Members {
				if m.RealName != "" {
					t.Errorf("li.si sees the real name %q", m.RealName)
				}
			}
		})
		for _, who := range []string{"zhang.san", "qian.audit"} {
			t.Run(who+" sees real names and verification", func(t *testing.T) {
				ms := f.group(t, who, gid).Members
				if ms[0].RealName != "张三" || !ms[0].Verified || ms[1].RealName != "李四" || ms[1].Verified {
					t.Errorf("members: %+v", ms)
				}
			})
		}
	})
}

// A new statement version: every active group needs a new signature, its
// administrator is told, and signing the new version makes it active again.
func TestNewStatementVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		gid := f.active(t, "wrStatement")
		waiting := f.approved(t, f.public("not yet signed")).GroupID
		tpl, err := f.reg.PublishTemplate(ctx, "工作群保密责任书（第二版）", "Statement, second edition")
		if err != nil || tpl.Version != 2 {
			t.Fatalf("publish: %v %+v", err, tpl)
		}
		t.Run("the active group needs a signature", func(t *testing.T) {
			g := f.group(t, "zhang.san", gid)
			if g.Status != registry.GroupNeedsSignature || g.Statement.CurrentVersion != 2 || g.Statement.Signed {
				t.Errorf("after a new template: %s %+v", g.Status, g.Statement)
			}
			if n := f.notices(t, "zhang.san", "group.needs_signature", groupObj(gid)); n != 1 {
				t.Errorf("%d needs_signature notices, want 1", n)
			}
		})
		t.Run("a group waiting for its administrator still waits", func(t *testing.T) {
			if g := f.group(t, "zhang.san", waiting); g.Status != registry.GroupApproved {
				t.Errorf("status %s", g.Status)
			}
		})
		t.Run("an empty text", func(t *testing.T) {
			_, err := f.reg.PublishTemplate(ctx, "x", " ")
			wantErr(t, err, errs.Invalid, "text_en")
		})
		t.Run("signing the new version in English: active again", func(t *testing.T) {
			sig := f.sign(t, gid, "en")
			if sig.TemplateVersion != 2 || sig.Language != "en" {
				t.Errorf("signature: %+v", sig)
			}
			if g := f.group(t, "zhang.san", gid); g.Status != registry.GroupActive || !g.Statement.Signed {
				t.Errorf("signed again: %s %+v", g.Status, g.Statement)
			}
			// approved→active, active→needs_signature, needs_signature→active.
			f.wantActions(t, groupObj(gid), map[string]int{"statement.sign": 2, "group.status": 3})
		})
	})
}

// Dissolving ends a group for good, with a reason, by its administrator.
func TestDissolve(t *testing.T) {
	cases := []struct {
		name   string
		who    string
		reason string
		kind   errs.Kind
		field  string
	}{
		{"without a reason", "zhang.san", " ", errs.Invalid, "reason"},
		{"by a member: not told it exists", "li.si", "done", errs.NotFound, ""},
		{"by the auditor", "qian.audit", "done", errs.Forbidden, ""},
		{"by the responsible person", "zhang.san", "the audit is over", "", ""},
		{"by the security officer", "zhao.sec", "no longer needed", "", ""},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		f := newFixture(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := f.approved(t, f.application()).GroupID
				g, err := f.reg.Dissolve(ctx, f.as(c.who), id, c.reason)
				if c.kind != "" {
					wantErr(t, err, c.kind, c.field)
					if g := f.group(t, "zhang.san", id); g.Status != registry.GroupApproved {
						t.Errorf("status %s after a refused dissolution", g.Status)
					}
					return
				}
				if err != nil || g.Status != registry.GroupDissolved || g.DissolvedReason != c.reason {
					t.Fatalf("dissolve: %v %+v", err, g)
				}
				if _, err := f.reg.Dissolve(ctx, f.as(c.who), id, c.reason); !errs.Is(err, errs.Conflict) {
					t.Errorf("dissolving twice: %v, want conflict", err)
				}
				if _, err := f.reg.Bind(ctx, f.as("zhang.san"), id, "wecom", "wrAfter"+c.who); !errs.Is(err, errs.Conflict) {
					t.Errorf("binding a dissolved group: %v, want conflict", err)
				}
				f.wantActions(t, groupObj(id), map[string]int{"group.dissolve": 1})
			})
		}
	})
}
