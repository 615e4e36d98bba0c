package account

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterY") {
		t.Fatal("password check is wrong")
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", "$argon2id$v=19$m=x$a$b"} {
		if CheckPassword(bad, "anything") {
			t.Fatalf("malformed hash %q matched", bad)
		}
	}
}

func TestLimiterWindow(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if l.Blocked("u", t0) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("u", t0.Add(time.Duration(i)*time.Second))
	}
	if !l.Blocked("u", t0.Add(5*time.Second)) {
		t.Fatal("not blocked after 3 failures")
	}
	if l.Blocked("other", t0) {
		t.Fatal("keys are not independent")
	}
	if l.Blocked("u", t0.Add(2*time.Minute)) {
		t.Fatal("still blocked after the window")
	}
	l.Fail("u", t0)
	l.Reset("u")
	if l.Blocked("u", t0) {
		t.Fatal("reset did not forgive")
	}
}

func TestParseGrants(t *testing.T) {
	g, err := ParseGrants(" approver:Finance ; reviewer;")
	if err != nil || len(g) != 2 || g[0].OrgUnit != "Finance" || g[1].Role != Reviewer {
		t.Fatalf("%v %+v", err, g)
	}
	if _, err := ParseGrants("overlord"); err == nil {
		t.Fatal("unknown role accepted")
	}
}
