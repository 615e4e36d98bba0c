package detect

import "strings"

// The lexicon matcher is a small Aho-Corasick automaton compiled to a dense
// DFA over byte classes, written here rather than imported: it is ~100
// lines, reports overlapping matches (petar-dambovaliev's FindAll does not),
// folds ASCII case at build time and needs no dependency. Bytes that occur
// in no term share class 0, which keeps the table small (states × classes).

type acTerm struct {
	text string
	lex  int // index in Engine.lex
	// an ASCII term must stand as a word on the sides where it has a word byte
	wordStart, wordEnd bool
}

type automaton struct {
	class [256]uint16
	nc    int
	delta []int32   // state*nc + class -> next state*nc, negative when it has outputs
	out   [][]int32 // state -> terms ending here (fail chain included)
	terms []acTerm
}

func foldByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func buildAutomaton(terms []acTerm) *automaton {
	a := &automaton{terms: terms}
	a.nc = 1
	for i := range terms {
		t := strings.TrimSpace(terms[i].text)
		terms[i].text = t
		terms[i].wordStart = isWordByte(t[0])
		terms[i].wordEnd = isWordByte(t[len(t)-1])
		for j := 0; j < len(t); j++ {
			c := foldByte(t[j])
			if a.class[c] == 0 {
				a.class[c] = uint16(a.nc)
				a.nc++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	nc := a.nc
	a.delta = make([]int32, nc) // root
	for i := range a.delta {
		a.delta[i] = -1
	}
	a.out = [][]int32{nil}
	for ti, t := range terms {
		s := int32(0)
		for j := 0; j < len(t.text); j++ {
			x := int(s)*nc + int(a.class[t.text[j]])
			if a.delta[x] < 0 {
				n := int32(len(a.out))
				a.delta[x] = n
				a.out = append(a.out, nil)
				for k := 0; k < nc; k++ {
					a.delta = append(a.delta, -1)
				}
			}
			s = a.delta[x]
		}
		a.out[s] = append(a.out[s], int32(ti))
	}
	// Breadth-first: fill missing transitions from the failure state.
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for c := 0; c < nc; c++ {
		if t := a.delta[c]; t < 0 {
			a.delta[c] = 0
		} else {
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for c := 0; c < nc; c++ {
			x := int(s)*nc + c
			f := a.delta[int(fail[s])*nc+c]
			if t := a.delta[x]; t < 0 {
				a.delta[x] = f
			} else {
				fail[t] = f
				queue = append(queue, t)
			}
		}
	}
	// Premultiply targets by nc (no multiply in the hot loop) and make the
	// targets that have outputs negative (one load decides "nothing here").
	for x, t := range a.delta {
		v := t * int32(nc)
		if a.out[t] != nil {
			v = -v
		}
		a.delta[x] = v
	}
	return a
}

// lexicons runs the automaton over s when some lexicon applies to the group.
func (st *scanState) lexicons(s string) {
	e := st.e
	any := false
	for i := range e.lex {
		if e.lex[i].scope.inScope(st.m.Group) {
			any = true
			break
		}
	}
	if !any {
		return
	}
	a := e.ac
	state := int32(0)
	for i := 0; i < len(s); i++ {
		state = a.delta[state+int32(a.class[s[i]])]
		if state >= 0 {
			continue
		}
		state = -state
		end := i + 1
		for _, ti := range a.out[state/int32(a.nc)] {
			t := &a.terms[ti]
			start := end - len(t.text)
			if t.wordStart && start > 0 && isWordByte(s[start-1]) {
				continue
			}
			if t.wordEnd && end < len(s) && isWordByte(s[end]) {
				continue
			}
			st.hit(len(ruleDefs)+t.lex, start, end, t.text)
		}
	}
}
