//go:build !linux

package extract

import "os/exec"

// Outside Linux the child runs without resource limits; Charter's servers run
// on Linux, and the timeout still kills the child.
const (
	rlimitAS  = 0
	rlimitCPU = 0
)

func setRlimit(int, uint64) error       { return nil }
func setProcessGroup(*exec.Cmd)         {}
func exitSignal(*exec.ExitError) string { return "" }
