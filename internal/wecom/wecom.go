// Package wecom speaks WeCom's (企业微信) public protocol: the callback
// crypto (WXBizMsgCrypt) that signs and encrypts the events WeCom pushes,
// and a client for the server API at qyapi.weixin.qq.com that lists customer
// groups, reads an archived room's members and the external contacts'
// consent to archiving.
//
// It is a library: it serves no routes and reads no configuration. The
// caller builds one Crypto per callback URL and one Client per app secret
// (the archive app and the customer-contact app hold different secrets, and
// a token of one is refused by the other's APIs).
package wecom
