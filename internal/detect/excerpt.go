package detect

import (
	"strings"
	"unicode/utf8"
)

// excerptContext is how many bytes of context an excerpt keeps on each side
// (about ten Chinese characters or thirty Latin ones).
const excerptContext = 30

// emit turns a pending hit into a finding, or counts it in the finding the
// same rule already produced for this message.
func (st *scanState) emit(s string, p *pending) {
	var id, cat, sev string
	var sc *Scope
	if p.rule >= len(ruleDefs) {
		l := &st.e.lex[p.rule-len(ruleDefs)]
		id, cat, sev, sc = l.id, CatLexicon, l.severity, &l.scope
	} else {
		pol := &st.e.pol[p.rule]
		if !pol.enabled {
			return
		}
		id, cat, sev, sc = ruleDefs[p.rule].ID, ruleDefs[p.rule].Category, pol.severity, &pol.scope
	}
	if !sc.inScope(st.m.Group) {
		return
	}
	for i := range st.out {
		f := &st.out[i]
		if f.Rule != id {
			continue
		}
		f.Detail["matches"] = f.Detail["matches"].(int) + 1
		if p.value != "" {
			vs, _ := f.Detail["values"].([]string)
			if len(vs) < 20 && !contains(vs, p.value) {
				f.Detail["values"] = append(vs, p.value)
			}
		}
		return
	}
	ex := excerpt(s, p.start, p.end, st.secrets)
	src := "text"
	if st.file {
		src = "file_name"
		ex = "[file] " + ex
	}
	d := map[string]any{"matches": 1, "source": src}
	if p.value != "" {
		d["values"] = []string{p.value}
	}
	if p.rule == rPIIMobileBulk {
		d["matches"] = st.nMob
		vs := make([]string, 0, min(st.nMob, 20))
		for k := 0; k < st.nMob && k < len(st.mob) && k < 20; k++ {
			var b [11]byte
			v := st.mob[k]
			for x := 10; x >= 0; x-- {
				b[x] = byte('0' + v%10)
				v /= 10
			}
			vs = append(vs, maskNumber(string(b[:])))
		}
		d["values"] = vs
	}
	st.out = append(st.out, Finding{Rule: id, Category: cat, Severity: sev, Excerpt: ex, Key: msgKey(id, st.m), Detail: d})
}

// excerpt cuts about excerptContext bytes around [start,end), widened so that
// no number or secret is cut in half, and masks in it every secret span and
// every digit token of 11 or more digits, valid or not: an excerpt never
// shows a personal number or a secret in full.
func excerpt(s string, start, end int, secrets []span) string {
	a := max(0, start-excerptContext)
	b := min(len(s), end+excerptContext)
	for a > 0 && !utf8.RuneStart(s[a]) {
		a--
	}
	for b < len(s) && !utf8.RuneStart(s[b]) {
		b++
	}
	for a > 0 && (isDigit(s[a-1]) || (a >= 2 && isNumSep(s[a-1]) && isDigit(s[a-2]))) {
		a--
	}
	for b < len(s) && (isDigit(s[b]) || s[b] == 'X' || s[b] == 'x' || (isNumSep(s[b]) && b+1 < len(s) && isDigit(s[b+1]))) {
		b++
	}
	for _, sp := range secrets {
		if sp.start < b && sp.end > a {
			a = min(a, sp.start)
			b = max(b, sp.end)
		}
	}
	var w strings.Builder
	w.Grow(b - a + 8)
	if a > 0 {
		w.WriteString("…")
	}
	for i := a; i < b; {
		if sp, ok := secretAt(secrets, i); ok {
			w.WriteString(maskSecret(s[sp.start:sp.end], sp.keep))
			i = sp.end
			continue
		}
		c := s[i]
		if isDigit(c) {
			i = writeDigitToken(&w, s, i, b)
			continue
		}
		if c == '\n' || c == '\r' || c == '\t' {
			c = ' '
		}
		w.WriteByte(c)
		i++
	}
	if b < len(s) {
		w.WriteString("…")
	}
	return w.String()
}

func isNumSep(c byte) bool { return c == ' ' || c == '-' }

func secretAt(secrets []span, i int) (span, bool) {
	for _, sp := range secrets {
		if sp.start == i {
			return sp, true
		}
	}
	return span{}, false
}

// writeDigitToken writes the digit token at s[i:] (digit runs joined by one
// repeated separator, as in 6222 0212 3456 7890), masked when it holds 11 or
// more digits, and returns where it ends.
func writeDigitToken(w *strings.Builder, s string, i, lim int) int {
	j := i
	var sep byte
	nd, maxRun, run := 0, 0, 0
	for j < lim {
		c := s[j]
		if isDigit(c) || ((c == 'X' || c == 'x') && run == 17) {
			nd++
			run++
			maxRun = max(maxRun, run)
			j++
			continue
		}
		if isNumSep(c) && j+1 < lim && isDigit(s[j+1]) && (sep == 0 || sep == c) && run > 0 {
			sep = c
			run = 0
			j++
			continue
		}
		break
	}
	tok := []byte(s[i:j])
	switch {
	case maxRun >= 11:
		// mask each long run on its own; short runs beside it are not personal
		for k := 0; k < len(tok); {
			e := k
			for e < len(tok) && !isNumSep(tok[e]) {
				e++
			}
			if e-k >= 11 {
				maskDigitsInPlace(tok[k:e], e-k)
			}
			k = e + 1
		}
	case nd >= 11:
		maskDigitsInPlace(tok, nd)
	}
	w.Write(tok)
	return j
}

// secretsIn finds the credential spans of s, for excerpts built outside the
// content scan (registry and transfer findings).
func secretsIn(s string) []span {
	var out []span
	for i := 0; i < len(s); i++ {
		if trig[s[i]] != trigKeyword {
			continue
		}
		for ki := range kwIndex[s[i]] {
			k := &kwIndex[s[i]][ki]
			if k.h != hCred || !hasKw(s, i, k) {
				continue
			}
			if a, b, keep, ok := credRules[k.arg].match(s, i, k.kw); ok {
				out = append(out, span{a, b, keep})
				i = b - 1
				break
			}
		}
	}
	return out
}

// leadExcerpt is the start of a message's text, masked.
func leadExcerpt(s string) string {
	return excerpt(s, 0, 0, secretsIn(s))
}
