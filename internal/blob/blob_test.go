package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"charter/internal/errs"
)

func name(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func TestPut(t *testing.T) {
	ctx := context.Background()
	const content = "季度报表 quarterly figures"
	sha := name(content)
	for _, tc := range []struct {
		name    string
		sha     string
		body    io.Reader
		limit   int64
		kind    errs.Kind // "" for success
		field   string
		created bool
	}{
		{"OK", sha, strings.NewReader(content), 1 << 20, "", "", true},
		{"ExactlyAtTheLimit", sha, strings.NewReader(content), int64(len(content)), "", "", true},
		{"HashDiffers", name("something else"), strings.NewReader(content), 1 << 20, errs.Invalid, "sha256", false},
		{"OverTheLimit", sha, strings.NewReader(content), int64(len(content)) - 1, errs.TooLarge, "", false},
		{"Uppercase", strings.ToUpper(sha), strings.NewReader(content), 1 << 20, errs.Invalid, "sha256", false},
		{"Short", sha[:63], strings.NewReader(content), 1 << 20, errs.Invalid, "sha256", false},
		{"Traversal", "../../../../etc/passwd" + sha[:42], strings.NewReader(content), 1 << 20, errs.Invalid, "sha256", false},
		{"Slashes", sha[:2] + "/" + sha[3:], strings.NewReader(content), 1 << 20, errs.Invalid, "sha256", false},
		{"ReaderFails", sha, iotest.ErrReader(errors.New("connection reset")), 1 << 20, errs.Invalid, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t.TempDir())
			b, err := s.Put(ctx, tc.sha, tc.body, tc.limit)
			if tc.kind != "" {
				var e *errs.Error
				if !errs.Is(err, tc.kind) || !errors.As(err, &e) || e.Field != tc.field {
					t.Fatalf("err %v, want kind %s field %q", err, tc.kind, tc.field)
				}
				// Nothing is left behind: no blob, no temporary file.
				if n := countFiles(t, s.Dir); n != 0 {
					t.Errorf("%d files left in the store", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Created != tc.created || b.Size != int64(len(content)) || b.SHA256 != sha {
				t.Errorf("blob %+v", b)
			}
			got, err := os.ReadFile(filepath.Join(s.Dir, sha[:2], sha[2:4], sha))
			if err != nil || string(got) != content {
				t.Errorf("stored %q, %v", got, err)
			}
		})
	}
	t.Run("Duplicate", func(t *testing.T) {
		s := New(t.TempDir())
		if b, err := s.Put(ctx, sha, strings.NewReader(content), 1<<20); err != nil || !b.Created {
			t.Fatalf("first put: %+v %v", b, err)
		}
		// Already stored: the body is not read (a reader that would fail
		// shows it) and nothing is written.
		b, err := s.Put(ctx, sha, iotest.ErrReader(errors.New("must not be read")), 1<<20)
		if err != nil || b.Created || b.Size != int64(len(content)) {
			t.Fatalf("second put: %+v %v", b, err)
		}
		if n := countFiles(t, s.Dir); n != 1 {
			t.Errorf("%d files in the store, want 1", n)
		}
	})
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestHasOpen(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir())
	sha := name("x")
	if ok, err := s.Has(sha); err != nil || ok {
		t.Fatalf("has before put: %v %v", ok, err)
	}
	if _, err := s.Open(sha); !errs.Is(err, errs.NotFound) {
		t.Fatalf("open before put: %v", err)
	}
	if _, err := s.Put(ctx, sha, strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Has(sha); err != nil || !ok {
		t.Fatalf("has after put: %v %v", ok, err)
	}
	rc, err := s.Open(sha)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "x" {
		t.Errorf("read %q", b)
	}
	for _, bad := range []string{"", "../" + sha[3:], strings.ToUpper(sha)} {
		if _, err := s.Has(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("has %q: %v", bad, err)
		}
		if _, err := s.Open(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("open %q: %v", bad, err)
		}
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	put := func(s *Store, content string) string {
		sha := name(content)
		if _, err := s.Put(ctx, sha, strings.NewReader(content), 1<<20); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(s.Dir, sha[:2], sha[2:4], sha)
	}
	for _, tc := range []struct {
		name   string
		damage func(s *Store, victim string) // victim is the path of the blob "b"
		blobs  int
		bad    string // substring of the one mismatch, "" for none
	}{
		{"Intact", func(*Store, string) {}, 2, ""},
		{"Tampered", func(_ *Store, p string) { os.WriteFile(p, []byte("B"), 0o600) }, 2, "changed or truncated"},
		{"Truncated", func(_ *Store, p string) { os.Truncate(p, 3) }, 2, "changed or truncated"},
		{"Misplaced", func(s *Store, p string) {
			os.MkdirAll(filepath.Join(s.Dir, "00", "00"), 0o750)
			os.Rename(p, filepath.Join(s.Dir, "00", "00", filepath.Base(p)))
		}, 1, "not a blob"},
		{"StrayFile", func(s *Store, _ string) { os.WriteFile(filepath.Join(s.Dir, "notes.txt"), nil, 0o600) }, 2, "notes.txt: not a blob"},
		{"LeftoverTemporaryFileIsNoBlob", func(s *Store, p string) {
			os.WriteFile(filepath.Join(filepath.Dir(p), tempPrefix+"123"), []byte("half"), 0o600)
		}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t.TempDir())
			put(s, "a")
			tc.damage(s, put(s, "b content"))
			var bad []Mismatch
			n, err := s.Verify(ctx, func(m Mismatch) { bad = append(bad, m) })
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.blobs {
				t.Errorf("%d blobs, want %d", n, tc.blobs)
			}
			switch {
			case tc.bad == "" && len(bad) != 0:
				t.Errorf("mismatches %v, want none", bad)
			case tc.bad != "" && (len(bad) != 1 || !strings.Contains(bad[0].String(), tc.bad)):
				t.Errorf("mismatches %v, want one with %q", bad, tc.bad)
			}
		})
	}
	t.Run("NeverWritten", func(t *testing.T) {
		s := New(filepath.Join(t.TempDir(), "absent"))
		n, err := s.Verify(ctx, func(m Mismatch) { t.Errorf("mismatch %v", m) })
		if err != nil || n != 0 {
			t.Errorf("%d blobs, %v", n, err)
		}
	})
}
