package cli

import (
	"context"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/demo"
)

// demoCmd loads the demonstration organization (package demo) into an
// empty database. The whole app runs on the demo's clock; the month it
// plays reads the registry timing.
func demoCmd(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "demo", "", config.Storage|config.Registry)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.cfg.Validate(); err != nil {
		return err
	}
	clock := demo.NewClock(e.Now())
	a, err := app.Open(ctx, &c.cfg, clock.Now, c.log())
	if err != nil {
		return err
	}
	defer a.Close()
	return demo.Load(cliContext(ctx), a, clock, e.Stdout, e.Getenv("CHARTER_DEMO_PASSWORD"))
}
