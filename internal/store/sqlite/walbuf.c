// The "payd-walbuf" VFS: SQLite's own unix VFS, except that writes which
// follow one another in a file reach it as one write(2) where SQLite would
// make one per page or less:
//
//   - the frames a transaction appends to the WAL, which SQLite writes as
//     two writes a frame (its 24-byte header, then the page);
//   - the pages a checkpoint copies into the database file, one write a
//     page, in page order: most of them are the new pages at the end of
//     the file, one after the other.
//
// Each write costs a system call and the kernel's page-cache work on one or
// two pages of the file: a group commit of forty pages made eighty calls.
//
// WAL frames are gathered while they follow one another in the file and
// passed down when the commit frame's page arrives (a frame header whose
// "database size after commit" field is not zero marks the commit frame),
// or earlier when anything reads, syncs, sizes or truncates the WAL, when a
// write lands elsewhere, or when the buffer is full. What this keeps of
// SQLite's guarantees:
//   - The commit frame is written before walFrames returns, so every
//     acknowledged commit is in the file (and survives kill -9) exactly as
//     without the buffer; an error writing it fails the commit.
//   - Other connections read frames only up to the end the WAL index header
//     publishes, which SQLite writes after the commit frame. As a safety
//     net for a write pattern this file does not recognise, the buffer is
//     also written out when SQLite issues the memory barrier that comes
//     before publishing the header; if that write fails the process aborts
//     rather than publish frames that are not in the file (the transaction
//     was not acknowledged yet, and recovery will drop it).
//
// A checkpoint's pages are gathered only between the SQLITE_FCNTL_CKPT_START
// and SQLITE_FCNTL_CKPT_DONE file controls SQLite sends around its copy
// loop, and passed down at CKPT_DONE at the latest: SQLite publishes how
// far the database file is complete (nBackfill, after which readers take
// those pages from the file) only after it. CKPT_DONE's result is not
// checked by SQLite, so a failed write there aborts the process; the WAL
// still holds every frame, and the next start copies them again.
//
// Only connections opened with this VFS gather writes: payd's writer and
// its checkpointer. Readers use the plain unix VFS, and locks and shared
// memory are those of the unix VFS underneath, which all connections share.

#include <stdlib.h>
#include <string.h>

#include "walbuf.h"

// The unix VFS writes at most 128 KiB - 1 bytes a call (it masks larger
// counts to 17 bits, and the write comes out short): the buffer stays below.
#define WALBUF_CAP (124 * 1024)
#define FRAME_HEADER 24

typedef struct File File;
struct File {
	sqlite3_file base;           // base.pMethods = &methods
	sqlite3_io_methods methods;  // this file's table, real's iVersion
	File *wal;                   // a main database file: its open WAL
	File *main;                  // a WAL: its main database file
	unsigned char *buf;          // bytes not yet written
	int n;                       // bytes in buf
	int commitPending;           // the next write is a commit frame's page
	int ckpt;                    // a main database file: inside a checkpoint's copy loop
	int isWAL;                   // a WAL (for the counts)
	sqlite3_int64 off;           // file offset of buf[0]
	// The unix VFS's file follows.
};

_Static_assert(sizeof(File) % 8 == 0, "the unix file after File must stay 8-byte aligned");

#define REAL(f) ((sqlite3_file *)((File *)(f) + 1))
#define RM(f) (REAL(f)->pMethods)

static sqlite3_vfs *unixVfs;
static sqlite3_int64 asked, written, ckptAsked, ckptWritten;

// passDown writes to the unix file, counting the write.
static int passDown(File *f, const void *z, int n, sqlite3_int64 off) {
	__atomic_fetch_add(f->isWAL ? &written : &ckptWritten, 1, __ATOMIC_RELAXED);
	return RM(f)->xWrite(REAL(f), z, n, off);
}

// flush writes what is buffered.
static int flush(File *f) {
	if (f->n == 0) {
		return SQLITE_OK;
	}
	int rc = passDown(f, f->buf, f->n, f->off);
	f->off += f->n;
	f->n = 0;
	return rc;
}

// gather adds a write to f's buffer, passing down what is there first if
// the write does not follow it or would not fit.
static int gather(File *f, const void *z, int n, sqlite3_int64 off) {
	int rc;
	if (f->n > 0 && (off != f->off + f->n || f->n + n > WALBUF_CAP)) {
		if ((rc = flush(f)) != SQLITE_OK) {
			return rc;
		}
	}
	if (n > WALBUF_CAP) {
		return passDown(f, z, n, off);
	}
	if (!f->buf && !(f->buf = malloc(WALBUF_CAP))) {
		return SQLITE_NOMEM;
	}
	if (f->n == 0) {
		f->off = off;
	}
	memcpy(f->buf + f->n, z, n);
	f->n += n;
	return SQLITE_OK;
}

// --- every file: forward to the unix file ---

static int fClose(sqlite3_file *p) {
	File *f = (File *)p;
	int rc = flush(f);
	free(f->buf);
	f->buf = 0;
	if (f->main && f->main->wal == f) {
		f->main->wal = 0;
	}
	if (f->wal && f->wal->main == f) {
		f->wal->main = 0;
	}
	int rc2 = RM(f)->xClose(REAL(f));
	return rc != SQLITE_OK ? rc : rc2;
}

static int fRead(sqlite3_file *p, void *z, int n, sqlite3_int64 off) {
	int rc = flush((File *)p);
	return rc != SQLITE_OK ? rc : RM(p)->xRead(REAL(p), z, n, off);
}

static int fWrite(sqlite3_file *p, const void *z, int n, sqlite3_int64 off) {
	File *f = (File *)p;
	if (f->ckpt) {
		__atomic_fetch_add(&ckptAsked, 1, __ATOMIC_RELAXED);
		return gather(f, z, n, off);
	}
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : RM(p)->xWrite(REAL(p), z, n, off);
}

static int fTruncate(sqlite3_file *p, sqlite3_int64 size) {
	int rc = flush((File *)p);
	return rc != SQLITE_OK ? rc : RM(p)->xTruncate(REAL(p), size);
}

static int fSync(sqlite3_file *p, int flags) {
	int rc = flush((File *)p);
	return rc != SQLITE_OK ? rc : RM(p)->xSync(REAL(p), flags);
}

static int fFileSize(sqlite3_file *p, sqlite3_int64 *size) {
	int rc = flush((File *)p);
	return rc != SQLITE_OK ? rc : RM(p)->xFileSize(REAL(p), size);
}

static int fLock(sqlite3_file *p, int l) { return RM(p)->xLock(REAL(p), l); }
static int fUnlock(sqlite3_file *p, int l) { return RM(p)->xUnlock(REAL(p), l); }
static int fCheckReservedLock(sqlite3_file *p, int *out) { return RM(p)->xCheckReservedLock(REAL(p), out); }

static int fFileControl(sqlite3_file *p, int op, void *arg) {
	File *f = (File *)p;
	int rc = flush(f);
	switch (op) {
	case SQLITE_FCNTL_CKPT_START:
		f->ckpt = rc == SQLITE_OK;
		break;
	case SQLITE_FCNTL_CKPT_DONE:
		if (rc != SQLITE_OK) {
			abort();
		}
		f->ckpt = 0;
		break;
	}
	return rc != SQLITE_OK ? rc : RM(p)->xFileControl(REAL(p), op, arg);
}

static int fSectorSize(sqlite3_file *p) { return RM(p)->xSectorSize(REAL(p)); }
static int fDeviceCharacteristics(sqlite3_file *p) { return RM(p)->xDeviceCharacteristics(REAL(p)); }

static int fShmMap(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **pp) {
	return RM(p)->xShmMap(REAL(p), pg, pgsz, extend, pp);
}

static int fShmLock(sqlite3_file *p, int offset, int n, int flags) {
	return RM(p)->xShmLock(REAL(p), offset, n, flags);
}

// fShmBarrier comes before SQLite publishes a new WAL index header (see the
// top of the file).
static void fShmBarrier(sqlite3_file *p) {
	File *f = (File *)p;
	if (f->wal && f->wal->n > 0 && flush(f->wal) != SQLITE_OK) {
		abort();
	}
	RM(p)->xShmBarrier(REAL(p));
}

static int fShmUnmap(sqlite3_file *p, int del) { return RM(p)->xShmUnmap(REAL(p), del); }
static int fFetch(sqlite3_file *p, sqlite3_int64 off, int n, void **pp) { return RM(p)->xFetch(REAL(p), off, n, pp); }
static int fUnfetch(sqlite3_file *p, sqlite3_int64 off, void *z) { return RM(p)->xUnfetch(REAL(p), off, z); }

// --- the WAL ---

static int walWrite(sqlite3_file *p, const void *z, int n, sqlite3_int64 off) {
	File *f = (File *)p;
	__atomic_fetch_add(&asked, 1, __ATOMIC_RELAXED);
	int rc = gather(f, z, n, off);
	if (rc != SQLITE_OK) {
		return rc;
	}
	if (f->commitPending) {
		f->commitPending = 0;
		return flush(f);
	}
	if (n == FRAME_HEADER) {
		// Bytes 4-7 of a frame header: the database size in pages after
		// a commit, zero in every other frame.
		const unsigned char *h = z;
		f->commitPending = (h[4] | h[5] | h[6] | h[7]) != 0;
	}
	return SQLITE_OK;
}

static const sqlite3_io_methods forward = {
	3,
	fClose, fRead, fWrite, fTruncate, fSync, fFileSize, fLock, fUnlock,
	fCheckReservedLock, fFileControl, fSectorSize, fDeviceCharacteristics,
	fShmMap, fShmLock, fShmBarrier, fShmUnmap, fFetch, fUnfetch,
};

// --- the VFS ---

static int vOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *p, int flags, int *outFlags) {
	File *f = (File *)p;
	memset(f, 0, sizeof *f);
	int rc = unixVfs->xOpen(unixVfs, name, REAL(f), flags, outFlags);
	if (!RM(f)) {
		f->base.pMethods = 0;
		return rc;
	}
	f->methods = forward;
	if (RM(f)->iVersion < f->methods.iVersion) {
		f->methods.iVersion = RM(f)->iVersion;
	}
	if (flags & SQLITE_OPEN_WAL) {
		f->isWAL = 1;
		f->methods.xWrite = walWrite;
		File *main = (File *)sqlite3_database_file_object(name);
		if (main) {
			f->main = main;
			main->wal = f;
		}
	}
	f->base.pMethods = &f->methods;
	return rc;
}

static int vDelete(sqlite3_vfs *v, const char *name, int syncDir) { return unixVfs->xDelete(unixVfs, name, syncDir); }
static int vAccess(sqlite3_vfs *v, const char *name, int flags, int *out) { return unixVfs->xAccess(unixVfs, name, flags, out); }
static int vFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) { return unixVfs->xFullPathname(unixVfs, name, n, out); }
static void *vDlOpen(sqlite3_vfs *v, const char *name) { return unixVfs->xDlOpen(unixVfs, name); }
static void vDlError(sqlite3_vfs *v, int n, char *msg) { unixVfs->xDlError(unixVfs, n, msg); }
static void (*vDlSym(sqlite3_vfs *v, void *h, const char *sym))(void) { return unixVfs->xDlSym(unixVfs, h, sym); }
static void vDlClose(sqlite3_vfs *v, void *h) { unixVfs->xDlClose(unixVfs, h); }
static int vRandomness(sqlite3_vfs *v, int n, char *out) { return unixVfs->xRandomness(unixVfs, n, out); }
static int vSleep(sqlite3_vfs *v, int us) { return unixVfs->xSleep(unixVfs, us); }
static int vCurrentTime(sqlite3_vfs *v, double *t) { return unixVfs->xCurrentTime(unixVfs, t); }
static int vGetLastError(sqlite3_vfs *v, int n, char *msg) { return unixVfs->xGetLastError(unixVfs, n, msg); }
static int vCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *t) { return unixVfs->xCurrentTimeInt64(unixVfs, t); }

static sqlite3_vfs walbuf = {
	2, 0, 0, 0, PAYD_WALBUF_VFS, 0,
	vOpen, vDelete, vAccess, vFullPathname, vDlOpen, vDlError, vDlSym, vDlClose,
	vRandomness, vSleep, vCurrentTime, vGetLastError, vCurrentTimeInt64,
};

int payd_walbuf_register(void) {
	if (sqlite3_vfs_find(walbuf.zName)) {
		return SQLITE_OK;
	}
	unixVfs = sqlite3_vfs_find("unix");
	if (!unixVfs || unixVfs->iVersion < 2) {
		return SQLITE_IOERR_WRITE;
	}
	walbuf.szOsFile = (int)sizeof(File) + unixVfs->szOsFile;
	walbuf.mxPathname = unixVfs->mxPathname;
	return sqlite3_vfs_register(&walbuf, 0);
}

void payd_walbuf_stats(sqlite3_int64 *a, sqlite3_int64 *w, sqlite3_int64 *ca, sqlite3_int64 *cw) {
	*a = __atomic_load_n(&asked, __ATOMIC_RELAXED);
	*w = __atomic_load_n(&written, __ATOMIC_RELAXED);
	*ca = __atomic_load_n(&ckptAsked, __ATOMIC_RELAXED);
	*cw = __atomic_load_n(&ckptWritten, __ATOMIC_RELAXED);
}
