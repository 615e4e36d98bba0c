package cli

import (
	"context"
	"fmt"
	"os"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/matrix"
)

var matrixVerbs = verbs{"register": matrixRegister}

// matrixRegister writes the application-service registration the
// administrator adds to the homeserver; serve then takes its transactions.
func matrixRegister(ctx context.Context, e *Env, args []string) error {
	var in matrix.Registration
	var out string
	c := newCmdline(e, "matrix register", "", config.Storage)
	c.fs.StringVar(&in.HomeserverURL, "homeserver-url", "", "where Charter reaches the homeserver, e.g. http://matrix.example.org:8008 (required)")
	c.fs.StringVar(&in.ServerName, "server-name", "", "the homeserver's server name, as in @user:example.org (required)")
	c.fs.StringVar(&in.CharterURL, "charter-url", "", "where the homeserver reaches Charter, e.g. http://charter.example.org:8080 (required)")
	c.fs.StringVar(&out, "out", "charter-appservice.yaml", "file to write the registration to (mode 0600: it holds both tokens)")
	return c.run(ctx, args, func(a *app.App) error {
		if out == "" {
			return errs.Field("out", "required")
		}
		reg, err := a.Matrix.Register(cliContext(ctx), in)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, reg, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "wrote %s: add it to the homeserver (Synapse: app_service_config_files; Dendrite: app_service_api.config_files) and restart it; charter serve then takes its events\n", out)
		return nil
	})
}
