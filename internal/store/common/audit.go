package common

import (
	"context"
	"database/sql"
	"errors"

	"charter/internal/audit"
)

// AppendAudit links e to the chain head and stores it, in one transaction
// (the caller's, when it runs in one), which serializes the chain: SQLite's
// single writer by itself, PostgreSQL through the lock chainHead takes on
// the head row.
func (s Shared) AppendAudit(ctx context.Context, e *audit.Event) error {
	return s.e.Tx(ctx, func(t Shared) error {
		seq, hash, err := t.chainHead(ctx, "audit")
		if err != nil {
			return err
		}
		audit.Seal(e, seq, hash)
		if _, err := t.exec(ctx, `INSERT INTO audit_events (seq, at, actor, action, object, summary, addr, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At, e.Actor, e.Action, e.Object, e.Summary, e.Addr, e.PrevHash, e.Hash); err != nil {
			return err
		}
		return t.setChainHead(ctx, "audit", e.Seq, e.Hash)
	})
}

// AuditHead returns the last link of the audit chain.
func (s Shared) AuditHead(ctx context.Context) (int64, string, error) {
	return s.chainHead(ctx, "audit")
}

// ArchiveHead returns the last link of the archive chain.
func (s Shared) ArchiveHead(ctx context.Context) (int64, string, error) {
	return s.chainHead(ctx, "archive")
}

// chainHead reads the head of a chain. Inside a transaction on PostgreSQL it
// locks the head row until the transaction ends, so appends to one chain are
// serialized across connections and servers.
func (s Shared) chainHead(ctx context.Context, name string) (int64, string, error) {
	var seq int64
	var hash string
	err := s.row(ctx, `SELECT seq, hash FROM chain_heads WHERE name = ?`+s.forUpdate(""), name).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

func (s Shared) setChainHead(ctx context.Context, name string, seq int64, hash string) error {
	_, err := s.exec(ctx, `INSERT INTO chain_heads (name, seq, hash) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, name, seq, hash)
	return err
}

// AuditEvents lists events newest first.
func (s Shared) AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	var w Filter
	if f.Actor != "" {
		w.Add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		w.Add("action = ?", f.Action)
	}
	if f.Object != "" {
		w.Add("object = ?", f.Object)
	}
	if !f.From.IsZero() {
		w.Add("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		w.Add("at < ?", f.To.UTC())
	}
	if f.Before > 0 {
		w.Add("seq < ?", f.Before)
	}
	return list(ctx, s, scanEvent, `SELECT `+auditCols+` FROM audit_events`+w.Where()+" ORDER BY seq DESC LIMIT ?", append(w.Args, f.Limit)...)
}

// WalkAudit calls fn on every event in chain order.
func (s Shared) WalkAudit(ctx context.Context, fn func(*audit.Event) error) error {
	return Each(ctx, s.r, `SELECT `+auditCols+` FROM audit_events ORDER BY seq`, func(sc Scanner) error {
		e, err := scanEvent(sc)
		if err != nil {
			return err
		}
		return fn(&e)
	})
}

// auditCols are the columns scanEvent reads, in its order.
const auditCols = `seq, at, actor, action, object, summary, addr, prev_hash, hash`

func scanEvent(sc Scanner) (audit.Event, error) {
	var e audit.Event
	err := sc.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Object, &e.Summary, &e.Addr, &e.PrevHash, &e.Hash)
	e.At = e.At.UTC()
	return e, err
}
