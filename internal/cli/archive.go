package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"charter/internal/app"
	"charter/internal/archive"
	"charter/internal/config"
	"charter/internal/errs"
)

var archiveVerbs = verbs{"purge": archivePurge, "export": archiveExport}

// archivePurge applies the retention policies now; the server does it daily.
func archivePurge(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "archive purge", "", config.Storage|config.Retention)
	return c.run(ctx, args, func(a *app.App) error {
		res, err := a.Archive.Purge(cliContext(ctx))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "purged %d messages to tombstones; %d past retention kept under legal hold\n", res.Tombstoned, res.Held)
		return nil
	})
}

// archiveExport writes an e-discovery export into a new directory.
func archiveExport(ctx context.Context, e *Env, args []string) error {
	var q, sender, kind, from, to, out string
	var group int64
	c := newCmdline(e, "archive export", "", config.Storage)
	c.fs.StringVar(&q, "q", "", "search terms (Chinese terms of two or more characters, words)")
	c.fs.Int64Var(&group, "group", 0, "only this group")
	c.fs.StringVar(&sender, "sender", "", "only this sender handle or username")
	c.fs.StringVar(&kind, "kind", "", "only this kind of message")
	c.fs.StringVar(&from, "from", "", "sent at or after (RFC 3339 or YYYY-MM-DD)")
	c.fs.StringVar(&to, "to", "", "sent before (RFC 3339 or YYYY-MM-DD)")
	c.fs.StringVar(&out, "out", "", "directory to create for the export (required)")
	return c.run(ctx, args, func(a *app.App) error {
		if out == "" {
			return errs.Field("out", "required")
		}
		query := archive.Query{Text: q, GroupID: group, Sender: sender, Kind: kind}
		var err error
		if query.From, err = archive.ParseTime("from", from); err != nil {
			return err
		}
		if query.To, err = archive.ParseTime("to", to); err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o750); err != nil {
			return err
		}
		man, err := a.Archive.Export(cliContext(ctx), query, func(name string) (io.WriteCloser, error) {
			// O_EXCL: an export never overwrites an earlier one.
			return os.OpenFile(filepath.Join(out, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "exported %d messages to %s\n", man.Messages, out)
		for _, f := range man.Files {
			fmt.Fprintf(e.Stdout, "  %s  %s\n", f.SHA256, f.Name)
		}
		return nil
	})
}
