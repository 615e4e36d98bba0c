package extract

import (
	"os/exec"
	"syscall"
)

const (
	rlimitAS  = syscall.RLIMIT_AS
	rlimitCPU = syscall.RLIMIT_CPU
)

// setRlimit sets soft and hard limit alike: the Go runtime ignores SIGXCPU,
// so only the hard CPU limit's SIGKILL stops a spinning child.
func setRlimit(res int, n uint64) error {
	return syscall.Setrlimit(res, &syscall.Rlimit{Cur: n, Max: n})
}

// setProcessGroup puts the child in its own process group and makes the
// cancel kill the whole group, so a pdftotext or LibreOffice the child started
// dies with it; Pdeathsig kills the child if the parent itself dies.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

func exitSignal(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return ""
}
