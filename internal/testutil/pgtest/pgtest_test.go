package pgtest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestURL(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("create", func(t *testing.T) {
		dbURL := URL(t)
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, DBPrefix) {
			t.Errorf("database %q lacks prefix %q", name, DBPrefix)
		}
		conn := connect(t, dbURL)
		var one int
		var current string
		if err := conn.QueryRow(context.Background(), "select 1, current_database()").Scan(&one, &current); err != nil {
			t.Fatal(err)
		}
		if one != 1 || current != name {
			t.Errorf("select 1, current_database() = %d, %q; want 1, %q", one, current, name)
		}
		// Fresh means empty: no tables outside the system schemas.
		var tables int
		if err := conn.QueryRow(context.Background(),
			"select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("new database has %d tables", tables)
		}
		// The connection is deliberately left open: the drop must force it.
	})
	// The subtest's cleanup has run: the database must be gone.
	conn := connect(t, Server(t))
	var n int
	if err := conn.QueryRow(context.Background(), "select count(*) from pg_database where datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

func TestURLsAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := URL(t), URL(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	ctx := context.Background()
	if _, err := connect(t, a).Exec(ctx, "create table t (id int)"); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := connect(t, b).QueryRow(ctx, "select to_regclass('t') is not null").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("a table created in one database is visible in the other")
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://payd:secret@127.0.0.1:5433/postgres?sslmode=disable", "payd_test_x")
	if want := "postgres://payd:secret@127.0.0.1:5433/payd_test_x?sslmode=disable"; err != nil || got != want {
		t.Errorf("withDatabase = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"host=127.0.0.1 user=payd", "mysql://x@y/z", "::"} {
		if _, err := withDatabase(bad, "d"); err == nil {
			t.Errorf("withDatabase(%q) accepted a non-URL", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
}
