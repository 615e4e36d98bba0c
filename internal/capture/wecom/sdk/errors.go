package sdk

import (
	"errors"
	"fmt"
)

// Code is a return code of the Finance SDK. The meanings are the vendor's,
// from the comment that opens its public header WeWorkFinanceSdk_C.h (the
// "C SDK for Linux" download of developer.work.weixin.qq.com/document/path/91774,
// vendored unchanged by public wrappers such as NICEXAI/WeWorkFinanceSDK
// lib/WeWorkFinanceSdk_C.h); the English is ours.
//
// A Code is an error, so errors.Is(err, sdk.ErrNetwork) tells what failed.
type Code int

const (
	ErrParam             Code = 10000 // 参数错误，请求参数错误
	ErrNetwork           Code = 10001 // 网络错误，网络请求错误
	ErrParse             Code = 10002 // 数据解析失败
	ErrSystem            Code = 10003 // 系统失败
	ErrEncryptKey        Code = 10004 // 密钥错误导致加密失败
	ErrFileID            Code = 10005 // fileid错误
	ErrDecrypt           Code = 10006 // 解密失败
	ErrPrivateKeyMissing Code = 10007 // 找不到消息加密版本的私钥，需要重新传入私钥对
	ErrParseEncryptKey   Code = 10008 // 解析encrypt_key出错
	ErrIP                Code = 10009 // ip非法
	ErrExpired           Code = 10010 // 数据过期
	ErrCertificate       Code = 10011 // 证书错误
)

var meanings = map[Code][2]string{
	ErrParam:             {"parameter error: the request's parameters are wrong", "参数错误，请求参数错误"},
	ErrNetwork:           {"network error: the request to WeCom failed", "网络错误，网络请求错误"},
	ErrParse:             {"failed to parse the data", "数据解析失败"},
	ErrSystem:            {"system failure", "系统失败"},
	ErrEncryptKey:        {"encryption failed because of a wrong key", "密钥错误导致加密失败"},
	ErrFileID:            {"wrong sdkfileid", "fileid错误"},
	ErrDecrypt:           {"decryption failed", "解密失败"},
	ErrPrivateKeyMissing: {"no private key for the message's encryption version; the key pair must be passed in again", "找不到消息加密版本的私钥，需要重新传入私钥对"},
	ErrParseEncryptKey:   {"cannot parse encrypt_key (it must be encrypt_random_key after RSA decryption)", "解析encrypt_key出错"},
	ErrIP:                {"IP address not allowed (not in the archive's trusted IPs)", "ip非法"},
	ErrExpired:           {"data expired (only the last 5 days can be fetched)", "数据过期"},
	ErrCertificate:       {"certificate error", "证书错误"},
}

func (c Code) Error() string {
	if m, ok := meanings[c]; ok {
		return fmt.Sprintf("%d %s (%s)", int(c), m[0], m[1])
	}
	return fmt.Sprintf("return code %d, not listed in WeWorkFinanceSdk_C.h", int(c))
}

// Error is a non-zero return code from one SDK call.
type Error struct {
	Op   string // the SDK function: Init, GetChatData, DecryptData, GetMediaData
	Code Code
}

func (e *Error) Error() string { return "wecom finance sdk: " + e.Op + ": " + e.Code.Error() }

func (e *Error) Unwrap() error { return e.Code }

// ServerError is a GetChatData call the SDK completed (return code 0) whose
// body carries WeCom's own errcode, e.g. 41001 when the secret is wrong or
// 48002 when it is not the archive's secret.
type ServerError struct {
	ErrCode int
	ErrMsg  string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("wecom finance sdk: GetChatData: errcode %d: %s", e.ErrCode, e.ErrMsg)
}

// Retryable reports whether err is worth trying again unchanged: the SDK's
// network, parse and system failures. The vendor's header does not say
// which codes are transient; this follows public integrators' notes
// (e.g. wener.me/notes/platform/wecom/archive: "错误 10001-10003 可以重试").
func Retryable(err error) bool {
	return errors.Is(err, ErrNetwork) || errors.Is(err, ErrParse) || errors.Is(err, ErrSystem)
}
