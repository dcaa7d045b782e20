/* serve - the sender's side of a connection (SPEC P-1..P-7, S-1..S-13) as a state
 * machine that never waits: each step does what the socket allows and says what it
 * waits for next. serve_one() runs one connection with poll(); the server module
 * runs many from one event loop. Never prints. */
#ifndef ZCP_SERVE_H
#define ZCP_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "fhash.h"
#include "net.h"
#include "step.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

struct serve_cfg {
	const char *file;      /* the served file, or NULL when serving a root */
	int rootfd;            /* with file NULL: the root directory (SPEC S-12) */
	enum xfer_path path;
	size_t chunk;
	bool raw;
	int timeout_ms;        /* no progress for this long ends it (SPEC P-10); -1 = never */
	int header_timeout_ms; /* the whole request within this (SPEC S-13); -1 = never */
	const struct step_progress *progress; /* serve_one() reports to it (SPEC C-10), or NULL */
	struct tls_ctx *tls;   /* each connection a TLS session of it (SPEC T), or NULL */
};

enum serve_state {
	SERVE_HANDSHAKE, SERVE_REQUEST, SERVE_IDENT, SERVE_RESPONSE, SERVE_PAYLOAD, SERVE_HASH, SERVE_TRAILER,
	SERVE_CLOSE, SERVE_ACK, SERVE_DONE
};

struct serve_conn {
	const struct serve_cfg *cfg;
	struct step_link link;           /* the request or ack comes in, the response goes out */
	char peer[NET_ADDR_MAX];
	enum serve_state state;
	int64_t started_ms;              /* for the header deadline */
	int64_t ack_since_ms;            /* the half-close: the whole ack is due a --timeout after */
	bool refusing;                   /* the response is a refusal: the end after sending it */
	bool watch_ack;                  /* SPEC S-11: an early ack may come while sending */
	bool hold;                       /* SPEC H-1: after the TLS handshake, wait (STEP_IN, in
					  * SERVE_REQUEST, nothing read) until cleared: the door
					  * looks at the first words before they are read */
	struct wire_request req;
	struct wire_ident asked;         /* the identity an IF_IDENT request names (SPEC W-16) */
	struct wire_ident ident;         /* the served file's (W-15) */
	const char *name;                /* what is served, for the log */
	int file_fd;
	uint64_t size, offset, length;
	bool job_live, hash_live;
	struct xfer_job job;
	struct fhash hash;               /* SPEC W-17: what was served, hashed after it */
	double payload_start, seconds;   /* mono_now() at the first payload byte; duration */
	int result;                      /* 0 = the receiver acked every byte (raw: all sent) */
	struct zerr err;                 /* why not, when result < 0 */
};

/* serve_init() - a connection on sock (non-blocking, connected to peer) starting to
 * be served now with cfg (which must outlive it): it waits for the request (raw
 * mode: it opens the file and sends); with cfg->tls, only after the TLS handshake
 * authenticated the peer (SPEC T-4). */
void serve_init(struct serve_conn *c, int sock, const char *peer, const struct serve_cfg *cfg);

/* serve_step() - move the connection forward as far as the socket allows, moving at
 * most about budget payload bytes. events are the poll bits seen (POLLIN is how an
 * early ack is noticed). Returns STEP_* bits (step.h); STEP_ENDED in state SERVE_DONE,
 * where the outcome is read before serve_end(). */
int serve_step(struct serve_conn *c, short events, uint64_t budget);

/* serve_deadline() - the mono_ms() instant at which the connection is given up, or
 * 0 for never: the request's total deadline (header timeout) or the idle one while
 * it comes, the idle one in the payload, and for the ack the --timeout counted from
 * the half-close, not from its last byte (SPEC P-13). */
int64_t serve_deadline(const struct serve_conn *c);

/* zcp-send's kind of connection (step.h): a serve_conn, started with a serve_cfg. */
extern const struct step_ops serve_ops;

/* serve_expire() - the deadline passed: the connection ends, timed out. */
void serve_expire(struct serve_conn *c);

/* serve_abandon() - end it now with reason (the server stopping): a failure. */
void serve_abandon(struct serve_conn *c, const char *reason);

/* serve_end() - release the file and the transfer; after a raw failure the socket is
 * set to close with a reset (SPEC P-9). Does not close the socket. */
void serve_end(struct serve_conn *c);

/* What one transfer amounted to, for the mains' reports and logs. */
struct serve_report {
	uint64_t offset, length; /* the range served */
	uint64_t sent;           /* payload bytes that went out */
	bool fell_back;          /* zero-copy was refused; the copy path moved the bytes */
	int fallback_err;
	double seconds;          /* payload time */
	bool probe;              /* the request was a probe (SPEC W-14): answered, no payload */
	const char *tls;         /* after a TLS handshake: "ktls" or "user" (SPEC T-6); else NULL */
	enum xfer_path path;     /* the path that moved the payload */
};

/* serve_report_of() - the report of a connection, before serve_end(). */
void serve_report_of(const struct serve_conn *c, struct serve_report *rep);

/* serve_one() - serve one connection to its end, waiting in poll() (SPEC P-10).
 * Returns 0 when the receiver acknowledged every byte (raw: every byte was sent),
 * or -1 with *e set. *rep is filled as far as the transfer got; stats, when not
 * NULL, gets the system calls made. Does not close sock; after a raw failure its
 * close() sends a reset (SPEC P-9). */
int serve_one(int sock, const char *peer, const struct serve_cfg *cfg, struct serve_report *rep,
	      struct xfer_stats *stats, struct zerr *e);

#endif
