package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/payd/payd/internal/store"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 256

// batcher is group commit for an engine with a single writer (SQLite).
// Concurrent Update calls queue here; one goroutine runs their functions
// one after another in a shared transaction and commits the lot once.
// Every function still sees the effects of the ones before it, exactly as
// if they ran alone in that order, and a function that fails leaves
// nothing behind and takes nothing from its neighbours (see attempt). A
// caller is answered only after the commit, so an acknowledged write is as
// durable as before; what changes is that N writes cost one commit and
// dirty the index pages they share once instead of N times.
type batcher struct {
	db      *sql.DB
	d       *Dialect
	ch      chan *writeReq
	between func()
	cache   *recordCache // nil: none
	stopped chan struct{}
	// mu guards closed: senders hold it shared, close holds it exclusively,
	// so nothing is ever sent on a closed channel.
	mu     sync.RWMutex
	closed bool
	// failRate estimates the share of recent batches in which a request
	// failed after writing (see run). Only the loop goroutine uses it.
	failRate float64
}

type writeReq struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan error
}

func newBatcher(db *sql.DB, d *Dialect, between func(), cache *recordCache) *batcher {
	b := &batcher{db: db, d: d, ch: make(chan *writeReq, maxBatch), between: between, cache: cache, stopped: make(chan struct{})}
	go b.loop()
	return b
}

func (b *batcher) do(ctx context.Context, fn func(store.Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errClosed
	}
	select {
	case b.ch <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued the request runs (or is skipped if its context ended
	// before its turn); wait for the verdict so the caller never returns
	// while its write may still commit.
	return <-req.done
}

// close stops accepting writes and returns once the queued ones are done.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.ch)
	}
	b.mu.Unlock()
	<-b.stopped
}

var errClosed = errors.New("store: closed")

func (b *batcher) loop() {
	defer close(b.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for first := range b.ch {
		batch = append(batch[:0], first)
		// Let the goroutines that are ready to run enqueue their writes
		// before the batch closes: without this, with few cores, the
		// writer wakes for each request alone and batches stay at one.
		// Yield again while each yield brings more: the goroutines that
		// ran may have made others ready (one core, create+confirm with
		// 32 connections: 19 requests a commit on average, against 15
		// with a single yield).
		batch = b.gather(batch)
		b.run(batch)
		if b.between != nil {
			b.between()
		}
	}
}

// gatherRounds bounds the yields of one gathering.
const gatherRounds = 16

// gather yields and adds what was queued meanwhile to batch, until a yield
// brings nothing new, the batch is full or the queue is closed (loop then
// ends after this batch).
func (b *batcher) gather(batch []*writeReq) []*writeReq {
	for range gatherRounds {
		runtime.Gosched()
		n := len(batch)
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-b.ch:
				if !ok {
					return batch
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if len(batch) == n || len(batch) == maxBatch {
			return batch
		}
	}
	return batch
}

// Guarding every request of a batch costs a tenth to a quarter of its
// work (see attempt); a replay costs the work of the requests before the
// failed one, half a batch on average, and the savepoints of the replay.
// So batches run unguarded while failures after a write are rare, and
// guarded while they are common: when more than guardAbove of recent
// batches had one (an exponential average over about failWindow batches).
// Create+confirm on one core with one request in 20 failing that way
// (bench/wrk/pi_confirm_failing.lua): nearly every batch was replayed,
// 2,485–3,186 req/s against 3,979–4,600 with none failing; guarded while
// they are common, 3,395–3,466.
const (
	guardAbove = 0.2
	failWindow = 16
)

func (b *batcher) run(batch []*writeReq) {
	errs := make([]error, len(batch))
	var touched []cacheKey // the rows the batch writes, over every attempt
	guarded := b.failRate > guardAbove
	failed := false // a request failed after writing
	// Each replay leaves out one more failed request, so this ends.
	commitErr := b.attempt(batch, errs, &touched, guarded, &failed)
	for errors.Is(commitErr, errReplay) {
		commitErr = b.attempt(batch, errs, &touched, true, &failed)
	}
	f := 0.0
	if failed {
		f = 1
	}
	b.failRate += (f - b.failRate) / failWindow
	// Committed or not, before anyone is answered.
	if b.cache != nil {
		b.cache.invalidate(touched)
	}
	for i, r := range batch {
		if commitErr != nil && errs[i] == nil {
			errs[i] = commitErr
		}
		r.done <- errs[i]
	}
}

// errReplay reports that attempt rolled back a batch in which a request
// failed after writing, or after which the engine had ended the
// transaction: the batch must run again with savepoints, without it.
var errReplay = errors.New("replay the batch with savepoints")

// attempt runs the batch's requests in one transaction and commits it.
// Requests whose errs are already set are skipped; a request's own failure
// goes into errs, and the returned error is the transaction's.
//
// Unguarded, requests run one after another with nothing between them. A
// request that fails before it writes leaves nothing to undo, but one that
// fails after writing can only be undone with everything else, so the
// transaction is rolled back and errReplay returned: the batch then runs
// again guarded, without the failed request, each request inside its own
// SAVEPOINT. A savepoint keeps the original of every page a request
// touches, and a batch's requests touch the same pages (the right edges
// of the same indexes), so guarding every request cost a copy of those
// pages per request: create ran a quarter slower with it, create+confirm
// up to a tenth. The replay runs the functions of the requests before the
// failed one a second time, which store.Store's contract allows (see
// Update).
//
// failed is set when a request fails after writing, guarded or not.
func (b *batcher) attempt(batch []*writeReq, errs []error, touched *[]cacheKey, guarded bool, failed *bool) error {
	ctx := context.Background()
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var savepoint, release *sql.Stmt
	if guarded {
		// Prepared once a batch (and closed by the commit or rollback):
		// run through sqlTx.Exec, each would be parsed again for every
		// request.
		if savepoint, err = sqlTx.Prepare("SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		if release, err = sqlTx.Prepare("RELEASE w"); err != nil {
			sqlTx.Rollback()
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	ran := false
	// The batch's requests share one transaction, so they can share what
	// it has read of webhook subscribers. A request that fails may have
	// written an endpoint and read it back before its savepoint is rolled
	// back, so a failure forgets the cache.
	subs := &subscribers{}
	w := &writeTracker{q: uncancelable{sqlTx}}
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if guarded {
			if _, err := savepoint.Exec(); err != nil {
				sqlTx.Rollback()
				return fmt.Errorf("savepoint: %w", err)
			}
		}
		w.wrote = false
		errs[i] = runSafely(r.fn, &tx{tx: w, d: b.d, subs: subs, touched: touched})
		if errs[i] != nil && w.wrote {
			*failed = true
		}
		switch {
		case errs[i] == nil:
			ran = true
		case (!guarded && w.wrote) || !b.inTx(conn):
			// An engine may end a transaction by itself on some errors
			// (SQLite on a full disk or an I/O error), taking the writes
			// before with it; the requests after would run outside it,
			// each statement its own commit. Its rollback then fails for
			// want of a transaction, and in any case nothing of this
			// attempt is left: replay. (Should the transaction somehow
			// still be open, the replay's BEGIN says so.)
			sqlTx.Rollback()
			return errReplay
		case guarded:
			subs.forget()
			if _, err := sqlTx.Exec("ROLLBACK TO w"); err != nil {
				sqlTx.Rollback()
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
		}
		if guarded {
			if _, err := release.Exec(); err != nil {
				sqlTx.Rollback()
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
	}
	if !ran {
		return sqlTx.Rollback()
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// inTx asks the driver whether conn is still inside the transaction the
// batch began; without Dialect.InTx, it answers no.
func (b *batcher) inTx(conn *sql.Conn) bool {
	if b.d.InTx == nil {
		return false
	}
	in := false
	err := conn.Raw(func(dc any) error {
		in = b.d.InTx(dc)
		return nil
	})
	return err == nil && in
}

// writeTracker notes whether a request has run a statement that may write:
// anything but a SELECT.
type writeTracker struct {
	q     querier
	wrote bool
}

func (w *writeTracker) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	w.wrote = true
	return w.q.ExecContext(ctx, query, args...)
}

func (w *writeTracker) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	w.note(query)
	return w.q.QueryContext(ctx, query, args...)
}

func (w *writeTracker) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	w.note(query)
	return w.q.QueryRowContext(ctx, query, args...)
}

func (w *writeTracker) note(query string) {
	if !strings.HasPrefix(query, "SELECT ") {
		w.wrote = true
	}
}

// runSafely turns a panic in one request's function into its error, so it
// cannot take down the writer and everyone queued behind it.
func runSafely(fn func(store.Tx) error, t *tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v", v)
		}
	}()
	return fn(t)
}
