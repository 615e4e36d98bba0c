package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/matrix"
)

var matrixVerbs = verbs{"register": matrixRegister, "enforce": matrixEnforce}

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

// matrixEnforce shows or sets what Charter does on the homeserver about
// rooms outside the registry (a security officer's decision; the command
// line acts as the operator).
func matrixEnforce(ctx context.Context, e *Env, args []string) error {
	var in matrix.EnforcementInput
	var tokenFile string
	var show bool
	c := newCmdline(e, "matrix enforce", "", config.Storage)
	c.fs.BoolVar(&in.Notice, "notice", false, "send each member of an unregistered room a server notice saying how to apply")
	c.fs.StringVar(&in.CloseAfter, "close-after", "", "close an unregistered room this long after its creation, e.g. 72h (empty: never)")
	c.fs.StringVar(&tokenFile, "admin-token-file", "", "file holding a homeserver administrator's access token, which its admin API needs (kept until replaced)")
	c.fs.BoolVar(&show, "show", false, "print the settings and change nothing")
	return c.run(ctx, args, func(a *app.App) error {
		if show {
			cur, err := a.Matrix.GetEnforcement(ctx, nil)
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, cur)
		}
		if tokenFile != "" {
			b, err := os.ReadFile(tokenFile)
			if err != nil {
				return errs.Field("admin-token-file", "%v", err)
			}
			in.AdminToken = strings.TrimSpace(string(b))
		}
		set, err := a.Matrix.SetEnforcement(cliContext(ctx), nil, in)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, set)
	})
}
