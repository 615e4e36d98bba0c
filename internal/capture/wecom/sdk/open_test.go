package sdk

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// This package has no golden files; the flag is accepted so that
// go test ./internal/capture/... -update works across packages.
var _ = flag.Bool("update", false, "no golden files in this package")

// These need neither the vendor's library nor a C compiler: the default
// build must compile the bridge and fail cleanly without the file.
func TestOpen(t *testing.T) {
	t.Run("MissingFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "libWeWorkFinanceSdk_C.so")
		c, err := Open(path, Options{})
		if err == nil {
			c.Close()
			t.Fatal("Open of a missing file succeeded")
		}
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Fatalf("want a not-exist error naming %s, got %v", path, err)
		}
	})
	t.Run("RelativePathNamedAbsolute", func(t *testing.T) {
		t.Chdir(t.TempDir())
		_, err := Open("libWeWorkFinanceSdk_C.so", Options{})
		abs, _ := filepath.Abs("libWeWorkFinanceSdk_C.so")
		if err == nil || !strings.Contains(err.Error(), abs) {
			t.Fatalf("want an error naming %s, got %v", abs, err)
		}
	})
	t.Run("NotALibrary", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "libWeWorkFinanceSdk_C.so")
		if err := os.WriteFile(path, []byte("not a shared object\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, Options{})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("want an error naming %s, got %v", path, err)
		}
	})
}
