/* fetch - request, response, payload, end of stream, commit, ack. */
#include "fetch.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "frameio.h"
#include "mono.h"

static int send_ack(int sock, enum wire_ack_status status, uint64_t received,
		    const struct xfer_ctx *ctx)
{
	struct wire_ack ack = {.status = (uint8_t)status, .received = received};
	uint8_t buf[WIRE_ACK_SIZE];
	wire_encode_ack(&ack, buf, sizeof buf);
	return frameio_send(sock, buf, sizeof buf, 0, ctx);
}

/* SPEC R-14: half-close, then drop whatever the sender still sends until it closes,
 * for at most FETCH_LINGER_MS: closing with unread bytes would send a reset that can
 * destroy the ack before the sender reads it. MSG_TRUNC drops without copying. */
static void linger(int sock, const struct xfer_ctx *ctx)
{
	if (shutdown(sock, SHUT_WR) < 0)
		return;
	struct xfer_ctx c = *ctx;
	c.deadline_ms = mono_ms() + FETCH_LINGER_MS;
	c.call_cap = 1 << 30; /* a length the kernel accepts with no buffer */
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, sock, NULL, MSG_TRUNC);
	uint64_t got;
	xfer_move(&op, UINT64_MAX, true, &c, &got);
}

/* SPEC P-6 R-2 R-14: give up the output, tell the sender (best effort) and let it
 * hear it. Returns -1. */
static int abandon(int sock, enum wire_ack_status status, uint64_t received,
		   const struct fetch_cfg *cfg, struct fsio_out *out)
{
	fsio_out_abort(out);
	if (!cfg->raw) {
		send_ack(sock, status, received, &cfg->ctx);
		linger(sock, &cfg->ctx);
	}
	return -1;
}

static const char *output_name(const struct fsio_out *out)
{
	return out->mode == FSIO_STDOUT ? "<stdout>" : out->mode == FSIO_DIR || out->mode == FSIO_FILE
		? out->final : out->path;
}

/* Moves up to len payload bytes into out; with eof_ok the stream may end first
 * (raw mode). Words a short stream per SPEC R-7. Returns the ack status. */
static enum wire_ack_status move_payload(int sock, const char *peer, uint64_t len, bool eof_ok,
					 const struct fetch_cfg *cfg, struct fsio_out *out,
					 struct fetch_report *rep, struct zerr *e)
{
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sock};
	struct xfer_end dst = {.kind = out->mode == FSIO_DISCARD ? XFER_DISCARD : XFER_STREAM,
			       .fd = out->fd};
	struct xfer_result res;
	double t0 = mono_now();
	int r = xfer_run(&src, &dst, len, cfg->path, cfg->chunk, &cfg->ctx, &res);
	rep->seconds = mono_now() - t0;
	rep->received = res.moved;
	if (r == 0 || (eof_ok && res.status == XFER_SHORT))
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

/* SPEC P-9 R-12: to end of stream; a reset is a failure, and so is a byte past
 * --max-size (read one more than allowed to know). */
static int fetch_raw(int sock, const char *peer, const struct fetch_cfg *cfg,
		     struct fsio_out *out, struct fetch_report *rep, struct zerr *e)
{
	if (fsio_out_open(out, "", e) < 0)
		return -1;
	uint64_t cap = cfg->max_size ? cfg->max_size + 1 : XFER_TO_EOF;
	if (move_payload(sock, peer, cap, true, cfg, out, rep, e) != WIRE_ACK_OK)
		return abandon(sock, WIRE_ACK_OK, 0, cfg, out);
	if (rep->received == cap) {
		zerr_set(e, ZCP_EXIT_FILE, "", peer, "more than --max-size %llu bytes arrived",
			 (unsigned long long)cfg->max_size);
		return abandon(sock, WIRE_ACK_OK, 0, cfg, out);
	}
	if (fsio_out_commit(out, e) < 0)
		return -1;
	return 0;
}

/* SPEC R-11 R-12: the response must answer the request, within --max-size.
 * Returns the ack status that refuses it, or WIRE_ACK_OK. */
static enum wire_ack_status check_response(const struct wire_request *req,
					   const struct wire_response *resp, const char *peer,
					   const struct fetch_cfg *cfg, struct zerr *e)
{
	int bad = wire_response_answers(req, resp);
	if (bad == WIRE_E_NAME) {
		zerr_set(e, ZCP_EXIT_PROTO, "", peer, "sender answered name '%s' for '%s'", resp->name,
			 req->name);
		return WIRE_ACK_PROTOCOL;
	}
	if (bad) {
		zerr_set(e, ZCP_EXIT_PROTO, "", peer,
			 "sender answered offset %llu length %llu (file size %llu) for offset %llu "
			 "length %llu", (unsigned long long)resp->offset, (unsigned long long)resp->length,
			 (unsigned long long)resp->file_size, (unsigned long long)req->offset,
			 (unsigned long long)req->length);
		return WIRE_ACK_PROTOCOL;
	}
	if (cfg->max_size && resp->length > cfg->max_size) {
		zerr_set(e, ZCP_EXIT_FILE, "", peer, "the sender offers %llu bytes, more than --max-size %llu",
			 (unsigned long long)resp->length, (unsigned long long)cfg->max_size);
		return WIRE_ACK_LOCAL_ERROR;
	}
	return WIRE_ACK_OK;
}

int fetch_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	if (cfg->raw)
		return fetch_raw(sock, peer, cfg, out, rep, e);

	struct wire_request req = {.offset = cfg->offset, .length = cfg->length};
	if (cfg->name) {
		req.name_len = (uint16_t)strnlen(cfg->name, ZCP_PATH_MAX + 1);
		memcpy(req.name, cfg->name, req.name_len);
	}
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_request(&req, buf, sizeof buf);
	if (n < 0)
		return zerr_set(e, ZCP_EXIT_USAGE, "", "", "invalid request: %s", wire_strerror((int)n));
	if (frameio_send(sock, buf, (size_t)n, 0, &cfg->ctx) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "sendto", peer, errno);

	struct wire_response *resp = &rep->resp;
	int werr;
	if (frameio_expect(sock, peer, WIRE_RESPONSE, resp, &cfg->ctx, &werr, e) < 0)
		return werr ? abandon(sock, WIRE_ACK_PROTOCOL, 0, cfg, out) : -1; /* SPEC W-11 */
	if (resp->status != WIRE_OK) /* SPEC R-10; P-4: no ack */
		return zerr_set(e, ZCP_EXIT_PEER, "", peer, "sender answered %s",
				wire_status_name(resp->status));
	enum wire_ack_status st = check_response(&req, resp, peer, cfg, e);
	if (st != WIRE_ACK_OK)
		return abandon(sock, st, 0, cfg, out);
	const char *last = strrchr(resp->name, '/'); /* SPEC R-4: the last component */
	if (fsio_out_open(out, last ? last + 1 : resp->name, e) < 0)
		return abandon(sock, WIRE_ACK_LOCAL_ERROR, 0, cfg, out);

	st = move_payload(sock, peer, resp->length, false, cfg, out, rep, e);
	if (st == WIRE_ACK_OK)
		st = expect_eof(sock, peer, &cfg->ctx, e);
	if (st == WIRE_ACK_OK && fsio_out_commit(out, e) < 0)
		st = WIRE_ACK_LOCAL_ERROR;
	if (st != WIRE_ACK_OK)
		return abandon(sock, st, rep->received, cfg, out);
	/* SPEC R-15: committed is committed; a lost ack is the sender's failure only */
	if (send_ack(sock, WIRE_ACK_OK, rep->received, &cfg->ctx) < 0)
		rep->ack_err = errno;
	return 0;
}
