package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/blob"
	"charter/internal/capture"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/detect"
	"charter/internal/matrix"
	"charter/internal/metrics"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/store/storetest"
	"charter/internal/wecom"
)

// harness is a server on a fresh SQLite database with one principal per role.
type harness struct {
	t     testing.TB
	srv   *httptest.Server
	db    store.DB
	api   *Server
	creds map[string]string // principal name -> bearer secret
	n     atomic.Int64
}

// principals: one user per role, and one token per scope.
var principals = []struct {
	name  string
	roles []account.Grant
	scope account.Scope
}{
	{name: "admin", roles: []account.Grant{{Role: account.Admin}}},
	{name: "security_officer", roles: []account.Grant{{Role: account.SecurityOfficer}}},
	{name: "approver", roles: []account.Grant{{Role: account.Approver, OrgUnit: "HQ"}}},
	{name: "reviewer", roles: []account.Grant{{Role: account.Reviewer}}},
	{name: "auditor", roles: []account.Grant{{Role: account.Auditor}}},
	{name: "member"},
	{name: "token-ingest", scope: account.ScopeIngest},
	{name: "token-read", scope: account.ScopeRead},
	{name: "token-admin", scope: account.ScopeAdmin},
}

func newHarness(t testing.TB, engine string) *harness {
	t.Helper()
	db := storetest.Open(t, engine)
	cfg := config.Default()
	cfg.MaxBodyBytes = 4096
	accounts := account.NewService(db, store.TxFor[account.TxStore](db), time.Now, time.Hour)
	arch := archive.NewService(db, store.TxFor[archive.TxStore](db), time.Now)
	reg := registry.NewService(db, store.TxFor[registry.TxStore](db), time.Now, registry.DefaultPolicy())
	reports := report.NewService(db, store.TxFor[report.TxStore](db), time.Now, reg, nil)
	reviewTx := store.TxFor[review.TxStore](db)
	policies, err := review.NewPolicies(context.Background(), db, reviewTx, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	log, m := slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New()
	pipe := pipeline.New(db, store.TxFor[pipeline.TxStore](db), &review.Scanner{Policies: policies, Store: db, Tx: reviewTx, Metrics: m, Log: log, Now: time.Now},
		registry.NewDirectory(db), m, log, time.Now, time.UTC)
	api := &Server{Cfg: &cfg, Storage: db, Accounts: accounts, Archive: arch, Registry: reg, Reports: reports, Audit: &audit.Service{Store: db}, Log: log, Metrics: m, Now: time.Now,
		Review: &review.Service{Store: db, Tx: reviewTx, Archive: &fakeArchive{}, Now: time.Now}, Policies: policies, Pipeline: pipe,
		Matrix:      &matrix.Service{Store: db, Archive: arch, Rooms: reg, Alerts: db, Now: time.Now},
		WeCom:       newWeComCallbacks(t, pipe, m, log),
		Blobs:       blob.New(t.TempDir()),
		Checkpoints: &checkpoint.Service{Store: db, Tx: store.TxFor[checkpoint.Store](db), Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Now: time.Now}}
	h := &harness{t: t, db: db, api: api, creds: map[string]string{}}
	h.srv = httptest.NewServer(api.Handler())
	t.Cleanup(h.srv.Close)
	ctx := context.Background()
	if err := reg.EnsureDefaultTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.CreateOrgUnit(ctx, "HQ", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range principals {
		if p.scope != "" {
			secret, _, err := accounts.CreateToken(ctx, p.name, p.scope)
			if err != nil {
				t.Fatal(err)
			}
			h.creds[p.name] = secret
			continue
		}
		if _, err := accounts.CreateUser(ctx, account.NewUser{Username: p.name, Password: "password-" + p.name, RealName: p.name,
			OrgUnit: "HQ", Verified: true, Roles: p.roles}); err != nil {
			t.Fatal(err)
		}
		h.creds[p.name] = h.login(p.name)
	}
	return h
}

func (h *harness) login(username string) string {
	secret, _, err := h.api.Accounts.Login(context.Background(), username, "password-"+username, "127.0.0.1")
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

// do sends a request with a bearer secret (none when empty).
func (h *harness) do(method, path, secret, body string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if strings.HasSuffix(path, "/import") {
		req.Header.Set("Content-Type", "text/csv")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// uniq returns a number never returned before, for names that must not collide.
func (h *harness) uniq() int64 { return h.n.Add(1) }

// example is a request that succeeds for a principal the route admits. path
// and body may create what the request needs first.
type example struct {
	path       func(h *harness) string
	body       func(h *harness) string
	ownSession bool // the request ends the session it uses: give it a fresh one
	// as, when set, makes path and body for one principal: for routes whose
	// object belongs to someone (only the applicant withdraws, only the
	// responsible person signs).
	as func(h *harness, who string) (path, body string)
}

func fixed(p string) func(*harness) string { return func(*harness) string { return p } }

// examples holds one example per route of the table; the test fails when a
// route has none, so a new route cannot skip this check.
var examples = map[string]example{
	"GET /healthz": {},
	"GET /metrics": {},
	// The homeserver's routes admit no user or token (wrap checks the
	// hs_token; TestMatrixTransactions covers it).
	"PUT /_matrix/app/v1/transactions/{txnId}": {body: fixed(`{"events":[]}`)},
	"PUT /transactions/{txnId}":                {body: fixed(`{"events":[]}`)},
	"POST /api/v1/login":                       {body: fixed(`{"username":"member","password":"password-member"}`)},
	"POST /api/v1/logout":                      {ownSession: true},
	"GET /api/v1/me":                           {},
	"GET /api/v1/org-units":                    {},
	"POST /api/v1/org-units": {body: func(h *harness) string {
		return fmt.Sprintf(`{"name":"unit-%d","parent":"HQ"}`, h.uniq())
	}},
	"GET /api/v1/users": {},
	"POST /api/v1/users": {body: func(h *harness) string {
		return fmt.Sprintf(`{"username":"u%d","real_name":"测试","org_unit":"HQ"}`, h.uniq())
	}},
	"POST /api/v1/users/import": {body: func(h *harness) string {
		return fmt.Sprintf("username,real_name,org_unit\nimp%d,导入,HQ\n", h.uniq())
	}},
	"GET /api/v1/users/{username}":   {path: fixed("/api/v1/users/member")},
	"PATCH /api/v1/users/{username}": {path: fixed("/api/v1/users/member"), body: fixed(`{"display_name":"M"}`)},
	"POST /api/v1/users/{username}/deactivate": {path: func(h *harness) string {
		name := fmt.Sprintf("gone%d", h.uniq())
		if _, err := h.api.Accounts.CreateUser(context.Background(), account.NewUser{Username: name, RealName: "x"}); err != nil {
			h.t.Fatal(err)
		}
		return "/api/v1/users/" + name + "/deactivate"
	}},
	"GET /api/v1/tokens":  {},
	"POST /api/v1/tokens": {body: fixed(`{"name":"puller","scope":"ingest"}`)},
	"POST /api/v1/tokens/{id}/revoke": {path: func(h *harness) string {
		_, tok, err := h.api.Accounts.CreateToken(context.Background(), "short-lived", account.ScopeRead)
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/tokens/%d/revoke", tok.ID)
	}},
	"GET /api/v1/audit": {},

	"POST /api/v1/ingest/messages": {body: func(h *harness) string { return ndjsonMessage(h.uniq(), "机密 example") }},
	"POST /api/v1/ingest/wecom": {body: func(h *harness) string {
		return fmt.Sprintf(`{"msgid":"wc-%d","action":"send","from":"zhangsan","tolist":["lisi"],"roomid":"wr1","msgtime":1763800000000,"msgtype":"text","text":{"content":"hello"}}`, h.uniq())
	}},
	"POST /api/v1/imports/{format}": {path: func(h *harness) string { return fmt.Sprintf("/api/v1/imports/chatlog?group=%d", h.group("member")) }, body: func(h *harness) string {
		return fmt.Sprintf(`[{"seq":%d,"time":"2026-11-20T10:00:00+08:00","talker":"123@chatroom","talkerName":"项目群","isChatRoom":true,"sender":"wxid_a","senderName":"A","isSelf":false,"type":1,"subType":0,"content":"你好"}]`, h.uniq())
	}},
	"PUT /api/v1/attachments/{sha256}": {as: func(h *harness, _ string) (string, string) {
		content := fmt.Sprintf("attachment %d", h.uniq())
		return "/api/v1/attachments/" + sha256Hex(content), content
	}},
	"GET /api/v1/quarantine":       {},
	"POST /api/v1/quarantine/list": {},
	"POST /api/v1/quarantine/{id}/reprocess": {
		path: func(h *harness) string {
			res, err := h.api.Archive.Ingest(context.Background(), strings.NewReader("{not json\n"), archive.Batch{Format: "ndjson"}, nil)
			if err != nil || len(res.Rejected) != 1 {
				h.t.Fatalf("quarantine a line: %v %+v", err, res)
			}
			return fmt.Sprintf("/api/v1/quarantine/%d/reprocess", res.Rejected[0].QuarantineID)
		},
		body: func(h *harness) string {
			b, _ := json.Marshal(map[string]string{"content": ndjsonMessage(h.uniq(), "corrected")})
			return string(b)
		},
	},
	"GET /api/v1/messages":         {path: fixed("/api/v1/messages?q=%E6%9C%BA%E5%AF%86&limit=5")},
	"POST /api/v1/messages/search": {path: fixed("/api/v1/messages/search?q=%E6%9C%BA%E5%AF%86&limit=5")},
	"POST /api/v1/exports":         {body: fixed(`{"q":"机密"}`)},
	"GET /api/v1/legal-holds":      {},
	"POST /api/v1/legal-holds": {body: func(h *harness) string {
		return fmt.Sprintf(`{"group_id":%d,"reason":"litigation hold"}`, h.group("member"))
	}},
	"POST /api/v1/legal-holds/{id}/release": {path: func(h *harness) string {
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "security_officer"})
		hold, err := h.api.Archive.PlaceHold(ctx, archive.LegalHold{User: "someone", Reason: "test"})
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/legal-holds/%d/release", hold.ID)
	}},

	"POST /api/v1/applications": {body: fixed(`{"name":"g","purpose":"work","platform":"wecom","planned_at":"2030-01-01T00:00:00Z","expires_at":"2031-01-01T00:00:00Z","responsible":"member","level":"public","members":[]}`)},
	"GET /api/v1/applications":  {},
	"GET /api/v1/applications/{id}": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/applications/%d", h.apply("admin", false, "public").ID)
	}},
	"PUT /api/v1/applications/{id}":           {as: func(h *harness, who string) (string, string) { return h.appPath(who, true, ""), applyBody }},
	"POST /api/v1/applications/{id}/submit":   {as: func(h *harness, who string) (string, string) { return h.appPath(who, true, "/submit"), "" }},
	"POST /api/v1/applications/{id}/withdraw": {as: func(h *harness, who string) (string, string) { return h.appPath(who, false, "/withdraw"), "" }},
	"POST /api/v1/applications/{id}/decision": {as: func(h *harness, who string) (string, string) {
		// A security officer decides the second step of a sensitive application.
		level := "public"
		if who == "security_officer" {
			level = "sensitive"
		}
		a := h.apply("member", false, level)
		if level == "sensitive" {
			h.decide(a.ID)
		}
		return fmt.Sprintf("/api/v1/applications/%d/decision", a.ID), `{"decision":"approve","comment":"ok"}`
	}},
	"GET /api/v1/approval-chains": {},
	"PUT /api/v1/approval-chains": {body: fixed(`{"org_unit":"HQ","level":"public","steps":[{"role":"approver"}]}`)},
	"DELETE /api/v1/approval-chains/{org_unit}/{level}": {path: func(h *harness) string {
		if _, err := h.api.Registry.SetApprovalChain(context.Background(), registry.ApprovalChain{OrgUnit: "HQ", Level: "internal",
			Steps: []registry.Step{{Role: account.Approver}}}); err != nil {
			h.t.Fatal(err)
		}
		return "/api/v1/approval-chains/HQ/internal"
	}},
	"GET /api/v1/groups":                {},
	"GET /api/v1/groups/{id}":           {path: func(h *harness) string { return fmt.Sprintf("/api/v1/groups/%d", h.group("member")) }},
	"GET /api/v1/groups/{id}/statement": {path: func(h *harness) string { return fmt.Sprintf("/api/v1/groups/%d/statement", h.group("member")) }},
	"POST /api/v1/groups/{id}/statement": {as: func(h *harness, who string) (string, string) {
		return fmt.Sprintf("/api/v1/groups/%d/statement", h.group(who)), fmt.Sprintf(`{"full_name":%q}`, who)
	}},
	"POST /api/v1/groups/{id}/bindings": {as: func(h *harness, who string) (string, string) {
		return fmt.Sprintf("/api/v1/groups/%d/bindings", h.group(who)), fmt.Sprintf(`{"platform":"wecom","room_id":"wr%d"}`, h.uniq())
	}},
	"GET /api/v1/groups/{id}/members":      {path: func(h *harness) string { return fmt.Sprintf("/api/v1/groups/%d/members", h.group("member")) }},
	"GET /api/v1/groups/{id}/room-members": {path: func(h *harness) string { return fmt.Sprintf("/api/v1/groups/%d/room-members", h.group("member")) }},
	"GET /api/v1/rooms":                    {path: fixed("/api/v1/rooms?unregistered=true")},
	"GET /api/v1/matrix/enforcement":       {},
	"GET /api/v1/wecom/callback": {path: func(h *harness) string {
		enc := wecomEncrypt(h.t, []byte("echo"))
		return "/api/v1/wecom/callback?" + wecomQuery(enc) + "&echostr=" + url.QueryEscape(enc)
	}},
	"POST /api/v1/wecom/callback": {as: func(h *harness, _ string) (string, string) {
		enc := wecomEncrypt(h.t, []byte(`<xml><ToUserName><![CDATA[wwtest]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1796154447</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[msgaudit_notify]]></Event><AgentID>2000004</AgentID></xml>`))
		return "/api/v1/wecom/callback?" + wecomQuery(enc), "<xml><ToUserName><![CDATA[wwtest]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[2000004]]></AgentID></xml>"
	}},
	"PUT /api/v1/matrix/enforcement": {body: func(h *harness) string { return `{"notice":false}` }},
	"POST /api/v1/groups/{id}/members": {as: func(h *harness, who string) (string, string) {
		return fmt.Sprintf("/api/v1/groups/%d/members", h.group(who)), fmt.Sprintf(`{"external":"x%d","organization":"o","justification":"j"}`, h.uniq())
	}},
	"POST /api/v1/groups/{id}/members/{member}/leave": {as: func(h *harness, who string) (string, string) {
		g := h.group(who)
		ms, err := h.db.Members(context.Background(), g, false)
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/groups/%d/members/%d/leave", g, ms[len(ms)-1].ID), ""
	}},
	"POST /api/v1/groups/{id}/dissolve": {as: func(h *harness, who string) (string, string) {
		return fmt.Sprintf("/api/v1/groups/%d/dissolve", h.group(who)), `{"reason":"project ended"}`
	}},
	"GET /api/v1/roster.csv":                {},
	"GET /api/v1/users/{username}/handles":  {path: fixed("/api/v1/users/member/handles")},
	"POST /api/v1/users/{username}/handles": {path: fixed("/api/v1/users/member/handles"), body: func(h *harness) string { return fmt.Sprintf(`{"platform":"wecom","handle":"h%d"}`, h.uniq()) }},
	"GET /api/v1/statement-templates":       {},
	"POST /api/v1/statement-templates":      {body: fixed(`{"text_zh":"新文本","text_en":"new text"}`)},
	"GET /api/v1/campaigns":                 {},
	"POST /api/v1/campaigns": {body: func(h *harness) string {
		return fmt.Sprintf(`{"kind":"declaration","deadline":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}},
	"GET /api/v1/campaigns/{id}/tasks": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/campaigns/%d/tasks", h.campaign(registry.Declaration))
	}},
	"GET /api/v1/campaigns/{id}/results": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/campaigns/%d/results", h.campaign(registry.Declaration))
	}},
	"POST /api/v1/campaigns/{id}/recertifications": {as: func(h *harness, who string) (string, string) {
		g := h.group(who)
		return fmt.Sprintf("/api/v1/campaigns/%d/recertifications", h.campaign(registry.Recertification)), fmt.Sprintf(`{"group_id":%d,"decision":"keep","members_ok":true}`, g)
	}},
	"POST /api/v1/campaigns/{id}/declarations": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/campaigns/%d/declarations", h.campaign(registry.Declaration))
	},
		body: fixed(`{"groups":[{"name":"未登记的群","platform":"wechat"}]}`)},
	"GET /api/v1/notifications": {},
	"POST /api/v1/notifications/{id}/read": {as: func(h *harness, who string) (string, string) {
		n := &registry.Notification{Username: who, Kind: "test", Object: "test", Message: "hello", CreatedAt: time.Now()}
		if strings.HasPrefix(who, "token-") {
			n.Username = "member"
		}
		if _, err := h.db.Notify(context.Background(), n); err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/notifications/%d/read", n.ID), ""
	}},

	"GET /api/v1/detection/rules":        {},
	"PUT /api/v1/detection/rules/{rule}": {path: fixed("/api/v1/detection/rules/pii.bank_card"), body: fixed(`{"enabled":true,"severity":"high"}`)},
	"GET /api/v1/detection/lexicons":     {},
	"POST /api/v1/detection/lexicons": {body: func(h *harness) string {
		return fmt.Sprintf(`{"name":"lex-%d","terms":["天穹%d号"],"severity":"high"}`, h.uniq(), h.uniq())
	}},
	"PUT /api/v1/detection/lexicons/{name}": {path: func(h *harness) string {
		return "/api/v1/detection/lexicons/" + h.lexicon()
	}, body: fixed(`{"terms":["北斗七号","Orion"]}`)},
	"DELETE /api/v1/detection/lexicons/{name}": {path: func(h *harness) string {
		return "/api/v1/detection/lexicons/" + h.lexicon()
	}},
	"GET /api/v1/detection/periods": {},
	"POST /api/v1/detection/periods": {body: func(h *harness) string {
		return fmt.Sprintf(`{"name":"election-%d","from":"2026-06-01T00:00:00+08:00","to":"2026-06-15T00:00:00+08:00","org_units":["HQ"]}`, h.uniq())
	}},
	"PUT /api/v1/detection/periods/{name}": {path: func(h *harness) string {
		return "/api/v1/detection/periods/" + h.period()
	}, body: fixed(`{"from":"2026-07-01T00:00:00Z","to":"2026-07-08T00:00:00Z"}`)},
	"DELETE /api/v1/detection/periods/{name}": {path: func(h *harness) string {
		return "/api/v1/detection/periods/" + h.period()
	}},
	"POST /api/v1/detection/rescan": {body: fixed(`{"from":"2026-06-01T00:00:00+08:00","to":"2026-06-02T00:00:00+08:00"}`)},
	"GET /api/v1/detection/backlog": {},
	"GET /api/v1/checkpoints":       {},

	"GET /api/v1/alerts": {path: fixed("/api/v1/alerts?status=open&category=pii")},
	"GET /api/v1/alerts/{id}": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/alerts/%d", h.alert())
	}},
	"GET /api/v1/alerts/{id}/context": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/alerts/%d/context", h.alert())
	}},
	"POST /api/v1/alerts/{id}/context": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/alerts/%d/context", h.alert())
	}},
	"POST /api/v1/alerts/{id}/claim": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/alerts/%d/claim", h.alert())
	}},
	"POST /api/v1/alerts/{id}/resolve": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/alerts/%d/resolve", h.alert())
	}, body: fixed(`{"disposition":"false_positive","note":"a test card number","reassign":true}`)},

	"GET /api/v1/cases":  {path: fixed("/api/v1/cases?status=open")},
	"POST /api/v1/cases": {body: fixed(`{"title":"Vote buying in the union election","note":"from a tip"}`)},
	"GET /api/v1/cases/{id}": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/cases/%d", h.openCase())
	}},
	"POST /api/v1/cases/{id}/notes": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/cases/%d/notes", h.openCase())
	}, body: fixed(`{"body":"asked the group administrator"}`)},
	"POST /api/v1/cases/{id}/assign": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/cases/%d/assign", h.openCase())
	}, body: fixed(`{"assignee":"reviewer"}`)},
	"POST /api/v1/cases/{id}/close": {path: func(h *harness) string {
		return fmt.Sprintf("/api/v1/cases/%d/close", h.openCase())
	}, body: fixed(`{"resolution":"no breach found"}`)},
	"GET /api/v1/reports":           {},
	"GET /api/v1/reports/overdue":   {},
	"POST /api/v1/reports/generate": {body: fixed(`{"period":"2026-10"}`)},
	"GET /api/v1/reports/{id}": {as: func(h *harness, p string) (string, string) {
		return fmt.Sprintf("/api/v1/reports/%d.pdf", h.report(p).ID), ""
	}},
	"PUT /api/v1/reports/{id}/draft": {as: func(h *harness, p string) (string, string) {
		return fmt.Sprintf("/api/v1/reports/%d/draft", h.report(p).ID), `{"remarks":"本期无异常"}`
	}},
	"POST /api/v1/reports/{id}/file": {as: func(h *harness, p string) (string, string) {
		r := h.report(p)
		var answers []string
		for _, a := range r.Checklist {
			answers = append(answers, fmt.Sprintf(`{"item_id":%d,"answer":"yes"}`, a.ItemID))
		}
		return fmt.Sprintf("/api/v1/reports/%d/file", r.ID), fmt.Sprintf(`{"full_name":%q,"checklist":[%s]}`, p, strings.Join(answers, ","))
	}},
	"GET /api/v1/report-schedules":         {},
	"PUT /api/v1/report-schedules/{level}": {path: fixed("/api/v1/report-schedules/internal"), body: fixed(`{"cadence":"monthly","due_days":10}`)},
	"GET /api/v1/checklist-items":          {},
	"POST /api/v1/checklist-items":         {body: fixed(`{"text_zh":"群公告已告知成员存档范围","text_en":"The group notice tells members what is archived","position":9}`)},
	"POST /api/v1/checklist-items/{id}/deactivate": {path: func(h *harness) string {
		it, err := h.api.Reports.AddChecklistItem(context.Background(), report.NewChecklistItem{TextZh: "临时", TextEn: "Temporary"})
		if err != nil {
			h.t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/checklist-items/%d/deactivate", it.ID)
	}},
	"GET /api/v1/roster.xlsx": {},
	"GET /api/v1/roster.pdf":  {},
	"GET /api/v1/users/{username}/registration-form.csv": {as: func(h *harness, p string) (string, string) {
		return "/api/v1/users/" + h.person(p).User.Username + "/registration-form.csv", ""
	}},
	"GET /api/v1/users/{username}/registration-form.xlsx": {as: func(h *harness, p string) (string, string) {
		return "/api/v1/users/" + h.person(p).User.Username + "/registration-form.xlsx", ""
	}},
	"GET /api/v1/users/{username}/registration-form.pdf": {as: func(h *harness, p string) (string, string) {
		return "/api/v1/users/" + h.person(p).User.Username + "/registration-form.pdf", ""
	}},
}

const applyBody = `{"name":"g","purpose":"work","platform":"wecom","planned_at":"2030-01-01T00:00:00Z","expires_at":"2031-01-01T00:00:00Z","responsible":"member","level":"public","members":[{"username":"approver"}]}`

// person returns the principal of a user of the harness; tokens stand in
// as the member, because only people own applications and groups.
func (h *harness) person(who string) *account.Principal {
	if strings.HasPrefix(who, "token-") {
		who = "member"
	}
	p, err := h.api.Accounts.Authenticate(context.Background(), h.creds[who])
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// apply files an application by who, responsible member, with the approver as a member.
func (h *harness) apply(who string, draft bool, level string) *registry.Application {
	in := registry.NewApplication{Name: fmt.Sprintf("group %d", h.uniq()), Purpose: "work", Platform: "wecom",
		PlannedAt: "2030-01-01T00:00:00Z", ExpiresAt: "2031-01-01T00:00:00Z", Responsible: "member", Level: registry.Level(level),
		Members: []registry.ProposedMember{{Username: "approver"}}, Draft: draft}
	a, err := h.api.Registry.Apply(context.Background(), h.person(who), in)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) appPath(who string, draft bool, suffix string) string {
	return fmt.Sprintf("/api/v1/applications/%d%s", h.apply(who, draft, "public").ID, suffix)
}

func (h *harness) decide(id int64) *registry.Application {
	a, err := h.api.Registry.Decide(context.Background(), h.person("approver"), id, "approve", "")
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// group makes an approved group whose responsible person is who, with the
// approver as a member, and returns its ID.
func (h *harness) group(who string) int64 {
	p := h.person(who)
	in := registry.NewApplication{Name: fmt.Sprintf("group %d", h.uniq()), Purpose: "work", Platform: "wecom",
		PlannedAt: "2030-01-01T00:00:00Z", ExpiresAt: "2031-01-01T00:00:00Z", Responsible: p.User.Username, Level: "public",
		Members: []registry.ProposedMember{{Username: "approver"}}}
	applicant := h.person("member")
	if p.User.Username == "member" {
		applicant = h.person("admin")
	}
	a, err := h.api.Registry.Apply(context.Background(), applicant, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.decide(a.ID).GroupID
}

func (h *harness) campaign(kind string) int64 {
	c, err := h.api.Registry.StartCampaign(context.Background(), registry.NewCampaign{Kind: kind, Deadline: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID

}

// report makes a fresh group whose responsible person is the principal's
// person, and a report of it due for filing.
func (h *harness) report(principal string) *report.Report {
	h.t.Helper()
	ctx := context.Background()
	g := storetest.Group(h.t, h.db, fmt.Sprintf("工作群%d", h.uniq()), h.person(principal).User.Username, registry.Internal, time.Now().AddDate(0, -4, 0))
	items, err := h.db.ChecklistItems(ctx, true)
	if err != nil {
		h.t.Fatal(err)
	}
	p := report.Containing(report.Monthly, time.Now()).Prev()
	r := &report.Report{GroupID: g.ID, Period: p.String(), PeriodStart: p.Start(), PeriodEnd: p.End(), DueAt: p.End().AddDate(0, 0, 10),
		Status: report.Due, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for _, it := range items {
		r.Checklist = append(r.Checklist, report.Answer{ItemID: it.ID, TextZh: it.TextZh, TextEn: it.TextEn})
	}
	if _, err := h.db.CreateReport(ctx, r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// officer is the context of the security officer, for fixtures.
func officer() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: "security_officer"})
}

func (h *harness) lexicon() string {
	name := fmt.Sprintf("lexicon-%d", h.uniq())
	if err := h.api.Policies.PutLexicon(officer(), "", detect.Lexicon{Name: name, Terms: []string{"天枢计划"}}, true); err != nil {
		h.t.Fatal(err)
	}
	return name
}

func (h *harness) period() string {
	name := fmt.Sprintf("period-%d", h.uniq())
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := h.api.Policies.PutPeriod(officer(), "", detect.Period{Name: name, From: from, To: from.AddDate(0, 0, 7)}, true); err != nil {
		h.t.Fatal(err)
	}
	return name
}

// alert stores a fresh open alert.
func (h *harness) alert() int64 {
	n := h.uniq()
	now := time.Now().UTC()
	group := int64(1) // content alerts come only from registered groups
	a := &review.Alert{Key: fmt.Sprintf("pii.bank_card:wecom:room:%d", n), Rule: "pii.bank_card", Category: "pii", Severity: "high",
		Status: review.StatusOpen, GroupID: &group, Platform: "wecom", RoomID: "room", Excerpt: "卡号 6222…", FirstSeen: now, LastSeen: now, CreatedAt: now, UpdatedAt: now}
	if _, _, err := h.db.RecordFinding(context.Background(), a, review.Source{SourceID: fmt.Sprintf("m%d", n), ArchiveID: n, SentAt: now}); err != nil {
		h.t.Fatal(err)
	}
	return a.ID
}

func (h *harness) openCase() int64 {
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "reviewer"})
	c, err := h.api.Review.CreateCase(ctx, review.NewCase{Title: fmt.Sprintf("case %d", h.uniq())})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}

// fakeArchive returns each asked-for message with one neighbour before it.
type fakeArchive struct{}

func (fakeArchive) MessagesAround(ctx context.Context, group int64, platform, room string, ids []string, radius int) ([]review.ContextMessage, error) {
	var out []review.ContextMessage
	for i, id := range ids {
		at := time.Date(2026, 5, 1, 10, i, 0, 0, time.UTC)
		out = append(out,
			review.ContextMessage{ArchiveID: int64(2 * i), Message: capture.Message{Platform: platform, RoomID: room, SourceID: id + "-before",
				Sender: "lisi", SentAt: at.Add(-time.Second), Kind: capture.KindText, Text: "卡号发一下"}},
			review.ContextMessage{ArchiveID: int64(2*i + 1), Message: capture.Message{Platform: platform, RoomID: room, SourceID: id,
				Sender: "zhangsan", SentAt: at, Kind: capture.KindText, Text: "6222020200112233445", Raw: []byte(`{"msgid":"x"}`)}})
	}
	return out, nil
}

// TestRouteAccess walks every route with no credentials and with every role:
// 401 without credentials, 403 for a role the table does not admit, success
// for one it does.
func TestRouteAccess(t *testing.T) {
	h := newHarness(t, "sqlite")
	for _, rt := range h.api.routes() {
		key := rt.method + " " + rt.path
		ex, ok := examples[key]
		if !ok {
			t.Errorf("route %s has no example in access_test.go", key)
			continue
		}
		request := func(who string) (string, string) {
			if ex.as != nil {
				return ex.as(h, who)
			}
			path, body := rt.path, ""
			if ex.path != nil {
				path = ex.path(h)
			}
			if ex.body != nil {
				body = ex.body(h)
			}
			return path, body
		}
		if !rt.allow.public && !rt.allow.appService {
			path, body := request("member")
			resp := h.do(rt.method, path, "", body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without credentials: %d, want 401", key, resp.StatusCode)
			}
		}
		for _, p := range principals {
			secret := h.creds[p.name]
			if ex.ownSession && p.scope == "" {
				secret = h.login(p.name)
			}
			path, body := request(p.name)
			resp := h.do(rt.method, path, secret, body)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			admitted := rt.allow.public || h.admits(rt, p.name)
			switch {
			case admitted && (resp.StatusCode < 200 || resp.StatusCode > 299):
				t.Errorf("%s as %s: %d %s, want success", key, p.name, resp.StatusCode, msg)
			case !admitted && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", key, p.name, resp.StatusCode)
			}
		}
	}
	for key := range examples {
		found := false
		for _, rt := range h.api.routes() {
			found = found || rt.method+" "+rt.path == key
		}
		if !found {
			t.Errorf("example %q matches no route", key)
		}
	}
}

// admits answers from the principal's own roles, independently of the wrapper.
func (h *harness) admits(rt route, name string) bool {
	p, err := h.api.Accounts.Authenticate(context.Background(), h.creds[name])
	if err != nil {
		h.t.Fatal(err)
	}
	return rt.allow.admits(p)
}

func TestBadBodies(t *testing.T) {
	h := newHarness(t, "sqlite")
	admin := h.creds["admin"]
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"malformed", `{"name":`, 400, "malformed JSON"},
		{"unknown field", `{"name":"A","colour":"red"}`, 400, "colour: unknown field"},
		{"missing field", `{"parent":""}`, 400, "name: required"},
		{"wrong type", `{"name":5}`, 400, "name: expected string"},
		{"trailing data", `{"name":"A"} {"name":"B"}`, 400, "unexpected data"},
		{"empty", ``, 400, "body is empty"},
		{"too large", `{"name":"` + strings.Repeat("x", 5000) + `"}`, 413, "larger than 4096 bytes"},
	}
	for _, c := range cases {
		resp := h.do("POST", "/api/v1/org-units", admin, c.body)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) || !strings.Contains(string(b), `"error":{"code"`) {
			t.Errorf("%s: %d %s, want %d containing %q", c.name, resp.StatusCode, b, c.status, c.want)
		}
	}
	// Nothing of the refused bodies was written.
	us, err := h.db.OrgUnits(context.Background())
	if err != nil || len(us) != 1 {
		t.Fatalf("org units after bad bodies: %v %+v", err, us)
	}
	es, _ := h.db.AuditEvents(context.Background(), audit.Filter{Action: "org_unit.create", Limit: 10})
	if len(es) != 1 {
		t.Fatalf("audit events for org_unit.create: %d, want 1", len(es))
	}
}

func TestLoginRateLimitAndCookie(t *testing.T) {
	h := newHarness(t, "sqlite")
	for i := 0; i < 5; i++ {
		resp := h.do("POST", "/api/v1/login", "", `{"username":"member","password":"wrong-password"}`)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := h.do("POST", "/api/v1/login", "", `{"username":"member","password":"password-member"}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures the right password got %d, want 429", resp.StatusCode)
	}
	resp = h.do("POST", "/api/v1/login", "", `{"username":"auditor","password":"password-auditor"}`)
	resp.Body.Close()
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == SessionCookie {
			c = x
		}
	}
	if resp.StatusCode != 200 || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("login cookie: %d %+v", resp.StatusCode, c)
	}
	// The cookie alone authenticates, and a cross-site unsafe request with it is refused.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
	req.AddCookie(c)
	r2, err := http.DefaultClient.Do(req)
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("cookie auth: %v %v", err, r2.StatusCode)
	}
	r2.Body.Close()
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/logout", nil)
	req.AddCookie(c)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r3, err := http.DefaultClient.Do(req)
	if err != nil || r3.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST with cookie: %v %v, want 403", err, r3.StatusCode)
	}
	r3.Body.Close()
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	h := newHarness(t, "sqlite")
	var logs strings.Builder
	h.api.Log = slog.New(slog.NewTextHandler(&logs, nil))
	admin := h.creds["admin"]
	h.db.Close() // every query now fails inside the store
	resp := h.do("GET", "/api/v1/org-units", admin, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), `"message":"internal error"`) || strings.Contains(string(b), "database") {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	if !strings.Contains(logs.String(), "internal error") || !strings.Contains(logs.String(), "closed") {
		t.Fatalf("the detail was not logged: %s", logs.String())
	}
}

func ndjsonMessage(n int64, text string) string {
	return fmt.Sprintf(`{"platform":"wecom","source_id":"m-%d","room_id":"r1","sender":"zhangsan","sent_at":"2026-11-20T10:00:00Z","kind":"text","text":%q}`, n, text)
}

// An HR upload over the limit is refused whole: no row of it is imported.
func TestOversizedUserImportImportsNothing(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.api.Cfg.MaxIngestBody = 8192
	var csv strings.Builder
	csv.WriteString("username,real_name,org_unit\n")
	for i := 0; csv.Len() < 9000; i++ {
		fmt.Fprintf(&csv, "bulk%d,批量%d,HQ\n", i, i)
	}
	resp := h.do("POST", "/api/v1/users/import", h.creds["admin"], csv.String())
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized import: %d, want 413", resp.StatusCode)
	}
	if _, err := h.db.User(context.Background(), "bulk0"); err == nil {
		t.Fatal("a row of a refused upload was imported")
	}
}

// The callback routes are public: WeCom's signature is their check. The
// harness takes callbacks signed with this token and key.
var testCallbackCrypto, _ = wecom.NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wwtest")

func newWeComCallbacks(t testing.TB, sys wecom.System, m *metrics.Registry, log *slog.Logger) *wecom.Service {
	s := wecom.NewService("wwtest", nil, sys, m, log, time.Now)
	s.Crypto = testCallbackCrypto
	return s
}

func wecomEncrypt(t testing.TB, msg []byte) string {
	enc, err := testCallbackCrypto.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// wecomQuery is a callback's signed query for the encrypted text enc.
func wecomQuery(enc string) string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return url.Values{"msg_signature": {testCallbackCrypto.Signature(ts, "n1", enc)}, "timestamp": {ts}, "nonce": {"n1"}}.Encode()
}
