package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/payd/payd/internal/store/sqlstore"
)

// openTemp opens a database in a temporary directory with background
// checkpoints every interval (restored, and the database closed, when the
// test ends) and returns it with its path.
func openTemp(t *testing.T, every time.Duration) (*sqlstore.DB, string) {
	t.Helper()
	saved := checkpointEvery
	t.Cleanup(func() { checkpointEvery = saved })
	checkpointEvery = every
	path := filepath.Join(t.TempDir(), "payd.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}
