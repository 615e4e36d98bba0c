package cli

import (
	"context"
	"time"

	"charter/internal/review"
	"charter/internal/store"
)

// The composition root joins domains that do not import each other: these
// adapters answer one domain's questions from another's storage.

// alertFigures counts a group's alerts first seen in [from, to) by category
// and disposition (or status while unresolved), for periodic reports.
func alertFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
		out := map[string]map[string]int{}
		f := review.AlertFilter{GroupID: groupID, Limit: 500}
		for {
			as, err := db.Alerts(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				if a.FirstSeen.Before(from) || !a.FirstSeen.Before(to) {
					continue
				}
				key := a.Status
				if a.Disposition != "" {
					key = a.Disposition
				}
				if out[a.Category] == nil {
					out[a.Category] = map[string]int{}
				}
				out[a.Category][key]++
			}
			if len(as) < f.Limit {
				return out, nil
			}
			f.Before = as[len(as)-1].ID
		}
	}
}

// archiveContext reads the messages around an alert for review.
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

// messageFigures and transferFigures give periodic reports their numbers.
func messageFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
		return db.GroupMessageStats(ctx, groupID, from, to)
	}
}

func transferFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
		return db.GroupTransferStats(ctx, groupID, from, to)
	}
}
