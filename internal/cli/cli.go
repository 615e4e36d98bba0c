// Package cli is the charter command: every subcommand parses its own flags
// into the one config struct and talks to storage through the domain services,
// exactly as the HTTP API does.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/errs"
)

// Env is how the command meets the world; tests pass their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the API and console", serve},
		{"migrate", "apply database migrations and exit", migrate},
		{"user", "manage users: create, list, show, update, deactivate, import, handle, handles", userCmd},
		{"org-unit", "manage org units: create, list", orgUnitCmd},
		{"token", "manage API tokens: create, list, revoke", tokenCmd},
		{"application", "apply for work groups and decide: apply, edit, submit, withdraw, decide, list, show", applicationCmd},
		{"group", "registered groups: list, show, statement, sign, bind, members, member-add, member-remove, dissolve, roster", groupCmd},
		{"approval-chain", "approval chains per org unit and level: list, set, delete", approvalChainCmd},
		{"template", "confidentiality statement templates: list, show, publish", templateCmd},
		{"campaign", "re-certification and declaration campaigns: list, start, tasks, recertify, declare, results", campaignCmd},
		{"notification", "in-app notices: list, read", notificationCmd},
		{"demo", "load a demonstration organization (users, groups in every state, a month of messages and their alerts) into an empty database", demoCmd},
		{"tick", "run the time-driven work once (registry reminders, expiry, campaign deadlines; periodic reports and their reminders)", tick},
		{"verify", "check the hash chains of the audit trail and the archive", verify},
		{"checkpoint", "signed checkpoints of the hash chains: create, list, export [--out FILE]", checkpointCmd},
		{"rescan", "run the detection rules in force over a period again: rescan --from 2026-11-01 --to 2026-12-01 [--group ID]", rescan},
		{"import", "archive an export file: import FORMAT FILE [--group ID]", importCmd},
		{"archive", "archive maintenance: purge, export", archiveCmd},
		{"report", "periodic reports and registration forms: generate, list, export, roster, form", reportCmd},
		{"version", "print the version", version},
	}
}

// Version is set at build time with -ldflags "-X charter/internal/cli.Version=...".
var Version = "dev"

// ErrUsage marks a usage error; main exits 2 for it.
var ErrUsage = errors.New("usage")

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, e *Env) error {
	if e.Now == nil {
		e.Now = time.Now
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.Stderr)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	usage(e.Stderr)
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "charter governs work chat groups: registry, archive, detection, review, reports.")
	fmt.Fprintln(w, "\nUsage: charter COMMAND [flags]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'charter COMMAND -h' for a command's flags.")
}

// flags returns a flag set with the configuration flags registered on cfg.
func flags(e *Env, name string, cfg *config.Config) *flag.FlagSet {
	fs := flag.NewFlagSet("charter "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	cfg.Register(fs, e.Getenv, config.All)
	return fs
}

// parse parses args and validates the configuration.
func parse(fs *flag.FlagSet, cfg *config.Config, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err // the flags were printed; Run ends quietly
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return cfg.Validate()
}

// cliContext marks CLI actions in the audit trail.
func cliContext(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: "cli", Addr: "local"})
}

// withApp parses flags, opens the app and runs fn with it.
func withApp(ctx context.Context, e *Env, name string, args []string, setup func(fs *flag.FlagSet), fn func(a *app.App, fs *flag.FlagSet) error) error {
	cfg := config.Default()
	fs := flags(e, name, &cfg)
	if setup != nil {
		setup(fs)
	}
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, &cfg, e.Now, app.NewLogger(&cfg, e.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, fs)
}

// Describe renders an error for the terminal: the field first when there is one.
func Describe(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind != errs.Internal {
		return e.Error()
	}
	return err.Error()
}
