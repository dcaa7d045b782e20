/* xfer - the loop helper and the three transfer paths (SPEC X-1..X-7). */
#include "xfer.h"

#include "mono.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define PIPE_WANT (1 << 20)

const char *xfer_path_name(enum xfer_path p)
{
	return p == XFER_COPY ? "copy" : p == XFER_SENDFILE ? "sendfile" : "splice";
}

const char *xfer_sys_name(enum xfer_sys s)
{
	static const char *const names[XS_COUNT] = {
		"read", "pread64", "write", "sendto", "recvfrom", "sendfile", "splice", "pwrite64", "poll",
		"SSL_read", "SSL_write", "pwritev2",
	};
	return (unsigned)s < XS_COUNT ? names[s] : "?";
}

static void count(const struct xfer_ctx *ctx, enum xfer_sys s)
{
	if (ctx->stats)
		ctx->stats->calls[s]++;
}

/* One system call of op moving at most max bytes. A stream's call says which way
 * a wait goes. */
static ssize_t syscall_once(struct xfer_op *op, size_t max)
{
	bool out = false;
	ssize_t n;
	switch (op->sys) {
	case XS_TLS_READ:
	case XS_TLS_WRITE:
		n = op->sys == XS_TLS_READ ? op->io->read(op->io->arg, op->buf, max, &out)
					   : op->io->write(op->io->arg, op->buf, max, &out);
		op->wait_in = !out;
		return n;
	case XS_READ: return read(op->in, op->buf, max);
	case XS_PREAD: return pread(op->in, op->buf, max, *op->in_off);
	case XS_WRITE: return write(op->out, op->buf, max);
	case XS_SENDTO: return send(op->out, op->buf, max, MSG_NOSIGNAL | op->flags);
	case XS_RECVFROM: return recv(op->in, op->buf, max, op->flags);
	case XS_SENDFILE: return sendfile(op->out, op->in, op->in_off, max);
	case XS_SPLICE: return splice(op->in, op->in_off, op->out, op->out_off, max, op->flags);
	case XS_PWRITE: return pwrite(op->out, op->buf, max, *op->out_off);
	case XS_PWRITEV2: return pwritev2(op->out, &(struct iovec){op->buf, max}, 1, -1, op->flags);
	default: errno = EINVAL; return -1;
	}
}

/* How long the next wait may last: the per-wait timeout, cut at the deadline. */
static int wait_ms(const struct xfer_ctx *ctx)
{
	if (ctx->deadline_ms <= 0)
		return ctx->timeout_ms;
	int64_t left = ctx->deadline_ms - mono_ms();
	if (left <= 0)
		return 0;
	if (ctx->timeout_ms >= 0 && ctx->timeout_ms < left)
		return ctx->timeout_ms;
	return left > INT_MAX ? INT_MAX : (int)left;
}

struct xfer_op xfer_op_sock(bool in, int sock, const struct xfer_io *io, void *buf, int flags)
{
	if (!io)
		return xfer_op_mem(in ? XS_RECVFROM : XS_SENDTO, sock, buf, flags);
	return (struct xfer_op){.sys = in ? XS_TLS_READ : XS_TLS_WRITE, .in = sock, .out = sock,
				.buf = buf, .wait_in = in, .io = io};
}

/* SPEC P-10: a blocking socket's call, bounded by SO_RCVTIMEO / SO_SNDTIMEO
 * (net_block()), says EAGAIN when that bound ran out: the wait is over, not to be
 * waited again. A call asked not to wait, a non-blocking fd or a file (an EAGAIN
 * there is retried, X-6) is only "not ready". */
static bool wait_ran_out(const struct xfer_op *op)
{
	int fd = op->wait_in ? op->in : op->out;
	int nowait = op->sys == XS_SPLICE ? SPLICE_F_NONBLOCK : op->sys == XS_PWRITEV2 ? RWF_NOWAIT : MSG_DONTWAIT;
	struct stat st;
	int fl;
	if (op->flags & nowait || (fl = fcntl(fd, F_GETFL)) < 0 || fl & O_NONBLOCK)
		return false;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
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
		ssize_t n = syscall_once(op, max);
		if (n > 0) {
			*moved += (uint64_t)n;
			if (op->buf)
				op->buf += n;
			if (op->sys == XS_PREAD)
				*op->in_off += n;
			if (op->sys == XS_PWRITE)
				*op->out_off += n;
			if (!all)
				return 0;
			continue;
		}
		if (n == 0)
			return XFER_EOF;
		if (errno == EINTR)
			continue;
		if (op->sys == XS_PWRITEV2 && errno == EOPNOTSUPP && *moved == 0) {
			op->sys = XS_WRITE; /* SPEC P-10: RWF_NOWAIT refused: the blocking write */
			op->flags = 0;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_ran_out(op)) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (ctx->nowait)
			return XFER_AGAIN;
		int fd = op->wait_in ? op->in : op->out;
		bool watch = ctx->stop_on_readable && !op->wait_in;
		struct pollfd p = {.fd = fd, .events = op->wait_in || watch ? POLLIN : 0};
		p.events |= op->wait_in ? 0 : POLLOUT;
		int r;
		do {
			int ms = wait_ms(ctx);
			count(ctx, XS_POLL);
			r = ms == 0 ? 0 : poll(&p, 1, ms);
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			return -1;
		if (watch && (p.revents & POLLIN))
			return XFER_READABLE;
	}
	return 0;
}

int xfer_pipe_open(int fds[2], size_t want, size_t *cap)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	int got = fcntl(fds[1], F_SETPIPE_SZ, (int)want);
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

/* Records in res why op stopped: end of stream (XFER_EOF) or errno. Returns -1. */
static int record_failure(struct xfer_result *res, int r, const struct xfer_op *op, bool at_src)
{
	res->status = r == XFER_EOF ? XFER_SHORT : XFER_FAILED;
	res->err = r == XFER_EOF ? 0 : errno;
	res->call = op->sys;
	res->at_src = at_src;
	return -1;
}

void xfer_pipes_free(struct xfer_pipes *pp)
{
	for (size_t i = 0; i < pp->nfree; i++) {
		close(pp->free[i].fd[0]);
		close(pp->free[i].fd[1]);
	}
	free(pp->free);
	*pp = (struct xfer_pipes){0};
}

/* A pipe for a job: a kept one, or a new one sized by how many the pool made. */
static int pipe_take(struct xfer_job *j)
{
	struct xfer_pipes *pp = j->pool;
	if (!pp)
		return xfer_pipe_open(j->pipe, PIPE_WANT, &j->pipe_cap);
	if (pp->nfree) {
		struct xfer_pipe *p = &pp->free[--pp->nfree];
		j->pipe[0] = p->fd[0], j->pipe[1] = p->fd[1], j->pipe_cap = p->cap;
		return 0;
	}
	size_t want = pp->made < XFER_POOL_BIG ? PIPE_WANT : XFER_POOL_SMALL;
	if (xfer_pipe_open(j->pipe, want, &j->pipe_cap) < 0)
		return -1;
	pp->made++;
	return 0;
}

/* The job's pipe back to its pool when it holds nothing (bytes held in the buffer
 * are not in it, SPEC T-6), else closed. */
static void pipe_give(struct xfer_job *j)
{
	struct xfer_pipes *pp = j->pool;
	bool empty = j->held == 0 || j->in_buf;
	if (pp && empty && pp->nfree < pp->room) {
		pp->free[pp->nfree++] = (struct xfer_pipe){{j->pipe[0], j->pipe[1]}, j->pipe_cap};
		return;
	}
	if (pp && empty) { /* room for one more */
		size_t room = pp->room ? 2 * pp->room : 16;
		struct xfer_pipe *f = realloc(pp->free, room * sizeof *f);
		if (f) {
			pp->free = f, pp->room = room;
			pipe_give(j);
			return;
		}
	}
	if (pp)
		pp->made--;
	close(j->pipe[0]);
	close(j->pipe[1]);
}

int xfer_job_init(struct xfer_job *j, const struct xfer_end *src, const struct xfer_end *dst,
		  uint64_t len, enum xfer_path path, size_t chunk, struct xfer_pipes *pool)
{
	bool spliced = src->records && path == XFER_SPLICE; /* the kernel decrypts (T-6) */
	if ((src->io && !spliced) || dst->io) /* a stream is read and written in user space */
		path = XFER_COPY;
	*j = (struct xfer_job){.src = *src, .dst = *dst, .path = path, .len = len, .chunk = chunk,
			       .pipe = {-1, -1}, .devnull = -1, .pool = pool, .wait_fd = -1,
			       .wait_sys = XS_COUNT,
			       .res = {.status = XFER_DONE}};
	if ((path == XFER_COPY || spliced) && !(j->buf = malloc(chunk)))
		return setup_failed(&j->res);
	if (path != XFER_SPLICE)
		return 0;
	if (pipe_take(j) < 0) {
		j->pipe[0] = j->pipe[1] = -1;
		return setup_failed(&j->res);
	}
	if (dst->kind == XFER_DISCARD && (j->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return setup_failed(&j->res);
	return 0;
}

void xfer_job_free(struct xfer_job *j)
{
	free(j->buf);
	j->buf = NULL;
	if (j->pipe[0] >= 0)
		pipe_give(j);
	if (j->devnull >= 0)
		close(j->devnull);
	j->pipe[0] = j->pipe[1] = j->devnull = -1;
}

/* SPEC T-6: whether a kTLS receive socket's next bytes come through its stream:
 * once after a splice that stopped at what only the stream reads (to_stream), and
 * whenever the stream holds bytes taken from the socket before the job (a record
 * partly read with the head) or since. */
static bool stream_turn(struct xfer_job *j)
{
	const struct xfer_io *io = j->src.io;
	bool once = j->via_io;
	j->via_io = false;
	return j->src.records && (once || (io->pending && io->pending(io->arg) > 0));
}

/* SPEC T-6: a kTLS receive socket's splice refused a record that is not data (EINVAL:
 * a NewSessionTicket, a KeyUpdate, an alert such as close_notify) or met the socket's
 * end, which only the stream tells from a cut (T-5): the stream reads next. Returns
 * whether it does (r is xfer_move's result for op). */
static bool to_stream(struct xfer_job *j, int r, const struct xfer_op *op)
{
	if (!j->src.records || op->sys != XS_SPLICE || (r != XFER_EOF && !(r < 0 && errno == EINVAL)))
		return false;
	return j->via_io = true;
}

/* The op that fills the intermediate (buffer or pipe) from the source. */
static struct xfer_op fill_op(struct xfer_job *j)
{
	off_t *off = j->src.kind == XFER_FILE ? &j->src.off : NULL;
	if (j->path == XFER_SPLICE && !stream_turn(j))
		return (struct xfer_op){.sys = XS_SPLICE, .in = j->src.fd, .out = j->pipe[1],
					.in_off = off, .wait_in = true};
	if (off) {
		struct xfer_op op = xfer_op_mem(XS_PREAD, j->src.fd, j->buf, 0);
		op.in_off = off;
		return op;
	}
	if (j->src.kind == XFER_SOCKET)
		return xfer_op_sock(true, j->src.fd, j->src.io, j->buf, 0);
	return xfer_op_mem(XS_READ, j->src.fd, j->buf, 0);
}

/* The op that delivers what the intermediate holds to the destination. */
static struct xfer_op drain_op(struct xfer_job *j)
{
	off_t *off = j->dst.kind == XFER_FILE ? &j->dst.off : NULL;
	bool nowait = j->dst.kind == XFER_STREAM && j->dst.nowait;
	if (j->path == XFER_SPLICE && !j->in_buf)
		return (struct xfer_op){.sys = XS_SPLICE, .in = j->pipe[0],
					.out = j->dst.kind == XFER_DISCARD ? j->devnull : j->dst.fd,
					.out_off = off, .flags = nowait ? SPLICE_F_NONBLOCK : 0};
	if (j->dst.kind == XFER_SOCKET)
		return xfer_op_sock(false, j->dst.fd, j->dst.io, j->buf + j->held_off, 0);
	if (nowait)
		return xfer_op_mem(XS_PWRITEV2, j->dst.fd, j->buf + j->held_off, RWF_NOWAIT);
	struct xfer_op op = xfer_op_mem(off ? XS_PWRITE : XS_WRITE, j->dst.fd, j->buf + j->held_off, 0);
	op.out_off = off;
	return op;
}

static bool refused(int err) { return err == EINVAL || err == ENOSYS; }

/* SPEC S-5: a zero-copy path refused by the first call, before any byte moved,
 * continues on the copy path. Returns 0 when switched, -1 otherwise. */
static int fall_back(struct xfer_job *j, const struct xfer_op *op)
{
	struct xfer_result *res = &j->res;
	bool first = res->moved == 0 && j->held == 0 &&
		     (op->sys == XS_SENDFILE || (op->sys == XS_SPLICE && res->at_src));
	if (!first || j->src.kind != XFER_FILE || !refused(res->err))
		return -1;
	if (!(j->buf = malloc(j->chunk)))
		return setup_failed(res);
	int why = res->err;
	j->res = (struct xfer_result){.status = XFER_DONE, .fell_back = true, .fallback_err = why};
	j->path = XFER_COPY;
	return 0;
}

/* The outcome of a call of op that moved less than asked (r is xfer_move's result):
 * 0 to go on after a fallback to copy (SPEC S-5), else the step's result: waits pass
 * through, failures are recorded in j->res. */
static int stopped(struct xfer_job *j, int r, const struct xfer_op *op, bool at_src)
{
	if (r == XFER_AGAIN) {
		j->wait_fd = op->wait_in ? op->in : op->out;
		j->wait_in = op->wait_in;
		j->wait_sys = op->sys;
		if (at_src && j->src.kind == XFER_FILE) { /* a file is never "ready": wait for the
							    * destination, which is, and try again */
			j->wait_fd = j->dst.fd;
			j->wait_in = false;
		}
	}
	if (r == XFER_AGAIN || r == XFER_READABLE)
		return r;
	if (r == XFER_EOF && !at_src)
		errno = EIO; /* a destination that takes 0 bytes is broken */
	record_failure(&j->res, r == XFER_EOF && !at_src ? -1 : r, op, at_src);
	return fall_back(j, op) == 0 ? 0 : -1;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;
	return m < c ? m : c;
}

int xfer_job_step(struct xfer_job *j, uint64_t budget, const struct xfer_ctx *ctx)
{
	struct xfer_result *res = &j->res;
	uint64_t got;
	while (res->moved < j->len) {
		if (budget == 0)
			return XFER_MORE;
		uint64_t left = j->len - res->moved;
		int r;
		if (j->path == XFER_SENDFILE) {
			struct xfer_op op = {.sys = XS_SENDFILE, .in = j->src.fd, .out = j->dst.fd,
					     .in_off = &j->src.off};
			r = xfer_move(&op, left < budget ? left : budget, true, ctx, &got);
			res->moved += got;
			budget -= got;
			if (r == XFER_EOF && j->len == XFER_TO_EOF)
				return 0;
			if (r && (r = stopped(j, r, &op, r == XFER_EOF)) != 0)
				return r;
			continue;
		}
		if (j->held == 0) {
			struct xfer_op fill = fill_op(j);
			r = xfer_move(&fill, min3(left, fill.sys == XS_SPLICE ? j->pipe_cap : j->chunk,
						  budget), false, ctx, &got);
			if (r && to_stream(j, r, &fill))
				continue; /* nothing moved (!all) */
			if (r == XFER_EOF && j->len == XFER_TO_EOF)
				return 0;
			if (r && (r = stopped(j, r, &fill, true)) != 0)
				return r;
			j->held = got, j->held_off = 0, j->in_buf = fill.sys != XS_SPLICE;
			if (j->in_buf && j->dst.kind == XFER_DISCARD) {
				res->moved += got, j->held = 0;
				budget -= got < budget ? got : budget;
				continue;
			}
		}
		struct xfer_op drain = drain_op(j);
		r = xfer_move(&drain, j->held, true, ctx, &got);
		if (drain.sys == XS_WRITE) /* RWF_NOWAIT refused, if it was asked (P-10) */
			j->dst.nowait = false;
		j->held -= got, j->held_off += got;
		res->moved += got;
		budget -= got < budget ? got : budget;
		if (r && (r = stopped(j, r, &drain, false)) != 0)
			return r;
	}
	return 0;
}

const char *xfer_job_out_wait(const struct xfer_job *j)
{
	if (j->dst.kind != XFER_STREAM || j->wait_in || j->wait_fd != j->dst.fd)
		return NULL;
	return xfer_sys_name(j->wait_sys);
}

int xfer_run(struct xfer_end *src, struct xfer_end *dst, uint64_t len, enum xfer_path path,
	     size_t chunk, const struct xfer_ctx *ctx, struct xfer_result *res)
{
	struct xfer_job j;
	int r = xfer_job_init(&j, src, dst, len, path, chunk, NULL);
	if (r == 0)
		r = xfer_job_step(&j, UINT64_MAX, ctx);
	src->off = j.src.off;
	*res = j.res;
	xfer_job_free(&j);
	return r == XFER_AGAIN || r == XFER_READABLE || r == 0 ? r : -1;
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
	if (r->call == XS_SENDFILE) { /* one call, two objects: the errno tells which */
		net = network_errno(r->err);
		name = net ? dst_name : src_name;
	}
	return zerr_sys(e, net ? ZCP_EXIT_NET : ZCP_EXIT_FILE, xfer_sys_name(r->call), name, r->err);
}
