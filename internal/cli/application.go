package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
)

// The registry commands do what the API does, for scripting; who acts is
// named with --as (see actingAs).

var applicationVerbs = verbs{
	"apply": applicationApply, "edit": applicationEdit, "decide": applicationDecide, "list": applicationList, "show": applicationShow,
	"submit":   applicationStep("submit", (*registry.Service).Submit),
	"withdraw": applicationStep("withdraw", (*registry.Service).Withdraw),
}

// applicationFlags binds the fields of an application. Externals are
// "name;organization;justification".
func applicationFlags(c *cmdline, in *registry.NewApplication, members, externals *multi) {
	c.fs.StringVar(&in.Name, "name", "", "group name")
	c.fs.StringVar(&in.Purpose, "purpose", "", "what the group is for")
	c.fs.StringVar((*string)(&in.Platform), "platform", "", "wecom, wechat, dingtalk, feishu, matrix or other")
	c.fs.StringVar(&in.PlannedAt, "planned-at", "", "establishment time, RFC 3339")
	c.fs.StringVar(&in.ExpiresAt, "expires-at", "", "term end, RFC 3339")
	c.fs.StringVar(&in.Responsible, "responsible", "", "username of the responsible person")
	c.fs.StringVar((*string)(&in.Level), "level", "", "public, internal or sensitive")
	c.fs.Int64Var(&in.Renews, "renews", 0, "group ID when asking for a new term")
	c.fs.Var(members, "member", "username of an intended member (repeatable)")
	c.fs.Var(externals, "external", `external member as "name;organization;justification" (repeatable)`)
}

func proposed(members, externals multi) []registry.ProposedMember {
	out := []registry.ProposedMember{}
	for _, m := range members {
		out = append(out, registry.ProposedMember{Username: m})
	}
	for _, x := range externals {
		p := strings.SplitN(x, ";", 3)
		for len(p) < 3 {
			p = append(p, "")
		}
		out = append(out, registry.ProposedMember{External: p[0], Organization: p[1], Justification: p[2]})
	}
	return out
}

func applicationApply(ctx context.Context, e *Env, args []string) error {
	var in registry.NewApplication
	var as string
	var members, externals multi
	c := newCmdline(e, "application apply", "", config.Storage)
	c.fs.StringVar(&as, "as", "", "username of the applicant (required)")
	c.fs.BoolVar(&in.Draft, "draft", false, "keep as a draft instead of submitting")
	applicationFlags(c, &in, &members, &externals)
	return c.run(ctx, args, func(a *app.App) error {
		if as == "" {
			return errs.Field("as", "required: the applicant's username")
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		in.Members = proposed(members, externals)
		x, err := a.Registry.Apply(ctx, p, in)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, x)
	})
}

func applicationEdit(ctx context.Context, e *Env, args []string) error {
	var in registry.NewApplication
	var as string
	var members, externals multi
	c := newCmdline(e, "application edit", "ID", config.Storage)
	c.fs.StringVar(&as, "as", "", "username of the applicant")
	applicationFlags(c, &in, &members, &externals)
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("application ID")
		if err != nil {
			return err
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		in.Members = proposed(members, externals)
		x, err := a.Registry.EditApplication(ctx, p, id, in)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, x)
	})
}

// applicationStep is a subcommand that moves an application on (submit,
// withdraw), as its applicant.
func applicationStep(name string, fn func(*registry.Service, context.Context, *account.Principal, int64) (*registry.Application, error)) func(context.Context, *Env, []string) error {
	return func(ctx context.Context, e *Env, args []string) error {
		var as string
		c := newCmdline(e, "application "+name, "ID", config.Storage)
		c.fs.StringVar(&as, "as", "", "username of the applicant")
		return c.run(ctx, args, func(a *app.App) error {
			id, err := c.idArg("application ID")
			if err != nil {
				return err
			}
			ctx, p, err := actingAs(ctx, a, as)
			if err != nil {
				return err
			}
			x, err := fn(a.Registry, ctx, p, id)
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, x)
		})
	}
}

func applicationDecide(ctx context.Context, e *Env, args []string) error {
	var as, decision, comment string
	c := newCmdline(e, "application decide", "ID", config.Storage)
	c.fs.StringVar(&as, "as", "", "username of the approver (required)")
	c.fs.StringVar(&decision, "decision", "", "approve or reject")
	c.fs.StringVar(&comment, "comment", "", "comment (required to reject)")
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("application ID")
		if err != nil {
			return err
		}
		if as == "" {
			return errs.Field("as", "required: the approver's username")
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		x, err := a.Registry.Decide(ctx, p, id, decision, comment)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, x)
	})
}

func applicationList(ctx context.Context, e *Env, args []string) error {
	var as, status string
	c := newCmdline(e, "application list", "", config.Storage)
	c.fs.StringVar(&as, "as", "", "list what this user may see (default: everything)")
	c.fs.StringVar(&status, "status", "", "draft, submitted, approved, rejected or withdrawn")
	return c.run(ctx, args, func(a *app.App) error {
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		xs, err := a.Registry.ListApplications(ctx, p, registry.ApplicationFilter{Status: status})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tLEVEL\tAPPLICANT\tRESPONSIBLE\tSTATUS\tROUND\tSTEP\tGROUP")
		for _, x := range xs {
			step := "-"
			if x.CurrentStep != nil {
				step = fmt.Sprintf("%d:%s", x.CurrentStep.Number, x.CurrentStep.Role)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", x.ID, x.Name, x.Level, x.Applicant, x.Responsible, x.Status, x.Round, step, x.GroupID)
		}
		return tw.Flush()
	})
}

func applicationShow(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "application show", "ID", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("application ID")
		if err != nil {
			return err
		}
		x, err := a.Registry.ShowApplication(ctx, nil, id)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, x)
	})
}
