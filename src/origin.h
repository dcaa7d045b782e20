/* origin - zcp-send as an HTTP/1.1 origin (SPEC H-2..H-9, H-11, H-12): one
 * connection's requests answered one after another by a state machine that never
 * waits, like serve: a request head read and judged, the file opened under the
 * rules of ZCP/1 (S-12), the response head, the body through the same transfer job
 * as ZCP/1's payload, then the next head (pipelined ones are already buffered).
 * Each answered request is one transfer in the log. Never prints. */
#ifndef ZCP_ORIGIN_H
#define ZCP_ORIGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "net.h"
#include "serve.h"
#include "step.h"
#include "tls.h"
#include "xfer.h"
#include "zerr.h"

#define ORIGIN_REQUESTS_MAX 1000 /* SPEC H-7: requests a connection; the last says Connection: close */
#define ORIGIN_LINGER_MS 5000    /* SPEC H-6: after a last response, reading at most this long */

enum origin_state {
	ORIGIN_HEAD,     /* reading (or parsing what is buffered of) a request head */
	ORIGIN_RESPONSE, /* sending the response head */
	ORIGIN_BODY,     /* sending the body */
	ORIGIN_CLOSE,    /* the last response is out: the end said */
	ORIGIN_LINGER,   /* what the client still sends dropped until it closes (SPEC H-6) */
	ORIGIN_DONE
};

struct origin_conn {
	const struct serve_cfg *cfg;
	struct step_link link;       /* link.frame holds the response head being sent */
	char peer[NET_ADDR_MAX];
	enum origin_state state;
	char in[HTTP_HEAD_MAX];      /* what came of the next heads, not yet parsed */
	size_t in_len;
	size_t scanned;              /* bytes of in seen to hold no empty line (no head's end) */
	int64_t head_since_ms;       /* SPEC H-8: the head is due a header timeout after this
				      * (origin_init: now; a caller that took the connection
				      * over may set its start) */
	unsigned requests;           /* heads taken on this connection (SPEC H-7's cap) */
	bool winding;                /* no new response (a stop, or --count reached) */
	bool close_after;            /* the connection ends after this response */
	bool reported;               /* the request below was reported (STEP_REPORT): its
				      * fields are cleared for the next at the next step */
	bool quiet;                  /* ended between requests: nothing to log */
	int64_t linger_until_ms;     /* ORIGIN_LINGER ends then at the latest */
	/* The request being answered, and its transfer as the log says it. */
	struct http_request req;
	int status;                  /* the response's; 0 until one is decided */
	const char *name;            /* what is asked for, for the log */
	int file_fd;
	uint64_t offset, length;     /* the body's range of the file */
	bool job_live;
	struct xfer_job job;
	uint64_t bytes;              /* body bytes that went out */
	enum xfer_path path;         /* the path that moved them */
	int fallback_err;            /* zero-copy refused with this errno (SPEC S-5), or 0 */
	double body_start, seconds;  /* mono_now() at the body's start; its duration */
	int result;                  /* 0, or -1 with err: the request failed */
	struct zerr err;
};

/* origin_init() - a connection on sock (non-blocking, connected to peer) answered
 * from now on with cfg (which must outlive it): it waits for the first request head.
 * tls is the session the handshake of the caller made (SPEC H-11), taken over here
 * (the caller must not use or end it after), or NULL for plaintext; plaintext while
 * cfg->tls is set is a client at a TLS port: its request is answered 400 and
 * nothing opened. Never fails: a connection that cannot start ends at its first step. */
void origin_init(struct origin_conn *c, int sock, const char *peer, const struct serve_cfg *cfg,
		 struct tls_conn *tls);

/* origin_step() - move the connection forward as far as the socket allows, moving
 * at most about budget body bytes. Returns STEP_* bits (step.h): STEP_REPORT when a
 * response went out whole and the connection goes on (report() tells it before the
 * next step); STEP_ENDED in state ORIGIN_DONE, where the last request is read with
 * report() before origin_end(). Never both. */
int origin_step(struct origin_conn *c, short events, uint64_t budget);

/* origin_deadline() - the mono_ms() instant at which the connection is given up,
 * or 0 for never: while a head is awaited the header timeout counted from the end of
 * the previous response (the start, for the first) or the idle timeout, whichever
 * comes first; while a response goes out the idle timeout (SPEC H-8, P-10). */
int64_t origin_deadline(const struct origin_conn *c);

/* origin_expire() - the deadline passed: an idle connection (no byte of a new
 * request) ends quietly; one with part of a head is to be answered 408 and ended (the
 * next step sends it, with an idle timeout of its own); one sending a response ends,
 * timed out. */
void origin_expire(struct origin_conn *c);

/* origin_wind_down() - SPEC H-8: no new response on this connection: one in
 * flight is finished and the connection ends after it; one between responses ends
 * quietly at its next step, even with part of a head, or whole ones, buffered (a
 * client retries what a closed kept-alive connection did not answer). */
void origin_wind_down(struct origin_conn *c);

/* origin_abandon() - end it now with reason (the server stopping): a failure. */
void origin_abandon(struct origin_conn *c, const char *reason);

/* origin_report() - the request answered last (or the one cut), as one transfer
 * (SPEC H-9): proto "http", its method and status, the name asked for, the range and
 * bytes of the body; quiet when the connection ended between requests. result is 0
 * for a response sent whole that is not an error (200, 206, 304, 416), else the exit
 * class of its cause with err (an error response, such as 404, sent or not; a cut).
 * Strings stay valid until the next step or origin_end(). Returns l->result. */
int origin_report(const struct origin_conn *c, struct step_log *l);

/* origin_end() - release the file, the transfer and the TLS session. Does not close
 * the socket. */
void origin_end(struct origin_conn *c);

/* zcp-send's HTTP kind of connection (step.h): an origin_conn, started with a
 * serve_cfg; init() is origin_init() with no TLS session. Only the listener drives
 * it (it says STEP_REPORT). */
extern const struct step_ops origin_ops;

#endif
