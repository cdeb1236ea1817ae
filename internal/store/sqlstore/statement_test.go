package sqlstore

import (
	"testing"

	"github.com/payd/payd/internal/store"
)

func TestStatement(t *testing.T) {
	cols := []store.Col{{Name: "customer", Value: "cus_1"}, {Name: "type", Value: "card"}}
	for _, c := range []struct {
		kind stmtKind
		cols []store.Col
		want string
	}{
		{stmtInsert, cols, "INSERT INTO t (id, account_id, created, data, deleted, private, customer, type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"},
		{stmtInsert, nil, "INSERT INTO t (id, account_id, created, data, deleted, private) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"},
		{stmtPut, cols, "UPDATE t SET data = $1, deleted = $2, private = $3, customer = $4, type = $5 WHERE id = $6 AND account_id = $7"},
		{stmtPut, nil, "UPDATE t SET data = $1, deleted = $2, private = $3 WHERE id = $4 AND account_id = $5"},
		{stmtPutLive, cols, "UPDATE t SET data = $1, private = $3, customer = $4, type = $5 WHERE id = $6 AND account_id = $7 AND deleted = $2"},
		{stmtPutLive, nil, "UPDATE t SET data = $1, private = $3 WHERE id = $4 AND account_id = $5 AND deleted = $2"},
	} {
		// Twice: built, then from the cache.
		for range 2 {
			if got := statement(c.kind, "t", c.cols); got != c.want {
				t.Fatalf("statement(%d, %v):\n got %s\nwant %s", c.kind, c.cols, got, c.want)
			}
		}
	}
	// The same names in another order are another statement.
	swapped := []store.Col{cols[1], cols[0]}
	if got := statement(stmtPut, "t", swapped); got != "UPDATE t SET data = $1, deleted = $2, private = $3, type = $4, customer = $5 WHERE id = $6 AND account_id = $7" {
		t.Fatalf("swapped columns: %s", got)
	}
	// More columns than the cache keys hold are built every time.
	many := make([]store.Col, maxKeyCols+1)
	for i := range many {
		many[i].Name = string(rune('a' + i))
	}
	if got, want := statement(stmtInsert, "t", many), buildStatement(stmtInsert, "t", many); got != want {
		t.Fatalf("many columns: %s", got)
	}
}
