package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// ooxml is an opened OOXML package: its parts by name.
type ooxml struct {
	x     *extractor
	files map[string]*zip.File
	names []string
}

func (x *extractor) openOOXML(prefix, what string, data []byte) *ooxml {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		x.skip(prefix, "%s not read: %v", what, err)
		return nil
	}
	o := &ooxml{x: x, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		o.files[f.Name] = f
		o.names = append(o.names, f.Name)
	}
	return o
}

// stream decodes one XML part token by token through the entry limits; fn
// sees each token. A refused or broken part is noted in Skipped and the rest
// of the document still extracted.
func (o *ooxml) stream(prefix, part string, fn func(xml.Token)) bool {
	f := o.files[part]
	if f == nil {
		return false
	}
	r, err := o.x.openEntry(f)
	if err == nil {
		err = walkXML(r, fn)
	}
	if err != nil {
		if o.x.ctx.Err() == nil {
			o.x.skip(prefix, "%s not extracted: %v", part, err)
		}
		return false
	}
	return true
}

// walkXML feeds every token to fn. encoding/xml expands only the five
// predefined entities, so an entity bomb cannot grow here.
func walkXML(r io.Reader, fn func(xml.Token)) error {
	d := xml.NewDecoder(r)
	d.Strict = false
	for {
		t, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fn(t)
	}
}

// runText collects the text of the elements named textTag ("t" for
// WordprocessingML and DrawingML), ending a line at each paragraph. Names are
// matched without their prefix so Strict OOXML, which uses other namespaces,
// reads the same.
func runText(buf *textBuf, textTags map[string]bool, para string) func(xml.Token) {
	in := 0
	return func(t xml.Token) {
		switch t := t.(type) {
		case xml.StartElement:
			switch {
			case textTags[t.Name.Local]:
				in++
			case t.Name.Local == "tab":
				buf.WriteString("\t")
			case t.Name.Local == "br" || t.Name.Local == "cr":
				buf.WriteString("\n")
			}
		case xml.EndElement:
			switch {
			case textTags[t.Name.Local] && in > 0:
				in--
			case t.Name.Local == para:
				buf.WriteString("\n")
			}
		case xml.CharData:
			if in > 0 {
				buf.WriteString(string(t))
			}
		}
	}
}

// docx reads the body and then headers, footers, footnotes, endnotes and
// comments. Deleted tracked changes (w:delText) are kept: for leak detection
// text someone removed still was in the file that was shared.
func (x *extractor) docx(prefix string, data []byte) error {
	o := x.openOOXML(prefix, "docx", data)
	if o == nil {
		return nil
	}
	buf := x.newBuf()
	tags := map[string]bool{"t": true, "delText": true}
	parts := []string{"word/document.xml"}
	var extra []string
	for _, n := range o.names {
		switch {
		case strings.HasPrefix(n, "word/header"), strings.HasPrefix(n, "word/footer"),
			n == "word/footnotes.xml", n == "word/endnotes.xml", n == "word/comments.xml":
			if strings.HasSuffix(n, ".xml") {
				extra = append(extra, n)
			}
		}
	}
	sort.Strings(extra)
	for _, p := range append(parts, extra...) {
		o.stream(prefix, p, runText(buf, tags, "p"))
		if buf.full {
			break
		}
	}
	return x.add(prefix, "", strings.TrimRight(buf.b.String(), "\n"))
}

// pptx reads each slide (with its speaker notes) as a part, in the order of
// the slide file numbers, which PowerPoint keeps in presentation order for
// files it writes; a reordered deck may list them otherwise.
func (x *extractor) pptx(prefix string, data []byte) error {
	o := x.openOOXML(prefix, "pptx", data)
	if o == nil {
		return nil
	}
	type slide struct {
		n    int
		name string
	}
	var slides []slide
	for _, n := range o.names {
		if d, f := path.Split(n); d == "ppt/slides/" && strings.HasPrefix(f, "slide") && strings.HasSuffix(f, ".xml") {
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f, "slide"), ".xml")); err == nil {
				slides = append(slides, slide{i, n})
			}
		}
	}
	sort.Slice(slides, func(i, j int) bool { return slides[i].n < slides[j].n })
	tags := map[string]bool{"t": true}
	for _, s := range slides {
		buf := x.newBuf()
		o.stream(prefix, s.name, runText(buf, tags, "p"))
		notes := "ppt/notesSlides/notesSlide" + strconv.Itoa(s.n) + ".xml"
		if _, ok := o.files[notes]; ok && !buf.full {
			buf.WriteString("\n")
			o.stream(prefix, notes, runText(buf, tags, "p"))
		}
		if err := x.add(prefix, "slide "+strconv.Itoa(s.n), strings.TrimSpace(buf.b.String())); err != nil {
			return err
		}
	}
	return nil
}

// xlsx reads the shared strings, then each sheet in workbook order under its
// name: cells separated by tabs, rows by newlines.
func (x *extractor) xlsx(prefix string, data []byte) error {
	o := x.openOOXML(prefix, "xlsx", data)
	if o == nil {
		return nil
	}
	shared := o.sharedStrings(prefix)
	targets := o.relTargets(prefix, "xl/_rels/workbook.xml.rels", "xl")
	type sheet struct{ name, part string }
	var sheets []sheet
	o.stream(prefix, "xl/workbook.xml", func(t xml.Token) {
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "sheet" {
			var name, rid string
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					rid = a.Value
				}
			}
			if p := targets[rid]; p != "" {
				sheets = append(sheets, sheet{name, p})
			}
		}
	})
	for _, s := range sheets {
		buf := x.newBuf()
		o.stream(prefix, s.part, sheetCells(buf, shared))
		if err := x.add(prefix, "sheet "+s.name, strings.TrimRight(buf.b.String(), "\n")); err != nil {
			return err
		}
	}
	return nil
}

// sharedStrings returns the workbook's string table; rich-text runs join and
// phonetic guides (rPh) are left out.
func (o *ooxml) sharedStrings(prefix string) []string {
	var out []string
	var cur strings.Builder
	var inT, inPh bool
	var size int64
	o.stream(prefix, "xl/sharedStrings.xml", func(t xml.Token) {
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inPh = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				out = append(out, cur.String())
			case "t":
				inT = false
			case "rPh":
				inPh = false
			}
		case xml.CharData:
			// The table is bounded by MaxTotal as it is read; keeping it
			// under MaxText too stops a sheet of pointers into a huge table.
			if inT && !inPh && size < o.x.l.MaxText {
				cur.Write(t)
				size += int64(len(t))
			}
		}
	})
	return out
}

// relTargets maps relationship ids to part names, resolving targets against dir.
func (o *ooxml) relTargets(prefix, rels, dir string) map[string]string {
	m := map[string]string{}
	o.stream(prefix, rels, func(t xml.Token) {
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			var id, target string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "Id":
					id = a.Value
				case "Target":
					target = a.Value
				}
			}
			if strings.HasPrefix(target, "/") {
				m[id] = strings.TrimPrefix(path.Clean(target), "/")
			} else {
				m[id] = path.Join(dir, target)
			}
		}
	})
	return m
}

// sheetCells writes each row's cell values: shared strings (t="s") looked up,
// inline strings and formula results as written, numbers as stored.
func sheetCells(buf *textBuf, shared []string) func(xml.Token) {
	var typ string
	var val strings.Builder
	inV, first := false, true
	return func(t xml.Token) {
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				typ = ""
				for _, a := range t.Attr {
					if a.Name.Local == "t" {
						typ = a.Value
					}
				}
				val.Reset()
			case "v", "t":
				inV = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inV = false
			case "c":
				v := val.String()
				if typ == "s" {
					i, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil || i < 0 || i >= len(shared) {
						return
					}
					v = shared[i]
				}
				if v == "" {
					return
				}
				if !first {
					buf.WriteString("\t")
				}
				buf.WriteString(v)
				first = false
			case "row":
				if !first {
					buf.WriteString("\n")
				}
				first = true
			}
		case xml.CharData:
			if inV {
				val.Write(t)
			}
		}
	}
}
