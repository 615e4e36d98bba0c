package cli

import (
	"sync"
	"time"
)

// ttlCache remembers answers for a short time. The capture path asks the
// registry the same few questions (which group is this room, who is this
// handle) for every message; a few seconds of memory turns thousands of
// queries a second into a handful, at the cost of a registry change taking
// that long to reach detection.
type ttlCache[K comparable, V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[K]cacheEntry[V]
	// skip says which answers not to remember: a room that is not bound yet
	// must be seen as soon as it is, or its messages archive as unregistered.
	skip func(V) bool
}

type cacheEntry[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, now: now, entries: map[K]cacheEntry[V]{}}
}

// get returns the remembered value for k, or calls load and remembers what it
// returns; errors are never remembered.
func (c *ttlCache[K, V]) get(k K, load func() (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err := load()
	if err != nil || (c.skip != nil && c.skip(v)) {
		return v, err
	}
	c.mu.Lock()
	if len(c.entries) > 100_000 { // bound memory: start afresh rather than track ages
		clear(c.entries)
	}
	c.entries[k] = cacheEntry[V]{v, now}
	c.mu.Unlock()
	return v, nil
}
