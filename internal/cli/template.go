package cli

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
)

var templateVerbs = verbs{"list": templateList, "show": templateShow, "publish": templatePublish}

func templateList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "template list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		ts, err := a.Registry.Templates(ctx, nil)
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
}

func templateShow(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "template show", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		t, err := a.Registry.CurrentTemplate(ctx, nil)
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, t)
	})
}

func templatePublish(ctx context.Context, e *Env, args []string) error {
	var zhFile, enFile string
	c := newCmdline(e, "template publish", "", config.Storage)
	c.fs.StringVar(&zhFile, "zh", "", "file with the zh-CN text (required)")
	c.fs.StringVar(&enFile, "en", "", "file with the English text (required)")
	return c.run(ctx, args, func(a *app.App) error {
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
}
