/* fetch - request, response, payload, end of stream, commit, ack. */
#include "fetch.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "frameio.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_ack(int sock, enum wire_ack_status status, uint64_t received,
		    const struct xfer_ctx *ctx)
{
	struct wire_ack ack = {.status = (uint8_t)status, .received = received};
	uint8_t buf[WIRE_ACK_SIZE];
	wire_encode_ack(&ack, buf, sizeof buf);
	return frameio_send(sock, buf, sizeof buf, 0, ctx);
}

/* SPEC P-6: tell the sender, best effort, then give up the output. */
static int fail(int sock, enum wire_ack_status status, uint64_t received,
		const struct fetch_cfg *cfg, struct fsio_out *out)
{
	if (!cfg->raw)
		send_ack(sock, status, received, &cfg->ctx);
	fsio_out_abort(out);
	return -1;
}

static const char *output_name(const struct fsio_out *out)
{
	return out->mode == FSIO_STDOUT ? "<stdout>" : out->temp;
}

/* Moves the payload; words a short stream per SPEC R-7. Returns the ack status. */
static enum wire_ack_status move_payload(int sock, const char *peer, uint64_t len,
					 const struct fetch_cfg *cfg, struct fsio_out *out,
					 struct fetch_report *rep, struct zerr *e)
{
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sock};
	struct xfer_end dst = {.kind = out->mode == FSIO_DISCARD ? XFER_DISCARD : XFER_STREAM,
			       .fd = out->fd};
	struct xfer_result res;
	double t0 = now();
	int r = xfer_run(&src, &dst, len, cfg->path, cfg->chunk, &cfg->ctx, &res);
	rep->seconds = now() - t0;
	rep->received = res.moved;
	if (r == 0)
		return WIRE_ACK_OK;
	if (res.status == XFER_SHORT) {
		zerr_set(e, ZCP_EXIT_PROTO, xfer_sys_name(res.call), peer,
			 "connection closed after %llu of %llu bytes", (unsigned long long)res.moved,
			 (unsigned long long)len);
		return WIRE_ACK_SHORT;
	}
	xfer_explain(&res, &src, peer, &dst, output_name(out), e);
	return e->code == ZCP_EXIT_NET ? WIRE_ACK_SHORT : WIRE_ACK_LOCAL_ERROR;
}

/* SPEC P-8: after the payload the sender's next event must be end of stream. */
static enum wire_ack_status expect_eof(int sock, const char *peer, const struct xfer_ctx *ctx,
				       struct zerr *e)
{
	uint8_t extra;
	uint64_t got;
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, sock, &extra, 0);
	int r = xfer_move(&op, 1, false, ctx, &got);
	if (r == XFER_EOF)
		return WIRE_ACK_OK;
	if (r == 0) {
		zerr_set(e, ZCP_EXIT_PROTO, "recvfrom", peer, "peer sent more than declared");
		return WIRE_ACK_PROTOCOL;
	}
	zerr_sys(e, ZCP_EXIT_NET, "recvfrom", peer, errno);
	return WIRE_ACK_SHORT;
}

static int fetch_raw(int sock, const char *peer, const struct fetch_cfg *cfg,
		     struct fsio_out *out, struct fetch_report *rep, struct zerr *e)
{
	if (fsio_out_open(out, "", e) < 0)
		return -1;
	if (move_payload(sock, peer, XFER_TO_EOF, cfg, out, rep, e) != WIRE_ACK_OK ||
	    fsio_out_commit(out, e) < 0)
		return fail(sock, WIRE_ACK_OK, 0, cfg, out);
	return 0;
}

int fetch_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	if (cfg->raw)
		return fetch_raw(sock, peer, cfg, out, rep, e);

	struct wire_request req = {.offset = cfg->offset, .length = cfg->length};
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_request(&req, buf, sizeof buf);
	if (n < 0)
		return zerr_set(e, ZCP_EXIT_USAGE, "", "", "invalid range: %s", wire_strerror((int)n));
	if (frameio_send(sock, buf, (size_t)n, 0, &cfg->ctx) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "sendto", peer, errno);

	struct wire_response *resp = &rep->resp;
	int werr;
	if (frameio_expect(sock, peer, WIRE_RESPONSE, resp, &cfg->ctx, &werr, e) < 0)
		return -1;
	if (resp->status != WIRE_OK) /* SPEC R-10 */
		return zerr_set(e, ZCP_EXIT_PEER, "", peer, "sender answered %s",
				wire_status_name(resp->status));
	if (fsio_out_open(out, resp->name, e) < 0)
		return fail(sock, WIRE_ACK_LOCAL_ERROR, 0, cfg, out);

	enum wire_ack_status st = move_payload(sock, peer, resp->length, cfg, out, rep, e);
	if (st == WIRE_ACK_OK)
		st = expect_eof(sock, peer, &cfg->ctx, e);
	if (st == WIRE_ACK_OK && fsio_out_commit(out, e) < 0)
		st = WIRE_ACK_LOCAL_ERROR;
	if (st != WIRE_ACK_OK)
		return fail(sock, st, rep->received, cfg, out);
	if (send_ack(sock, WIRE_ACK_OK, rep->received, &cfg->ctx) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "sendto", peer, errno);
	return 0;
}
