package common

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"charter/internal/errs"
	"charter/internal/matrix"
)

// SaveMatrixAppService keeps the one registration, replacing an older one.
func (s Shared) SaveMatrixAppService(ctx context.Context, a *matrix.AppService) error {
	_, err := s.exec(ctx, `INSERT INTO matrix_appservice (id, homeserver_url, server_name, as_token, hs_token_hash, created_at)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET homeserver_url = excluded.homeserver_url,
		server_name = excluded.server_name, as_token = excluded.as_token, hs_token_hash = excluded.hs_token_hash,
		created_at = excluded.created_at`, a.HomeserverURL, a.ServerName, a.ASToken, a.HSTokenHash, a.CreatedAt.UTC())
	return err
}

func (s Shared) MatrixAppService(ctx context.Context) (*matrix.AppService, error) {
	var a matrix.AppService
	err := s.row(ctx, `SELECT homeserver_url, server_name, as_token, hs_token_hash, created_at FROM matrix_appservice WHERE id = 1`).
		Scan(&a.HomeserverURL, &a.ServerName, &a.ASToken, &a.HSTokenHash, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "Charter is not registered with a Matrix homeserver (charter matrix register)")
	}
	return &a, err
}

func (s Shared) MatrixTransactionSeen(ctx context.Context, txnID string) (bool, error) {
	var n int
	err := s.row(ctx, `SELECT COUNT(*) FROM matrix_transactions WHERE txn_id = ?`, txnID).Scan(&n)
	return n > 0, err
}

func (s Shared) RecordMatrixTransaction(ctx context.Context, txnID string, events int, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO matrix_transactions (txn_id, events, received_at) VALUES (?, ?, ?)
		ON CONFLICT (txn_id) DO NOTHING`, txnID, events, at.UTC())
	return err
}

func (s Shared) MatrixEnforcement(ctx context.Context) (*matrix.Enforcement, error) {
	var e matrix.Enforcement
	var secs int64
	err := s.row(ctx, `SELECT notice, close_after, admin_token, updated_by, updated_at FROM matrix_enforcement WHERE id = 1`).
		Scan(&e.Notice, &secs, &e.AdminToken, &e.UpdatedBy, &e.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return &matrix.Enforcement{}, nil
	}
	e.CloseAfter, e.UpdatedAt = time.Duration(secs)*time.Second, e.UpdatedAt.UTC()
	return &e, err
}

func (s Shared) SaveMatrixEnforcement(ctx context.Context, e *matrix.Enforcement) error {
	_, err := s.exec(ctx, `INSERT INTO matrix_enforcement (id, notice, close_after, admin_token, updated_by, updated_at)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET notice = excluded.notice, close_after = excluded.close_after,
		admin_token = excluded.admin_token, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		e.Notice, int64(e.CloseAfter/time.Second), e.AdminToken, e.UpdatedBy, e.UpdatedAt.UTC())
	return err
}

// MatrixBackfillsDue are the Matrix rooms bound to a group whose history
// was not fetched yet, each with the group's planned establishment.
func (s Shared) MatrixBackfillsDue(ctx context.Context) ([]matrix.Backfill, error) {
	return list(ctx, s, func(sc Scanner) (matrix.Backfill, error) {
		var b matrix.Backfill
		err := sc.Scan(&b.RoomID, &b.GroupID, &b.Since)
		b.Since = b.Since.UTC()
		return b, err
	}, `SELECT b.room_id, b.group_id, g.established_at FROM group_bindings b JOIN work_groups g ON g.id = b.group_id
		LEFT JOIN matrix_backfills f ON f.room_id = b.room_id
		WHERE b.platform = 'matrix' AND (f.room_id IS NULL OR NOT f.done) ORDER BY b.id`)
}

func (s Shared) SaveMatrixBackfill(ctx context.Context, b *matrix.Backfill) error {
	_, err := s.exec(ctx, `INSERT INTO matrix_backfills (room_id, group_id, done, events, detail, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_id) DO UPDATE SET group_id = excluded.group_id, done = excluded.done, events = excluded.events,
		detail = excluded.detail, updated_at = excluded.updated_at`, b.RoomID, b.GroupID, b.Done, b.Events, b.Detail, b.At.UTC())
	return err
}
