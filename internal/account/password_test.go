package account

import (
	"fmt"
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

func TestThrottleBackoff(t *testing.T) {
	th := DefaultThrottle()
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {9, 16 * time.Second}, {15, 15 * time.Minute}, {40, 15 * time.Minute}} {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			if got := th.backoff(tc.failures); got != tc.want {
				t.Fatalf("backoff(%d) = %s, want %s", tc.failures, got, tc.want)
			}
		})
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
