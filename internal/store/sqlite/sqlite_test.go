package sqlite_test

import (
	"context"
	"path/filepath"
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
