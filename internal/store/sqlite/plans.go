package sqlite

/*
typedef struct sqlite3 sqlite3;
extern int sqlite3_db_config(sqlite3*, int op, ...);

// SQLITE_DBCONFIG_ENABLE_QPSG; set is 1 to turn it on, -1 to only read it.
static int payd_qpsg(void *db, int set) {
	int on = -1;
	int rc = sqlite3_db_config((sqlite3*)db, 1007, set, &on);
	return rc != 0 ? -1 : on;
}
*/
import "C"

import (
	"errors"
	"reflect"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// stablePlans turns on SQLite's query planner stability guarantee (QPSG)
// on a new connection: plans then never depend on the values bound to a
// statement's parameters.
//
// Without it, SQLite marks a statement for re-preparing whenever it
// weighed an "x = ?" term while planning (nearly every WHERE payd runs),
// and the driver clears the bindings of every statement it reuses, which
// expires such a statement: each execution parsed and planned the SQL
// again, and the driver's statement cache saved nothing (a 10-row page:
// 38.5 µs against 32.6 µs with the guarantee; a lookup by id 17.7 against
// 14.3 µs). payd's statements name their indexes' columns with literal
// conditions, so the values never had a better plan to offer.
//
// The driver offers no call for it, so this reaches its connection handle;
// a driver release that renames the field fails Open, not silently.
func stablePlans(c *sqlite3.SQLiteConn) error {
	db := handle(c)
	if db == nil {
		return errors.New("sqlite: the driver's connection has no handle field (github.com/mattn/go-sqlite3 changed)")
	}
	if C.payd_qpsg(db, 1) != 1 {
		return errors.New("sqlite: could not enable the query planner stability guarantee")
	}
	return nil
}

// plansStable reports whether the connection has the guarantee on.
func plansStable(c *sqlite3.SQLiteConn) bool {
	db := handle(c)
	return db != nil && C.payd_qpsg(db, -1) == 1
}

func handle(c *sqlite3.SQLiteConn) unsafe.Pointer {
	f := reflect.ValueOf(c).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer {
		return nil
	}
	return f.UnsafePointer()
}
