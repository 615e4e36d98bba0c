package extract

import (
	"archive/zip"
	"bytes"
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

type family int

const (
	famUnknown family = iota
	famEmpty
	famText
	famHTML
	famPDF
	famDocx
	famXlsx
	famPptx
	famZip
	famLegacy // converted by LibreOffice when installed
	famMedia
)

// kind is what sniff decided: the family, a short description for Skipped
// and, for legacy formats, the OOXML extension LibreOffice converts to.
type kind struct {
	family family
	what   string
	target string
}

// sniff decides from the bytes first and falls back on the extension and the
// content type only where the bytes say nothing (text, or an OLE2 container
// whose format the name tells).
func sniff(name, contentType string, data []byte) kind {
	ext := strings.ToLower(path.Ext(name))
	ct, _, _ := mime.ParseMediaType(contentType)
	switch {
	case len(data) == 0:
		return kind{family: famEmpty}
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return kind{family: famPDF}
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return sniffZip(data, ext)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return legacyKind(ext, ct)
	case bytes.HasPrefix(data, []byte("\xFF\xFE")), bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return kind{family: famText} // a UTF-16 BOM, before MP3's frame sync can claim it
	case bytes.HasPrefix(data, []byte("{\\rtf")):
		return kind{family: famLegacy, what: "RTF", target: "docx"}
	}
	if m := sniffMedia(data); m != "" {
		return kind{family: famMedia, what: m}
	}
	for _, a := range []struct{ magic, what string }{
		{"\x1F\x8B", "gzip archive"},
		{"7z\xBC\xAF\x27\x1C", "7z archive"},
		{"Rar!\x1A\x07", "RAR archive"},
		{"\x7FELF", "executable"},
		{"MZ", "Windows executable"},
	} {
		if bytes.HasPrefix(data, []byte(a.magic)) {
			return kind{what: a.what + " not supported"}
		}
	}
	if !looksText(data) {
		if k := legacyKind(ext, ct); k.family == famLegacy && k.what != "OLE2 file" {
			return k // e.g. a WPS file without the OLE2 header
		}
		return kind{what: "unrecognised binary format"}
	}
	if ext == ".html" || ext == ".htm" || ext == ".xhtml" || ct == "text/html" || ct == "application/xhtml+xml" || looksHTML(data) {
		return kind{family: famHTML}
	}
	return kind{family: famText}
}

// sniffZip tells an OOXML document from a plain archive by the parts it holds.
func sniffZip(data []byte, ext string) kind {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return kind{family: famZip} // zipArchive reports the damage
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml", "xl/workbook.xml", "ppt/presentation.xml", "mimetype":
			has[f.Name] = true
		}
	}
	switch {
	case has["word/document.xml"]:
		return kind{family: famDocx}
	case has["xl/workbook.xml"]:
		return kind{family: famXlsx}
	case has["ppt/presentation.xml"]:
		return kind{family: famPptx}
	case has["mimetype"] && (ext == ".odt" || ext == ".ott"):
		return kind{family: famLegacy, what: "OpenDocument text", target: "docx"}
	case has["mimetype"] && (ext == ".ods" || ext == ".ots"):
		return kind{family: famLegacy, what: "OpenDocument spreadsheet", target: "xlsx"}
	case has["mimetype"] && (ext == ".odp" || ext == ".otp"):
		return kind{family: famLegacy, what: "OpenDocument presentation", target: "pptx"}
	}
	return kind{family: famZip}
}

// legacyKind names an OLE2 (or WPS) file by its extension or content type,
// since the container alone does not say whether it is Word, Excel or PowerPoint.
func legacyKind(ext, ct string) kind {
	switch {
	case ext == ".doc" || ext == ".dot" || ct == "application/msword":
		return kind{family: famLegacy, what: "legacy .doc", target: "docx"}
	case ext == ".xls" || ext == ".xlt" || ct == "application/vnd.ms-excel":
		return kind{family: famLegacy, what: "legacy .xls", target: "xlsx"}
	case ext == ".ppt" || ext == ".pps" || ext == ".pot" || ct == "application/vnd.ms-powerpoint":
		return kind{family: famLegacy, what: "legacy .ppt", target: "pptx"}
	case ext == ".wps" || ext == ".wpt" || ct == "application/kswps" || ct == "application/vnd.ms-works":
		return kind{family: famLegacy, what: "WPS document", target: "docx"}
	case ext == ".et" || ext == ".ett":
		return kind{family: famLegacy, what: "WPS spreadsheet", target: "xlsx"}
	case ext == ".dps" || ext == ".dpt":
		return kind{family: famLegacy, what: "WPS presentation", target: "pptx"}
	}
	// An unnamed OLE2 file is most often a Word document; LibreOffice detects
	// the real format itself, so converting to docx is only a first guess.
	return kind{family: famLegacy, what: "OLE2 file", target: "docx"}
}

// sniffMedia names images, audio and video, including the AMR and SILK voice
// notes that WeChat and WeCom send.
func sniffMedia(b []byte) string {
	has := func(off int, magic string) bool {
		return len(b) >= off+len(magic) && string(b[off:off+len(magic)]) == magic
	}
	switch {
	case has(0, "\x89PNG\r\n\x1A\n"), has(0, "\xFF\xD8\xFF"), has(0, "GIF87a"), has(0, "GIF89a"),
		has(0, "BM"), has(0, "II*\x00"), has(0, "MM\x00*"), has(0, "RIFF") && has(8, "WEBP"):
		return "image"
	case has(4, "ftypheic"), has(4, "ftypheix"), has(4, "ftypmif1"), has(4, "ftypavif"):
		return "image"
	case has(0, "ID3"), has(0, "OggS"), has(0, "fLaC"), has(0, "#!AMR"), has(0, "#!SILK"), has(0, "\x02#!SILK"),
		has(0, "RIFF") && has(8, "WAVE"), has(4, "ftypM4A"), len(b) > 1 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		return "audio"
	case has(4, "ftyp"), has(0, "\x1A\x45\xDF\xA3"), has(0, "RIFF") && has(8, "AVI "), has(0, "FLV"):
		return "video"
	}
	return ""
}

// looksText accepts bytes without NULs (UTF-16 with a BOM aside) that decode
// as UTF-8 or plausibly as GB18030.
func looksText(b []byte) bool {
	if bytes.HasPrefix(b, []byte("\xFF\xFE")) || bytes.HasPrefix(b, []byte("\xFE\xFF")) {
		return true
	}
	head := b
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1B {
			ctl++
		}
	}
	return ctl*100 <= len(head) // at most 1 % control bytes
}

func looksHTML(b []byte) bool {
	head := b
	if len(head) > 512 {
		head = head[:512]
	}
	s := strings.ToLower(strings.TrimLeft(strings.TrimPrefix(string(head), "\uFEFF"), " \t\r\n"))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html")
}
