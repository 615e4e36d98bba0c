package account

import "time"

// Throttle is how failed sign-ins are slowed. Its counters live in the
// store (LoginFailures): a restart forgives nothing and several servers
// share them.
type Throttle struct {
	Window time.Duration // the period an address's failures are counted in
	// AddrLimit is how many failures one client address may make in a
	// window: an office behind one NAT address shares it, so it is sized
	// for many people mistyping, not for one.
	AddrLimit int
	// UserFree is how many failures an account makes before it has to wait;
	// then each failure doubles the wait, from a second up to MaxBackoff.
	// The wait is the account's alone: another account's correct password
	// is never refused for it.
	UserFree   int
	MaxBackoff time.Duration
}

// DefaultThrottle: 100 failures an address in 15 minutes; after 5 failures
// an account waits 1 s, 2 s, 4 s, ... up to 15 minutes.
func DefaultThrottle() Throttle {
	return Throttle{Window: 15 * time.Minute, AddrLimit: 100, UserFree: 5, MaxBackoff: 15 * time.Minute}
}

// backoff is the wait after an account's failures-th failure.
func (t Throttle) backoff(failures int) time.Duration {
	if failures < t.UserFree {
		return 0
	}
	d := time.Second
	for i := t.UserFree; i < failures && d < t.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, t.MaxBackoff)
}

// LoginFailures counts the failed sign-ins of an account (Scope "user")
// or a client address ("addr") since WindowStart.
type LoginFailures struct {
	Scope, Key  string
	WindowStart time.Time
	Failures    int
	LastAt      time.Time
}
