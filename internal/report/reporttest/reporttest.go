// Package reporttest reads exported documents back for tests: CSV with its
// byte-order mark, XLSX sheets, and PDF text through poppler's pdftotext.
package reporttest

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

// ReadCSV checks the byte-order mark and reads the CSV back.
func ReadCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(data, []byte("\ufeff"))
	if !ok {
		t.Fatal("CSV lacks the UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// ReadXLSX reads every sheet's inline strings back, by sheet name.
func ReadXLSX(t testing.TB, data []byte) map[string][][]string {
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

// PDFText extracts a PDF's text with pdftotext and renders its first page
// to PNG with pdftoppm, into $CHARTER_SCREENSHOTS when set.
func PDFText(t testing.TB, data []byte, name string) string {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping PDF checks: %s not installed (Debian poppler-utils)", tool)
		}
	}
	dir := t.TempDir()
	if d := os.Getenv("CHARTER_SCREENSHOTS"); d != "" {
		dir = d
	}
	name = strings.NewReplacer("/", "-", " ", "-").Replace(name)
	path := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", path, filepath.Join(dir, name)).Run(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, name+"-1.png")); err != nil || st.Size() < 5000 {
		t.Fatalf("rendered page: %v", err)
	}
	return string(out)
}
