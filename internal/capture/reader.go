package capture

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"charter/internal/errs"
)

// Record is one result of a Reader: a message, or the reason a source record
// was rejected. Line is the 1-based line where the record starts (for JSON
// array formats, the line where the element starts). Raw keeps the bytes of a
// rejected record for quarantine.
type Record struct {
	Line int
	Msg  *Message
	Err  error
	Raw  []byte
}

// Reader streams records. Next returns io.EOF at the end; any other error is
// an I/O failure of the underlying reader. A bad record is a Record with Err,
// never an error from Next.
type Reader interface {
	Next() (Record, error)
}

// MaxLine is the longest line (or JSON element) a reader accepts.
const MaxLine = 16 << 20

// Options adjust how an export is read.
type Options struct {
	// Room, when set, is the RoomID of every message of a personal-WeChat
	// export (the CLI knows which registered group a file belongs to).
	// WeChatMsg CSV does not carry the conversation's wxid, so it needs Room.
	Room string
	// Self, when set, is the sender handle of messages the exporting account
	// sent (exports write "我" or leave it out).
	Self string
}

// Formats lists the names Open accepts.
func Formats() []string {
	return []string{"ndjson", "wecom", "pywxdump", "pywxdump-csv", "pywxdump-json", "wechatmsg", "chatlog", "matrix"}
}

// Open returns the reader for a format; "pywxdump" sniffs CSV or JSON.
func Open(format string, r io.Reader, opts Options) (Reader, error) {
	switch format {
	case "ndjson":
		return NewNDJSON(r), nil
	case "wecom":
		return NewWeCom(r), nil
	case "pywxdump":
		br := bufio.NewReaderSize(r, 64<<10)
		if firstByte(br) == '[' || firstByte(br) == '{' {
			return NewPyWxDumpJSONOpts(br, opts), nil
		}
		return NewPyWxDumpCSVOpts(br, opts), nil
	case "pywxdump-csv":
		return NewPyWxDumpCSVOpts(r, opts), nil
	case "pywxdump-json":
		return NewPyWxDumpJSONOpts(r, opts), nil
	case "wechatmsg":
		return NewWeChatMsgCSVOpts(r, opts), nil
	case "chatlog":
		return NewChatlogJSONOpts(r, opts), nil
	case "matrix":
		return NewMatrix(r), nil
	}
	return nil, errs.Field("format", "unknown format %q (known: %s)", format, strings.Join(Formats(), ", "))
}

// firstByte peeks the first byte that is not white space or a UTF-8 BOM.
func firstByte(br *bufio.Reader) byte {
	for n := 1; n <= 4096; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			return 0
		}
		c := b[n-1]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case n <= 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), b[:n]):
		default:
			return c
		}
		if err != nil {
			return 0
		}
	}
	return 0
}

// CountingReader counts the bytes read through it, for a progress bar. N is
// safe to call from another goroutine.
type CountingReader struct {
	r io.Reader
	n atomic.Int64
}

// NewCountingReader wraps r.
func NewCountingReader(r io.Reader) *CountingReader { return &CountingReader{r: r} }

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N is the number of bytes consumed so far.
func (c *CountingReader) N() int64 { return c.n.Load() }

// lineReader yields lines of any length up to MaxLine; longer lines are
// skipped whole and reported.
type lineReader struct {
	br   *bufio.Reader
	line int
	buf  []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its line ending. tooLong reports a line
// over MaxLine (its bytes are dropped, but the first 4 KiB are kept).
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(chunk) > MaxLine {
				tooLong = true
				l.buf = append(l.buf, chunk...)
				l.buf = l.buf[:4096]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		if err != nil && len(l.buf) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		l.line++
		out := bytes.TrimRight(l.buf, "\r\n")
		if l.line == 1 {
			out = bytes.TrimPrefix(out, []byte("\xef\xbb\xbf"))
		}
		return out, tooLong, nil
	}
}

func tooLongErr() error {
	return errs.E(errs.TooLarge, "line longer than %d bytes", MaxLine)
}

// recorder keeps the bytes read through it since a mark, so a reader that
// buffers ahead (encoding/csv, encoding/json) can still hand back the exact
// bytes of one record via the decoder's InputOffset.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // offset of buf[0] in the stream
	err  error // the first error other than io.EOF, which decoders may hide
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

// slice returns a copy of stream bytes [from, to) and forgets everything
// before to.
func (r *recorder) slice(from, to int64) []byte {
	var out []byte
	if from < r.base {
		from = r.base
	}
	if to > r.base+int64(len(r.buf)) {
		to = r.base + int64(len(r.buf))
	}
	if from < to {
		n := to - from
		if n > MaxLine {
			n = MaxLine
		}
		out = append([]byte(nil), r.buf[from-r.base:from-r.base+n]...)
	}
	if to > r.base {
		drop := to - r.base
		r.buf = append(r.buf[:0], r.buf[drop:]...)
		r.base = to
	}
	return out
}

// hashID is the SourceID of a record whose format carries no server message
// id: stable across re-imports of the same export, so re-importing dedupes.
// Two identical messages from one sender in the same second collapse into
// one; that is the price of having no id.
func hashID(talker string, at time.Time, sender, content string) string {
	h := sha256.New()
	for _, s := range []string{talker, strconv.FormatInt(at.Unix(), 10), sender, content} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// SingleRoomID names a 1:1 conversation by its two participants, sorted, so
// both directions share one room.
func SingleRoomID(a, b string) string {
	if b == "" || a == b {
		return "single:" + a
	}
	p := []string{a, b}
	sort.Strings(p)
	return "single:" + p[0] + ":" + p[1]
}

// joinText joins the non-empty parts with newlines.
func joinText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String()
}

// validUTF8 replaces invalid bytes, since JSON cannot carry them faithfully.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// jsonObjectOf renders header/value pairs as a JSON object in header order:
// the Raw of a CSV row.
func jsonObjectOf(keys, values []string) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(validUTF8(k))
		b.Write(kb)
		b.WriteByte(':')
		v := ""
		if i < len(values) {
			v = values[i]
		}
		vb, _ := json.Marshal(validUTF8(v))
		b.Write(vb)
	}
	// Extra fields beyond the header are kept under numbered keys.
	for i := len(keys); i < len(values); i++ {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal("_" + strconv.Itoa(i))
		b.Write(kb)
		b.WriteByte(':')
		vb, _ := json.Marshal(validUTF8(values[i]))
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// reject builds a rejected record.
func reject(line int, raw []byte, err error) Record {
	return Record{Line: line, Err: err, Raw: raw}
}

// accept validates m and builds the record.
func accept(line int, raw []byte, m *Message) Record {
	if err := m.Validate(); err != nil {
		return Record{Line: line, Err: err, Raw: raw}
	}
	return Record{Line: line, Msg: m}
}
