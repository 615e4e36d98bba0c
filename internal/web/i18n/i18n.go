// Package i18n is the console's two languages: a message catalog per language
// (messages/*.json, embedded), the choice of language for a request, and the
// formatting of dates and amounts the way each language writes them.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Lang is a language the console speaks.
type Lang string

const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Langs are the supported languages, the default first: Charter's users
// work in Chinese.
var Langs = []Lang{ZH, EN}

// Parse returns the language named by s, or ok false.
func Parse(s string) (Lang, bool) {
	for _, l := range Langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	return "", false
}

//go:embed messages/*.json
var files embed.FS

// Catalog holds every message of every language.
type Catalog map[Lang]map[string]string

// Load reads the embedded catalog.
func Load() (Catalog, error) {
	c := Catalog{}
	for _, l := range Langs {
		b, err := files.ReadFile("messages/" + string(l) + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: messages/%s.json: %w", l, err)
		}
		c[l] = m
	}
	return c, nil
}

// MissingPrefix marks a message the catalog lacks, so a page shows the key
// instead of failing and the template test can find it.
const MissingPrefix = "!!missing:"

// T returns the message key in l, with fmt verbs filled from args.
func (c Catalog) T(l Lang, key string, args ...any) string {
	msg, ok := c[l][key]
	if !ok {
		return MissingPrefix + key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in l.
func (c Catalog) Has(l Lang, key string) bool { _, ok := c[l][key]; return ok }

// Keys returns the sorted keys of l.
func (c Catalog) Keys(l Lang) []string {
	out := make([]string, 0, len(c[l]))
	for k := range c[l] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Negotiate picks a language from an Accept-Language header: the supported
// language with the highest q, or ZH when none matches.
func Negotiate(header string) Lang {
	best, bestQ := ZH, 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		var l Lang
		switch base {
		case "zh":
			l = ZH
		case "en":
			l = EN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

var enMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// DateTime writes t as each language does: 2026年11月22日 14:05 or 22 Nov 2026 14:05.
// The zero time is written as an empty string.
func DateTime(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l == ZH {
		return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%d %s %d %02d:%02d", t.Day(), enMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// Date writes the day only: 2026年11月22日 or 22 Nov 2026.
func Date(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l == ZH {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), enMonths[t.Month()-1], t.Year())
}

// Yuan writes an amount kept in fen: ¥4,000.00 in English, 4,000.00 元 in Chinese.
func Yuan(l Lang, fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen) // two's complement makes MinInt64 come out right
	}
	num := group(u/100) + fmt.Sprintf(".%02d", u%100)
	if l == ZH {
		return sign + num + " 元"
	}
	return sign + "¥" + num
}

// Number writes an integer with thousands separators, the same in both languages.
func Number(n int64) string {
	if n < 0 {
		return "-" + group(uint64(-n))
	}
	return group(uint64(n))
}

func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
