package report

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/report/export"
)

// Formats a document can be exported in.
var Formats = []string{"csv", "xlsx", "pdf"}

// Document is an export rendered in full, ready to send or write.
type Document struct {
	Filename    string
	ContentType string
	Body        []byte
}

// Disposition is the Content-Disposition header that saves the document under its name.
func (d *Document) Disposition() string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename})
}

var contentTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// render draws tables in format into a buffer, so a failure never leaves a
// half-written download.
func (s *Service) render(format, base string, tables ...*export.Table) (*Document, error) {
	var b bytes.Buffer
	switch format {
	case "csv":
		// A CSV holds one grid; every document here has its content in the first.
		if err := export.CSV(&b, tables[0]); err != nil {
			return nil, err
		}
	case "xlsx":
		if err := export.XLSX(&b, tables...); err != nil {
			return nil, err
		}
	case "pdf":
		getenv := s.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		fonts, err := export.FindFonts(getenv)
		if err != nil {
			// ErrNoFont names the package to install; a bad font variable names itself.
			return nil, errs.E(errs.Unavailable, "cannot draw a PDF: %v", err)
		}
		if err := export.PDF(&b, fonts, tables...); err != nil {
			return nil, err
		}
	default:
		return nil, errs.Field("format", "%q is not one of csv, xlsx, pdf", format)
	}
	return &Document{Filename: base + "." + format, ContentType: contentTypes[format], Body: b.Bytes()}, nil
}

// ExportReport renders one report; the read is audited.
func (s *Service) ExportReport(ctx context.Context, p *account.Principal, id int64, format string) (*Document, error) {
	r, err := s.Show(ctx, p, id)
	if err != nil {
		return nil, err
	}
	doc, err := s.render(format, fmt.Sprintf("report-%d-%s", r.ID, r.Period), ReportTable(r))
	if err != nil {
		return nil, err
	}
	return doc, s.auditExport(ctx, "report.export", reportObject(id), format)
}

// ExportRoster renders the registration roster, the registry's own roster
// listing and table in every format; the read is audited. Who may read it is
// the route table's business (the registry declared it with roster.csv).
func (s *Service) ExportRoster(ctx context.Context, format string) (*Document, error) {
	rows, err := s.Registry.Roster(ctx)
	if err != nil {
		return nil, err
	}
	// Spreadsheets get the registry's table with every column; the printed
	// roster keeps the columns of the paper form, so it fits an A4 page.
	t := RosterTable(rows)
	if format == "pdf" {
		t = PrintedRosterTable(rows, s.now())
	}
	doc, err := s.render(format, "roster-"+s.now().Format("20060102"), t)
	if err != nil {
		return nil, err
	}
	return doc, s.auditExport(ctx, "roster.export", "roster", format)
}

// ExportForm renders one person's registration form; the read is audited.
func (s *Service) ExportForm(ctx context.Context, p *account.Principal, username, format string) (*Document, error) {
	f, err := s.RegistrationForm(ctx, p, username)
	if err != nil {
		return nil, err
	}
	doc, err := s.render(format, "registration-form-"+f.Username, FormTable(f))
	if err != nil {
		return nil, err
	}
	return doc, s.auditExport(ctx, "registration_form.export", "user:"+f.Username, format)
}

func (s *Service) auditExport(ctx context.Context, action, object, format string) error {
	return s.Tx(ctx, func(tx TxStore) error {
		return tx.AppendAudit(ctx, event(ctx, s.now(), action, object, map[string]any{"format": format}))
	})
}

// Bilingual labels: the printed forms carry Chinese and English side by side.
var (
	levelNames       = map[registry.Level]string{registry.Public: "公开 Public", registry.Internal: "内部 Internal", registry.Sensitive: "敏感 Sensitive"}
	groupStatusNames = map[string]string{registry.GroupApproved: "已批准 Approved", registry.GroupActive: "运行中 Active",
		registry.GroupNeedsSignature: "待签署 Needs signature", registry.GroupSuspended: "已暂停 Suspended",
		registry.GroupExpired: "已到期 Expired", registry.GroupDissolved: "已解散 Dissolved"}
	reportStatusNames = map[string]string{Due: "待填报 Due", Draft: "草稿 Draft", Filed: "已签署 Filed"}
	answerNames       = map[string]string{"yes": "是 Yes", "no": "否 No", "": "未答 Unanswered"}
)

func name(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

func levelName(l registry.Level) string {
	if v, ok := levelNames[l]; ok {
		return v
	}
	return string(l)
}

const day = "2006-01-02"

func date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(day)
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

const unavailable = "无数据 Not available"

func optInt(n *int) string {
	if n == nil {
		return unavailable
	}
	return strconv.Itoa(*n)
}

// ReportTable lays a report out as one grid (section, item, value, remark),
// so the CSV carries everything the PDF shows.
func ReportTable(r *Report) *export.Table {
	t := &export.Table{
		Title: "工作群定期报告 Work group periodic report",
		Meta: []export.Field{
			{Label: "群组 Group", Value: r.GroupName},
			{Label: "报告期 Period", Value: r.Period},
			{Label: "状态 Status", Value: name(reportStatusNames, r.Status)},
		},
		Columns: []string{"部分 Section", "项目 Item", "结果 Value", "备注 Remark"},
	}
	add := func(section, item, value, remark string) {
		t.Rows = append(t.Rows, []string{section, item, value, remark})
	}
	info := "基本信息 Report"
	add(info, "报告编号 Report number", strconv.FormatInt(r.ID, 10), "")
	add(info, "群组 Group", r.GroupName, "")
	add(info, "密级 Level", levelName(r.Level), "")
	add(info, "负责人 Responsible person", r.ResponsibleName+" ("+r.Responsible+")", "")
	add(info, "报告期 Period", r.Period, r.PeriodStart.Format(day)+" – "+r.PeriodEnd.AddDate(0, 0, -1).Format(day))
	lateness := ""
	switch {
	case r.Overdue:
		lateness = "已逾期 Overdue"
	case r.FiledAt != nil && r.FiledAt.After(r.DueAt):
		lateness = "逾期提交 Filed late"
	}
	add(info, "截止日期 Due date", r.DueAt.Format(day), lateness)
	add(info, "状态 Status", name(reportStatusNames, r.Status), "")

	fig := "统计数据 Figures"
	st := r.Stats
	add(fig, "消息数 Messages", optInt(st.Messages), "")
	add(fig, "活跃成员 Active members", optInt(st.ActiveMembers), "")
	add(fig, "期末成员 Members at period end", strconv.Itoa(st.Members), "")
	add(fig, "加入 Joins", strconv.Itoa(st.Joins), "")
	add(fig, "退出 Leaves", strconv.Itoa(st.Leaves), "")
	if st.Alerts == nil {
		add(fig, "告警 Alerts", unavailable, "")
	} else {
		total := 0
		cats := make([]string, 0, len(st.Alerts))
		for c := range st.Alerts {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			disps := make([]string, 0, len(st.Alerts[c]))
			for d := range st.Alerts[c] {
				disps = append(disps, d)
			}
			sort.Strings(disps)
			for _, d := range disps {
				n := st.Alerts[c][d]
				total += n
				add(fig, "告警 Alerts: "+c, strconv.Itoa(n), "处置 Disposition: "+d)
			}
		}
		add(fig, "告警合计 Alerts in total", strconv.Itoa(total), "")
	}
	if st.Transfers == nil {
		add(fig, "红包和转账 Red envelopes and transfers", unavailable, "")
	} else {
		add(fig, "红包和转账 Red envelopes and transfers", strconv.Itoa(*st.Transfers), "")
		add(fig, "红包和转账总额（元） Total (yuan)", Yuan(*st.TransferFen), "")
	}

	check := "自查 Self-inspection"
	for i, a := range r.Checklist {
		add(check, fmt.Sprintf("%d. %s %s", i+1, a.TextZh, a.TextEn), name(answerNames, a.Answer), a.Remark)
	}
	add("说明 Remarks", "说明 Remarks", r.Remarks, "")

	sign := "签署 Attestation"
	if r.Status == Filed {
		add(sign, "签署人 Signed by", r.FullName+" ("+r.FiledBy+")", "")
		add(sign, "签署时间 Signed at", stamp(r.FiledAt), "")
		add(sign, "签署地址 Address", r.Addr, "")
		add(sign, "内容摘要 SHA-256", r.ContentSHA256, "")
		t.Notes = []string{
			"本人确认以上报告内容真实、准确、完整。 I attest that this report is true, accurate and complete.",
			fmt.Sprintf("签署人 Signed: %s    时间 Time: %s", r.FullName, stamp(r.FiledAt)),
		}
		if r.Checkpoint != "" {
			// The grid names it (the CSV keeps only the grid); the note,
			// printed full width, carries the signed heads.
			id, _, _ := strings.Cut(r.Checkpoint, " ")
			add(sign, "签名检查点 Checkpoint", id, "")
			t.Notes = append(t.Notes, "签名检查点 Signed checkpoint "+r.Checkpoint)
		}
	} else {
		add(sign, "签署 Signature", "未签署 Not signed", "")
		t.Notes = []string{"本报告尚未签署。 This report is not signed yet."}
	}
	return t
}

// PrintedRosterTable is the registration roster as printed: name, purpose,
// establishment time, responsible person, level, status, member count and
// when the statement was signed.
func PrintedRosterTable(rows []registry.RosterRow, at time.Time) *export.Table {
	t := &export.Table{
		Title: "工作群登记表 Work group registration roster",
		Meta: []export.Field{
			{Label: "打印时间 Printed", Value: stamp(&at)},
			{Label: "群组数 Groups", Value: strconv.Itoa(len(rows))},
		},
		Columns: []string{"群名称 Name", "用途 Purpose", "建立时间 Established", "负责人 Responsible", "密级 Level",
			"状态 Status", "成员数 Members", "保密承诺签署 Statement signed"},
	}
	for _, r := range rows {
		g := r.Group
		signed := date(r.SignedAt)
		if r.SignedAt != nil && !r.SignedValid {
			signed += " (已失效 lapsed)"
		}
		t.Rows = append(t.Rows, []string{g.Name, g.Purpose, date(&g.EstablishedAt), r.RealName + " (" + g.Responsible + ")",
			levelName(g.Level), name(groupStatusNames, g.Status), strconv.Itoa(r.Members), signed})
	}
	return t
}

// FormTable is one person's registration form.
func FormTable(f *Form) *export.Table {
	t := &export.Table{
		Title: "工作群登记表（个人） Work group registration form",
		Meta: []export.Field{
			{Label: "姓名 Name", Value: f.RealName},
			{Label: "用户名 Username", Value: f.Username},
			{Label: "工号 Employee no.", Value: f.EmployeeNo},
			{Label: "部门 Org unit", Value: f.OrgUnit},
			{Label: "打印时间 Printed", Value: stamp(&f.PrintedAt)},
		},
		Columns: []string{"群名称 Group", "本人角色 Role", "密级 Level", "状态 Status", "负责人 Responsible", "加入时间 Joined", "建立时间 Established"},
		Notes: []string{
			"本人确认以上所列为本人所在及负责的全部工作群。 I confirm these are all the work groups I belong to or administer.",
			"签名 Signature: ____________________    日期 Date: ____________",
		},
	}
	roles := map[string]string{"responsible": "负责人 Responsible", "member": "成员 Member"}
	for _, g := range f.Groups {
		t.Rows = append(t.Rows, []string{g.Name, roles[g.Role], levelName(g.Level), name(groupStatusNames, g.Status),
			g.ResponsibleName, date(g.JoinedAt), date(&g.EstablishedAt)})
	}
	return t
}

// RosterTable renders the registry's roster as a table with every column
// (the spreadsheets' form; PrintedRosterTable is the paper one).
func RosterTable(rows []registry.RosterRow) *export.Table {
	t := &export.Table{Title: "工作群登记表 Registration roster of work groups",
		Columns: []string{"编号 id", "群名称 name", "用途 purpose", "平台 platform", "建立时间 established_at", "负责人 responsible",
			"负责人姓名 real_name", "部门 org_unit", "密级 level", "状态 status", "成员数 members", "到期 expires_at",
			"责任书签署 statement_signed_at", "签署有效 statement_current"}}
	for _, r := range rows {
		g := r.Group
		signed := ""
		if r.SignedAt != nil {
			signed = r.SignedAt.Format(time.RFC3339)
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(g.ID, 10), g.Name, g.Purpose, string(g.Platform), g.EstablishedAt.Format(time.RFC3339),
			g.Responsible, r.RealName, g.OrgUnit, string(g.Level), g.Status, strconv.Itoa(r.Members), g.ExpiresAt.Format(time.RFC3339),
			signed, strconv.FormatBool(r.SignedValid)})
	}
	return t
}
