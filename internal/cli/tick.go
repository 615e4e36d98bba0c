package cli

import (
	"context"
	"fmt"
	"time"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
)

// tick runs the registry scheduler and the periodic reports once, at --at
// (default now): for cron instead of the server's own schedule, and for
// tests. It purges nothing, so it reads no retention.
func tick(ctx context.Context, e *Env, args []string) error {
	var at string
	c := newCmdline(e, "tick", "", config.Storage|config.Registry)
	c.fs.StringVar(&at, "at", "", "the time to act at, RFC 3339 (default: now)")
	return c.run(ctx, args, func(a *app.App) error {
		now := a.Now()
		if at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return errs.Field("at", "%q is not an RFC 3339 time", at)
			}
			now = t
		}
		sc := &registry.Scheduler{Service: a.Registry, Log: a.Log}
		if err := sc.Tick(ctx, now); err != nil {
			return err
		}
		if err := a.Reports.Tick(ctx, now); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "time-driven work done as of %s (registry and periodic reports)\n", now.UTC().Format(time.RFC3339))
		return nil
	})
}
