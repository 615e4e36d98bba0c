package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"charter/internal/audit"
)

// AppendAudit links e to the chain head and stores it. Callers run it in a
// transaction; the lock on the chain head serializes appends.
func (d *DB) AppendAudit(ctx context.Context, e *audit.Event) error {
	return d.Tx(ctx, func(d *DB) error {
		seq, hash, err := d.chainHead(ctx, "audit")
		if err != nil {
			return err
		}
		audit.Seal(e, seq, hash)
		if _, err := d.w().ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor, action, object, summary, addr, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Seq, e.At, e.Actor, e.Action, e.Object, e.Summary, e.Addr, e.PrevHash, e.Hash); err != nil {
			return err
		}
		return d.setChainHead(ctx, "audit", e.Seq, e.Hash)
	})
}

// AuditHead returns the last link of the audit chain.
func (d *DB) AuditHead(ctx context.Context) (int64, string, error) { return d.chainHead(ctx, "audit") }

// AuditEvents lists events newest first.
func (d *DB) AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.Object != "" {
		add("object = $%d", f.Object)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To.UTC())
	}
	if f.Before > 0 {
		add("seq < $%d", f.Before)
	}
	q := `SELECT ` + auditCols + ` FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	return d.scanAudit(ctx, q, args...)
}

// WalkAudit calls fn on every event in chain order.
func (d *DB) WalkAudit(ctx context.Context, fn func(*audit.Event) error) error {
	rows, err := d.r().QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (d *DB) scanAudit(ctx context.Context, q string, args ...any) ([]audit.Event, error) {
	rows, err := d.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// auditCols are the columns scanEvent reads, in its order.
const auditCols = `seq, at, actor, action, object, summary, addr, prev_hash, hash`

func scanEvent(rows *sql.Rows) (*audit.Event, error) {
	var e audit.Event
	if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Object, &e.Summary, &e.Addr, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At = e.At.UTC()
	return &e, nil
}
