package event_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/postgres"
	"github.com/payd/payd/internal/store/sqlite"
	"github.com/payd/payd/internal/testutil/pgtest"
)

// TestRecord_EachEventStoredWhole: events recorded one after another in a
// transaction, small and larger than the buffers Record reuses, are each
// stored with their own object, none overwritten by the next one's
// rendering. On PostgreSQL the rows are held until the commit while
// Record reuses its buffer.
func TestRecord_EachEventStoredWhole(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "payd.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		eachEventStoredWhole(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		eachEventStoredWhole(t, st)
	})
}

func eachEventStoredWhole(t *testing.T, st store.Store) {
	ctx := context.Background()
	var objects [][]byte
	for i, size := range []int{10, 9000, 100, 70000, 5, 30000} {
		objects = append(objects, fmt.Appendf(nil, `{"id":"cus_%d","pad":%q}`, i, strings.Repeat("x", size)))
	}
	var ids []string
	err := st.Update(ctx, func(tx store.Tx) error {
		ids = ids[:0]
		for _, o := range objects {
			e, err := event.Record(ctx, tx, "acct_a", 1700000000, "customer.created", o, nil)
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(tx store.Tx) error {
		for i, id := range ids {
			r, err := tx.Get(ctx, event.Table, "acct_a", id)
			if err != nil {
				return err
			}
			var e struct {
				ID   string
				Data struct{ Object json.RawMessage }
			}
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return fmt.Errorf("event %d: %v: %.80s", i, err, r.Data)
			}
			if e.ID != id || !bytes.Equal(e.Data.Object, objects[i]) {
				return fmt.Errorf("event %d (%s) stored as %s with object %.60s…, want %.60s…", i, id, e.ID, e.Data.Object, objects[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
