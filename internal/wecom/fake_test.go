package wecom_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWeCom is a fake of WeCom's published server API. The vendor's
// service cannot run here, so this stands in for it, written from its
// documents and nothing else: every answer is HTTP 200 with errcode and
// errmsg; gettoken (document 91039) issues a token per app secret that
// lasts expires_in seconds; a call without a token gets 41001, with an
// unknown one 40014, with an expired one 42001 (global codes, document
// 90313); a token works only for its own app's APIs (48002 otherwise); the
// bodies are the documents' examples (92120, 92122, 92951, 91782, 91614).
// The errmsg texts only imitate WeCom's shape (a hint and a link). Tests
// script errcodes ahead of an answer with failNext.
type fakeWeCom struct {
	t      *testing.T
	srv    *httptest.Server
	corpID string
	clock  *clock

	mu        sync.Mutex
	apps      map[string]string // secret → app ("contact" or "archive")
	tokens    map[string]token
	issued    int
	expiresIn int
	calls     map[string]int   // path → requests answered
	fail      map[string][]int // path → errcodes to answer first, in order
	lists     []listRequest    // groupchat/list requests, in order
	chats     []string         // the customer groups groupchat/list pages through
	stuck     bool             // groupchat/list gives the same next_cursor again and again
	permit    []int            // the type of each get_permit_user_list request
}

type token struct {
	app     string
	expires time.Time
}

type listRequest struct {
	StatusFilter int `json:"status_filter"`
	OwnerFilter  *struct {
		UserIDList []string `json:"userid_list"`
	} `json:"owner_filter"`
	Cursor string `json:"cursor"`
	Limit  int    `json:"limit"`
}

// clock is the time the fake and the client both read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	corpID          = "ww1436e0e65a779aee"
	contactSecret   = "contact-secret-Q3zX"
	archiveSecret   = "archive-secret-7fKp"
	appContact      = "contact"
	appArchive      = "archive"
	tokenExpiresIn  = 7200
	docChatID       = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
	docRoomID       = "wrNplhCgAAIVZohLe57zKnvIV7xBKrig"
	docAgreeRoomID  = "wrjc7bDwAASxc8tZvBErFE02BtPWyAAA"
	errmsgHintShape = ", hint: [1764576000_77_%08x], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=%d"
)

func newFake(t *testing.T) *fakeWeCom {
	f := &fakeWeCom{
		t: t, corpID: corpID, clock: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		apps:   map[string]string{contactSecret: appContact, archiveSecret: appArchive},
		tokens: map[string]token{}, expiresIn: tokenExpiresIn,
		calls: map[string]int{}, fail: map[string][]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	for path, h := range map[string]func(app string, body []byte) (any, int){
		"externalcontact/groupchat/list": f.groupChatList,
		"externalcontact/groupchat/get":  f.groupChatGet,
		"msgaudit/groupchat/get":         f.auditGroupChat,
		"msgaudit/check_room_agree":      f.checkRoomAgree,
		"msgaudit/get_permit_user_list":  f.permitUserList,
	} {
		mux.HandleFunc("POST /cgi-bin/"+path, f.api(path, h))
	}
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// failNext makes the next requests to path answer these errcodes, one each.
func (f *fakeWeCom) failNext(path string, codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[path] = append(f.fail[path], codes...)
}

// expireTokens ends every token now, as WeCom may before expires_in.
func (f *fakeWeCom) expireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.tokens {
		v.expires = f.clock.Now()
		f.tokens[k] = v
	}
}

// revokeTokens forgets every token, so WeCom no longer knows them (40014).
func (f *fakeWeCom) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

func (f *fakeWeCom) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeWeCom) tokenRequests() int { return f.count("gettoken") }

var errmsgs = map[int]string{
	-1: "system busy", 40001: "invalid credential", 40013: "invalid corpid", 40014: "invalid access_token",
	40058: "invalid parameter", 41001: "access_token missing", 42001: "access_token expired",
	45009: "api freq out of limit", 45033: "api concurrent out of limit", 48002: "api forbidden",
	301052: "msgaudit expired",
}

func (f *fakeWeCom) answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if code != 0 {
		msg := errmsgs[code]
		if msg == "" {
			msg = "unknown error"
		}
		v = map[string]any{"errcode": code, "errmsg": msg + fmt.Sprintf(errmsgHintShape, f.issued, code)}
	}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Error(err)
	}
}

// scripted takes the next scripted errcode for path, 0 when none is left.
// The caller holds f.mu.
func (f *fakeWeCom) scripted(path string) int {
	f.calls[path]++
	q := f.fail[path]
	if len(q) == 0 {
		return 0
	}
	f.fail[path] = q[1:]
	return q[0]
}

func (f *fakeWeCom) gettoken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code := f.scripted("gettoken"); code != 0 {
		f.answer(w, code, nil)
		return
	}
	q := r.URL.Query()
	app, ok := f.apps[q.Get("corpsecret")]
	switch {
	case q.Get("corpid") != f.corpID:
		f.answer(w, 40013, nil)
		return
	case !ok:
		f.answer(w, 40001, nil)
		return
	}
	f.issued++
	tok := fmt.Sprintf("%s-token-%d", app, f.issued)
	f.tokens[tok] = token{app: app, expires: f.clock.Now().Add(time.Duration(f.expiresIn) * time.Second)}
	f.answer(w, 0, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": f.expiresIn})
}

// api checks the token of a POST to path, then lets h answer (with a
// body, or an errcode when h's int is not 0).
func (f *fakeWeCom) api(path string, h func(app string, body []byte) (any, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		tok, known := f.tokens[r.URL.Query().Get("access_token")]
		body, err := io.ReadAll(r.Body)
		if err != nil {
			f.t.Error(err)
		}
		app := appArchive
		if strings.HasPrefix(path, "externalcontact/") {
			app = appContact
		}
		code := f.scripted(path)
		switch {
		case code != 0:
		case r.URL.Query().Get("access_token") == "":
			code = 41001
		case !known:
			code = 40014
		case !f.clock.Now().Before(tok.expires):
			code = 42001
		case tok.app != app:
			code = 48002
		case !json.Valid(body):
			code = 40058
		}
		if code != 0 {
			f.answer(w, code, nil)
			return
		}
		v, code := h(tok.app, body)
		f.answer(w, code, v)
	}
}

// groupChatList pages through f.chats with an opaque cursor (document 92120).
func (f *fakeWeCom) groupChatList(_ string, body []byte) (any, int) {
	var req listRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Limit < 1 || req.Limit > 1000 {
		return nil, 40058
	}
	f.lists = append(f.lists, req)
	from := 0
	if req.Cursor != "" {
		n, ok := strings.CutPrefix(req.Cursor, "r9FqSqsI8fgNbHLH")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 0 || i > len(f.chats) {
			return nil, 40058
		}
		from = i
	}
	to := min(from+req.Limit, len(f.chats))
	var list []map[string]any
	for _, id := range f.chats[from:to] {
		list = append(list, map[string]any{"chat_id": id, "status": req.StatusFilter})
	}
	next := ""
	if to < len(f.chats) {
		next = "r9FqSqsI8fgNbHLH" + strconv.Itoa(to)
	}
	if f.stuck {
		next = "r9FqSqsI8fgNbHLH0"
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "group_chat_list": list, "next_cursor": next}, 0
}

// groupChatGet answers the example of document 92122; the names only
// when need_name is 1.
func (f *fakeWeCom) groupChatGet(_ string, body []byte) (any, int) {
	var req struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.ChatID != docChatID {
		return nil, 40058
	}
	abel := map[string]any{"userid": "abel", "type": 1, "join_time": 1572505491, "join_scene": 1,
		"invitor": map[string]any{"userid": "jack"}, "group_nickname": "客服小张"}
	wang := map[string]any{"userid": "wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA", "type": 2, "unionid": "ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
		"join_time": 1572505491, "join_scene": 1, "group_nickname": "顾客老王"}
	if req.NeedName == 1 {
		abel["name"], wang["name"] = "张三丰", "王语嫣"
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "group_chat": map[string]any{
		"chat_id": docChatID, "name": "销售客服群", "owner": "ZhuShengBen", "create_time": 1572505490, "notice": "文明沟通，拒绝脏话",
		"member_list": []any{abel, wang}, "admin_list": []any{map[string]any{"userid": "sam"}, map[string]any{"userid": "pony"}},
		"member_version": "71217227bbd112ecfe3a49c482195cb4",
	}}, 0
}

// auditGroupChat answers the example of document 92951.
func (f *fakeWeCom) auditGroupChat(_ string, body []byte) (any, int) {
	var req struct {
		RoomID string `json:"roomid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RoomID != docRoomID {
		return nil, 40058
	}
	return map[string]any{"roomname": "蓦然回首", "creator": "ZhangWenChao", "room_create_time": 1592361604, "notice": "",
		"members": []any{
			map[string]any{"memberid": "ZhangWenChao", "jointime": 1592361605},
			map[string]any{"memberid": "xujinsheng", "jointime": 1592377076},
		}, "errcode": 0, "errmsg": "ok"}, 0
}

// checkRoomAgree answers the group example of document 91782.
func (f *fakeWeCom) checkRoomAgree(_ string, body []byte) (any, int) {
	var req struct {
		RoomID string `json:"roomid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RoomID != docAgreeRoomID {
		return nil, 40058
	}
	info := func(id, status string) map[string]any {
		return map[string]any{"status_change_time": 1562766651, "exteranalopenid": id, "agree_status": status}
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "agreeinfo": []any{
		info("wmeDKaCQAAGdtHdiQWxVadfwV2HxNAAA", "Agree"),
		info("wmeDKaCQAAIQ_p9ACyiopLBBJSGocAAA", "Disagree"),
		info("wmeDKaCQAAIQ_p9ACnxacyBBJSGocAAA", "Default_Agree"),
	}}, 0
}

// permitUserList answers document 91614's example, the type recorded.
func (f *fakeWeCom) permitUserList(_ string, body []byte) (any, int) {
	var req struct {
		Type *int `json:"type"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, 40058
	}
	typ := 0
	if req.Type != nil {
		if *req.Type < 1 || *req.Type > 3 {
			return nil, 40058
		}
		typ = *req.Type
	}
	f.permit = append(f.permit, typ)
	return map[string]any{"errcode": 0, "errmsg": "ok", "ids": []string{"userid_111", "userid_222", "userid_333"}}, 0
}
