/* streams - one transfer over N connections at once (SPEC R-18): a probe (W-14)
 * learns the range, N parts are fetched at once into one output, each at its own
 * offset, and the output is committed only when every part arrived. Each part is
 * a fetch_one() on a thread of its own, waiting in the kernel, bounded (P-10):
 * on loopback a connection's receiving half runs on the sender's CPU, so
 * parallel connections are what use more than one core. Never prints. */
#ifndef ZCP_STREAMS_H
#define ZCP_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "fsio.h"
#include "resume.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

#define STREAMS_MAX 64                  /* --streams 1 ... 64 */
#define STREAMS_MIN_PART (1ull << 20)   /* no part is smaller than this (bar one short range) */
#define STREAMS_WATCH_MS 100
/* With --resume a part's progress is known after each step of at most this much: a
 * splice pipe's worth, so the bound costs no extra call on the splice path. */
#define STREAMS_RECORD_EVERY (1ull << 20)

struct streams_report {
	struct wire_response resp; /* the probe's answer: the whole range and its name */
	unsigned parts;            /* connections that carried payload (0 for an empty range) */
	uint64_t received;         /* payload bytes stored, all parts */
	double seconds;            /* from the first part's start to the last one's end */
	struct xfer_stats stats;   /* system calls of the probe and every part */
	int ack_err;               /* a part's ack OK could not be sent: its errno */
	bool changed;              /* the sender answered CHANGED */
	bool mismatch;             /* a part's hash was not the sender's */
	bool unanswered;           /* the probe was answered, a part not: its connection was
				    * refused, reset or closed before a response (S-14: a
				    * sender counting connections may have taken its last) */
	bool no_ranges;            /* HTTP: the server serves no ranges (SPEC G-10): nothing was
				    * opened, one stream must do */
	const char *tls;           /* over TLS: how the parts ran, "ktls" or "user" (SPEC T-6) */
	enum xfer_path path;       /* over TLS: the path that moved the parts' payload */
};

/* streams_parts() - how many parts a range of total bytes is cut into when n are
 * asked for: n, fewer when parts would be under STREAMS_MIN_PART, at least 1 when
 * there is a byte to move, 0 for an empty range. Pure. */
unsigned streams_parts(uint64_t total, unsigned n);

/* streams_part() - part i of k of the range [offset, offset + total): its offset and
 * length; the first total % k parts are one byte longer. Pure. */
void streams_part(uint64_t offset, uint64_t total, unsigned k, unsigned i, uint64_t *off, uint64_t *len);

/* streams_fetch() - the transfer cfg describes (not raw), from the sender at addr,
 * with rs (resume_find()'d, or NULL) into its partial file, continuing the parts an
 * earlier run recorded, their progress recorded as they go (SPEC R-20);
 * over at most n connections (1 ... STREAMS_MAX) into out (fsio_out_init'ed, a file,
 * a directory or discard). pg, when not NULL, is told the parts' sum every
 * STREAMS_WATCH_MS while they run (by this thread; each part's steps are bounded
 * by pg->every). Returns 0 when every byte is committed; -1 with *e set
 * (the first part's failure; the others are cut at once) and nothing under the
 * final name. peer gets the sender's address. */
int streams_fetch(const char *addr, unsigned n, const struct fetch_cfg *cfg, const struct step_progress *pg,
		  struct resume *rs, struct fsio_out *out, char *peer, size_t peerlen, struct streams_report *rep,
		  struct zerr *e);

#endif
