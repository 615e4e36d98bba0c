package app

import (
	"context"

	"charter/internal/account"
	"charter/internal/registry"
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

// importTx runs each row of the HR directory import in one database
// transaction: the account service writes the user, the registry the user's
// platform handles, with the registry's own checks (a Matrix ID's form,
// another user's handle, an external member's) and audit events. The
// registry owns user_handles and imports account, so account cannot call
// it; moving the import into the registry would put HR's rows in the wrong
// domain; and handing account a handle writer that type-asserts its
// account.TxStore back into a registry.TxStore would hide the join in a
// cast. Here one store.DB transaction is, statically, both domains' store,
// and each domain gets the view it asks for.
func importTx(db store.DB, reg *registry.Service) func(context.Context, func(account.TxStore, account.Handles) error) error {
	return func(ctx context.Context, fn func(account.TxStore, account.Handles) error) error {
		return db.Tx(ctx, func(tx store.DB) error { return fn(tx, reg.HandlesIn(tx)) })
	}
}
