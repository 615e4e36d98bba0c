// Package chart draws small bar and line charts as inline SVG on the server,
// so the console's dashboards need no JavaScript. Colours come from CSS
// classes (chart-bar, chart-line, ...) of the console's stylesheet.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Point is one labelled value.
type Point struct {
	Label string
	Value float64
}

// Options size and describe a chart. Title is read by screen readers and
// shown as a tooltip; Format writes a value on the axis and in tooltips.
type Options struct {
	Width, Height int
	Title         string
	Format        func(float64) string
	// Counts says the values are counts: the gridlines then fall on whole
	// numbers, so no axis reads 0.25 of an alert.
	Counts bool
}

func (o *Options) defaults() {
	if o.Width <= 0 {
		o.Width = 640
	}
	if o.Height <= 0 {
		o.Height = 240
	}
	if o.Format == nil {
		o.Format = func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	}
}

// Margins leave room for the value axis on the left and the labels below.
const (
	left, right, top, bottom = 48, 12, 12, 36
)

// Bar draws one bar per point.
func Bar(points []Point, o Options) template.HTML {
	o.defaults()
	var b strings.Builder
	open(&b, o, "bar")
	max := o.max(points)
	axis(&b, o, max)
	pw, ph := plot(o)
	if n := len(points); n > 0 {
		slot := pw / float64(n)
		bw := slot * 0.7
		for i, p := range points {
			h := 0.0
			if max > 0 && p.Value > 0 {
				h = p.Value / max * ph
			}
			x := float64(left) + slot*float64(i) + (slot-bw)/2
			y := float64(top) + ph - h
			fmt.Fprintf(&b, `<rect class="chart-bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>`,
				f(x), f(y), f(bw), f(h), esc(p.Label), esc(o.Format(p.Value)))
			label(&b, o, x+bw/2, p.Label, i, n)
		}
	} else {
		empty(&b, o)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Line draws the points joined in order, with a dot on each.
func Line(points []Point, o Options) template.HTML {
	o.defaults()
	var b strings.Builder
	open(&b, o, "line")
	max := o.max(points)
	axis(&b, o, max)
	pw, ph := plot(o)
	n := len(points)
	if n == 0 {
		empty(&b, o)
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	xy := func(i int, v float64) (float64, float64) {
		x := float64(left) + pw/2
		if n > 1 {
			x = float64(left) + pw*float64(i)/float64(n-1)
		}
		y := float64(top) + ph
		if max > 0 && v > 0 {
			y -= v / max * ph
		}
		return x, y
	}
	var path strings.Builder
	for i, p := range points {
		x, y := xy(i, p.Value)
		if i == 0 {
			path.WriteString("M")
		} else {
			path.WriteString(" L")
		}
		path.WriteString(f(x) + " " + f(y))
	}
	fmt.Fprintf(&b, `<path class="chart-line" fill="none" d="%s"/>`, path.String())
	for i, p := range points {
		x, y := xy(i, p.Value)
		fmt.Fprintf(&b, `<circle class="chart-dot" cx="%s" cy="%s" r="3"><title>%s: %s</title></circle>`, f(x), f(y), esc(p.Label), esc(o.Format(p.Value)))
		label(&b, o, x, p.Label, i, n)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func open(b *strings.Builder, o Options, kind string) {
	fmt.Fprintf(b, `<svg class="chart chart-%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		kind, o.Width, o.Height, esc(o.Title))
	if o.Title != "" {
		fmt.Fprintf(b, `<title>%s</title>`, esc(o.Title))
	}
}

func plot(o Options) (w, h float64) {
	return float64(o.Width - left - right), float64(o.Height - top - bottom)
}

// axis draws four gridlines with their values, from 0 to max; when every
// value is 0 only the zero line, rather than five lines all labelled 0.
func axis(b *strings.Builder, o Options, max float64) {
	pw, ph := plot(o)
	lines := 4
	if max == 0 {
		lines = 0
	}
	for i := 0; i <= lines; i++ {
		v := max * float64(i) / 4
		y := float64(top) + ph - ph*float64(i)/4
		fmt.Fprintf(b, `<line class="chart-grid" x1="%d" x2="%s" y1="%s" y2="%s"/>`, left, f(float64(left)+pw), f(y), f(y))
		fmt.Fprintf(b, `<text class="chart-axis" x="%d" y="%s" text-anchor="end">%s</text>`, left-6, f(y+4), esc(o.Format(v)))
	}
}

// label writes a category label under x, skipping some when there are too
// many to read (every k-th is kept, and always the last).
func label(b *strings.Builder, o Options, x float64, s string, i, n int) {
	pw, _ := plot(o)
	k := int(math.Ceil(float64(n) * 56 / pw)) // about 56 px per label
	if k > 1 && i%k != 0 && i != n-1 {
		return
	}
	fmt.Fprintf(b, `<text class="chart-label" x="%s" y="%d" text-anchor="middle">%s</text>`, f(x), o.Height-bottom+18, esc(s))
}

func empty(b *strings.Builder, o Options) {
	fmt.Fprintf(b, `<text class="chart-empty" x="%d" y="%d" text-anchor="middle">–</text>`, o.Width/2, o.Height/2)
}

// niceMax rounds the largest value up to 1, 2, 2.5 or 5 times a power of ten,
// so the gridlines fall on round numbers.
func niceMax(points []Point) float64 {
	m := 0.0
	for _, p := range points {
		if p.Value > m && !math.IsInf(p.Value, 0) {
			m = p.Value
		}
	}
	if m <= 0 {
		return 0
	}
	e := math.Pow(10, math.Floor(math.Log10(m)))
	for _, s := range []float64{1, 2, 2.5, 5, 10} {
		if m <= s*e {
			return s * e
		}
	}
	return 10 * e
}

func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return template.HTMLEscapeString(s) }

// max is the top of the value axis: niceMax, or for counts the smallest
// multiple of four whole steps (themselves round once above ten) that holds
// the largest value.
func (o *Options) max(points []Point) float64 {
	m := niceMax(points)
	if !o.Counts || m == 0 {
		return m
	}
	top := 0.0
	for _, p := range points {
		top = math.Max(top, p.Value)
	}
	step := math.Ceil(top / 4)
	if step > 10 {
		e := math.Pow(10, math.Floor(math.Log10(step)))
		for _, s := range []float64{1, 2, 2.5, 5, 10} {
			if step <= s*e {
				step = s * e
				break
			}
		}
	}
	return 4 * math.Max(step, 1)
}
