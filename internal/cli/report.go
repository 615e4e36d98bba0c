package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/report"
)

func reportCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "report", args, verbs{
		"generate": reportGenerate, "list": reportList, "export": reportExport, "roster": reportRoster,
		"form": reportForm,
	})
}

// withAppArgs is withApp for commands whose positional arguments may come
// before their flags ("report export 12 --format pdf"): the standard flag
// package stops at the first argument, so parsing resumes after each one.
func withAppArgs(ctx context.Context, e *Env, name string, args []string, setup func(fs *flag.FlagSet), fn func(a *app.App, pos []string) error) error {
	cfg := config.Default()
	fs := flags(e, name, &cfg)
	if setup != nil {
		setup(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	a, err := app.Open(ctx, &cfg, e.Now, app.NewLogger(&cfg, e.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, pos)
}

func reportGenerate(ctx context.Context, e *Env, args []string) error {
	var period string
	return withAppArgs(ctx, e, "report generate", args, func(fs *flag.FlagSet) {
		fs.StringVar(&period, "period", "", "the period: a month (2026-10) or a quarter (2026-Q4) (required)")
	}, func(a *app.App, pos []string) error {
		if period == "" || len(pos) > 0 {
			return fmt.Errorf("%w: charter report generate --period 2026-10", ErrUsage)
		}
		rs, err := a.Reports.Generate(cliContext(ctx), period)
		for _, r := range rs {
			fmt.Fprintf(e.Stdout, "created report %d: %s %s, due %s, for %s\n", r.ID, r.GroupName, r.Period, day(r.DueAt, a.Config.Location), r.Responsible)
		}
		fmt.Fprintf(e.Stdout, "%d reports created for %s\n", len(rs), period)
		return err
	})
}

func reportList(ctx context.Context, e *Env, args []string) error {
	var f report.Filter
	var overdue bool
	return withAppArgs(ctx, e, "report list", args, func(fs *flag.FlagSet) {
		fs.StringVar(&f.Status, "status", "", "only reports in this state: due, draft, filed")
		fs.StringVar(&f.Period, "period", "", "only reports of this period")
		fs.StringVar(&f.Responsible, "responsible", "", "only reports of groups this user is responsible for")
		fs.BoolVar(&overdue, "overdue", false, "only unfiled reports past their due date")
	}, func(a *app.App, pos []string) error {
		var rs []report.Report
		var err error
		if overdue {
			rs, err = a.Reports.Overdue(ctx, nil)
		} else {
			rs, err = a.Reports.List(ctx, nil, f)
		}
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPERIOD\tGROUP\tRESPONSIBLE\tSTATUS\tDUE\tFILED")
		for _, r := range rs {
			status := r.Status
			if r.Overdue {
				status += " (overdue)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Period, r.GroupName, r.Responsible, status, day(r.DueAt, a.Config.Location), when(r.FiledAt, a.Config.Location))
		}
		return tw.Flush()
	})
}

// docFlags registers --format and --out.
func docFlags(format, out *string) func(fs *flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.StringVar(format, "format", "pdf", "csv, xlsx or pdf")
		fs.StringVar(out, "out", "", "file to write (default: the document's own name in the current directory; - for standard output)")
	}
}

func writeDoc(e *Env, doc *report.Document, out string) error {
	if out == "-" {
		_, err := e.Stdout.Write(doc.Body)
		return err
	}
	if out == "" {
		out = doc.Filename
	}
	if err := os.WriteFile(out, doc.Body, 0o640); err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "wrote %s (%d bytes)\n", out, len(doc.Body))
	return nil
}

func reportExport(ctx context.Context, e *Env, args []string) error {
	var format, out string
	return withAppArgs(ctx, e, "report export", args, docFlags(&format, &out), func(a *app.App, pos []string) error {
		if len(pos) != 1 {
			return fmt.Errorf("%w: charter report export ID --format pdf --out FILE", ErrUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a report id", ErrUsage, pos[0])
		}
		doc, err := a.Reports.ExportReport(cliContext(ctx), nil, id, format)
		if err != nil {
			return err
		}
		return writeDoc(e, doc, out)
	})
}

func reportRoster(ctx context.Context, e *Env, args []string) error {
	var format, out string
	return withAppArgs(ctx, e, "report roster", args, docFlags(&format, &out), func(a *app.App, pos []string) error {
		if len(pos) != 0 {
			return fmt.Errorf("%w: charter report roster --format xlsx --out FILE", ErrUsage)
		}
		doc, err := a.Reports.ExportRoster(cliContext(ctx), format)
		if err != nil {
			return err
		}
		return writeDoc(e, doc, out)
	})
}

func reportForm(ctx context.Context, e *Env, args []string) error {
	var format, out string
	return withAppArgs(ctx, e, "report form", args, docFlags(&format, &out), func(a *app.App, pos []string) error {
		if len(pos) != 1 {
			return fmt.Errorf("%w: charter report form USERNAME --format pdf --out FILE", ErrUsage)
		}
		doc, err := a.Reports.ExportForm(cliContext(ctx), nil, pos[0], format)
		if err != nil {
			return err
		}
		return writeDoc(e, doc, out)
	})
}
