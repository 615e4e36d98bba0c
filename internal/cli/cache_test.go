package cli

import (
	"errors"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTTLCache[string, int](2*time.Second, func() time.Time { return now })
	c.skip = func(v int) bool { return v == 0 }
	loads := 0
	load := func(v int, err error) func() (int, error) {
		return func() (int, error) { loads++; return v, err }
	}
	if v, _ := c.get("a", load(1, nil)); v != 1 || loads != 1 {
		t.Fatal("first get did not load")
	}
	if v, _ := c.get("a", load(2, nil)); v != 1 || loads != 1 {
		t.Fatal("second get within the TTL loaded again")
	}
	now = now.Add(3 * time.Second)
	if v, _ := c.get("a", load(2, nil)); v != 2 || loads != 2 {
		t.Fatal("an expired answer was kept")
	}
	c.get("miss", load(0, nil))
	c.get("miss", load(0, nil))
	if loads != 4 {
		t.Fatalf("a skipped answer was remembered (%d loads)", loads)
	}
	if _, err := c.get("err", load(5, errors.New("boom"))); err == nil {
		t.Fatal("error lost")
	}
	if v, _ := c.get("err", load(6, nil)); v != 6 {
		t.Fatal("an error was remembered")
	}
}
