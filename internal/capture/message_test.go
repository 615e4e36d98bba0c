package capture

import (
	"errors"
	"strings"
	"testing"
	"time"

	"charter/internal/errs"
)

func TestAttachmentValidation(t *testing.T) {
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tc := range []struct {
		name  string
		att   Attachment
		field string // "" when valid
	}{
		{"NameOnly", Attachment{Name: "a.pdf"}, ""},
		{"WithHashAndType", Attachment{Name: "a.pdf", Size: 4, SHA256: sha, ContentType: "application/pdf"}, ""},
		{"UppercaseHash", Attachment{SHA256: strings.ToUpper(sha)}, "attachments.sha256"},
		{"ShortHash", Attachment{SHA256: sha[:40]}, "attachments.sha256"},
		{"PathInHash", Attachment{SHA256: "../../" + sha[6:]}, "attachments.sha256"},
		{"LongContentType", Attachment{SHA256: sha, ContentType: strings.Repeat("x", 256)}, "attachments.content_type"},
		{"ContentTypeNotUTF8", Attachment{ContentType: "\xff"}, "attachments"},
		{"WeComFileReference", Attachment{Name: "a.xls", SourceRef: "wecom:" + strings.Repeat("Co", 500)}, ""},
		{"ReferenceTooLong", Attachment{SourceRef: strings.Repeat("x", 4097)}, "attachments.source_ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Message{Platform: "wecom", SourceID: "m1", RoomID: "r", Sender: "s", SentAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Kind: KindFile, Attachments: []Attachment{tc.att}}
			err := m.Validate()
			var e *errs.Error
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field):
				t.Fatalf("err %v, want one naming %s", err, tc.field)
			}
		})
	}
}
