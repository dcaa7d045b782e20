/* fsio - the files at each end: the sender's input (SPEC S-1) and the receiver's
 * all-or-nothing output (SPEC R-1..R-5). Never prints. */
#ifndef ZCP_FSIO_H
#define ZCP_FSIO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "zerr.h"

/* fsio_open_input() - open path read-only; it must be a regular file.
 * Returns the fd and its size in *size, or -1 with *e set (exit 3). */
int fsio_open_input(const char *path, uint64_t *size, struct zerr *e);

enum fsio_mode { FSIO_FILE, FSIO_DIR, FSIO_STDOUT, FSIO_DISCARD };

struct fsio_out {
	enum fsio_mode mode;
	bool force, fsync;
	int fd;                    /* -1 until opened; 1 for stdout */
	char path[PATH_MAX];       /* -o as given (file or directory) */
	char final[PATH_MAX];      /* where the file ends up */
	char temp[PATH_MAX];       /* the temporary file while open, else "" */
};

/* fsio_out_init() - decide the mode for -o path (NULL = discard, "-" = stdout) and
 * refuse an existing file without force (SPEC R-3). Returns 0 or -1 with *e set. */
int fsio_out_init(struct fsio_out *o, const char *path, bool force, bool fsync, struct zerr *e);

/* fsio_out_open() - create the temporary file next to the final name; name is the
 * sender's file name, used in FSIO_DIR mode (SPEC R-4). No-op for stdout and discard.
 * Returns 0 or -1 with *e set (exit 3). */
int fsio_out_open(struct fsio_out *o, const char *name, struct zerr *e);

/* fsio_out_commit() - fsync if asked, rename the temporary file to the final name
 * without replacing an existing one unless force (SPEC ).
 * Returns 0 or -1 with *e set (exit 3); on failure the temporary file is removed. */
int fsio_out_commit(struct fsio_out *o, struct zerr *e);

/* fsio_out_abort() - close and remove the temporary file, if any (SPEC R-2). */
void fsio_out_abort(struct fsio_out *o);

/* fsio_accepts_splice() - whether splice(2) can write to fd: a pipe, a socket,
 * /dev/null or a regular file not opened with O_APPEND (SPEC R-5). */
bool fsio_accepts_splice(int fd);

#endif
