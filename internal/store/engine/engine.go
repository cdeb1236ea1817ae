// Package engine opens the store named by a --db URL.
package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/postgres"
	"github.com/payd/payd/internal/store/sqlite"
)

// Default is the zero-config database: a SQLite file in the working
// directory.
const Default = "sqlite:payd.db"

// Open opens "sqlite:PATH" or "postgres://…" (also "postgresql://…").
func Open(ctx context.Context, url string) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("--db %q: want sqlite:PATH, e.g. sqlite:payd.db", url)
		}
		return sqlite.Open(ctx, path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	}
	return nil, fmt.Errorf("--db %q: want sqlite:PATH or postgres://USER@HOST:PORT/DB", url)
}
