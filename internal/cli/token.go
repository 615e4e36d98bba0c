package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
)

var tokenVerbs = verbs{"create": tokenCreate, "list": tokenList, "revoke": tokenRevoke}

func tokenCreate(ctx context.Context, e *Env, args []string) error {
	var name, scope string
	c := newCmdline(e, "token create", "", config.Storage)
	c.fs.StringVar(&name, "name", "", "what the token is for (required)")
	c.fs.StringVar(&scope, "scope", "", "ingest, read or admin (required)")
	return c.run(ctx, args, func(a *app.App) error {
		secret, t, err := a.Accounts.CreateToken(cliContext(ctx), name, account.Scope(scope))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "created token %d %q (scope %s); it is shown only once:\n", t.ID, t.Name, t.Scope)
		fmt.Fprintln(e.Stdout, secret)
		return nil
	})
}

func tokenList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "token list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		ts, err := a.Accounts.Tokens(ctx)
		if err != nil {
			return err
		}
		zone := a.Config.Location
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tPREFIX\tCREATED BY\tCREATED\tLAST USED\tREVOKED\tSUSPENDED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", t.ID, t.Name, t.Scope, t.Prefix, t.CreatedBy, stamp(t.CreatedAt, zone),
				when(t.LastUsedAt, zone), when(t.RevokedAt, zone), t.Suspended)
		}
		return tw.Flush()
	})
}

func tokenRevoke(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "token revoke", "ID", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		arg, err := c.oneArg("token ID")
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a token ID", ErrUsage, arg)
		}
		if err := a.Accounts.RevokeToken(cliContext(ctx), id); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "revoked token %d\n", id)
		return nil
	})
}
