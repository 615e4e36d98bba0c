// Package extract turns attachment bytes into searchable text: OOXML
// documents, PDF (through poppler's pdftotext), plain text and HTML in UTF-8,
// UTF-16 or GB18030/GBK, and zip archives opened recursively under limits.
// It is a library with no storage and no network; a caller that parses
// untrusted files should run it in a child process through Sandbox.
//
// What a file holds is never an error: a corrupt, encrypted, oversized or
// unsupported file, or a zip bomb, yields a Result whose Skipped says what was
// left out and why. Extract returns an error only when the work itself could
// not be done: the context ended (the timeout included) or a temporary file
// could not be written.
package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Result is the text of one attachment.
type Result struct {
	// Text is every extracted segment in order, separated by newlines.
	Text string `json:"text"`
	// Parts labels the segments when the file has pages, sheets, slides or
	// archive members: "page 3", "sheet 预算", "slide 2", "a.zip/b.docx",
	// "a.zip/r.pdf page 1". A single-flow document at the top (a docx, a text
	// file) has no parts, only Text.
	Parts []Part `json:"parts,omitempty"`
	// Skipped says what was not extracted and why, one entry each, prefixed
	// with the archive path when it concerns a member.
	Skipped []string `json:"skipped,omitempty"`
}

// Part is one labelled segment of Result.Text.
type Part struct {
	Label string `json:"label"`
	Text  string `json:"text"`
}

// Limits bound the work one Extract call may do. A zero field takes its
// value from DefaultLimits.
type Limits struct {
	MaxBytes   int64         `json:"max_bytes"`   // the input, and any single archive member
	MaxText    int64         `json:"max_text"`    // bytes of text kept; the rest is cut and noted
	MaxDepth   int           `json:"max_depth"`   // archives inside archives; an OOXML file is not counted
	MaxMembers int           `json:"max_members"` // archive members visited in the whole call
	MaxTotal   int64         `json:"max_total"`   // bytes decompressed from every zip entry in the call, OOXML parts included
	MaxRatio   float64       `json:"max_ratio"`   // uncompressed/compressed size of any one zip entry
	Timeout    time.Duration `json:"timeout"`     // the whole call, converters included
}

// DefaultLimits are sized for chat attachments on a 2-core machine: legitimate
// office files stay far below MaxRatio (text XML compresses 5-30x), while a
// member of zeros deflates about 1000x.
var DefaultLimits = Limits{
	MaxBytes:   100 << 20,
	MaxText:    16 << 20,
	MaxDepth:   3,
	MaxMembers: 1000,
	MaxTotal:   512 << 20,
	MaxRatio:   200,
	Timeout:    60 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxText <= 0 {
		l.MaxText = d.MaxText
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Extract returns the text of one attachment. name and contentType are hints
// used only when the bytes do not say what they are.
func Extract(ctx context.Context, name, contentType string, data []byte, l Limits) (*Result, error) {
	l = l.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	x := &extractor{ctx: ctx, l: l, res: &Result{}}
	err := x.file("", name, contentType, data, 0)
	if errors.Is(err, errTextFull) {
		err = nil
	}
	if err != nil {
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("extract %q: timed out after %s", name, l.Timeout)
			}
			return nil, fmt.Errorf("extract %q: %w", name, ctx.Err())
		}
		return nil, fmt.Errorf("extract %q: %w", name, err)
	}
	return x.res, nil
}

// errTextFull stops the walk once MaxText bytes are kept; it is not a failure.
var errTextFull = errors.New("text limit reached")

// extractor carries the budgets shared by every file of one Extract call.
type extractor struct {
	ctx     context.Context
	l       Limits
	res     *Result
	text    int64 // bytes of text kept
	total   int64 // bytes decompressed from zip entries
	members int
}

// file extracts one file at archive path prefix (empty at the top) and
// nesting depth (archives around it).
func (x *extractor) file(prefix, name, contentType string, data []byte, depth int) error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if int64(len(data)) > x.l.MaxBytes {
		x.skip(prefix, "not extracted: %d bytes, over the %d-byte limit", len(data), x.l.MaxBytes)
		return nil
	}
	k := sniff(name, contentType, data)
	switch k.family {
	case famDocx:
		return x.docx(prefix, data)
	case famXlsx:
		return x.xlsx(prefix, data)
	case famPptx:
		return x.pptx(prefix, data)
	case famZip:
		return x.zipArchive(prefix, name, data, depth)
	case famPDF:
		return x.pdf(prefix, data)
	case famText:
		return x.add(prefix, "", decodeText(data, contentType))
	case famHTML:
		return x.add(prefix, "", stripHTML(decodeText(data, contentType)))
	case famLegacy:
		return x.legacy(prefix, name, k, data, depth)
	case famMedia:
		x.skip(prefix, "%s: OCR/keyframes not in this lane yet", k.what)
	case famEmpty:
		// nothing to say about an empty file
	default:
		x.skip(prefix, "not extracted: %s", k.what)
	}
	return nil
}

// add appends one segment; label is the segment's own label ("page 3") and
// prefix its archive path. It returns errTextFull once MaxText is reached.
func (x *extractor) add(prefix, label, text string) error {
	if text == "" {
		return nil
	}
	room := x.l.MaxText - x.text
	full := false
	if int64(len(text)) > room {
		text = cutUTF8(text, int(room))
		full = true
	}
	x.text += int64(len(text))
	if x.res.Text != "" {
		x.res.Text += "\n"
	}
	x.res.Text += text
	if l := joinLabel(prefix, label); l != "" {
		x.res.Parts = append(x.res.Parts, Part{Label: l, Text: text})
	}
	if full {
		x.res.Skipped = append(x.res.Skipped, fmt.Sprintf("text cut at the %d-byte limit; the rest not extracted", x.l.MaxText))
		return errTextFull
	}
	return nil
}

func (x *extractor) skip(prefix, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if prefix != "" {
		msg = prefix + ": " + msg
	}
	x.res.Skipped = append(x.res.Skipped, msg)
}

func joinLabel(prefix, label string) string {
	switch {
	case prefix == "":
		return label
	case label == "":
		return prefix
	}
	return prefix + " " + label
}

// cutUTF8 returns at most n bytes of s without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// textBuf collects streamed text up to a cap, so a huge XML part never
// builds more than the remaining text budget in memory.
type textBuf struct {
	b    strings.Builder
	max  int64
	full bool
}

func (t *textBuf) WriteString(s string) {
	if t.full {
		return
	}
	if int64(t.b.Len()+len(s)) > t.max {
		s = cutUTF8(s, int(t.max)-t.b.Len())
		t.full = true
	}
	t.b.WriteString(s)
}

func (x *extractor) newBuf() *textBuf {
	// One byte over the room lets add see that the limit was reached.
	return &textBuf{max: x.l.MaxText - x.text + 1}
}
