package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// Behind a reverse proxy every client shared the proxy's address (one
// limiter for a whole organization), and a client could name its own
// address when the header was believed from anyone.
func TestClientAddrBelievesOnlyTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		name, peer, xff, proto string
		trusted                []netip.Prefix
		addr                   string
		tls                    bool
	}{
		{"no proxies configured", "203.0.113.5:4000", "198.51.100.1", "https", nil, "203.0.113.5", false},
		{"untrusted peer", "203.0.113.5:4000", "198.51.100.1", "https", trusted, "203.0.113.5", false},
		{"trusted proxy", "10.1.2.3:4000", "198.51.100.1", "https", trusted, "198.51.100.1", true},
		{"chain of trusted proxies", "127.0.0.1:4000", "198.51.100.1, 10.1.9.9", "http", trusted, "198.51.100.1", false},
		{"spoofed hop left of the client", "10.1.2.3:4000", "6.6.6.6, 198.51.100.1", "https", trusted, "198.51.100.1", true},
		{"malformed chain", "10.1.2.3:4000", "not-an-ip", "", trusted, "10.1.2.3", false},
		{"IPv6 client", "10.1.2.3:4000", "2001:db8::1", "HTTPS", trusted, "2001:db8::1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			r.Header.Set("X-Forwarded-For", tc.xff)
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if got := ClientAddr(r, tc.trusted); got != tc.addr {
				t.Errorf("ClientAddr = %q, want %q", got, tc.addr)
			}
			if got := IsTLS(r, tc.trusted); got != tc.tls {
				t.Errorf("IsTLS = %v, want %v", got, tc.tls)
			}
		})
	}
}
