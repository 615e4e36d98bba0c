package registry

import (
	"fmt"
	"net/netip"
	"strings"

	"charter/internal/errs"
)

// checkHandle checks a handle's form on its platform. Only Matrix has a
// published grammar for user IDs; the other platforms' IDs are opaque
// strings Charter cannot second-guess, so they need only be there.
func checkHandle(p Platform, handle string) error {
	if !validPlatform(p) {
		return errs.Field("platform", "%q is not one of wecom, wechat, dingtalk, feishu, matrix, other", p)
	}
	if handle == "" {
		return errs.Field("handle", "required")
	}
	if p == "matrix" {
		return checkMatrixUserID(handle)
	}
	return nil
}

// checkMatrixUserID holds a Matrix handle to the spec's user identifier
// grammar (https://spec.matrix.org/latest/appendices/#user-identifiers):
// "@" localpart ":" server_name, at most 255 bytes. A localpart today is
// lowercase a-z, 0-9 and . _ = - / +; the spec also has servers accept
// historical ones, any printable ASCII but ":", because users registered
// under older rules still send messages, and those must resolve too. So
// what is refused is what no homeserver can send as a sender: no @, no
// :server, an empty part, a space or anything outside printable ASCII, a
// server that is no host name or address.
func checkMatrixUserID(id string) error {
	bad := func(format string, args ...any) error {
		return errs.Field("handle", "%q is not a Matrix user ID (@localpart:server): %s", id, fmt.Sprintf(format, args...))
	}
	if len(id) > 255 {
		return bad("it is longer than 255 bytes")
	}
	rest, ok := strings.CutPrefix(id, "@")
	if !ok {
		return bad("it does not start with @")
	}
	local, server, ok := strings.Cut(rest, ":")
	switch {
	case !ok:
		return bad("it has no :server after the localpart")
	case local == "":
		return bad("the localpart between @ and : is empty")
	case server == "":
		return bad("the server after : is empty")
	}
	for _, r := range local {
		if r < 0x21 || r > 0x7e {
			return bad("the localpart holds %q, which no user ID may", r)
		}
	}
	if !validServerName(server) {
		return bad("%q is not a server name (a host name, an IPv4 or [IPv6] address, and an optional :port)", server)
	}
	return nil
}

// validServerName follows the spec's server_name grammar: hostname
// [":" port], the hostname a DNS name (letters, digits, - and .; an IPv4
// address is one too) or an IPv6 address in brackets.
func validServerName(s string) bool {
	if v6, ok := strings.CutPrefix(s, "["); ok {
		addr, after, ok := strings.Cut(v6, "]")
		if !ok || !validIPv6(addr) {
			return false
		}
		if after == "" {
			return true
		}
		port, ok := strings.CutPrefix(after, ":")
		return ok && validPort(port)
	}
	host := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if !validPort(s[i+1:]) {
			return false
		}
		host = s[:i]
	}
	if host == "" || len(host) > 255 {
		return false
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// validIPv6 takes the spec's 2 to 45 characters of hex digits, ":" and "."
// that also parse as an IPv6 address.
func validIPv6(s string) bool {
	if len(s) < 2 || len(s) > 45 || strings.Trim(s, "0123456789abcdefABCDEF:.") != "" {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

// validPort is 1 to 5 digits.
func validPort(s string) bool {
	return s != "" && len(s) <= 5 && strings.Trim(s, "0123456789") == ""
}
