/* xfer - the loop helper and the three transfer paths (SPEC X-1..X-7). */
#include "xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_WANT (1 << 20)

const char *xfer_sys_name(enum xfer_sys s)
{
	static const char *const names[XS_COUNT] = {
		"read", "pread64", "write", "sendto", "recvfrom", "sendfile", "splice", "poll",
	};
	return (unsigned)s < XS_COUNT ? names[s] : "?";
}

static void count(const struct xfer_ctx *ctx, enum xfer_sys s)
{
	if (ctx->stats)
		ctx->stats->calls[s]++;
}

/* One system call of op moving at most max bytes. */
static ssize_t step(struct xfer_op *op, size_t max)
{
	switch (op->sys) {
	case XS_READ: return read(op->in, op->buf, max);
	case XS_PREAD: return pread(op->in, op->buf, max, *op->in_off);
	case XS_WRITE: return write(op->out, op->buf, max);
	case XS_SENDTO: return send(op->out, op->buf, max, MSG_NOSIGNAL | op->flags);
	case XS_RECVFROM: return recv(op->in, op->buf, max, 0);
	case XS_SENDFILE: return sendfile(op->out, op->in, op->in_off, max);
	case XS_SPLICE: return splice(op->in, op->in_off, op->out, NULL, max, op->flags);
	default: errno = EINVAL; return -1;
	}
}

struct xfer_op xfer_op_mem(enum xfer_sys sys, int fd, void *buf, int flags)
{
	bool in = sys == XS_READ || sys == XS_PREAD || sys == XS_RECVFROM;
	return (struct xfer_op){.sys = sys, .in = in ? fd : -1, .out = in ? -1 : fd,
				.buf = buf, .flags = flags, .wait_in = in};
}

int xfer_move(struct xfer_op *op, uint64_t want, bool all, const struct xfer_ctx *ctx,
	      uint64_t *moved)
{
	*moved = 0;
	while (*moved < want) {
		uint64_t left = want - *moved;
		size_t max = left > SSIZE_MAX ? SSIZE_MAX : (size_t)left;
		if (ctx->call_cap && max > ctx->call_cap)
			max = ctx->call_cap;
		count(ctx, op->sys);
		ssize_t n = step(op, max);
		if (n > 0) {
			*moved += (uint64_t)n;
			if (op->buf)
				op->buf += n;
			if (op->sys == XS_PREAD)
				*op->in_off += n;
			if (!all)
				return 0;
			continue;
		}
		if (n == 0)
			return XFER_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		struct pollfd p = {.fd = op->wait_in ? op->in : op->out,
				   .events = op->wait_in ? POLLIN : POLLOUT};
		int r;
		do {
			count(ctx, XS_POLL);
			r = poll(&p, 1, ctx->timeout_ms);
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			return -1;
	}
	return 0;
}

int xfer_pipe_open(int fds[2], size_t *cap)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	int got = fcntl(fds[1], F_SETPIPE_SZ, PIPE_WANT);
	if (got < 0)
		got = fcntl(fds[1], F_GETPIPE_SZ); /* refused: keep the default (SPEC X-7) */
	*cap = got > 0 ? (size_t)got : 4096;
	return 0;
}

/* A failure before any call could be made (buffer, pipe): res->call is XS_COUNT. */
static int setup_failed(struct xfer_result *res)
{
	res->status = XFER_FAILED;
	res->err = errno;
	res->call = XS_COUNT;
	return -1;
}

static int fail(struct xfer_result *res, int r, const struct xfer_op *op, bool at_src)
{
	res->status = r == XFER_EOF ? XFER_SHORT : XFER_FAILED;
	res->err = r == XFER_EOF ? 0 : errno;
	res->call = op->sys;
	res->at_src = at_src;
	return -1;
}

/* A source op that reads into memory (copy path). */
static struct xfer_op copy_fill(struct xfer_end *src, uint8_t *buf)
{
	if (src->kind == XFER_FILE) {
		struct xfer_op op = xfer_op_mem(XS_PREAD, src->fd, buf, 0);
		op.in_off = &src->off;
		return op;
	}
	return xfer_op_mem(src->kind == XFER_SOCKET ? XS_RECVFROM : XS_READ, src->fd, buf, 0);
}

/* Fill the intermediate (buffer or pipe) from fill, drain it completely into
 * drain, until len bytes moved; the copy and splice paths differ only in ops. */
static int pump(struct xfer_op *fill, struct xfer_op *drain, uint8_t *buf, size_t cap,
		uint64_t len, const struct xfer_ctx *ctx, struct xfer_result *res)
{
	while (res->moved < len) {
		uint64_t got, put, left = len - res->moved;
		fill->buf = buf;
		int r = xfer_move(fill, left < cap ? left : cap, false, ctx, &got);
		if (r == XFER_EOF && len == XFER_TO_EOF)
			return 0;
		if (r)
			return fail(res, r, fill, true);
		if (!drain) {
			res->moved += got;
			continue;
		}
		drain->buf = buf;
		r = xfer_move(drain, got, true, ctx, &put);
		res->moved += put;
		if (r == XFER_EOF) {
			errno = EIO; /* a destination that takes 0 bytes is broken */
			r = -1;
		}
		if (r)
			return fail(res, r, drain, false);
	}
	return 0;
}

static int run_copy(struct xfer_end *src, struct xfer_end *dst, uint64_t len, size_t chunk,
		    const struct xfer_ctx *ctx, struct xfer_result *res)
{
	uint8_t *buf = malloc(chunk);
	if (!buf)
		return setup_failed(res);
	struct xfer_op fill = copy_fill(src, buf);
	struct xfer_op drain = xfer_op_mem(dst->kind == XFER_SOCKET ? XS_SENDTO : XS_WRITE,
					   dst->fd, buf, 0);
	int r = pump(&fill, dst->kind == XFER_DISCARD ? NULL : &drain, buf, chunk, len, ctx, res);
	free(buf);
	return r;
}

static bool refused(int err) { return err == EINVAL || err == ENOSYS; }

static int run_splice(struct xfer_end *src, struct xfer_end *dst, uint64_t len,
		      const struct xfer_ctx *ctx, struct xfer_result *res)
{
	int p[2], devnull = -1, r = -1;
	size_t cap;
	if (xfer_pipe_open(p, &cap) < 0)
		return setup_failed(res);
	int out = dst->fd;
	if (dst->kind == XFER_DISCARD && (out = devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		setup_failed(res);
		goto out;
	}
	struct xfer_op fill = {.sys = XS_SPLICE, .in = src->fd, .out = p[1],
			       .in_off = src->kind == XFER_FILE ? &src->off : NULL, .wait_in = true};
	struct xfer_op drain = {.sys = XS_SPLICE, .in = p[0], .out = out};
	r = pump(&fill, &drain, NULL, cap, len, ctx, res);
out:
	close(p[0]);
	close(p[1]);
	if (devnull >= 0)
		close(devnull);
	return r;
}

int xfer_run(struct xfer_end *src, struct xfer_end *dst, uint64_t len, enum xfer_path path,
	     size_t chunk, const struct xfer_ctx *ctx, struct xfer_result *res)
{
	*res = (struct xfer_result){.status = XFER_DONE};
	int r;
	if (path == XFER_SENDFILE) {
		struct xfer_op op = {.sys = XS_SENDFILE, .in = src->fd, .out = dst->fd,
				     .in_off = &src->off};
		r = xfer_move(&op, len, true, ctx, &res->moved);
		if (r == XFER_EOF && len == XFER_TO_EOF)
			return 0;
		if (r == 0)
			return 0;
		fail(res, r, &op, r == XFER_EOF);
	} else if (path == XFER_SPLICE) {
		if (run_splice(src, dst, len, ctx, res) == 0)
			return 0;
	} else {
		return run_copy(src, dst, len, chunk, ctx, res);
	}
	/* SPEC S-5: a zero-copy path refused before the first byte falls back to copy. */
	bool first_call = res->call == XS_SENDFILE || (res->call == XS_SPLICE && res->at_src);
	if (res->status != XFER_FAILED || res->moved > 0 || !first_call ||
	    src->kind != XFER_FILE || !refused(res->err))
		return -1;
	int why = res->err;
	*res = (struct xfer_result){.status = XFER_DONE};
	r = run_copy(src, dst, len, chunk, ctx, res);
	res->fell_back = true;
	res->fallback_err = why;
	return r;
}

static bool network_errno(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ETIMEDOUT || err == ENOTCONN ||
	       err == ECONNABORTED || err == EHOSTUNREACH || err == ENETUNREACH || err == ENETDOWN;
}

int xfer_explain(const struct xfer_result *r, const struct xfer_end *src, const char *src_name,
		 const struct xfer_end *dst, const char *dst_name, struct zerr *e)
{
	if (r->call == XS_COUNT)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "transfer setup", "", r->err);
	const struct xfer_end *end = r->at_src ? src : dst;
	const char *name = r->at_src ? src_name : dst_name;
	bool net = end->kind == XFER_SOCKET;
	if (r->call == XS_SENDFILE) {
		name = src_name;
		net = network_errno(r->err);
	}
	return zerr_sys(e, net ? ZCP_EXIT_NET : ZCP_EXIT_FILE, xfer_sys_name(r->call), name, r->err);
}
