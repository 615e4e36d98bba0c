package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
)

// cmdline is one command being run: its own flag set, on which it
// registers its flags and the configuration groups it reads, and the
// positional arguments left once they are parsed.
type cmdline struct {
	e    *Env
	cfg  config.Config
	fs   *flag.FlagSet
	args []string
	// interspersed lets flags follow the positional arguments ("report
	// export 12 --format pdf"): the flag package alone stops at the first.
	interspersed bool
}

// newCmdline starts "charter NAME": usage is what follows the name in the
// usage line (positional arguments; "[flags]" is added); groups are the
// configuration flags it shows. Every other setting still comes from the
// environment and the defaults.
func newCmdline(e *Env, name, usage string, groups config.Group) *cmdline {
	c := &cmdline{e: e, cfg: config.Default()}
	c.fs = flag.NewFlagSet("charter "+name, flag.ContinueOnError)
	c.fs.SetOutput(e.Stderr)
	c.cfg.Register(c.fs, e.Getenv, groups)
	c.fs.Usage = func() {
		fmt.Fprintf(c.fs.Output(), "Usage: charter %s %s\n\nFlags:\n", name, strings.Join(strings.Fields(usage+" [flags]"), " "))
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses args into the flags and the positional arguments. After -h
// it returns flag.ErrHelp: the flags were printed, and Run ends quietly.
func (c *cmdline) parse(args []string) error {
	var err error
	if c.interspersed {
		c.args, err = parseInterspersed(c.fs, args)
	} else if err = c.fs.Parse(args); err == nil {
		c.args = c.fs.Args()
	}
	if errors.Is(err, flag.ErrHelp) {
		return err
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return nil
}

// run parses args, opens the app on the validated configuration, runs fn
// with it and closes it.
func (c *cmdline) run(ctx context.Context, args []string, fn func(*app.App) error) error {
	if err := c.parse(args); err != nil {
		return err
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// openApp opens the app once the flags are parsed.
func (c *cmdline) openApp(ctx context.Context) (*app.App, error) {
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	return app.Open(ctx, &c.cfg, c.e.Now, c.log())
}

func (c *cmdline) log() *slog.Logger { return app.NewLogger(&c.cfg, c.e.Stderr) }

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (`import pywxdump FILE --group 3`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// oneArg is the one positional argument, what the command acts on.
func (c *cmdline) oneArg(what string) (string, error) {
	if len(c.args) != 1 {
		return "", fmt.Errorf("%w: give exactly one %s", ErrUsage, what)
	}
	return c.args[0], nil
}

// idArg is the one positional argument, a positive ID.
func (c *cmdline) idArg(what string) (int64, error) {
	arg, err := c.oneArg(what)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q is not a %s", ErrUsage, arg, what)
	}
	return id, nil
}

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
	return strings.Join(slices.Sorted(maps.Keys(vs)), ", ")
}

// cliContext marks CLI actions in the audit trail.
func cliContext(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: "cli", Addr: "local"})
}

// actingAs returns the principal for --as (nil for the operator) and a
// context that audits the action as theirs. Actions a person answers for
// (applying, deciding, signing...) name that person with --as and are
// audited as theirs, from "cli"; without --as the operator acts, and may
// read everything, as with `charter user`.
func actingAs(ctx context.Context, a *app.App, username string) (context.Context, *account.Principal, error) {
	if username == "" {
		return cliContext(ctx), nil, nil
	}
	u, err := a.Accounts.User(ctx, nil, username)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, errs.E(errs.Forbidden, "user %s is deactivated", username)
	}
	return audit.WithActor(ctx, audit.Actor{Name: u.Username, Addr: "cli"}), &account.Principal{User: u}, nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
