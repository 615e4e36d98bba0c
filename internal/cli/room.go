package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/registry"
)

var roomVerbs = verbs{"list": roomList}

// roomList prints the inventory of platform rooms: every room a connector
// reported, registered or not, with no message content.
func roomList(ctx context.Context, e *Env, args []string) error {
	var f registry.RoomFilter
	c := newCmdline(e, "room list", "", config.Storage)
	c.fs.StringVar((*string)(&f.Platform), "platform", "", "only rooms of this platform")
	c.fs.BoolVar(&f.Unregistered, "unregistered", false, "only rooms bound to no registered group (one-to-one chats left out)")
	return c.run(ctx, args, func(a *app.App) error {
		rs, err := a.Registry.Rooms(ctx, nil, f)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PLATFORM\tROOM\tGROUP\tNAME\tCREATOR\tCREATED\tMEMBERS\tENCRYPTED\tDIRECT")
		for _, r := range rs {
			group := "-"
			if r.GroupID != 0 {
				group = fmt.Sprint(r.GroupID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%t\n", r.Platform, r.RoomID, group, r.Name, r.Creator,
				when(r.CreatedAt, a.Config.Location), strings.Join(r.Members, " "), when(r.EncryptedAt, a.Config.Location), r.Direct)
		}
		return tw.Flush()
	})
}

// groupRoomMembers prints the changes of membership the platform reported
// in a group's rooms, beside the registered stays of `group members`.
func groupRoomMembers(ctx context.Context, e *Env, args []string) error {
	return newGroupCmdline(e, "room-members", "").run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		ms, err := a.Registry.RoomMembers(ctx, p, id)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tPLATFORM\tROOM\tMEMBER\tMEMBERSHIP\tBY\tREASON")
		for _, m := range ms {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", stamp(m.At, a.Config.Location), m.Platform, m.RoomID, m.Member, m.Membership, m.Actor, m.Reason)
		}
		return tw.Flush()
	})
}
