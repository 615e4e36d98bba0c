package store_test

import (
	"io"
	"strings"
)

func contains(s, sub string) bool      { return strings.Contains(s, sub) }
func stringsReader(s string) io.Reader { return strings.NewReader(s) }
