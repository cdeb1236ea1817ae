package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/payd/payd/internal/store"
)

// TestBatch_EngineEndsTransaction: a write that fails without writing
// anything, but after which the engine has ended the shared transaction by
// itself (as SQLite does on a full disk or an I/O error), must not leave
// the writes after it to run outside any transaction. The batch is replayed:
// every other write lands once and is answered nil, the failed one gets its
// error.
func TestBatch_EngineEndsTransaction(t *testing.T) {
	ctx := context.Background()
	db, w := batchDB(t)

	boom := errors.New("boom")
	const n = 60
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Update(ctx, func(stx store.Tx) error {
				if i%10 == 0 {
					// What the engine does on its own: no statement of
					// the request's writes, yet the transaction is gone.
					if _, err := stx.(*tx).tx.(*writeTracker).q.ExecContext(ctx, "ROLLBACK"); err != nil {
						return err
					}
					return boom
				}
				return stx.Insert(ctx, "t", store.Record{ID: fmt.Sprintf("r_%02d", i), Account: "acct_a", Created: 1, Data: []byte(`{}`)})
			})
			if (i%10 == 0) != errors.Is(err, boom) || (i%10 != 0 && err != nil) {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var rows int
	if err := w.QueryRow("SELECT count(*) FROM t").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := n - n/10; rows != want {
		t.Fatalf("%d rows, want %d", rows, want)
	}
}

// batchDB opens a SQLite file with one table t and group commit on.
func batchDB(t *testing.T) (*DB, *sql.DB) {
	t.Helper()
	w, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "batch.db")+"?_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(`CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL,
		created INTEGER NOT NULL, data BLOB NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, private BLOB)`); err != nil {
		t.Fatal(err)
	}
	db := New(w, w, Dialect{
		Name:       "sqlite",
		IsConflict: func(error) bool { return false },
		InTx: func(dc any) bool {
			c, ok := dc.(*sqlite3.SQLiteConn)
			return ok && !c.AutoCommit()
		},
	})
	db.EnableGroupCommit(nil)
	t.Cleanup(func() { db.Close() })
	return db, w
}

// TestBatch_GuardsWhileFailuresAreCommon: a batch in which a request fails
// after writing is replayed, running the requests before it twice; once
// such batches are common, batches run guarded from the start, so the
// failure costs its neighbours nothing; once they are rare again, batches
// run unguarded again. Every batch lands its good writes once and none of
// the failed one's.
func TestBatch_GuardsWhileFailuresAreCommon(t *testing.T) {
	ctx := context.Background()
	db, w := batchDB(t)
	boom := errors.New("boom")
	n := 0
	// runBatch runs, as one batch, three writes and, with fail, a fourth
	// that fails after writing; it reports how often the first one ran.
	runBatch := func(fail bool) int {
		t.Helper()
		runs := 0
		write := func(id string, failAfter bool, count *int) *writeReq {
			return &writeReq{ctx: ctx, done: make(chan error, 1), fn: func(stx store.Tx) error {
				if count != nil {
					*count++
				}
				if err := stx.Insert(ctx, "t", store.Record{ID: id, Account: "acct_a", Created: 1, Data: []byte(`{}`)}); err != nil {
					return err
				}
				if failAfter {
					return boom
				}
				return nil
			}}
		}
		n++
		batch := []*writeReq{
			write(fmt.Sprintf("a_%02d", n), false, &runs),
			write(fmt.Sprintf("b_%02d", n), false, nil),
		}
		if fail {
			batch = append(batch, write(fmt.Sprintf("x_%02d", n), true, nil))
		}
		batch = append(batch, write(fmt.Sprintf("c_%02d", n), false, nil))
		db.batch.run(batch)
		for i, r := range batch {
			err := <-r.done
			if failed := fail && i == 2; failed != errors.Is(err, boom) || (!failed && err != nil) {
				t.Fatalf("batch %d, write %d: %v", n, i, err)
			}
		}
		return runs
	}
	// A lone failure: replayed.
	if runs := runBatch(true); runs != 2 {
		t.Fatalf("first failing batch: first write ran %d times, want 2 (a replay)", runs)
	}
	// Failures in batch after batch: after a few replays, guarded.
	var got []int
	for range 4 {
		got = append(got, runBatch(true))
	}
	if fmt.Sprint(got) != "[2 2 2 1]" {
		t.Fatalf("failing batches 2-5: first write ran %v times, want [2 2 2 1] (guarded from the fifth)", got)
	}
	// Clean batches: still guarded for a while, then not.
	for range 20 {
		if runs := runBatch(false); runs != 1 {
			t.Fatalf("clean batch: first write ran %d times", runs)
		}
	}
	if runs := runBatch(true); runs != 2 {
		t.Fatalf("failing batch after 20 clean ones: first write ran %d times, want 2 (unguarded again)", runs)
	}
	var rows, failedRows int
	if err := w.QueryRow("SELECT count(*), count(CASE WHEN id LIKE 'x%' THEN 1 END) FROM t").Scan(&rows, &failedRows); err != nil {
		t.Fatal(err)
	}
	if want := 3 * n; rows != want || failedRows != 0 {
		t.Fatalf("%d rows (%d of failed writes), want %d and 0", rows, failedRows, want)
	}
}

// TestDetachReads: a read under a canceled context fails, as database/sql
// makes it, unless reads are detached from the caller's context.
func TestDetachReads(t *testing.T) {
	db, _ := batchDB(t)
	if err := db.Update(context.Background(), func(stx store.Tx) error {
		return stx.Insert(context.Background(), "t", store.Record{ID: "r_1", Account: "acct_a", Created: 1, Data: []byte(`{}`)})
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	read := func() error {
		return db.View(ctx, func(stx store.Tx) error {
			_, err := stx.Get(ctx, "t", "acct_a", "r_1")
			return err
		})
	}
	if err := read(); !errors.Is(err, context.Canceled) {
		t.Fatalf("attached read under a canceled context: %v, want context.Canceled", err)
	}
	db.DetachReads()
	if err := read(); err != nil {
		t.Fatalf("detached read under a canceled context: %v", err)
	}
}
