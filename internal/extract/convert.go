package extract

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// legacy converts a doc/xls/ppt, WPS, RTF or OpenDocument file with headless
// LibreOffice into its OOXML equivalent and extracts that. The conversion
// runs in a private temporary directory with its own LibreOffice profile (a
// shared profile is locked by any other running instance) and is killed with
// the call's context.
//
// LibreOffice is not installed on the development machine, so only the
// "no converter" path is tested; this path is written but untested.
func (x *extractor) legacy(prefix, name string, k kind, data []byte, depth int) error {
	exe := ""
	for _, c := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(c); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		x.skip(prefix, "%s not extracted: no converter installed (Debian libreoffice)", k.what)
		return nil
	}
	dir, err := os.MkdirTemp("", "charter-convert-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The input keeps a neutral name with the right extension: LibreOffice
	// picks its import filter partly by extension, and the attachment's own
	// name is untrusted.
	ext := filepath.Ext(name)
	if ext == "" || len(ext) > 6 {
		ext = ".bin"
	}
	in := filepath.Join(dir, "in"+ext)
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return err
	}
	outDir := filepath.Join(dir, "out")
	var stderr capWriter
	stderr.max = 4 << 10
	cmd := exec.CommandContext(x.ctx, exe,
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--nolockcheck",
		"--convert-to", k.target, "--outdir", outDir, in)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Run(); err != nil {
		if x.ctx.Err() != nil {
			return x.ctx.Err()
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fmt.Errorf("%s: %w", exe, err)
		}
		x.skip(prefix, "%s not extracted: conversion failed: %s", k.what, firstLine(stderr.b.String(), err.Error()))
		return nil
	}
	out, err := os.ReadFile(filepath.Join(outDir, "in."+k.target))
	if err != nil {
		// LibreOffice exits 0 even when it could not convert; no output file says so.
		x.skip(prefix, "%s not extracted: conversion produced nothing: %s", k.what, firstLine(stderr.b.String(), "no output"))
		return nil
	}
	if int64(len(out)) > x.l.MaxBytes {
		x.skip(prefix, "%s not extracted: converted file %d bytes, over the %d-byte limit", k.what, len(out), x.l.MaxBytes)
		return nil
	}
	// Only OOXML goes on, so a converter output that is legacy again cannot loop.
	if f := sniff("converted."+k.target, "", out).family; f != famDocx && f != famXlsx && f != famPptx {
		x.skip(prefix, "%s not extracted: converter did not produce %s", k.what, k.target)
		return nil
	}
	return x.file(prefix, "converted."+k.target, "", out, depth)
}
