// The checkpoint worker: see checkpoint.go.

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walbuf.h"

typedef struct {
	sqlite3 *db;
	int req, resp;
} Worker;

// syncFile syncs one of the connection's files (op: the file control that
// finds it) through its VFS, as SQLite's own syncs go.
static int syncFile(sqlite3 *db, int op) {
	sqlite3_file *f = 0;
	if (sqlite3_file_control(db, "main", op, &f) != SQLITE_OK || !f || !f->pMethods) {
		return SQLITE_OK; // not open: nothing to sync
	}
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

static void *run(void *arg) {
	Worker *w = arg;
	// A reply to a reader that is gone fails with EPIPE instead of
	// killing the process.
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, 0);
	for (;;) {
		unsigned char op;
		ssize_t n = read(w->req, &op, 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n != 1) {
			op = PAYD_CKPT_QUIT;
		}
		long long out[2] = {SQLITE_OK, 0};
		int frames = 0, copied = 0;
		switch (op) {
		case PAYD_CKPT_PASSIVE:
		case PAYD_CKPT_TRUNCATE:
			out[0] = sqlite3_wal_checkpoint_v2(w->db, "main",
				op == PAYD_CKPT_PASSIVE ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_TRUNCATE,
				&frames, &copied);
			out[1] = frames;
			break;
		case PAYD_CKPT_SYNC:
			out[0] = syncFile(w->db, SQLITE_FCNTL_FILE_POINTER);
			if (out[0] == SQLITE_OK) {
				out[0] = syncFile(w->db, SQLITE_FCNTL_JOURNAL_POINTER);
			}
			break;
		default:
			out[0] = sqlite3_close(w->db);
			break;
		}
		ssize_t wr;
		do {
			wr = write(w->resp, out, sizeof out);
		} while (wr < 0 && errno == EINTR);
		if (op != PAYD_CKPT_PASSIVE && op != PAYD_CKPT_TRUNCATE && op != PAYD_CKPT_SYNC) {
			close(w->req);
			close(w->resp);
			free(w);
			return 0;
		}
	}
}

int payd_ckpt_start(const char *path, int reqFd, int respFd) {
	Worker *w = calloc(1, sizeof *w);
	if (!w) {
		return SQLITE_NOMEM;
	}
	int rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, PAYD_WALBUF_VFS);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(w->db, 10000);
		// Reading opens the WAL: a connection that has read nothing
		// does not know the database is in WAL mode, and its
		// checkpoints do nothing.
		rc = sqlite3_exec(w->db, "SELECT count(*) FROM sqlite_schema", 0, 0, 0);
	}
	if (rc != SQLITE_OK) {
		sqlite3_close(w->db);
		free(w);
		return rc;
	}
	w->req = reqFd;
	w->resp = respFd;
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, run, w);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		sqlite3_close(w->db);
		free(w);
		return SQLITE_NOMEM;
	}
	return SQLITE_OK;
}
