// Package cli is the charter command: one file per command, each
// subcommand with its own flag set showing only the configuration it reads.
// The commands talk to storage through the domain services of the app
// (package app), exactly as the HTTP API does.
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
	"charter/internal/errs"
	"charter/internal/extract"
)

// Env is how the command meets the world; tests pass their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
}

// command is one top-level command: run, or the subcommands of a noun.
type command struct {
	name, summary string
	run           func(ctx context.Context, e *Env, args []string) error
	verbs         verbs
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the API and console", run: serve},
		{name: "migrate", summary: "apply database migrations and exit", run: migrate},
		{name: "user", summary: "manage users: create, list, show, update, deactivate, import, handle, handles", verbs: userVerbs},
		{name: "org-unit", summary: "manage org units: create, list", verbs: orgUnitVerbs},
		{name: "token", summary: "manage API tokens: create, list, revoke", verbs: tokenVerbs},
		{name: "application", summary: "apply for work groups and decide: apply, edit, submit, withdraw, decide, list, show", verbs: applicationVerbs},
		{name: "group", summary: "registered groups: list, show, statement, sign, bind, members, room-members, member-add, member-remove, dissolve, roster", verbs: groupVerbs},
		{name: "room", summary: "the inventory of platform rooms, registered or not: list [--platform P] [--unregistered]", verbs: roomVerbs},
		{name: "approval-chain", summary: "approval chains per org unit and level: list, set, delete", verbs: approvalChainVerbs},
		{name: "template", summary: "confidentiality statement templates: list, show, publish", verbs: templateVerbs},
		{name: "campaign", summary: "re-certification and declaration campaigns: list, start, tasks, recertify, declare, results", verbs: campaignVerbs},
		{name: "notification", summary: "in-app notices: list, read", verbs: notificationVerbs},
		{name: "demo", summary: "load a demonstration organization (users, groups in every state, a month of messages and their alerts) into an empty database", run: demoCmd},
		{name: "tick", summary: "run the time-driven work once (registry reminders, expiry, campaign deadlines; periodic reports and their reminders)", run: tick},
		{name: "verify", summary: "check the hash chains of the audit trail and the archive", run: verify},
		{name: "checkpoint", summary: "signed checkpoints of the hash chains: create, list, export [--out FILE]", verbs: checkpointVerbs},
		{name: "rescan", summary: "run the detection rules in force over a period again: rescan --from 2026-11-01 --to 2026-12-01 [--group ID]", run: rescan},
		{name: "import", summary: "archive an export file: import FORMAT FILE [--group ID]", run: importCmd},
		{name: "archive", summary: "archive maintenance: purge, export", verbs: archiveVerbs},
		{name: "report", summary: "periodic reports and registration forms: generate, list, export, roster, form", verbs: reportVerbs},
		{name: "matrix", summary: "connect the organization's Matrix homeserver: register, enforce (notices and closing for unregistered rooms; off by default)", verbs: matrixVerbs},
		{name: "wecom", summary: "the organization's WeCom: pull --once (the chat archive, by hand), sync (the customer groups into the inventory)", verbs: wecomVerbs},
		{name: "version", summary: "print the version", run: version},
	}
}

// Version is set at build time with -ldflags "-X charter/internal/cli.Version=...".
var Version = "dev"

// ExtractChild is the hidden command of the attachment lane's child process.
const ExtractChild = app.ExtractChild

// ErrUsage marks a usage error; main exits 2 for it.
var ErrUsage = errors.New("usage")

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, e *Env) error {
	if e.Now == nil {
		e.Now = time.Now
	}
	// The attachment lane re-executes Charter to read an untrusted file in
	// a child under resource limits; the child does nothing else first.
	if len(args) == 1 && args[0] == ExtractChild {
		return extract.Child(e.Stdin, e.Stdout)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.Stderr)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		var err error
		if c.verbs != nil {
			err = subcommand(ctx, e, c.name, args[1:], c.verbs)
		} else {
			err = c.run(ctx, e, args[1:])
		}
		if errors.Is(err, flag.ErrHelp) {
			return nil // the command printed its flags
		}
		return err
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

// Describe renders an error for the terminal: the field first when there is one.
func Describe(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind != errs.Internal {
		return e.Error()
	}
	return err.Error()
}
