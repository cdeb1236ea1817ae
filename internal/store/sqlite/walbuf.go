package sqlite

// #include "walbuf.h"
import "C"

import "fmt"

// walbufVFS names the VFS of the writer's and the checkpointer's
// connections: SQLite's unix VFS with a transaction's WAL frames, and the
// pages a checkpoint copies, gathered into few writes (walbuf.c).
const walbufVFS = "payd-walbuf" // PAYD_WALBUF_VFS in walbuf.h

func registerWALBuf() error {
	if rc := C.payd_walbuf_register(); rc != 0 {
		return fmt.Errorf("sqlite: registering the %s VFS failed (code %d)", walbufVFS, int(rc))
	}
	return nil
}

// walbufCounts are the writes SQLite asked of the walbuf VFS and those that
// reached the files: to WALs, and to database files during checkpoints.
type walbufCounts struct {
	WALAsked, WALWritten, CheckpointAsked, CheckpointWritten int64
}

func walbufStats() walbufCounts {
	var a, w, ca, cw C.sqlite3_int64
	C.payd_walbuf_stats(&a, &w, &ca, &cw)
	return walbufCounts{int64(a), int64(w), int64(ca), int64(cw)}
}
