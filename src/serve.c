/* serve - request, response, payload, ack: the sender's state machine. */
#include "serve.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frameio.h"
#include "fsio.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* Sends len bytes of fd from off; reports a truncated file per SPEC S-2. */
static int send_payload(int sock, const char *peer, int fd, uint64_t off, uint64_t len,
			const struct serve_cfg *cfg, struct serve_report *rep, struct zerr *e)
{
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd, .off = (off_t)off};
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = sock};
	struct xfer_result res;
	double t0 = now();
	int r = xfer_run(&src, &dst, len, cfg->path, cfg->chunk, &cfg->ctx, &res);
	rep->seconds = now() - t0;
	rep->fell_back = res.fell_back;
	rep->fallback_err = res.fallback_err;
	if (r == 0)
		return 0;
	if (res.status == XFER_SHORT)
		return zerr_set(e, ZCP_EXIT_FILE, xfer_sys_name(res.call), cfg->file,
				"file truncated at offset %llu (expected %llu bytes)",
				(unsigned long long)(off + res.moved), (unsigned long long)(off + len));
	return xfer_explain(&res, &src, cfg->file, &dst, peer, e);
}

static int serve_raw(int sock, const char *peer, const struct serve_cfg *cfg,
		     struct serve_report *rep, struct zerr *e)
{
	uint64_t size;
	int fd = fsio_open_input(cfg->file, &size, e);
	if (fd < 0)
		return -1;
	rep->length = size;
	int r = send_payload(sock, peer, fd, 0, size, cfg, rep, e);
	close(fd);
	if (r == 0 && shutdown(sock, SHUT_WR) < 0)
		r = zerr_sys(e, ZCP_EXIT_NET, "shutdown", peer, errno);
	return r;
}

int serve_one(int sock, const char *peer, const struct serve_cfg *cfg, struct serve_report *rep,
	      struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	if (cfg->raw)
		return serve_raw(sock, peer, cfg, rep, e);

	struct wire_request req;
	int werr = 0;
	if (frameio_expect(sock, peer, WIRE_REQUEST, &req, &cfg->ctx, &werr, e) < 0) {
		if (werr)
			refuse(sock, werr == WIRE_E_VERSION ? WIRE_BAD_VERSION : WIRE_BAD_REQUEST, 0,
			       &cfg->ctx);
		return -1;
	}
	const char *base = base_name(cfg->file);
	if (req.name_len && strcmp(req.name, base) != 0) { /* SPEC P-3 */
		refuse(sock, WIRE_NOT_FOUND, 0, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "asked for unknown name '%s'", req.name);
	}
	uint64_t size;
	int fd = fsio_open_input(cfg->file, &size, e);
	if (fd < 0) {
		refuse(sock, WIRE_NOT_FOUND, 0, &cfg->ctx);
		return -1;
	}
	if (req.offset > size) { /* SPEC P-2 */
		close(fd);
		refuse(sock, WIRE_BAD_RANGE, size, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "asked for offset %llu past the end (%llu bytes)",
				(unsigned long long)req.offset, (unsigned long long)size);
	}
	uint64_t avail = size - req.offset;
	uint64_t len = req.length == 0 || req.length > avail ? avail : req.length;
	rep->offset = req.offset;
	rep->length = len;

	struct wire_response resp = {.status = WIRE_OK, .file_size = size, .offset = req.offset,
				     .length = len};
	uint8_t buf[WIRE_FRAME_MAX];
	size_t base_len = strlen(base);
	ssize_t n = WIRE_E_NAME;
	if (base_len <= ZCP_NAME_MAX) {
		resp.name_len = (uint16_t)base_len;
		memcpy(resp.name, base, base_len);
		n = wire_encode_response(&resp, buf, sizeof buf);
	}
	if (n < 0) {
		close(fd);
		refuse(sock, WIRE_SERVER_ERROR, size, &cfg->ctx);
		return zerr_set(e, ZCP_EXIT_FILE, "", cfg->file, "cannot be served: %s", wire_strerror((int)n));
	}
	/* SPEC S-6: keep the header in the same segment as the first payload bytes. */
	if (frameio_send(sock, buf, (size_t)n, len ? MSG_MORE : 0, &cfg->ctx) < 0) {
		close(fd);
		return zerr_sys(e, ZCP_EXIT_NET, "sendto", peer, errno);
	}
	int r = send_payload(sock, peer, fd, req.offset, len, cfg, rep, e);
	close(fd);
	if (r < 0)
		return -1;
	if (shutdown(sock, SHUT_WR) < 0)
		return zerr_sys(e, ZCP_EXIT_NET, "shutdown", peer, errno);

	struct wire_ack ack;
	if (frameio_expect(sock, peer, WIRE_ACK, &ack, &cfg->ctx, &werr, e) < 0)
		return -1;
	if (ack.status != WIRE_ACK_OK || ack.received != len) /* SPEC P-7 */
		return zerr_set(e, ZCP_EXIT_PEER, "", peer, "receiver reported %s after %llu of %llu bytes",
				wire_ack_status_name(ack.status), (unsigned long long)ack.received,
				(unsigned long long)len);
	return 0;
}
