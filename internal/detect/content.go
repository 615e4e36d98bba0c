package detect

import (
	"strings"
)

// Content scanning is one pass over the bytes. A 256-entry table says which
// bytes can start something: digits start number runs (IDs, cards, mobiles,
// document numbers); a few letters and the lead byte E5 (密, 内, 口) start
// keywords. Everything else is skipped with one table load, which is what
// keeps a message with no hits cheap and free of allocations.

const (
	trigNone = iota
	trigDigit
	trigKeyword
)

const (
	hCred     = iota
	hZhMi     // 密: 绝密 / 机密 / 秘密 markings
	hZhNeibu  // 内部: 内部资料, 内部文件 注意保存
	hEnSecret // SECRET, TOP SECRET
	hEnConfidential
	hEnInternal // internal use only
)

type kwEntry struct {
	kw   string
	fold bool // ASCII case-insensitive
	h    uint8
	arg  int
}

var (
	trig    [256]uint8
	kwIndex [256][]kwEntry
	// second[c] is the set of bytes that may follow c in some keyword: a
	// two-byte prefilter, because lead bytes such as E5 and E7 are everywhere
	// in Chinese text and 'p' or 'e' everywhere in English.
	second [256][4]uint64
)

func setSecond(c, d byte) { second[c][d>>6] |= 1 << (d & 63) }

func buildKeywordIndex() {
	for c := '0'; c <= '9'; c++ {
		trig[c] = trigDigit
	}
	add := func(e kwEntry) {
		c := e.kw[0]
		kwIndex[c] = append(kwIndex[c], e)
		trig[c] = trigKeyword
		d := e.kw[1]
		setSecond(c, d)
		if e.fold {
			setSecond(c, foldByte(d))
			setSecond(c, upperByte(d))
			setSecond(foldByte(c), d)
			setSecond(foldByte(c), foldByte(d))
			setSecond(foldByte(c), upperByte(d))
			setSecond(upperByte(c), d)
			setSecond(upperByte(c), foldByte(d))
			setSecond(upperByte(c), upperByte(d))
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			} else if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != e.kw[0] {
				kwIndex[c] = append(kwIndex[c], e)
				trig[c] = trigKeyword
			}
		}
	}
	add(kwEntry{kw: "密", h: hZhMi})
	add(kwEntry{kw: "内部", h: hZhNeibu})
	add(kwEntry{kw: "SECRET", h: hEnSecret})
	add(kwEntry{kw: "CONFIDENTIAL", h: hEnConfidential})
	add(kwEntry{kw: "internal use only", fold: true, h: hEnInternal})
	for i, c := range credRules {
		for _, k := range c.keywords {
			add(kwEntry{kw: k, fold: c.fold, h: hCred, arg: i})
		}
	}
}

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func hasKw(s string, i int, k *kwEntry) bool {
	if len(s)-i < len(k.kw) {
		return false
	}
	if !k.fold {
		return s[i:i+len(k.kw)] == k.kw
	}
	for j := 0; j < len(k.kw); j++ {
		a, b := s[i+j], k.kw[j]
		if a == b {
			continue
		}
		if a >= 'A' && a <= 'Z' && a+'a'-'A' == b {
			continue
		}
		return false
	}
	return true
}

type span struct{ start, end, keep int }

type pending struct {
	rule       int // index in ruleDefs, or len(ruleDefs)+lexicon index
	start, end int // excerpt centre
	value      string
}

// scanState lives on the stack of one Scan.
type scanState struct {
	e       *Engine
	m       *Message
	out     []Finding
	file    bool
	cardCtx int8 // 0 unknown, 1 yes, -1 no
	pend    []pending
	secrets []span
	nMob    int
	mob     [64]uint64 // distinct mobile numbers (as integers) seen in this segment
	mobAt   span       // the first one, for the excerpt
}

func (e *Engine) scanContent(m *Message, out []Finding) []Finding {
	st := scanState{e: e, m: m, out: out}
	st.segment(m.Text, false)
	for _, f := range m.FileNames {
		st.segment(f, true)
	}
	return st.out
}

func (st *scanState) segment(s string, file bool) {
	st.file = file
	st.cardCtx = 0
	st.nMob = 0
	st.pend = st.pend[:0]
	st.secrets = st.secrets[:0]
	for i := 0; i < len(s); {
		switch trig[s[i]] {
		case trigNone:
			i++
		case trigDigit:
			i = st.digits(s, i)
		default:
			if i+1 < len(s) && second[s[i]][s[i+1]>>6]&(1<<(s[i+1]&63)) != 0 {
				i = st.keyword(s, i)
			} else {
				i++
			}
		}
	}
	if st.nMob >= st.e.mobileMin {
		st.pend = append(st.pend, pending{rule: rPIIMobileBulk, start: st.mobAt.start, end: st.mobAt.end})
	}
	if st.e.ac != nil {
		st.lexicons(s)
	}
	for i := range st.pend {
		st.emit(s, &st.pend[i])
	}
}

func (st *scanState) hit(rule, start, end int, value string) {
	st.pend = append(st.pend, pending{rule: rule, start: start, end: end, value: value})
}

func (st *scanState) keyword(s string, i int) int {
	for ki := range kwIndex[s[i]] {
		k := &kwIndex[s[i]][ki]
		if !hasKw(s, i, k) {
			continue
		}
		switch k.h {
		case hCred:
			c := &credRules[k.arg]
			if a, b, keep, ok := c.match(s, i, k.kw); ok {
				st.secrets = append(st.secrets, span{a, b, keep})
				st.hit(c.rule, i, b, maskSecret(s[a:b], keep))
				return b
			}
		case hZhMi:
			if end := st.zhMi(s, i); end > i {
				return end
			}
		case hZhNeibu:
			if strings.HasPrefix(s[i+6:], "资料") {
				st.hit(rMarkInternal, i, i+12, "")
				return i + 12
			}
			if strings.HasPrefix(s[i+6:], "文件") {
				k := i + 12
				for n := 0; n < 4 && k < len(s); n++ {
					if w := sepWidth(s, k); w > 0 {
						k += w
					}
				}
				if strings.HasPrefix(s[k:], "注意保存") {
					st.hit(rMarkInternal, i, k+12, "")
					return k + 12
				}
			}
		case hEnSecret:
			if end := st.enSecret(s, i); end > i {
				return end
			}
		case hEnConfidential, hEnInternal:
			b := i + len(k.kw)
			if (i == 0 || !isWordByte(s[i-1])) && (b == len(s) || !isWordByte(s[b])) {
				r := rMarkConfidential
				if k.h == hEnInternal {
					r = rMarkInternal
				}
				st.hit(r, i, b, "")
				return b
			}
		}
	}
	return i + 1
}

// sepWidth is the width of a separator that may stand between 内部文件 and
// 注意保存: blanks and the usual punctuation.
func sepWidth(s string, k int) int {
	switch s[k] {
	case ' ', '\t', ',', ':', '-', '/', '|':
		return 1
	}
	for _, p := range []string{"\u3000", "，", "、", "：", "—", "·", "；"} {
		if strings.HasPrefix(s[k:], p) {
			return len(p)
		}
	}
	return 0
}

// zhMi handles 密 at i. Chinese markings are 绝密, 机密 or 秘密 followed by
// ★ and a term (秘密★1年, 机密★5年, 绝密★长期), by 级 (机密级), or enclosed
// in brackets (【绝密】).
//
// Choice: the bare words do not alert by default. 秘密 alone is everyday
// speech ("我们的小秘密") and never alerts. Bare 机密/绝密 ("机密文件",
// "保守商业机密") also occur when people talk about confidentiality rather
// than leak a marked document, so they go to marking.bare_term, which is off
// by default and can be enabled per scope.
func (st *scanState) zhMi(s string, i int) int {
	if i < 3 {
		return i
	}
	var r int
	switch s[i-3 : i] {
	case "绝":
		r = rMarkTopSecret
	case "机":
		r = rMarkSecret
	case "秘":
		r = rMarkConfidential
	default:
		return i
	}
	start, j := i-3, i+3
	k := skipSpaces(s, j)
	if strings.HasPrefix(s[k:], "级") {
		st.hit(r, start, k+3, "")
		return k + 3
	}
	if w := starWidth(s, k); w > 0 {
		k = skipSpaces(s, k+w)
		if n := termLen(s, k); n > 0 {
			st.hit(r, start, k+n, "")
			return k + n
		}
	}
	if (start >= 3 && s[start-3:start] == "【" && strings.HasPrefix(s[j:], "】")) ||
		(start >= 1 && s[start-1] == '[' && strings.HasPrefix(s[j:], "]")) {
		st.hit(r, start, j, "")
		return j
	}
	// A bare term does not consume the text: 机密 in 手机密码 must still let
	// 密码 reach the password rule. Words where 密 starts the next word
	// (密码, 密切, 密集, 密度, 密封, 密布) are not the bare term at all.
	if r != rMarkConfidential && !startsAny(s[j:], "码", "切", "集", "度", "封", "布") {
		st.hit(rMarkBareTerm, start, j, "")
	}
	return i
}

func startsAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func starWidth(s string, k int) int {
	if k < len(s) && s[k] == '*' {
		return 1
	}
	for _, p := range []string{"★", "☆", "＊"} {
		if strings.HasPrefix(s[k:], p) {
			return len(p)
		}
	}
	return 0
}

// termLen is the length of a protection term: 1-3 digits and 年/个月/月, or 长期/永久.
func termLen(s string, k int) int {
	if strings.HasPrefix(s[k:], "长期") || strings.HasPrefix(s[k:], "永久") {
		return 6
	}
	j := k
	for j < len(s) && j-k < 3 && isDigit(s[j]) {
		j++
	}
	if j == k {
		return 0
	}
	for _, u := range []string{"年", "个月", "月"} {
		if strings.HasPrefix(s[j:], u) {
			return j - k + len(u)
		}
	}
	return 0
}

// enSecret: SECRET in capitals as a word (not SECRET_KEY, not SECRET=...),
// TOP SECRET when TOP precedes it. Lower-case "secret" is prose and is not
// looked at. Shouted sentences ("IT'S A SECRET") do alert: capitals are how
// the marking is written and work chat rarely shouts.
func (st *scanState) enSecret(s string, i int) int {
	b := i + 6
	if (i > 0 && isWordByte(s[i-1])) || (b < len(s) && (isWordByte(s[b]) || s[b] == '=')) {
		return i
	}
	if i >= 4 && s[i-4:i-1] == "TOP" && (s[i-1] == ' ' || s[i-1] == '-' || s[i-1] == '_') && (i == 4 || !isWordByte(s[i-5])) {
		st.hit(rMarkTopSecret, i-4, b, "")
		return b
	}
	st.hit(rMarkSecret, i, b, "")
	return b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits handles the run of digits starting at i and returns where scanning
// goes on. Only runs of interesting lengths are validated.
func (st *scanState) digits(s string, i int) int {
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	n := j - i
	if n < 3 {
		return j
	}
	switch {
	case n == 18 || (n == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') && (j+1 == len(s) || !isWordByte(s[j+1]))):
		end := i + 18
		if validResidentID(s[i:end]) {
			st.hit(rPIIResidentID, i, end, maskNumber(s[i:end]))
			return end
		}
	case n == 11:
		if isMobile(s[i:j]) {
			st.addMobile(s[i:j], i, j)
			return j
		}
	case n == 13 && i > 0 && s[i-1] == '+' && s[i:i+2] == "86":
		if isMobile(s[i+2 : j]) {
			st.addMobile(s[i+2:j], i, j)
			return j
		}
	case n == 15 && s[i:i+4] == "0086":
		if isMobile(s[i+4 : j]) {
			st.addMobile(s[i+4:j], i, j)
			return j
		}
	case n == 4:
		st.docNumber(s, i, j)
		if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
			if end := st.groupedCard(s, i, j); end > 0 {
				return end
			}
		}
		return j
	case n == 3:
		// a mobile written in groups: 138 1234 5678 or 138-1234-5678
		if j+10 <= len(s) && (s[j] == ' ' || s[j] == '-') {
			sep := s[j]
			if allDigits(s[j+1:j+5]) && s[j+5] == sep && allDigits(s[j+6:j+10]) &&
				(j+10 == len(s) || !isDigit(s[j+10])) {
				var buf [11]byte
				copy(buf[:3], s[i:j])
				copy(buf[3:7], s[j+1:j+5])
				copy(buf[7:], s[j+6:j+10])
				if isMobile(string(buf[:])) {
					st.addMobile(string(buf[:]), i, j+10)
					return j + 10
				}
			}
		}
		return j
	}
	if n >= 16 && n <= 19 && st.cardOK(s, s[i:j]) {
		st.hit(rPIIBankCard, i, j, maskNumber(s[i:j]))
	}
	return j
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// groupedCard reads a card number written in groups (6222 0212 3456 7890 123).
func (st *scanState) groupedCard(s string, i, j int) int {
	var buf [19]byte
	copy(buf[:], s[i:j])
	n := 4
	sep := s[j]
	k := j
	last := 4
	for k+1 < len(s) && s[k] == sep && isDigit(s[k+1]) {
		if last != 4 {
			return 0
		}
		b := k + 1
		e := b
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		last = e - b
		if last > 4 || n+last > 19 {
			return 0
		}
		copy(buf[n:], s[b:e])
		n += last
		k = e
	}
	if n < 16 || last < 3 {
		return 0
	}
	d := string(buf[:n]) // only on the rare path of a grouped 16+ digit token
	if !st.cardOK(s, d) {
		return 0
	}
	st.hit(rPIIBankCard, i, k, maskNumber(d))
	return k
}

// docNumber: a 4-digit year in 〔〕, [], ［］ or 【】 after a Han issuer
// abbreviation and before a serial number and 号 (国发〔2023〕5号).
func (st *scanState) docNumber(s string, i, j int) {
	if i < 4 {
		return
	}
	var open, close string
	switch {
	case s[i-1] == '[':
		open, close = "[", "]"
	case i >= 3 && s[i-3:i] == "〔":
		open, close = "〔", "〕"
	case i >= 3 && s[i-3:i] == "［":
		open, close = "［", "］"
	case i >= 3 && s[i-3:i] == "【":
		open, close = "【", "】"
	default:
		return
	}
	b := i - len(open)
	if b < 3 || s[b-3] < 0xE4 || s[b-3] > 0xE9 { // a CJK ideograph before the bracket
		return
	}
	y := int(s[i]-'0')*1000 + int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
	if y < 1949 || y > 2099 || !strings.HasPrefix(s[j:], close) {
		return
	}
	k := j + len(close)
	d := k
	for k < len(s) && k-d < 5 && isDigit(s[k]) {
		k++
	}
	if k == d || !strings.HasPrefix(s[k:], "号") {
		return
	}
	start := b - 3
	for start >= 3 && s[start-3] >= 0xE4 && s[start-3] <= 0xE9 && b-start < 15 {
		start -= 3
	}
	st.hit(rMarkDocNumber, start, k+3, "")
}

// validResidentID checks an 18-character resident ID (GB 11643-1999): a
// known province code, a real birth date and the ISO 7064 MOD 11-2 check.
func validResidentID(id string) bool {
	if len(id) != 18 {
		return false
	}
	p := int(id[0]-'0')*10 + int(id[1]-'0')
	switch {
	case p >= 11 && p <= 15, p >= 21 && p <= 23, p >= 31 && p <= 37, p >= 41 && p <= 46,
		p >= 50 && p <= 54, p >= 61 && p <= 65, p == 71, p == 81, p == 82, p == 83, p == 91:
	default:
		return false
	}
	y := atoi(id[6:10])
	mo := atoi(id[10:12])
	d := atoi(id[12:14])
	if y < 1800 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := 0; k < 17; k++ {
		sum += int(id[k]-'0') * weights[k]
	}
	want := "10X98765432"[sum%11]
	got := id[17]
	if got == 'x' {
		got = 'X'
	}
	return got == want
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// cardIssuer reports whether a card number of this length starts like one of
// the issuers seen in China: UnionPay 62, Visa 4 (16 digits), Mastercard
// 51-55 and 2221-2720, JCB 3528-3589, Discover 6011/644-649/65.
func cardIssuer(d string) bool {
	n := len(d)
	p2 := atoi(d[:2])
	p4 := atoi(d[:4])
	switch {
	case p2 == 62, p2 == 65:
		return true
	case d[0] == '4':
		return n == 16
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p4 >= 3528 && p4 <= 3589, p4 == 6011, p4 >= 6440 && p4 <= 6499:
		return true
	}
	return false
}

func (st *scanState) cardOK(s, d string) bool {
	if !luhn(d) {
		return false
	}
	if cardIssuer(d) {
		return true
	}
	if st.cardCtx == 0 {
		st.cardCtx = -1
		if hasCardContext(s) {
			st.cardCtx = 1
		}
	}
	return st.cardCtx > 0
}

func hasCardContext(s string) bool {
	for _, w := range []string{"卡号", "银行卡", "信用卡", "储蓄卡", "借记卡", "开户行"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	for i := 0; i+4 <= len(s); i++ {
		if (s[i]|0x20) == 'c' && (s[i+1]|0x20) == 'a' && (s[i+2]|0x20) == 'r' && (s[i+3]|0x20) == 'd' {
			return true
		}
	}
	return false
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

func (st *scanState) addMobile(d string, start, end int) {
	v := uint64(atoi(d))
	lim := min(st.nMob, len(st.mob))
	for k := 0; k < lim; k++ {
		if st.mob[k] == v {
			return
		}
	}
	if st.nMob == 0 {
		st.mobAt = span{start, end, 0}
	}
	if st.nMob < len(st.mob) {
		st.mob[st.nMob] = v
	}
	st.nMob++
}

// maskNumber keeps the first 6 and last 4 digits of long numbers (IDs and
// cards: 110105********002X) and the first 3 and last 4 of shorter ones
// (mobiles: 138****1234).
func maskNumber(d string) string {
	b := []byte(d)
	maskDigitsInPlace(b, len(b))
	return string(b)
}

// maskDigitsInPlace masks a token holding nd digits (and maybe separators or
// a final X), counting positions in digits so separators survive.
func maskDigitsInPlace(b []byte, nd int) {
	head := 3
	if nd >= 15 {
		head = 6
	}
	pos := 0
	for i, c := range b {
		if isDigit(c) || c == 'X' || c == 'x' {
			if pos >= head && pos < nd-4 {
				b[i] = '*'
			}
			pos++
		}
	}
}

func maskSecret(v string, keep int) string {
	if keep > len(v) {
		keep = len(v)
	}
	return v[:keep] + "****"
}
