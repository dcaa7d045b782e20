/* serve - request, response, payload, ack: the sender's side of one transfer. */
#include "serve.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frameio.h"
#include "fsio.h"
#include "mono.h"
#include "net.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* SPEC P-4: a refusal carries no payload; failing to send it changes nothing. */
static void refuse(int sock, enum wire_status status, uint64_t size, const struct xfer_ctx *ctx)
{
	struct wire_response r = {.status = (uint8_t)status, .file_size = size};
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_response(&r, buf, sizeof buf);
	if (n > 0)
		frameio_send(sock, buf, (size_t)n, 0, ctx);
}

static int read_request(int sock, const char *peer, const struct serve_cfg *cfg,
			struct wire_request *req, struct zerr *e)
{
	int werr = 0;
	if (frameio_expect(sock, peer, WIRE_REQUEST, req, &cfg->ctx, &werr, e) == 0)
		return 0;
	if (werr) /* SPEC P-4 W-6 */
		refuse(sock, werr == WIRE_E_VERSION ? WIRE_BAD_VERSION : WIRE_BAD_REQUEST, 0, &cfg->ctx);
	return -1;
}

/* Opens the file the request names and works out the range to serve (SPEC P-2,
 * P-3, S-1, S-9); refuses the request on the wire otherwise. Returns the fd with
 * *size and *len, or -1 with *e set. */
static int open_range(int sock, const char *peer, const struct serve_cfg *cfg,
		      const struct wire_request *req, uint64_t *size, uint64_t *len, struct zerr *e)
{
	if (req->name_len && strcmp(req->name, base_name(cfg->file)) != 0) {
		refuse(sock, WIRE_NOT_FOUND, 0, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "asked for unknown name '%s'", req->name);
	}
	int fd = fsio_open_input(cfg->file, size, e);
	if (fd < 0) {
		refuse(sock, fd == -1 ? WIRE_NOT_FOUND : WIRE_SERVER_ERROR, 0, &cfg->ctx);
		return -1;
	}
	if (req->offset > *size) {
		close(fd);
		refuse(sock, WIRE_BAD_RANGE, *size, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "asked for offset %llu past the end (%llu bytes)",
				(unsigned long long)req->offset, (unsigned long long)*size);
	}
	uint64_t avail = *size - req->offset;
	*len = req->length == 0 || req->length > avail ? avail : req->length;
	return fd;
}

static int send_response(int sock, const char *peer, const struct serve_cfg *cfg, uint64_t size,
			 uint64_t off, uint64_t len, struct zerr *e)
{
	const char *base = base_name(cfg->file);
	size_t base_len = strlen(base);
	struct wire_response resp = {.status = WIRE_OK, .file_size = size, .offset = off, .length = len};
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = WIRE_E_NAME;
	if (base_len <= ZCP_NAME_MAX) {
		resp.name_len = (uint16_t)base_len;
		memcpy(resp.name, base, base_len);
		n = wire_encode_response(&resp, buf, sizeof buf);
	}
	if (n < 0) {
		refuse(sock, WIRE_SERVER_ERROR, size, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_FILE, "", cfg->file, "cannot be served: %s", wire_strerror((int)n));
	}
	/* SPEC S-6: keep the header in the same segment as the first payload bytes. */
	if (frameio_send(sock, buf, (size_t)n, len ? MSG_MORE : 0, &cfg->ctx) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "sendto", peer, errno);
	return 0;
}

/* SPEC S-11: the receiver said something while it was being sent to. Takes an ack
 * that is there whole, without waiting; anything else (end of stream, a reset, a
 * part of a frame) is left for the next send or the ack wait to report, and the
 * transfer stops watching. Returns 1 with *ack, or 0. */
static int queued_ack(int sock, struct xfer_ctx *ctx, struct wire_ack *ack)
{
	uint8_t buf[WIRE_ACK_SIZE];
	struct xfer_ctx now = *ctx;
	now.nowait = true;
	struct xfer_op peek = xfer_op_mem(XS_RECVFROM, sock, buf, MSG_PEEK);
	uint64_t got;
	ctx->stop_on_readable = false;
	if (xfer_move(&peek, sizeof buf, false, &now, &got) != 0 || got < sizeof buf ||
	    wire_parse_ack(buf, sizeof buf, ack) != WIRE_ACK_SIZE)
		return 0;
	struct xfer_op take = xfer_op_mem(XS_RECVFROM, sock, buf, 0);
	return xfer_move(&take, sizeof buf, true, &now, &got) == 0;
}

/* SPEC P-7: only ack OK for every declared byte is success. */
static int judge_ack(const struct wire_ack *ack, uint64_t len, const char *peer, struct zerr *e)
{
	if (ack->status == WIRE_ACK_OK && ack->received == len)
		return 0;
	return zerr_set(e, ZCP_EXIT_PEER, "", peer, "receiver reported %s after %llu of %llu bytes",
			wire_ack_status_name(ack->status), (unsigned long long)ack->received,
			(unsigned long long)len);
}

/* Sends len bytes of fd from off. A truncated file is SPEC S-2; an ack that arrives
 * meanwhile (S-11), or that a reset left behind, ends the transfer with the
 * receiver's word. Returns 0 when every byte went out, or -1. */
static int send_payload(int sock, const char *peer, int fd, uint64_t off, uint64_t len,
			const struct serve_cfg *cfg, struct serve_report *rep, struct wire_ack *ack,
			struct zerr *e)
{
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd, .off = (off_t)off};
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = sock};
	struct xfer_ctx ctx = cfg->ctx;
	ctx.stop_on_readable = !cfg->raw;
	struct xfer_job j;
	double t0 = mono_now();
	int r = xfer_job_init(&j, &src, &dst, len, cfg->path, cfg->chunk);
	while (r == 0 && (r = xfer_job_step(&j, UINT64_MAX, &ctx)) == XFER_READABLE)
		r = queued_ack(sock, &ctx, ack) ? 1 : 0;
	rep->seconds = mono_now() - t0;
	rep->fell_back = j.res.fell_back;
	rep->fallback_err = j.res.fallback_err;
	struct xfer_result res = j.res;
	xfer_job_free(&j);
	if (r == 0)
		return 0;
	if (r == 1 || (!cfg->raw && res.status == XFER_FAILED && !res.at_src &&
		       queued_ack(sock, &ctx, ack))) {
		return judge_ack(ack, len, peer, e) == 0 ? zerr_set(e, ZCP_EXIT_PEER, "", peer,
			"receiver acknowledged before the end of the payload") : -1;
	}
	if (res.status == XFER_SHORT)
		return zerr_set(e, ZCP_EXIT_FILE, xfer_sys_name(res.call), cfg->file,
				"file truncated at offset %llu (expected %llu bytes)",
				(unsigned long long)(off + res.moved), (unsigned long long)(off + len));
	return xfer_explain(&res, &src, cfg->file, &dst, peer, e);
}

/* SPEC P-9: no frames; a failure must reach the other end as a reset, since a
 * clean end of stream would look like a complete (maybe empty) file. */
static int serve_raw(int sock, const char *peer, const struct serve_cfg *cfg,
		     struct serve_report *rep, struct zerr *e)
{
	uint64_t size;
	struct wire_ack ack;
	int r = -1, fd = fsio_open_input(cfg->file, &size, e);
	if (fd >= 0) {
		rep->length = size;
		r = send_payload(sock, peer, fd, 0, size, cfg, rep, &ack, e);
		close(fd);
	}
	if (r == 0 && shutdown(sock, SHUT_WR) < 0)
		r = zerr_sys(e, ZCP_EXIT_NET, "shutdown", peer, errno);
	if (r < 0)
		net_reset_on_close(sock);
	return r;
}

int serve_one(int sock, const char *peer, const struct serve_cfg *cfg, struct serve_report *rep,
	      struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	if (cfg->raw)
		return serve_raw(sock, peer, cfg, rep, e);
	struct wire_request req;
	uint64_t size = 0, len = 0;
	if (read_request(sock, peer, cfg, &req, e) < 0)
		return -1;
	int fd = open_range(sock, peer, cfg, &req, &size, &len, e);
	if (fd < 0)
		return -1;
	rep->offset = req.offset;
	rep->length = len;
	struct wire_ack ack;
	int r = send_response(sock, peer, cfg, size, req.offset, len, e);
	if (r == 0)
		r = send_payload(sock, peer, fd, req.offset, len, cfg, rep, &ack, e);
	close(fd);
	if (r < 0)
		return -1;
	if (shutdown(sock, SHUT_WR) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "shutdown", peer, errno);
	int werr;
	if (frameio_expect(sock, peer, WIRE_ACK, &ack, &cfg->ctx, &werr, e) < 0)
		return -1;
	return judge_ack(&ack, len, peer, e);
}
