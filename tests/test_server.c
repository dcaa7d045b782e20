/* Check suite for the server's event loop (SPEC S-13..S-16, P-11, R-16) with real
 * sockets and the real loop, no mocks. The clients connect and send before
 * server_run() (the kernel completes the handshakes and queues the bytes), so one
 * process drives both ends; the log callback is where a test acts mid-loop. Most
 * tests drive a connection kind defined here, in one table ("echo"), which proves
 * that adding a kind is adding a table; the last ones drive the two real kinds. */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "fetch.h"
#include "fsio.h"
#include "mono.h"
#include "serve.h"
#include "server.h"
#include "testutil.h"

/* --- the echo kind: reads len bytes, sending each back, at most budget a step;
 * ends ok when all are back, failed on end of stream, its deadline or a stop. */

struct echo_cfg {
	uint64_t len;
	int timeout_ms; /* no progress for this long ends it */
};

struct echo {
	int sock;
	char peer[NET_ADDR_MAX];
	const struct echo_cfg *cfg;
	uint8_t byte;
	bool holding;         /* byte was read and is not sent back yet */
	uint64_t echoed;
	int64_t started_ms, progress_ms;
	double seconds;
	bool done;
	int result;
	struct zerr err;
	struct xfer_stats stats;
};

static int lowat_seen = -1; /* TCP_NOTSENT_LOWAT of the last connection started */
static unsigned ends;       /* end() calls */

static void echo_init(void *conn, int sock, const char *peer, const void *arg)
{
	struct echo *c = conn;
	c->sock = sock;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->cfg = arg;
	c->started_ms = c->progress_ms = mono_ms();
	socklen_t len = sizeof lowat_seen;
	getsockopt(sock, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat_seen, &len);
}

static int echo_ended(struct echo *c, int result, const char *why)
{
	c->done = true;
	c->result = result;
	if (result)
		zerr_set(&c->err, result, "", c->peer, "%s", why);
	c->seconds = (double)(mono_ms() - c->started_ms) / 1000;
	return STEP_ENDED;
}

static int echo_step(void *conn, short events, uint64_t budget)
{
	struct echo *c = conn;
	(void)events; /* it knows what it waits for */
	if (c->done)
		return STEP_ENDED;
	for (uint64_t moved = 0; c->echoed < c->cfg->len; moved++) {
		if (moved == budget)
			return STEP_YIELD | STEP_IN;
		if (!c->holding) {
			ssize_t k = recv(c->sock, &c->byte, 1, 0);
			c->stats.calls[XS_RECVFROM]++;
			if (k < 0 && errno == EAGAIN)
				return STEP_IN;
			if (k <= 0)
				return echo_ended(c, ZCP_EXIT_PROTO, "closed early");
			c->holding = true;
		}
		ssize_t k = send(c->sock, &c->byte, 1, MSG_NOSIGNAL);
		c->stats.calls[XS_SENDTO]++;
		if (k < 0 && errno == EAGAIN)
			return STEP_OUT;
		if (k < 0)
			return echo_ended(c, ZCP_EXIT_NET, "send failed");
		c->holding = false;
		c->echoed++;
		c->progress_ms = mono_ms();
	}
	return echo_ended(c, 0, "");
}

static int64_t echo_deadline(const void *conn)
{
	const struct echo *c = conn;
	return c->done ? 0 : c->progress_ms + c->cfg->timeout_ms;
}

static void echo_expire(void *conn) { echo_ended(conn, ZCP_EXIT_NET, "timed out"); }

static void echo_abandon(void *conn, const char *why) { echo_ended(conn, ZCP_EXIT_NET, why); }

static int echo_report(const void *conn, struct step_log *l)
{
	const struct echo *c = conn;
	*l = (struct step_log){.peer = c->peer, .name = "echo", .length = c->cfg->len, .bytes = c->echoed,
			       .seconds = c->seconds, .result = c->result, .err = &c->err, .stats = &c->stats};
	return c->result;
}

static void echo_end(void *conn)
{
	(void)conn;
	ends++;
}

static size_t echo_busy(uint8_t *buf, size_t len)
{
	static const char say[] = "BUSY\n";
	ck_assert_uint_ge(len, sizeof say - 1);
	memcpy(buf, say, sizeof say - 1);
	return sizeof say - 1;
}

static const struct step_ops echo_ops = {
	.size = sizeof(struct echo), .init = echo_init, .step = echo_step, .deadline = echo_deadline,
	.expire = echo_expire, .abandon = echo_abandon, .report = echo_report, .end = echo_end,
	.busy = echo_busy,
};

/* --- the server under test, its log, and its clients */

struct seen {
	bool busy, received;
	int result;
	uint64_t bytes;
	char name[64], reason[ZERR_LINE_MAX];
};

static struct seen seen[16];
static unsigned nseen;
static void (*on_log)(unsigned i); /* acts after the i-th record, or NULL */
static volatile sig_atomic_t stop;
static int lfd;
static char bound[NET_ADDR_MAX];
static struct server_cfg cfg;
static char dir[256];

static void log_record(void *arg, const struct step_log *l)
{
	(void)arg;
	ck_assert_uint_lt(nseen, 16);
	struct seen *s = &seen[nseen];
	*s = (struct seen){.busy = l->busy, .received = l->received, .result = l->result, .bytes = l->bytes};
	snprintf(s->name, sizeof s->name, "%s", l->name);
	if (l->result)
		snprintf(s->reason, sizeof s->reason, "%s", l->err->reason);
	if (on_log)
		on_log(nseen);
	nseen++;
}

static struct echo_cfg echo_cfg = {.len = 10, .timeout_ms = 10000};

static void setup(void)
{
	struct zerr e;
	signal(SIGPIPE, SIG_IGN);
	lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lfd, 0);
	nseen = ends = 0;
	on_log = NULL;
	stop = 0;
	lowat_seen = -1;
	echo_cfg = (struct echo_cfg){.len = 10, .timeout_ms = 10000};
	cfg = (struct server_cfg){.kind = &echo_ops, .kind_arg = &echo_cfg, .max_chunk = 3,
				  .max_clients = 8, .drain_ms = 10000, .log = log_record, .stop = &stop};
	dir[0] = '\0';
}

static void teardown(void)
{
	if (lfd >= 0)
		close(lfd);
	if (dir[0])
		tu_rmtree(dir);
}

/* A client connected (queued in the listener's backlog) that sent n bytes of text. */
static int client(const char *text, size_t n)
{
	struct zerr e;
	char peer[NET_ADDR_MAX];
	int fd = net_connect(bound, 5000, peer, sizeof peer, &e);
	ck_assert_int_ge(fd, 0);
	if (n)
		ck_assert_int_eq(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
	return fd;
}

/* Reads exactly n bytes (each wait bounded) into buf. */
static void client_read(int fd, void *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ssize_t k = recv(fd, (uint8_t *)buf + at, n - at, 0);
		ck_assert_int_gt(k, 0);
		at += (size_t)k;
	}
}

/* Asserts that the server closed fd with nothing more to read (an end of stream, or
 * the reset of a connection closed unread). */
static void client_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t b;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_le(recv(fd, &b, 1, 0), 0);
	close(fd);
}

static void expect_echo(int fd, const char *text)
{
	char got[64] = "";
	client_read(fd, got, strlen(text));
	ck_assert_str_eq(got, text);
	client_closed(fd);
}

static int run(void)
{
	struct zerr e;
	int r = server_run(lfd, &cfg, &e);
	ck_assert_int_ge(r, 0);
	return r;
}

/* --- the loop, with the echo kind */

/* SPEC S-13: accepted connections step, at most --max-chunk bytes a turn, until
 * they end; each is logged as it ends, and ended (end()) once. */
START_TEST(s13_connections_step_in_turns_until_they_end)
{
	int a = client("0123456789", 10), b = client("abcdefghij", 10);
	cfg.count = 2;
	ck_assert_int_eq(run(), 0);
	expect_echo(a, "0123456789");
	expect_echo(b, "abcdefghij");
	ck_assert_uint_eq(nseen, 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert(!seen[i].busy && !seen[i].received);
		ck_assert_int_eq(seen[i].result, 0);
		ck_assert_uint_eq(seen[i].bytes, 10);
		ck_assert_str_eq(seen[i].name, "echo");
	}
	ck_assert_uint_eq(ends, 2);
}
END_TEST

/* SPEC S-13: a connection that makes no progress is given up at its deadline,
 * logged failed with the kind's reason; with a count, the loop returns its class. */
START_TEST(s13_deadline_expires_and_is_logged)
{
	echo_cfg.timeout_ms = 200;
	int a = client("01234", 5);
	cfg.count = 1;
	int64_t t0 = mono_ms();
	ck_assert_int_eq(run(), ZCP_EXIT_NET);
	int64_t waited = mono_ms() - t0;
	ck_assert_int_ge(waited, 200);
	ck_assert_int_lt(waited, 200 + 5000);
	char got[8] = "";
	client_read(a, got, 5);
	ck_assert_str_eq(got, "01234");
	client_closed(a);
	ck_assert_uint_eq(nseen, 1);
	ck_assert_int_eq(seen[0].result, ZCP_EXIT_NET);
	ck_assert_str_eq(seen[0].reason, "timed out");
	ck_assert_uint_eq(seen[0].bytes, 5);
	ck_assert_uint_eq(ends, 1);
}
END_TEST

/* Stops the loop once a transfer (not a refusal) was logged. */
static void stop_after_a_transfer(unsigned i)
{
	if (!seen[i].busy)
		stop = SIGTERM;
}

/* SPEC S-14: beyond --max-clients a connection hears the kind's busy bytes, is
 * closed and logged busy. */
START_TEST(s14_beyond_max_clients_hears_busy)
{
	echo_cfg.timeout_ms = 200;
	int a = client("01234", 5), b = client("", 0); /* b unread bytes would reset it */
	cfg.max_clients = 1;
	on_log = stop_after_a_transfer;
	ck_assert_int_eq(run(), 0); /* a timed out; b was refused */
	char got[8] = "";
	client_read(b, got, 5);
	ck_assert_str_eq(got, "BUSY\n");
	client_closed(b);
	client_read(a, got, 5);
	client_closed(a);
	ck_assert_uint_eq(nseen, 2);
	ck_assert(seen[0].busy);
	ck_assert_str_eq(seen[0].name, "");
	ck_assert(!seen[1].busy);
	ck_assert_str_eq(seen[1].reason, "timed out");
	ck_assert_uint_eq(ends, 1);
}
END_TEST

static void stop_at_once(unsigned i)
{
	(void)i;
	stop = SIGTERM;
}

/* SPEC S-14 S-16: --max-clients counts the whole server: a worker with no
 * connection of its own refuses one when another worker holds them all. */
START_TEST(s14_other_workers_connections_count)
{
	static _Atomic unsigned live[SERVER_WORKERS_MAX];
	struct server_worker w = {.index = 0, .live = live};
	live[1] = 1; /* the other worker's */
	echo_cfg.timeout_ms = 200;
	int b = client("", 0);
	cfg.max_clients = 1;
	cfg.worker = &w;
	on_log = stop_at_once;
	ck_assert_int_eq(run(), 0);
	char got[8] = "";
	client_read(b, got, 5);
	ck_assert_str_eq(got, "BUSY\n");
	client_closed(b);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(seen[0].busy);
	ck_assert_uint_eq(live[0], 0);
}
END_TEST

/* SPEC S-14 R-16: a kind with nothing to say to a refused connection: it is only closed. */
START_TEST(s14_busy_without_words_is_only_closed)
{
	struct step_ops mute = echo_ops;
	mute.busy = NULL;
	mute.received = true;
	cfg.kind = &mute;
	echo_cfg.timeout_ms = 200;
	int a = client("01234", 5), b = client("", 0); /* b unread bytes would reset it */
	cfg.max_clients = 1;
	on_log = stop_after_a_transfer;
	ck_assert_int_eq(run(), 0);
	client_closed(b);
	client_read(a, (char[8]){0}, 5);
	client_closed(a);
	ck_assert_uint_eq(nseen, 2);
	ck_assert(seen[0].busy && seen[0].received);
}
END_TEST

/* SPEC S-13: each connection's socket gets TCP_NOTSENT_LOWAT when one is set. */
START_TEST(s13_notsent_lowat_set_on_each_connection)
{
	int a = client("0123456789", 10);
	cfg.count = 1;
	cfg.notsent_lowat = 16384;
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(lowat_seen, 16384);
	expect_echo(a, "0123456789");
}
END_TEST

/* SPEC S-7 S-15: with --count the loop stops accepting once that many were taken:
 * a connection still queued is not served. */
START_TEST(s15_count_ends_the_loop)
{
	int a = client("0123456789", 10), b = client("abcdefghij", 10);
	cfg.count = 1;
	ck_assert_int_eq(run(), 0);
	expect_echo(a, "0123456789");
	uint8_t byte;
	ck_assert_int_eq(recv(b, &byte, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(b);
	ck_assert_uint_eq(nseen, 1);
}
END_TEST

static int late = -1; /* a client whose last byte comes after the stop */

static void stop_then_finish(unsigned i)
{
	if (i != 0)
		return;
	stop = SIGTERM;
	if (late >= 0)
		ck_assert_int_eq(send(late, "j", 1, MSG_NOSIGNAL), 1);
}

/* SPEC S-15: a stop request closes the door; a transfer in flight goes on and
 * ends, and the loop returns 0. */
START_TEST(s15_stop_drains_the_transfers_in_flight)
{
	late = client("abcdefghi", 9);
	int a = client("0123456789", 10);
	on_log = stop_then_finish;
	ck_assert_int_eq(run(), 0);
	expect_echo(a, "0123456789");
	expect_echo(late, "abcdefghij");
	ck_assert_uint_eq(nseen, 2);
	ck_assert_uint_eq(seen[0].bytes, 10); /* a first, then the late one, both ok */
	ck_assert_int_eq(seen[1].result, 0);
	ck_assert_uint_eq(seen[1].bytes, 10);
}
END_TEST

/* SPEC S-15: when the drain runs out, the rest are abandoned with the server's
 * reason, each logged, and the loop returns 128 + the signal. */
START_TEST(s15_drain_running_out_cuts_the_rest)
{
	int b = client("abcdefghi", 9), a = client("0123456789", 10);
	late = -1;
	on_log = stop_then_finish;
	cfg.drain_ms = 200;
	ck_assert_int_eq(run(), 128 + SIGTERM);
	expect_echo(a, "0123456789");
	char got[16] = "";
	client_read(b, got, 9);
	client_closed(b);
	ck_assert_uint_eq(nseen, 2);
	ck_assert_int_eq(seen[1].result, ZCP_EXIT_NET);
	ck_assert_str_eq(seen[1].reason, "stopped: the drain time ran out");
	ck_assert_uint_eq(ends, 2);
}
END_TEST

/* A worker: one loop on the shared lfd until one transfer ended; its exit status. */
static int one_loop(int l, const struct server_worker *w, void *arg)
{
	(void)arg;
	struct zerr e;
	cfg.count = 1;
	cfg.worker = w;
	return server_run(l, &cfg, &e);
}

/* SPEC S-16: n loops on the one listening socket, each in its own process; the
 * first nonzero status of a worker is the status. */
START_TEST(s16_workers_each_run_a_loop)
{
	struct zerr e;
	echo_cfg.timeout_ms = 200;
	int a = client("0123456789", 10);
	int b = client("01234", 5); /* times out in whichever worker took it */
	ck_assert_int_eq(server_workers(lfd, 2, one_loop, NULL, NULL, &e), ZCP_EXIT_NET);
	lfd = -1; /* closed by server_workers() */
	expect_echo(a, "0123456789");
	expect_echo(b, "01234");
}
END_TEST

/* --- the two real kinds through the same loop */

/* SPEC P-11 S-7: zcp-send's kind: a request served, the ack (queued already) read. */
START_TEST(p11_serve_kind_serves_a_request)
{
	char path[300];
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/data.bin", dir);
	tu_make_file(path, 100);
	struct serve_cfg sc = {.file = path, .rootfd = -1, .path = XFER_COPY, .chunk = 65536,
			       .timeout_ms = 5000, .header_timeout_ms = 5000};
	uint8_t frames[WIRE_FRAME_MAX];
	struct wire_request q = {0};
	ssize_t n = wire_encode_request(&q, frames, sizeof frames);
	struct wire_ack ok = {.status = WIRE_ACK_OK, .received = 100};
	n += wire_encode_ack(&ok, frames + n, sizeof frames - (size_t)n);
	int a = client((const char *)frames, (size_t)n);
	cfg.kind = &serve_ops;
	cfg.kind_arg = &sc;
	cfg.max_chunk = 1 << 20;
	cfg.count = 1;
	ck_assert_int_eq(run(), 0);
	uint8_t got[WIRE_RESPONSE_FIXED + 8 + 100];
	struct wire_response resp;
	client_read(a, got, sizeof got);
	ck_assert_int_eq(wire_parse_response(got, sizeof got, &resp), WIRE_RESPONSE_FIXED + 8);
	ck_assert_uint_eq(resp.length, 100);
	for (unsigned i = 0; i < 100; i++)
		ck_assert_uint_eq(got[WIRE_RESPONSE_FIXED + 8 + i], tu_byte(i));
	client_closed(a);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(!seen[0].received);
	ck_assert_int_eq(seen[0].result, 0);
	ck_assert_str_eq(seen[0].name, "data.bin");
	ck_assert_uint_eq(seen[0].bytes, 100);
}
END_TEST

/* SPEC S-14: zcp-send's kind tells a refused receiver BUSY. */
START_TEST(s14_serve_kind_answers_busy)
{
	struct serve_cfg sc = {.file = "/nonexistent", .rootfd = -1, .path = XFER_COPY, .chunk = 65536,
			       .timeout_ms = 200, .header_timeout_ms = 200};
	int a = client("", 0), b = client("", 0);
	cfg.kind = &serve_ops;
	cfg.kind_arg = &sc;
	cfg.max_clients = 1;
	on_log = stop_after_a_transfer;
	ck_assert_int_eq(run(), 0); /* a: no request within the header deadline */
	uint8_t got[WIRE_RESPONSE_FIXED];
	struct wire_response resp;
	client_read(b, got, sizeof got);
	ck_assert_int_eq(wire_parse_response(got, sizeof got, &resp), WIRE_RESPONSE_FIXED);
	ck_assert_uint_eq(resp.status, WIRE_BUSY);
	client_closed(b);
	client_closed(a);
	ck_assert(seen[0].busy && !seen[0].received);
}
END_TEST

/* SPEC R-16: zcp-recv's kind: a push stored into the directory as its name, acked. */
START_TEST(r16_fetch_kind_takes_a_push_into_the_directory)
{
	struct zerr e;
	char path[300];
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, dir, 0, &e), 0);
	struct fetch_cfg fc = {.path = XFER_COPY, .chunk = 65536, .timeout_ms = 5000};
	struct fetch_push push = {.cfg = &fc, .out = &out};
	uint8_t frames[WIRE_FRAME_MAX + 50];
	struct wire_response r = {.status = WIRE_OK, .file_size = 50, .length = 50, .name_len = 10};
	memcpy(r.name, "pushed.bin", 10);
	ssize_t n = wire_encode_response(&r, frames, sizeof frames);
	for (unsigned i = 0; i < 50; i++)
		frames[n + i] = tu_byte(i);
	int a = client((const char *)frames, (size_t)n + 50);
	shutdown(a, SHUT_WR);
	cfg.kind = &fetch_ops;
	cfg.kind_arg = &push;
	cfg.count = 1;
	cfg.max_chunk = 1 << 20;
	ck_assert_int_eq(run(), 0);
	uint8_t got[WIRE_REQUEST_FIXED + WIRE_ACK_SIZE];
	struct wire_ack ack;
	client_read(a, got, sizeof got);
	ck_assert_int_eq(wire_parse_ack(got + WIRE_REQUEST_FIXED, WIRE_ACK_SIZE, &ack), WIRE_ACK_SIZE);
	ck_assert_uint_eq(ack.status, WIRE_ACK_OK);
	ck_assert_uint_eq(ack.received, 50);
	client_closed(a);
	snprintf(path, sizeof path, "%s/pushed.bin", dir);
	tu_check_file(path, 0, 50);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(seen[0].received);
	ck_assert_str_eq(seen[0].name, "pushed.bin");
	ck_assert_uint_eq(seen[0].bytes, 50);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, s13_connections_step_in_turns_until_they_end);
	tcase_add_test(tc, s13_deadline_expires_and_is_logged);
	tcase_add_test(tc, s14_beyond_max_clients_hears_busy);
	tcase_add_test(tc, s14_other_workers_connections_count);
	tcase_add_test(tc, s14_busy_without_words_is_only_closed);
	tcase_add_test(tc, s13_notsent_lowat_set_on_each_connection);
	tcase_add_test(tc, s15_count_ends_the_loop);
	tcase_add_test(tc, s15_stop_drains_the_transfers_in_flight);
	tcase_add_test(tc, s15_drain_running_out_cuts_the_rest);
	tcase_add_test(tc, s16_workers_each_run_a_loop);
	suite_add_tcase(s, tc);
	tc = tcase_create("kinds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, p11_serve_kind_serves_a_request);
	tcase_add_test(tc, s14_serve_kind_answers_busy);
	tcase_add_test(tc, r16_fetch_kind_takes_a_push_into_the_directory);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
