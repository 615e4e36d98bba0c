package common

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"charter/internal/archive"
	"charter/internal/attachment"
	"charter/internal/errs"
)

// queueAttachments puts each attachment a new message names by hash in the
// lane, in the transaction that archives the message.
func (s Shared) queueAttachments(ctx context.Context, ms []*archive.Stored) error {
	for _, m := range ms {
		if m.Duplicate {
			continue
		}
		for _, a := range m.Attachments {
			if a.SHA256 == "" && a.SourceRef == "" {
				continue
			}
			if _, err := s.exec(ctx, `INSERT INTO attachment_scans (sha256, message_id, name, content_type, source_ref, queued_at, next_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256, message_id, name) DO NOTHING`,
				a.SHA256, m.ID, a.Name, a.ContentType, a.SourceRef, m.CapturedAt, m.CapturedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s Shared) DueAttachmentScans(ctx context.Context, now time.Time, limit int) ([]attachment.Scan, error) {
	return list(ctx, s, func(sc Scanner) (attachment.Scan, error) {
		var x attachment.Scan
		return x, sc.Scan(&x.ID, &x.SHA256, &x.MessageID, &x.Name, &x.ContentType, &x.SourceRef, &x.Attempts)
	}, `SELECT id, sha256, message_id, name, content_type, source_ref, attempts FROM attachment_scans WHERE next_at <= ? ORDER BY next_at, id LIMIT ?`, now, limit)
}

func (s Shared) AttachmentText(ctx context.Context, sha256 string) (*attachment.Text, error) {
	t := attachment.Text{SHA256: sha256}
	var parts, skipped string
	err := s.row(ctx, `SELECT parts, skipped, extracted_at FROM attachment_texts WHERE sha256 = ?`, sha256).Scan(&parts, &skipped, &t.ExtractedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "attachment %s not read yet", sha256)
	} else if err != nil {
		return nil, err
	}
	t.ExtractedAt = t.ExtractedAt.UTC()
	if err := json.Unmarshal([]byte(parts), &t.Parts); err != nil {
		return nil, err
	}
	return &t, json.Unmarshal([]byte(skipped), &t.Skipped)
}

func (s Shared) SaveAttachmentText(ctx context.Context, t *attachment.Text) error {
	parts, _ := json.Marshal(t.Parts)
	skipped, _ := json.Marshal(append([]string{}, t.Skipped...))
	_, err := s.exec(ctx, `INSERT INTO attachment_texts (sha256, parts, skipped, extracted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, t.SHA256, string(parts), string(skipped), t.ExtractedAt.UTC())
	return err
}

func (s Shared) FinishAttachmentScan(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, `DELETE FROM attachment_scans WHERE id = ?`, id)
	return err
}

func (s Shared) DelayAttachmentScan(ctx context.Context, id int64, next time.Time, attempts int, reason string) error {
	_, err := s.exec(ctx, `UPDATE attachment_scans SET next_at = ?, attempts = ?, reason = ? WHERE id = ?`, next.UTC(), attempts, reason, id)
	return err
}

func (s Shared) FetchedAttachmentScan(ctx context.Context, id int64, sha256 string) error {
	_, err := s.exec(ctx, `UPDATE attachment_scans SET sha256 = ? WHERE id = ?`, sha256, id)
	return err
}
