// Package postgres opens payd's scale-out engine. Several payd nodes may
// share one database: row locks (SELECT … FOR UPDATE) and unique keys, not
// process memory, decide every race.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/payd/payd/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is an arbitrary advisory-lock key shared by all payd nodes.
const migrationLock = 7_233_001

// Open connects to url and applies the migrations.
func Open(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	lock := fmt.Sprintf("SELECT pg_advisory_lock(%d)", migrationLock)
	unlock := fmt.Sprintf("SELECT pg_advisory_unlock(%d)", migrationLock)
	if err := sqlstore.Migrate(ctx, db, sub, lock, unlock); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres migrate: %w", err)
	}
	return sqlstore.New(db, db, dialect), nil
}

var dialect = sqlstore.Dialect{
	Name:      "postgres",
	ForUpdate: " FOR UPDATE",
	IsConflict: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	Retryable: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
	},
}
