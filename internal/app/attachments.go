package app

import (
	"context"
	"os"

	"charter/internal/attachment"
	"charter/internal/config"
	"charter/internal/extract"
)

// ExtractChild is the hidden command the attachment lane starts Charter
// with to read one untrusted file in a child process under limits.
const ExtractChild = "extract-child"

// newAttachmentLane makes the lane that reads attachments' text, each file
// in a child process (this program again, under memory and CPU limits),
// and runs the detectors on it through the pipeline.
func (a *App) newAttachmentLane(cfg *config.Config) *attachment.Lane {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	box := extract.Sandbox{Exe: exe, Args: []string{ExtractChild}}
	limits := extract.DefaultLimits
	limits.MaxBytes = cfg.MaxAttachment
	return &attachment.Lane{Store: a.DB, Blobs: a.Blobs, Scan: a.Pipeline.ScanAttachment, Workers: int(cfg.ExtractWorkers),
		MaxBytes: cfg.MaxAttachment, Metrics: a.Metrics, Log: a.Log, Now: a.Now,
		Extract: func(ctx context.Context, name, contentType string, data []byte) (*attachment.Text, error) {
			r, err := box.Extract(ctx, name, contentType, data, limits)
			if err != nil {
				return nil, err
			}
			t := &attachment.Text{Skipped: r.Skipped}
			for _, p := range r.Parts {
				t.Parts = append(t.Parts, attachment.Part{Label: p.Label, Text: p.Text})
			}
			if len(t.Parts) == 0 {
				t.Parts = []attachment.Part{{Text: r.Text}}
			}
			return t, nil
		}}
}
