package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *Table {
	return &Table{
		Title:   "工作群登记表 Registration roster",
		Meta:    []Field{{"单位", "财务处"}, {"导出时间", "2026-11-22 10:00"}},
		Columns: []string{"群名称", "用途", "负责人", "密级", "状态", "成员数"},
		Rows: [][]string{
			{"预算编制工作群", "2027年度预算编制的日常沟通", "李伟", "内部", "运行中", "12"},
			{"Audit \"Q3\", team", "quarterly audit, with a comma\nand a newline", "Chen <Jing>", "sensitive", "active", "5"},
		},
		Notes: []string{"本人承诺以上信息真实准确。", "负责人签名：__________"},
	}
}

func TestCSVHasBOMAndReadsBack(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatal("CSV does not start with a UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{sample().Columns}, sample().Rows...)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

// readXLSX returns every sheet's rows as text, read the way a spreadsheet does.
func readXLSX(t *testing.T, data []byte) map[string][][]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, _ := f.Open()
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	for _, need := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} {
		if _, ok := files[need]; !ok {
			t.Fatalf("workbook lacks %s", need)
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(files["xl/workbook.xml"], &wb); err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	for i, s := range wb.Sheets {
		var ws struct {
			Rows []struct {
				Cells []struct {
					Ref  string `xml:"r,attr"`
					Text string `xml:"is>t"`
				} `xml:"c"`
			} `xml:"sheetData>row"`
		}
		if err := xml.Unmarshal(files["xl/worksheets/sheet"+string(rune('1'+i))+".xml"], &ws); err != nil {
			t.Fatal(err)
		}
		for _, r := range ws.Rows {
			var row []string
			for _, c := range r.Cells {
				row = append(row, c.Text)
			}
			out[s.Name] = append(out[s.Name], row)
		}
	}
	return out
}

func TestXLSXReadsBack(t *testing.T) {
	var b bytes.Buffer
	second := sample()
	second.Title = "Sheet/with:bad*chars"
	if err := XLSX(&b, sample(), second); err != nil {
		t.Fatal(err)
	}
	sheets := readXLSX(t, b.Bytes())
	rows, ok := sheets["工作群登记表 Registration roster"]
	if !ok || len(sheets) != 2 {
		t.Fatalf("sheets: %v", keys(sheets))
	}
	if _, ok := sheets["Sheet_with_bad_chars"]; !ok {
		t.Fatalf("sanitized sheet name missing: %v", keys(sheets))
	}
	flat := ""
	for _, r := range rows {
		flat += strings.Join(r, "|") + "\n"
	}
	for _, want := range []string{"单位|财务处", "群名称|用途|负责人", "预算编制工作群|2027年度预算编制的日常沟通|李伟", `Audit "Q3", team`, "Chen <Jing>", "负责人签名：__________"} {
		if !strings.Contains(flat, want) {
			t.Errorf("xlsx lacks %q in:\n%s", want, flat)
		}
	}
}

func keys(m map[string][][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestColumnNames(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := column(i); got != want {
			t.Errorf("column(%d) = %s, want %s", i, got, want)
		}
	}
}

// TestPDFRendersChinese extracts the PDF's text with pdftotext and renders its
// first page with pdftoppm (both from poppler-utils).
func TestPDFRendersChinese(t *testing.T) {
	fonts, err := FindFonts(os.Getenv)
	if err != nil {
		t.Skipf("skipping PDF: %v", err)
	}
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping PDF: %s not installed (Debian poppler-utils)", tool)
		}
	}
	tb := sample()
	for i := 0; i < 80; i++ { // enough rows to need a second page
		tb.Rows = append(tb.Rows, []string{"项目沟通群", "日常工作沟通与资料共享", "王芳", "内部", "运行中", "8"})
	}
	dir := t.TempDir()
	if d := os.Getenv("CHARTER_SCREENSHOTS"); d != "" {
		dir = d
	}
	path := filepath.Join(dir, "export-sample.pdf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := PDF(f, fonts, tb); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"工作群登记表", "预算编制工作群", "李伟", "本人承诺以上信息真实准确", "Registration roster", "Chen <Jing>"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
	if n := strings.Count(text, "\f"); n < 2 {
		t.Errorf("expected at least 2 pages, pdftotext shows %d page breaks", n)
	}
	if err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", path, filepath.Join(dir, "export-sample")).Run(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "export-sample-1.png"))
	if err != nil || st.Size() < 5000 {
		t.Fatalf("rendered page: %v (size %v)", err, st)
	}
}

func TestFindFontHonoursEnv(t *testing.T) {
	if _, err := FindFonts(func(string) string { return "/nonexistent/font.ttf" }); err == nil || !strings.Contains(err.Error(), FontEnv) {
		t.Fatalf("missing env font: %v", err)
	}
}

// Every CSV Charter writes from a Table (roster, registration forms,
// reports) guards its cells: a group named like a formula stays text.
func TestCSVGuardsFormulas(t *testing.T) {
	var b bytes.Buffer
	tbl := &Table{Columns: []string{"群名 Group", "人数 Members"}, Rows: [][]string{{`=HYPERLINK("http://evil.example","点我")`, "3"}, {"@SUM(A1)", "12"}}}
	if err := CSV(&b, tbl); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`"'=HYPERLINK(""http://evil.example"",""点我"")"`, "'@SUM(A1)", ",3\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV lacks %q:\n%s", want, out)
		}
	}
	if tbl.Rows[0][0][0] != '=' {
		t.Error("CSV changed the table it was given")
	}
}
