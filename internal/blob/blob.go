// Package blob is the attachment store: files named by the SHA-256 of their
// content, under one directory, at ab/cd/<sha256 hex>.
//
// It is a package of its own rather than part of archive because the bytes
// live in files, not in either database engine, and nothing of the
// archive's chain or transactions applies to them: a message names its
// attachment by hash (capture.Attachment.SHA256), and the hash chain covers
// that name, so the archive never needs to read a blob. The API stores
// blobs, verify re-hashes them; neither goes through the archive service.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"charter/internal/errs"
)

// tempPrefix starts the name of a blob being written; verify skips such
// files (a crash may leave one behind, and it names no blob).
const tempPrefix = ".put-"

// Store keeps blobs under Dir, which it creates when the first blob comes.
type Store struct {
	Dir string
}

// New returns the store under dir (absolute; config.Validate makes it so).
func New(dir string) *Store { return &Store{Dir: dir} }

// Blob is a stored blob: its name, its size and whether this Put wrote it.
type Blob struct {
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Created bool   `json:"created"`
}

// ValidName reports whether s is a SHA-256 as the store names blobs: 64
// lowercase hex digits. Nothing else reaches a path, so no name can leave
// the store's directory.
func ValidName(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkName(sha string) error {
	if !ValidName(sha) {
		return errs.Field("sha256", "%q is not a SHA-256 in 64 lowercase hex digits", clip(sha))
	}
	return nil
}

// clip keeps an invalid name short enough to show in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// path is where blob sha lives; sha must be valid.
func (s *Store) path(sha string) string {
	return filepath.Join(s.Dir, sha[0:2], sha[2:4], sha)
}

// Put stores the content r as blob sha. It streams r into a temporary file
// beside the blob while hashing it, refuses content whose SHA-256 is not
// sha (errs.Field "sha256") or that is longer than limit bytes
// (errs.TooLarge), and only then syncs and renames it into place, so a
// blob under its name is always whole. A blob already stored is not read
// or written again (Created false).
func (s *Store) Put(ctx context.Context, sha string, r io.Reader, limit int64) (Blob, error) {
	if err := checkName(sha); err != nil {
		return Blob{}, err
	}
	final := s.path(sha)
	if fi, err := os.Stat(final); err == nil {
		return Blob{SHA256: sha, Size: fi.Size()}, nil
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Blob{}, errs.Wrap(err, "blob.Put: make the directory")
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return Blob{}, errs.Wrap(err, "blob.Put: create a temporary file")
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left over only on failure
	defer tmp.Close()
	h := sha256.New()
	src := &readErr{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	switch {
	case src.err != nil:
		return Blob{}, errs.E(errs.Invalid, "cannot read the content: %v", src.err)
	case err != nil:
		return Blob{}, errs.Wrap(err, "blob.Put: write")
	case n > limit:
		return Blob{}, errs.E(errs.TooLarge, "the attachment is larger than %d bytes", limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return Blob{}, errs.Field("sha256", "the content's SHA-256 is %s, not %s", got, sha)
	}
	if err := ctx.Err(); err != nil {
		return Blob{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Blob{}, errs.Wrap(err, "blob.Put: sync")
	}
	if err := tmp.Close(); err != nil {
		return Blob{}, errs.Wrap(err, "blob.Put: close")
	}
	// Two Puts of one blob at once both rename identical content; the
	// second replaces the first atomically, and both report Created.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Blob{}, errs.Wrap(err, "blob.Put: rename")
	}
	// The rename and any directories made for it survive power loss only
	// once their directories are synced.
	for _, d := range []string{dir, filepath.Dir(dir), s.Dir} {
		if err := syncDir(d); err != nil {
			return Blob{}, errs.Wrap(err, "blob.Put: sync the directory")
		}
	}
	return Blob{SHA256: sha, Size: n, Created: true}, nil
}

// readErr remembers an error of the reader, so that Put tells the
// caller's failure to deliver (400) from its own failure to write (500).
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Has reports whether blob sha is stored.
func (s *Store) Has(sha string) (bool, error) {
	if err := checkName(sha); err != nil {
		return false, err
	}
	_, err := os.Stat(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(err, "blob.Has")
	}
	return true, nil
}

// Open returns the content of blob sha; errs.NotFound when it is not stored.
func (s *Store) Open(sha string) (io.ReadCloser, error) {
	if err := checkName(sha); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.NotFound, "attachment %s is not stored", sha)
	}
	if err != nil {
		return nil, errs.Wrap(err, "blob.Open")
	}
	return f, nil
}

// Mismatch is a file of the store whose content is not what its name
// says: a blob changed or truncated on disk, or a file that names no blob
// or sits in the wrong place.
type Mismatch struct {
	Path   string // relative to the store's directory
	Reason string
}

func (m Mismatch) String() string { return m.Path + ": " + m.Reason }

// Verify re-hashes every blob and calls bad for each file that does not
// match its name. It returns how many blobs it read; a store that was never
// written to has none.
func (s *Store) Verify(ctx context.Context, bad func(Mismatch)) (int, error) {
	n := 0
	err := filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == s.Dir {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, _ := filepath.Rel(s.Dir, p)
		name := d.Name()
		if !ValidName(name) || rel != filepath.Join(name[0:2], name[2:4], name) {
			bad(Mismatch{Path: rel, Reason: "not a blob: its name is not a SHA-256 at ab/cd/<sha256>"})
			return nil
		}
		n++
		got, err := hashFile(p)
		if err != nil {
			return err
		}
		if got != name {
			bad(Mismatch{Path: rel, Reason: fmt.Sprintf("the content's SHA-256 is %s: changed or truncated", got)})
		}
		return nil
	})
	if err != nil {
		return n, errs.Wrap(err, "blob.Verify")
	}
	return n, nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
