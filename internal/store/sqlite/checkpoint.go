package sqlite

// #include <stdlib.h>
// #include "walbuf.h"
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// worker runs checkpoints, and the syncs that go with them, on a thread and
// a connection of its own (checkpoint.c).
//
// A pass takes a few hundred milliseconds. Run as a cgo call, it would keep
// the calling goroutine's processor until the Go runtime's monitor noticed
// and handed the processor on, which under load takes up to 10 ms: with
// one processor (payd on one core) every request stood still meanwhile,
// once or more a second. The goroutine that waits for the worker instead
// sleeps in a read of a pipe, which holds no processor. Create, 1,000,000
// intents, alternating runs: p99 11.6/12.9/11.5 ms against 18.9/17.3/16.2
// ms with the passes run from the goroutine.
type worker struct {
	mu   sync.Mutex // one request at a time
	req  int        // the worker reads requests here
	resp *os.File   // and answers here
}

func startWorker(path string) (*worker, error) {
	var req, resp [2]int
	syscall.ForkLock.RLock() // no child may inherit the pipes before they are close-on-exec
	err := syscall.Pipe(req[:])
	if err == nil {
		if err = syscall.Pipe(resp[:]); err != nil {
			syscall.Close(req[0])
			syscall.Close(req[1])
		}
	}
	if err == nil {
		for _, fd := range []int{req[0], req[1], resp[0], resp[1]} {
			syscall.CloseOnExec(fd)
		}
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	closeAll := func() {
		for _, fd := range []int{req[0], req[1], resp[0], resp[1]} {
			syscall.Close(fd)
		}
	}
	// Non-blocking, our end of the answer pipe goes through the runtime's
	// poller: a read parks the goroutine.
	if err := syscall.SetNonblock(resp[0], true); err != nil {
		closeAll()
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if rc := C.payd_ckpt_start(cpath, C.int(req[0]), C.int(resp[1])); rc != 0 {
		closeAll()
		return nil, fmt.Errorf("sqlite: starting the checkpoint worker: code %d", int(rc))
	}
	return &worker{req: req[1], resp: os.NewFile(uintptr(resp[0]), "checkpoint worker")}, nil
}

// do sends one request and waits for its answer: SQLite's result code and,
// for a checkpoint, the WAL's size in frames when it began.
func (w *worker) do(op byte) (frames int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := syscall.Write(w.req, []byte{op}); err != nil {
		return 0, fmt.Errorf("sqlite: checkpoint worker: %w", err)
	}
	var out [16]byte
	for n := 0; n < len(out); {
		m, err := w.resp.Read(out[n:])
		if err != nil {
			return 0, fmt.Errorf("sqlite: checkpoint worker: %w", err)
		}
		n += m
	}
	if rc := int64(binary.NativeEndian.Uint64(out[:8])); rc != 0 {
		return 0, fmt.Errorf("sqlite: checkpoint worker: %c: code %d", op, rc)
	}
	return int(binary.NativeEndian.Uint64(out[8:])), nil
}

// pass runs a passive checkpoint.
func (w *worker) pass() (frames int, err error) { return w.do(C.PAYD_CKPT_PASSIVE) }

// truncate copies every frame and empties the WAL: only once nothing else
// writes.
func (w *worker) truncate() error { _, err := w.do(C.PAYD_CKPT_TRUNCATE); return err }

// sync syncs the database file and the WAL.
func (w *worker) sync() error { _, err := w.do(C.PAYD_CKPT_SYNC); return err }

// close closes the worker's connection and ends its thread: only after
// every other connection to the database is closed.
func (w *worker) close() error {
	_, err := w.do(C.PAYD_CKPT_QUIT)
	syscall.Close(w.req)
	return firstErr(err, w.resp.Close())
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
