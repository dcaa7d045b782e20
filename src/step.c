/* step - the poll() driver of one connection. */
#include "step.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/sockios.h>

#include "mono.h"

struct xfer_ctx step_ctx(struct step_link *l)
{
	return (struct xfer_ctx){.timeout_ms = -1, .nowait = true, .stats = &l->stats};
}

void step_moved(struct step_link *l, uint64_t n)
{
	if (n)
		l->progress_ms = mono_ms();
}

const struct xfer_io *step_io(const struct step_link *l)
{
	return l->tls.ssl ? &l->tls.io : NULL;
}

int step_handshake(struct step_link *l, struct tls_ctx *ctx, const char *peer, struct zerr *e)
{
	if (!l->tls.ssl && tls_conn_start_named(&l->tls, ctx, l->sock, l->tls_name) < 0)
		return zerr_set(e, ZCP_EXIT_SYSTEM, "SSL_new", peer, "%s", l->tls.why);
	switch (tls_handshake(&l->tls)) {
	case TLS_HS_DONE: return 0;
	case TLS_HS_READ: return STEP_IN;
	case TLS_HS_WRITE: return STEP_OUT;
	case TLS_HS_SYS: return zerr_sys(e, ZCP_EXIT_NET, "SSL_do_handshake", peer, errno);
	default:
		step_drop_input(l); /* the alert, if any, is read before the close */
		return zerr_set(e, ZCP_EXIT_AUTH, "SSL_do_handshake", peer, "%s", l->tls.why);
	}
}

void step_drop_input(struct step_link *l)
{
	do /* SPEC X-8: every call counted, the last (EAGAIN, or the end) too */
		l->stats.calls[XS_RECVFROM]++;
	while (recv(l->sock, NULL, 1 << 20, MSG_TRUNC | MSG_DONTWAIT) > 0);
}

void step_tls_words(const struct step_link *l, struct zerr *e)
{
	if (!l->tls.ssl || !*l->tls.why || strcmp(e->reason, strerror(EPROTO)) != 0)
		return;
	snprintf(e->reason, sizeof e->reason, "%s", l->tls.why);
	if (l->tls.alert) /* SPEC T-4: the peer refused the session */
		e->code = ZCP_EXIT_AUTH;
}

enum frameio_result step_read(struct step_link *l, enum wire_frame t, void *out, const char *peer,
			      struct zerr *e, int *wire_err)
{
	struct xfer_ctx ctx = step_ctx(l);
	size_t before = l->have;
	int werr = 0;
	enum frameio_result r = frameio_read(l->sock, step_io(l), t, l->frame, &l->have, out, &ctx, &werr);
	step_moved(l, l->have - before);
	if (r != FRAMEIO_OK && r != FRAMEIO_AGAIN) {
		frameio_explain(r, t, werr, peer, e);
		if (l->tls.ssl && *e->call)
			e->call = xfer_sys_name(XS_TLS_READ);
		step_tls_words(l, e);
	}
	if (wire_err)
		*wire_err = werr;
	return r;
}

/* SPEC P-10: the bytes fd, j's output, holds for its reader, or -1 when it cannot
 * tell; which ioctl asks is decided once a link (a fstat). */
static int64_t out_held(struct step_link *l, int fd)
{
	struct stat st;
	if (l->out_ask == 0)
		l->out_ask = fstat(fd, &st) < 0 ? -1 : S_ISFIFO(st.st_mode) ? FIONREAD
			   : S_ISSOCK(st.st_mode) ? SIOCOUTQ : -1;
	int n;
	return l->out_ask > 0 && ioctl(fd, (unsigned long)l->out_ask, &n) == 0 ? n : -1;
}

int step_job(struct step_link *l, struct xfer_job *j, uint64_t budget, int *want)
{
	struct xfer_ctx ctx = step_ctx(l);
	uint64_t before = j->res.moved;
	int r = xfer_job_step(j, budget, &ctx);
	step_moved(l, j->res.moved - before);
	if (r == XFER_AGAIN && xfer_job_out_wait(j))
		step_out_wait(l, j->dst.fd);
	*want = r == XFER_MORE ? STEP_YIELD | STEP_IN : r == XFER_AGAIN ? j->wait_in ? STEP_IN : STEP_OUT : 0;
	return r;
}

void step_out_wait(struct step_link *l, int fd) { l->out_held = out_held(l, fd); }

bool step_out_taken(struct step_link *l, int fd)
{
	int64_t then = l->out_held, now = out_held(l, fd);
	if (then < 0 || now < 0 || now >= then)
		return false;
	l->out_held = now;
	l->progress_ms = mono_ms();
	return true;
}

int step_write(struct step_link *l, int flags)
{
	struct xfer_ctx ctx = step_ctx(l);
	struct xfer_op op = xfer_op_sock(false, l->sock, step_io(l), l->frame + l->have, flags);
	uint64_t put;
	int r = xfer_move(&op, l->len - l->have, true, &ctx, &put);
	l->have += put;
	step_moved(l, put);
	return r == 0 ? 1 : r == XFER_AGAIN ? 0 : -1;
}

void step_drive(void *conn, const struct step_ops *ops, struct xfer_stats *stats,
		const struct step_progress *pg)
{
	short events = 0;
	for (;;) {
		int want = ops->step(conn, events, pg ? pg->every : UINT64_MAX);
		if (pg) {
			uint64_t moved, total;
			ops->moved(conn, &moved, &total);
			pg->tick(pg->arg, moved, total);
		}
		if (want & STEP_ENDED)
			return;
		if (want & STEP_YIELD) { /* nobody else to serve: go on */
			events = 0;
			continue;
		}
		struct pollfd p = {.fd = ops->wait_fd(conn), .events = (short)((want & STEP_IN ? POLLIN : 0) |
							  (want & STEP_OUT ? POLLOUT : 0))};
		int64_t deadline = ops->deadline(conn);
		int64_t left = deadline ? deadline - mono_ms() : -1;
		int n = deadline && left <= 0 ? 0 : poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		stats->calls[XS_POLL]++;
		if (n == 0)
			ops->expire(conn);
		events = n > 0 ? p.revents : 0;
	}
}
