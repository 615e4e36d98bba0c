package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/report"
)

var reportVerbs = verbs{
	"generate": reportGenerate, "list": reportList, "export": reportExport, "roster": reportRoster, "form": reportForm,
}

// reportCmdline starts a report command, whose positional arguments may come
// before its flags ("report export 12 --format pdf").
func reportCmdline(e *Env, name, usage string) *cmdline {
	c := newCmdline(e, name, usage, config.Storage)
	c.interspersed = true
	return c
}

func reportGenerate(ctx context.Context, e *Env, args []string) error {
	var period string
	c := reportCmdline(e, "report generate", "")
	c.fs.StringVar(&period, "period", "", "the period: a month (2026-10) or a quarter (2026-Q4) (required)")
	return c.run(ctx, args, func(a *app.App) error {
		if period == "" || len(c.args) > 0 {
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
	c := reportCmdline(e, "report list", "")
	c.fs.StringVar(&f.Status, "status", "", "only reports in this state: due, draft, filed")
	c.fs.StringVar(&f.Period, "period", "", "only reports of this period")
	c.fs.StringVar(&f.Responsible, "responsible", "", "only reports of groups this user is responsible for")
	c.fs.BoolVar(&overdue, "overdue", false, "only unfiled reports past their due date")
	return c.run(ctx, args, func(a *app.App) error {
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
func docFlags(fs *flag.FlagSet, format, out *string) {
	fs.StringVar(format, "format", "pdf", "csv, xlsx or pdf")
	fs.StringVar(out, "out", "", "file to write (default: the document's own name in the current directory; - for standard output)")
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
	c := reportCmdline(e, "report export", "ID")
	docFlags(c.fs, &format, &out)
	return c.run(ctx, args, func(a *app.App) error {
		if len(c.args) != 1 {
			return fmt.Errorf("%w: charter report export ID --format pdf --out FILE", ErrUsage)
		}
		id, err := strconv.ParseInt(c.args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a report id", ErrUsage, c.args[0])
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
	c := reportCmdline(e, "report roster", "")
	docFlags(c.fs, &format, &out)
	return c.run(ctx, args, func(a *app.App) error {
		if len(c.args) != 0 {
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
	c := reportCmdline(e, "report form", "USERNAME")
	docFlags(c.fs, &format, &out)
	return c.run(ctx, args, func(a *app.App) error {
		if len(c.args) != 1 {
			return fmt.Errorf("%w: charter report form USERNAME --format pdf --out FILE", ErrUsage)
		}
		doc, err := a.Reports.ExportForm(cliContext(ctx), nil, c.args[0], format)
		if err != nil {
			return err
		}
		return writeDoc(e, doc, out)
	})
}
