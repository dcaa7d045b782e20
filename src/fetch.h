/* fetch - the receiver's side of one transfer on a connected socket
 * (SPEC P-1..P-8, R-1..R-10). Never prints. */
#ifndef ZCP_FETCH_H
#define ZCP_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fsio.h"
#include "wire.h"
#include "xfer.h"
#include "zerr.h"

struct fetch_cfg {
	enum xfer_path path; /* XFER_COPY or XFER_SPLICE */
	size_t chunk;
	bool raw;
	uint64_t offset, length; /* the range asked for; length 0 = to the end */
	struct xfer_ctx ctx;
};

struct fetch_report {
	struct wire_response resp; /* what the sender declared (zeroed in raw mode) */
	uint64_t received;         /* payload bytes delivered to the output */
	double seconds;            /* payload time */
};

/* fetch_one() - send the request, read the response, move the payload into out
 * (already fsio_out_init'ed), check the sender's end of stream, commit the output
 * and ack. Raw mode: read to end of stream and commit. Returns 0 when every declared
 * byte is committed and acked OK; else -1 with *e set, the output aborted and, when
 * the sender still listens, a non-OK ack sent (SPEC P-6). Does not close sock. */
int fetch_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct zerr *e);

#endif
