//go:build linux || darwin || freebsd || netbsd

package sdk

import "testing"

// BenchmarkPullDecrypt pages a 3,000-item archive through the stand-in
// library 1,000 at a time and decrypts every item: the bridge's own cost
// (calls, copies, JSON), since the fake's cipher is a XOR. "with-rsa" adds
// the key ring's RSA-2048 decryption of each item's random key, which a
// real pull pays too.
func BenchmarkPullDecrypt(b *testing.B) {
	f := newFake(b)
	cp := newCorpus(b, 3000)
	f.serve(b, cp)
	c := f.open(b, Options{})
	for _, rsa := range []bool{false, true} {
		name := "bridge"
		if rsa {
			name = "with-rsa"
		}
		b.Run(name, func(b *testing.B) {
			records := 0
			for b.Loop() {
				for seq := int64(0); ; {
					items, err := c.GetChatData(seq, 1000)
					if err != nil {
						b.Fatal(err)
					}
					if len(items) == 0 {
						break
					}
					for _, it := range items {
						key := cp.keys[it.Seq-1]
						if rsa {
							if key, err = cp.ring.DecryptRandomKey(it.PublicKeyVer, it.EncryptRandomKey); err != nil {
								b.Fatal(err)
							}
						}
						if _, err := c.DecryptData(key, it.EncryptChatMsg); err != nil {
							b.Fatal(err)
						}
					}
					records += len(items)
					seq = items[len(items)-1].Seq
				}
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
