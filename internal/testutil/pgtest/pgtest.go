// Package pgtest gives tests a real PostgreSQL: a fresh, empty database per
// call, dropped again when the test ends.
//
// payd's storage is PostgreSQL, and the behaviour worth testing (locking,
// isolation, constraint errors, migrations) is exactly what a fake or
// SQLite would get wrong, so tests use the real server. The server is named
// by $PAYD_TEST_POSTGRES; ./scripts/test.sh starts a throwaway PostgreSQL 15
// and sets it. A database per test keeps tests independent and lets them
// run in parallel.
//
// Without $PAYD_TEST_POSTGRES the tests skip, so a plain `go test ./...` on a
// laptop still works, except in CI ($CI non-empty) or with
// PAYD_REQUIRE_POSTGRES=1, where a skip would hide that nothing was tested:
// there they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// ServerEnv holds the URL of a server whose user may CREATE DATABASE,
	// e.g. postgres://payd@127.0.0.1:5432/postgres?sslmode=disable.
	ServerEnv = "PAYD_TEST_POSTGRES"
	// RequireEnv set to 1 turns a missing ServerEnv into a failure.
	RequireEnv = "PAYD_REQUIRE_POSTGRES"
)

// DBPrefix starts the name of every database this package creates, so that
// leftovers (after a killed test binary) are easy to recognise and drop.
const DBPrefix = "payd_test_"

// adminTimeout bounds each CREATE/DROP DATABASE round trip, so an unreachable
// server fails the test instead of hanging it until go test's timeout.
const adminTimeout = 30 * time.Second

var skipBanner sync.Once

// Server returns the URL of the PostgreSQL server tests may use (its
// maintenance database, normally "postgres"). Use URL to get a database of
// your own; Server is for tests about the server itself (creating databases,
// connecting with other settings).
//
// If $PAYD_TEST_POSTGRES is unset, Server skips the test, or fails it in CI
// or when $PAYD_REQUIRE_POSTGRES=1.
func Server(t testing.TB) string {
	t.Helper()
	server := os.Getenv(ServerEnv)
	if server == "" {
		const msg = "PAYD_TEST_POSTGRES is not set. ./scripts/test.sh starts a throwaway PostgreSQL 15 and sets it; " +
			"or point it at a server whose user may CREATE DATABASE, e.g. " +
			"PAYD_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'"
		if os.Getenv("CI") != "" || os.Getenv(RequireEnv) == "1" {
			t.Fatal("pgtest: PostgreSQL is required here (CI or " + RequireEnv + "=1) but " + msg)
		}
		skipBanner.Do(func() {
			fmt.Fprintln(os.Stderr, "\n"+strings.Repeat("!", 78)+
				"\n!!! POSTGRESQL TESTS SKIPPED: "+msg+"\n"+strings.Repeat("!", 78))
		})
		t.Skip("!!! POSTGRESQL TEST SKIPPED: " + msg)
	}
	if _, err := withDatabase(server, "x"); err != nil {
		t.Fatalf("pgtest: %s: %v", ServerEnv, err)
	}
	return server
}

// URL creates a new, empty database on the test server and returns its URL.
// The database is dropped (with FORCE, closing any connections the test left
// open) when the test and its subtests have finished; a failure to drop is
// logged, not fatal. Each call gives a different database: tests that need
// two connections to the same database call URL once and share the result.
func URL(t testing.TB) string {
	t.Helper()
	server := Server(t)
	name := DBPrefix + randomSuffix(t)
	dbURL, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := admin(server, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin(server, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: dropping database %s (leaving it behind): %v", name, err)
		}
	})
	return dbURL
}

// admin runs one statement on a short-lived connection to the server's
// maintenance database. CREATE/DROP DATABASE cannot run inside a
// transaction, and a connection per call keeps parallel tests from sharing
// (and serialising on) one.
func admin(server, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", redact(server), err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns server's URL with the database name replaced.
func withDatabase(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", fmt.Errorf("want a URL like postgres://user@127.0.0.1:5432/postgres?sslmode=disable, got %q", redact(server))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redact hides a password in a server URL before it goes into a message.
func redact(server string) string {
	if u, err := url.Parse(server); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return hex.EncodeToString(b)
}
