package cli

import (
	"context"
	"fmt"

	"charter/internal/config"
)

// migrate applies the migrations (opening the app does) and says where the schema is.
func migrate(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "migrate", "", config.Storage)
	a, err := c.open(ctx, args)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "schema is at version %d (%s)\n", v, a.DB.Engine())
	return nil
}
