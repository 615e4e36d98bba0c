package matrix_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"charter/internal/archive"
	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/matrix"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

var ctx = context.Background()

func newService(t *testing.T, db store.DB) (*matrix.Service, *archive.Service) {
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	arch := archive.NewService(db, store.TxFor[archive.TxStore](db), now)
	reg := registry.NewService(db, store.TxFor[registry.TxStore](db), now, registry.DefaultPolicy())
	return &matrix.Service{Store: db, Archive: arch, Rooms: reg, Now: now}, arch
}

var good = matrix.Registration{HomeserverURL: "http://matrix.example.org:8008/", ServerName: "example.org", CharterURL: "http://charter.example.org:8080"}

func TestRegister(t *testing.T) {
	cases := []struct {
		name  string
		in    matrix.Registration
		field string
	}{
		{"no homeserver URL", matrix.Registration{ServerName: "example.org", CharterURL: good.CharterURL}, "homeserver-url"},
		{"a homeserver URL that is no URL", matrix.Registration{HomeserverURL: "matrix.example.org", ServerName: "example.org", CharterURL: good.CharterURL}, "homeserver-url"},
		{"no Charter URL", matrix.Registration{HomeserverURL: good.HomeserverURL, ServerName: "example.org"}, "charter-url"},
		{"no server name", matrix.Registration{HomeserverURL: good.HomeserverURL, CharterURL: good.CharterURL}, "server-name"},
		{"a user ID for a server name", matrix.Registration{HomeserverURL: good.HomeserverURL, ServerName: "@a:example.org", CharterURL: good.CharterURL}, "server-name"},
	}
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s, _ := newService(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Register(ctx, c.in)
				errstest.Want(t, err, errs.Invalid, c.field)
				if _, err := db.MatrixAppService(ctx); !errs.Is(err, errs.NotFound) {
					t.Errorf("a refused registration was kept: %v", err)
				}
			})
		}
		t.Run("a registration", func(t *testing.T) {
			file, err := s.Register(ctx, good)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`id: "charter"`, `url: "http://charter.example.org:8080"`, `sender_localpart: "charter"`,
				`regex: "@charter:example\\.org"`, `regex: "!.*"`, "exclusive: false"} {
				if !strings.Contains(string(file), want) {
					t.Errorf("registration has no %s:\n%s", want, file)
				}
			}
			as := regexp.MustCompile(`as_token: "([^"]+)"`).FindStringSubmatch(string(file))
			hs := regexp.MustCompile(`hs_token: "([^"]+)"`).FindStringSubmatch(string(file))
			kept, err := db.MatrixAppService(ctx)
			if err != nil || as == nil || hs == nil {
				t.Fatalf("kept %v %v", kept, err)
			}
			if kept.ASToken != as[1] || kept.HSTokenHash == hs[1] || kept.HomeserverURL != "http://matrix.example.org:8008" || len(as[1]) < 40 || as[1] == hs[1] {
				t.Errorf("kept %+v for as %s hs %s: want the as_token, the hs_token only hashed", kept, as[1], hs[1])
			}
			if err := s.Authorize(ctx, hs[1]); err != nil {
				t.Errorf("the homeserver's token: %v", err)
			}
			for _, tok := range []string{"", as[1], kept.HSTokenHash, hs[1] + "x"} {
				if err := s.Authorize(ctx, tok); !errs.Is(err, errs.Forbidden) {
					t.Errorf("token %q: %v, want Forbidden", tok, err)
				}
			}
			again, _ := s.Register(ctx, good)
			if err := s.Authorize(ctx, hs[1]); !errs.Is(err, errs.Forbidden) || again == nil {
				t.Errorf("the old token after a new registration: %v, want Forbidden", err)
			}
		})
	})
}

func TestTransaction(t *testing.T) {
	const body = `{"events":[
		{"type":"m.room.create","event_id":"$c","room_id":"!r:example.org","sender":"@a:example.org","origin_server_ts":1796154447150,"state_key":"","content":{}},
		{"type":"m.room.member","event_id":"$j","room_id":"!r:example.org","sender":"@a:example.org","origin_server_ts":1796154447150,"state_key":"@a:example.org","content":{"membership":"join"}},
		{"type":"m.room.name","event_id":"$n","room_id":"!r:example.org","sender":"@a:example.org","origin_server_ts":1796154447150,"state_key":"","content":{"name":"预算组"}},
		{"type":"m.room.message","event_id":"$m","room_id":"!r:example.org","sender":"@a:example.org","origin_server_ts":1796154447151,"content":{"msgtype":"m.text","body":"这份文件是机密"}},
		{"type":"m.room.message","event_id":"$bad","room_id":"!r:example.org","sender":"@a:example.org","origin_server_ts":1796154447152,"content":{"body":"no msgtype"}}]}`
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s, _ := newService(t, db)
		steps := []struct {
			name, txn string
			accepted  int
			dups      int
			rejected  int
		}{
			{"the first delivery archives the message and the room's facts, and quarantines the bad event", "t1", 4, 0, 1},
			{"the same transaction again is answered at once", "t1", 0, 0, 0},
			{"the same events in another transaction are duplicates", "t2", 0, 4, 1},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				res, err := s.Transaction(ctx, st.txn, strings.NewReader(body))
				if err != nil || res.Accepted != st.accepted || res.Duplicates != st.dups || len(res.Rejected) != st.rejected {
					t.Fatalf("transaction %s: %v %+v", st.txn, err, res)
				}
				if seen, err := db.MatrixTransactionSeen(ctx, st.txn); err != nil || !seen {
					t.Errorf("transaction %s not recorded: %v", st.txn, err)
				}
			})
		}
		t.Run("the room is in the inventory once, with its creator, name and member", func(t *testing.T) {
			r, err := db.Room(ctx, "matrix", "!r:example.org")
			if err != nil || r.Creator != "@a:example.org" || r.Name != "预算组" || strings.Join(r.Members, ",") != "@a:example.org" || r.Direct {
				t.Fatalf("room %+v %v", r, err)
			}
			ms, err := db.RoomMemberships(ctx, "matrix", "!r:example.org")
			if err != nil || len(ms) != 1 {
				t.Errorf("memberships %+v %v, want one join however often it was delivered", ms, err)
			}
		})
		t.Run("no transaction ID", func(t *testing.T) {
			_, err := s.Transaction(ctx, "", strings.NewReader(body))
			errstest.Want(t, err, errs.Invalid, "txnId")
		})
	})
}

func TestForeign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s, _ := newService(t, db)
		if s.Foreign("matrix", "@a:other.org") {
			t.Error("before any registration a handle was foreign")
		}
		s, _ = newService(t, db) // a fresh cache, as a new process has
		if _, err := s.Register(ctx, good); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			platform, handle string
			want             bool
		}{
			{"matrix", "@zhang.wei:example.org", false},
			{"matrix", "@zhang.wei:other.org", true},
			{"matrix", "@zhang.wei:example.org.evil", true},
			{"wecom", "zhangwei:x", false},
			{"matrix", "no-server", false},
		} {
			if got := s.Foreign(c.platform, c.handle); got != c.want {
				t.Errorf("Foreign(%s, %s) = %v, want %v", c.platform, c.handle, got, c.want)
			}
		}
	})
}

// An invitation marked direct settles the unregistered-room alert its
// room's creation raised, for each room of the transaction, whether or not
// an earlier room had one.
func TestDirectRoomsSettled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s, _ := newService(t, db)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		s.Alerts = db
		s.Review = &review.Service{Store: db, Tx: store.TxFor[review.TxStore](db), Now: func() time.Time { return now }}
		a := &review.Alert{Key: "registry.unregistered_room:matrix:!b", Rule: "registry.unregistered_room", Category: "registry", Severity: "high",
			Status: review.StatusOpen, Platform: "matrix", RoomID: "!b", Excerpt: "system", Detail: map[string]any{}, FirstSeen: now, LastSeen: now, CreatedAt: now, UpdatedAt: now}
		if _, _, err := db.RecordFinding(ctx, a, review.Source{Platform: "matrix", RoomID: "!b", SourceID: "$cb", SentAt: now}); err != nil {
			t.Fatal(err)
		}
		invite := func(room, id string) string {
			return `{"type":"m.room.member","event_id":"` + id + `","room_id":"` + room + `","sender":"@a:example.org","origin_server_ts":1796154447150,"state_key":"@b:example.org","content":{"membership":"invite","is_direct":true}}`
		}
		if _, err := s.Transaction(ctx, "d1", strings.NewReader(`{"events":[`+invite("!a", "$ia")+`,`+invite("!b", "$ib")+`]}`)); err != nil {
			t.Fatal(err)
		}
		got, err := db.Alert(ctx, a.ID)
		if err != nil || got.Status != review.StatusResolved || got.Disposition != review.FalsePositive || got.ResolvedBy != "charter" {
			t.Errorf("the direct room's alert %+v %v, want resolved as a false positive by charter", got, err)
		}
	})
}
