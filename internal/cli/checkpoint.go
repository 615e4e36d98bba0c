package cli

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"charter/internal/app"
	"charter/internal/checkpoint"
)

// checkpointCmd signs, lists and exports the checkpoints of the hash chains.
func checkpointCmd(ctx context.Context, e *Env, args []string) error {
	return subcommand(ctx, e, "checkpoint", args, verbs{
		"create": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "checkpoint create", args, nil, func(a *app.App, _ *flag.FlagSet) error {
				c, err := a.Checkpoints.Make(cliContext(ctx), "manual")
				if err != nil {
					return err
				}
				fmt.Fprintln(e.Stdout, c.Summary())
				return nil
			})
		},
		"list": func(ctx context.Context, e *Env, args []string) error {
			return withApp(ctx, e, "checkpoint list", args, nil, func(a *app.App, _ *flag.FlagSet) error {
				cs, err := a.Checkpoints.List(ctx, 100)
				if err != nil {
					return err
				}
				for _, c := range cs {
					fmt.Fprintln(e.Stdout, c.Summary())
				}
				return nil
			})
		},
		"export": func(ctx context.Context, e *Env, args []string) error {
			var out string
			return withApp(ctx, e, "checkpoint export", args, func(fs *flag.FlagSet) {
				fs.StringVar(&out, "out", "", "file to write (default: standard output); keep it away from the database")
			}, func(a *app.App, _ *flag.FlagSet) error {
				cs, err := a.Checkpoints.List(ctx, 1_000_000)
				if err != nil {
					return err
				}
				var w io.Writer = e.Stdout
				if out != "" {
					f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				enc := json.NewEncoder(w)
				for _, c := range cs {
					if err := enc.Encode(c); err != nil {
						return err
					}
				}
				fmt.Fprintf(e.Stderr, "exported %d checkpoints, signed by key %s\n", len(cs), checkpoint.KeyID(a.Checkpoints.Public()))
				return nil
			})
		},
	})
}

// readCheckpoints reads a file of checkpoints: one JSON object a line (what
// checkpoint export writes), or an export manifest carrying one.
func readCheckpoints(path string) ([]checkpoint.Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []checkpoint.Checkpoint
	dec := json.NewDecoder(bufio.NewReader(f))
	for n := 1; ; n++ {
		var v struct {
			checkpoint.Checkpoint
			Manifest *checkpoint.Checkpoint `json:"checkpoint"`
		}
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: record %d: %v", path, n, err)
		}
		c := v.Checkpoint
		if v.Manifest != nil {
			c = *v.Manifest
		}
		if c.Body == "" {
			return nil, fmt.Errorf("%s: record %d is not a checkpoint", path, n)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no checkpoint", path)
	}
	return out, nil
}

// checkKeys refuses checkpoints in the database signed by a key other than
// ours: the key was replaced (or another server signs with its own).
func checkKeys(cps []checkpoint.Checkpoint, pub ed25519.PublicKey) error {
	for _, c := range cps {
		if c.KeyID != checkpoint.KeyID(pub) {
			return fmt.Errorf("checkpoint %d was signed by key %s, not by this key %s: the signing key was replaced (or another server signs with its own)", c.ID, c.KeyID, checkpoint.KeyID(pub))
		}
	}
	return nil
}
