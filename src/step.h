/* step - what a connection's state machine (serve, fetch) asks of its driver
 * after a step, the table a kind of connection gives its drivers, and the driver
 * of one connection (the single-transfer programs): poll() until the step says it
 * ended or its deadline passes. Never prints. */
#ifndef ZCP_STEP_H
#define ZCP_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "frameio.h"
#include "tls.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

/* Bits of a step's result. */
#define STEP_IN 1    /* step again when the socket is readable */
#define STEP_OUT 2   /* ... when it is writable */
#define STEP_YIELD 4 /* the budget is spent: step again after the others had theirs */
#define STEP_ENDED 8 /* the connection ended: read its outcome */
#define STEP_REPORT 16 /* a transfer ended and the connection goes on (HTTP's kept-alive
			* one, SPEC H-7): read its report() now, then act on the other bits */

/* What a connection's state machine keeps of its socket: the frame coming in or
 * going out, when it last moved a byte (for the idle deadline) and what it called. */
struct step_link {
	int sock;
	struct tls_conn tls;  /* frames and payload go through it once its handshake is done
			       * (SPEC T); tls.ssl NULL: plaintext */
	const char *tls_name; /* a connector's peer name, or NULL: the context's (SPEC G-9) */
	uint8_t frame[WIRE_FRAME_MAX];
	size_t have, len;    /* bytes of the frame read or sent; the length to send */
	int64_t progress_ms;
	struct xfer_stats stats;
	int out_ask;          /* the ioctl that tells what the job's output holds (SPEC P-10):
			       * 0 not asked yet, -1 none (not a pipe, FIFO or socket) */
	int64_t out_held;     /* what the output held when the wait for it began, or -1 */
};

/* step_ctx() - a step's I/O context: it never waits (the driver does) and counts
 * into l->stats. */
struct xfer_ctx step_ctx(struct step_link *l);

/* step_moved() - note progress when n bytes moved. */
void step_moved(struct step_link *l, uint64_t n);

/* step_io() - what frames and payload go through: the TLS session, or NULL for
 * the socket itself. */
const struct xfer_io *step_io(const struct step_link *l);

/* step_handshake() - SPEC T-4: start (the first time) and go on with the TLS
 * handshake of l as ctx says, without waiting. Returns STEP_IN or STEP_OUT to wait,
 * 0 when the peer is authenticated, -1 with *e set (exit 8 when it is not, 4 when
 * the socket failed), naming peer. */
int step_handshake(struct step_link *l, struct tls_ctx *ctx, const char *peer, struct zerr *e);

/* step_job() - move job j of l forward by at most about budget bytes without
 * waiting (progress noted). Returns xfer_job_step()'s result; *want gets the STEP_*
 * bits to return for XFER_MORE (yield) and XFER_AGAIN (what j waits for), else 0. */
int step_job(struct step_link *l, struct xfer_job *j, uint64_t budget, int *want);

/* step_out_wait() - SPEC P-10: a wait for the output fd begins: what it holds for its
 * reader now is noted (step_job() does it for a job's output). */
void step_out_wait(struct step_link *l, int fd);

/* step_out_taken() - SPEC P-10: at the deadline of a wait for the output fd, whether
 * its reader took bytes since the wait began (step_out_wait()): a pipe frees room for
 * the writer only when a page is read whole, so a reader of one byte a second never
 * wakes it. Asks what the output holds now (FIONREAD on a pipe or FIFO, SIOCOUTQ on a
 * socket, whose queue shows only what the reader's side frees) against what it held
 * then; less is progress, noted (the deadline moves on, and so does the mark).
 * Returns true then; false when it holds as much, or cannot tell. */
bool step_out_taken(struct step_link *l, int fd);

/* step_drop_input() - drop what the peer sent and nobody will read, without
 * waiting, so that closing the socket sends an end of stream, not a reset that
 * could destroy a last answer before the peer reads it. */
void step_drop_input(struct step_link *l);

/* step_tls_words() - a failure of the TLS stream (EPROTO) that e words from errno
 * is reworded with what the session said (a cut without close_notify, a bad
 * record); the peer's alert makes it an authentication failure (exit 8). */
void step_tls_words(const struct step_link *l, struct zerr *e);

/* step_read() - read toward a frame of type t in l->frame without waiting
 * (frameio_read(), through TLS when l has it; progress noted); a failure is
 * explained into *e, naming peer (frameio_explain()). wire_err, when not NULL,
 * gets the WIRE_E_* code. */
enum frameio_result step_read(struct step_link *l, enum wire_frame t, void *out, const char *peer,
			      struct zerr *e, int *wire_err);

/* step_write() - send l->frame[have..len) with send flags (none through TLS),
 * without waiting. Returns
 * 1 when it is all out, 0 when the socket takes no more now, -1 with errno set. */
int step_write(struct step_link *l, int flags);

/* One ended transfer as a driver logs it (SPEC S-17), or a connection refused BUSY
 * (S-14). */
struct step_log {
	bool received;            /* pushed to us (the receiving side), else sent */
	const char *peer, *name;  /* name "" when the request never came */
	uint64_t offset, length, bytes;
	double seconds;
	enum xfer_path path;      /* the path that moved the bytes */
	int fallback_err;         /* zero-copy refused with this errno (SPEC S-5), or 0 */
	const char *tls;          /* "ktls" or "user" after a TLS handshake (SPEC T-6), or NULL */
	bool busy;                /* refused: --max-clients reached */
	bool probe;               /* a probe (SPEC W-14): answered, no payload */
	const char *proto;        /* "http" (SPEC H-9), or NULL for ZCP/1 */
	const char *method;       /* HTTP: the request's method, as sent */
	int status;               /* HTTP: the response's status */
	bool quiet;               /* nothing to log: a kept-alive connection that ended
				   * between transfers (SPEC H-8) */
	int result;               /* 0, or the exit class of the failure (SPEC E-1) */
	const struct zerr *err;   /* why, when result != 0 */
	const struct xfer_stats *stats;
};

/* One kind of connection (zcp-send's receivers, zcp-recv's pushing senders; a TLS
 * session is a phase inside each, SPEC T-4): how a driver makes, steps, times out,
 * ends and logs it. Adding a kind is adding one of these tables. step_drive() uses
 * step, deadline, expire, wait_fd and moved on a connection its caller started (for
 * fetch_ops a bare struct fetch_conn: size and init are the listener's); the listener
 * (listener.h) makes each connection itself with size and init, waits on its socket
 * only (so under it STEP_IN/OUT are about the socket), and uses all but wait_fd and
 * moved (NULL in a kind only the listener drives). Both drivers step a connection
 * once more after expire() (it may still have words to send, a fetch its ack, and
 * may set a later deadline for them); abandon() must leave it ended without another
 * step; a step that says STEP_YIELD is stepped again after the others had theirs.
 * Only the listener drives kinds that say STEP_REPORT (several transfers a
 * connection) or have wind_down. */
struct step_ops {
	size_t size; /* bytes of one connection's state */
	/* init() - start a connection on sock (non-blocking, connected to peer) in conn
	 * (size bytes, zeroed), with arg (which outlives it). Never fails: a connection
	 * that cannot start ends at its first step. */
	void (*init)(void *conn, int sock, const char *peer, const void *arg);
	int (*step)(void *conn, short events, uint64_t budget); /* returns STEP_* bits */
	int64_t (*deadline)(const void *conn);                  /* mono_ms(); 0 = none */
	void (*expire)(void *conn);                             /* the deadline passed */
	void (*abandon)(void *conn, const char *why); /* end it now, failed with why (a stop) */
	/* report() - fill *l for the connection that ended (its strings and stats stay
	 * valid until end()). Returns l->result. */
	int (*report)(const void *conn, struct step_log *l);
	void (*end)(void *conn); /* release what it holds; never closes the socket */
	/* busy() - SPEC S-14 H-10: what a connection refused at --max-clients is told, for
	 * the kind started with arg: up to len bytes put in buf; returns how many (0, or
	 * busy NULL: nothing, it is only closed). sock is the refused connection's, to
	 * peek at what it sent (never to read or write). */
	size_t (*busy)(const void *arg, int sock, uint8_t *buf, size_t len);
	/* wind_down() - SPEC H-8: no new transfer on this connection: one in flight
	 * finishes, an idle one ends at its next step, quiet (the driver steps it right
	 * after). NULL in a kind with one transfer a connection. */
	void (*wind_down)(void *conn);
	bool received; /* its transfers come to us: how a refused one is logged */
	int (*wait_fd)(const void *conn); /* what STEP_IN/OUT are about: the socket, or an
					   * output that would block (a pipe, a FIFO) */
	void (*moved)(const void *conn, uint64_t *moved, uint64_t *total); /* payload so far */
};

/* What a driver reports as a transfer goes (SPEC C-10): each step moves at most
 * `every` payload bytes (one more, shorter, sendfile or splice per `every` bytes),
 * and after each step tick() is told the payload moved and declared so far. */
struct step_progress {
	uint64_t every;
	void (*tick)(void *arg, uint64_t moved, uint64_t total);
	void *arg;
};

/* step_drive() - run conn to its end: each wait in poll() is for the descriptor
 * the step names, bounded by the connection's deadline, and counted in stats
 * (SPEC P-10, X-8); a step that yielded is stepped again at once. pg, when not
 * NULL, bounds each step and is told the progress after it. */
void step_drive(void *conn, const struct step_ops *ops, struct xfer_stats *stats,
		const struct step_progress *pg);

#endif
