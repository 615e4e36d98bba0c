package wecom

import "io"

// WithRandom is c drawing its 16 random bytes from r, so a test can
// reproduce a published ciphertext byte for byte.
func WithRandom(c *Crypto, r io.Reader) *Crypto {
	d := *c
	d.random = r
	return &d
}
