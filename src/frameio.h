/* frameio - sending and receiving exactly one ZCP/1 frame on a non-blocking
 * socket, never reading a byte past the frame (SPEC X-5, W-12). Never prints. */
#ifndef ZCP_FRAMEIO_H
#define ZCP_FRAMEIO_H

#include "wire.h"
#include "xfer.h"
#include "zerr.h"

enum frameio_result { FRAMEIO_OK, FRAMEIO_SYS, FRAMEIO_EOF, FRAMEIO_BAD, FRAMEIO_AGAIN };

/* frameio_read() - read toward one frame of type t into buf, which holds *have bytes
 * of it already, and parse it into *out (a struct wire_request, wire_response or
 * wire_ack) once whole; from sock, or through io when not NULL (TLS, SPEC T-5). Returns FRAMEIO_OK; FRAMEIO_AGAIN when ctx->nowait and the
 * socket has no more for now (call again with the same buf and *have); FRAMEIO_EOF
 * if the stream ended first; FRAMEIO_SYS with errno set (ETIMEDOUT included);
 * FRAMEIO_BAD with the WIRE_E_* code in *wire_err. */
enum frameio_result frameio_read(int sock, const struct xfer_io *io, enum wire_frame t, uint8_t buf[WIRE_FRAME_MAX],
				 size_t *have, void *out, const struct xfer_ctx *ctx, int *wire_err);

/* frameio_recv() - frameio_read() of a whole frame from nothing, waiting as ctx says. */
enum frameio_result frameio_recv(int sock, enum wire_frame t, void *out,
				 const struct xfer_ctx *ctx, int *wire_err);

/* frameio_explain() - put a failed read of frame type t into *e for messages naming
 * peer: end of stream or a malformed frame is a protocol error (5), a failed recv
 * a network error (4). Returns -1. */
int frameio_explain(enum frameio_result r, enum wire_frame t, int wire_err, const char *peer,
		    struct zerr *e);

/* frameio_send() - send buf[0..len) whole, with extra send flags (MSG_MORE).
 * Returns 0, or -1 with errno set. */
int frameio_send(int sock, const uint8_t *buf, size_t len, int flags, const struct xfer_ctx *ctx);

#endif
