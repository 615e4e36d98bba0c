package app

import (
	"context"

	"charter/internal/review"
	"charter/internal/store"
)

// The composition root joins domains that do not import each other: these
// adapters answer one domain's questions from another's storage.

// archiveContext reads the messages around an alert for review, which
// does not import the archive.
type archiveContext struct{ db store.DB }

func (a archiveContext) MessagesAround(ctx context.Context, groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]review.ContextMessage, error) {
	ms, err := a.db.MessagesAround(ctx, groupID, platform, roomID, sourceIDs, radius)
	if err != nil {
		return nil, err
	}
	out := make([]review.ContextMessage, len(ms))
	for i, m := range ms {
		out[i] = review.ContextMessage{ArchiveID: m.ID, Message: m.Message}
	}
	return out, nil
}
