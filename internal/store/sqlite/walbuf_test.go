package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payd/payd/internal/store"
)

// TestWALBuf_CommitsInFewWritesAndReadersSeeThem: a commit of many pages
// reaches the WAL in a few writes instead of two per page, and a reader on
// another connection sees each commit as soon as it is acknowledged (the
// frames are in the file before SQLite publishes them).
func TestWALBuf_CommitsInFewWritesAndReadersSeeThem(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "payd.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	asked0, written0 := walbufStats()
	const commits, rows = 40, 12
	for c := range commits {
		data := []byte(fmt.Sprintf(`{"commit":%d,"pad":"%s"}`, c, strings.Repeat("x", 3000))) // about a page per row
		err := st.Update(ctx, func(tx store.Tx) error {
			for r := range rows {
				rec := store.Record{ID: fmt.Sprintf("cus_%d_%d", c, r), Account: "acct_a", Created: int64(c), Data: data}
				if err := tx.Insert(ctx, "customers", rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for r := range rows {
			var got store.Record
			err := st.View(ctx, func(tx store.Tx) (err error) {
				got, err = tx.Get(ctx, "customers", "acct_a", fmt.Sprintf("cus_%d_%d", c, r))
				return err
			})
			if err != nil || !bytes.Equal(got.Data, data) {
				t.Fatalf("commit %d row %d read back: %v %.40q", c, r, err, got.Data)
			}
		}
	}
	asked, written := walbufStats()
	asked, written = asked-asked0, written-written0
	// Each commit asks for two writes a page, at least 2*rows; without the
	// buffer every one of them is a write of its own.
	if asked < commits*rows*2 {
		t.Fatalf("SQLite asked for %d WAL writes over %d commits of %d pages: is the writer on %s?", asked, commits, rows, walbufVFS)
	}
	if written*4 > asked {
		t.Fatalf("%d WAL writes passed down for %d asked: the buffer did not gather them", written, asked)
	}
	t.Logf("%d WAL writes asked, %d passed down", asked, written)

	// The file a plain connection opens is whole.
	st.Close()
	db, err := sql.Open(driver, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var n int
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %v %q", err, check)
	}
	if err := db.QueryRow("SELECT count(*) FROM customers").Scan(&n); err != nil || n != commits*rows {
		t.Fatalf("rows after reopening: %d, %v", n, err)
	}
}
