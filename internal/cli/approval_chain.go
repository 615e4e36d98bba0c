package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"charter/internal/account"
	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/registry"
)

var approvalChainVerbs = verbs{"list": approvalChainList, "set": approvalChainSet, "delete": approvalChainDelete}

// parseSteps reads "approver;security_officer:external".
func parseSteps(s string) []registry.Step {
	out := []registry.Step{}
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		role, when, _ := strings.Cut(part, ":")
		out = append(out, registry.Step{Role: account.Role(role), When: when})
	}
	return out
}

// unitLevelFlags binds the org unit and level a chain is for.
func unitLevelFlags(c *cmdline, unit, level *string) {
	c.fs.StringVar(unit, "org-unit", "", "org unit name (required)")
	c.fs.StringVar(level, "level", "", "public, internal or sensitive (required)")
}

func approvalChainList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "approval-chain list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		cs, err := a.Registry.ApprovalChains(ctx, nil)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ORG UNIT\tLEVEL\tSTEPS")
		for _, ch := range cs {
			var ss []string
			for _, st := range ch.Steps {
				x := string(st.Role)
				if st.When != "" {
					x += ":" + st.When
				}
				ss = append(ss, x)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.OrgUnit, ch.Level, strings.Join(ss, ";"))
		}
		fmt.Fprintln(tw, "(default)\tpublic, internal\tapprover;security_officer:external")
		fmt.Fprintln(tw, "(default)\tsensitive\tapprover;security_officer")
		return tw.Flush()
	})
}

func approvalChainSet(ctx context.Context, e *Env, args []string) error {
	var unit, level, steps string
	c := newCmdline(e, "approval-chain set", "", config.Storage)
	unitLevelFlags(c, &unit, &level)
	c.fs.StringVar(&steps, "steps", "", `steps in order, e.g. "approver;security_officer:external"`)
	return c.run(ctx, args, func(a *app.App) error {
		ch, err := a.Registry.SetApprovalChain(cliContext(ctx), registry.ApprovalChain{OrgUnit: unit, Level: registry.Level(level), Steps: parseSteps(steps)})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "approval chain for %s at %s: %d steps\n", ch.OrgUnit, ch.Level, len(ch.Steps))
		return nil
	})
}

func approvalChainDelete(ctx context.Context, e *Env, args []string) error {
	var unit, level string
	c := newCmdline(e, "approval-chain delete", "", config.Storage)
	unitLevelFlags(c, &unit, &level)
	return c.run(ctx, args, func(a *app.App) error {
		if err := a.Registry.DeleteApprovalChain(cliContext(ctx), unit, registry.Level(level)); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "deleted the approval chain for %s at %s; the default applies\n", unit, level)
		return nil
	})
}
