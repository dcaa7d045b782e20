/* serve - the sender's side of one transfer on a connected socket
 * (SPEC P-1..P-7, S-1..S-6). Never prints. */
#ifndef ZCP_SERVE_H
#define ZCP_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "xfer.h"
#include "zerr.h"

struct serve_cfg {
	const char *file;
	enum xfer_path path;
	size_t chunk;
	bool raw;
	struct xfer_ctx ctx;
};

struct serve_report {
	uint64_t offset, length; /* the range served */
	bool fell_back;          /* zero-copy was refused; the copy path moved the bytes */
	int fallback_err;
	double seconds;          /* payload time */
};

/* serve_one() - answer one request on sock (peer names it in messages), send the
 * payload and wait for the ack; in raw mode just send the whole file and half-close.
 * Returns 0 when the receiver acknowledged every byte (raw: every byte was sent),
 * or -1 with *e set. *rep is filled as far as the transfer got. Does not close sock;
 * after a raw failure its close() sends a reset (SPEC P-9). */
int serve_one(int sock, const char *peer, const struct serve_cfg *cfg, struct serve_report *rep,
	      struct zerr *e);

#endif
