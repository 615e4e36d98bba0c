package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
)

var notificationVerbs = verbs{"list": notificationList, "read": notificationRead}

func notificationList(ctx context.Context, e *Env, args []string) error {
	var as string
	var unread bool
	c := newCmdline(e, "notification list", "", config.Storage)
	c.fs.StringVar(&as, "as", "", "username (required)")
	c.fs.BoolVar(&unread, "unread", false, "only unread notices")
	return c.run(ctx, args, func(a *app.App) error {
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		ns, err := a.Registry.Notifications(ctx, p, unread)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tAT\tKIND\tREAD\tMESSAGE")
		for _, n := range ns {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", n.ID, stamp(n.CreatedAt, a.Config.Location), n.Kind, when(n.ReadAt, a.Config.Location), n.Message)
		}
		return tw.Flush()
	})
}

func notificationRead(ctx context.Context, e *Env, args []string) error {
	var as string
	c := newCmdline(e, "notification read", "ID", config.Storage)
	c.fs.StringVar(&as, "as", "", "username (required)")
	return c.run(ctx, args, func(a *app.App) error {
		id, err := c.idArg("notification ID")
		if err != nil {
			return err
		}
		ctx, p, err := actingAs(ctx, a, as)
		if err != nil {
			return err
		}
		return a.Registry.MarkRead(ctx, p, id)
	})
}
