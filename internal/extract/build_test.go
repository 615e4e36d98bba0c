package extract

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The builders below write the smallest files the real readers accept, so
// the tests need no fixtures on disk.

type member struct {
	name string
	data []byte
}

func makeZip(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const ctypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// makeDocx writes one paragraph per line, each split into two runs so the
// reader must join runs, plus a header.
func makeDocx(t testing.TB, header string, lines ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, l := range lines {
		r := []rune(l)
		h := len(r) / 2
		fmt.Fprintf(&body, `<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r><w:r><w:t>%s</w:t></w:r></w:p>`,
			xmlEscape(string(r[:h])), xmlEscape(string(r[h:])))
	}
	const ns = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	ms := []member{
		{"[Content_Types].xml", []byte(ctypes)},
		{"word/document.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><w:document ` + ns + `><w:body>` + body.String() + `</w:body></w:document>`)},
	}
	if header != "" {
		ms = append(ms, member{"word/header1.xml", []byte(`<w:hdr ` + ns + `><w:p><w:r><w:t>` + xmlEscape(header) + `</w:t></w:r></w:p></w:hdr>`)})
	}
	return makeZip(t, ms...)
}

// makeXlsx writes sheets (name → rows of cells); text cells go to the shared
// string table, numbers inline.
func makeXlsx(t testing.TB, names []string, sheets map[string][][]string) []byte {
	t.Helper()
	var shared []string
	index := map[string]int{}
	ms := []member{{"[Content_Types].xml", []byte(ctypes)}}
	var wb, rels strings.Builder
	wb.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	rels.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, name := range names {
		// Reverse the file order against the workbook order, so the test sees
		// that sheets come in workbook order under their own names.
		file := fmt.Sprintf("worksheets/sheet%d.xml", len(names)-i)
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, xmlEscape(name), i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="%s"/>`, i+1, file)
		var sd strings.Builder
		sd.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		for r, row := range sheets[name] {
			fmt.Fprintf(&sd, `<row r="%d">`, r+1)
			for c, cell := range row {
				ref := fmt.Sprintf("%c%d", 'A'+c, r+1)
				if _, err := fmt.Sscanf(cell, "%g", new(float64)); err == nil {
					fmt.Fprintf(&sd, `<c r="%s"><v>%s</v></c>`, ref, cell)
					continue
				}
				j, ok := index[cell]
				if !ok {
					j = len(shared)
					index[cell] = j
					shared = append(shared, cell)
				}
				fmt.Fprintf(&sd, `<c r="%s" t="s"><v>%d</v></c>`, ref, j)
			}
			sd.WriteString(`</row>`)
		}
		sd.WriteString(`</sheetData></worksheet>`)
		ms = append(ms, member{"xl/" + file, []byte(sd.String())})
	}
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`</Relationships>`)
	var sst strings.Builder
	fmt.Fprintf(&sst, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d">`, len(shared))
	for _, s := range shared {
		fmt.Fprintf(&sst, `<si><t>%s</t></si>`, xmlEscape(s))
	}
	sst.WriteString(`</sst>`)
	ms = append(ms,
		member{"xl/workbook.xml", []byte(wb.String())},
		member{"xl/_rels/workbook.xml.rels", []byte(rels.String())},
		member{"xl/sharedStrings.xml", []byte(sst.String())})
	return makeZip(t, ms...)
}

func makePptx(t testing.TB, slides ...string) []byte {
	t.Helper()
	ms := []member{
		{"[Content_Types].xml", []byte(ctypes)},
		{"ppt/presentation.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)},
	}
	for i, s := range slides {
		ms = append(ms, member{fmt.Sprintf("ppt/slides/slide%d.xml", i+1), []byte(
			`<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` +
				xmlEscape(s) + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`)})
	}
	return makeZip(t, ms...)
}

// makePDF writes one page per string. ASCII pages use Helvetica; any other
// page uses a Type0 font with Identity-H codes and a ToUnicode map, which is
// all a text extractor needs to give back Chinese exactly (no glyphs are
// embedded: the file reads as text, not as a picture).
func makePDF(pages ...string) []byte {
	var objs []string // objs[i] is object i+1
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	catalog := add("")
	pagesObj := add("")
	helv := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

	// One CID per distinct rune across all pages.
	cid := map[rune]int{}
	var order []rune
	for _, p := range pages {
		for _, r := range p {
			if r > 127 {
				if _, ok := cid[r]; !ok {
					order = append(order, r)
					cid[r] = len(order)
				}
			}
		}
	}
	for _, p := range pages {
		for _, r := range p {
			if r <= 127 {
				if _, ok := cid[r]; !ok && len(order) > 0 {
					order = append(order, r)
					cid[r] = len(order)
				}
			}
		}
	}
	cjk := 0
	if len(order) > 0 {
		var cmap strings.Builder
		cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(order))
		for _, r := range order {
			fmt.Fprintf(&cmap, "<%04X> <%04X>\n", cid[r], r)
		}
		cmap.WriteString("endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
		toUni := add(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", cmap.Len(), cmap.String()))
		desc := add("<< /Type /FontDescriptor /FontName /CharterTest /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>")
		cidFont := add(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /CharterTest /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /CIDToGIDMap /Identity >>", desc))
		cjk = add(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /CharterTest /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", cidFont, toUni))
	}
	var kids []string
	for _, p := range pages {
		ascii := true
		for _, r := range p {
			if r > 127 {
				ascii = false
			}
		}
		var content string
		if ascii {
			esc := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(p)
			content = fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", esc)
		} else {
			var hex strings.Builder
			for _, r := range p {
				fmt.Fprintf(&hex, "%04X", cid[r])
			}
			content = fmt.Sprintf("BT /F2 12 Tf 72 720 Td <%s> Tj ET", hex.String())
		}
		c := add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content))
		fonts := fmt.Sprintf("/F1 %d 0 R", helv)
		if cjk != 0 {
			fonts += fmt.Sprintf(" /F2 %d 0 R", cjk)
		}
		pg := add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << %s >> >> /Contents %d 0 R >>", pagesObj, fonts, c))
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	objs[pagesObj-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))

	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, catalog, xref)
	return b.Bytes()
}
