package detect

import (
	"fmt"
	"math/rand"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU is the CPU time of the calling OS thread. The machine is shared,
// so wall-clock MB/s swings with the load; the benchmarks also report
// "cpuMB/s", bytes per second of CPU actually spent by the scanning thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, bytes int64, cpu time.Duration, n int) {
	if cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(n)/cpu.Seconds()/1e6, "cpuMB/s")
	}
}

// benchCorpus builds a chat corpus like the one Charter sees: mostly short
// benign messages in Chinese, English and both, with times, prices, order
// numbers, links and emoji codes, and about one message in fifty carrying a
// hit (an ID, a card, a marking, a key, a document number).
func benchCorpus(n int) []*Message {
	benign := []string{
		"好的，收到",
		"今天下午3点开会，请大家准时参加",
		"[微笑][微笑] 辛苦了",
		"这个方案我看了，整体没问题，细节再改改",
		"明天上午10:30在302会议室讨论Q3预算",
		"订单号 20260501123 已发货，预计周五到",
		"I'll send the slides after lunch",
		"Can we move the standup to 9:45 tomorrow?",
		"报销单已提交，金额 356.50 元",
		"请查看链接 https://docs.example.com/s/abc123?from=wecom",
		"周末加班的同事记得登记一下",
		"收到，我马上处理",
		"The client wants the report by Friday, please prioritise",
		"这周的周报请在周五下班前发给我",
		"老师好，孩子今天请假一天，谢谢",
		"meeting notes: 1) budget 2) hiring 3) roadmap for 2026",
		"大家注意一下，下周一系统升级，8:00-12:00 无法登录",
		"我在路上了，大概20分钟到",
		"这个bug我复现了，是空指针，下午修",
		"👍👍👍",
		"合同第3.2条需要法务再看一下",
		"Thanks! Let me check with the team and get back to you.",
		"项目进度：前端完成80%，后端完成65%，测试还没开始",
		"明天的培训改到线上，腾讯会议号 123 456 789",
		"各位领导好，附件是本月的工作总结，请审阅",
	}
	hits := []string{
		"员工信息：张三 11010519491231002X",
		"工资卡号 6222021234567894",
		"关于2026年预算的通知 机密★5年",
		"key: AKIAIOSFODNN7EXAMPLE",
		"根据国发〔2023〕5号文件精神",
		"db password: Tr0ub4dor&3",
		"CONFIDENTIAL - board minutes attached",
		"联系人：13812345678 13912345678 15012345678 18612345678 17712345678",
	}
	r := rand.New(rand.NewSource(1))
	out := make([]*Message, n)
	for i := range out {
		var text string
		switch {
		case i%50 == 49:
			text = hits[r.Intn(len(hits))]
		case r.Intn(4) == 0: // a longer message: two or three joined
			text = benign[r.Intn(len(benign))] + "。" + benign[r.Intn(len(benign))] + " " + benign[r.Intn(len(benign))]
		default:
			text = benign[r.Intn(len(benign))]
		}
		m := msg(text)
		m.SourceID = fmt.Sprint("m", i)
		out[i] = m
	}
	return out
}

func BenchmarkScan(b *testing.B) {
	corpus := benchCorpus(10000)
	size := 0
	for _, m := range corpus {
		size += len(m.Text)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, c0 := 0, threadCPU()
	for b.Loop() {
		for _, m := range corpus {
			defaultEngine.Scan(m)
		}
		n++
	}
	reportCPU(b, int64(size), threadCPU()-c0, n)
}

// BenchmarkScanLong measures throughput on long texts (forwarded records):
// per-byte cost without per-message overhead.
func BenchmarkScanLong(b *testing.B) {
	corpus := benchCorpus(400)
	text := ""
	for _, m := range corpus {
		if len(text) > 16<<10 {
			break
		}
		if m.SourceID[len(m.SourceID)-1] != '9' { // skip hits
			text += m.Text + "\n"
		}
	}
	m := msg(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, c0 := 0, threadCPU()
	for b.Loop() {
		defaultEngine.Scan(m)
		n++
	}
	reportCPU(b, int64(len(text)), threadCPU()-c0, n)
}

// BenchmarkScanLexicon adds 1,000 organization terms (70 % Chinese) to the
// default rules: the cost of one Aho-Corasick pass per message.
func BenchmarkScanLexicon(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	han := []rune("天穹金盾星河昆仑长城磐石北斗神舟鲲鹏玄武朱雀青龙白虎麒麟凤凰")
	terms := make([]string, 1000)
	for i := range terms {
		if i%10 < 7 {
			k := 2 + r.Intn(3)
			t := make([]rune, k)
			for j := range t {
				t[j] = han[r.Intn(len(han))]
			}
			terms[i] = string(t) + "计划"
		} else {
			terms[i] = fmt.Sprintf("Project-%c%c%d", 'A'+r.Intn(26), 'a'+r.Intn(26), r.Intn(1000))
		}
	}
	e, err := New(lexConfig(Lexicon{Name: "codes", Terms: terms}))
	if err != nil {
		b.Fatal(err)
	}
	corpus := benchCorpus(10000)
	size := 0
	for _, m := range corpus {
		size += len(m.Text)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, c0 := 0, threadCPU()
	for b.Loop() {
		for _, m := range corpus {
			e.Scan(m)
		}
		n++
	}
	reportCPU(b, int64(size), threadCPU()-c0, n)
}
