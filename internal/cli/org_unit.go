package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"charter/internal/config"
)

var orgUnitVerbs = verbs{"create": orgUnitCreate, "list": orgUnitList}

func orgUnitCreate(ctx context.Context, e *Env, args []string) error {
	var parent string
	c := newCmdline(e, "org-unit create", "NAME", config.Storage)
	c.fs.StringVar(&parent, "parent", "", "parent unit name (empty for a root)")
	a, err := c.open(ctx, args)
	if err != nil {
		return err
	}
	defer a.Close()
	name, err := c.oneArg("NAME")
	if err != nil {
		return err
	}
	if _, err := a.Accounts.CreateOrgUnit(cliContext(ctx), name, parent); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "created org unit %s\n", name)
	return nil
}

func orgUnitList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "org-unit list", "", config.Storage)
	a, err := c.open(ctx, args)
	if err != nil {
		return err
	}
	defer a.Close()
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
}
