// Package id makes Stripe-shaped object ids: a prefix, an underscore and
// base62 characters with no further underscore, so that clients matching
// patterns such as ^pi_[^_]+_secret_[^_]+$ accept them.
//
// The first characters encode the creation time in milliseconds and the
// rest is random. Ids are never counters, so any node may mint them without
// coordination, and because they grow with time, inserting one touches the
// right edge of a B-tree index instead of a random page: a batch of inserts
// dirties a handful of pages rather than one per row.
package id

import (
	"crypto/rand"
	"time"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Length of the part after the prefix: 8 time characters and 16 random ones
// (~95 bits).
const (
	Length     = 24
	timeDigits = 8
)

// New returns prefix_ followed by Length characters.
func New(prefix string) string {
	b := make([]byte, 0, len(prefix)+1+Length)
	b = append(b, prefix...)
	b = append(b, '_')
	b = appendTime(b, time.Now().UnixMilli())
	b = appendRandom(b, Length-timeDigits)
	return string(b)
}

// Random returns n random base62 characters.
func Random(n int) string {
	return string(appendRandom(make([]byte, 0, n), n))
}

// appendTime writes ms as fixed-width base62, so ids sort by time as strings.
func appendTime(b []byte, ms int64) []byte {
	var d [timeDigits]byte
	for i := timeDigits - 1; i >= 0; i-- {
		d[i] = alphabet[ms%62]
		ms /= 62
	}
	return append(b, d[:]...)
}

func appendRandom(out []byte, n int) []byte {
	var buf [32]byte
	for n > 0 {
		rand.Read(buf[:])
		for _, c := range buf {
			// 62*4 = 248: reject the top values to keep the distribution uniform.
			if c < 248 {
				out = append(out, alphabet[c%62])
				if n--; n == 0 {
					break
				}
			}
		}
	}
	return out
}
