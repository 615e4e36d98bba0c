package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/registry"
)

var groupVerbs = verbs{
	"list": groupList, "show": groupShow, "statement": groupStatement, "sign": groupSign, "bind": groupBind,
	"members": groupMembers, "room-members": groupRoomMembers, "member-add": groupMemberAdd, "member-remove": groupMemberRemove, "dissolve": groupDissolve,
	"roster": groupRoster,
}

// The group commands read the registry timing: whether a signature has
// lapsed depends on --signature-days.
const groupConfig = config.Storage | config.Registry

// groupCmdline is a group command acting on the group whose ID is its first
// argument, as --as.
type groupCmdline struct {
	*cmdline
	as string
}

func newGroupCmdline(e *Env, verb, usage string) *groupCmdline {
	c := &groupCmdline{cmdline: newCmdline(e, "group "+verb, "ID "+usage, groupConfig)}
	// "group show 3 --as zhang.wei": flags may follow the ID.
	c.interspersed = true
	c.fs.StringVar(&c.as, "as", "", "username acting (default: the operator)")
	return c
}

// run opens the app and runs fn with it, the context and principal acting
// --as, and the group's ID.
func (c *groupCmdline) run(ctx context.Context, args []string, fn func(a *app.App, ctx context.Context, p *account.Principal, id int64) error) error {
	return c.cmdline.run(ctx, args, func(a *app.App) error {
		if len(c.args) < 1 {
			return fmt.Errorf("%w: give the group ID", ErrUsage)
		}
		id, err := strconv.ParseInt(c.args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a group ID", ErrUsage, c.args[0])
		}
		ctx, p, err := actingAs(ctx, a, c.as)
		if err != nil {
			return err
		}
		return fn(a, ctx, p, id)
	})
}

func groupList(ctx context.Context, e *Env, args []string) error {
	var status, level string
	c := newCmdline(e, "group list", "", groupConfig)
	c.fs.StringVar(&status, "status", "", "only groups with this status")
	c.fs.StringVar(&level, "level", "", "only groups of this level")
	return c.run(ctx, args, func(a *app.App) error {
		gs, err := a.Registry.ListGroups(ctx, nil, registry.GroupFilter{Status: status, Level: registry.Level(level)})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPLATFORM\tLEVEL\tRESPONSIBLE\tSTATUS\tEXPIRES")
		for _, g := range gs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Name, g.Platform, g.Level, g.Responsible, g.Status, day(g.ExpiresAt, a.Config.Location))
		}
		return tw.Flush()
	})
}

func groupShow(ctx context.Context, e *Env, args []string) error {
	return newGroupCmdline(e, "show", "").run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		g, err := a.Registry.ShowGroup(ctx, p, id)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, g)
	})
}

func groupStatement(ctx context.Context, e *Env, args []string) error {
	var lang string
	c := newGroupCmdline(e, "statement", "")
	c.fs.StringVar(&lang, "lang", "zh-CN", "zh-CN or en")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		st, err := a.Registry.Statement(ctx, p, id, lang)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "statement version %d (%s), sha256 %s\n", st.Version, st.Language, st.SHA256)
		_, err = io.WriteString(e.Stdout, st.Text)
		return err
	})
}

func groupSign(ctx context.Context, e *Env, args []string) error {
	var fullName, lang string
	c := newGroupCmdline(e, "sign", "")
	c.fs.StringVar(&fullName, "full-name", "", "the signer's full name, as on record (required)")
	c.fs.StringVar(&lang, "lang", "zh-CN", "language of the text read: zh-CN or en")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		sig, err := a.Registry.Sign(ctx, p, id, registry.SignInput{FullName: fullName, Language: lang, Addr: "cli"})
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, sig)
	})
}

func groupBind(ctx context.Context, e *Env, args []string) error {
	var platform, room string
	c := newGroupCmdline(e, "bind", "")
	c.fs.StringVar(&platform, "platform", "", "platform of the room")
	c.fs.StringVar(&room, "room", "", "the platform's room ID (e.g. a WeCom roomid)")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		b, err := a.Registry.Bind(ctx, p, id, registry.Platform(platform), room)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, b)
	})
}

func groupMembers(ctx context.Context, e *Env, args []string) error {
	return newGroupCmdline(e, "members", "").run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		ms, err := a.Registry.MemberTimeline(ctx, p, id)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tEXTERNAL\tORGANIZATION\tVERIFIED\tJOINED\tLEFT")
		for _, m := range ms {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\t%s\n", m.ID, m.Username, m.External, m.Organization, m.Verified, stamp(m.JoinedAt, a.Config.Location), when(m.LeftAt, a.Config.Location))
		}
		return tw.Flush()
	})
}

func groupMemberAdd(ctx context.Context, e *Env, args []string) error {
	var nm registry.NewMember
	c := newGroupCmdline(e, "member-add", "")
	c.fs.StringVar(&nm.Username, "username", "", "an employee's username")
	c.fs.StringVar(&nm.External, "external", "", "an external contact's name")
	c.fs.StringVar(&nm.Organization, "organization", "", "the external contact's organization")
	c.fs.StringVar(&nm.Justification, "justification", "", "why the external contact is in the group")
	c.fs.StringVar((*string)(&nm.Platform), "platform", "", "platform of the external contact's handle")
	c.fs.StringVar(&nm.Handle, "handle", "", "the external contact's handle (e.g. WeCom external userid)")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		m, err := a.Registry.AddMember(ctx, p, id, nm)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, m)
	})
}

func groupMemberRemove(ctx context.Context, e *Env, args []string) error {
	c := newGroupCmdline(e, "member-remove", "MEMBER-ID")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		if len(c.args) != 2 {
			return fmt.Errorf("%w: give the group ID and the member ID", ErrUsage)
		}
		mid, err := strconv.ParseInt(c.args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a member ID", ErrUsage, c.args[1])
		}
		if err := a.Registry.RemoveMember(ctx, p, id, mid); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "member %d left group %d\n", mid, id)
		return nil
	})
}

func groupDissolve(ctx context.Context, e *Env, args []string) error {
	var reason string
	c := newGroupCmdline(e, "dissolve", "")
	c.fs.StringVar(&reason, "reason", "", "why the group is dissolved (required)")
	return c.run(ctx, args, func(a *app.App, ctx context.Context, p *account.Principal, id int64) error {
		if _, err := a.Registry.Dissolve(ctx, p, id, reason); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "dissolved group %d\n", id)
		return nil
	})
}

func groupRoster(ctx context.Context, e *Env, args []string) error {
	var out string
	c := newCmdline(e, "group roster", "", groupConfig)
	c.fs.StringVar(&out, "out", "", "write to this file instead of standard output")
	return c.run(ctx, args, func(a *app.App) error {
		// The same audited export as GET /api/v1/roster.csv.
		doc, err := a.Reports.ExportRoster(cliContext(ctx), "csv")
		if err != nil {
			return err
		}
		if out == "" {
			_, err = e.Stdout.Write(doc.Body)
			return err
		}
		return os.WriteFile(out, doc.Body, 0o600)
	})
}
