// Package bufpool lends byte buffers for what a request renders and
// hands on at once: a list page, the writes held for one response, an
// event on its way into the store. Each is some kilobytes to some tens of
// kilobytes that would otherwise be allocated, zeroed and collected a
// request.
package bufpool

import "sync"

// maxKept bounds the buffers kept for reuse: a page of 100 large objects
// is rare and need not pin its buffer.
const maxKept = 256 << 10

var pool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// Get returns an empty buffer; Put gives it back once nothing refers to
// its bytes any more. Grow it through the pointer (*b = append(*b, …)) so
// that what goes back is the grown buffer.
func Get() *[]byte { return pool.Get().(*[]byte) }

// Put returns b for reuse, unless it grew past what is worth keeping.
func Put(b *[]byte) {
	if cap(*b) <= maxKept {
		*b = (*b)[:0]
		pool.Put(b)
	}
}
