package cli

import (
	"fmt"
	"os"
	"testing"

	"charter/internal/extract"
)

// TestMain lets the test binary be the attachment lane's child, as the
// charter binary is: a serve run inside a test re-executes this binary with
// the hidden command to read an attachment under limits.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == ExtractChild {
		if err := extract.Child(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
