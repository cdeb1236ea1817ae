package sqlite

import (
	"context"
	"database/sql"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestPlansStable: every connection payd opens, the writer's and the
// readers', has the query planner stability guarantee on, and a plain
// connection of the driver does not (so the check can tell them apart).
func TestPlansStable(t *testing.T) {
	_, path := openTemp(t, checkpointEvery)
	for _, tc := range []struct {
		driver string
		want   bool
	}{{writerDriver, true}, {driver, true}, {"sqlite3", false}} {
		db, err := sql.Open(tc.driver, "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got bool
		if err := conn.Raw(func(dc any) error {
			got = plansStable(dc.(*sqlite3.SQLiteConn))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		db.Close()
		if got != tc.want {
			t.Errorf("%s: query planner stability guarantee %v, want %v", tc.driver, got, tc.want)
		}
	}
}
