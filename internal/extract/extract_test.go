package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

const secret = "机密 项目代号：青龙"

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func needPdftotext(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (Debian poppler-utils); .ci/run installs it")
	}
}

// squash collapses runs of spaces, which pdftotext -layout widens to keep
// the page geometry.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestExtract(t *testing.T) {
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(secret))
	tests := []struct {
		name, file, ctype string
		data              []byte
		pdf               bool
		text              string   // exact Result.Text, when set
		contains          []string // after squash
		parts             []string // labels, in order
		skipped           []string // substrings, one per entry
	}{
		{name: "docx", file: "report.docx", data: makeDocx(t, "页眉 CONFIDENTIAL", secret, "第二段 second"),
			text: secret + "\n第二段 second\n页眉 CONFIDENTIAL"},
		{name: "xlsx", file: "budget.xlsx", data: makeXlsx(t, []string{"预算", "Q2"}, map[string][][]string{
			"预算": {{"项目", "金额"}, {"青龙", "1200.5"}},
			"Q2": {{secret}},
		}), text: "项目\t金额\n青龙\t1200.5\n" + secret, parts: []string{"sheet 预算", "sheet Q2"}},
		{name: "pptx", file: "deck.pptx", data: makePptx(t, "封面", secret),
			text: "封面\n" + secret, parts: []string{"slide 1", "slide 2"}},
		{name: "utf-8 text", file: "a.txt", data: []byte(secret), text: secret},
		{name: "utf-8 BOM", file: "a.txt", data: append([]byte("\xEF\xBB\xBF"), secret...), text: secret},
		{name: "utf-16 BOM", file: "a.txt", data: utf16le, text: secret},
		{name: "GBK text", file: "说明.txt", data: gbk(t, secret+"\r\n第二行"), text: secret + "\r\n第二行"},
		{name: "GBK csv by content type", file: "x", ctype: "text/csv; charset=gbk", data: gbk(t, "代号,青龙"), text: "代号,青龙"},
		{name: "markdown", file: "n.md", data: []byte("# 标题\n\n" + secret), text: "# 标题\n\n" + secret},
		{name: "html", file: "p.html", data: []byte(`<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style><script>var x="<p>no</p>";</script></head>` +
			`<body><p>` + secret + `</p><!-- hidden --><div>A &amp; B</div><table><tr><td>1</td><td>2</td></tr></table></body></html>`),
			text: "T\n" + secret + "\nA & B\n1\t2"},
		{name: "pdf", file: "r.pdf", pdf: true, data: makePDF("Hello Charter page one", secret),
			contains: []string{"Hello Charter page one", secret}, parts: []string{"page 1", "page 2"}},
		{name: "pdf found by bytes under a wrong name", file: "r.txt", pdf: true, data: makePDF("magic wins"), contains: []string{"magic wins"}, parts: []string{"page 1"}},
		{name: "corrupt pdf", file: "bad.pdf", pdf: true, data: []byte("%PDF-1.4\ngarbage"), skipped: []string{"PDF not extracted: pdftotext"}},
		{name: "nested zip", file: "a.zip", data: makeZip(t,
			member{"readme.txt", []byte("top")},
			member{"b.zip", makeZip(t, member{"c.docx", makeDocx(t, "", secret)}, member{"old.doc", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")}, member{"p.png", []byte("\x89PNG\r\n\x1A\nrest")})}),
			text: "top\n" + secret, parts: []string{"a.zip/readme.txt", "a.zip/b.zip/c.docx"},
			skipped: []string{"a.zip/b.zip/old.doc: legacy .doc not extracted: no converter installed (Debian libreoffice)", "a.zip/b.zip/p.png: image: OCR/keyframes not in this lane yet"}},
		{name: "pdf in zip", file: "a.zip", pdf: true, data: makeZip(t, member{"r.pdf", makePDF("one", "two")}),
			contains: []string{"one", "two"}, parts: []string{"a.zip/r.pdf page 1", "a.zip/r.pdf page 2"}},
		{name: "GBK member name", file: "a.zip", data: makeZip(t, member{string(gbk(t, "机密.txt")), []byte("x")}), text: "x", parts: []string{"a.zip/机密.txt"}},
		{name: "wps", file: "合同.wps", data: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), skipped: []string{"WPS document not extracted: no converter installed"}},
		{name: "xls", file: "x.xls", data: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), skipped: []string{"legacy .xls not extracted: no converter installed"}},
		{name: "jpeg", file: "a.jpg", data: []byte("\xFF\xD8\xFF\xE0rest"), skipped: []string{"image: OCR/keyframes not in this lane yet"}},
		{name: "amr voice", file: "v.amr", data: []byte("#!AMR\nrest"), skipped: []string{"audio: OCR/keyframes"}},
		{name: "mp4", file: "v.mp4", data: []byte("\x00\x00\x00\x18ftypmp42rest"), skipped: []string{"video: OCR/keyframes"}},
		{name: "7z", file: "a.7z", data: []byte("7z\xBC\xAF\x27\x1Crest"), skipped: []string{"7z archive not supported"}},
		{name: "binary", file: "a.bin", data: []byte{0, 1, 2, 3, 0, 0, 9}, skipped: []string{"unrecognised binary format"}},
		{name: "empty", file: "e.txt", data: nil},
		{name: "corrupt docx", file: "x.docx", data: []byte("PK\x03\x04 not really"), skipped: []string{"zip not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.pdf {
				needPdftotext(t)
			}
			if strings.Contains(tt.name, "wps") || strings.Contains(tt.name, "xls") || strings.Contains(tt.name, "nested") {
				if _, err := exec.LookPath("soffice"); err == nil {
					t.Skip("LibreOffice installed: the no-converter path cannot be seen")
				}
			}
			res, err := Extract(context.Background(), tt.file, tt.ctype, tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.text != "" && res.Text != tt.text {
				t.Errorf("text\n got %q\nwant %q", res.Text, tt.text)
			}
			for _, c := range tt.contains {
				if !strings.Contains(squash(res.Text), c) {
					t.Errorf("text %q lacks %q", res.Text, c)
				}
			}
			var labels []string
			for _, p := range res.Parts {
				labels = append(labels, p.Label)
			}
			if strings.Join(labels, "|") != strings.Join(tt.parts, "|") {
				t.Errorf("parts %q, want %q", labels, tt.parts)
			}
			if len(res.Skipped) != len(tt.skipped) {
				t.Fatalf("skipped %q, want %d like %q", res.Skipped, len(tt.skipped), tt.skipped)
			}
			for i, s := range tt.skipped {
				if !strings.Contains(res.Skipped[i], s) {
					t.Errorf("skipped[%d] = %q, want it to say %q", i, res.Skipped[i], s)
				}
			}
		})
	}
}

// rawMember writes a deflated member whose header declares size, whatever
// the data really expands to: the liar of a zip bomb.
func rawMember(t testing.TB, zw *zip.Writer, name string, data []byte, declared uint64) {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
}

func TestLimits(t *testing.T) {
	zeros := make([]byte, 50<<20) // deflates to about 50 KB
	liar := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		rawMember(t, zw, "small.txt", zeros, 100) // declares 100 bytes
		rawMember(t, zw, "fine.txt", []byte("still read"), 10)
		zw.Close()
		return buf.Bytes()
	}()
	ratio := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		rawMember(t, zw, "zeros.bin", zeros, uint64(len(zeros))) // honest, 1000:1
		zw.Close()
		return buf.Bytes()
	}()
	deep := makeZip(t, member{"leaf.txt", []byte(secret)})
	for i := 0; i < 4; i++ {
		deep = makeZip(t, member{"z.zip", deep})
	}
	many := make([]member, 20)
	for i := range many {
		many[i] = member{name: strings.Repeat("m", i+1) + ".txt", data: []byte("x")}
	}
	tests := []struct {
		name    string
		data    []byte
		l       Limits
		text    string
		skipped []string
	}{
		{name: "member expanding past its declared size", data: liar, text: "still read",
			skipped: []string{"a.zip/small.txt: not extracted: refused as a possible zip bomb: expands past its declared size"}},
		{name: "member over the ratio", data: ratio,
			skipped: []string{"a.zip/zeros.bin: not extracted: refused as a possible zip bomb: declares 52428800 bytes from"}},
		{name: "member over the total", data: ratio, l: Limits{MaxTotal: 1 << 20, MaxRatio: 10000},
			skipped: []string{"over the 1048576 left of the 1048576-byte total"}},
		{name: "member over MaxBytes", data: ratio, l: Limits{MaxBytes: 1 << 20, MaxRatio: 10000},
			skipped: []string{"a.zip/zeros.bin: not extracted: declares 52428800 bytes, over the 1048576-byte limit"}},
		{name: "nesting deeper than MaxDepth", data: deep, l: Limits{MaxDepth: 3},
			skipped: []string{"a.zip/z.zip/z.zip/z.zip: archive not opened: nested deeper than 3 archives"}},
		{name: "nesting within MaxDepth", data: deep, l: Limits{MaxDepth: 5}, text: secret},
		{name: "members over MaxMembers", data: makeZip(t, many...), l: Limits{MaxMembers: 5}, text: "x\nx\nx\nx\nx",
			skipped: []string{"a.zip: 15 more members not opened: over the 5-member limit"}},
		{name: "text over MaxText", data: makeZip(t, member{"a.txt", []byte("一二三四五")}, member{"b.txt", []byte("never")}), l: Limits{MaxText: 7},
			text: "一二", skipped: []string{"text cut at the 7-byte limit"}},
		{name: "input over MaxBytes", data: []byte("0123456789"), l: Limits{MaxBytes: 5},
			skipped: []string{"not extracted: 10 bytes, over the 5-byte limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Extract(context.Background(), "a.zip", "", tt.data, tt.l)
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != tt.text {
				t.Errorf("text %q, want %q", res.Text, tt.text)
			}
			if len(res.Skipped) != len(tt.skipped) {
				t.Fatalf("skipped %q, want %q", res.Skipped, tt.skipped)
			}
			for i, s := range tt.skipped {
				if !strings.Contains(res.Skipped[i], s) {
					t.Errorf("skipped[%d] = %q, want it to say %q", i, res.Skipped[i], s)
				}
			}
		})
	}
}

func TestExtractTimeout(t *testing.T) {
	needPdftotext(t)
	pages := make([]string, 3000)
	for i := range pages {
		pages[i] = "page text"
	}
	_, err := Extract(context.Background(), "big.pdf", "", makePDF(pages...), Limits{Timeout: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), `extract "big.pdf": timed out after 1ms`) {
		t.Fatalf("err = %v, want a timeout naming the file", err)
	}
}

func TestPDFWithoutPdftotext(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	res, err := Extract(context.Background(), "r.pdf", "", makePDF("x"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0] != "PDF not extracted: pdftotext not installed (Debian poppler-utils)" {
		t.Fatalf("skipped %q", res.Skipped)
	}
}
