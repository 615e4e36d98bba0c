package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"charter/internal/errs"
)

// DefaultBaseURL is WeCom's API host.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// Errcodes the client acts on itself ("全局错误码",
// https://developer.work.weixin.qq.com/document/path/90313). Any other
// non-zero errcode is returned as an *APIError.
const (
	CodeSystemBusy       = -1    // 系统繁忙: try again shortly
	CodeInvalidToken     = 40014 // 不合法的access_token
	CodeTokenExpired     = 42001 // access_token已过期
	CodeFreqOutOfLimit   = 45009 // 接口调用超过限制
	CodeConcurrencyLimit = 45033 // 接口并发调用超过限制
)

// maxResponse bounds what one answer may hold. The largest Charter reads is
// a customer group of a few thousand members, well under a megabyte.
const maxResponse = 16 << 20

// APIError is a non-zero errcode from WeCom, with the errmsg it came with
// (which carries no credentials: WeCom's hint and a request id).
type APIError struct {
	Path string // e.g. "externalcontact/groupchat/get"
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: errcode %d: %s", e.Path, e.Code, e.Msg) }

// busy reports an errcode that says "later", not "no".
func busy(code int) bool {
	return code == CodeSystemBusy || code == CodeFreqOutOfLimit || code == CodeConcurrencyLimit
}

// Options tune a Client; the zero value is WeCom's own host with bounded retries.
type Options struct {
	BaseURL string       // default DefaultBaseURL; a test points it at a fake
	HTTP    *http.Client // default: a client with a 30-second timeout
	// Retries is how many more times a call WeCom calls busy is tried:
	// 0 means 4, a negative number none.
	Retries int
	// Backoff is the first pause before a retry (default 1s); each next one
	// doubles, up to MaxBackoff (default 30s), with jitter.
	Backoff    time.Duration
	MaxBackoff time.Duration
	Now        func() time.Time // default time.Now; decides when a token is old
}

// Client calls WeCom's server API with the access token of one app secret.
// Make one per secret: the archive app's token is refused by the customer
// contact APIs and the other way round. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	corpID     string
	secret     string
	http       *http.Client
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	now        func() time.Time

	// tokenLock (a one-slot semaphore, so a waiter can give up with its
	// context) guards the token: one caller fetches, the others wait for it.
	tokenLock chan struct{}
	token     string
	refreshAt time.Time
}

// NewClient makes a client for the app whose secret is given.
func NewClient(corpID, secret string, o Options) (*Client, error) {
	if corpID == "" {
		return nil, errs.Field("corp_id", "is empty")
	}
	if secret == "" {
		return nil, errs.Field("secret", "is empty")
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.RawQuery != "" {
		return nil, errs.Field("base_url", "%q is not an http(s) URL of a host", o.BaseURL)
	}
	c := &Client{base: base, corpID: corpID, secret: secret, http: o.HTTP, retries: o.Retries,
		backoff: o.Backoff, maxBackoff: o.MaxBackoff, now: o.Now, tokenLock: make(chan struct{}, 1)}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	switch {
	case c.retries == 0:
		c.retries = 4
	case c.retries < 0:
		c.retries = 0
	}
	if c.backoff <= 0 {
		c.backoff = time.Second
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = 30 * time.Second
	}
	c.maxBackoff = max(c.maxBackoff, c.backoff)
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// post is a JSON call ("请求方式：POST") with the app's token.
func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return errs.Wrap(err, "wecom: encode "+path)
	}
	// The token is refreshed once if WeCom calls it invalid or expired (it
	// may end one early, document 91039 says); the busy codes pause and
	// try again, the token fetch included.
	refreshed := false
	return c.whileBusy(ctx, func() error {
		for {
			token, err := c.accessToken(ctx)
			if err != nil {
				return err
			}
			err = c.do(ctx, http.MethodPost, path, url.Values{"access_token": {token}}, body, out)
			if code := codeOf(err); (code == CodeInvalidToken || code == CodeTokenExpired) && !refreshed {
				refreshed = true
				c.forget(token)
				continue
			}
			return err
		}
	})
}

// accessToken is the cached token ("获取access_token",
// https://developer.work.weixin.qq.com/document/path/91039), fetched again
// a little before the expires_in WeCom gave: a tenth of it, five minutes at
// most.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	select {
	case c.tokenLock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.tokenLock }()
	if c.token != "" && c.now().Before(c.refreshAt) {
		return c.token, nil
	}
	var r struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	if err := c.do(ctx, http.MethodGet, "gettoken", q, nil, &r); err != nil {
		return "", err
	}
	if r.AccessToken == "" || r.ExpiresIn <= 0 {
		return "", errs.E(errs.Unavailable, "WeCom API gettoken: the answer holds no access_token and expires_in")
	}
	life := time.Duration(r.ExpiresIn) * time.Second
	c.token, c.refreshAt = r.AccessToken, c.now().Add(life-min(life/10, 5*time.Minute))
	return c.token, nil
}

// forget drops token if it is still the cached one (another caller may
// have replaced it already).
func (c *Client) forget(token string) {
	c.tokenLock <- struct{}{}
	defer func() { <-c.tokenLock }()
	if c.token == token {
		c.token = ""
	}
}

// whileBusy runs f again while WeCom answers busy, up to the retries,
// pausing longer each time; the context ends the wait.
func (c *Client) whileBusy(ctx context.Context, f func() error) error {
	pause := c.backoff
	for attempt := 0; ; attempt++ {
		err := f()
		if !busy(codeOf(err)) || attempt >= c.retries {
			return err
		}
		wait := pause/2 + rand.N(pause/2+1)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		pause = min(2*pause, c.maxBackoff)
	}
}

// codeOf is err's errcode, 0 when err is no *APIError.
func codeOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// do sends one request to /cgi-bin/path and decodes the answer into out
// once its errcode is 0. Its errors never hold the URL, which carries the
// secret or the token.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/cgi-bin/" + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return errs.Wrap(err, "wecom: request "+path)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &errs.Error{Kind: errs.Unavailable, Message: "WeCom API " + path + " unreachable", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errs.E(errs.Unavailable, "WeCom API %s: HTTP %s", path, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return &errs.Error{Kind: errs.Unavailable, Message: "WeCom API " + path + ": reading the answer", Err: err}
	}
	if len(data) > maxResponse {
		return errs.E(errs.Unavailable, "WeCom API %s: the answer is over %d bytes", path, maxResponse)
	}
	var status struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &status); err != nil {
		return &errs.Error{Kind: errs.Unavailable, Message: "WeCom API " + path + ": the answer is not JSON", Err: err}
	}
	if status.ErrCode != 0 {
		return &errs.Error{Kind: errs.Unavailable, Message: "WeCom API call failed",
			Err: &APIError{Path: path, Code: status.ErrCode, Msg: status.ErrMsg}}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &errs.Error{Kind: errs.Unavailable, Message: "WeCom API " + path + ": unexpected answer", Err: err}
	}
	return nil
}

// unixTime is a WeCom timestamp in seconds; 0 stays the zero time.
func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
