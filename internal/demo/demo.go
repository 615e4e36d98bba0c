// Package demo plays a month of a demonstration organization into a
// database, through the same services people and connectors use.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/review"
)

// Load loads a demonstration organization into the app's database: org
// units, a user in every role, groups in every state, a month of work
// messages and the alerts the real detectors raise on them. Everything goes
// through the domain services, as a person or a connector would do it: the
// month is played day by day on the clock c, which the app's services must
// read (open the app with c.Now), each day's messages are delivered to the
// archive (which resolves rooms and senders through the registry and runs
// the detectors on every batch), and the scheduler does each day's
// time-driven work. So the audit trail, the archive and the alerts are what
// the product itself produces. It refuses to run on a database that already
// has the demo organization. Every demo user gets password (the command
// reads CHARTER_DEMO_PASSWORD, which the summary names); empty: one is
// generated and printed to out with the summary.
func Load(ctx context.Context, a *app.App, c *Clock, out io.Writer, password string) error {
	d := &loader{a: a, out: out, rng: rand.New(rand.NewPCG(2026, 11)), clock: c, start: c.start, now: c.end}
	return d.load(ctx, password)
}

// marker is the demo's first user: when it exists the demo was loaded.
const marker = "bao.mi"

type user struct {
	username, realName, unit string
	roles                    []account.Grant
	about                    string
}

var units = [][2]string{{"总部", ""}, {"办公室", "总部"}, {"财务处", "总部"}, {"人事处", "总部"}, {"信息中心", "总部"}}

var staff = []user{
	{"bao.mi", "鲍敏", "办公室", []account.Grant{{Role: account.SecurityOfficer}}, "security officer 保密员"},
	{"shen.he", "沈禾", "办公室", []account.Grant{{Role: account.Reviewer}}, "reviewer 审核员"},
	{"shen.ji", "申吉", "办公室", []account.Grant{{Role: account.Auditor}}, "auditor 审计员"},
	{"he.zhuren", "何振华", "总部", []account.Grant{{Role: account.Approver, OrgUnit: "总部"}}, "approver for 总部 and every unit under it"},
	{"wang.chu", "王建国", "财务处", []account.Grant{{Role: account.Approver, OrgUnit: "财务处"}}, "approver for 财务处 (head of finance)"},
	{"zhang.wei", "张伟", "财务处", nil, "member, responsible for finance groups"},
	{"zhao.lei", "赵磊", "财务处", nil, "member"},
	{"liu.fang", "刘芳", "人事处", nil, "member, responsible for HR groups"},
	{"chen.jing", "陈静", "信息中心", nil, "member, responsible for IT groups"},
	{"sun.li", "孙丽", "办公室", nil, "member"},
}

// Clock is the time the whole app sees while the demo plays its month:
// the registry, the archive, the detectors and their caches all see the
// month pass.
type Clock struct {
	t          time.Time
	start, end time.Time // the first day of the demo's month; the real now
}

// NewClock starts the demo's month days before now, at 8 in the morning.
func NewClock(now time.Time) *Clock {
	now = now.UTC().Truncate(time.Second)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start := today.AddDate(0, 0, -days)
	return &Clock{t: start.Add(8 * time.Hour), start: start, end: now}
}

// Now is the demo's time.
func (c *Clock) Now() time.Time { return c.t }

type loader struct {
	a     *app.App
	ctx   context.Context
	out   io.Writer
	rng   *rand.Rand
	clock *Clock
	reg   *registry.Service
	users map[string]*account.Principal
	start time.Time // the first day of the demo's month
	now   time.Time

	groups   []*group
	played   int // days whose messages are delivered
	messages int
	err      error // the first failure while playing days from at
}

// group is one group the demo sets up, and how its story goes.
type group struct {
	key, name, purpose, responsible, applicant string
	platform                                   registry.Platform
	level                                      registry.Level
	members                                    []registry.ProposedMember
	room                                       string
	day                                        int // day of the month it is applied for
	endDay                                     int // day its term ends, when within the month
	id                                         int64
}

func (d *loader) load(ctx context.Context, password string) error {
	a := d.a
	if _, err := a.DB.User(ctx, marker); err == nil {
		return fmt.Errorf("this database already holds the demo organization (user %s exists); "+
			"the demo loads once, into an empty database: use a new --data directory or database", marker)
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	generated := password == ""
	if generated {
		password = account.GeneratePassword()
	}
	today := time.Date(d.now.Year(), d.now.Month(), d.now.Day(), 0, 0, 0, 0, time.UTC)
	d.ctx = ctx
	// Every service of the app reads the demo's clock, so the month's
	// events, messages and alerts carry the times they happened at.
	d.reg = a.Registry
	accounts, policies := a.Accounts, a.Policies
	d.users = map[string]*account.Principal{}

	for _, u := range units {
		if _, err := accounts.CreateOrgUnit(ctx, u[0], u[1]); err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("org unit %s: %w", u[0], err)
		}
	}
	if _, err := accounts.EnsureAdmin(ctx, password); err != nil {
		return err
	}
	for _, u := range staff {
		created, err := accounts.CreateUser(ctx, account.NewUser{Username: u.username, Password: password, RealName: u.realName,
			DisplayName: u.realName, OrgUnit: u.unit, Verified: true, Roles: u.roles})
		if err != nil {
			return fmt.Errorf("user %s: %w", u.username, err)
		}
		d.users[u.username] = &account.Principal{User: created}
		for _, p := range []registry.Platform{"wecom", "dingtalk", "wechat"} {
			if _, err := d.reg.AddHandle(ctx, u.username, p, handleOf(u.username)); err != nil {
				return fmt.Errorf("handle of %s: %w", u.username, err)
			}
		}
	}

	// Detection policy: the organization's project code names, and the
	// election in which red envelopes to voters are watched closely.
	if err := policies.PutLexicon(ctx, "项目代号", detect.Lexicon{Name: "项目代号", Terms: []string{"天穹计划", "北斗二期"}, Severity: detect.SevHigh}, true); err != nil {
		return fmt.Errorf("lexicon: %w", err)
	}
	election := detect.Period{Name: "2026 年社区居委会换届选举", From: today.AddDate(0, 0, -12), To: today.AddDate(0, 0, 4)}
	if err := policies.PutPeriod(ctx, election.Name, election, true); err != nil {
		return fmt.Errorf("sensitive period: %w", err)
	}
	if err := d.story(ctx); err != nil {
		return err
	}
	// Play the rest of the month up to today.
	d.at(days, 0)
	if d.err != nil {
		return d.err
	}
	d.clock.t = d.now
	if err := d.openCampaigns(ctx); err != nil {
		return err
	}
	triaged, err := d.triage(ctx)
	if err != nil {
		return err
	}

	fmt.Fprintf(d.out, "Loaded the demonstration organization into %s.\n", a.DB.Engine())
	fmt.Fprintf(d.out, "  org units: %d; users: %d; groups: %d (approved, active, needs signature, suspended, expired, dissolved)\n",
		len(units), len(staff)+1, len(d.groups))
	fmt.Fprintf(d.out, "  applications also in draft, submitted and rejected; messages archived: %d; alerts: %d (%d resolved)\n",
		d.messages, d.alertCount(ctx), triaged)
	fmt.Fprintf(d.out, "  sensitive period: %s, %s to %s\n\nSign in as:\n", election.Name, election.From.Format("2006-01-02"), election.To.Format("2006-01-02"))
	fmt.Fprintf(d.out, "  %-10s  %s\n", "admin", "administrator")
	for _, u := range staff {
		fmt.Fprintf(d.out, "  %-10s  %s %s\n", u.username, u.realName, u.about)
	}
	if generated {
		fmt.Fprintf(d.out, "\nEvery demo user's password: %s\nIt is shown only once. Set CHARTER_DEMO_PASSWORD to choose it.\n", password)
	} else {
		fmt.Fprintf(d.out, "\nEvery demo user's password is CHARTER_DEMO_PASSWORD.\n")
	}
	return nil
}

func handleOf(username string) string { return strings.ReplaceAll(username, ".", "") }

// days is how long the demo's story runs, ending today.
const days = 35

// at moves the clock to hour h of day n of the demo month, first playing
// the days before it: their messages delivered, the scheduler's work done.
// A failure is kept in d.err and stops further days.
func (d *loader) at(n int, h int) time.Time {
	for d.err == nil && d.played < n {
		d.err = d.play(d.ctx, d.played)
		d.played++
	}
	d.clock.t = d.start.AddDate(0, 0, n).Add(time.Duration(h) * time.Hour)
	return d.clock.t
}

func actor(ctx context.Context, username string) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: username, Addr: "demo"})
}

// establish applies for g as its applicant and has each step approved.
func (d *loader) establish(ctx context.Context, g *group) (*registry.Application, error) {
	d.at(g.day, 9)
	app, err := d.apply(ctx, g, false)
	if err != nil {
		return nil, err
	}
	for i := 0; app.Status == registry.Submitted && i < 3; i++ {
		d.at(g.day, 11+2*i)
		decider := "he.zhuren"
		if app.CurrentStep.Role == account.SecurityOfficer {
			decider = "bao.mi"
		} else if app.OrgUnit == "财务处" {
			decider = "wang.chu"
		}
		if app, err = d.reg.Decide(actor(ctx, decider), d.users[decider], app.ID, "approve", "同意。"); err != nil {
			return nil, fmt.Errorf("approve %s: %w", g.name, err)
		}
	}
	g.id = app.GroupID
	return app, nil
}

func (d *loader) apply(ctx context.Context, g *group, draft bool) (*registry.Application, error) {
	planned := d.clock.t.Add(24 * time.Hour)
	expires := planned.AddDate(1, 0, 0)
	if g.endDay != 0 {
		expires = d.start.AddDate(0, 0, g.endDay)
	}
	in := registry.NewApplication{Name: g.name, Purpose: g.purpose, Platform: g.platform, PlannedAt: planned.Format(time.RFC3339),
		ExpiresAt: expires.Format(time.RFC3339), Responsible: g.responsible, Level: g.level, Members: g.members, Draft: draft}
	app, err := d.reg.Apply(actor(ctx, g.applicant), d.users[g.applicant], in)
	if err != nil {
		return nil, fmt.Errorf("apply for %s: %w", g.name, err)
	}
	return app, nil
}

// activate signs the statement and binds the room, as the responsible person.
func (d *loader) activate(ctx context.Context, g *group, day int) error {
	d.at(day, 10)
	p := d.users[g.responsible]
	c := actor(ctx, g.responsible)
	if _, err := d.reg.Sign(c, p, g.id, registry.SignInput{FullName: p.User.RealName, Language: "zh-CN", Addr: "10.1.2.3"}); err != nil {
		return fmt.Errorf("sign %s: %w", g.name, err)
	}
	if _, err := d.reg.Bind(c, p, g.id, g.platform, g.room); err != nil {
		return fmt.Errorf("bind %s: %w", g.name, err)
	}
	return nil
}

func members(usernames ...string) []registry.ProposedMember {
	var out []registry.ProposedMember
	for _, u := range usernames {
		out = append(out, registry.ProposedMember{Username: u})
	}
	return out
}

// story sets up the register over the month: groups in every state.
func (d *loader) story(ctx context.Context) error {
	if _, err := d.setUp(ctx); err != nil {
		return err
	}
	return d.err
}

func (d *loader) setUp(ctx context.Context) ([]*group, error) {
	// Day 0: a group that will need a new signature when the statement changes.
	year := &group{key: "year", name: "年终决算临时群", purpose: "年终决算期间各科室报送材料的联络", responsible: "zhao.lei", applicant: "zhao.lei",
		platform: "wecom", level: registry.Public, members: members("zhang.wei", "sun.li"), room: "wrYearEnd2026", day: 0}
	if _, err := d.establish(ctx, year); err != nil {
		return nil, err
	}
	if err := d.activate(ctx, year, 1); err != nil {
		return nil, err
	}
	d.groups = append(d.groups, year)
	// Day 3: the security officer publishes version 2 of the statement.
	d.at(3, 15)
	if _, err := d.reg.PublishTemplate(actor(ctx, "bao.mi"), statementZh, statementEn); err != nil {
		return nil, fmt.Errorf("publish statement: %w", err)
	}

	budget := &group{key: "budget", name: "财务处预算编制群", purpose: "2027 年度预算编制、报销审核的日常协作", responsible: "zhang.wei", applicant: "zhang.wei",
		platform: "wecom", level: registry.Internal, members: members("zhao.lei", "wang.chu", "sun.li"), room: "wrFinBudget01", day: 4}
	ops := &group{key: "ops", name: "信息中心运维值班群", purpose: "机房与业务系统的值班交接、故障处置", responsible: "chen.jing", applicant: "chen.jing",
		platform: "dingtalk", level: registry.Internal, members: members("sun.li", "zhao.lei"), room: "dtOpsDuty", day: 4}
	hire := &group{key: "hire", name: "人事处招聘协调群", purpose: "2026 年公开招聘的面试安排与材料流转", responsible: "liu.fang", applicant: "liu.fang",
		platform: "wecom", level: registry.Internal, room: "wrHRHiring", day: 5,
		members: append(members("sun.li", "he.zhuren"), registry.ProposedMember{External: "周老师", Organization: "市人才服务中心", Justification: "负责笔试组织"})}
	vendor := &group{key: "vendor", name: "信息化项目外协群", purpose: "档案系统建设与外协单位的进度沟通", responsible: "chen.jing", applicant: "chen.jing",
		platform: "wecom", level: registry.Sensitive, room: "wrVendorProj", day: 5,
		members: append(members("sun.li"), registry.ProposedMember{External: "吴工", Organization: "某软件公司", Justification: "驻场开发"})}
	// The audit group was asked for until day 24 only; the scheduler expires it today.
	auditG := &group{key: "audit", name: "2025 年审计配合群", purpose: "配合年度审计的资料调取", responsible: "liu.fang", applicant: "liu.fang",
		platform: "wecom", level: registry.Internal, members: members("zhang.wei"), room: "wrAudit2025", day: 6, endDay: 24}
	publicity := &group{key: "publicity", name: "旧版宣传协作群", purpose: "宣传稿件的征集与审校", responsible: "sun.li", applicant: "sun.li",
		platform: "wechat", level: registry.Public, members: members("liu.fang"), room: "wxPublicity", day: 6}
	six := []*group{budget, ops, hire, vendor, auditG, publicity}
	for _, g := range six {
		if _, err := d.establish(ctx, g); err != nil {
			return nil, err
		}
	}
	for _, g := range six {
		if err := d.activate(ctx, g, 7); err != nil {
			return nil, err
		}
		d.groups = append(d.groups, g)
	}
	// The sensitive group is re-certified on day 15 with a deadline on day
	// 25 and "suspend" as the default; nobody answers.
	d.at(15, 9)
	if _, err := d.reg.StartCampaign(actor(ctx, "bao.mi"), registry.NewCampaign{Kind: registry.Recertification, Level: registry.Sensitive,
		Title: "敏感级工作群季度复核", Deadline: d.start.AddDate(0, 0, 25).Format(time.RFC3339), DefaultDecision: registry.Suspend}); err != nil {
		return nil, fmt.Errorf("re-certification: %w", err)
	}
	// The publicity group is dissolved on day 20.
	d.at(20, 16)
	if _, err := d.reg.Dissolve(actor(ctx, "bao.mi"), d.users["bao.mi"], publicity.id, "宣传工作并入办公室，群不再需要"); err != nil {
		return nil, fmt.Errorf("dissolve: %w", err)
	}

	// Approved but not yet signed or bound.
	union := &group{name: "工会活动筹备群", purpose: "工会春季活动的报名与分工", responsible: "sun.li", applicant: "sun.li",
		platform: "wecom", level: registry.Public, members: members("liu.fang", "zhao.lei"), day: 30}
	if _, err := d.establish(ctx, union); err != nil {
		return nil, err
	}
	// Submitted, waiting for the head of finance.
	d.at(32, 10)
	if _, err := d.apply(ctx, &group{name: "档案数字化项目群", purpose: "财务档案数字化扫描的进度协调", responsible: "zhao.lei", applicant: "zhao.lei",
		platform: "wecom", level: registry.Internal, members: members("zhang.wei")}, false); err != nil {
		return nil, err
	}
	// A draft, not yet submitted.
	if _, err := d.apply(ctx, &group{name: "培训班临时群", purpose: "新员工培训期间的通知", responsible: "liu.fang", applicant: "liu.fang",
		platform: "dingtalk", level: registry.Public}, true); err != nil {
		return nil, err
	}
	// Rejected by the security officer: the external member's reason is thin.
	d.at(33, 9)
	rej, err := d.apply(ctx, &group{name: "外部供应商对接群", purpose: "与供应商沟通采购事宜", responsible: "zhang.wei", applicant: "zhang.wei",
		platform: "wechat", level: registry.Internal, members: []registry.ProposedMember{{External: "钱经理", Organization: "某贸易公司", Justification: "沟通"}}}, false)
	if err != nil {
		return nil, err
	}
	d.at(33, 11)
	if rej, err = d.reg.Decide(actor(ctx, "wang.chu"), d.users["wang.chu"], rej.ID, "approve", "同意，请保密员审核外部成员。"); err != nil {
		return nil, err
	}
	d.at(33, 15)
	if _, err := d.reg.Decide(actor(ctx, "bao.mi"), d.users["bao.mi"], rej.ID, "reject", "外部成员的入群理由不充分，请写明具体工作内容和期限。"); err != nil {
		return nil, err
	}
	d.groups = append(d.groups, union)
	return d.groups, nil
}

// openCampaigns leaves a re-certification and a declaration open, so people
// find tasks on their home page.
func (d *loader) openCampaigns(ctx context.Context) error {
	so := actor(ctx, "bao.mi")
	if _, err := d.a.Registry.StartCampaign(so, registry.NewCampaign{Kind: registry.Recertification, Level: registry.Internal,
		Title: "内部级工作群年度复核", Deadline: d.now.AddDate(0, 0, 10).Format(time.RFC3339), DefaultDecision: registry.Keep}); err != nil {
		return fmt.Errorf("re-certification: %w", err)
	}
	if _, err := d.a.Registry.StartCampaign(so, registry.NewCampaign{Kind: registry.Declaration,
		Title: "2026 年工作群申报", Deadline: d.now.AddDate(0, 0, 14).Format(time.RFC3339)}); err != nil {
		return fmt.Errorf("declaration: %w", err)
	}
	return nil
}

func (d *loader) alertCount(ctx context.Context) int {
	as, err := d.a.Review.Alerts(ctx, review.AlertFilter{Limit: 500})
	if err != nil {
		return 0
	}
	return len(as)
}
