/* door - one listener, two protocols: look at the first words, become that kind. */
#include "door.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t ZCP_REQUEST[4] = {'Z', 'C', 'Q', '1'};

const struct step_ops *door_pick(const uint8_t *p, size_t n)
{
	size_t k = n < sizeof ZCP_REQUEST ? n : sizeof ZCP_REQUEST;
	if (memcmp(p, ZCP_REQUEST, k) == 0 || p[0] < 'A' || p[0] > 'Z')
		return &serve_ops;
	return &origin_ops;
}

static void door_init(void *conn, int sock, const char *peer, const void *arg)
{
	struct door_conn *c = conn;
	c->cfg = arg;
	serve_init(&c->as.serve, sock, peer, c->cfg);
	c->as.serve.hold = c->cfg->tls != NULL; /* look after the handshake */
}

/* The first words, left unread: 1 to 4 bytes in p; 0 when none came yet (the wait
 * in *want); -1 when the peer ended or failed first (serve says so, reading). */
static ssize_t first_words(struct door_conn *c, uint8_t p[4], int *want)
{
	struct serve_conn *s = &c->as.serve;
	ssize_t n;
	bool wait_out = false;
	if (s->link.tls.ssl) {
		n = tls_peek(&s->link.tls, p, 4, &wait_out);
		s->link.stats.calls[XS_TLS_READ]++;
	} else {
		n = recv(s->link.sock, p, 4, MSG_PEEK | MSG_DONTWAIT);
		s->link.stats.calls[XS_RECVFROM]++;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		*want = wait_out ? STEP_OUT : STEP_IN;
		return 0;
	}
	return n > 0 ? n : -1;
}

/* Becomes the HTTP kind: the serve connection gives up its session (if any) and
 * ends without a word; the origin starts with it. */
static void become_origin(struct door_conn *c)
{
	struct serve_conn *s = &c->as.serve;
	int sock = s->link.sock;
	char peer[NET_ADDR_MAX];
	struct tls_conn tls;
	struct xfer_stats stats = s->link.stats; /* the peeks and the handshake are its calls too */
	int64_t started = s->started_ms;
	memcpy(peer, s->peer, sizeof peer);
	tls_conn_move(&tls, &s->link.tls);
	serve_end(s);
	origin_init(&c->as.origin, sock, peer, c->cfg, tls.ssl ? &tls : NULL);
	c->as.origin.link.stats = stats;
	c->as.origin.head_since_ms = started; /* SPEC H-8: the first head is due from the connection's start */
	if (c->winding) /* SPEC H-8: a stop or --count came first: nothing more is answered */
		origin_wind_down(&c->as.origin);
	c->kind = &origin_ops;
}

static int door_step(void *conn, short events, uint64_t budget)
{
	struct door_conn *c = conn;
	struct serve_conn *s = &c->as.serve;
	if (c->kind)
		return c->kind->step(&c->as, events, budget);
	uint8_t p[4];
	int want = 0;
	ssize_t n;
	if (s->hold && s->state == SERVE_HANDSHAKE && !s->link.tls.ssl) {
		/* SPEC H-11: plaintext HTTP at a TLS sender is answered in HTTP, 400 */
		if ((n = first_words(c, p, &want)) == 0)
			return want;
		if (n > 0 && door_pick(p, (size_t)n) == &origin_ops) {
			become_origin(c);
			return c->kind->step(&c->as, events, budget);
		}
	}
	if (s->hold && s->state != SERVE_REQUEST) { /* serve makes the handshake (or refuses) */
		int r = serve_step(s, events, budget);
		if (r & STEP_ENDED)
			c->kind = &serve_ops;
		if (s->state != SERVE_REQUEST || (r & STEP_ENDED))
			return r;
	}
	if ((n = first_words(c, p, &want)) == 0)
		return want;
	c->kind = n < 0 ? &serve_ops : door_pick(p, (size_t)n);
	if (c->kind == &origin_ops)
		become_origin(c);
	else
		s->hold = false;
	return c->kind->step(&c->as, events, budget);
}

/* Before the choice, the serve connection stands for the door: its deadline (the
 * request's), its expiry and abandon (which then end it as ZCP/1 would). */
static const struct step_ops *now(const struct door_conn *c) { return c->kind ? c->kind : &serve_ops; }

static int64_t door_deadline(const void *conn)
{
	const struct door_conn *c = conn;
	return now(c)->deadline(&c->as);
}

static void door_expire(void *conn)
{
	struct door_conn *c = conn;
	c->kind = now(c);
	c->kind->expire(&c->as);
}

static void door_abandon(void *conn, const char *why)
{
	struct door_conn *c = conn;
	c->kind = now(c);
	c->kind->abandon(&c->as, why);
}

static int door_report(const void *conn, struct step_log *l)
{
	const struct door_conn *c = conn;
	return now(c)->report(&c->as, l);
}

static void door_end(void *conn)
{
	struct door_conn *c = conn;
	now(c)->end(&c->as);
}

static void door_wind_down(void *conn)
{
	struct door_conn *c = conn;
	c->winding = true;
	if (c->kind && c->kind->wind_down)
		c->kind->wind_down(&c->as);
}

/* SPEC H-10: an HTTP client whose first words are there hears 503; any other, what
 * a ZCP/1 receiver hears (S-14). */
static size_t door_busy(const void *arg, int sock, uint8_t *buf, size_t len)
{
	uint8_t p[4];
	ssize_t n = recv(sock, p, sizeof p, MSG_PEEK | MSG_DONTWAIT);
	const struct step_ops *kind = n > 0 ? door_pick(p, (size_t)n) : &serve_ops;
	return kind->busy ? kind->busy(arg, sock, buf, len) : 0;
}

static void door_moved(const void *conn, uint64_t *moved, uint64_t *total)
{
	const struct door_conn *c = conn;
	if (now(c)->moved)
		now(c)->moved(&c->as, moved, total);
}

const struct step_ops door_ops = {
	.size = sizeof(struct door_conn), .init = door_init, .step = door_step, .deadline = door_deadline,
	.expire = door_expire, .abandon = door_abandon, .report = door_report, .end = door_end,
	.busy = door_busy, .wind_down = door_wind_down, .moved = door_moved,
};
