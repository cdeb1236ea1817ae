// Package sqlite opens payd's embedded engine: one SQLite file in WAL mode,
// written through a single connection (SQLite has one writer anyway, and a
// single connection turns lock contention into a cheap Go-side queue) and
// read through a pool of read-only connections that never block on it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"

	"github.com/mattn/go-sqlite3"

	"github.com/payd/payd/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database file at path and applies the
// migrations. With synchronous=NORMAL in WAL mode every committed
// transaction survives a crash of the process (kill -9); only a power loss
// may drop the last transactions before a checkpoint.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	pragmas := "_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=on&_cache_size=-65536"
	w, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	sub, _ := fs.Sub(migrations, "migrations")
	if err := sqlstore.Migrate(ctx, w, sub, "", ""); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite migrate: %w", err)
	}
	r, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+pragmas+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	db := sqlstore.New(w, r, dialect, nil)
	db.EnableGroupCommit()
	return db, nil
}

var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	ForUpdate: "", // the single writer connection already serializes writes
	IsConflict: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
			(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
	},
	Retryable: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
	},
}
