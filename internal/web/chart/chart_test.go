package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// elements parses svg as XML and counts its elements by name, failing on
// anything that is not well-formed.
func elements(t *testing.T, svg string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if s, ok := tok.(xml.StartElement); ok {
			n[s.Name.Local]++
		}
	}
}

func TestBar(t *testing.T) {
	pts := []Point{{"机密", 3}, {"pii", 7}, {"<script>", 0}}
	svg := string(Bar(pts, Options{Title: "Alerts & cases", Format: func(v float64) string { return strings.Repeat("x", int(v)%3) }}))
	n := elements(t, svg)
	if n["rect"] != 3 || n["svg"] != 1 || n["line"] != 5 {
		t.Errorf("elements: %v", n)
	}
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "Alerts &amp; cases") {
		t.Errorf("labels not escaped:\n%s", svg)
	}
	if !strings.Contains(svg, `viewBox="0 0 640 240"`) {
		t.Error("default size")
	}
	// The tallest bar (7, axis up to 10) fills 70 % of the 192 px plot height.
	if !strings.Contains(svg, `height="134.4"`) {
		t.Errorf("bar height:\n%s", svg)
	}
}

func TestLine(t *testing.T) {
	pts := make([]Point, 30)
	for i := range pts {
		pts[i] = Point{Label: "d" + string(rune('a'+i%26)), Value: float64(i * i)}
	}
	svg := string(Line(pts, Options{Width: 400, Height: 200}))
	n := elements(t, svg)
	if n["circle"] != 30 || n["path"] != 1 {
		t.Errorf("elements: %v", n)
	}
	if n["text"] >= 30+5 {
		t.Errorf("labels were not thinned: %d texts", n["text"])
	}
	one := string(Line([]Point{{"only", 5}}, Options{}))
	elements(t, one)
}

func TestEmptyAndZero(t *testing.T) {
	for _, svg := range []string{string(Bar(nil, Options{})), string(Line(nil, Options{})), string(Bar([]Point{{"a", 0}, {"b", 0}}, Options{}))} {
		n := elements(t, svg)
		if n["svg"] != 1 || strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("bad empty chart:\n%s", svg)
		}
	}
}

func TestNiceMax(t *testing.T) {
	for v, want := range map[float64]float64{7: 10, 0.3: 0.5, 120: 200, 23: 25, 1000: 1000, 1: 1, 4100: 5000} {
		if got := niceMax([]Point{{"", v}}); got != want {
			t.Errorf("niceMax(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestCountsAxis(t *testing.T) {
	for top, want := range map[float64]float64{1: 4, 2: 4, 5: 8, 23: 24, 41: 80, 130: 200} {
		o := Options{Counts: true}
		if got := o.max([]Point{{"", top}}); got != want {
			t.Errorf("counts max(%v) = %v, want %v", top, got, want)
		}
	}
	svg := string(Bar([]Point{{"a", 1}, {"b", 3}}, Options{Counts: true}))
	if strings.Contains(svg, ".25<") || strings.Contains(svg, ".5<") || strings.Contains(svg, ".75<") {
		t.Errorf("a counts axis with fractions:\n%s", svg)
	}
}
