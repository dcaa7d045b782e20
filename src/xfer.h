/* xfer - moving bytes between fds: the one loop helper (SPEC X-6) and the
 * copy, sendfile and splice transfer paths (SPEC X-1..X-5) built on it.
 * Works on any fds; never prints; errors come back in struct xfer_result. */
#ifndef ZCP_XFER_H
#define ZCP_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "zerr.h"

/* The system calls zcp counts about itself (SPEC X-8), named as strace names them. */
enum xfer_sys { XS_READ, XS_PREAD, XS_WRITE, XS_SENDTO, XS_RECVFROM, XS_SENDFILE, XS_SPLICE,
		XS_POLL, XS_COUNT };

struct xfer_stats {
	uint64_t calls[XS_COUNT];
};

/* Per-transfer settings shared by every call. */
struct xfer_ctx {
	int timeout_ms;        /* each poll() wait; -1 = forever (SPEC P-10) */
	size_t call_cap;       /* if > 0, no single call asks for more bytes: a test seam
				* that forces short counts deterministically */
	struct xfer_stats *stats; /* may be NULL */
};

/* One single-syscall step. Memory sides use buf, which advances as bytes move;
 * file sides use *off when off is not NULL (explicit offsets, SPEC S-4). */
struct xfer_op {
	enum xfer_sys sys;
	int in, out;           /* fds; -1 where the side is memory */
	off_t *in_off;         /* pread / sendfile / splice source offset, or NULL */
	uint8_t *buf;          /* read/recv destination or write/send source */
	int flags;             /* extra send() flags (MSG_MORE) or splice flags */
	bool wait_in;          /* on EAGAIN, wait for in to be readable (else out writable) */
};

/* xfer_op_mem() - an op between fd and memory at buf: XS_READ, XS_RECVFROM
 * (fd is the source) or XS_WRITE, XS_SENDTO (fd is the destination). */
struct xfer_op xfer_op_mem(enum xfer_sys sys, int fd, void *buf, int flags);

/* xfer_move() outcomes besides 0 = done. */
#define XFER_EOF 1

/* xfer_move() - call op until want bytes moved (all) or at least one byte (!all).
 * Returns 0 with *moved = bytes moved; XFER_EOF when a call returned 0 first;
 * -1 with errno set (ETIMEDOUT when a wait expired). *moved is always valid.
 * Short counts continue, EINTR is retried, EAGAIN waits in poll() for the fd
 * the call was blocked on. This is the only "move all bytes" loop in zcp. */
int xfer_move(struct xfer_op *op, uint64_t want, bool all, const struct xfer_ctx *ctx,
	      uint64_t *moved);

/* An endpoint of a transfer. */
enum xfer_kind {
	XFER_FILE,    /* regular file read at an explicit offset (source only) */
	XFER_SOCKET,  /* connected, non-blocking socket: recv()/send() */
	XFER_STREAM,  /* anything else written with write() (output file, stdout, /dev/null) */
	XFER_DISCARD, /* no fd: bytes are dropped (copy path only) */
};

struct xfer_end {
	enum xfer_kind kind;
	int fd;
	off_t off; /* XFER_FILE: next offset; advances as bytes move */
};

enum xfer_path { XFER_COPY, XFER_SENDFILE, XFER_SPLICE };

#define XFER_TO_EOF UINT64_MAX

enum xfer_status { XFER_DONE, XFER_FAILED, XFER_SHORT };

struct xfer_result {
	enum xfer_status status;
	uint64_t moved;      /* bytes delivered to the destination */
	enum xfer_sys call;  /* the call that failed or hit end of stream; XS_COUNT when
			      * setting up (buffer, pipe, /dev/null) failed */
	bool at_src;         /* the failing call was reading the source */
	int err;             /* errno for XFER_FAILED */
	bool fell_back;      /* zero-copy refused at the start; copy path used (SPEC S-5) */
	int fallback_err;    /* the errno that caused the fallback */
};

/* xfer_run() - move len bytes from src to dst over path, or until src ends
 * when len is XFER_TO_EOF. chunk is the copy path's buffer size.
 * Returns 0 when every byte moved, -1 otherwise; *res says what happened:
 * XFER_SHORT when the source ended early (a truncated file, a closed peer).
 * A sendfile or first file->pipe splice refused with EINVAL/ENOSYS before any
 * byte moved falls back to the copy path (res->fell_back). */
int xfer_run(struct xfer_end *src, struct xfer_end *dst, uint64_t len, enum xfer_path path,
	     size_t chunk, const struct xfer_ctx *ctx, struct xfer_result *res);

/* xfer_sys_name() - "read", "pread64", "sendfile", ... as strace prints them. */
const char *xfer_sys_name(enum xfer_sys s);

/* xfer_pipe_open() - a pipe for the splice path, enlarged to 1 MiB if allowed
 * (SPEC X-7). Returns 0 and the pipe's capacity in *cap, or -1 with errno. */
int xfer_pipe_open(int fds[2], size_t *cap);

/* xfer_explain() - turn a failed (XFER_FAILED) result into *e: the failing call,
 * the name of the end it failed on (src_name or dst_name; a sendfile error names
 * the file) and the exit class: socket errors are network errors (4), anything
 * else a file error (3), setup failures system errors (1). Returns -1.
 * XFER_SHORT is the caller's to word, since only it knows which promise broke. */
int xfer_explain(const struct xfer_result *r, const struct xfer_end *src, const char *src_name,
		 const struct xfer_end *dst, const char *dst_name, struct zerr *e);
#endif
