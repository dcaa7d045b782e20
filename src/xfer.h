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
		XS_PWRITE, XS_POLL, XS_TLS_READ, XS_TLS_WRITE, XS_PWRITEV2, XS_COUNT };

struct xfer_stats {
	uint64_t calls[XS_COUNT];
};

/* Per-transfer settings shared by every call. */
struct xfer_ctx {
	int timeout_ms;        /* each poll() wait; -1 = forever (SPEC P-10) */
	int64_t deadline_ms;   /* if > 0, no wait goes past this mono_ms() instant */
	size_t call_cap;       /* if > 0, no single call asks for more bytes (forced short
				* counts in tests; a length the kernel takes for MSG_TRUNC) */
	bool nowait;           /* EAGAIN returns XFER_AGAIN instead of waiting (event loops) */
	bool stop_on_readable; /* a wait for a writable fd ends when that fd is readable:
				* the peer spoke while it was sent to (SPEC S-11) */
	struct xfer_stats *stats; /* may be NULL */
};

/* A byte stream over a socket that is not the socket's own: a TLS session (tls.h).
 * read() and write() move at most len bytes as recv() and send() do (0 from read:
 * the end of the stream); -1 with errno set, EAGAIN when the socket must first
 * become writable (*wait_out true) or readable (false). Counted as XS_TLS_READ and
 * XS_TLS_WRITE ("SSL_read", "SSL_write"): library calls, not system calls.
 * pending() (NULL: never any) says whether the stream holds bytes it took from the
 * socket for read() (non-zero: at least that many): they come before the socket's own. */
struct xfer_io {
	ssize_t (*read)(void *arg, void *buf, size_t len, bool *wait_out);
	ssize_t (*write)(void *arg, const void *buf, size_t len, bool *wait_out);
	size_t (*pending)(void *arg);
	void *arg;
};

/* One single-syscall step. Memory sides use buf, which advances as bytes move;
 * file sides use *off when off is not NULL (explicit offsets, SPEC S-4). */
struct xfer_op {
	enum xfer_sys sys;
	int in, out;           /* fds; -1 where the side is memory */
	off_t *in_off;         /* pread / sendfile / splice source offset, or NULL */
	off_t *out_off;        /* pwrite / splice destination offset, or NULL */
	uint8_t *buf;          /* read/recv destination or write/send source */
	int flags;             /* extra send()/recv() flags (MSG_MORE, MSG_TRUNC), splice flags, or
				* XS_PWRITEV2's (RWF_NOWAIT) */
	bool wait_in;          /* on EAGAIN, wait for in to be readable (else out writable) */
	const struct xfer_io *io; /* XS_TLS_READ / XS_TLS_WRITE: the stream; in and out are its socket */
};

/* xfer_op_mem() - an op between fd and memory at buf: XS_READ, XS_RECVFROM
 * (fd is the source) or XS_WRITE, XS_SENDTO, XS_PWRITEV2 (fd is the destination;
 * XS_PWRITEV2 writes at the fd's position, pwritev2() offset -1). */
struct xfer_op xfer_op_mem(enum xfer_sys sys, int fd, void *buf, int flags);

/* xfer_op_sock() - an op receiving from (in) or sending to socket sock at buf:
 * recv()/send() with flags, or, when io is not NULL, io's read or write (flags
 * unused). */
struct xfer_op xfer_op_sock(bool in, int sock, const struct xfer_io *io, void *buf, int flags);

/* Outcomes of xfer_move() and xfer_job_step() besides 0 = done and -1 = error. */
#define XFER_EOF 1      /* a call returned 0 first */
#define XFER_AGAIN 2    /* ctx->nowait and an fd would block (see xfer_job.wait_*) */
#define XFER_READABLE 3 /* ctx->stop_on_readable and the fd written to became readable */
#define XFER_MORE 4     /* xfer_job_step(): the budget is spent and bytes remain */

/* xfer_move() - call op until want bytes moved (all) or at least one byte (!all).
 * Returns 0 with *moved = bytes moved; XFER_EOF when a call returned 0 first;
 * XFER_AGAIN or XFER_READABLE as ctx asks; -1 with errno set (ETIMEDOUT when a
 * wait expired). *moved is always valid. Short counts continue, EINTR is retried,
 * EAGAIN waits in poll() for the fd the call was blocked on. An XS_PWRITEV2
 * refused with EOPNOTSUPP before this move wrote a byte (a kernel that does not
 * take RWF_NOWAIT for that file) goes on as XS_WRITE: op->sys says so to the
 * caller, whose next ops are XS_WRITE too (SPEC P-10). This is the only "move all bytes" loop in zcp. */
int xfer_move(struct xfer_op *op, uint64_t want, bool all, const struct xfer_ctx *ctx,
	      uint64_t *moved);

/* An endpoint of a transfer. */
enum xfer_kind {
	XFER_FILE,    /* regular file at an explicit offset: read (source) or written (a part
		       * of --streams, SPEC R-18) */
	XFER_SOCKET,  /* connected, non-blocking socket: recv()/send() */
	XFER_STREAM,  /* anything else written with write() (output file, stdout, /dev/null) */
	XFER_DISCARD, /* no fd: bytes are dropped */
};

struct xfer_end {
	enum xfer_kind kind;
	int fd;
	const struct xfer_io *io; /* XFER_SOCKET: the stream over it, or NULL */
	bool records; /* a source with io whose socket the kernel decrypts (kTLS receive,
		       * SPEC T-6): spliced; a record that is not data, and the socket's
		       * end, are read through io */
	bool nowait; /* XFER_STREAM: a blocking description others share (stdout): each call
		      * asks not to wait (pwritev2 RWF_NOWAIT, SPLICE_F_NONBLOCK), SPEC P-10;
		      * the job clears it when the kernel refuses RWF_NOWAIT (xfer_move) */
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

/* Empty splice pipes kept for reuse, so that many connections need few pipes
 * (SPEC ). The first XFER_POOL_BIG pipes a pool makes ask for 1 MiB, the
 * others for XFER_POOL_SMALL bytes, so that a few hundred of them stay within the
 * kernel's per-user pipe budget (pipe-user-pages-soft, 64 MiB by default). */
#define XFER_POOL_BIG 32
#define XFER_POOL_SMALL (64 << 10)

struct xfer_pipes {
	struct xfer_pipe { int fd[2]; size_t cap; } *free;
	size_t nfree, room;
	unsigned made; /* pipes this pool opened and did not close */
};

/* xfer_pipes_free() - close the pipes the pool keeps. */
void xfer_pipes_free(struct xfer_pipes *pp);

/* A transfer that can be moved forward a step at a time (an event loop's unit of
 * work) or run to the end (xfer_run). Fields are read-only outside xfer.c, except
 * that res.moved and src.off tell progress. */
struct xfer_job {
	struct xfer_end src, dst;
	enum xfer_path path;  /* the path in use: copy after a fallback */
	uint64_t len;         /* bytes to move, or XFER_TO_EOF */
	size_t chunk;         /* copy path buffer size */
	uint8_t *buf;         /* copy path buffer */
	int pipe[2];          /* splice path pipe, -1 when none */
	size_t pipe_cap;
	int devnull;          /* splice path into XFER_DISCARD */
	struct xfer_pipes *pool; /* where the pipe comes from and goes back to, or NULL */
	size_t held, held_off; /* bytes read into buf or the pipe, not yet delivered */
	bool in_buf;          /* the held bytes are in buf (else in the pipe) */
	bool via_io;          /* src.records: the next fill reads through src.io (SPEC T-6) */
	int wait_fd;          /* after XFER_AGAIN: the fd to wait for ... */
	bool wait_in;         /* ... to be readable (else writable) */
	enum xfer_sys wait_sys; /* ... and the call that would have blocked (XS_COUNT before
				 * any): on a src with records, SSL_read or the output's
				 * write, not always splice (SPEC T-6) */
	struct xfer_result res;
};

/* xfer_job_init() - a job moving len bytes (or to end of stream, XFER_TO_EOF) from
 * src to dst over path; chunk is the copy path's buffer size (and, for a src with
 * records, the buffer its stream is read into); the splice path takes its pipe from
 * pool (NULL: a pipe of its own); with an end that is a stream (io), the path is
 * copy (j->path says so), except the splice path from a src with records. Returns
 * 0, or -1 with j->res telling the setup failure (res.call XS_COUNT); free it
 * either way. */
int xfer_job_init(struct xfer_job *j, const struct xfer_end *src, const struct xfer_end *dst,
		  uint64_t len, enum xfer_path path, size_t chunk, struct xfer_pipes *pool);

/* xfer_job_step() - move the job forward by at most about budget bytes. Returns 0
 * when every byte moved (or the source ended, with XFER_TO_EOF); XFER_MORE when the
 * budget is spent; XFER_AGAIN / XFER_READABLE as ctx asks; -1 when it failed, with
 * j->res saying why: XFER_SHORT when the source ended early (a truncated file, a
 * closed peer). A sendfile or first file->pipe splice refused with EINVAL/ENOSYS
 * before any byte moved continues on the copy path (res.fell_back, SPEC S-5).
 * From a src with records (SPEC T-6), the bytes its stream holds (io->pending) are
 * read through it first; a splice that says EINVAL (a record that is not data) or 0
 * (the socket's end) is followed by one read of the stream: its bytes are
 * delivered, its 0 is the source's end, its EAGAIN a wait; then splicing goes on. */
int xfer_job_step(struct xfer_job *j, uint64_t budget, const struct xfer_ctx *ctx);

/* xfer_job_free() - release the job's buffer, pipe and /dev/null; a pooled pipe goes
 * back to its pool when it is empty, else it is closed. */
void xfer_job_free(struct xfer_job *j);

/* xfer_job_out_wait() - after XFER_AGAIN: the call ("write", "pwritev2", "splice")
 * that waited for the job's XFER_STREAM destination to take bytes (wait_sys), or
 * NULL when the job waits for something else (its source, a socket). */
const char *xfer_job_out_wait(const struct xfer_job *j);

/* xfer_run() - a job run to the end: move len bytes from src to dst over path, or
 * until src ends when len is XFER_TO_EOF; src->off advances. Returns 0 when every
 * byte moved, -1 otherwise with *res saying what happened (see xfer_job_step), or
 * XFER_AGAIN / XFER_READABLE when ctx asks for those. */
int xfer_run(struct xfer_end *src, struct xfer_end *dst, uint64_t len, enum xfer_path path,
	     size_t chunk, const struct xfer_ctx *ctx, struct xfer_result *res);

/* xfer_path_name() - "copy", "sendfile" or "splice". */
const char *xfer_path_name(enum xfer_path p);

/* xfer_sys_name() - "read", "pread64", "sendfile", ... as strace prints them. */
const char *xfer_sys_name(enum xfer_sys s);

/* xfer_pipe_open() - a pipe for the splice path, enlarged to want bytes (1 MiB for
 * a job's own) if allowed (SPEC X-7). Returns 0 and the pipe's capacity in *cap, or
 * -1 with errno. */
int xfer_pipe_open(int fds[2], size_t want, size_t *cap);

/* xfer_explain() - turn a failed (XFER_FAILED) result into *e: the failing call,
 * the name of the end it failed on (src_name or dst_name; sendfile, which has both,
 * names the peer for network errors and the file for the others, SPEC E-2) and the
 * exit class: socket errors are network errors (4), anything else a file error (3),
 * setup failures system errors (1). Returns -1.
 * XFER_SHORT is the caller's to word, since only it knows which promise broke. */
int xfer_explain(const struct xfer_result *r, const struct xfer_end *src, const char *src_name,
		 const struct xfer_end *dst, const char *dst_name, struct zerr *e);
#endif
