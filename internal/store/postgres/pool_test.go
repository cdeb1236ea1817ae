package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/payd/payd/internal/testutil/pgtest"
)

func TestPoolSize(t *testing.T) {
	def := defaultConns
	for _, c := range []struct {
		in, url string
		n       int
		err     string
	}{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable", def, ""},
		{"postgres://u@h:5432/db?sslmode=disable&pool_max_conns=3", "postgres://u@h:5432/db?sslmode=disable", 3, ""},
		{"postgres://u@h:5432/db?pool_max_conns=12", "postgres://u@h:5432/db", 12, ""},
		{"postgres://u@h:5432/db?pool_max_conns=0", "", 0, "at least 1"},
		{"postgres://u@h:5432/db?pool_max_conns=many", "", 0, "at least 1"},
	} {
		url, n, err := poolSize(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || url != c.url || n != c.n {
			t.Errorf("%s: %q %d %v, want %q %d", c.in, url, n, err, c.url, c.n)
		}
	}
}

// The parameter is payd's: the server never sees it, and the pool obeys it.
func TestOpen_PoolMaxConns(t *testing.T) {
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := Open(context.Background(), url+sep+"pool_max_conns=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.W.Stats().MaxOpenConnections; got != 2 {
		t.Fatalf("MaxOpenConnections = %d, want 2", got)
	}
}
