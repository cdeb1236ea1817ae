// The parts of SQLite's public C interface that walbuf.c needs, as declared
// in sqlite3.h (these structures are SQLite's stable VFS ABI: fields are
// only ever appended, behind iVersion). The SQLite library itself is the one
// github.com/mattn/go-sqlite3 compiles into the binary.

#ifndef PAYD_WALBUF_H
#define PAYD_WALBUF_H

typedef long long int sqlite3_int64;
typedef struct sqlite3_file sqlite3_file;
typedef struct sqlite3_io_methods sqlite3_io_methods;
typedef struct sqlite3_vfs sqlite3_vfs;
typedef const char *sqlite3_filename;
typedef void (*sqlite3_syscall_ptr)(void);

struct sqlite3_file {
	const struct sqlite3_io_methods *pMethods;
};

struct sqlite3_io_methods {
	int iVersion;
	int (*xClose)(sqlite3_file *);
	int (*xRead)(sqlite3_file *, void *, int iAmt, sqlite3_int64 iOfst);
	int (*xWrite)(sqlite3_file *, const void *, int iAmt, sqlite3_int64 iOfst);
	int (*xTruncate)(sqlite3_file *, sqlite3_int64 size);
	int (*xSync)(sqlite3_file *, int flags);
	int (*xFileSize)(sqlite3_file *, sqlite3_int64 *pSize);
	int (*xLock)(sqlite3_file *, int);
	int (*xUnlock)(sqlite3_file *, int);
	int (*xCheckReservedLock)(sqlite3_file *, int *pResOut);
	int (*xFileControl)(sqlite3_file *, int op, void *pArg);
	int (*xSectorSize)(sqlite3_file *);
	int (*xDeviceCharacteristics)(sqlite3_file *);
	int (*xShmMap)(sqlite3_file *, int iPg, int pgsz, int, void volatile **);
	int (*xShmLock)(sqlite3_file *, int offset, int n, int flags);
	void (*xShmBarrier)(sqlite3_file *);
	int (*xShmUnmap)(sqlite3_file *, int deleteFlag);
	int (*xFetch)(sqlite3_file *, sqlite3_int64 iOfst, int iAmt, void **pp);
	int (*xUnfetch)(sqlite3_file *, sqlite3_int64 iOfst, void *p);
};

struct sqlite3_vfs {
	int iVersion;
	int szOsFile;
	int mxPathname;
	sqlite3_vfs *pNext;
	const char *zName;
	void *pAppData;
	int (*xOpen)(sqlite3_vfs *, sqlite3_filename zName, sqlite3_file *, int flags, int *pOutFlags);
	int (*xDelete)(sqlite3_vfs *, const char *zName, int syncDir);
	int (*xAccess)(sqlite3_vfs *, const char *zName, int flags, int *pResOut);
	int (*xFullPathname)(sqlite3_vfs *, const char *zName, int nOut, char *zOut);
	void *(*xDlOpen)(sqlite3_vfs *, const char *zFilename);
	void (*xDlError)(sqlite3_vfs *, int nByte, char *zErrMsg);
	void (*(*xDlSym)(sqlite3_vfs *, void *, const char *zSymbol))(void);
	void (*xDlClose)(sqlite3_vfs *, void *);
	int (*xRandomness)(sqlite3_vfs *, int nByte, char *zOut);
	int (*xSleep)(sqlite3_vfs *, int microseconds);
	int (*xCurrentTime)(sqlite3_vfs *, double *);
	int (*xGetLastError)(sqlite3_vfs *, int, char *);
	int (*xCurrentTimeInt64)(sqlite3_vfs *, sqlite3_int64 *);
	int (*xSetSystemCall)(sqlite3_vfs *, const char *zName, sqlite3_syscall_ptr);
	sqlite3_syscall_ptr (*xGetSystemCall)(sqlite3_vfs *, const char *zName);
	const char *(*xNextSystemCall)(sqlite3_vfs *, const char *zName);
};

typedef struct sqlite3 sqlite3;

extern sqlite3_vfs *sqlite3_vfs_find(const char *zVfsName);
extern int sqlite3_open_v2(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs);
extern int sqlite3_close(sqlite3 *);
extern int sqlite3_exec(sqlite3 *, const char *sql, void *callback, void *arg, char **errmsg);
extern int sqlite3_busy_timeout(sqlite3 *, int ms);
extern int sqlite3_wal_checkpoint_v2(sqlite3 *, const char *zDb, int eMode, int *pnLog, int *pnCkpt);
extern int sqlite3_file_control(sqlite3 *, const char *zDbName, int op, void *);
extern int sqlite3_vfs_register(sqlite3_vfs *, int makeDflt);
extern sqlite3_file *sqlite3_database_file_object(const char *);

#define SQLITE_OK 0
#define SQLITE_NOMEM 7
#define SQLITE_IOERR_WRITE (10 | (3 << 8))
#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_OPEN_NOMUTEX 0x00008000
#define SQLITE_OPEN_WAL 0x00080000
#define SQLITE_SYNC_NORMAL 0x00002
#define SQLITE_CHECKPOINT_PASSIVE 0
#define SQLITE_CHECKPOINT_TRUNCATE 3
#define SQLITE_FCNTL_FILE_POINTER 7
#define SQLITE_FCNTL_JOURNAL_POINTER 28
#define SQLITE_FCNTL_CKPT_DONE 37
#define SQLITE_FCNTL_CKPT_START 39

// The VFS's name, walbufVFS in Go.
#define PAYD_WALBUF_VFS "payd-walbuf"

// payd_walbuf_register registers the "payd-walbuf" VFS (see walbuf.c) once;
// it returns SQLITE_OK or SQLite's error code.
int payd_walbuf_register(void);

// payd_walbuf_stats reports, for tests, how many writes the VFS has been
// asked for on WAL files and how many it passed down, and the same for the
// database files checkpoints copied into.
void payd_walbuf_stats(sqlite3_int64 *asked, sqlite3_int64 *written, sqlite3_int64 *ckptAsked, sqlite3_int64 *ckptWritten);

// The checkpoint worker (checkpoint.c): a thread of its own that runs
// checkpoints and syncs on a connection of its own, told what to do
// through a pipe and answering through another, so that the Go goroutine
// waiting for it holds no processor.
int payd_ckpt_start(const char *path, int reqFd, int respFd);

// The worker's requests: one byte each. The answer is two int64s: SQLite's
// result code and, for a checkpoint, the WAL's size in frames.
#define PAYD_CKPT_PASSIVE 'p'
#define PAYD_CKPT_TRUNCATE 't'
#define PAYD_CKPT_SYNC 's'
#define PAYD_CKPT_QUIT 'q'

#endif
