/* fetch - the receiver's side of one transfer on a connected socket
 * (SPEC P-1..P-8, R-1..R-15). Never prints. */
#ifndef ZCP_FETCH_H
#define ZCP_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fsio.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

/* How long a receiver that gave up keeps reading before it closes (SPEC R-14). */
#define FETCH_LINGER_MS 5000

struct fetch_cfg {
	enum xfer_path path; /* XFER_COPY or XFER_SPLICE */
	size_t chunk;
	bool raw;
	uint64_t offset, length; /* the range asked for; length 0 = to the end */
	const char *name;        /* asked for by name (SPEC R-13), or NULL */
	uint64_t max_size;       /* refuse more payload than this (SPEC R-12); 0 = no limit */
	struct xfer_ctx ctx;
};

struct fetch_report {
	struct wire_response resp; /* what the sender declared (zeroed in raw mode) */
	uint64_t received;         /* payload bytes delivered to the output */
	double seconds;            /* payload time */
	int ack_err;               /* errno when the final ack OK could not be sent (SPEC R-15) */
};

/* fetch_one() - send the request, read the response and check it against the
 * request, move the payload into out (already fsio_out_init'ed), check the sender's
 * end of stream, commit the output and ack. Raw mode: read to end of stream and
 * commit. Returns 0 when every declared byte is committed (rep->ack_err tells
 * whether the ack got out); else -1 with *e set, the output aborted and, when the
 * sender still listens, a non-OK ack sent and the connection drained for at most
 * FETCH_LINGER_MS (SPEC P-6, R-14). Does not close sock. */
int fetch_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct zerr *e);

#endif
