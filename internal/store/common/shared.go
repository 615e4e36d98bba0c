package common

import (
	"context"

	"charter/internal/archive"
	"charter/internal/store/sqlutil"
)

// Shared is the storage both engines run unchanged. Each engine's DB embeds
// one, made with the connection it writes to and the one it reads from (a
// transaction for both inside one), so these methods are the engine's own.
type Shared struct {
	w, r sqlutil.Querier
	tx   bool // w and r are one transaction
	d    Dialect
	e    Engine
}

// Engine is what an engine lends the shared code beyond its connections.
type Engine struct {
	// Tx runs fn in one of the engine's transactions (joining one already
	// under way), with the Shared bound to it.
	Tx func(ctx context.Context, fn func(Shared) error) error
	// InsertMessages writes ms after the archive chain link (seq, hash),
	// sealing each, marking duplicates and indexing the text for search,
	// and returns the new link. Called only inside Tx.
	InsertMessages func(ctx context.Context, ms []*archive.Stored, seq int64, hash string) (int64, string, error)
	// IsUnique reports whether err is the driver's uniqueness violation.
	IsUnique func(error) bool
}

// NewShared binds the shared methods to a writer, a reader, a dialect and
// what else the engine lends.
func NewShared(w, r sqlutil.Querier, d Dialect, e Engine) Shared {
	return Shared{w: w, r: r, d: d, e: e}
}

// NewSharedTx binds the shared methods to one transaction.
func NewSharedTx(tx sqlutil.Querier, d Dialect, e Engine) Shared {
	return Shared{w: tx, r: tx, tx: true, d: d, e: e}
}
