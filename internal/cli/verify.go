package cli

import (
	"context"
	"fmt"

	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/blob"
	"charter/internal/checkpoint"
	"charter/internal/config"
)

// verify walks every hash chain, re-hashes every attachment blob, then
// checks the chains against the newest signed checkpoint and against the
// checkpoints of a file the user kept; it fails naming the first broken
// link, every blob that no longer matches its name, or the first mismatch.
func verify(ctx context.Context, e *Env, args []string) error {
	var against string
	c := newCmdline(e, "verify", "", config.Storage)
	c.fs.StringVar(&against, "against", "", "also verify against the checkpoints of this file (from checkpoint export, or an export manifest)")
	return c.run(ctx, args, func(a *app.App) error {
		n, err := audit.Verify(ctx, a.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "audit trail: %d events, chain intact\n", n)
		res, err := a.Archive.Verify(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "archive: %d messages (%d purged to tombstones), chain intact\n", res.Messages, res.Tombstones)
		if err := verifyBlobs(ctx, e, a.Blobs); err != nil {
			return err
		}
		all, err := a.Checkpoints.List(ctx, 1_000_000)
		if err != nil {
			return err
		}
		if err := checkKeys(all, a.Checkpoints.Public()); err != nil {
			return err
		}
		cps := all[:min(len(all), 1)]
		from := "the newest checkpoint"
		if against != "" {
			kept, err := readCheckpoints(against)
			if err != nil {
				return err
			}
			cps, from = append(cps, kept...), fmt.Sprintf("the newest checkpoint and %d kept in %s", len(kept), against)
		}
		if len(cps) == 0 {
			// The trail says which checkpoints were made: none may be missing.
			made, err := a.Audit.Events(ctx, nil, audit.Filter{Action: "checkpoint.create", Limit: 1})
			if err != nil {
				return err
			}
			if len(made) > 0 {
				return fmt.Errorf("the audit trail records checkpoint %s, but the database holds none: checkpoints were removed", made[0].Object)
			}
			fmt.Fprintln(e.Stdout, "checkpoints: none yet (serve signs one at start-up)")
			return nil
		}
		if err := checkpoint.Verify(ctx, a.DB, a.Checkpoints.Public(), cps); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "checkpoints: chains match %s, signed by key %s\n", from, checkpoint.KeyID(a.Checkpoints.Public()))
		return nil
	})
}

// verifyBlobs re-hashes every blob, naming each whose content no longer
// matches its name; all of them are listed before verify fails.
func verifyBlobs(ctx context.Context, e *Env, blobs *blob.Store) error {
	var bad []blob.Mismatch
	n, err := blobs.Verify(ctx, func(m blob.Mismatch) {
		bad = append(bad, m)
		fmt.Fprintf(e.Stdout, "attachment blob mismatch: %s\n", m)
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("attachment blobs: %d of the files in %s do not match their names (first: %s)", len(bad), blobs.Dir, bad[0])
	}
	fmt.Fprintf(e.Stdout, "attachments: %d blobs, each matches its SHA-256\n", n)
	return nil
}
