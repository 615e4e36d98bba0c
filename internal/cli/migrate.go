package cli

import (
	"context"
	"fmt"

	"charter/internal/app"
	"charter/internal/config"
)

// migrate applies the migrations (opening the app does) and says where the schema is.
func migrate(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "migrate", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		v, err := a.DB.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "schema is at version %d (%s)\n", v, a.DB.Engine())
		return nil
	})
}
