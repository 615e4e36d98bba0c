package archive

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search indexing follows Lucene's CJK-bigram model (see NOTES.md): each run
// of CJK characters becomes its overlapping bigrams plus the run's last
// character, other letters and digits form lower-cased words. Both engines
// store these tokens with positions and match a query term as a phrase, so any
// substring of two or more CJK characters is found, and so is any word.

// maxWord is the longest word indexed: longer runs of letters are data
// (base64, hashes), and PostgreSQL refuses lexemes over 2 KiB.
const maxWord = 200

// maxTSVector bounds the tsvector literal of one message: PostgreSQL refuses
// a tsvector over 1 MiB, and its internal form of short unique words can be
// 1.7 times the literal. Text past it is stored but not searchable there.
const maxTSVector = 400_000

// eachToken calls fn with every index token of text, in order. Bigrams are
// substrings of text, so only words with upper-case letters allocate.
func eachToken(text string, fn func(tok string)) {
	i := 0
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if isASCIIWord(c) {
				j, upper := i, false
				for j < len(text) && text[j] < utf8.RuneSelf && isASCIIWord(text[j]) {
					upper = upper || ('A' <= text[j] && text[j] <= 'Z')
					j++
				}
				// A word may continue into non-ASCII letters (café).
				if j < len(text) && text[j] >= utf8.RuneSelf {
					if r, _ := utf8.DecodeRuneInString(text[j:]); isWordRune(r) && !isCJK(r) {
						j = wordEnd(text, j)
						upper = true // let ToLower handle the non-ASCII part
					}
				}
				if w := text[i:j]; len(w) <= maxWord {
					if upper {
						w = strings.ToLower(w)
					}
					fn(w)
				}
				i = j
				continue
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isCJK(r):
			// A run of CJK characters: bigrams, then the last character alone.
			prev := i
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isCJK(r2) {
					break
				}
				fn(text[prev : j+s2])
				prev = j
				j += s2
			}
			fn(text[prev:j])
			i = j
		case isWordRune(r):
			j := wordEnd(text, i)
			if j-i <= maxWord {
				fn(strings.ToLower(text[i:j]))
			}
			i = j
		default:
			i += size
		}
	}
}

func wordEnd(text string, j int) int {
	for j < len(text) {
		r, s := utf8.DecodeRuneInString(text[j:])
		if !(isWordRune(r) && !isCJK(r)) {
			break
		}
		j += s
	}
	return j
}

func isASCIIWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && isASCIIWord(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// isCJK reports a character indexed as bigrams: Han, kana (with the
// prolonged sound mark ー), Hangul. The common blocks are checked by range
// first, because the table lookups are slow.
func isCJK(r rune) bool {
	switch {
	case r < 0x2E80:
		return false
	case 0x4E00 <= r && r <= 0x9FFF, 0x3040 <= r && r <= 0x309F, 0x30A0 <= r && r <= 0x30FF, 0xAC00 <= r && r <= 0xD7A3, 0x3400 <= r && r <= 0x4DBF:
		return r != 0x30FB // the katakana middle dot is punctuation
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// AppendIndexText appends the tokens of text separated by spaces: what the
// SQLite full-text table indexes (its unicode61 tokenizer splits on the spaces).
func AppendIndexText(dst []byte, text string) []byte {
	first := true
	eachToken(text, func(tok string) {
		if !first {
			dst = append(dst, ' ')
		}
		first = false
		dst = append(dst, tok...)
	})
	return dst
}

// AppendTSVector appends the tokens of text as a PostgreSQL tsvector literal
// with positions ('机密':1 '密文':2 ...), cast with ::tsvector. Tokens hold
// only letters and digits, so they need no escaping. PostgreSQL caps
// positions at 16383.
func AppendTSVector(dst []byte, text string) []byte {
	pos, start := 0, len(dst)
	eachToken(text, func(tok string) {
		if len(dst)-start > maxTSVector {
			return
		}
		pos++
		if pos > 1 {
			dst = append(dst, ' ')
		}
		dst = append(dst, '\'')
		dst = append(dst, tok...)
		dst = append(dst, '\'', ':')
		dst = strconv.AppendInt(dst, int64(min(pos, 16383)), 10)
	})
	return dst
}

// Term is one whitespace-separated part of a search query as index tokens.
// Prefix is set when the term ends in a single CJK character: its last token
// matches any token starting with it.
type Term struct {
	Tokens []string
	Prefix bool
}

// ParseQuery turns a search query into terms; every term must match. A term
// is tokenized like the text, except that a trailing CJK run's final
// single character is dropped (the text may go on after it), and a term
// ending in a lone CJK character becomes a prefix match.
func ParseQuery(q string) []Term {
	var out []Term
	for _, f := range strings.Fields(q) {
		var toks []string
		eachToken(f, func(tok string) { toks = append(toks, tok) })
		if len(toks) == 0 {
			continue
		}
		t := Term{Tokens: toks}
		last := toks[len(toks)-1]
		if r, size := utf8.DecodeRuneInString(last); isCJK(r) && size == len(last) {
			// The lone last character: drop it after a bigram that already
			// holds it, else match it as a prefix.
			if len(toks) >= 2 && strings.HasSuffix(toks[len(toks)-2], last) {
				if r2, _ := utf8.DecodeRuneInString(toks[len(toks)-2]); isCJK(r2) {
					t.Tokens = toks[:len(toks)-1]
				}
			} else {
				t.Prefix = true
			}
		}
		out = append(out, t)
	}
	return out
}

// FTS5Match renders terms as an FTS5 MATCH expression: each term a phrase,
// all required.
func FTS5Match(terms []Term) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.Join(t.Tokens, " "))
		b.WriteByte('"')
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// TSQuery renders terms as a PostgreSQL tsquery literal: each term a phrase
// ('内部' <-> '部资'), all required.
func TSQuery(terms []Term) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('(')
		for j, tok := range t.Tokens {
			if j > 0 {
				b.WriteString(" <-> ")
			}
			b.WriteByte('\'')
			b.WriteString(tok)
			b.WriteByte('\'')
			if t.Prefix && j == len(t.Tokens)-1 {
				b.WriteString(":*")
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
