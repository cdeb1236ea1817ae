package sqlstore

import (
	"strconv"
	"strings"
	"sync"

	"github.com/payd/payd/internal/store"
)

// The statements Insert and Put run depend only on the table and the names
// of the record's extra columns, which are compile-time constants of the
// calling package: each one is built once and then looked up, instead of
// being assembled anew for every row written.

type stmtKind uint8

const (
	stmtInsert stmtKind = iota
	stmtPut
	stmtPutLive
)

// maxKeyCols bounds the extra columns a cached statement may have; a record
// with more (none today) has its statement built every time.
const maxKeyCols = 6

type stmtKey struct {
	kind  stmtKind
	table string
	n     int
	cols  [maxKeyCols]string
}

var statements struct {
	sync.RWMutex
	m map[stmtKey]string
}

// statement returns the SQL of kind for table and cols (only their names
// matter).
func statement(kind stmtKind, table string, cols []store.Col) string {
	if len(cols) > maxKeyCols {
		return buildStatement(kind, table, cols)
	}
	k := stmtKey{kind: kind, table: table, n: len(cols)}
	for i, c := range cols {
		k.cols[i] = c.Name
	}
	statements.RLock()
	q, ok := statements.m[k]
	statements.RUnlock()
	if ok {
		return q
	}
	q = buildStatement(kind, table, cols)
	statements.Lock()
	if statements.m == nil {
		statements.m = map[stmtKey]string{}
	}
	statements.m[k] = q
	statements.Unlock()
	return q
}

// buildStatement writes the SQL whose arguments Insert and Put pass:
//   - insert: id, account_id, created, data, deleted, private, then cols;
//     ON CONFLICT DO NOTHING reports a duplicate without aborting the
//     transaction, which PostgreSQL would do on a raised violation;
//   - put: data, deleted, private, then cols, then the id and account;
//   - put live: the same arguments, for a row that is and stays live:
//     deleted is a condition instead of a column set, so that SQLite,
//     which rewrites the entries of every index holding a column an
//     UPDATE sets, leaves the list indexes alone.
func buildStatement(kind stmtKind, table string, cols []store.Col) string {
	var b strings.Builder
	switch kind {
	case stmtInsert:
		b.WriteString("INSERT INTO " + table + " (id, account_id, created, data, deleted, private")
		for _, c := range cols {
			b.WriteString(", " + c.Name)
		}
		b.WriteString(") VALUES (" + placeholders(1, 6+len(cols)) + ") ON CONFLICT DO NOTHING")
	case stmtPut, stmtPutLive:
		b.WriteString("UPDATE " + table + " SET data = $1, ")
		if kind == stmtPut {
			b.WriteString("deleted = $2, ")
		}
		b.WriteString("private = $3")
		for i, c := range cols {
			b.WriteString(", " + c.Name + " = $" + strconv.Itoa(4+i))
		}
		n := 3 + len(cols)
		b.WriteString(" WHERE id = $" + strconv.Itoa(n+1) + " AND account_id = $" + strconv.Itoa(n+2))
		if kind == stmtPutLive {
			b.WriteString(" AND deleted = $2")
		}
	}
	return b.String()
}
