package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

func version(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("charter version", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "Usage: charter version") }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	fmt.Fprintln(e.Stdout, "charter", Version)
	return nil
}
