package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/registry"
	"charter/internal/review"
)

// Ordinary work chatter, in both languages. Deliberately nothing about
// opinions: Charter does not look at them, and the demo does not pretend to.
var chatter = []string{
	"明天上午九点开会，请准时参加。", "预算表已更新到共享盘，请大家核对。", "收到。", "好的，我下午处理。",
	"请把第三季度的报销单据汇总给我。", "会议室改到 3 楼 301。", "系统今晚 22:00 例行维护，预计一小时。",
	"周报请于周五下班前提交。", "这个流程需要处长签字。", "已经发邮件给对方确认交付时间。", "培训资料已上传。",
	"谢谢！", "请注意查收通知。", "下周一前完成初稿。", "面试安排在周三下午两点。", "服务器磁盘使用率 85%，需要扩容。",
	"材料已经盖章，明天寄出。", "请各位核对一下自己的联系方式。", "今天的值班表已更新。", "附件是会议纪要，请查阅。",
	"Meeting moved to 3pm, room 301.", "Draft is on the shared drive, please review.", "Thanks, received.",
	"I'll follow up with the vendor today.", "Reminder: weekly report due Friday.", "Backup job finished without errors.",
	"Can someone check the invoice totals?", "Agenda for tomorrow attached.", "Noted, will update the tracker.",
	"The training slides are uploaded.",
}

// event is a message the story needs on a given day.
type event struct {
	group  string // group key; "" for the unregistered room
	day    int
	hour   int
	sender string
	text   string
	kind   capture.Kind
	fen    int64
	count  int
}

func events() []event {
	return []event{
		{group: "budget", day: 12, hour: 10, sender: "zhang.wei", text: "请查收《关于2027年预算调整的通知》（财预〔2026〕12号）机密★5年，阅后即删。"},
		{group: "hire", day: 14, hour: 15, sender: "liu.fang", text: "候选人的身份证号 11010519491231002X，工资卡 6222021234567894，麻烦录入人事系统。"},
		{group: "hire", day: 18, hour: 11, sender: "sun.li", text: "笔试监考老师电话：13812345678 13912345678 15012345678 18612345678 17712345678"},
		{group: "ops", day: 9, hour: 22, sender: "chen.jing", text: "临时给外协开的 AWS key AKIAIOSFODNN7EXAMPLE 用完记得停用"},
		{group: "ops", day: 21, hour: 20, sender: "chen.jing", text: "token ghp_16C7e42F292c6912E7710c838347Ae178B4a 先用这个拉代码"},
		{group: "ops", day: 16, hour: 17, sender: "sun.li", text: "天穹计划 的部署窗口定在周五晚上，大家留意。"},
		{group: "vendor", day: 11, hour: 10, sender: "chen.jing", text: "北斗二期 接口文档已发到你们邮箱。"},
		{group: "budget", day: 27, hour: 12, sender: "sun.li", text: "新年快乐", kind: "red_envelope", fen: 888, count: 4},
		// A red envelope to the whole group in the middle of the election.
		{group: "budget", day: 28, hour: 20, sender: "zhao.lei", text: "大家辛苦了，投票那天都去哦", kind: "red_envelope", fen: 400000, count: 40},
		{group: "publicity", day: 22, hour: 9, sender: "sun.li", text: "这个群还在用吗？"},
		{group: "audit", day: 26, hour: 14, sender: "zhang.wei", text: "审计补充材料还需要吗？"},
		{day: 29, hour: 19, sender: "zhao.lei", text: "周末一起打球？"},
		{day: 30, hour: 19, sender: "zhao.lei", text: "Photos from the weekend"},
	}
}

// play delivers day n's messages to the archive, as a connector would,
// then does the scheduler's work due by the end of the day. Chatter comes
// from the groups that are active (or waiting for a new signature) that day;
// the story's events come whatever the group's state, which is the point of
// some of them.
func (d *loader) play(ctx context.Context, n int) error {
	day := d.start.AddDate(0, 0, n)
	var lines []capture.Message
	add := func(platform registry.Platform, room, sender string, at time.Time, text string, kind capture.Kind, fen int64, count int) {
		d.messages++
		m := capture.Message{Platform: string(platform), SourceID: fmt.Sprintf("%s-%05d", room, d.messages), RoomID: room,
			Sender: handleOf(sender), SentAt: at, Kind: kind, Text: text}
		if m.Kind == "" {
			m.Kind = "text"
		}
		if fen > 0 {
			m.Transfer = &capture.Transfer{AmountFen: fen, Count: count, Type: "group"}
		}
		lines = append(lines, m)
	}
	byKey := map[string]*group{}
	for _, g := range d.groups {
		byKey[g.key] = g
		if g.room == "" || g.id == 0 {
			continue
		}
		grp, err := d.a.DB.Group(ctx, g.id)
		if err != nil {
			return err
		}
		if grp.Status != registry.GroupActive && grp.Status != registry.GroupNeedsSignature {
			continue // the platform group went quiet
		}
		people := g.usernames()
		for i := 0; i < 12+d.rng.IntN(12); i++ {
			at := day.Add(time.Duration(8*60+30+d.rng.IntN(10*60)) * time.Minute)
			add(g.platform, g.room, people[d.rng.IntN(len(people))], at, chatter[d.rng.IntN(len(chatter))], "", 0, 0)
		}
	}
	for _, ev := range events() {
		if ev.day != n {
			continue
		}
		at := day.Add(time.Duration(ev.hour)*time.Hour + time.Duration(d.rng.IntN(50))*time.Minute)
		platform, room := registry.Platform("wecom"), "wrUnknown77"
		if g := byKey[ev.group]; g != nil && ev.group != "" {
			platform, room = g.platform, g.room
		}
		add(platform, room, ev.sender, at, ev.text, ev.kind, ev.fen, ev.count)
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].SentAt.Before(lines[j].SentAt) })
	var nd bytes.Buffer
	enc := json.NewEncoder(&nd)
	for i := range lines {
		if err := enc.Encode(&lines[i]); err != nil {
			return err
		}
	}
	// Delivered in the evening, after the day's messages.
	d.clock.t = day.Add(22 * time.Hour)
	if nd.Len() > 0 {
		res, err := d.a.Archive.Ingest(ctx, &nd, archive.Batch{Format: "ndjson", Source: "demo"}, nil)
		if err != nil {
			return fmt.Errorf("deliver day %d: %w", n, err)
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("deliver day %d: %d messages rejected: %+v", n, len(res.Rejected), res.Rejected[0])
		}
	}
	d.clock.t = day.Add(23*time.Hour + 30*time.Minute)
	sched := &registry.Scheduler{Service: d.reg}
	return sched.Tick(ctx, d.clock.t)
}

// usernames are the group's people: its responsible person and internal members.
func (g *group) usernames() []string {
	out := []string{g.responsible}
	for _, m := range g.members {
		if m.Username != "" {
			out = append(out, m.Username)
		}
	}
	return out
}

// triage has the reviewer work part of the queue: a reminder, a false
// positive, the red envelope escalated into a case, one claimed.
func (d *loader) triage(ctx context.Context) (int, error) {
	rv := actor(ctx, "shen.he")
	as, err := d.a.Review.Alerts(ctx, review.AlertFilter{Limit: 500})
	if err != nil {
		return 0, err
	}
	done := 0
	for _, a := range as {
		var res *review.Resolution
		switch a.Rule {
		case "pii.resident_id":
			res = &review.Resolution{Disposition: review.Reminded, Note: "已提醒群主撤回消息，身份证号改经人事系统传递。"}
		case "credential.aws_access_key":
			res = &review.Resolution{Disposition: review.FalsePositive, Note: "AWS 文档中的示例密钥，并非真实凭据。"}
		case "transfer.sensitive_period":
			res = &review.Resolution{Disposition: review.Escalated, Note: "换届选举期间向全群发放 4,000 元红包，需核实领取人是否为选民。",
				CaseTitle: "换届选举期间群内大额红包核查"}
		case "marking.secret":
			// claimed, still being looked at
		default:
			continue
		}
		if _, err := d.a.Review.Claim(rv, a.ID); err != nil {
			return done, fmt.Errorf("claim alert %d: %w", a.ID, err)
		}
		if res == nil {
			continue
		}
		r, err := d.a.Review.Resolve(rv, a.ID, *res)
		if err != nil {
			return done, fmt.Errorf("resolve alert %d: %w", a.ID, err)
		}
		done++
		if r.CaseID != nil {
			if _, err := d.a.Review.AddNote(rv, *r.CaseID, "已调取群成员名单，正与社区核对选民名册。"); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// The statement's version 2, published by the security officer during the demo.
const statementZh = `工作群保密责任书（2026 年修订）

本人作为本工作群的负责人（群主），承诺：

一、本群仅用于登记的工作用途，不在群内传递任何涉密信息，涉密文件一律经保密渠道办理；
二、不在群内发布身份证号、银行卡号等个人信息，确需传递的通过业务系统办理；
三、不在群内发送账号密码、密钥等凭据；
四、及时维护成员名单，人员调离当日移出本群；
五、不在群内发放与工作无关的红包或转账，选举等敏感时期尤须注意；
六、知悉本群消息依规存档，仅用于上述检查，不涉及个人观点。

如有违反，愿承担相应责任。`

const statementEn = `Work group confidentiality statement (2026 revision)

As the person responsible for this work group, I undertake:

1. to use the group only for its registered work purpose, and never to pass classified information in it;
2. not to post personal data such as ID or bank card numbers; where needed, to use the business systems;
3. not to post passwords, keys or other credentials;
4. to keep the member list true and remove people on the day they leave;
5. not to send red envelopes or transfers unrelated to work, especially during elections and other sensitive periods;
6. to note that the group's messages are archived for these checks only, which do not concern anyone's opinions.

I accept responsibility for any breach.`
