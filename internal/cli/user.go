package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/registry"
)

var userVerbs = verbs{
	"create": userCreate, "list": userList, "show": userShow, "update": userUpdate,
	"deactivate": userDeactivate, "import": userImport, "handle": userHandle, "handles": userHandles,
}

func userCreate(ctx context.Context, e *Env, args []string) error {
	var in account.NewUser
	var roles, passwordEnv string
	c := newCmdline(e, "user create", "", config.Storage)
	c.fs.StringVar(&in.Username, "username", "", "username (required)")
	c.fs.StringVar(&in.RealName, "real-name", "", "real name (required)")
	c.fs.StringVar(&in.DisplayName, "display-name", "", "display name (default: real name)")
	c.fs.StringVar(&in.EmployeeNo, "employee-no", "", "employee number")
	c.fs.StringVar(&in.OrgUnit, "org-unit", "", "org unit name")
	c.fs.BoolVar(&in.Verified, "verified", false, "identity verified")
	c.fs.StringVar(&roles, "roles", "", `roles, e.g. "approver:Finance;reviewer"`)
	c.fs.StringVar(&passwordEnv, "password-env", "CHARTER_USER_PASSWORD", "environment variable holding the password (empty: no sign-in until set)")
	return c.run(ctx, args, func(a *app.App) error {
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
	c := newCmdline(e, "user list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		us, err := a.Accounts.Users(ctx, nil, account.UserFilter{})
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

func userShow(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "user show", "USERNAME", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("USERNAME")
		if err != nil {
			return err
		}
		u, err := a.Accounts.User(ctx, nil, name)
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
	c := newCmdline(e, "user update", "USERNAME", config.Storage)
	c.fs.StringVar(&realName, "real-name", "", "new real name")
	c.fs.StringVar(&displayName, "display-name", "", "new display name")
	c.fs.StringVar(&employeeNo, "employee-no", "", "new employee number")
	c.fs.StringVar(&orgUnit, "org-unit", "", "new org unit")
	c.fs.StringVar(&roles, "roles", "", `new roles, e.g. "approver:Finance;reviewer" ("-" for none)`)
	c.fs.StringVar(&verified, "verified", "", "true or false")
	c.fs.StringVar(&passwordEnv, "password-env", "", "environment variable holding a new password")
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("USERNAME")
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
	c := newCmdline(e, "user deactivate", "USERNAME", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("USERNAME")
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
	c := newCmdline(e, "user import", "FILE.csv", config.Storage)
	c.fs.Usage = func() {
		fmt.Fprintf(c.fs.Output(), "Usage: charter user import FILE.csv [flags]\n\n"+
			"Columns: %s\n"+
			"  username and real_name are required; roles is like \"approver:Finance;reviewer\".\n"+
			"  %s: the user's handles on that platform\n"+
			"  (a Matrix user ID such as @zhang.wei:example.org, a WeCom userid...), several\n"+
			"  in a cell separated by \";\". Each row is imported whole or not at all; handles\n"+
			"  are only added, never removed.\n\nFlags:\n",
			strings.Join(account.ImportColumns, ","), strings.Join(account.HandleColumns, ", "))
		c.fs.PrintDefaults()
	}
	return c.run(ctx, args, func(a *app.App) error {
		path, err := c.oneArg("CSV file")
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
		fmt.Fprintf(e.Stdout, "imported %s: %d created, %d updated, %d handles added, %d rejected\n", path, res.Created, res.Updated, res.Handles, len(res.Errors))
		if len(res.Errors) > 0 {
			return fmt.Errorf("%d rows rejected", len(res.Errors))
		}
		return nil
	})
}

// userHandle records a user's handle on a platform (e.g. a WeCom userid),
// so that captured messages resolve to the person.
func userHandle(ctx context.Context, e *Env, args []string) error {
	var platform, handle string
	c := newCmdline(e, "user handle", "USERNAME", config.Storage)
	c.fs.StringVar(&platform, "platform", "", "wecom, wechat, dingtalk, feishu, matrix or other (required)")
	c.fs.StringVar(&handle, "handle", "", "the user's ID on that platform (required); on matrix a user ID, @localpart:server")
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("USERNAME")
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
	c := newCmdline(e, "user handles", "USERNAME", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		name, err := c.oneArg("USERNAME")
		if err != nil {
			return err
		}
		hs, err := a.Registry.Handles(ctx, nil, name)
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
