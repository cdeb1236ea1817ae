package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payd/payd/internal/store"
)

// TestWALBuf_FewWritesAndReadersSeeEverything: a commit of many pages
// reaches the WAL in a few writes instead of two per page, and so do the
// pages a checkpoint copies into the database file; a reader on another
// connection sees each commit as soon as it is acknowledged (the frames are
// in the WAL before SQLite publishes them, and the pages a checkpoint
// copied are in the database file before readers are sent there), and the
// file left after the last checkpoint is whole.
func TestWALBuf_FewWritesAndReadersSeeEverything(t *testing.T) {
	st, path := openTemp(t, 2*time.Millisecond) // passes while the test commits and reads
	ctx := context.Background()
	before := walbufStats()
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
	after := walbufStats()
	asked, written := after.WALAsked-before.WALAsked, after.WALWritten-before.WALWritten
	// Each commit asks for two writes a page, at least 2*rows; without the
	// buffer every one of them is a write of its own.
	if asked < commits*rows*2 {
		t.Fatalf("SQLite asked for %d WAL writes over %d commits of %d pages: is the writer on %s?", asked, commits, rows, walbufVFS)
	}
	if written*4 > asked {
		t.Fatalf("%d WAL writes passed down for %d asked: the buffer did not gather them", written, asked)
	}
	t.Logf("%d WAL writes asked, %d passed down", asked, written)

	// The last checkpoint, at Close, copies whatever the passes left, and
	// the file a plain connection then opens is whole, its WAL empty.
	st.Close()
	after = walbufStats()
	asked, written = after.CheckpointAsked-before.CheckpointAsked, after.CheckpointWritten-before.CheckpointWritten
	if asked < commits*rows {
		t.Fatalf("checkpoints copied %d pages of %d commits of %d pages: is the checkpointer on %s?", asked, commits, rows, walbufVFS)
	}
	if written*4 > asked {
		t.Fatalf("%d database file writes passed down for %d pages the checkpoints copied", written, asked)
	}
	t.Logf("%d pages copied by checkpoints in %d writes", asked, written)
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("WAL of %d bytes left after Close", fi.Size())
	}
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

// TestWALBuf_PartialCheckpoint: a checkpoint that a reader's snapshot stops
// short of the WAL's end copies pages and then tells readers to take them
// from the database file, with no sync or truncate in between: the pages it
// gathered must be in the file by then.
func TestWALBuf_PartialCheckpoint(t *testing.T) {
	st, path := openTemp(t, time.Hour) // this test checkpoints by hand
	ctx := context.Background()
	data := func(c int) []byte {
		return []byte(fmt.Sprintf(`{"commit":%d,"pad":"%s"}`, c, strings.Repeat("y", 3000)))
	}
	commit := func(c int) {
		t.Helper()
		err := st.Update(ctx, func(tx store.Tx) error {
			for r := range 50 {
				rec := store.Record{ID: fmt.Sprintf("cus_%d_%d", c, r), Account: "acct_a", Created: int64(c), Data: data(c)}
				if err := tx.Insert(ctx, "customers", rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	plain := func(q string) *sql.DB {
		db, err := sql.Open(driver, "file:"+path+q)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	commit(1)
	// A reader's snapshot after the first commit holds the checkpoint there.
	old := plain("?mode=ro")
	snap, err := old.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Rollback()
	var n int
	if err := snap.QueryRow("SELECT count(*) FROM customers").Scan(&n); err != nil || n != 50 {
		t.Fatalf("snapshot: %d rows, %v", n, err)
	}
	commit(2)
	ckpt := plain("?vfs=" + walbufVFS)
	var busy, frames, copied int
	if err := ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if copied == 0 || copied >= frames {
		t.Fatalf("checkpoint copied %d of %d frames: want a partial one", copied, frames)
	}
	// A new reader takes the checkpointed pages from the database file.
	fresh := plain("?mode=ro")
	rows, err := fresh.Query("SELECT id, data FROM customers ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n = 0
	for rows.Next() {
		var id string
		var got []byte
		if err := rows.Scan(&id, &got); err != nil {
			t.Fatal(err)
		}
		c := 1 + n/50
		if want := fmt.Sprintf("cus_%d_%d", c, n%50); id != want || !bytes.Equal(got, data(c)) {
			t.Fatalf("row %d: %s %.30q, want %s", n, id, got, want)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 100 {
		t.Fatalf("read %d rows: %v", n, err)
	}
}
