/* recv - one output of zcp-recv: fetched over one connection or --streams of them
 * (SPEC R-18), resumable or not: which way to go, the partial found
 * and judged, its lock, its record, parts continued, and the partial kept or
 * dropped after a failure. Never prints: what a user must be told comes back as
 * notes (struct recv_note) for the caller to say. One exception to "the caller
 * decides": with --resume --fsync, a SIGINT, SIGTERM, SIGHUP or SIGPWR ends the
 * process from a thread of recv's (the partial flushed and recorded first, R-20);
 * those signals stay blocked in the calling thread meanwhile. */
#ifndef ZCP_RECV_H
#define ZCP_RECV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "fsio.h"
#include "net.h"
#include "step.h"
#include "xfer.h"
#include "zerr.h"

enum recv_note_kind {
	RECV_NOTE_NONE,
	RECV_NOT_CONTINUED, /* the partial found is not continued (why): starting over */
	RECV_REMOVED,       /* after a failure: the partial removed (why), nothing stale kept */
	RECV_KEPT,          /* after a failure: the partial kept for another --resume */
	RECV_UNSYNCED,      /* after a failure with --fsync: the partial could not be flushed (err) */
};

struct recv_note {
	enum recv_note_kind kind;
	char partial[PATH_MAX]; /* the partial file */
	const char *why;        /* static text, for NOT_CONTINUED and REMOVED */
	struct zerr err;        /* UNSYNCED */
};

struct recv_cfg {
	const struct fetch_cfg *fetch; /* the request: path, range, name, verify, timeout; its
					* resume part is recv's own */
	const char *addr;              /* the sender's HOST:PORT */
	unsigned streams;              /* connections at once, 1 ... STREAMS_MAX */
	bool resume, restart;          /* SPEC R-20: keep a partial; drop an old one first */
	bool fsync;                    /* SPEC R-20: every record synced, and the partial
					* flushed after a failure or on SIGINT and SIGTERM */
	/* one connection: the one push a sender makes (-1 with *e set), or NULL to connect
	 * to addr */
	int (*accept)(void *arg, char *peer, size_t peerlen, struct zerr *e);
	/* SPEC C-10: a progress hook for a transfer with base bytes already there (or NULL
	 * for none); end_progress() is called after one that was given */
	const struct step_progress *(*begin_progress)(void *arg, uint64_t base);
	void (*end_progress)(void *arg);
	void (*note)(void *arg, const struct recv_note *n); /* a note as it happens, or NULL */
	void *arg;
};

struct recv_result {
	char peer[NET_ADDR_MAX];
	uint64_t bytes;           /* payload bytes stored by this run */
	double seconds;
	struct xfer_stats stats;  /* the system calls of every connection */
	unsigned streams;         /* connections that carried payload */
	enum xfer_path path;      /* the path that moved the payload */
	const char *tls;          /* "ktls" or "user" over TLS (SPEC T-6), else NULL */
	bool chunked;             /* HTTP: the body came in chunks (SPEC G-6) */
	int ack_err;              /* the ack OK could not be sent: its errno */
	bool unanswered;          /* --streams: the probe was answered, a part not (S-14) */
	struct recv_note partial; /* after a failure: what became of the partial, said after
				   * the error (RECV_NOTE_NONE: nothing to say) */
};

/* recv_run() - the transfer cfg describes into out (fsio_out_init'ed: with resume a
 * file). With resume, first the output's partial (resume_find(): its lock, held until
 * this returns) and a note when one is there but not continued; then a partial in
 * parts goes on in parts (unless fetch->verify: then it starts over), others over
 * cfg->streams connections. Returns 0 when every byte is committed (the partial and
 * its record gone), else -1 with *e set and res->partial saying what was kept. */
int recv_run(const struct recv_cfg *cfg, struct fsio_out *out, struct recv_result *res, struct zerr *e);

/* recv_cleanup() - what a signal's handler does before the process ends: no named
 * temporary file left, no lock held. Async-signal-safe. */
void recv_cleanup(void);

#endif
