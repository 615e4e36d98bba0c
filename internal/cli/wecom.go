package cli

import (
	"context"
	"fmt"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/wecom"
)

var wecomVerbs = verbs{"pull": wecomPull, "sync": wecomSync}

const wecomConfig = config.Storage | config.WeCom

// wecomPull runs one round of the archive pull by hand, with progress:
// batches of up to 1,000 records until the archive is drained, each
// archived and scanned with the cursor moved in the same transaction.
func wecomPull(ctx context.Context, e *Env, args []string) error {
	var once bool
	c := newCmdline(e, "wecom pull", "--once", wecomConfig)
	c.fs.BoolVar(&once, "once", false, "pull until the archive is drained, then exit (serve pulls continuously)")
	return c.run(ctx, args, func(a *app.App) error {
		if !once {
			return errs.Field("once", "required: charter serve pulls continuously; wecom pull --once runs one round")
		}
		closeSDK, err := a.OpenWeComPull(a.Config)
		if err != nil {
			return err
		}
		defer closeSDK()
		n, err := a.WeCom.Pull(cliContext(ctx), func(p wecom.Progress) {
			fmt.Fprintf(e.Stdout, "archived a batch of %d records (%d so far), seq now %d\n", p.Records, p.Total, p.Seq)
		})
		fmt.Fprintf(e.Stdout, "pulled %d records\n", n)
		return err
	})
}

// wecomSync lists the customer groups and records each in the inventory.
func wecomSync(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "wecom sync", "", wecomConfig)
	return c.run(ctx, args, func(a *app.App) error {
		if a.WeCom.Inventory == nil || a.WeCom.Inventory.Groups == nil {
			return errs.Field("wecom-corp-id", "required with CHARTER_WECOM_SECRET or CHARTER_WECOM_CONTACT_SECRET to list the customer groups")
		}
		n, err := a.WeCom.Inventory.SyncCustomerGroups(cliContext(ctx))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "recorded %d customer groups\n", n)
		return nil
	})
}
