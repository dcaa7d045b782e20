/* door - zcp-send's kind of connection when it speaks both ZCP/1 and HTTP/1.1
 * (SPEC H-1): the first bytes a peer sends, looked at without reading them (after
 * the TLS handshake when the sender has TLS), make the connection a ZCP/1 one
 * (serve.h) or an HTTP one (origin.h), which then runs as if it had been that from
 * the start. Never prints. */
#ifndef ZCP_DOOR_H
#define ZCP_DOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "origin.h"
#include "serve.h"
#include "step.h"

struct door_conn {
	const struct serve_cfg *cfg;
	const struct step_ops *kind; /* serve_ops or origin_ops once chosen; NULL before */
	bool winding;                /* told to wind down before the choice: the kind chosen is */
	union {
		struct serve_conn serve; /* also before the choice: it runs the TLS handshake,
					  * and its deadline, expiry and end are the door's */
		struct origin_conn origin;
	} as;
};

/* door_pick() - SPEC H-1: what a connection whose first n bytes (n >= 1) are p is:
 * &origin_ops when they begin like an HTTP request (an upper-case letter) and not
 * like a ZCP/1 request (as many bytes of "ZCQ1" as came), else &serve_ops. Pure. */
const struct step_ops *door_pick(const uint8_t *p, size_t n);

/* The kind: its arg is a const struct serve_cfg *, the one both protocols serve. */
extern const struct step_ops door_ops;

#endif
