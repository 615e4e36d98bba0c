package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// errBomb marks a zip entry refused by the size, ratio or total limits.
type errBomb struct{ reason string }

func (e *errBomb) Error() string { return "refused as a possible zip bomb: " + e.reason }

// openEntry returns a reader of f's decompressed bytes that enforces the
// limits twice: on the sizes the headers declare, before anything is
// inflated, and on the bytes actually produced, because headers can lie. It
// inflates the raw stream itself rather than through f.Open so that the
// counting, not archive/zip's own size check, decides what a bomb is.
func (x *extractor) openEntry(f *zip.File) (io.Reader, error) {
	if f.Flags&0x1 != 0 {
		return nil, errors.New("encrypted")
	}
	declared, packed := f.UncompressedSize64, f.CompressedSize64
	room := x.l.MaxTotal - x.total
	switch {
	case declared > uint64(room):
		return nil, &errBomb{fmt.Sprintf("declares %d bytes, over the %d left of the %d-byte total", declared, room, x.l.MaxTotal)}
	case declared > 0 && packed == 0, packed > 0 && float64(declared)/float64(packed) > x.l.MaxRatio:
		return nil, &errBomb{fmt.Sprintf("declares %d bytes from %d compressed, over the %.0f:1 ratio", declared, packed, x.l.MaxRatio)}
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	var r io.Reader
	switch f.Method {
	case zip.Store:
		r = raw
	case zip.Deflate:
		r = flate.NewReader(raw)
	default:
		return nil, fmt.Errorf("compression method %d not supported", f.Method)
	}
	return &entryReader{x: x, r: r, left: int64(declared), want: f.CRC32, crc: crc32.NewIEEE()}, nil
}

// entryReader counts every decompressed byte against the entry's declared
// size and the call's total.
type entryReader struct {
	x    *extractor
	r    io.Reader
	left int64 // bytes the header still allows
	want uint32
	crc  interface {
		io.Writer
		Sum32() uint32
	}
}

func (e *entryReader) Read(p []byte) (int, error) {
	if err := e.x.ctx.Err(); err != nil {
		return 0, err
	}
	// Ask for one byte past what is allowed, so an entry that expands past
	// its declared size is caught without inflating more than that byte.
	if int64(len(p)) > e.left+1 {
		p = p[:e.left+1]
	}
	n, err := e.r.Read(p)
	if int64(n) > e.left {
		return 0, &errBomb{"expands past its declared size"}
	}
	e.left -= int64(n)
	e.x.total += int64(n)
	e.crc.Write(p[:n])
	if err == io.EOF {
		if e.left != 0 {
			return n, errors.New("shorter than its declared size")
		}
		if e.crc.Sum32() != e.want {
			return n, errors.New("checksum mismatch")
		}
	}
	return n, err
}

// readEntry reads a whole entry into memory; its size is bounded by the
// checks in openEntry.
func (x *extractor) readEntry(f *zip.File) ([]byte, error) {
	r, err := x.openEntry(f)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, int(min(f.UncompressedSize64, 1<<20))))
	if _, err := io.Copy(buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipArchive extracts every member of a plain zip archive, recursing into
// archives up to MaxDepth.
func (x *extractor) zipArchive(prefix, name string, data []byte, depth int) error {
	if depth >= x.l.MaxDepth {
		x.skip(prefix, "archive not opened: nested deeper than %d archives", x.l.MaxDepth)
		return nil
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		x.skip(prefix, "zip not read: %v", err)
		return nil
	}
	base := prefix
	if base == "" {
		base = path.Base(name)
		if base == "." || base == "/" {
			base = "archive"
		}
	}
	for i, f := range zr.File {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		member := memberName(f)
		if strings.HasSuffix(member, "/") || strings.HasPrefix(member, "__MACOSX/") {
			continue
		}
		if x.members >= x.l.MaxMembers {
			x.skip(base, "%d more members not opened: over the %d-member limit", countFiles(zr.File[i:]), x.l.MaxMembers)
			return nil
		}
		x.members++
		mp := base + "/" + member
		if f.UncompressedSize64 > uint64(x.l.MaxBytes) {
			x.skip(mp, "not extracted: declares %d bytes, over the %d-byte limit", f.UncompressedSize64, x.l.MaxBytes)
			continue
		}
		b, err := x.readEntry(f)
		if err != nil {
			if x.ctx.Err() != nil {
				return x.ctx.Err()
			}
			x.skip(mp, "not extracted: %v", err)
			continue
		}
		if err := x.file(mp, member, "", b, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func countFiles(fs []*zip.File) int {
	n := 0
	for _, f := range fs {
		if !strings.HasSuffix(f.Name, "/") {
			n++
		}
	}
	return n
}

// memberName decodes a member name written without the UTF-8 flag by a
// Chinese Windows archiver, which stores names in GBK.
func memberName(f *zip.File) string {
	if utf8.ValidString(f.Name) {
		return f.Name
	}
	if s, err := simplifiedchinese.GB18030.NewDecoder().String(f.Name); err == nil {
		return s
	}
	return strings.ToValidUTF8(f.Name, "?")
}
