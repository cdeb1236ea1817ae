package sqlstore

import (
	"bytes"
	"sync"

	"github.com/payd/payd/internal/store"
)

// recordCache keeps rows that reads fetched by id, for an engine whose
// every write goes through this DB (SQLite: one process owns the file, see
// EnableRecordCache). A retrieve it answers skips the database altogether:
// the driver, the read transaction and its shared-memory locks, the B-tree
// lookups, which were half of a retrieve's CPU.
//
// It only ever holds committed rows. Every write transaction lists the rows
// it writes (tx.touch), and once it has committed or rolled back, and
// before its caller is answered, those rows are dropped and the generation
// advances (invalidate). A read that missed adds the row it fetched only if
// no transaction ended since the read began (add's gen): a row read just
// before a commit is either dropped by that commit's invalidation or never
// added. A caller that was answered a write therefore never reads an older
// row from here.
type recordCache struct {
	mu   sync.RWMutex
	gen  uint64
	m    map[cacheKey]store.Record
	size int // bytes held, roughly
	max  int
}

type cacheKey struct{ table, id string }

func newRecordCache(maxBytes int) *recordCache {
	return &recordCache{m: map[cacheKey]store.Record{}, max: maxBytes}
}

// get returns a copy of the cached row, or, on a miss, the generation to
// hand to add once the row is read.
func (c *recordCache) get(table, id string) (store.Record, uint64, bool) {
	c.mu.RLock()
	r, ok := c.m[cacheKey{table, id}]
	gen := c.gen
	c.mu.RUnlock()
	if !ok {
		return store.Record{}, gen, false
	}
	return clone(r), gen, true
}

// add keeps a copy of r, read from table after get reported gen, unless a
// write transaction ended since.
func (c *recordCache) add(gen uint64, table string, r store.Record) {
	r = clone(r)
	k := cacheKey{table, r.ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if old, ok := c.m[k]; ok {
		c.size -= entrySize(k, old)
	}
	c.m[k] = r
	c.size += entrySize(k, r)
	if c.size > c.max {
		// Drop about a tenth of the entries, in the map's random order.
		for k, v := range c.m {
			delete(c.m, k)
			c.size -= entrySize(k, v)
			if c.size <= c.max-c.max/10 {
				break
			}
		}
	}
}

// invalidate drops the rows a transaction wrote, once it has ended, and
// turns away the rows of reads that began before.
func (c *recordCache) invalidate(keys []cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		if old, ok := c.m[k]; ok {
			delete(c.m, k)
			c.size -= entrySize(k, old)
		}
	}
}

func entrySize(k cacheKey, r store.Record) int {
	const overhead = 160 // map slot, Record header, string headers
	return overhead + len(k.table) + len(k.id) + len(r.Account) + len(r.Data) + len(r.Private)
}

// clone copies the byte slices of r, which the cache and its callers must
// not share: a caller may change what it was given.
func clone(r store.Record) store.Record {
	r.Data = bytes.Clone(r.Data)
	r.Private = bytes.Clone(r.Private)
	r.Cols = nil
	return r
}
