package server

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target that TuneGC sets.
//
// payd keeps little on the heap between requests while every write renders
// several kilobytes of JSON, so with Go's default of 100 the collector runs
// after every few hundred requests and takes about a fifth of a busy core.
// At 400 the heap may grow to five times what is live (a few megabytes
// more) and the collector runs a quarter as often.
const GCPercent = 400

// TuneGC applies GCPercent to the process, unless GOGC is set in the
// environment, which then decides as usual. A payd command calls it once at
// start; it is not in Run because it changes the whole process.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
