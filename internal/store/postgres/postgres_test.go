package postgres_test

import (
	"context"
	"testing"

	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/postgres"
	"github.com/payd/payd/internal/store/storetest"
	"github.com/payd/payd/internal/testutil/pgtest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
