package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
)

// The registry commands do what the API does, for scripting. Actions a
// person answers for (applying, deciding, signing...) name that person with
// --as and are audited as theirs, from "cli"; without --as the operator acts,
// and may read everything, as with `charter user`.

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// actingAs returns the principal for --as (nil for the operator) and a
// context that audits the action as theirs.
func actingAs(ctx context.Context, a *app.App, username string) (context.Context, *account.Principal, error) {
	if username == "" {
		return cliContext(ctx), nil, nil
	}
	u, err := a.DB.User(ctx, username)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, errs.E(errs.Forbidden, "user %s is deactivated", username)
	}
	return audit.WithActor(ctx, audit.Actor{Name: u.Username, Addr: "cli"}), &account.Principal{User: u}, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func idArg(fs *flag.FlagSet, what string) (int64, error) {
	arg, err := oneArg(fs, what)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q is not a %s", ErrUsage, arg, what)
	}
	return id, nil
}

// applicationFlags binds the fields of an application. Externals are
// "name;organization;justification".
func applicationFlags(fs *flag.FlagSet, in *registry.NewApplication, members, externals *multi) {
	fs.StringVar(&in.Name, "name", "", "group name")
	fs.StringVar(&in.Purpose, "purpose", "", "what the group is for")
	fs.StringVar((*string)(&in.Platform), "platform", "", "wecom, wechat, dingtalk, feishu, matrix or other")
	fs.StringVar(&in.PlannedAt, "planned-at", "", "establishment time, RFC 3339")
	fs.StringVar(&in.ExpiresAt, "expires-at", "", "term end, RFC 3339")
	fs.StringVar(&in.Responsible, "responsible", "", "username of the responsible person")
	fs.StringVar((*string)(&in.Level), "level", "", "public, internal or sensitive")
	fs.Int64Var(&in.Renews, "renews", 0, "group ID when asking for a new term")
	fs.Var(members, "member", "username of an intended member (repeatable)")
	fs.Var(externals, "external", `external member as "name;organization;justification" (repeatable)`)
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

func applicationCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "application", args, verbs{
		"apply": func(ctx context.Context, e *Env, args []string) error {
			var in registry.NewApplication
			var as string
			var members, externals multi
			return withApp(ctx, e, "application apply", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username of the applicant (required)")
				fs.BoolVar(&in.Draft, "draft", false, "keep as a draft instead of submitting")
				applicationFlags(fs, &in, &members, &externals)
			}, func(a *app.App, fs *flag.FlagSet) error {
				if as == "" {
					return errs.Field("as", "required: the applicant's username")
				}
				ctx, p, err := actingAs(ctx, a, as)
				if err != nil {
					return err
				}
				in.Members = proposed(members, externals)
				app, err := a.Registry.Apply(ctx, p, in)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, app)
			})
		},
		"edit": func(ctx context.Context, e *Env, args []string) error {
			var in registry.NewApplication
			var as string
			var members, externals multi
			return withApp(ctx, e, "application edit", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username of the applicant")
				applicationFlags(fs, &in, &members, &externals)
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "application ID")
				if err != nil {
					return err
				}
				ctx, p, err := actingAs(ctx, a, as)
				if err != nil {
					return err
				}
				in.Members = proposed(members, externals)
				app, err := a.Registry.EditApplication(ctx, p, id, in)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, app)
			})
		},
		"submit":   applicationVerb("submit", (*registry.Service).Submit),
		"withdraw": applicationVerb("withdraw", (*registry.Service).Withdraw),
		"decide": func(ctx context.Context, e *Env, args []string) error {
			var as, decision, comment string
			return withApp(ctx, e, "application decide", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username of the approver (required)")
				fs.StringVar(&decision, "decision", "", "approve or reject")
				fs.StringVar(&comment, "comment", "", "comment (required to reject)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "application ID")
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
				app, err := a.Registry.Decide(ctx, p, id, decision, comment)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, app)
			})
		},
		"list": func(ctx context.Context, e *Env, args []string) error {
			var as, status string
			return withApp(ctx, e, "application list", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "list what this user may see (default: everything)")
				fs.StringVar(&status, "status", "", "draft, submitted, approved, rejected or withdrawn")
			}, func(a *app.App, fs *flag.FlagSet) error {
				ctx, p, err := actingAs(ctx, a, as)
				if err != nil {
					return err
				}
				as, err := a.Registry.ListApplications(ctx, p, registry.ApplicationFilter{Status: status})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tLEVEL\tAPPLICANT\tRESPONSIBLE\tSTATUS\tROUND\tSTEP\tGROUP")
				for _, x := range as {
					step := "-"
					if x.CurrentStep != nil {
						step = fmt.Sprintf("%d:%s", x.CurrentStep.Number, x.CurrentStep.Role)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", x.ID, x.Name, x.Level, x.Applicant, x.Responsible, x.Status, x.Round, step, x.GroupID)
				}
				return tw.Flush()
			})
		},
		"show": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "application show", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "application ID")
				if err != nil {
					return err
				}
				x, err := a.Registry.ShowApplication(ctx, nil, id)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, x)
			})
		},
	})
}

func applicationVerb(name string, fn func(*registry.Service, context.Context, *account.Principal, int64) (*registry.Application, error)) func(context.Context, *Env, []string) error {
	return func(ctx context.Context, e *Env, args []string) error {
		var as string
		return withApp(ctx, e, "application "+name, args, func(fs *flag.FlagSet) {
			fs.StringVar(&as, "as", "", "username of the applicant")
		}, func(a *app.App, fs *flag.FlagSet) error {
			id, err := idArg(fs, "application ID")
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

// groupVerb runs fn on the group named by the one argument, acting --as.
func groupVerb(name string, setup func(fs *flag.FlagSet), fn func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error) func(context.Context, *Env, []string) error {
	return func(ctx context.Context, e *Env, args []string) error {
		var as string
		return withApp(ctx, e, "group "+name, args, func(fs *flag.FlagSet) {
			fs.StringVar(&as, "as", "", "username acting (default: the operator)")
			if setup != nil {
				setup(fs)
			}
		}, func(a *app.App, fs *flag.FlagSet) error {
			if fs.NArg() < 1 {
				return fmt.Errorf("%w: give the group ID", ErrUsage)
			}
			id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q is not a group ID", ErrUsage, fs.Arg(0))
			}
			ctx, p, err := actingAs(ctx, a, as)
			if err != nil {
				return err
			}
			return fn(ctx, e, a, p, id, fs)
		})
	}
}

func groupCmd(ctx context.Context, e *Env, args []string) error {
	var lang, fullName, platform, room, reason, out string
	var nm registry.NewMember
	return subcommand(ctx, e, "group", args, verbs{
		"list": func(ctx context.Context, e *Env, args []string) error {
			var status, level string
			return withApp(ctx, e, "group list", args, func(fs *flag.FlagSet) {
				fs.StringVar(&status, "status", "", "only groups with this status")
				fs.StringVar(&level, "level", "", "only groups of this level")
			}, func(a *app.App, fs *flag.FlagSet) error {
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
		},
		"show": groupVerb("show", nil, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			g, err := a.Registry.ShowGroup(ctx, p, id)
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, g)
		}),
		"statement": groupVerb("statement", func(fs *flag.FlagSet) {
			fs.StringVar(&lang, "lang", "zh-CN", "zh-CN or en")
		}, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			st, err := a.Registry.Statement(ctx, p, id, lang)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stderr, "statement version %d (%s), sha256 %s\n", st.Version, st.Language, st.SHA256)
			_, err = io.WriteString(e.Stdout, st.Text)
			return err
		}),
		"sign": groupVerb("sign", func(fs *flag.FlagSet) {
			fs.StringVar(&fullName, "full-name", "", "the signer's full name, as on record (required)")
			fs.StringVar(&lang, "lang", "zh-CN", "language of the text read: zh-CN or en")
		}, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			sig, err := a.Registry.Sign(ctx, p, id, registry.SignInput{FullName: fullName, Language: lang, Addr: "cli"})
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, sig)
		}),
		"bind": groupVerb("bind", func(fs *flag.FlagSet) {
			fs.StringVar(&platform, "platform", "", "platform of the room")
			fs.StringVar(&room, "room", "", "the platform's room ID (e.g. a WeCom roomid)")
		}, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			b, err := a.Registry.Bind(ctx, p, id, registry.Platform(platform), room)
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, b)
		}),
		"members": groupVerb("members", nil, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
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
		}),
		"member-add": groupVerb("member-add", func(fs *flag.FlagSet) {
			fs.StringVar(&nm.Username, "username", "", "an employee's username")
			fs.StringVar(&nm.External, "external", "", "an external contact's name")
			fs.StringVar(&nm.Organization, "organization", "", "the external contact's organization")
			fs.StringVar(&nm.Justification, "justification", "", "why the external contact is in the group")
			fs.StringVar((*string)(&nm.Platform), "platform", "", "platform of the external contact's handle")
			fs.StringVar(&nm.Handle, "handle", "", "the external contact's handle (e.g. WeCom external userid)")
		}, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			m, err := a.Registry.AddMember(ctx, p, id, nm)
			if err != nil {
				return err
			}
			return printJSON(e.Stdout, m)
		}),
		"member-remove": groupVerb("member-remove", nil, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			if fs.NArg() != 2 {
				return fmt.Errorf("%w: give the group ID and the member ID", ErrUsage)
			}
			mid, err := strconv.ParseInt(fs.Arg(1), 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q is not a member ID", ErrUsage, fs.Arg(1))
			}
			if err := a.Registry.RemoveMember(ctx, p, id, mid); err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "member %d left group %d\n", mid, id)
			return nil
		}),
		"dissolve": groupVerb("dissolve", func(fs *flag.FlagSet) {
			fs.StringVar(&reason, "reason", "", "why the group is dissolved (required)")
		}, func(ctx context.Context, e *Env, a *app.App, p *account.Principal, id int64, fs *flag.FlagSet) error {
			if _, err := a.Registry.Dissolve(ctx, p, id, reason); err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "dissolved group %d\n", id)
			return nil
		}),
		"roster": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "group roster", args, func(fs *flag.FlagSet) {
				fs.StringVar(&out, "out", "", "write to this file instead of standard output")
			}, func(a *app.App, fs *flag.FlagSet) error {
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
		},
	})
}

// parseSteps reads "approver;security_officer:external".
func parseSteps(s string) []registry.Step {
	out := []registry.Step{}
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		role, when, _ := strings.Cut(part, ":")
		out = append(out, registry.Step{Role: account.Role(role), When: when})
	}
	return out
}

func approvalChainCmd(ctx context.Context, e *Env, args []string) error {
	var unit, level, steps string
	unitLevel := func(fs *flag.FlagSet) {
		fs.StringVar(&unit, "org-unit", "", "org unit name (required)")
		fs.StringVar(&level, "level", "", "public, internal or sensitive (required)")
	}
	return subcommand(ctx, e, "approval-chain", args, verbs{
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "approval-chain list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				cs, err := a.DB.ApprovalChains(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ORG UNIT\tLEVEL\tSTEPS")
				for _, c := range cs {
					var ss []string
					for _, st := range c.Steps {
						x := string(st.Role)
						if st.When != "" {
							x += ":" + st.When
						}
						ss = append(ss, x)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", c.OrgUnit, c.Level, strings.Join(ss, ";"))
				}
				fmt.Fprintln(tw, "(default)\tpublic, internal\tapprover;security_officer:external")
				fmt.Fprintln(tw, "(default)\tsensitive\tapprover;security_officer")
				return tw.Flush()
			})
		},
		"set": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "approval-chain set", args, func(fs *flag.FlagSet) {
				unitLevel(fs)
				fs.StringVar(&steps, "steps", "", `steps in order, e.g. "approver;security_officer:external"`)
			}, func(a *app.App, fs *flag.FlagSet) error {
				c, err := a.Registry.SetApprovalChain(cliContext(ctx), registry.ApprovalChain{OrgUnit: unit, Level: registry.Level(level), Steps: parseSteps(steps)})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "approval chain for %s at %s: %d steps\n", c.OrgUnit, c.Level, len(c.Steps))
				return nil
			})
		},
		"delete": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "approval-chain delete", args, unitLevel, func(a *app.App, fs *flag.FlagSet) error {
				if err := a.Registry.DeleteApprovalChain(cliContext(ctx), unit, registry.Level(level)); err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "deleted the approval chain for %s at %s; the default applies\n", unit, level)
				return nil
			})
		},
	})
}

func templateCmd(ctx context.Context, e *Env, args []string) error {
	var zhFile, enFile string
	return subcommand(ctx, e, "template", args, verbs{
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "template list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				ts, err := a.DB.Templates(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tPUBLISHED\tBY")
				for _, t := range ts {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", t.Version, stamp(t.PublishedAt, a.Config.Location), t.PublishedBy)
				}
				return tw.Flush()
			})
		},
		"show": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "template show", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				t, err := a.DB.CurrentTemplate(ctx)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, t)
			})
		},
		"publish": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "template publish", args, func(fs *flag.FlagSet) {
				fs.StringVar(&zhFile, "zh", "", "file with the zh-CN text (required)")
				fs.StringVar(&enFile, "en", "", "file with the English text (required)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				zh, err := os.ReadFile(zhFile)
				if err != nil {
					return errs.Field("zh", "%v", err)
				}
				en, err := os.ReadFile(enFile)
				if err != nil {
					return errs.Field("en", "%v", err)
				}
				t, err := a.Registry.PublishTemplate(cliContext(ctx), string(zh), string(en))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "published statement version %d; active groups signed on older versions now need a new signature\n", t.Version)
				return nil
			})
		},
	})
}

func campaignCmd(ctx context.Context, e *Env, args []string) error {
	var in registry.NewCampaign
	var as, decision, comment string
	var group int64
	var membersOK bool
	var groups, unregistered multi
	return subcommand(ctx, e, "campaign", args, verbs{
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				cs, err := a.DB.Campaigns(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tLEVEL\tTITLE\tDEADLINE\tDEFAULT\tCLOSED")
				for _, c := range cs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.Level, c.Title, stamp(c.Deadline, a.Config.Location), c.DefaultDecision, when(c.ClosedAt, a.Config.Location))
				}
				return tw.Flush()
			})
		},
		"start": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign start", args, func(fs *flag.FlagSet) {
				fs.StringVar(&in.Kind, "kind", "", "recertification or declaration")
				fs.StringVar((*string)(&in.Level), "level", "", "recertification: only groups of this level")
				fs.StringVar(&in.Title, "title", "", "title")
				fs.StringVar(&in.Deadline, "deadline", "", "deadline, RFC 3339")
				fs.StringVar(&in.DefaultDecision, "default", "", "recertification: keep or suspend on no answer")
			}, func(a *app.App, fs *flag.FlagSet) error {
				c, err := a.Registry.StartCampaign(cliContext(ctx), in)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, c)
			})
		},
		"results": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign results", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "campaign ID")
				if err != nil {
					return err
				}
				r, err := a.Registry.CampaignResults(ctx, id)
				if err != nil {
					return err
				}
				return printJSON(e.Stdout, r)
			})
		},
		"tasks": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign tasks", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username (required)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "campaign ID")
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
		},
		"recertify": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign recertify", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username of the responsible person (required)")
				fs.Int64Var(&group, "group", 0, "group ID (required)")
				fs.StringVar(&decision, "decision", "", "keep or dissolve")
				fs.BoolVar(&membersOK, "members-ok", false, "the member list is right")
				fs.StringVar(&comment, "comment", "", "comment")
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "campaign ID")
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
		},
		"declare": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "campaign declare", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username of the employee (required)")
				fs.Var(&groups, "group", "ID of a registered group you are in (repeatable)")
				fs.Var(&unregistered, "unregistered", `an unregistered group as "name;platform" (repeatable)`)
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "campaign ID")
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
		},
	})
}

func notificationCmd(ctx context.Context, e *Env, args []string) error {
	var as string
	var unread bool
	return subcommand(ctx, e, "notification", args, verbs{
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "notification list", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username (required)")
				fs.BoolVar(&unread, "unread", false, "only unread notices")
			}, func(a *app.App, fs *flag.FlagSet) error {
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
		},
		"read": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "notification read", args, func(fs *flag.FlagSet) {
				fs.StringVar(&as, "as", "", "username (required)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				id, err := idArg(fs, "notification ID")
				if err != nil {
					return err
				}
				ctx, p, err := actingAs(ctx, a, as)
				if err != nil {
					return err
				}
				return a.Registry.MarkRead(ctx, p, id)
			})
		},
	})
}

// tick runs the registry scheduler once, at --at (default now): for cron
// instead of the server's own schedule, and for tests.
func tick(ctx context.Context, e *Env, args []string) error {
	var at string
	return withApp(ctx, e, "tick", args, func(fs *flag.FlagSet) {
		fs.StringVar(&at, "at", "", "the time to act at, RFC 3339 (default: now)")
	}, func(a *app.App, fs *flag.FlagSet) error {
		now := a.Now()
		if at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return errs.Field("at", "%q is not an RFC 3339 time", at)
			}
			now = t
		}
		sc := &registry.Scheduler{Service: a.Registry, Log: a.Log}
		if err := sc.Tick(ctx, now); err != nil {
			return err
		}
		if err := a.Reports.Tick(ctx, now); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "time-driven work done as of %s (registry and periodic reports)\n", now.UTC().Format(time.RFC3339))
		return nil
	})
}
