package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/signintech/gopdf"
)

// FontEnv and LatinFontEnv name the variables that point at TrueType fonts
// for PDFs: one with Chinese glyphs, one for Latin text.
const (
	FontEnv      = "CHARTER_PDF_FONT"
	LatinFontEnv = "CHARTER_PDF_LATIN_FONT"
)

// cjkFonts are TrueType (.ttf) fonts with Chinese glyphs that Debian ships.
// The pure-Go PDF writer cannot read .ttc collections, which rules out
// fonts-noto-cjk and fonts-wqy-*. DroidSansFallbackFull covers all of CJK but
// has no Latin letters; gbsn00lp has both but only the 6,763 GB2312 characters.
var cjkFonts = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // fonts-droid-fallback
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",    // fonts-arphic-gbsn00lp
}

// latinFonts draw everything below U+2E80 (Latin, digits, punctuation).
var latinFonts = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", // fonts-dejavu-core
}

// ErrNoFont is returned when no font with Chinese glyphs can be found.
var ErrNoFont = errors.New("no TrueType font with Chinese glyphs found: install Debian's fonts-droid-fallback, or set " + FontEnv + " to a .ttf file")

// Fonts are the font files a PDF is drawn with. Latin may be empty, when the
// CJK font has Latin glyphs of its own.
type Fonts struct{ CJK, Latin string }

// FindFonts returns $CHARTER_PDF_FONT (else the first known Debian CJK font
// that exists) and $CHARTER_PDF_LATIN_FONT (else DejaVu Sans when present).
func FindFonts(getenv func(string) string) (Fonts, error) {
	pick := func(env string, known []string) (string, error) {
		if p := getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%s=%s: %w", env, p, err)
			}
			return p, nil
		}
		for _, p := range known {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", nil
	}
	var f Fonts
	var err error
	if f.CJK, err = pick(FontEnv, cjkFonts); err != nil {
		return f, err
	}
	if f.CJK == "" {
		return f, ErrNoFont
	}
	f.Latin, err = pick(LatinFontEnv, latinFonts)
	return f, err
}

// A4 portrait, in points.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 40.0
	bodySize     = 9.0
	cellPad      = 3.0
)

// PDF draws each table on its own pages with the fonts embedded (only the
// glyphs used), so Chinese renders on any reader.
func PDF(w io.Writer, fonts Fonts, tables ...*Table) error {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := pdf.AddTTFFont("cjk", fonts.CJK); err != nil {
		return fmt.Errorf("pdf: load font %s: %w", fonts.CJK, err)
	}
	latin := "cjk"
	if fonts.Latin != "" {
		if err := pdf.AddTTFFont("latin", fonts.Latin); err != nil {
			return fmt.Errorf("pdf: load font %s: %w", fonts.Latin, err)
		}
		latin = "latin"
	}
	p := &pdfWriter{pdf: pdf, latin: latin, widths: map[fontRune]float64{}}
	for _, t := range tables {
		if err := p.table(t); err != nil {
			return err
		}
	}
	return pdf.Write(w)
}

type fontRune struct {
	font string
	r    rune
}

type pdfWriter struct {
	pdf    *gopdf.GoPdf
	latin  string // font family for runes below U+2E80
	y      float64
	widths map[fontRune]float64 // glyph advance at size 1
}

func (p *pdfWriter) fontOf(r rune) string {
	if r < 0x2E80 {
		return p.latin
	}
	return "cjk"
}

// advance is the width of r at size, measured once per font and rune.
func (p *pdfWriter) advance(r rune, size float64) (float64, error) {
	k := fontRune{p.fontOf(r), r}
	w, ok := p.widths[k]
	if !ok {
		if err := p.pdf.SetFont(k.font, "", 100); err != nil {
			return 0, err
		}
		m, err := p.pdf.MeasureTextWidth(string(r))
		if err != nil {
			return 0, err
		}
		w = m / 100
		p.widths[k] = w
	}
	return w * size, nil
}

// wrap breaks s into lines no wider than width, at spaces where a Latin word
// allows it and anywhere between Chinese characters; newlines are kept.
func (p *pdfWriter) wrap(s string, size, width float64) ([]string, error) {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := []rune{}
		lineW, lastSpace := 0.0, -1
		for _, r := range para {
			a, err := p.advance(r, size)
			if err != nil {
				return nil, err
			}
			if lineW+a > width && len(line) > 0 {
				if lastSpace > 0 && r != ' ' {
					rest := line[lastSpace+1:]
					out = append(out, string(line[:lastSpace]))
					line = append([]rune{}, rest...)
				} else {
					out = append(out, string(line))
					line = line[:0]
				}
				lineW, lastSpace = 0, -1
				for i, x := range line {
					w, _ := p.advance(x, size)
					lineW += w
					if x == ' ' {
						lastSpace = i
					}
				}
				if r == ' ' {
					continue
				}
			}
			if r == ' ' {
				lastSpace = len(line)
			}
			line = append(line, r)
			lineW += a
		}
		out = append(out, string(line))
	}
	return out, nil
}

// draw writes one line at (x, y), switching fonts between runs of script.
func (p *pdfWriter) draw(x, y float64, s string, size float64) error {
	p.pdf.SetTextColor(0, 0, 0)
	runes := []rune(s)
	for i := 0; i < len(runes); {
		font := p.fontOf(runes[i])
		j := i
		for j < len(runes) && p.fontOf(runes[j]) == font {
			j++
		}
		run := string(runes[i:j])
		if err := p.pdf.SetFont(font, "", size); err != nil {
			return err
		}
		p.pdf.SetXY(x, y)
		if err := p.pdf.Cell(nil, run); err != nil {
			return err
		}
		for _, r := range runes[i:j] {
			a, err := p.advance(r, size)
			if err != nil {
				return err
			}
			x += a
		}
		i = j
	}
	return nil
}

func (p *pdfWriter) newPage() {
	p.pdf.AddPage()
	p.y = margin
}

func (p *pdfWriter) table(t *Table) error {
	p.newPage()
	if err := p.text(t.Title, 15); err != nil {
		return err
	}
	p.y += 6
	for _, m := range t.Meta {
		if err := p.text(m.Label+"："+m.Value, 10); err != nil {
			return err
		}
	}
	p.y += 8
	widths, err := p.columnWidths(t)
	if err != nil {
		return err
	}
	if err := p.row(t.Columns, widths, true); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := p.row(r, widths, false); err != nil {
			return err
		}
	}
	p.y += 10
	for _, n := range t.Notes {
		if err := p.text(n, 10); err != nil {
			return err
		}
	}
	return nil
}

// text writes wrapped text across the page, breaking pages as needed.
func (p *pdfWriter) text(s string, size float64) error {
	if s == "" {
		return nil
	}
	lines, err := p.wrap(s, size, pageW-2*margin)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if p.y+size*1.4 > pageH-margin {
			p.newPage()
		}
		if err := p.draw(margin, p.y, l, size); err != nil {
			return err
		}
		p.y += size * 1.4
	}
	return nil
}

// columnWidths shares the page width by each column's widest content (up to
// a cap), giving every column a minimum so none collapses.
func (p *pdfWriter) columnWidths(t *Table) ([]float64, error) {
	n := len(t.Columns)
	want := make([]float64, n)
	measure := func(i int, s string) error {
		if i >= n {
			return nil
		}
		w := 0.0
		for _, r := range s {
			a, err := p.advance(r, bodySize)
			if err != nil {
				return err
			}
			w += a
		}
		want[i] = max(want[i], w+2*cellPad)
		return nil
	}
	for _, r := range append([][]string{t.Columns}, t.Rows...) {
		for i, c := range r {
			if err := measure(i, c); err != nil {
				return nil, err
			}
		}
	}
	const minW = 40.0
	total := 0.0
	for i := range want {
		want[i] = max(want[i], minW)
		total += want[i]
	}
	avail := pageW - 2*margin
	if total > avail {
		// Shrink only the columns wider than an equal share, in proportion.
		share := avail / float64(n)
		wide, narrow := 0.0, 0.0
		for _, w := range want {
			if w > share {
				wide += w
			} else {
				narrow += w
			}
		}
		for i, w := range want {
			if w > share {
				want[i] = w / wide * (avail - narrow)
			}
		}
	}
	return want, nil
}

// row draws one bordered row with wrapped cells; a row that does not fit
// starts a new page.
func (p *pdfWriter) row(cells []string, widths []float64, header bool) error {
	const lineH = bodySize * 1.35
	wrapped := make([][]string, len(widths))
	lines := 1
	for i := range widths {
		s := ""
		if i < len(cells) {
			s = cells[i]
		}
		ls, err := p.wrap(s, bodySize, widths[i]-2*cellPad)
		if err != nil {
			return err
		}
		wrapped[i] = ls
		lines = max(lines, len(ls))
	}
	h := float64(lines)*lineH + 2*cellPad
	if p.y+h > pageH-margin {
		p.newPage()
	}
	x := margin
	for i, w := range widths {
		style := "D"
		if header {
			p.pdf.SetFillColor(225, 230, 238)
			style = "FD"
		}
		p.pdf.SetStrokeColor(120, 120, 120)
		if err := p.pdf.Rectangle(x, p.y, x+w, p.y+h, style, 0, 0); err != nil {
			return err
		}
		for j, l := range wrapped[i] {
			if err := p.draw(x+cellPad, p.y+cellPad+float64(j)*lineH, l, bodySize); err != nil {
				return err
			}
		}
		x += w
	}
	p.y += h
	return nil
}
