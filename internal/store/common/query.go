package common

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"charter/internal/errs"
	"charter/internal/store/sqlutil"
)

// Scanner is a row: *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Each runs a query and calls fn on every row.
func Each(ctx context.Context, q sqlutil.Querier, query string, fn func(Scanner) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// list runs a query (written with ? placeholders) on the reader and scans
// every row. An empty result is an empty slice, not nil: it goes out as
// JSON [] rather than null.
func list[T any](ctx context.Context, s Shared, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	out := []T{}
	err := Each(ctx, s.r, s.d.Rebind(query), func(sc Scanner) error {
		v, err := scan(sc)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// first is the first of vs, or an errs.NotFound made of format and args.
func first[T any](vs []T, err error, format string, args ...any) (*T, error) {
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, errs.E(errs.NotFound, format, args...)
	}
	return &vs[0], nil
}

// Filter builds a WHERE clause from optional conditions written with ?
// placeholders; the whole query is rebound once, so the numbering is right
// on PostgreSQL however many conditions apply. Args are in placeholder
// order.
type Filter struct {
	conds []string
	Args  []any
}

func (f *Filter) Add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.Args = append(f.Args, args...)
}

// Where is " WHERE c1 AND c2 ..." or nothing.
func (f *Filter) Where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// Exec runs raw SQL on the writer, as written (not rebound); for tests and
// maintenance.
func (s Shared) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.w.ExecContext(ctx, query, args...)
	return err
}

// exec runs a statement on the writer.
func (s Shared) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.w.ExecContext(ctx, s.d.Rebind(query), args...)
}

// affected runs a statement on the writer and says how many rows it changed.
func (s Shared) affected(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// insert runs an INSERT ... RETURNING id on the writer and stores the id.
// Both engines return the new row's id this way (SQLite since 3.35).
func (s Shared) insert(ctx context.Context, id *int64, query string, args ...any) error {
	return s.w.QueryRowContext(ctx, s.d.Rebind(query+` RETURNING id`), args...).Scan(id)
}

// row reads one row from the reader.
func (s Shared) row(ctx context.Context, query string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, s.d.Rebind(query), args...)
}

// forUpdate is what a read inside a transaction appends to lock the rows it
// will change: PostgreSQL runs transactions side by side, while SQLite's one
// writer already serializes them. of names the table when the query joins.
func (s Shared) forUpdate(of string) string {
	if !s.d.ForUpdate || !s.tx {
		return ""
	}
	if of == "" {
		return " FOR UPDATE"
	}
	return " FOR UPDATE OF " + of
}

// conflict turns the engine's uniqueness violation into an errs.Conflict.
func (s Shared) conflict(err error, format string, args ...any) error {
	if err != nil && s.e.IsUnique(err) {
		return errs.E(errs.Conflict, format, args...)
	}
	return err
}

// inIDs is "col IN (?, ...)" with its arguments, or on PostgreSQL
// "col = ANY(?)" with one array argument, which has no length limit.
func (s Shared) inIDs(col string, ids []int64) (string, []any) {
	if s.d.Arrays {
		return col + ` = ANY(?)`, []any{ids}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return col + ` IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`, args
}

// fen reads Dialect.SumFen: floating point on SQLite (total() never raises
// "integer overflow", which sum() does, and then every later scan of the
// sender would fail), clamped into int64; a bigint on PostgreSQL.
type fen int64

func (f *fen) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*f = 0
	case float64:
		*f = fen(ClampFen(x))
	case int64:
		*f = fen(x)
	default:
		return fmt.Errorf("sum of amounts: unexpected %T", v)
	}
	return nil
}

// NullID stores an absent id (0) as NULL.
func NullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
