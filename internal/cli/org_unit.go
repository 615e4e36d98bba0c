package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
)

var orgUnitVerbs = verbs{"create": orgUnitCreate, "list": orgUnitList}

func orgUnitCreate(ctx context.Context, e *Env, args []string) error {
	var parent string
	c := newCmdline(e, "org-unit create", "NAME", config.Storage)
	c.fs.StringVar(&parent, "parent", "", "parent unit name (empty for a root)")
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("NAME")
		if err != nil {
			return err
		}
		if _, err := a.Accounts.CreateOrgUnit(cliContext(ctx), name, parent); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "created org unit %s\n", name)
		return nil
	})
}

func orgUnitList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "org-unit list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		us, err := a.Accounts.OrgUnits(ctx, nil)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPARENT")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, u.Parent)
		}
		return tw.Flush()
	})
}
