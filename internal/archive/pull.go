package archive

import (
	"context"
	"io"
	"time"

	"charter/internal/capture"
	"charter/internal/capture/wecom"
)

// PullCursor is the durable position of a WeCom archive pull for one corp
// and source, kept in the database (it implements wecom.Cursor).
type PullCursor struct {
	Store  Store
	Ctx    context.Context // wecom.Cursor carries no context
	Corp   string
	Source string
}

// Load returns the last seq archived.
func (c *PullCursor) Load() (int64, error) { return c.Store.PullCursor(c.Ctx, c.Corp, c.Source) }

// Save records seq. The sink from WeComSink already saved it in the
// transaction that archived the batch, so this write changes nothing then.
func (c *PullCursor) Save(seq int64) error {
	return c.Store.SavePullCursor(c.Ctx, c.Corp, c.Source, seq, time.Now().UTC())
}

var _ wecom.Cursor = (*PullCursor)(nil)

// WeComSink archives pulled batches. The cursor for (corp, source) is saved
// in the same transaction as the batch's last chunk, so a crash between the
// two cannot repeat or skip a batch. A rejected item is quarantined with its
// seq as the line.
func (s *Service) WeComSink(corp, source string) wecom.Sink {
	return func(ctx context.Context, lastSeq int64, batch []wecom.Item) error {
		b := Batch{Format: "wecom", Source: "wecom-pull:" + corp + "/" + source, cursor: &cursorPos{corp: corp, source: source, seq: lastSeq}}
		i := 0
		next := func() (capture.Record, error) {
			if i >= len(batch) {
				return capture.Record{}, io.EOF
			}
			rec := batch[i].Record
			rec.Line = int(batch[i].Seq)
			i++
			return rec, nil
		}
		_, err := s.ingest(ctx, b, next, nil)
		return err
	}
}
