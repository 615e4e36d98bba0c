//go:build !(linux || darwin || freebsd || netbsd)

package sdk

import (
	"fmt"
	"runtime"
)

// load fails: the vendor ships the C SDK for Linux (and a Windows DLL that
// this bridge does not load); purego's dlopen covers only Unix systems.
func load(path string) (*lib, error) {
	return nil, fmt.Errorf("wecom finance sdk: load %s: not supported on %s", path, runtime.GOOS)
}
