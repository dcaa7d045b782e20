/* frameio - exact-size frame reads: fixed header first, then the name. */
#include "frameio.h"

#include <errno.h>

enum frameio_result frameio_read(int sock, const struct xfer_io *io, enum wire_frame t, uint8_t buf[WIRE_FRAME_MAX],
				 size_t *have, void *out, const struct xfer_ctx *ctx, int *wire_err)
{
	for (;;) {
		ssize_t n = wire_parse(t, buf, *have, out);
		if (n > 0)
			return FRAMEIO_OK;
		/* the parser refuses a name too long for buf before it waits for it */
		if (n != WIRE_NEED_MORE) {
			*wire_err = (int)n;
			return FRAMEIO_BAD;
		}
		struct xfer_op op = xfer_op_sock(true, sock, io, buf + *have, 0);
		uint64_t got;
		int r = xfer_move(&op, wire_frame_size(t, buf, *have) - *have, true, ctx, &got);
		*have += got;
		if (r == XFER_AGAIN)
			return FRAMEIO_AGAIN;
		if (r == XFER_EOF)
			return FRAMEIO_EOF;
		if (r < 0)
			return FRAMEIO_SYS;
	}
}

enum frameio_result frameio_recv(int sock, enum wire_frame t, void *out,
				 const struct xfer_ctx *ctx, int *wire_err)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t have = 0;
	return frameio_read(sock, NULL, t, buf, &have, out, ctx, wire_err);
}

int frameio_explain(enum frameio_result r, enum wire_frame t, int wire_err, const char *peer,
		    struct zerr *e)
{
	static const char *const what[] = {[WIRE_REQUEST] = "request", [WIRE_RESPONSE] = "response",
					   [WIRE_ACK] = "ack", [WIRE_IDENT] = "identity",
					   [WIRE_TRAILER] = "trailer"};
	if (r == FRAMEIO_EOF)
		return zerr_set(e, ZCP_EXIT_PROTO, "recvfrom", peer, "connection closed before the %s",
				what[t]);
	if (r == FRAMEIO_SYS)
		return zerr_sys(e, ZCP_EXIT_NET, "recvfrom", peer, errno);
	return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "malformed %s: %s", what[t],
			wire_strerror(wire_err));
}

int frameio_send(int sock, const uint8_t *buf, size_t len, int flags, const struct xfer_ctx *ctx)
{
	struct xfer_op op = xfer_op_mem(XS_SENDTO, sock, (void *)buf, flags);
	uint64_t put;
	int r = xfer_move(&op, len, true, ctx, &put);
	if (r == XFER_EOF)
		errno = EIO;
	return r ? -1 : 0;
}
