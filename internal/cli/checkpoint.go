package cli

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"charter/internal/app"
	"charter/internal/checkpoint"
	"charter/internal/config"
)

// The checkpoint commands sign, list and export the checkpoints of the hash chains.
var checkpointVerbs = verbs{"create": checkpointCreate, "list": checkpointList, "export": checkpointExport}

func checkpointCreate(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "checkpoint create", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		cp, err := a.Checkpoints.Make(cliContext(ctx), "manual")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, cp.Summary())
		return nil
	})
}

func checkpointList(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "checkpoint list", "", config.Storage)
	return c.run(ctx, args, func(a *app.App) error {
		cs, err := a.Checkpoints.List(ctx, 100)
		if err != nil {
			return err
		}
		for _, cp := range cs {
			fmt.Fprintln(e.Stdout, cp.Summary())
		}
		return nil
	})
}

func checkpointExport(ctx context.Context, e *Env, args []string) error {
	var out string
	c := newCmdline(e, "checkpoint export", "", config.Storage)
	c.fs.StringVar(&out, "out", "", "file to write (default: standard output); keep it away from the database")
	return c.run(ctx, args, func(a *app.App) error {
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
		for _, cp := range cs {
			if err := enc.Encode(cp); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.Stderr, "exported %d checkpoints, signed by key %s\n", len(cs), checkpoint.KeyID(a.Checkpoints.Public()))
		return nil
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
