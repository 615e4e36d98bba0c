package account_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/store"
	"charter/internal/store/storetest"
)

func auditCount(t *testing.T, db store.DB, action string) int {
	t.Helper()
	es, err := db.AuditEvents(context.Background(), audit.Filter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// The review posted 900 KB usernames: such a name is refused before
// anything is written.
func TestLoginRefusesImpossibleUsernamesUnwritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		s := newAccounts(t, db, &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
		n0, err := audit.Verify(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{strings.Repeat("a", 900<<10), "Robert'); DROP TABLE users;--", "名字"} {
			_, _, err := s.Login(context.Background(), name, "x", "10.0.0.9")
			if errs.KindOf(err) != errs.Invalid || len(err.Error()) > 200 {
				t.Fatalf("login as %.20q: %v", name, err)
			}
		}
		if n, err := audit.Verify(context.Background(), db); err != nil || n != n0 {
			t.Fatalf("audit events after impossible usernames: %d, was %d (%v)", n, n0, err)
		}
	})
}

// Repeated refusals from one address are one audit event while the window
// lasts and one summary with the count when it ends; they never lock out
// a correct password from the same address; counters survive a restart.
func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
		s := newAccounts(t, db, c)
		for i := 0; i < 25; i++ {
			if _, _, err := s.Login(ctx, fmt.Sprintf("guess%d", i), "x", "10.0.0.9"); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if n := auditCount(t, db, "login.fail"); n != 1 {
			t.Fatalf("login.fail events for 25 refusals from one address: %d, want 1", n)
		}
		if _, _, err := s.Login(ctx, "rev", "password-rev", "10.0.0.9"); err != nil {
			t.Fatalf("a correct password from the same address: %v", err)
		}

		// Five wrong passwords make the account wait; another account's
		// correct password is not refused; the wait is in the store.
		for i := 0; i < 5; i++ {
			s.Login(ctx, "rev", "wrong", "10.0.0.7")
		}
		if _, _, err := s.Login(ctx, "rev", "password-rev", "10.0.0.7"); !errs.Is(err, errs.RateLimited) {
			t.Fatalf("the right password during the account's wait: %v, want rate limited", err)
		}
		if _, _, err := s.Login(ctx, "admin2", "password-admin2", "10.0.0.7"); err != nil {
			t.Fatalf("another account's correct password: %v", err)
		}
		restarted := account.NewService(db, store.TxFor[account.TxStore](db), c.now, time.Hour)
		if _, _, err := restarted.Login(ctx, "rev", "password-rev", "10.0.0.7"); !errs.Is(err, errs.RateLimited) {
			t.Fatalf("after a restart: %v, want the wait kept", err)
		}
		// Seven attempts are counted (the two refused ones too): the next
		// waits 4 s after the last.
		c.t = c.t.Add(4 * time.Second)
		if _, _, err := s.Login(ctx, "rev", "password-rev", "10.0.0.7"); err != nil {
			t.Fatalf("after the wait: %v", err)
		}

		// The address limit: limit failures per window, then refused.
		s.Throttle.AddrLimit = 30
		for i := 25; i < 30; i++ {
			s.Login(ctx, fmt.Sprintf("guess%d", i), "x", "10.0.0.9")
		}
		if _, _, err := s.Login(ctx, "admin2", "password-admin2", "10.0.0.9"); !errs.Is(err, errs.RateLimited) {
			t.Fatalf("past the address limit: %v, want rate limited", err)
		}
		c.t = c.t.Add(16 * time.Minute)
		if err := s.FlushLoginFailures(ctx); err != nil {
			t.Fatal(err)
		}
		es, err := db.AuditEvents(ctx, audit.Filter{Action: "login.fail.window", Limit: 10})
		if err != nil || len(es) != 2 || !strings.Contains(es[0].Summary+es[1].Summary, `"refusals":31`) {
			t.Fatalf("window summaries: %v %+v", err, es)
		}
		if _, _, err := s.Login(ctx, "admin2", "password-admin2", "10.0.0.9"); err != nil {
			t.Fatalf("in a new window: %v", err)
		}
	})
}

// The review sent 40 wrong passwords at once and all 40 were checked:
// attempts are counted atomically before the check, so only the free ones
// reach it.
func TestParallelGuessesAreCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db store.DB) {
		ctx := context.Background()
		s := newAccounts(t, db, &clock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
		var wg sync.WaitGroup
		var checked atomic.Int64
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.Login(ctx, "rev", "wrong", "10.0.0.8"); errs.Is(err, errs.Unauthorized) {
					checked.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := checked.Load(); n > 5 {
			t.Fatalf("%d of 40 parallel guesses reached the password check, want at most 5", n)
		}
		c, err := db.LoginFailures(ctx, "user", "rev")
		if err != nil || c == nil || c.Failures != 40 {
			t.Fatalf("counted attempts: %+v %v, want 40", c, err)
		}
	})
}
