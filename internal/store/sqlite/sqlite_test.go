package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/sqlite"
	"github.com/payd/payd/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "payd.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// One process owns a database: its record cache knows only of its own
// writes, so a second opening is refused until the first is closed.
func TestOneOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payd.db")
	first, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := sqlite.Open(context.Background(), path)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second store opened a database another one holds")
	}
	if !strings.Contains(err.Error(), "in use by another payd process") {
		t.Fatalf("second open: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	third.Close()
}

// The dialect's InTx, which group commit asks after a failed write, tells
// a connection inside a transaction from one outside.
func TestDialectInTx(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "payd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.W.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inTx := func() bool {
		var in bool
		if err := conn.Raw(func(dc any) error { in = db.Dialect.InTx(dc); return nil }); err != nil {
			t.Fatal(err)
		}
		return in
	}
	if inTx() {
		t.Fatal("InTx before BEGIN")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !inTx() {
		t.Fatal("not InTx after BEGIN")
	}
	if _, err := tx.Exec("ROLLBACK"); err != nil { // as the engine ends one by itself
		t.Fatal(err)
	}
	if inTx() {
		t.Fatal("InTx after the transaction ended")
	}
	tx.Rollback()
}
