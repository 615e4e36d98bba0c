package detect

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/errs"
)

var testGroup = &Group{ID: "g1", Status: "active", Level: LevelInternal, OrgUnits: []string{"财务处", "市政府"}}

// msg is a text message in a registered active group from a verified member,
// so that only content rules can fire.
func msg(text string) *Message {
	return &Message{
		Platform: "wecom", RoomID: "r1", SenderHandle: "zhangsan", SourceID: "m1",
		Kind: "text", Text: text, SentAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		Group:  testGroup,
		Sender: Sender{Resolved: true, Member: true, Verified: true},
	}
}

func mustEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

var defaultEngine = func() *Engine {
	e, err := New(DefaultConfig())
	if err != nil {
		panic(err)
	}
	return e
}()

func rules(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	sort.Strings(out)
	return out
}

func find(fs []Finding, rule string) *Finding {
	for i := range fs {
		if fs[i].Rule == rule {
			return &fs[i]
		}
	}
	return nil
}

type contentCase struct {
	name string
	text string
	want []string // sorted rule ids; empty = no finding
}

func runContent(t *testing.T, e *Engine, cases []contentCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rules(e.Scan(msg(c.text)))
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q: got %v, want %v", c.text, got, want)
			}
		})
	}
}

func TestMarking(t *testing.T) {
	runContent(t, defaultEngine, []contentCase{
		{"confidential star year", "附件为秘密★1年，请勿外传", []string{"marking.confidential"}},
		{"secret star 5y", "机密★5年 关于预算的通知", []string{"marking.secret"}},
		{"top secret long term", "绝密★长期", []string{"marking.top_secret"}},
		{"star with spaces and months", "秘密 ★ 6个月", []string{"marking.confidential"}},
		{"ascii star", "机密*10年", []string{"marking.secret"}},
		{"level suffix", "本文件为机密级", []string{"marking.secret"}},
		{"level suffix confidential", "秘密级文件请登记", []string{"marking.confidential"}},
		{"bracketed top secret", "【绝密】2026年规划", []string{"marking.top_secret"}},
		{"internal material", "内部资料 注意保存", []string{"marking.internal"}},
		{"internal file keep", "内部文件，注意保存", []string{"marking.internal"}},
		{"english top secret", "TOP SECRET - do not forward", []string{"marking.top_secret"}},
		{"english secret header", "SECRET//NOFORN budget", []string{"marking.secret"}},
		{"english confidential", "CONFIDENTIAL\nQ3 numbers attached", []string{"marking.confidential"}},
		{"internal use only", "For Internal Use Only", []string{"marking.internal"}},
		{"doc number", "根据粤财发〔2023〕17号文件", []string{"marking.document_number"}},
		{"doc number short", "国发〔2023〕5号", []string{"marking.document_number"}},
		{"doc number ascii brackets", "国发[2023]5号", []string{"marking.document_number"}},
		{"doc number fullwidth brackets", "国办发［2024］12号", []string{"marking.document_number"}},
		// near misses
		{"everyday secret", "这是我们的小秘密", nil},
		{"secret weapon", "这是我的秘密武器", nil},
		{"star without term", "秘密★", nil},
		{"bare jimi not default", "这是机密文件，别乱发", nil},
		{"trade secret talk", "要保守商业机密", nil},
		{"prose secret", "keep it secret, it's a surprise party", nil},
		{"secret santa", "Secret Santa is on Friday", nil},
		{"env var", "export AWS_SECRET_KEY_ID=abc", nil},
		{"lowercase confidential", "please keep this confidential", nil},
		{"internal file alone", "内部文件我明天发你", nil},
		{"brackets without issuer", "[2023]5号", nil},
		{"year", "2023年5号见", nil},
		{"confidentiality word", "CONFIDENTIALITY agreement", nil},
	})
}

func TestMarkingBareTermWhenEnabled(t *testing.T) {
	cfg := DefaultConfig()
	p := cfg.Rules["marking.bare_term"]
	p.Enabled = true
	cfg.Rules["marking.bare_term"] = p
	runContent(t, mustEngine(t, cfg), []contentCase{
		{"bare jimi", "这是机密文件", []string{"marking.bare_term"}},
		{"bare juemi", "绝密消息", []string{"marking.bare_term"}},
		{"mimi stays quiet", "我们的小秘密", nil},
		{"phone password is not bare", "手机密码忘了", nil},
		{"crisis closely", "危机密切相关", nil},
	})
}

func TestMarkingInFileNames(t *testing.T) {
	m := msg("请查收")
	m.Kind = "file"
	m.FileNames = []string{"2026预算（机密★5年）.docx"}
	fs := defaultEngine.Scan(m)
	f := find(fs, "marking.secret")
	if f == nil {
		t.Fatalf("no marking in file name: %v", rules(fs))
	}
	if f.Detail["source"] != "file_name" || !strings.Contains(f.Excerpt, "机密★5年") {
		t.Errorf("finding %+v", f)
	}
}

func TestPII(t *testing.T) {
	runContent(t, defaultEngine, []contentCase{
		{"id X", "身份证11010519491231002X", []string{"pii.resident_id"}},
		{"id lowercase x", "身份证 11010519491231002x。", []string{"pii.resident_id"}},
		{"id 1880", "440524188001010014", []string{"pii.resident_id"}},
		{"id leap day", "110105200002290013", []string{"pii.resident_id"}},
		{"card unionpay", "打到6222021234567894", []string{"pii.bank_card"}},
		{"card grouped", "卡 6222 0212 3456 7894 谢谢", []string{"pii.bank_card"}},
		{"card 19", "6228480012345678903", []string{"pii.bank_card"}},
		{"card visa", "4111111111111111", []string{"pii.bank_card"}},
		{"card no issuer with context", "卡号1234567890123452", []string{"pii.bank_card"}},
		{"card no issuer english context", "card no 1234567890123452", []string{"pii.bank_card"}},
		{"five mobiles", "13812345678 13912345678 15012345678 18612345678 17712345678", []string{"pii.mobile_bulk"}},
		{"five mobiles mixed forms", "+8613812345678,008613912345678、150-1234-5678、186 1234 5678,17712345678", []string{"pii.mobile_bulk"}},
		// near misses
		{"id wrong check", "110105194912310021", nil},
		{"id feb 30", "110105194902300020", nil},
		{"id region 00", "000105194912310024", nil},
		{"id 1900 not leap", "110105190002290017", nil},
		{"17 digits", "11010519491231002", nil},
		{"id inside longer run", "4405241880010100149", nil},
		{"card luhn fails", "6222021234567895", nil},
		{"card luhn ok no issuer no context", "订单号1234567890123452", nil},
		{"four mobiles", "13812345678 13912345678 15012345678 18612345678", nil},
		{"same mobile five times", "13812345678 13812345678 13812345678 13812345678 13812345678", nil},
		{"not a mobile prefix", "12812345678 12912345678 11012345678 10012345678 12012345678", nil},
		{"mobile inside longer digits", "138123456789 139123456789 150123456789 186123456789 177123456789", nil},
	})
}

func TestPIIMasking(t *testing.T) {
	fs := defaultEngine.Scan(msg("张三 身份证11010519491231002X 卡号6222021234567894 电话13812345678"))
	id := find(fs, "pii.resident_id")
	card := find(fs, "pii.bank_card")
	if id == nil || card == nil {
		t.Fatalf("got %v", rules(fs))
	}
	for _, f := range fs {
		for _, secret := range []string{"11010519491231002X", "6222021234567894", "13812345678"} {
			if strings.Contains(f.Excerpt, secret) || strings.Contains(fmtDetail(f.Detail), secret) {
				t.Errorf("%s leaks %s: %q %v", f.Rule, secret, f.Excerpt, f.Detail)
			}
		}
	}
	if !strings.Contains(id.Excerpt, "110105********002X") {
		t.Errorf("id excerpt %q", id.Excerpt)
	}
	if got := id.Detail["values"].([]string); !reflect.DeepEqual(got, []string{"110105********002X"}) {
		t.Errorf("id values %v", got)
	}
	if got := card.Detail["values"].([]string); !reflect.DeepEqual(got, []string{"622202******7894"}) {
		t.Errorf("card values %v", got)
	}
	if !strings.Contains(card.Excerpt, "138****5678") {
		t.Errorf("mobile in card excerpt not masked like 138****5678: %q", card.Excerpt)
	}

	fs = defaultEngine.Scan(msg("通讯录：13812345678 13912345678 15012345678 18612345678 17712345678 18812345678"))
	mb := find(fs, "pii.mobile_bulk")
	if mb == nil || mb.Detail["matches"] != 6 {
		t.Fatalf("mobile bulk %+v", mb)
	}
	if vs := mb.Detail["values"].([]string); len(vs) != 6 || vs[0] != "138****5678" {
		t.Errorf("mobile values %v", vs)
	}
	if strings.Contains(mb.Excerpt, "12345678") {
		t.Errorf("mobile excerpt not masked: %q", mb.Excerpt)
	}
}

func fmtDetail(d map[string]any) string {
	b, _ := json.Marshal(d)
	return string(b)
}

func TestMobileThreshold(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules["pii.mobile_bulk"].Thresholds["min_count"] = 2
	e := mustEngine(t, cfg)
	if fs := e.Scan(msg("13812345678 13912345678")); find(fs, "pii.mobile_bulk") == nil {
		t.Errorf("min_count 2 did not fire: %v", rules(fs))
	}
}

const (
	jwt    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	pemKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9xKn1Yy0vZs\nQmVt3w==\n-----END RSA PRIVATE KEY-----"
)

func TestCredentials(t *testing.T) {
	runContent(t, defaultEngine, []contentCase{
		{"pem", "key below\n" + pemKey, []string{"credential.private_key"}},
		{"pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", []string{"credential.private_key"}},
		{"aws", "aws key AKIAIOSFODNN7EXAMPLE ok", []string{"credential.aws_access_key"}},
		{"alibaba", "AccessKeyId: LTAI5tBcdEfGhIjKlMnOp", []string{"credential.alibaba_access_key"}},
		{"tencent", "SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA", []string{"credential.tencent_secret_id"}},
		{"github", "token ghp_16C7e42F292c6912E7710c838347Ae178B4a 用这个", []string{"credential.github_token"}},
		{"github pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV", []string{"credential.github_pat"}},
		{"gitlab", "glpat-xYz12AbC34dEf56GhI78", []string{"credential.gitlab_token"}},
		{"slack", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", []string{"credential.slack_token"}},
		{"jwt", "Authorization: Bearer " + jwt, []string{"credential.jwt"}},
		{"password en", "db password: Tr0ub4dor&3", []string{"credential.password"}},
		{"password zh", "服务器密码：Abc12345!", []string{"credential.password"}},
		{"password zh shi", "wifi密码是 Guest2026wifi", []string{"credential.password"}},
		{"password after 机", "手机密码：Abc12345!", []string{"credential.password"}},
		{"pwd", "mysql -h db pwd=s3cr3tPass", []string{"credential.password"}},
		{"password json", `{"user":"admin","password": "Xk9#mQ2!zL"}`, []string{"credential.password"}},
		{"api secret", "client_secret=Zq8fK2mX9pL4vN7rT1wY3bH6", []string{"credential.api_secret"}},
		// near misses
		{"password masked", "password: ********", nil},
		{"password prose", "I forgot my password again", nil},
		{"password zh prose", "密码：请问管理员", nil},
		{"password trivial", "密码：123456", nil},
		{"password template", "pwd=${DB_PWD}", nil},
		{"password words", "password: please", nil},
		{"aws short", "AKIA1234", nil},
		{"ghp short", "ghp_abc", nil},
		{"eyJ short", "eyJhbGci.eyJ.x", nil},
		{"pem public", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", nil},
		{"password reset link", "password: https://sso.example.com/reset", nil},
	})
}

func TestCredentialMasking(t *testing.T) {
	for _, text := range []string{
		"aws key AKIAIOSFODNN7EXAMPLE ok",
		"db password: Tr0ub4dor&3 then",
		"Bearer " + jwt,
		pemKey,
		"服务器密码：Abc12345! 身份证11010519491231002X",
		"CONFIDENTIAL db password: Tr0ub4dor&3 AKIAIOSFODNN7EXAMPLE",
		"机密★5年 名单：张三 身份证号码11010519491231002X 李四",
		"内部资料 ghp_16C7e42F292c6912E7710c838347Ae178B4a Bearer " + jwt,
	} {
		fs := defaultEngine.Scan(msg(text))
		if len(fs) == 0 {
			t.Errorf("%q: no finding", text)
		}
		for _, f := range fs {
			for _, secret := range []string{"IOSFODNN7EXAMPLE", "Tr0ub4dor", "dozjgNryP4J3", "MIIEpAIBAAKCAQEA", "Abc12345!", "19491231", "16C7e42F292c"} {
				if strings.Contains(f.Excerpt, secret) || strings.Contains(fmtDetail(f.Detail), secret) {
					t.Errorf("%s leaks %q: excerpt %q detail %v", f.Rule, secret, f.Excerpt, f.Detail)
				}
			}
		}
	}
	f := find(defaultEngine.Scan(msg("aws key AKIAIOSFODNN7EXAMPLE ok")), "credential.aws_access_key")
	if f.Excerpt != "aws key AKIA**** ok" {
		t.Errorf("excerpt %q", f.Excerpt)
	}
}

func lexConfig(l ...Lexicon) Config {
	c := DefaultConfig()
	c.Lexicons = l
	return c
}

func TestLexicon(t *testing.T) {
	e := mustEngine(t, lexConfig(
		Lexicon{Name: "Project Names", Terms: []string{"Apollo", "天穹计划", "abc", "bcd"}, Severity: SevHigh},
		Lexicon{Name: "Sensitive only", Terms: []string{"Nightjar"}, Scope: Scope{Levels: []string{LevelSensitive}}},
		Lexicon{Name: "财务处项目", Terms: []string{"金盾"}, Scope: Scope{OrgUnits: []string{"财务处"}}},
	))
	runContent(t, e, []contentCase{
		{"ascii case-insensitive", "the APOLLO launch moved", []string{"lexicon.project_names"}},
		{"chinese", "天穹计划进展如何", []string{"lexicon.project_names"}},
		{"word boundary", "Apollonia is my cousin", nil},
		{"out of level scope", "Nightjar status?", nil},
		{"org unit scope", "金盾项目周报", []string{"lexicon.财务处项目"}},
		{"no term", "今天天气不错", nil},
	})
	f := find(e.Scan(msg("xabcdx abcd")), "lexicon.project_names")
	if f != nil {
		t.Errorf("terms inside a word matched: %+v", f)
	}
	f = find(e.Scan(msg("abc bcd 天穹计划")), "lexicon.project_names")
	if f == nil || f.Detail["matches"] != 3 || f.Severity != SevHigh || f.Category != CatLexicon {
		t.Fatalf("lexicon finding %+v", f)
	}
	g := *testGroup
	g.Level = LevelSensitive
	m := msg("Nightjar status?")
	m.Group = &g
	if find(e.Scan(m), "lexicon.sensitive_only") == nil {
		t.Errorf("sensitive lexicon did not fire in a sensitive group")
	}
}

func TestLexiconOverlapping(t *testing.T) {
	e := mustEngine(t, lexConfig(Lexicon{Name: "zh", Terms: []string{"天穹", "穹顶计划", "计划"}}))
	f := find(e.Scan(msg("天穹顶计划")), "lexicon.zh")
	if f == nil || f.Detail["matches"] != 3 {
		t.Fatalf("overlapping matches not all reported: %+v", f)
	}
}

func transferMsg(kind string, fen int64, count int) *Message {
	m := msg("恭喜发财")
	m.Kind = kind
	m.Transfer = &Transfer{AmountFen: fen, Count: count, Type: "group"}
	m.RoomMembers = []string{"zhangsan", "lisi"}
	return m
}

var election = Period{Name: "村委会换届", From: time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)}

func TestTransfer(t *testing.T) {
	withPeriod := DefaultConfig()
	withPeriod.Periods = []Period{election}
	otherUnit := DefaultConfig()
	p := election
	p.OrgUnits = []string{"教育局"}
	otherUnit.Periods = []Period{p}
	ownUnit := DefaultConfig()
	p.OrgUnits = []string{"市政府"}
	ownUnit.Periods = []Period{p}

	cases := []struct {
		name  string
		cfg   Config
		m     *Message
		want  []string
		after func(*Message)
	}{
		{"large group envelope", DefaultConfig(), transferMsg("red_envelope", 400000, 40), []string{"transfer.fan_out", "transfer.large_amount"}, nil},
		{"festive envelope", DefaultConfig(), transferMsg("red_envelope", 888, 4), nil, nil},
		{"festive envelope in period", withPeriod, transferMsg("red_envelope", 888, 4), nil, nil},
		{"just under single threshold", DefaultConfig(), transferMsg("transfer", 49999, 1), nil, nil},
		{"single threshold", DefaultConfig(), transferMsg("transfer", 50000, 1), []string{"transfer.large_amount"}, nil},
		{"fan out under floor", DefaultConfig(), transferMsg("red_envelope", 19999, 20), nil, nil},
		{"fan out", DefaultConfig(), transferMsg("red_envelope", 20000, 20), []string{"transfer.fan_out"}, nil},
		{"19 shares", DefaultConfig(), transferMsg("red_envelope", 30000, 19), nil, nil},
		{"daily total", DefaultConfig(), transferMsg("transfer", 10000, 1), []string{"transfer.daily_total"}, func(m *Message) { m.SenderDayTotalFen = 190000 }},
		{"daily total just under", DefaultConfig(), transferMsg("transfer", 10000, 1), nil, func(m *Message) { m.SenderDayTotalFen = 189999 }},
		{"period amount", withPeriod, transferMsg("red_envelope", 5000, 2), []string{"transfer.sensitive_period"}, nil},
		{"period just under", withPeriod, transferMsg("red_envelope", 4999, 2), nil, nil},
		{"period shares", withPeriod, transferMsg("red_envelope", 1000, 10), []string{"transfer.sensitive_period"}, nil},
		{"period daily", withPeriod, transferMsg("transfer", 1000, 1), []string{"transfer.sensitive_period"}, func(m *Message) { m.SenderDayTotalFen = 49000 }},
		{"outside period dates", withPeriod, transferMsg("red_envelope", 5000, 2), nil, func(m *Message) { m.SentAt = election.To }},
		{"period of another unit", otherUnit, transferMsg("red_envelope", 5000, 2), nil, nil},
		{"period of an ancestor unit", ownUnit, transferMsg("red_envelope", 5000, 2), []string{"transfer.sensitive_period"}, nil},
		{"not a transfer kind", DefaultConfig(), transferMsg("text", 400000, 40), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.after != nil {
				c.after(c.m)
			}
			got := rules(mustEngine(t, c.cfg).Scan(c.m))
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestTransferDetail(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Periods = []Period{election}
	fs := mustEngine(t, cfg).Scan(transferMsg("red_envelope", 400000, 40))
	f := find(fs, "transfer.large_amount")
	if f == nil {
		t.Fatalf("got %v", rules(fs))
	}
	if f.Detail["amount_yuan"] != "4000.00" || f.Detail["count"] != 40 ||
		!reflect.DeepEqual(f.Detail["room_members"], []string{"zhangsan", "lisi"}) {
		t.Errorf("detail %v", f.Detail)
	}
	p := find(fs, "transfer.sensitive_period")
	if p == nil || p.Detail["period"] != "村委会换届" {
		t.Fatalf("period finding %+v", p)
	}
	if yuan(5) != "0.05" || yuan(123456) != "1234.56" {
		t.Errorf("yuan formatting: %s %s", yuan(5), yuan(123456))
	}
}

func TestRegistry(t *testing.T) {
	group := func(status, level string) *Group {
		return &Group{ID: "g9", Status: status, Level: level, OrgUnits: []string{"财务处"}}
	}
	cases := []struct {
		name   string
		group  *Group
		sender Sender
		kind   string
		want   []string
		edit   func(*Message)
	}{
		{"clean", group("active", LevelInternal), Sender{Resolved: true, Member: true, Verified: true}, "text", nil, nil},
		{"unregistered", nil, Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.unregistered_room"}, nil},
		{"non member", group("active", LevelPublic), Sender{Resolved: true, Verified: true}, "text", []string{"registry.non_member_sender"}, nil},
		{"unresolved", group("active", LevelPublic), Sender{}, "text", []string{"registry.non_member_sender"}, nil},
		{"unverified", group("active", LevelPublic), Sender{Resolved: true, Member: true}, "text", []string{"registry.unverified_sender"}, nil},
		{"external internal", group("active", LevelInternal), Sender{Resolved: true, Member: true, Verified: true, External: true}, "text", []string{"registry.external_sender"}, nil},
		{"external sensitive", group("active", LevelSensitive), Sender{Resolved: true, Member: true, Verified: true, External: true}, "text", []string{"registry.external_sender"}, nil},
		{"external public", group("active", LevelPublic), Sender{Resolved: true, Member: true, Verified: true, External: true}, "text", nil, nil},
		{"system message", group("active", LevelPublic), Sender{}, "system", nil, nil},
		{"approved not active", group("approved", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.inactive_group"}, nil},
		{"needs signature", group("needs_signature", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.inactive_group"}, nil},
		{"suspended", group("suspended", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.inactive_group"}, nil},
		{"expired", group("expired", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.inactive_group"}, nil},
		{"dissolved", group("dissolved", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "text", []string{"registry.inactive_group"}, nil},
		{"a one-to-one room is no group", nil, Sender{}, "text", nil, func(m *Message) { m.Direct = true }},
		{"an unregistered room from its creation", nil, Sender{}, "system", []string{"registry.unregistered_room"}, nil},
		{"a non-member joins", group("active", LevelPublic), Sender{}, "system", []string{"registry.non_member_sender"}, func(m *Message) { m.RoomEvent = EventJoin }},
		{"a member joins", group("active", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "system", nil, func(m *Message) { m.RoomEvent = EventJoin }},
		{"encryption turned on", group("active", LevelPublic), Sender{Resolved: true, Member: true, Verified: true}, "system", []string{"registry.encrypted_room"}, func(m *Message) { m.RoomEvent = EventEncryption }},
		{"encryption in an unregistered room: the room is the alert", nil, Sender{}, "system", []string{"registry.unregistered_room"}, func(m *Message) { m.RoomEvent = EventEncryption }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := msg("hello")
			m.Group, m.Sender, m.Kind = c.group, c.sender, c.kind
			if c.edit != nil {
				c.edit(m)
			}
			got := rules(defaultEngine.Scan(m))
			want := append([]string{}, c.want...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestRegistryKeys(t *testing.T) {
	a, b := msg("one"), msg("two 11010519491231002X")
	a.Group, b.Group = nil, nil
	b.SourceID, b.SenderHandle = "m2", "lisi"
	fa, fb := find(defaultEngine.Scan(a), "registry.unregistered_room"), find(defaultEngine.Scan(b), "registry.unregistered_room")
	if fa == nil || fb == nil || fa.Key != fb.Key || fa.Key != "registry.unregistered_room:wecom:r1" {
		t.Fatalf("keys %+v %+v", fa, fb)
	}
	if strings.Contains(fb.Excerpt, "19491231") {
		t.Errorf("registry excerpt leaks an ID: %q", fb.Excerpt)
	}
	c := msg("x")
	c.RoomID = "r2"
	c.Group = nil
	if fc := find(defaultEngine.Scan(c), "registry.unregistered_room"); fc.Key == fa.Key {
		t.Errorf("two rooms share a key")
	}
	g := &Group{ID: "g1", Status: "expired", Level: LevelPublic}
	x, y := msg("a"), msg("b")
	x.Group, y.Group = g, g
	y.SourceID, y.SenderHandle = "m2", "lisi"
	y.Sender = Sender{}
	if find(defaultEngine.Scan(x), "registry.inactive_group").Key != find(defaultEngine.Scan(y), "registry.inactive_group").Key {
		t.Errorf("inactive_group keys differ between messages of one group")
	}
}

func TestScopeAndOverrides(t *testing.T) {
	cfg := DefaultConfig()
	p := cfg.Rules["marking.confidential"]
	p.Scope = Scope{Levels: []string{LevelSensitive}}
	cfg.Rules["marking.confidential"] = p
	p = cfg.Rules["marking.secret"]
	p.Severity = SevCritical
	cfg.Rules["marking.secret"] = p
	p = cfg.Rules["pii.resident_id"]
	p.Enabled = false
	cfg.Rules["pii.resident_id"] = p
	e := mustEngine(t, cfg)
	if fs := e.Scan(msg("秘密★1年")); len(fs) != 0 {
		t.Errorf("scoped rule fired outside its scope: %v", rules(fs))
	}
	if f := find(e.Scan(msg("机密★1年")), "marking.secret"); f == nil || f.Severity != SevCritical {
		t.Errorf("severity override: %+v", f)
	}
	if fs := e.Scan(msg("11010519491231002X")); len(fs) != 0 {
		t.Errorf("disabled rule fired: %v", rules(fs))
	}
	m := msg("秘密★1年")
	m.Group = nil
	if f := find(e.Scan(m), "marking.confidential"); f != nil {
		t.Errorf("scoped rule fired in an unregistered room")
	}
	// Content is never read in a room bound to no group: it may be personal.
	m.Text = "秘密★1年 身份证 11010519491231002X"
	fs := defaultEngine.Scan(m)
	if len(fs) != 1 || fs[0].Rule != "registry.unregistered_room" {
		t.Errorf("an unregistered room's content was scanned: %v", rules(fs))
	}
	m.RoomID = "single:alice:bob"
	if fs := defaultEngine.Scan(m); len(fs) != 0 {
		t.Errorf("a one-to-one chat raised %v", rules(fs))
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"unknown rule", func(c *Config) { c.Rules["marking.nope"] = Policy{} }, "rules.marking.nope"},
		{"bad severity", func(c *Config) { p := c.Rules["pii.bank_card"]; p.Severity = "huge"; c.Rules["pii.bank_card"] = p }, "rules.pii.bank_card.severity"},
		{"unknown threshold", func(c *Config) { c.Rules["transfer.fan_out"].Thresholds["shares"] = 3 }, "rules.transfer.fan_out.thresholds.shares"},
		{"negative threshold", func(c *Config) { c.Rules["transfer.large_amount"].Thresholds["min_amount_fen"] = -1 }, "rules.transfer.large_amount.thresholds.min_amount_fen"},
		{"mobile min zero", func(c *Config) { c.Rules["pii.mobile_bulk"].Thresholds["min_count"] = 0 }, "rules.pii.mobile_bulk.thresholds.min_count"},
		{"bad level", func(c *Config) {
			p := c.Rules["marking.secret"]
			p.Scope.Levels = []string{"secret"}
			c.Rules["marking.secret"] = p
		}, "rules.marking.secret.scope.levels[0]"},
		{"scoped unregistered", func(c *Config) {
			p := c.Rules["registry.unregistered_room"]
			p.Scope.Levels = []string{LevelPublic}
			c.Rules["registry.unregistered_room"] = p
		}, "rules.registry.unregistered_room.scope"},
		{"lexicon no name", func(c *Config) { c.Lexicons = []Lexicon{{Terms: []string{"x"}}} }, "lexicons[0].name"},
		{"lexicon dup", func(c *Config) {
			c.Lexicons = []Lexicon{{Name: "A b", Terms: []string{"x"}}, {Name: "a-b", Terms: []string{"y"}}}
		}, "lexicons[1].name"},
		{"lexicon empty term", func(c *Config) { c.Lexicons = []Lexicon{{Name: "a", Terms: []string{"x", " "}}} }, "lexicons[0].terms[1]"},
		{"lexicon no terms", func(c *Config) { c.Lexicons = []Lexicon{{Name: "a"}} }, "lexicons[0].terms"},
		{"lexicon severity", func(c *Config) { c.Lexicons = []Lexicon{{Name: "a", Terms: []string{"x"}, Severity: "loud"}} }, "lexicons[0].severity"},
		{"period order", func(c *Config) { c.Periods = []Period{{Name: "p", From: election.To, To: election.From}} }, "periods[0].to"},
		{"period name", func(c *Config) { c.Periods = []Period{{From: election.From, To: election.To}} }, "periods[0].name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			_, err := New(cfg)
			var e *errs.Error
			if !errors.As(err, &e) || e.Field != c.field || e.Kind != errs.Invalid {
				t.Errorf("got %v, want a field error on %s", err, c.field)
			}
		})
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	cfg := lexConfig(Lexicon{Name: "codes", Terms: []string{"Apollo"}, Scope: Scope{OrgUnits: []string{"财务处"}}})
	cfg.Periods = []Period{election}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rules"`, `"lexicons"`, `"periods"`, `"org_units"`, `"min_amount_fen"`, `"enabled"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("round trip changed the config")
	}
	mustEngine(t, back)
	// An empty config means defaults.
	e := mustEngine(t, Config{})
	if len(e.Scan(transferMsg("red_envelope", 400000, 40))) == 0 {
		t.Errorf("empty config lost the defaults")
	}
}

func TestRulesCatalogue(t *testing.T) {
	seen := map[string]bool{}
	cfg := DefaultConfig()
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.ID, r.Category+".") || !validSeverity(r.Severity) || r.Description == "" {
			t.Errorf("bad rule info %+v", r)
		}
		if _, ok := cfg.Rules[r.ID]; !ok {
			t.Errorf("DefaultConfig lacks %s", r.ID)
		}
	}
	for _, cat := range []string{CatMarking, CatPII, CatCredential, CatTransfer, CatRegistry} {
		found := false
		for id := range seen {
			found = found || strings.HasPrefix(id, cat+".")
		}
		if !found {
			t.Errorf("no rule in category %s", cat)
		}
	}
}

// TestOpinionsNeverFlagged is the scope guard: Charter does not screen
// opinions. Every message of testdata/opinions.txt must pass DefaultConfig
// without a single finding.
func TestOpinionsNeverFlagged(t *testing.T) {
	f, err := os.Open("testdata/opinions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		if fs := defaultEngine.Scan(msg(line)); len(fs) != 0 {
			t.Errorf("opinion flagged: %q -> %v", line, rules(fs))
		}
	}
	if n < 40 {
		t.Fatalf("opinions corpus has %d messages, want at least 40", n)
	}
}

func TestNoAllocationsWithoutHits(t *testing.T) {
	m := msg("今天下午3点开会，讨论Q3预算和项目进度，请大家准时参加 see you at 15:00 room 301")
	if fs := defaultEngine.Scan(m); len(fs) != 0 {
		t.Fatalf("unexpected findings %v", rules(fs))
	}
	if a := testing.AllocsPerRun(100, func() { defaultEngine.Scan(m) }); a != 0 {
		t.Errorf("%v allocations per benign message", a)
	}
}

func TestConcurrentScan(t *testing.T) {
	corpus := benchCorpus(200)
	want := make([]int, len(corpus))
	for i, m := range corpus {
		want[i] = len(defaultEngine.Scan(m))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, m := range corpus {
				if n := len(defaultEngine.Scan(m)); n != want[i] {
					t.Errorf("message %d: %d findings, want %d", i, n, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLexiconRules(t *testing.T) {
	e := mustEngine(t, lexConfig(Lexicon{Name: "Code Names", Terms: []string{"x"}}))
	got := e.LexiconRules()
	if len(got) != 1 || got[0].ID != "lexicon.code_names" || got[0].Category != CatLexicon || got[0].Severity != SevMedium {
		t.Errorf("LexiconRules %+v", got)
	}
	if defaultEngine.Scan(nil) != nil {
		t.Errorf("Scan(nil) returned findings")
	}
}

// FuzzScan checks that no input makes a detector panic or leak a full
// resident ID number into an excerpt.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"秘密★1年", "国发〔2023〕5号", "11010519491231002X", "6222 0212 3456 7894",
		"138-1234-5678", "password: Tr0ub4dor&3", pemKey, jwt, "内部文件 注意保存", "TOP SECRET", "[2023]", "〔2023〕"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range defaultEngine.Scan(msg(s)) {
			if strings.Contains(fd.Excerpt, "11010519491231002X") {
				t.Errorf("excerpt leaks an ID: %q", fd.Excerpt)
			}
		}
	})
}

func TestTransferEchoesAreNotJudged(t *testing.T) {
	e, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	g := &Group{ID: "1", Status: "active", Level: "internal"}
	s := Sender{Resolved: true, Member: true, Verified: true}
	pay := &Message{Kind: "transfer", Transfer: &Transfer{AmountFen: 600000, Count: 1, Type: "transfer"}, Group: g, Sender: s}
	if !hasRule(e.Scan(pay), "transfer.large_amount") {
		t.Fatal("a 6,000-yuan payment was not flagged")
	}
	for _, echo := range []string{"transfer_receipt", "transfer_refund"} {
		m := &Message{Kind: "transfer", Transfer: &Transfer{AmountFen: 600000, Count: 1, Type: echo}, Group: g, Sender: s}
		if fs := e.Scan(m); len(fs) != 0 {
			t.Errorf("%s raised %v", echo, fs)
		}
	}
}

func hasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
