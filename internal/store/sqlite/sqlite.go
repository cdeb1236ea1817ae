// Package sqlite opens payd's embedded engine: one SQLite file in WAL mode,
// written through a single connection (SQLite has one writer anyway, and a
// single connection turns lock contention into a cheap Go-side queue) and
// read through a pool of read-only connections that never block on it. The
// writer's connection hands each commit to the WAL in one write instead of
// two per page (walbuf.c), and checkpoints run on a thread of their own
// (checkpoint.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/payd/payd/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database file at path and applies the
// migrations. With synchronous=NORMAL in WAL mode every committed
// transaction survives a crash of the process (kill -9); only a power loss
// (or a crash of the machine) may drop the transactions committed since the
// WAL was last synced, which each checkpoint pass does: about a second's.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	db.OnClose(lock.Close)
	return db, nil
}

// recordCacheBytes bounds the rows kept in memory for retrieves (see
// sqlstore.EnableRecordCache): some 40,000 PaymentIntents.
const recordCacheBytes = 64 << 20

// lockFile takes an exclusive lock, for as long as the store is open, on a
// file beside the database: one payd process owns a SQLite database, since
// its record cache knows of the writes of its own process only. A second
// process is refused instead of reading stale rows. The kernel drops the
// lock when the process ends, however it ends.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+"-lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite: %s is in use by another payd process (it holds %s)", path, f.Name())
		}
		return nil, fmt.Errorf("sqlite: locking %s: %w", f.Name(), err)
	}
	return f, nil
}

func open(ctx context.Context, path string) (*sqlstore.DB, error) {
	registerOnce.Do(func() {
		registerErr = registerWALBuf()
		sql.Register(driver, &sqlite3.SQLiteDriver{ConnectHook: stablePlans})
		sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if err := stablePlans(c); err != nil {
				return err
			}
			// The writer never checkpoints inside a commit: that would
			// make every queued write wait on fsyncs. checkpoint does it
			// in the background instead.
			//
			// A group-commit batch that must undo one of its writes
			// runs each in a savepoint, whose journal keeps the
			// original of every page the write touches; in a temporary
			// file that cost a write(2) per page, three times the bytes
			// of the commit itself.
			_, err := c.Exec("PRAGMA wal_autocheckpoint=0; PRAGMA temp_store=MEMORY", nil)
			return err
		}})
	})
	if registerErr != nil {
		return nil, registerErr
	}
	// _mutex=no: database/sql hands a connection to one goroutine at a
	// time, so SQLite's per-connection mutex (a lock and an unlock around
	// every call into it: bind, step, column, reset) guards nothing.
	pragmas := "_mutex=no&_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=on&_cache_size=-65536&_stmt_cache_size=64"
	w, err := sql.Open(writerDriver, "file:"+url.PathEscape(path)+"?"+pragmas+"&_txlock=immediate&vfs="+walbufVFS)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	sub, _ := fs.Sub(migrations, "migrations")
	if err := sqlstore.Migrate(ctx, w, sub, "", ""); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite migrate: %w", err)
	}
	r, err := sql.Open(driver, "file:"+url.PathEscape(path)+"?"+pragmas+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	wk, err := startWorker(path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ck := &checkpointer{worker: wk}

	db := sqlstore.New(w, r, dialect)
	db.EnableRecordCache(recordCacheBytes)
	db.DetachReads()
	db.EnableGroupCommit(ck.restart)
	stop := make(chan struct{})
	done := make(chan struct{})
	go ck.run(stop, done)
	db.OnClose(func() error {
		close(stop)
		<-done
		// A last full checkpoint leaves the database file complete.
		return errors.Join(wk.truncate(), wk.close())
	})
	return db, nil
}

// The drivers of payd's connections: the writer's, and the one of the
// readers and the checkpointer.
const (
	writerDriver = "sqlite3-payd-writer"
	driver       = "sqlite3-payd"
)

var (
	registerOnce sync.Once
	registerErr  error
)

// checkpointEvery is how often the WAL is copied back into the database
// file. A pass copies each page once however many commits wrote it since
// the last pass (the right-most pages of every B-tree are written again by
// every commit), and SQLite syncs the WAL at the start of each pass: under
// a steady load of create+confirm one pass a second did a third less work
// than one every 50 ms. Alternating runs, 1,000,000 intents, one core:
// create+confirm 2,735–3,749 req/s every second, 2,002–3,125 every 50 ms;
// create 8,578–9,269 (p99 14.5–15.5 ms) against 8,077–8,697 (17.9–19.7).
var checkpointEvery = time.Second

// restartFrames is the WAL size, in frames (pages), past which the writer
// restarts the WAL: about 128 MB with 4 KB pages. Each restart stops the
// writes for the writer's own short pass (see catchUp), so they are kept
// rare: every few seconds under the heaviest write load, never when writes
// are light. The WAL file grows past it by what is written until the next
// pass notices and while catchUp runs: under 40 s of create+confirm at
// 3,664 req/s on one core it reached 244 MB after 4 s and 268 MB at most.
var restartFrames = 32768

// checkpointer copies the WAL into the database file in the background and
// keeps the WAL from growing without end.
//
// SQLite writes the WAL from its beginning again only when a write begins
// after a checkpoint has copied every frame. Under a steady stream of
// writes the background checkpoint never quite catches up, so the WAL would
// grow by every byte written, and appending to a growing file costs the
// kernel block allocation and zeroing (a fifth of the CPU of a busy
// writer, measured). So when the WAL has passed restartFrames, the writer,
// between two group commits, has the few frames written since the
// background pass copied (restart); its next write starts the WAL over,
// overwriting what is already allocated and in the page cache.
type checkpointer struct {
	// mu is held by the background passes: the writer's pass, which
	// stops every write, runs only when it can take it at once.
	mu     sync.Mutex
	want   atomic.Bool
	worker *worker // runs the background passes and syncs
}

func (c *checkpointer) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if c.want.Load() {
				continue // the writer's turn: leave it the lock
			}
			if frames := c.pass(); frames > restartFrames {
				c.catchUp(frames)
				c.want.Store(true)
			}
		}
	}
}

// pass runs one background checkpoint, which copies every frame in the WAL
// when it begins, and returns that many.
func (c *checkpointer) pass() (frames int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	frames, err := c.worker.pass()
	if err != nil {
		return 0
	}
	return frames
}

// catchUpFrames is how many frames may be left for the writer's pass: a
// few milliseconds of copying.
const catchUpFrames = 512

// catchUp prepares the writer's pass, after a pass that copied frames. Each
// pass leaves behind the frames written while it ran, and the writer's pass
// must copy them and, being the one that copies the last frame, wait for
// SQLite to sync the WAL and the database file: with a second's frames left
// that stopped every write for 110–185 ms. So it syncs what is copied so
// far and copies again while each pass finds fewer new frames than the one
// before, until one finds little, and syncs once more (the writer's passes
// now take 2–15 ms). Writes faster than the passes copy end the loop at
// once: the WAL must not grow meanwhile.
//
// SQLite syncs the database file only after a checkpoint that copied every
// frame, which under steady writes is never a background one: without
// these syncs, the writer's pass would wait for every page copied since the
// last restart to reach the disk.
func (c *checkpointer) catchUp(frames int) {
	left := frames
	for range 8 {
		c.worker.sync()
		next := c.pass()
		n := next - frames // frames written since the pass before
		if n <= catchUpFrames || n >= left {
			break
		}
		frames, left = next, n
	}
	c.worker.sync()
}

// restart is the writer's pass, run between group commits: no write can
// come between the pass copying the last frame and the next commit, which
// then starts the WAL over. The worker runs it, so that the writer's
// goroutine waits without holding a processor and reads go on meanwhile.
func (c *checkpointer) restart() {
	if !c.want.Load() || !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	c.want.Store(false)
	c.worker.pass()
}

var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	ForUpdate: "", // the single writer connection already serializes writes
	IsConflict: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
			(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
	},
	Retryable: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
	},
	InTx: func(dc any) bool {
		c, ok := dc.(*sqlite3.SQLiteConn)
		return ok && !c.AutoCommit()
	},
}
