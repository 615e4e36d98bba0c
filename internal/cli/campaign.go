package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
)

var campaignVerbs = verbs{
	"list": campaignList, "start": campaignStart, "results": campaignResults,
	"tasks": campaignTasks, "recertify": campaignRecertify, "declare": campaignDeclare,
}

// The campaign commands read the registry timing: a re-certification's
// default decision is --recert-default unless given.
const campaignConfig = config.Storage | config.Registry

func campaignList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "campaign list", "", campaignConfig)
	return c.run(ctx, args, func(a *app.App) error {
		cs, err := a.Registry.Campaigns(ctx, nil)
		if err != nil {
			return err
		}
		zone := a.Config.Location
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tLEVEL\tTITLE\tDEADLINE\tDEFAULT\tCLOSED")
		for _, x := range cs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Kind, x.Level, x.Title, stamp(x.Deadline, zone), x.DefaultDecision, when(x.ClosedAt, zone))
		}
		return tw.Flush()
	})
}

func campaignStart(ctx context.Context, e *Env, args []string) error {
	var in registry.NewCampaign
	c := newCmdline(e, "campaign start", "", campaignConfig)
	c.fs.StringVar(&in.Kind, "kind", "", "recertification or declaration")
	c.fs.StringVar((*string)(&in.Level), "level", "", "recertification: only groups of this level")
	c.fs.StringVar(&in.Title, "title", "", "title")
	c.fs.StringVar(&in.Deadline, "deadline", "", "deadline, RFC 3339")
	c.fs.StringVar(&in.DefaultDecision, "default", "", "recertification: keep or suspend on no answer")
	return c.run(ctx, args, func(a *app.App) error {
		x, err := a.Registry.StartCampaign(cliContext(ctx), in)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, x)
	})
}

func campaignResults(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "campaign results", "ID", campaignConfig)
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("campaign ID")
		if err != nil {
			return err
		}
		r, err := a.Registry.CampaignResults(ctx, id)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, r)
	})
}

func campaignTasks(ctx context.Context, e *Env, args []string) error {
	var as string
	c := newCmdline(e, "campaign tasks", "ID", campaignConfig)
	c.fs.StringVar(&as, "as", "", "username (required)")
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("campaign ID")
		if err != nil {
			return err
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		t, err := a.Registry.MyTasks(ctx, p, id)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, t)
	})
}

func campaignRecertify(ctx context.Context, e *Env, args []string) error {
	var as, decision, comment string
	var group int64
	var membersOK bool
	c := newCmdline(e, "campaign recertify", "ID", campaignConfig)
	c.fs.StringVar(&as, "as", "", "username of the responsible person (required)")
	c.fs.Int64Var(&group, "group", 0, "group ID (required)")
	c.fs.StringVar(&decision, "decision", "", "keep or dissolve")
	c.fs.BoolVar(&membersOK, "members-ok", false, "the member list is right")
	c.fs.StringVar(&comment, "comment", "", "comment")
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("campaign ID")
		if err != nil {
			return err
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		r, err := a.Registry.Recertify(ctx, p, id, group, decision, membersOK, comment)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, r)
	})
}

func campaignDeclare(ctx context.Context, e *Env, args []string) error {
	var as string
	var groups, unregistered multi
	c := newCmdline(e, "campaign declare", "ID", campaignConfig)
	c.fs.StringVar(&as, "as", "", "username of the employee (required)")
	c.fs.Var(&groups, "group", "ID of a registered group you are in (repeatable)")
	c.fs.Var(&unregistered, "unregistered", `an unregistered group as "name;platform" (repeatable)`)
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("campaign ID")
		if err != nil {
			return err
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		var ds []registry.Declared
		for _, g := range groups {
			gid, err := strconv.ParseInt(g, 10, 64)
			if err != nil {
				return errs.Field("group", "%q is not a group ID", g)
			}
			ds = append(ds, registry.Declared{GroupID: gid})
		}
		for _, u := range unregistered {
			name, platform, _ := strings.Cut(u, ";")
			ds = append(ds, registry.Declared{Name: name, Platform: registry.Platform(platform)})
		}
		out, err := a.Registry.Declare(ctx, p, id, ds)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, out)
	})
}
