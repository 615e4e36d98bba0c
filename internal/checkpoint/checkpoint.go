// Package checkpoint anchors the hash chains outside the database: an
// Ed25519 key kept in a file (or the environment), never in the database,
// signs the head of every chain — periodically, at every filed report and
// every export — and verification checks the chains against the newest
// checkpoint and against checkpoints a user kept. Someone who can write the
// database can rewrite a chain and recompute its hashes, or cut its end and
// move its head back; they cannot sign a checkpoint that matches.
package checkpoint

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"charter/internal/audit"
	"charter/internal/errs"
)

// Head is the last link of a chain.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Checkpoint is a signed record of every chain's head at one moment. Body
// is exactly what was signed; the other fields are read from it.
type Checkpoint struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Reason    string          `json:"reason"`
	Chains    map[string]Head `json:"chains"`
	KeyID     string          `json:"key_id"`
	PublicKey string          `json:"public_key,omitempty"` // base64, in exports
	Signature string          `json:"signature"`            // base64 Ed25519 over Body
	Body      string          `json:"body"`
}

// body is the signed document.
type body struct {
	At     string          `json:"at"`
	Reason string          `json:"reason"`
	Chains map[string]Head `json:"chains"` // encoding/json sorts the keys
}

// Store is what checkpoints read and keep.
type Store interface {
	ChainHeads(ctx context.Context) (map[string]Head, error)
	// ChainHashAt is the hash of link seq of a chain; ok is false when the
	// link is not there.
	ChainHashAt(ctx context.Context, chain string, seq int64) (hash string, ok bool, err error)
	AddCheckpoint(ctx context.Context, c *Checkpoint) error
	// Checkpoints lists the newest first.
	Checkpoints(ctx context.Context, limit int) ([]Checkpoint, error)
	// CheckpointFor is the newest checkpoint made for reason (nil: none).
	CheckpointFor(ctx context.Context, reason string) (*Checkpoint, error)
	AppendAudit(ctx context.Context, e *audit.Event) error
}

// KeyID names a public key: the first 8 bytes of its SHA-256, hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// LoadKey reads the signing key: the base64 seed in env when set, else the
// file at path, created (mode 0600, 32 random bytes as base64) when create
// is true and it does not exist. A key file readable by others is refused.
func LoadKey(env, path string, create bool) (ed25519.PrivateKey, error) {
	if env != "" {
		return parseSeed(env, "CHARTER_CHECKPOINT_KEY")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(seed) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("checkpoint key %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	return parseSeed(strings.TrimSpace(string(b)), path)
}

func parseSeed(s, where string) (ed25519.PrivateKey, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("checkpoint key in %s: not the base64 of a %d-byte Ed25519 seed", where, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Make signs the chain heads as st sees them (inside a transaction, its own
// writes included), stores the checkpoint and audits it.
func Make(ctx context.Context, st Store, key ed25519.PrivateKey, now time.Time, reason string) (*Checkpoint, error) {
	heads, err := st.ChainHeads(ctx)
	if err != nil {
		return nil, errs.Wrap(err, "read chain heads")
	}
	b, err := json.Marshal(body{At: now.UTC().Format(time.RFC3339Nano), Reason: reason, Chains: heads})
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	c := &Checkpoint{At: now.UTC(), Reason: reason, Chains: heads, KeyID: KeyID(pub), Body: string(b),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, b))}
	if err := st.AddCheckpoint(ctx, c); err != nil {
		return nil, errs.Wrap(err, "store checkpoint")
	}
	sum := map[string]any{"reason": reason, "key_id": c.KeyID}
	for name, h := range heads {
		sum[name] = h.Seq
	}
	if err := st.AppendAudit(ctx, audit.New(ctx, now, "checkpoint.create", fmt.Sprintf("checkpoint:%d", c.ID), audit.Summarize(sum))); err != nil {
		return nil, err
	}
	return c, nil
}

// Decode fills a checkpoint's fields from its Body (for one read from a
// file or the store).
func (c *Checkpoint) Decode() error {
	var b body
	if err := json.Unmarshal([]byte(c.Body), &b); err != nil {
		return fmt.Errorf("checkpoint %d: body: %w", c.ID, err)
	}
	at, err := time.Parse(time.RFC3339Nano, b.At)
	if err != nil {
		return fmt.Errorf("checkpoint %d: at: %w", c.ID, err)
	}
	c.At, c.Reason, c.Chains = at, b.Reason, b.Chains
	return nil
}

// Summary is one line for reports and manifests.
func (c *Checkpoint) Summary() string {
	names := make([]string, 0, len(c.Chains))
	for n := range c.Chains {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		h := c.Chains[n]
		parts = append(parts, fmt.Sprintf("%s %d %s", n, h.Seq, h.Hash))
	}
	return fmt.Sprintf("#%d %s key %s: %s; signature %s", c.ID, c.At.Format(time.RFC3339), c.KeyID, strings.Join(parts, ", "), c.Signature)
}

// Mismatch is a chain that no longer matches a checkpoint.
type Mismatch struct {
	Checkpoint int64
	Chain      string
	Seq        int64
	Reason     string
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("%s chain does not match checkpoint %d at seq %d: %s", m.Chain, m.Checkpoint, m.Seq, m.Reason)
}

// Verify checks each checkpoint's signature with pub (its own embedded key
// when pub is nil, which proves less: say so to the user) and each chain
// against it: the head must not be behind it (truncation) and the link it
// signed must still carry the same hash (a rewrite).
func Verify(ctx context.Context, st Store, pub ed25519.PublicKey, cps []Checkpoint) error {
	heads, err := st.ChainHeads(ctx)
	if err != nil {
		return err
	}
	for i := range cps {
		c := &cps[i]
		key := pub
		if key == nil {
			k, err := base64.StdEncoding.DecodeString(c.PublicKey)
			if err != nil || len(k) != ed25519.PublicKeySize {
				return fmt.Errorf("checkpoint %d: no public key to check its signature against", c.ID)
			}
			key = k
		}
		if c.KeyID != KeyID(key) {
			return fmt.Errorf("checkpoint %d was signed by key %s, not by %s", c.ID, c.KeyID, KeyID(key))
		}
		sig, err := base64.StdEncoding.DecodeString(c.Signature)
		if err != nil || !ed25519.Verify(key, []byte(c.Body), sig) {
			return fmt.Errorf("checkpoint %d: the signature does not verify (forged or altered)", c.ID)
		}
		if err := c.Decode(); err != nil {
			return err
		}
		for name, h := range c.Chains {
			if h.Seq == 0 {
				continue
			}
			if cur := heads[name]; cur.Seq < h.Seq {
				return &Mismatch{c.ID, name, h.Seq, fmt.Sprintf("the chain now ends at %d: links were removed (truncated)", cur.Seq)}
			}
			got, ok, err := st.ChainHashAt(ctx, name, h.Seq)
			if err != nil {
				return err
			}
			if !ok {
				return &Mismatch{c.ID, name, h.Seq, "the link is missing"}
			}
			if got != h.Hash {
				return &Mismatch{c.ID, name, h.Seq, "its hash differs from the signed one: the chain was rewritten"}
			}
		}
	}
	return nil
}

// Service makes and lists checkpoints with one key.
type Service struct {
	Store Store
	Tx    func(ctx context.Context, fn func(Store) error) error
	Key   ed25519.PrivateKey
	Now   func() time.Time
}

// Public is the key that verifies this service's checkpoints.
func (s *Service) Public() ed25519.PublicKey { return s.Key.Public().(ed25519.PublicKey) }

// Make signs the chain heads now, in a transaction of its own.
func (s *Service) Make(ctx context.Context, reason string) (*Checkpoint, error) {
	var c *Checkpoint
	err := s.Tx(ctx, func(st Store) error {
		var err error
		c, err = Make(ctx, st, s.Key, s.Now(), reason)
		return err
	})
	return c, err
}

// In signs the chain heads as the caller's transaction st sees them, so the
// checkpoint covers what that transaction wrote (a filed report's event).
func (s *Service) In(ctx context.Context, st Store, reason string) (*Checkpoint, error) {
	return Make(ctx, st, s.Key, s.Now(), reason)
}

// List returns up to limit checkpoints, newest first, with the public key.
func (s *Service) List(ctx context.Context, limit int) ([]Checkpoint, error) {
	cs, err := s.Store.Checkpoints(ctx, limit)
	pub := base64.StdEncoding.EncodeToString(s.Public())
	for i := range cs {
		if cs[i].KeyID == KeyID(s.Public()) {
			cs[i].PublicKey = pub
		}
	}
	return cs, err
}

// Run makes a checkpoint at once and then every `every` while the chains
// move, until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, logf func(msg string, args ...any)) {
	for {
		if err := s.tick(ctx); err != nil && ctx.Err() == nil {
			logf("checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (s *Service) tick(ctx context.Context) error {
	heads, err := s.Store.ChainHeads(ctx)
	if err != nil {
		return err
	}
	last, err := s.Store.Checkpoints(ctx, 1)
	if err != nil {
		return err
	}
	if len(last) == 1 {
		same := len(last[0].Chains) == len(heads)
		for n, h := range heads {
			// The checkpoint's own audit event moves the audit head by one.
			lh := last[0].Chains[n]
			same = same && (lh == h || n == "audit" && h.Seq == lh.Seq+1)
		}
		if same {
			return nil
		}
	}
	_, err = s.Make(ctx, "periodic")
	return err
}
