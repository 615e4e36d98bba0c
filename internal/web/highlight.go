package web

import (
	"html/template"
	"sort"
	"strings"
	"unicode/utf8"
)

// highlight shows text with every occurrence of the query's words marked.
// The matches are found in the raw text and every piece is escaped before
// the <mark> tags go around it, so a word can never match inside an entity
// and nothing in the text can become markup. Case is ignored where folding
// keeps the text's length (ASCII, CJK); elsewhere matching is exact.
func highlight(text, query string) template.HTML {
	type span struct{ from, to int }
	hay := text
	if low := strings.ToLower(text); len(low) == len(text) {
		hay = low
	}
	var spans []span
	for _, w := range strings.Fields(query) {
		w = strings.Trim(w, `"*`)
		if lw := strings.ToLower(w); hay != text && len(lw) == len(w) {
			w = lw
		}
		if w == "" || !utf8.ValidString(w) {
			continue
		}
		for i := 0; i < len(hay); {
			j := strings.Index(hay[i:], w)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(w)})
			i += j + len(w)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var merged []span // overlapping matches become one mark
	for _, s := range spans {
		if n := len(merged); n > 0 && s.from < merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	var b strings.Builder
	at := 0
	for _, s := range merged {
		b.WriteString(template.HTMLEscapeString(text[at:s.from]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[s.from:s.to]))
		b.WriteString("</mark>")
		at = s.to
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}
