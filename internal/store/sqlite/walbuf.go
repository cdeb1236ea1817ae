package sqlite

// #include "walbuf.h"
import "C"

import "fmt"

// walbufVFS names the VFS of the writer's connection: SQLite's unix VFS
// with the WAL's writes of a transaction gathered into one (walbuf.c).
const walbufVFS = "payd-walbuf"

func registerWALBuf() error {
	if rc := C.payd_walbuf_register(); rc != 0 {
		return fmt.Errorf("sqlite: registering the %s VFS failed (code %d)", walbufVFS, int(rc))
	}
	return nil
}

// walbufStats reports how many writes SQLite has asked of the WALs of
// walbuf connections and how many reached the files.
func walbufStats() (asked, written int64) {
	var a, w C.sqlite3_int64
	C.payd_walbuf_stats(&a, &w)
	return int64(a), int64(w)
}
