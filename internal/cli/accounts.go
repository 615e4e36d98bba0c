package cli

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/errs"
	"charter/internal/registry"
)

// verbs are the subcommands of one noun.
type verbs = map[string]func(context.Context, *Env, []string) error

// subcommand dispatches "charter NOUN VERB ...".
func subcommand(ctx context.Context, e *Env, noun string, args []string, vs verbs) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: charter %s needs a subcommand: %s", ErrUsage, noun, verbList(vs))
	}
	if h := args[0]; h == "-h" || h == "--help" || h == "help" {
		fmt.Fprintf(e.Stderr, "Usage: charter %s SUBCOMMAND [flags]\n\nSubcommands: %s\n\nRun 'charter %s SUBCOMMAND -h' for its flags.\n", noun, verbList(vs), noun)
		return nil
	}
	fn, ok := vs[args[0]]
	if !ok {
		return fmt.Errorf("%w: charter %s has no subcommand %q (try: %s)", ErrUsage, noun, args[0], verbList(vs))
	}
	return fn(ctx, e, args[1:])
}

func verbList(vs verbs) string {
	names := slices.Sorted(maps.Keys(vs))
	return strings.Join(names, ", ")
}

func userCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "user", args, verbs{
		"create": userCreate, "list": userList, "show": userShow, "update": userUpdate,
		"deactivate": userDeactivate, "import": userImport, "handle": userHandle, "handles": userHandles,
	})
}

// userHandle records a user's handle on a platform (e.g. a WeCom userid),
// so that captured messages resolve to the person.
func userHandle(ctx context.Context, e *Env, args []string) error {
	var platform, handle string
	return withApp(ctx, e, "user handle", args, func(fs *flag.FlagSet) {
		fs.StringVar(&platform, "platform", "", "wecom, wechat, dingtalk, feishu, matrix or other (required)")
		fs.StringVar(&handle, "handle", "", "the user's ID on that platform (required)")
	}, func(a *app.App, fs *flag.FlagSet) error {
		name, err := oneArg(fs, "USERNAME")
		if err != nil {
			return err
		}
		if _, err := a.Registry.AddHandle(cliContext(ctx), name, registry.Platform(platform), handle); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "user %s is %s on %s\n", name, handle, platform)
		return nil
	})
}

func userHandles(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "user handles", args, nil, func(a *app.App, fs *flag.FlagSet) error {
		name, err := oneArg(fs, "USERNAME")
		if err != nil {
			return err
		}
		hs, err := a.DB.Handles(ctx, name)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PLATFORM\tHANDLE\tADDED")
		for _, h := range hs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", h.Platform, h.Handle, stamp(h.CreatedAt, a.Config.Location))
		}
		return tw.Flush()
	})
}

func userCreate(ctx context.Context, e *Env, args []string) error {
	var in account.NewUser
	var roles, passwordEnv string
	return withApp(ctx, e, "user create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Username, "username", "", "username (required)")
		fs.StringVar(&in.RealName, "real-name", "", "real name (required)")
		fs.StringVar(&in.DisplayName, "display-name", "", "display name (default: real name)")
		fs.StringVar(&in.EmployeeNo, "employee-no", "", "employee number")
		fs.StringVar(&in.OrgUnit, "org-unit", "", "org unit name")
		fs.BoolVar(&in.Verified, "verified", false, "identity verified")
		fs.StringVar(&roles, "roles", "", `roles, e.g. "approver:Finance;reviewer"`)
		fs.StringVar(&passwordEnv, "password-env", "CHARTER_USER_PASSWORD", "environment variable holding the password (empty: no sign-in until set)")
	}, func(a *app.App, fs *flag.FlagSet) error {
		var err error
		if in.Roles, err = account.ParseGrants(roles); err != nil {
			return err
		}
		in.Password = e.Getenv(passwordEnv)
		u, err := a.Accounts.CreateUser(cliContext(ctx), in)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "created user %s\n", u.Username)
		return nil
	})
}

func userList(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "user list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
		us, err := a.DB.Users(ctx, account.UserFilter{})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tREAL NAME\tORG UNIT\tVERIFIED\tACTIVE\tROLES")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%t\t%s\n", u.Username, u.RealName, u.OrgUnit, u.Verified, u.Active, grantList(u.Roles))
		}
		return tw.Flush()
	})
}

func grantList(gs []account.Grant) string {
	var out []string
	for _, g := range gs {
		s := string(g.Role)
		if g.OrgUnit != "" {
			s += ":" + g.OrgUnit
		}
		out = append(out, s)
	}
	return strings.Join(out, ";")
}

func oneArg(fs *flag.FlagSet, what string) (string, error) {
	if fs.NArg() != 1 {
		return "", fmt.Errorf("%w: give exactly one %s", ErrUsage, what)
	}
	return fs.Arg(0), nil
}

func userShow(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "user show", args, nil, func(a *app.App, fs *flag.FlagSet) error {
		name, err := oneArg(fs, "USERNAME")
		if err != nil {
			return err
		}
		u, err := a.DB.User(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "username:     %s\nreal name:    %s\ndisplay name: %s\nemployee no:  %s\norg unit:     %s\nverified:     %t\nactive:       %t\nroles:        %s\n",
			u.Username, u.RealName, u.DisplayName, u.EmployeeNo, u.OrgUnit, u.Verified, u.Active, grantList(u.Roles))
		return nil
	})
}

func userUpdate(ctx context.Context, e *Env, args []string) error {
	var realName, displayName, employeeNo, orgUnit, roles, verified, passwordEnv string
	return withApp(ctx, e, "user update", args, func(fs *flag.FlagSet) {
		fs.StringVar(&realName, "real-name", "", "new real name")
		fs.StringVar(&displayName, "display-name", "", "new display name")
		fs.StringVar(&employeeNo, "employee-no", "", "new employee number")
		fs.StringVar(&orgUnit, "org-unit", "", "new org unit")
		fs.StringVar(&roles, "roles", "", `new roles, e.g. "approver:Finance;reviewer" ("-" for none)`)
		fs.StringVar(&verified, "verified", "", "true or false")
		fs.StringVar(&passwordEnv, "password-env", "", "environment variable holding a new password")
	}, func(a *app.App, fs *flag.FlagSet) error {
		name, err := oneArg(fs, "USERNAME")
		if err != nil {
			return err
		}
		var p account.UserPatch
		opt := func(v string) *string {
			if v == "" {
				return nil
			}
			return &v
		}
		p.RealName, p.DisplayName, p.EmployeeNo, p.OrgUnit = opt(realName), opt(displayName), opt(employeeNo), opt(orgUnit)
		if roles != "" {
			g := []account.Grant{}
			if roles != "-" {
				if g, err = account.ParseGrants(roles); err != nil {
					return err
				}
			}
			p.Roles = &g
		}
		if verified != "" {
			b, err := strconv.ParseBool(verified)
			if err != nil {
				return errs.Field("verified", "%q is not true or false", verified)
			}
			p.Verified = &b
		}
		if passwordEnv != "" {
			pw := e.Getenv(passwordEnv)
			if pw == "" {
				return errs.Field("password-env", "$%s is empty", passwordEnv)
			}
			p.Password = &pw
		}
		if _, err := a.Accounts.UpdateUser(cliContext(ctx), name, p); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "updated user %s\n", name)
		return nil
	})
}

func userDeactivate(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "user deactivate", args, nil, func(a *app.App, fs *flag.FlagSet) error {
		name, err := oneArg(fs, "USERNAME")
		if err != nil {
			return err
		}
		if _, err := a.Accounts.Deactivate(cliContext(ctx), name); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "deactivated user %s (kept for history)\n", name)
		return nil
	})
}

func userImport(ctx context.Context, e *Env, args []string) error {
	return withApp(ctx, e, "user import", args, nil, func(a *app.App, fs *flag.FlagSet) error {
		path, err := oneArg(fs, "CSV file")
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := a.Accounts.ImportCSV(cliContext(ctx), f)
		if err != nil {
			return err
		}
		for _, line := range res.Errors {
			fmt.Fprintf(e.Stderr, "%s: %s\n", path, line)
		}
		fmt.Fprintf(e.Stdout, "imported %s: %d created, %d updated, %d rejected\n", path, res.Created, res.Updated, len(res.Errors))
		if len(res.Errors) > 0 {
			return fmt.Errorf("%d rows rejected", len(res.Errors))
		}
		return nil
	})
}

func orgUnitCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "org-unit", args, verbs{
		"create": func(ctx context.Context, e *Env, args []string) error {
			var parent string
			return withApp(ctx, e, "org-unit create", args, func(fs *flag.FlagSet) {
				fs.StringVar(&parent, "parent", "", "parent unit name (empty for a root)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				name, err := oneArg(fs, "NAME")
				if err != nil {
					return err
				}
				if _, err := a.Accounts.CreateOrgUnit(cliContext(ctx), name, parent); err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "created org unit %s\n", name)
				return nil
			})
		},
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "org-unit list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				us, err := a.DB.OrgUnits(ctx)
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
		},
	})
}

func tokenCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "token", args, verbs{
		"create": func(ctx context.Context, e *Env, args []string) error {
			var name, scope string
			return withApp(ctx, e, "token create", args, func(fs *flag.FlagSet) {
				fs.StringVar(&name, "name", "", "what the token is for (required)")
				fs.StringVar(&scope, "scope", "", "ingest, read or admin (required)")
			}, func(a *app.App, fs *flag.FlagSet) error {
				secret, t, err := a.Accounts.CreateToken(cliContext(ctx), name, account.Scope(scope))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Stderr, "created token %d %q (scope %s); it is shown only once:\n", t.ID, t.Name, t.Scope)
				fmt.Fprintln(e.Stdout, secret)
				return nil
			})
		},
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "token list", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				ts, err := a.Accounts.Tokens(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tPREFIX\tCREATED BY\tCREATED\tLAST USED\tREVOKED\tSUSPENDED")
				for _, t := range ts {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", t.ID, t.Name, t.Scope, t.Prefix, t.CreatedBy, stamp(t.CreatedAt, a.Config.Location),
						when(t.LastUsedAt, a.Config.Location), when(t.RevokedAt, a.Config.Location), t.Suspended)
				}
				return tw.Flush()
			})
		},
		"revoke": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "token revoke", args, nil, func(a *app.App, fs *flag.FlagSet) error {
				arg, err := oneArg(fs, "token ID")
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
		},
	})
}
