package detect

import "strings"

// credRule is one row of the credential table. The validator runs only where
// one of the keywords occurs (gitleaks' lesson: prefilter, then validate), so
// adding a credential type is adding a row here.
type credRule struct {
	id       string
	severity string
	desc     string
	keywords []string // a keyword is where the validator is tried; matched case-insensitively when fold
	fold     bool
	// match validates the text at s[at:], where keyword kw occurs. It returns
	// the secret span [start,end) to mask and how many of its leading bytes
	// may stay visible in an excerpt (a public prefix such as AKIA).
	match func(s string, at int, kw string) (start, end, keep int, ok bool)
	rule  int // index in ruleDefs, set at init
}

var credRules = []credRule{
	{id: "credential.private_key", severity: SevCritical, desc: "PEM private key block (-----BEGIN ... PRIVATE KEY-----)",
		keywords: []string{"-----BEGIN "}, match: matchPEM},
	{id: "credential.aws_access_key", severity: SevHigh, desc: "AWS access key id (AKIA/ASIA + 16)",
		keywords: []string{"AKIA", "ASIA"}, match: token(16, 16, csUpperDigit)},
	{id: "credential.alibaba_access_key", severity: SevHigh, desc: "Alibaba Cloud AccessKey id (LTAI...)",
		keywords: []string{"LTAI"}, match: token(12, 30, csAlnum)},
	{id: "credential.tencent_secret_id", severity: SevHigh, desc: "Tencent Cloud SecretId (AKID + 32)",
		keywords: []string{"AKID"}, match: token(32, 40, csAlnum)},
	{id: "credential.github_token", severity: SevHigh, desc: "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
		keywords: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, match: token(36, 255, csAlnum)},
	{id: "credential.github_pat", severity: SevHigh, desc: "GitHub fine-grained personal access token (github_pat_)",
		keywords: []string{"github_pat_"}, match: token(50, 255, csAlnumUnderscore)},
	{id: "credential.gitlab_token", severity: SevHigh, desc: "GitLab personal access token (glpat-)",
		keywords: []string{"glpat-"}, match: token(20, 64, csAlnumDash)},
	{id: "credential.slack_token", severity: SevHigh, desc: "Slack token (xoxb-, xoxp-, ...)",
		keywords: []string{"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"}, match: token(10, 255, csAlnumDash)},
	{id: "credential.jwt", severity: SevHigh, desc: "JSON Web Token (eyJ... three base64url parts)",
		keywords: []string{"eyJ"}, match: matchJWT},
	{id: "credential.password", severity: SevHigh, desc: "password given in the text (password: / pwd= / 密码： followed by a non-trivial value)",
		keywords: []string{"password", "passwd", "pwd", "密码", "口令"}, fold: true, match: assignment(6)},
	{id: "credential.api_secret", severity: SevHigh, desc: "API secret given in the text (api_key=, secret_key:, client_secret, 密钥：...) with a long value",
		keywords: []string{"api_key", "apikey", "api-key", "secret_key", "secretkey", "access_token", "accesskeysecret",
			"access_key_secret", "client_secret", "密钥", "秘钥"}, fold: true, match: assignment(16)},
}

// Character sets of token bodies.
const (
	csUpperDigit = iota
	csAlnum
	csAlnumUnderscore
	csAlnumDash
)

func inSet(c byte, set int) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
		return true
	case c >= 'a' && c <= 'z':
		return set != csUpperDigit
	case c == '_':
		return set == csAlnumUnderscore || set == csAlnumDash
	case c == '-':
		return set == csAlnumDash
	}
	return false
}

// token matches keyword + min..max bytes of a set, standing as a word.
func token(min, max int, set int) func(string, int, string) (int, int, int, bool) {
	return func(s string, at int, kw string) (int, int, int, bool) {
		if at > 0 && isWordByte(s[at-1]) {
			return 0, 0, 0, false
		}
		j := at + len(kw)
		k := j
		for k < len(s) && k-j <= max && inSet(s[k], set) {
			k++
		}
		if n := k - j; n < min || n > max || (k < len(s) && isWordByte(s[k])) {
			return 0, 0, 0, false
		}
		return at, k, len(kw), true
	}
}

func matchPEM(s string, at int, kw string) (int, int, int, bool) {
	j := at + len(kw)
	lim := min(len(s), j+64)
	h := strings.Index(s[j:lim], "PRIVATE KEY-----")
	if h < 0 {
		return 0, 0, 0, false
	}
	for _, c := range []byte(s[j : j+h]) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ') {
			return 0, 0, 0, false
		}
	}
	hdr := j + h + len("PRIVATE KEY-----")
	end := len(s)
	if e := strings.Index(s[hdr:], "-----END"); e >= 0 {
		end = hdr + e
		if f := strings.Index(s[end+8:], "-----"); f >= 0 && f < 64 {
			end += 8 + f + 5
		}
	}
	return at, end, hdr - at, true
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// matchJWT wants header.payload.signature with a JSON payload (eyJ) and
// parts long enough to be real.
func matchJWT(s string, at int, _ string) (int, int, int, bool) {
	if at > 0 && isB64URL(s[at-1]) {
		return 0, 0, 0, false
	}
	k := at
	for part := 0; part < 3; part++ {
		b := k
		for k < len(s) && isB64URL(s[k]) {
			k++
		}
		if k-b < 10 || (part == 1 && !strings.HasPrefix(s[b:], "eyJ")) {
			return 0, 0, 0, false
		}
		if part < 2 {
			if k >= len(s) || s[k] != '.' {
				return 0, 0, 0, false
			}
			k++
		}
	}
	if k < len(s) && (s[k] == '.' || s[k] == '=') {
		return 0, 0, 0, false
	}
	return at, k, 3, true
}

// assignment matches keyword, optional closing quote, spaces, a separator
// (: = ： 是 为), spaces, optional quote and an ASCII value of at least minLen
// bytes that is not trivial: two character classes, not a placeholder.
func assignment(minLen int) func(string, int, string) (int, int, int, bool) {
	return func(s string, at int, kw string) (int, int, int, bool) {
		k := at + len(kw)
		if k < len(s) && (s[k] == '"' || s[k] == '\'') {
			k++
		}
		k = skipSpaces(s, k)
		switch {
		case k < len(s) && (s[k] == ':' || s[k] == '='):
			k++
		case strings.HasPrefix(s[k:], "：") || strings.HasPrefix(s[k:], "是") || strings.HasPrefix(s[k:], "为"):
			k += 3
		default:
			return 0, 0, 0, false
		}
		k = skipSpaces(s, k)
		quote := byte(0)
		if k < len(s) && (s[k] == '"' || s[k] == '\'' || s[k] == '`') {
			quote = s[k]
			k++
		}
		b := k
		for k < len(s) && s[k] > ' ' && s[k] < 0x7f && s[k] != quote && (quote != 0 || (s[k] != '"' && s[k] != '\'')) {
			k++
		}
		for k > b && (s[k-1] == ',' || s[k-1] == ';' || s[k-1] == '.' || s[k-1] == ')') && quote == 0 {
			k--
		}
		if !nonTrivial(s[b:k], minLen) {
			return 0, 0, 0, false
		}
		return b, k, 0, true
	}
}

func nonTrivial(v string, minLen int) bool {
	if len(v) < minLen || len(v) > 256 {
		return false
	}
	switch v[0] {
	case '<', '{', '$', '%', '[', '*':
		return false // template or placeholder
	}
	low := strings.ToLower(v)
	if strings.HasPrefix(low, "http") || strings.Contains(low, "xxx") || strings.Contains(low, "***") ||
		strings.Contains(low, "password") || strings.Contains(low, "example") {
		return false
	}
	var classes [4]bool
	same := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z':
			classes[0] = true
		case c >= 'A' && c <= 'Z':
			classes[1] = true
		case c >= '0' && c <= '9':
			classes[2] = true
		default:
			classes[3] = true
		}
		if c != v[0] {
			same = false
		}
	}
	n := 0
	for _, c := range classes {
		if c {
			n++
		}
	}
	return !same && n >= 2
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// skipSpaces skips ASCII blanks and the ideographic space.
func skipSpaces(s string, k int) int {
	for k < len(s) {
		if s[k] == ' ' || s[k] == '\t' {
			k++
		} else if strings.HasPrefix(s[k:], "\u3000") {
			k += 3
		} else {
			break
		}
	}
	return k
}
