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
