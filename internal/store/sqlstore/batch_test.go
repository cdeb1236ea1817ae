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
