/* fsio - the files at each end: the sender's input (SPEC S-1, S-9) and the
 * receiver's all-or-nothing output (SPEC R-1..R-5). Never prints. */
#ifndef ZCP_FSIO_H
#define ZCP_FSIO_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "wire.h"
#include "zerr.h"

/* fsio_open_input() - open path read-only without blocking (a FIFO never holds
 * the caller) and check that it can be served: a regular file, and not one that
 * reports size 0 while it has content (/proc, sysfs). Returns the fd, blocking,
 * with what the check's fstat said in *st: st_size is the size to serve, and a
 * request takes its identity and validators from *st too (SPEC S-1); -1 with *e
 * set when the file is missing or not regular (a receiver hears NOT_FOUND); -2
 * with *e set when it is there but cannot be served (SERVER_ERROR). Exit class 3,
 * or 1 when descriptors or memory ran out (EMFILE, ENFILE, ENOMEM: SERVER_ERROR,
 * SPEC C-11). */
int fsio_open_input(const char *path, struct stat *st, struct zerr *e);

/* fsio_open_beneath() - fsio_open_input() for name, a relative path (SPEC W-8),
 * resolved below the directory rootfd: "..", absolute names, symbolic links that
 * leave and magic links are refused (openat2 RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS),
 * and the kind of file is checked on an O_PATH descriptor, so a device or FIFO is
 * never opened for reading (SPEC S-12). Same results as fsio_open_input(). */
int fsio_open_beneath(int rootfd, const char *name, struct stat *st, struct zerr *e);

enum fsio_mode {
	FSIO_FILE,    /* a file: temporary file, then published under the final name */
	FSIO_DIR,     /* an existing directory: the file is named by the response */
	FSIO_STDOUT,  /* -o -: written as it arrives */
	FSIO_DEVICE,  /* an existing FIFO or character device: written as it arrives */
	FSIO_DISCARD, /* --discard */
};

enum fsio_flags {
	FSIO_FORCE = 1, /* an existing regular file may be replaced (SPEC R-3) */
	FSIO_FSYNC = 2, /* fsync the file and its directory before success (SPEC R-1) */
	FSIO_NAMED = 4, /* the user named the file (--name): in a directory, FORCE applies */
};

struct fsio_out {
	enum fsio_mode mode;
	unsigned flags;
	int fd;                  /* -1 until opened; 1 for stdout */
	bool anonymous;          /* O_TMPFILE: the data has no name until the commit */
	bool stdout_closed;      /* -o - while fd 1 was closed at start (SPEC C-9) */
	bool nowait;             /* -o - into a pipe, FIFO or socket: its description is
				  * blocking and shared, so each write asks not to wait
				  * (pwritev2 RWF_NOWAIT) and the wait is bounded (SPEC P-10) */
	char path[PATH_MAX];     /* -o as given (file or directory) */
	char final[PATH_MAX];    /* where the file ends up */
	/* The named temporary file while one exists, else "". A signal handler may
	 * unlink it at any time (fsio_cleanup_all): it is complete whenever temp_armed
	 * is set. An output is not copied while it is armed. */
	char temp[PATH_MAX];
	volatile sig_atomic_t temp_armed;
	struct fsio_out *armed_prev, *armed_next;
	/* SPEC R-20: the output is this partial file (kept on failure), from byte keep */
	char partial[PATH_MAX];
	uint64_t keep;
	bool disposable;         /* the partial is one no run could resume (G-11): armed as
				  * a temporary file is */
};

/* fsio_base_name() - the last component of path (what follows its last '/'), or
 * path itself: the name a file is served, logged and stored under (SPEC P-3, S-17,
 * Pure. */
const char *fsio_base_name(const char *path);

/* fsio_out_init() - decide the mode for -o path (NULL = discard, "-" = stdout);
 * refuse an existing file without FSIO_FORCE (SPEC R-3) and any other kind of
 * existing object than a regular file, directory, FIFO or character device;
 * open a FIFO or device now, so a missing reader is known before connecting;
 * set o->nowait for a stdout that needs it (a pipe, FIFO or socket; cleared by the
 * caller once the kernel refused RWF_NOWAIT, see xfer_move()).
 * Returns 0 or -1 with *e set (exit 3). */
int fsio_out_init(struct fsio_out *o, const char *path, unsigned flags, struct zerr *e);

/* The prefix of zcp-recv's own names (temporary files, R-20's partials and records):
 * never a name from a peer in FSIO_DIR mode (SPEC R-4). */
#define FSIO_OWN_PREFIX ".zcp-"

/* fsio_out_name() - the file a failure of o names: the one written, which is the
 * kept partial of a resume (SPEC R-20), else the final name (a temporary file has
 * none worth showing), "<stdout>" or the device. */
const char *fsio_out_name(const struct fsio_out *o);

/* fsio_out_stalled() - SPEC P-10: *e for output o that took no byte for timeout_ms
 * while call waited to write to it (exit 3). Returns -1. */
int fsio_out_stalled(const struct fsio_out *o, const char *call, int timeout_ms, struct zerr *e);

/* fsio_out_open() - create the temporary file in the final name's directory; name
 * is the file's name from the response, used in FSIO_DIR mode (SPEC R-4), where an
 * existing file is refused unless FSIO_FORCE and FSIO_NAMED, and a name starting
 * with FSIO_OWN_PREFIX always. No-op for the modes
 * without a file. Returns 0 or -1 with *e set (exit 3). */
int fsio_out_open(struct fsio_out *o, const char *name, struct zerr *e);

/* fsio_out_use_partial() - SPEC R-20, FSIO_FILE only: fsio_out_open() will open
 * path (created if missing) instead of a temporary file, cut it to keep bytes and
 * write after them; fsio_out_abort() closes it and leaves it there; the commit
 * renames it to the final name with the same rules. */
void fsio_out_use_partial(struct fsio_out *o, const char *path, uint64_t keep);

/* fsio_out_partial_disposable() - SPEC G-11 R-20: before fsio_out_open(), the
 * partial is one no run could resume (it has no record): from its open it is
 * removed by a signal (fsio_cleanup_all) and by fsio_out_abort(), as a temporary
 * file is; the commit renames it as before. */
void fsio_out_partial_disposable(struct fsio_out *o);

/* fsio_out_room() - SPEC R-22: whether the output's file system has room for a file
 * of size bytes (statvfs: f_bavail * f_frsize), counting what its partial file, if
 * any, already holds. Nothing for outputs that are not files. Returns 0, or -1
 * with *e set (exit 3, ENOSPC named) before a byte is allocated. */
int fsio_out_room(const struct fsio_out *o, uint64_t size, struct zerr *e);

/* fsio_out_commit() - fsync if asked, publish the file under its final name
 * without replacing an existing one unless FSIO_FORCE, and never replacing
 * anything but a regular file (SPEC ). Returns 0 or -1 with *e set
 * (exit 3); on failure nothing is published and the temporary file is gone. */
int fsio_out_commit(struct fsio_out *o, struct zerr *e);

/* fsio_out_abort() - close and remove the temporary file, if any (SPEC R-2). */
void fsio_out_abort(struct fsio_out *o);

/* fsio_cleanup_all() - remove every named temporary file there is now (SPEC R-2).
 * Async-signal-safe: for the handlers of terminating signals. */
void fsio_cleanup_all(void);

/* fsio_fsync_dir_of() - fsync the directory that holds path. Returns 0 or -1 with errno. */
int fsio_fsync_dir_of(const char *path);

/* fsio_settled() - whether the file open on fd still has identity id and its data
 * and inode last changed over a second ago: only then may what was just read of it
 * be remembered under id (SPEC W-17). A write within the timestamps' granularity
 * leaves id as it was (git's "racy clean" files). False on any error. */
bool fsio_settled(int fd, const struct wire_ident *id);

/* fsio_accepts_splice() - whether splice(2) can write to fd without waiting for
 * ever: a pipe, a non-blocking socket, /dev/null or a regular file not opened with
 * O_APPEND (SPEC R-5, P-10). */
bool fsio_accepts_splice(int fd);

#endif
