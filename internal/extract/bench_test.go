package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkExtract reports MB/s of input: a docx of 20,000 mixed Chinese and
// English paragraphs (about 10 MB of XML), and a 200-page PDF through pdftotext.
func BenchmarkExtract(b *testing.B) {
	line := strings.Repeat("机密 项目代号：青龙 quarterly figures for review. ", 4)
	lines := make([]string, 20000)
	for i := range lines {
		lines[i] = fmt.Sprintf("%d %s", i, line)
	}
	docx := makeDocx(b, "页眉", lines...)
	pages := make([]string, 200)
	for i := range pages {
		pages[i] = fmt.Sprintf("Page %d quarterly figures for review, project Qinglong", i)
	}
	pdf := makePDF(pages...)
	for _, bc := range []struct {
		name, file string
		data       []byte
		pdf        bool
	}{{"docx", "b.docx", docx, false}, {"pdf", "b.pdf", pdf, true}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.pdf {
				needPdftotext(b)
			}
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				res, err := Extract(context.Background(), bc.file, "", bc.data, Limits{})
				if err != nil || len(res.Skipped) != 0 {
					b.Fatal(err, res.Skipped)
				}
			}
			// Input bytes understate OOXML work (XML deflates 50-100x): also
			// report the rate over the decompressed parts, and PDF pages/s.
			if zr, err := zip.NewReader(bytes.NewReader(bc.data), int64(len(bc.data))); err == nil {
				var n uint64
				for _, f := range zr.File {
					n += f.UncompressedSize64
				}
				b.ReportMetric(float64(n)/1e6*float64(b.N)/b.Elapsed().Seconds(), "xmlMB/s")
			}
			if bc.pdf {
				b.ReportMetric(float64(len(pages)*b.N)/b.Elapsed().Seconds(), "pages/s")
			}
		})
	}
}
