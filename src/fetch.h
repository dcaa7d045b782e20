/* fetch - the receiver's side of a connection (SPEC P-1..P-8, R-1..R-17) as a state
 * machine that never waits: each step does what the socket allows and says what it
 * waits for next (step.h). fetch_one() runs one connection with poll(); the server
 * runs many from one event loop (zcp-recv --listen into a directory). Never prints. */
#ifndef ZCP_FETCH_H
#define ZCP_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fhash.h"
#include "fsio.h"
#include "net.h"
#include "step.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

/* How long a receiver that gave up keeps reading before it closes (SPEC R-14). */
#define FETCH_LINGER_MS 5000

/* What a resumable transfer (SPEC R-20) adds to a fetch: set as one, by the
 * one that owns the partial (recv, streams). */
struct fetch_resume {
	bool want_ident;         /* ask for the file's identity (W-15), kept in ident */
	const struct wire_ident *if_ident; /* serve only this file, else CHANGED (W-16); or NULL */
	uint64_t prefix;         /* bytes the output holds already: the hash covers
				  * [0, prefix + length) of it */
	/* told the sender's identity (W-15) before any byte is stored, and whether a
	 * partial of it could be resumed (over HTTP not when the server gives no
	 * validator, G-11); or NULL; -1 (with *e set) refuses the transfer, acked LOCAL_ERROR */
	int (*on_ident)(void *arg, const struct wire_ident *id, bool resumable, struct zerr *e);
	void *on_ident_arg;
};

struct fetch_cfg;
struct fetch_report;

/* An HTTP validator's room: an entity tag with its quotes, or an HTTP-date. */
#define FETCH_VALIDATOR_MAX 256
struct httpc_url;

/* One transfer over a connected socket, by one protocol (fetch_one() for ZCP/1,
 * hget_one() for HTTP): the contract of fetch_one() below. */
typedef int fetch_fn(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
		     struct fetch_report *rep, struct xfer_stats *stats, struct zerr *e);

struct fetch_cfg {
	fetch_fn *run;           /* the protocol (SPEC G): hget_one with url; NULL = fetch_one */
	const struct httpc_url *url; /* HTTP: what is fetched (SPEC G-1), or NULL */
	/* HTTP: told each redirect followed (SPEC G-8) before its connection, or NULL */
	void (*redirected)(void *arg, const char *peer, const struct httpc_url *to);
	void *redirected_arg;
	const uint8_t *sha256;   /* HTTP: the stored file's SHA-256 must be these 32 bytes
				  * (SPEC G-12), or NULL */
	const char *if_range;    /* HTTP: the probe's validator (G-10), or NULL: sent as If-Range,
				  * and as If-Match (an entity tag) or If-Unmodified-Since (a date) */
	bool if_range_weak;      /* HTTP: the probe's answer had a weak ETag too: if_range (a
				  * date) goes as If-Unmodified-Since only (RFC 9110 13.1.5) */
	const struct httpc_url *ask; /* HTTP: the URL a part asks instead of url, no redirect
				      * followed: the one the probe was answered from (G-10); or NULL */
	struct httpc_url *landed; /* HTTP: filled with the URL that answered (after redirects,
				   * G-8) when the exchange succeeds; or NULL */
	const uint8_t *repr_digest; /* HTTP part: the probe's Repr-Digest (FHASH_SHA256_SIZE
				     * bytes); an answer with another is CHANGED (G-10); or NULL */
	const char *repr_field;  /* HTTP part: the probe's Repr-Digest field as sent; an
				  * answer with another, when one of them has no sha-256 member
				  * to compare, is CHANGED (G-10); NULL when it had none or one
				  * too long to keep */
	bool repr_seen;          /* HTTP part: the probe's answer had a Repr-Digest field */
	enum xfer_path path;     /* XFER_COPY or XFER_SPLICE */
	size_t chunk;
	bool raw;
	uint64_t offset, length; /* the range asked for; length 0 = to the end */
	const char *name;        /* asked for by name (SPEC R-13), or NULL */
	uint64_t max_size;       /* refuse more payload than this (SPEC R-12); 0 = no limit */
	int timeout_ms;          /* no progress for this long ends it (SPEC P-10); -1 = never */
	int header_timeout_ms;   /* the response (and identity) whole within this of the start,
				  * the trailer within this of the payload's end (SPEC P-13);
				  * 0 (or -1) = never, so that a cfg that does not name it has none */
	struct xfer_pipes *pipes; /* splice pipes to share (SPEC R-17), or NULL */
	bool probe;              /* ask for the response only (SPEC W-14): out is not touched */
	bool part;               /* one part of --streams (SPEC R-18): out is opened, committed
				  * and dropped by the caller; the payload is written at
				  * (response offset - out_base) of it, and acked once stored */
	uint64_t out_base;       /* part: the offset in the source of the output's first byte */
	bool verify;             /* ask for the trailer and check it (SPEC R-19) */
	struct fetch_resume resume; /* all zero: not a resumable transfer */
	const struct step_progress *progress; /* fetch_one() reports to it (SPEC C-10), or NULL */
	struct tls_ctx *tls;     /* the connection a TLS session of it (SPEC T), or NULL */
};

enum fetch_state {
	FETCH_HANDSHAKE, FETCH_REQUEST, FETCH_RESPONSE, FETCH_IDENT, FETCH_PAYLOAD, FETCH_TRAILER, FETCH_HASH, FETCH_EOF,
	FETCH_ACK, FETCH_LINGER, FETCH_DONE
};

struct fetch_conn {
	const struct fetch_cfg *cfg;
	struct step_link link;         /* the request or ack goes out, the response comes in */
	char peer[NET_ADDR_MAX];
	enum fetch_state state;
	int64_t linger_until;
	int64_t frame_since;           /* the wait for the frame coming in began (SPEC P-13) */
	struct wire_request req;
	struct wire_response resp;     /* what the sender declared (zero in raw mode) */
	struct wire_ident ident;       /* the sender's file, when asked for (W-15) */
	struct wire_trailer trailer;   /* the hash of what it served (W-17) */
	struct fsio_out *out;
	bool job_live, committed, hash_live;
	struct xfer_job job;
	struct fhash hash;             /* what was stored, read back */
	enum wire_ack_status ack;      /* the ack being sent */
	double payload_start, seconds;
	int result;                    /* 0 = every declared byte committed (and acked) */
	struct zerr err;               /* why not, when result < 0 */
	int ack_err;                   /* the errno when the final ack OK could not be sent */
	bool mismatch;                 /* the stored bytes' hash was not the sender's */
	bool expired;                  /* a wait ran out (P-10): no drain after the ack */
};

/* fetch_init() - a transfer on sock (non-blocking, connected to peer) into out
 * (fsio_out_init'ed; it must outlive the connection, as cfg must), starting now;
 * with cfg->tls, nothing is sent or opened before the TLS handshake authenticated
 * the peer (SPEC T-4). */
void fetch_init(struct fetch_conn *c, int sock, const char *peer, const struct fetch_cfg *cfg,
		struct fsio_out *out);

/* fetch_step() - move the connection forward as far as the socket allows, moving at
 * most about budget payload bytes. Returns STEP_* bits; STEP_ENDED in state
 * FETCH_DONE, where the outcome is read before fetch_end(). */
int fetch_step(struct fetch_conn *c, short events, uint64_t budget);

/* fetch_deadline() - the mono_ms() instant at which the connection is given up, or 0:
 * the idle one (P-10), or sooner the header's or the trailer's total one (P-13), or
 * the end of lingering. */
int64_t fetch_deadline(const struct fetch_conn *c);

/* fetch_expire() - the deadline passed: the connection ends, timed out (a lingering
 * one keeps the error it already had). */
void fetch_expire(struct fetch_conn *c);

/* fetch_abandon() - end it now with reason (the server stopping): a failure. */
void fetch_abandon(struct fetch_conn *c, const char *reason);

/* fetch_end() - release the transfer; an output not committed is dropped (SPEC R-2).
 * Does not close the socket. */
void fetch_end(struct fetch_conn *c);

/* What the server starts each push into a directory with (SPEC R-16). */
struct fetch_push {
	const struct fetch_cfg *cfg;
	const struct fsio_out *out; /* the directory's (FSIO_DIR); each push gets a copy */
};

/* zcp-recv's kind of connection (step.h): step_drive() drives a fetch_conn its
 * caller started; the server's connections (size, init) are started from a struct
 * fetch_push, each a fetch_conn with its own copy of the output. */
extern const struct step_ops fetch_ops;

struct fetch_report {
	struct wire_response resp; /* what the sender declared (zeroed in raw mode) */
	uint64_t received;         /* payload bytes delivered to the output */
	double seconds;            /* payload time */
	int ack_err;               /* errno when the final ack OK could not be sent (SPEC R-15) */
	bool mismatch;             /* the stored bytes' hash was not the sender's */
	struct wire_ident ident;   /* the sender's file, when asked for (W-15) */
	const char *tls;           /* after a TLS handshake: "ktls" or "user" (SPEC T-6); else NULL */
	enum xfer_path path;       /* the path that moved the payload */
	bool chunked;              /* HTTP: the body came in chunks (SPEC G-6) */
	char moved_to[NET_ADDR_MAX]; /* HTTP: the server that answered after redirects (G-8),
				      * or "" */
	bool no_ranges;            /* HTTP: a probe was answered 200: one stream only (G-10) */
	char validator[FETCH_VALIDATOR_MAX]; /* HTTP: the strong ETag, else Last-Modified as an
					      * HTTP-date, or "" (G-10) */
	bool weak_etag;            /* HTTP: the answer had a weak ETag (no If-Range then, G-10) */
	bool has_repr_digest;      /* HTTP: the answer's Repr-Digest (RFC 9530), the whole
				    * file's SHA-256 (G-10, G-12) */
	uint8_t repr_digest[FHASH_SHA256_SIZE];
	char repr_field[FETCH_VALIDATOR_MAX]; /* HTTP: the Repr-Digest field as sent, or "" */
	bool repr_seen, repr_kept; /* HTTP: one came; repr_field is it (httpc's) */
};

/* fetch_report_of() - the report of a connection, before fetch_end(). */
void fetch_report_of(const struct fetch_conn *c, struct fetch_report *rep);

/* fetch_one() - one transfer to its end (SPEC P-10: sock is made blocking, each
 * call bounded by cfg->timeout_ms, net_block(); a wait for the output is a poll()): send the
 * request, check the response against it, move the payload into out, check the
 * sender's end of stream, commit and ack; raw mode: read to end of stream and
 * commit. Returns 0 when every declared byte is committed (rep->ack_err tells
 * whether the ack got out); else -1 with *e set, the output dropped and, when the
 * sender still listens, a non-OK ack sent and the connection drained for at most
 * FETCH_LINGER_MS (SPEC P-6, R-14). stats, when not NULL, gets the system calls
 * made. Does not close sock. */
fetch_fn fetch_one;

/* fetch_run() - the transfer by cfg's protocol: cfg->run, or fetch_one(). */
fetch_fn fetch_run;

#endif
