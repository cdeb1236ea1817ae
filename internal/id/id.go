// Package id makes Stripe-shaped object ids: a prefix, an underscore and
// random base62 characters with no further underscore, so that clients
// matching patterns such as ^pi_[^_]+_secret_[^_]+$ accept them. Ids are
// random, never counters, so any node may mint them without coordination.
package id

import (
	"crypto/rand"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Length of the random part: 24 base62 characters carry ~142 bits.
const Length = 24

// New returns prefix_ followed by Length random characters.
func New(prefix string) string {
	return prefix + "_" + Random(Length)
}

// Random returns n random base62 characters.
func Random(n int) string {
	buf := make([]byte, n+n/4+8)
	out := make([]byte, 0, n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			// 62*4 = 248: reject the top values to keep the distribution uniform.
			if b < 248 {
				out = append(out, alphabet[b%62])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}
