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
	"log/slog"
	"sort"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/metrics"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/review"
	"charter/internal/store"
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
		{"demo", "load a demonstration organization (users, groups in every state, a month of messages and their alerts) into an empty database", demo},
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

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lv}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// app is Charter assembled: the database and the domain services on it.
type app struct {
	cfg      *config.Config
	db       store.DB
	accounts *account.Service
	archive  *archive.Service
	registry *registry.Service
	metrics  *metrics.Registry
	policies *review.Policies
	review   *review.Service
	// directory is the registry held in memory for capture and detection.
	directory *registry.Directory
	// pipeline scans every archived chunk, and catches up on what a crash
	// or a failure left unscanned.
	pipeline *pipeline.Pipeline
	// checkpoints signs the chain heads with the key kept outside the database.
	checkpoints *checkpoint.Service
	reports     *report.Service
	now         func() time.Time
}

// open opens and migrates the database and wires the services.
func open(ctx context.Context, cfg *config.Config, now func() time.Time, log *slog.Logger) (*app, error) {
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	policy := registry.DefaultPolicy()
	policy.RemindAfter, policy.SignatureDays, policy.RecertDefault = cfg.ApprovalRemindAfter, int(cfg.SignatureDays), cfg.RecertDefault
	if policy.RecertMonths, err = registry.ParseRecertMonths(cfg.RecertMonths); err != nil {
		db.Close()
		return nil, err
	}
	key, err := loadCheckpointKey(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	reviewTx := store.TxFor[review.TxStore](db)
	policies, err := review.NewPolicies(ctx, db, reviewTx, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	m := metrics.New()
	dir := registry.NewDirectory(db)
	a := &app{
		cfg:       cfg,
		db:        db,
		accounts:  account.NewService(db, store.TxFor[account.TxStore](db), now, cfg.SessionTTL),
		archive:   newArchive(cfg, db, now, dir),
		registry:  registry.NewService(db, store.TxFor[registry.TxStore](db), now, policy),
		metrics:   m,
		policies:  policies,
		review:    &review.Service{Store: db, Tx: reviewTx, Now: now, Archive: archiveContext{db}},
		directory: dir,
		now:       now,
	}
	// The domains meet in the pipeline: the archive resolves rooms and
	// senders through the registry's directory and hands every committed
	// chunk to detection, which records alerts and notices with context
	// from both. Review reads message context from the archive, and reports
	// take their figures from the archive and review (adapters in wiring.go).
	scanner := &review.Scanner{Policies: policies, Store: db, Tx: reviewTx, Metrics: m, Log: log, Now: now}
	a.accounts.Throttle.AddrLimit = int(cfg.LoginAddressLimit)
	a.pipeline = pipeline.New(db, store.TxFor[pipeline.TxStore](db), scanner, dir, m, log, now, cfg.Location)
	a.pipeline.Lease, a.pipeline.Retries, a.pipeline.LagAlarm = cfg.ScanLease, int(cfg.ScanRetries), cfg.ScanLagAlarm
	a.archive.Observe(a.pipeline.Archived)
	a.checkpoints = &checkpoint.Service{Store: db, Tx: store.TxFor[checkpoint.Store](db), Key: key, Now: now}
	a.archive.Checkpoints = a.checkpoints
	a.reports = report.NewService(db, store.TxFor[report.TxStore](db), now, a.registry,
		report.Sources{Messages: db.GroupMessageStats, Transfers: db.GroupTransferStats, Alerts: db.AlertFigures})
	a.reports.Zone = cfg.Location
	a.reports.Checkpoints = a.checkpoints
	// Every group signs some statement: ship the default as version 1.
	if err := a.registry.EnsureDefaultTemplate(cliContext(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) Close() error { return a.db.Close() }

// newArchive makes the archive service with the configured retention,
// resolving through the registry's directory; open adds its observer.
func newArchive(cfg *config.Config, db store.DB, now func() time.Time, dir *registry.Directory) *archive.Service {
	svc := archive.NewService(db, store.TxFor[archive.TxStore](db), now)
	svc.Resolver, svc.Groups = pipeline.Resolver{Directory: dir}, pipeline.Resolver{Directory: dir}
	svc.ScanLease = cfg.ScanLease
	days := func(n int64) time.Duration { return time.Duration(n) * 24 * time.Hour }
	svc.Retention = archive.Retention{
		Sensitive:    days(cfg.RetentionSensitiveDays),
		Internal:     days(cfg.RetentionInternalDays),
		Public:       days(cfg.RetentionPublicDays),
		Unregistered: days(cfg.RetentionUnregisteredDays),
	}
	return svc
}

// cliContext marks CLI actions in the audit trail.
func cliContext(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: "cli", Addr: "local"})
}

// withApp parses flags, opens the app and runs fn with it.
func withApp(ctx context.Context, e *Env, name string, args []string, setup func(fs *flag.FlagSet), fn func(a *app, fs *flag.FlagSet) error) error {
	cfg := config.Default()
	fs := flags(e, name, &cfg)
	if setup != nil {
		setup(fs)
	}
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	a, err := open(ctx, &cfg, e.Now, newLogger(&cfg, e.Stderr))
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
