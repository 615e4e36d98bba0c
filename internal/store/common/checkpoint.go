package common

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"charter/internal/checkpoint"
)

// ChainHeads reads the last link of every chain.
func (s Shared) ChainHeads(ctx context.Context) (map[string]checkpoint.Head, error) {
	out := map[string]checkpoint.Head{}
	err := Each(ctx, s.r, `SELECT name, seq, hash FROM chain_heads ORDER BY name`, func(sc Scanner) error {
		var n string
		var h checkpoint.Head
		if err := sc.Scan(&n, &h.Seq, &h.Hash); err != nil {
			return err
		}
		out[n] = h
		return nil
	})
	return out, err
}

// chainTables is where each chain's links live.
var chainTables = map[string]string{
	"audit":   `SELECT hash FROM audit_events WHERE seq = ?`,
	"archive": `SELECT hash FROM messages WHERE id = ?`,
}

// ChainHashAt reads the hash of one link of a chain.
func (s Shared) ChainHashAt(ctx context.Context, chain string, seq int64) (string, bool, error) {
	query, ok := chainTables[chain]
	if !ok {
		return "", false, fmt.Errorf("unknown chain %q", chain)
	}
	var h string
	err := s.r.QueryRowContext(ctx, s.d.Rebind(query), seq).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return h, err == nil, err
}

// AddCheckpoint stores a signed checkpoint.
func (s Shared) AddCheckpoint(ctx context.Context, c *checkpoint.Checkpoint) error {
	return s.w.QueryRowContext(ctx, s.d.Rebind(`INSERT INTO checkpoints (at, reason, body, key_id, signature) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		c.At.UTC(), c.Reason, c.Body, c.KeyID, c.Signature).Scan(&c.ID)
}

// Checkpoints lists checkpoints, newest first.
func (s Shared) Checkpoints(ctx context.Context, limit int) ([]checkpoint.Checkpoint, error) {
	out := []checkpoint.Checkpoint{}
	err := Each(ctx, s.r, s.d.Rebind(`SELECT id, body, key_id, signature FROM checkpoints ORDER BY id DESC LIMIT ?`), func(sc Scanner) error {
		var c checkpoint.Checkpoint
		if err := sc.Scan(&c.ID, &c.Body, &c.KeyID, &c.Signature); err != nil {
			return err
		}
		if err := c.Decode(); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, limit)
	return out, err
}

// CheckpointFor is the newest checkpoint made for reason.
func (s Shared) CheckpointFor(ctx context.Context, reason string) (*checkpoint.Checkpoint, error) {
	var c checkpoint.Checkpoint
	err := s.r.QueryRowContext(ctx, s.d.Rebind(`SELECT id, body, key_id, signature FROM checkpoints WHERE reason = ? ORDER BY id DESC LIMIT 1`), reason).
		Scan(&c.ID, &c.Body, &c.KeyID, &c.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, c.Decode()
}
