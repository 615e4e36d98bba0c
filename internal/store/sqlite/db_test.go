package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// The review found synchronous=NORMAL: a batch answered 200 could be lost
// on power loss. FULL is the default; NORMAL only when asked for.
func TestWriterSynchronous(t *testing.T) {
	for _, tc := range []struct {
		setting string
		want    int
	}{{"full", 2}, {"", 2}, {"normal", 1}} {
		t.Run(tc.setting, func(t *testing.T) {
			d, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), tc.setting)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var got int
			if err := d.write.QueryRow(`PRAGMA synchronous`).Scan(&got); err != nil || got != tc.want {
				t.Fatalf("synchronous = %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}
