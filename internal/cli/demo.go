package cli

import (
	"context"
	"flag"

	"charter/internal/app"
	"charter/internal/demo"
)

// demoCmd loads the demonstration organization (package demo) into an
// empty database. The whole app runs on the demo's clock.
func demoCmd(ctx context.Context, e *Env, args []string) error {
	clock := demo.NewClock(e.Now())
	onClock := *e
	onClock.Now = clock.Now
	return withApp(ctx, &onClock, "demo", args, nil, func(a *app.App, _ *flag.FlagSet) error {
		return demo.Load(cliContext(ctx), a, clock, e.Stdout, e.Getenv("CHARTER_DEMO_PASSWORD"))
	})
}
