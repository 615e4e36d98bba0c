package postgres

import (
	"context"

	"charter/internal/checkpoint"
	"charter/internal/store/common"
)

func (d *DB) ChainHeads(ctx context.Context) (map[string]checkpoint.Head, error) {
	return common.ChainHeads(ctx, d.r())
}

func (d *DB) ChainHashAt(ctx context.Context, chain string, seq int64) (string, bool, error) {
	return common.ChainHashAt(ctx, d.r(), common.Postgres, chain, seq)
}

func (d *DB) AddCheckpoint(ctx context.Context, c *checkpoint.Checkpoint) error {
	return common.AddCheckpoint(ctx, d.w(), common.Postgres, c)
}

func (d *DB) Checkpoints(ctx context.Context, limit int) ([]checkpoint.Checkpoint, error) {
	return common.Checkpoints(ctx, d.r(), common.Postgres, limit)
}

func (d *DB) CheckpointFor(ctx context.Context, reason string) (*checkpoint.Checkpoint, error) {
	return common.CheckpointFor(ctx, d.r(), common.Postgres, reason)
}
