package extract

import (
	"bytes"
	"html"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// decodeText returns b as UTF-8. A BOM decides first, then a charset named by
// the content type, then valid UTF-8; anything else is read as GB18030, the
// superset of GBK that Chinese Windows writes, which is the likeliest legacy
// encoding in this archive's chats.
func decodeText(b []byte, contentType string) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")):
		return string(b[3:])
	case bytes.HasPrefix(b, []byte("\xFF\xFE")):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), b)
	case bytes.HasPrefix(b, []byte("\xFE\xFF")):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), b)
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		if enc, err := htmlindex.Get(params["charset"]); err == nil {
			if s := decodeWith(enc, b); s != "" {
				return s
			}
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return decodeWith(simplifiedchinese.GB18030, b)
}

func decodeWith(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return ""
	}
	return string(out)
}

// stripHTML keeps the text of an HTML page: tags, comments, script and style
// are dropped, block elements end a line, entities are decoded. A small state
// machine is enough for search text and avoids a parser dependency.
func stripHTML(s string) string {
	var out strings.Builder
	var text strings.Builder
	flush := func() {
		out.WriteString(html.UnescapeString(text.String()))
		text.Reset()
	}
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			text.WriteString(s)
			break
		}
		text.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			break
		}
		tag := strings.ToLower(tagName(s[1:end]))
		s = s[end+1:]
		switch tag {
		case "script", "style", "noscript", "template":
			close := strings.Index(strings.ToLower(s), "</"+tag)
			if close < 0 {
				s = ""
				continue
			}
			s = s[close:]
		case "br", "p", "/p", "div", "/div", "li", "tr", "/tr", "h1", "h2", "h3", "h4", "h5", "h6",
			"/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "table", "/table", "title", "/title":
			text.WriteByte('\n')
		case "td", "th":
			text.WriteByte('\t')
		}
	}
	flush()
	return collapseBlankLines(out.String())
}

func tagName(t string) string {
	end := strings.IndexAny(t, " \t\r\n/>")
	if strings.HasPrefix(t, "/") {
		rest := t[1:]
		e := strings.IndexAny(rest, " \t\r\n>")
		if e < 0 {
			return t
		}
		return "/" + rest[:e]
	}
	if end < 0 {
		return t
	}
	return t[:end]
}

// collapseBlankLines trims each line and drops the empty ones that block
// elements leave.
func collapseBlankLines(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(line)
		}
	}
	return b.String()
}
