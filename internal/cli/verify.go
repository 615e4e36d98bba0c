package cli

import (
	"context"
	"flag"
	"fmt"

	"charter/internal/audit"
)

// verify walks every hash chain; it fails naming the first broken link.
func verify(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "verify", args, nil, func(a *app, _ *flag.FlagSet) error {
		n, err := audit.Verify(ctx, a.db)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "audit trail: %d events, chain intact\n", n)
		res, err := a.archive.Verify(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "archive: %d messages (%d purged to tombstones), chain intact\n", res.Messages, res.Tombstones)
		return nil
	})
}
