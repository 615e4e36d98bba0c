package registry

import (
	"strings"
	"testing"

	"charter/internal/errs"
	"charter/internal/errs/errstest"
)

// A Matrix handle is a user ID as the spec writes it, historical
// localparts included; the near misses are refused naming what is wrong.
func TestCheckMatrixUserID(t *testing.T) {
	cases := []struct {
		name, id string
		why      string // a part of the message; "" when the ID is good
	}{
		{"a user ID", "@zhang.wei:example.org", ""},
		{"every character a localpart may hold today", "@a-z.0_9=x/y+z:example.org", ""},
		{"a server with a port", "@zhang.wei:matrix.example.org:8448", ""},
		{"an IPv4 server", "@zhang.wei:192.0.2.10", ""},
		{"an IPv6 server with a port", "@zhang.wei:[2001:db8::1]:8448", ""},
		{"an IPv6 server", "@zhang.wei:[::1]", ""},
		{"a historical localpart with capitals", "@Zhang.Wei:example.org", ""},
		{"a historical localpart with other printable ASCII", "@zhang!wei#~(x):example.org", ""},
		{"255 bytes", "@" + strings.Repeat("a", 254-len(":example.org")) + ":example.org", ""},

		{"no @", "zhang.wei:example.org", "does not start with @"},
		{"another sigil", "#zhang.wei:example.org", "does not start with @"},
		{"no server", "@zhang.wei", "no :server"},
		{"only the sigil", "@", "no :server"},
		{"an empty server", "@zhang.wei:", "server after : is empty"},
		{"an empty localpart", "@:example.org", "localpart between @ and : is empty"},
		{"a space in the localpart", "@zhang wei:example.org", "' '"},
		{"a tab in the localpart", "@zhang\twei:example.org", `'\t'`},
		{"a localpart beyond ASCII", "@张伟:example.org", "'张'"},
		{"a space in the server", "@zhang.wei:exam ple.org", "not a server name"},
		{"an underscore in the server", "@zhang.wei:example_org", "not a server name"},
		{"an empty port", "@zhang.wei:example.org:", "not a server name"},
		{"a port of letters", "@zhang.wei:example.org:https", "not a server name"},
		{"a port of six digits", "@zhang.wei:example.org:844800", "not a server name"},
		{"an unclosed IPv6 server", "@zhang.wei:[2001:db8::1", "not a server name"},
		{"an IPv6 server that is no address", "@zhang.wei:[2001:db8:::1]", "not a server name"},
		{"an IPv4 address in brackets", "@zhang.wei:[192.0.2.10]", "not a server name"},
		{"text after the IPv6 brackets", "@zhang.wei:[::1]x", "not a server name"},
		{"256 bytes", "@" + strings.Repeat("a", 255-len(":example.org")) + ":example.org", "longer than 255 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkHandle("matrix", c.id)
			if c.why == "" {
				errstest.Want(t, err, "", "")
				return
			}
			errstest.Want(t, err, errs.Invalid, "handle")
			if !strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), "Matrix user ID") {
				t.Errorf("got %q, want it to say %q", err, c.why)
			}
		})
	}
}

// Only Matrix has a grammar to check; every other platform takes any
// handle that is there, as it always has.
func TestCheckHandleOtherPlatforms(t *testing.T) {
	cases := []struct {
		name     string
		platform Platform
		handle   string
		field    string
	}{
		{"a WeCom userid", "wecom", "ZhangWei", ""},
		{"a WeCom handle that looks like a Matrix ID", "wecom", "@zhang.wei", ""},
		{"a WeChat ID with a space", "wechat", "wxid_ab cd", ""},
		{"a DingTalk ID beyond ASCII", "dingtalk", "张伟", ""},
		{"a Feishu open_id", "feishu", "ou_7d8a6e6df7621556ce0d21922b676706ccs", ""},
		{"other", "other", "anything at all", ""},
		{"no handle", "wecom", "", "handle"},
		{"no Matrix handle", "matrix", "", "handle"},
		{"an unknown platform", "qq", "12345", "platform"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind := errs.Kind("")
			if c.field != "" {
				kind = errs.Invalid
			}
			errstest.Want(t, checkHandle(c.platform, c.handle), kind, c.field)
		})
	}
}
