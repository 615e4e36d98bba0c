//go:build linux || darwin || freebsd || netbsd

package sdk

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// load maps the library and binds every call of WeWorkFinanceSdk_C.h. A
// missing symbol is an error naming it, so a wrong file fails at Open rather
// than at the first pull.
//
// The library is never unmapped: the vendor's carries libcurl and OpenSSL,
// which are not known to survive dlclose, and dlopen of the same path again
// only raises a reference count.
func load(path string) (*lib, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("wecom finance sdk: load %s: %w", path, err)
	}
	l := &lib{}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"NewSdk", &l.newSdk},
		{"Init", &l.init},
		{"GetChatData", &l.getChatData},
		{"DecryptData", &l.decryptData},
		{"GetMediaData", &l.getMediaData},
		{"DestroySdk", &l.destroySdk},
		{"NewSlice", &l.newSlice},
		{"FreeSlice", &l.freeSlice},
		{"GetContentFromSlice", &l.getContentFromSlice},
		{"GetSliceLen", &l.getSliceLen},
		{"NewMediaData", &l.newMediaData},
		{"FreeMediaData", &l.freeMediaData},
		{"GetOutIndexBuf", &l.getOutIndexBuf},
		{"GetData", &l.getData},
		{"GetIndexLen", &l.getIndexLen},
		{"GetDataLen", &l.getDataLen},
		{"IsMediaDataFinish", &l.isMediaDataFinish},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			return nil, fmt.Errorf("wecom finance sdk: %s has no %s: not libWeWorkFinanceSdk_C, or another version: %w", path, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return l, nil
}
