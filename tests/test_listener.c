/* Check suite for the server's event loop (SPEC S-13..S-16, P-11, R-16) with real
 * sockets and the real loop, no mocks. The clients connect and send before
 * listener_run() (the kernel completes the handshakes and queues the bytes), so one
 * process drives both ends; the log callback is where a test acts mid-loop. Most
 * tests drive a connection kind defined here, in one table ("echo"), which proves
 * that adding a kind is adding a table; the last ones drive the two real kinds. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include "fetch.h"
#include "fsio.h"
#include "mono.h"
#include "serve.h"
#include "listener.h"
#include "testutil.h"

/* --- the echo kind: reads len bytes, sending each back, at most budget a step;
 * ends ok when all are back, failed on end of stream, its deadline or a stop. */

struct echo_cfg {
	uint64_t len;
	int timeout_ms;  /* no progress for this long ends it */
	unsigned rounds; /* transfers of len bytes on one connection (0: one), like HTTP's kept-alive */
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
	bool done, quiet, winding; /* quiet: it ended between rounds (nothing to log) */
	int result;
	struct zerr err;
	struct xfer_stats stats;
};

static int lowat_seen = -1; /* TCP_NOTSENT_LOWAT of the last connection started */
static unsigned ends;       /* end() calls */
static int64_t init_ms[16]; /* when each connection started, in the order they did */
static unsigned inits;

static void echo_init(void *conn, int sock, const char *peer, const void *arg)
{
	struct echo *c = conn;
	c->sock = sock;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->cfg = arg;
	c->started_ms = c->progress_ms = mono_ms();
	if (inits < 16)
		init_ms[inits++] = c->started_ms;
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
	uint64_t rounds = c->cfg->rounds ? c->cfg->rounds : 1, all = c->cfg->len * rounds;
	bool between = c->echoed % c->cfg->len == 0 && !c->holding;
	if (c->echoed && c->echoed < all && between && c->winding) {
		c->quiet = true;
		return echo_ended(c, 0, "");
	}
	for (uint64_t moved = 0; c->echoed < all; moved++) {
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
		if (c->echoed % c->cfg->len == 0 && c->echoed < all)
			return STEP_REPORT | (c->winding ? STEP_YIELD : STEP_IN); /* a round ended */
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
	uint64_t in_round = c->echoed % c->cfg->len;
	*l = (struct step_log){.peer = c->peer, .name = "echo", .length = c->cfg->len,
			       .bytes = in_round || !c->echoed ? in_round : c->cfg->len, .seconds = c->seconds,
			       .result = c->result, .err = &c->err, .stats = &c->stats, .quiet = c->quiet};
	return c->result;
}

static void echo_wind_down(void *conn) { ((struct echo *)conn)->winding = true; }

static void echo_end(void *conn)
{
	(void)conn;
	ends++;
}

static int busy_sock = -1; /* the socket the last busy() was told */

/* "BUSY\n", or "WORD\n" to a peer whose first bytes came (H-10: words chosen from them). */
static size_t echo_busy(const void *arg, int sock, uint8_t *buf, size_t len)
{
	(void)arg;
	busy_sock = sock;
	uint8_t b;
	const char *say = recv(sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0 ? "WORD\n" : "BUSY\n";
	ck_assert_uint_ge(len, strlen(say));
	memcpy(buf, say, strlen(say));
	return strlen(say);
}

static const struct step_ops echo_ops = {
	.size = sizeof(struct echo), .init = echo_init, .step = echo_step, .deadline = echo_deadline,
	.expire = echo_expire, .abandon = echo_abandon, .report = echo_report, .end = echo_end,
	.busy = echo_busy, .wind_down = echo_wind_down,
};

/* --- the server under test, its log, and its clients */

struct seen {
	bool busy, received;
	int result;
	uint64_t bytes;
	char name[64], reason[ZERR_LINE_MAX];
};

static struct seen seen[LISTENER_HELD_MAX + 16];
static unsigned nseen;
static void (*on_log)(unsigned i); /* acts after the i-th record, or NULL */
static volatile sig_atomic_t stop;
static int lfd;
static char bound[NET_ADDR_MAX];
static struct listener_cfg cfg;
static char dir[256];

static void log_record(void *arg, const struct step_log *l)
{
	(void)arg;
	ck_assert_uint_lt(nseen, LISTENER_HELD_MAX + 16);
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
	nseen = ends = inits = 0;
	on_log = NULL;
	stop = 0;
	lowat_seen = -1;
	busy_sock = -1;
	echo_cfg = (struct echo_cfg){.len = 10, .timeout_ms = 10000};
	cfg = (struct listener_cfg){.kind = &echo_ops, .kind_arg = &echo_cfg, .max_chunk = 3,
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
	int r = listener_run(lfd, &cfg, &e);
	ck_assert_int_ge(r, 0);
	return r;
}

/* A kind that works without its socket: each step does one unit and yields, len
 * units in all (P-11's HASH: a read-back that needs nothing from the peer). */
static int yield_step(void *conn, short events, uint64_t budget)
{
	struct echo *c = conn;
	(void)events;
	(void)budget;
	if (c->done)
		return STEP_ENDED;
	if (++c->echoed < c->cfg->len)
		return STEP_YIELD;
	return echo_ended(c, 0, "");
}

/* --- the loop, with the echo kind */

/* SPEC S-13: accepted connections step, at most --max-chunk bytes a turn, until
 * they end; each is logged as it ends, and ended (end()) once. */
START_TEST(s13_connections_step_in_turns_until_they_end)
{
	int a = tu_client(bound, "0123456789", 10), b = tu_client(bound, "abcdefghij", 10);
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
	int a = tu_client(bound, "01234", 5);
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
	int a = tu_client(bound, "01234", 5), b = tu_client(bound, "", 0); /* b unread bytes would reset it */
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

/* SPEC S-14 R-16: a kind with nothing to say to a refused connection: it is only closed. */
START_TEST(s14_busy_without_words_is_only_closed)
{
	struct step_ops mute = echo_ops;
	mute.busy = NULL;
	mute.received = true;
	cfg.kind = &mute;
	echo_cfg.timeout_ms = 200;
	int a = tu_client(bound, "01234", 5), b = tu_client(bound, "", 0); /* b unread bytes would reset it */
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
	int a = tu_client(bound, "0123456789", 10);
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
	int a = tu_client(bound, "0123456789", 10), b = tu_client(bound, "abcdefghij", 10);
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
	late = tu_client(bound, "abcdefghi", 9);
	int a = tu_client(bound, "0123456789", 10);
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
	int b = tu_client(bound, "abcdefghi", 9), a = tu_client(bound, "0123456789", 10);
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

/* Stops the loop at any record, a refusal too. */
static void stop_at_once(unsigned i)
{
	(void)i;
	stop = SIGTERM;
}

/* SPEC S-14 S-16: a worker counts every worker's connections: with the only place
 * held by another worker, a connection is refused busy and its place given back. */
START_TEST(s14_worker_refuses_when_the_others_hold_every_place)
{
	static _Atomic unsigned live[LISTENER_WORKERS_MAX];
	struct listener_worker w = {.index = 0, .live = live};
	live[1] = 1; /* worker 1 holds the one place */
	cfg.max_clients = 1;
	cfg.worker = &w;
	int a = tu_client(bound, "", 0);
	on_log = stop_at_once;
	ck_assert_int_eq(run(), 0);
	lfd = -1; /* a worker's stop closed its copy */
	char got[8] = "";
	client_read(a, got, 5);
	ck_assert_str_eq(got, "BUSY\n");
	client_closed(a);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(seen[0].busy);
	ck_assert_uint_eq(live[0], 0); /* taken, then given back */
	ck_assert_uint_eq(live[1], 1);
	ck_assert_uint_eq(ends, 0);
}
END_TEST

/* SPEC S-16: a worker that holds more connections than another leaves the next
 * one to it: it rests from accepting for LISTENER_BALANCE_MS (nginx's
 * accept_disabled, simplified), and takes it itself only when that other did not
 * (here it never does: worker 1 is idle and never accepts). */
START_TEST(s16_busier_worker_leaves_the_next_connection_to_an_idle_one)
{
	static _Atomic unsigned live[LISTENER_WORKERS_MAX];
	struct listener_worker w = {.index = 0, .n = 2, .live = live};
	cfg.worker = &w;
	cfg.count = 2;
	int a = tu_client(bound, "01234", 5); /* held: half its bytes */
	int b = tu_client(bound, "0123456789", 10);
	on_log = NULL;
	pid_t pid = fork(); /* the loop runs until a's client sends the rest */
	if (pid == 0) {
		struct zerr e;
		int r = listener_run(lfd, &cfg, &e);
		long long after = inits == 2 ? (long long)(init_ms[1] - init_ms[0]) : -1;
		fprintf(stderr, "loop %d, %u started, b %lld ms after a\n", r, inits, after);
		tu_exit(r == 0 && after >= LISTENER_BALANCE_MS ? 0 : 1);
	}
	char got[16] = "";
	client_read(b, got, 10);
	ck_assert_str_eq(got, "0123456789");
	ck_assert_int_eq(write(a, "56789", 5), 5);
	client_read(a, got, 10);
	ck_assert_str_eq(got, "0123456789");
	ck_assert_int_eq(tu_child_status(pid), 0);
	close(a);
	close(b);
}
END_TEST

static int drained_sig = -1, drained_live = -1;
static void drained(void *arg, int sig, unsigned n)
{
	(void)arg;
	drained_sig = sig, drained_live = (int)n;
}

static void expire_then_stop(void *conn)
{
	echo_expire(conn);
	stop = SIGTERM;
}

/* SPEC S-15: a stop that comes once the count closed the door drains what is left
 * (nothing) and the loop ends with the count's status. */
START_TEST(s15_stop_after_the_count_closed_the_door)
{
	struct step_ops k = echo_ops;
	k.expire = expire_then_stop;
	cfg.kind = &k;
	cfg.draining = drained;
	cfg.count = 1;
	echo_cfg.timeout_ms = 100;
	int a = tu_client(bound, "01234", 5);
	ck_assert_int_eq(run(), ZCP_EXIT_NET);
	ck_assert_int_eq(drained_sig, SIGTERM);
	ck_assert_int_eq(drained_live, 0);
	ck_assert_uint_eq(nseen, 1);
	ck_assert_str_eq(seen[0].reason, "timed out");
	char got[8] = "";
	client_read(a, got, 5);
	client_closed(a);
}
END_TEST

/* SPEC E-1: a listening descriptor the loop cannot use fails the loop (-1, exit
 * class 1, the call named) before any connection. */
START_TEST(e1_unusable_listener_fails_the_loop)
{
	struct zerr e;
	ck_assert_int_eq(listener_run(-1, &cfg, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(e.call, "fcntl");
	ck_assert_str_eq(e.reason, "Bad file descriptor");
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	char path[300];
	snprintf(path, sizeof path, "%s/f", dir);
	int f = open(tu_make_file(path, 1), O_RDONLY);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(listener_run(f, &cfg, &e), -1); /* epoll takes no regular file */
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(e.call, "epoll_ctl");
	ck_assert_str_eq(e.reason, "Operation not permitted");
	ck_assert_uint_eq(nseen, 0);
	close(f);
}
END_TEST

/* A worker: one loop on the shared lfd until one transfer ended; its exit status. */
static int one_loop(int l, const struct listener_worker *w, void *arg)
{
	(void)arg;
	struct zerr e;
	cfg.count = 1;
	cfg.worker = w;
	return listener_run(l, &cfg, &e);
}

/* SPEC S-16: n loops on the one listening socket, each in its own process; the
 * first nonzero status of a worker is the status. */
START_TEST(s16_workers_each_run_a_loop)
{
	struct zerr e;
	echo_cfg.timeout_ms = 200;
	int a = tu_client(bound, "0123456789", 10);
	int b = tu_client(bound, "01234", 5); /* times out in whichever worker took it */
	ck_assert_int_eq(listener_workers(lfd, 2, one_loop, NULL, NULL, &e), ZCP_EXIT_NET);
	lfd = -1; /* closed by listener_workers() */
	expect_echo(a, "0123456789");
	expect_echo(b, "01234");
}
END_TEST

/* A worker that waits (bounded) for the stop its supervisor relays, writes to the
 * pipe in arg whether it came queued with the count 1 ('1') or not ('0'), and ends. */
static int await_relayed_stop(int l, const struct listener_worker *w, void *arg)
{
	(void)w;
	close(l);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	siginfo_t si;
	struct timespec bound = {10, 0};
	int sig = sigtimedwait(&term, &si, &bound); /* SIGTERM is blocked: it waits here */
	char said = sig == SIGTERM && si.si_code == SI_QUEUE && si.si_value.sival_int == 1 ? '1' : '0';
	ck_assert_int_eq(write(*(const int *)arg, &said, 1), 1);
	tu_exit(0); /* not exit(): LeakSanitizer's check at exit needs a process more */
}

#define LONE_UID 54321 /* a user no other process runs as: its process count is ours */

/* Runs listener_workers() for n workers of run (note, the pipe's end pipe_w) as
 * a user allowed `procs` processes (root is not bounded by RLIMIT_NPROC), root
 * again after; returns its result. */
static int workers_with_nproc(rlim_t procs, unsigned n, int (*run)(int, const struct listener_worker *, void *),
			      void (*note)(void *, const char *), int *pipe_w, struct zerr *e)
{
	ck_assert_int_eq(setresuid(LONE_UID, LONE_UID, 0), 0);
	struct rlimit rl = {procs, procs};
	ck_assert_int_eq(setrlimit(RLIMIT_NPROC, &rl), 0);
	int r = listener_workers(lfd, n, run, note, pipe_w, e);
	lfd = -1; /* closed by listener_workers() */
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	return r;
}

/* SPEC S-16 E-1: no worker can start (fork fails): -1, exit class 1, fork named;
 * the listening socket is closed all the same. */
START_TEST(s16_no_worker_starts)
{
	if (geteuid() != 0)
		return; /* needs to become another user */
	struct zerr e;
	int l = lfd, p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(workers_with_nproc(1, 2, await_relayed_stop, NULL, &p[1], &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(e.call, "fork");
	ck_assert_str_eq(e.reason, "Resource temporarily unavailable");
	ck_assert_int_eq(fcntl(l, F_GETFD), -1);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* SPEC S-16: one worker started and the next could not: the one started is stopped
 * (a relayed SIGTERM, count 1) and the status is exit class 1, fork named. */
START_TEST(s16_workers_that_started_stop_when_one_cannot)
{
	if (geteuid() != 0)
		return;
	struct zerr e;
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(workers_with_nproc(2, 2, await_relayed_stop, NULL, &p[1], &e), ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(e.call, "fork");
	close(p[1]);
	char said[2] = "";
	ck_assert_int_eq(read(p[0], said, sizeof said), 1); /* the one worker, once */
	ck_assert_int_eq(said[0], '1');
	close(p[0]);
}
END_TEST

/* A worker that says it started (a byte to the pipe in arg) and is killed. */
static int started_then_killed(int l, const struct listener_worker *w, void *arg)
{
	(void)w;
	close(l);
	ck_assert_int_eq(write(*(const int *)arg, "w", 1), 1);
	raise(SIGKILL);
	tu_exit(0);
}

static char noted[80];
static timer_t stop_timer;

/* The supervisor's note of a death: from now on no process more may start, and a
 * stop comes half a second after the replacement is due (RESTART_MS, 1 s). */
static void no_more_forks(void *arg, const char *text)
{
	(void)arg;
	snprintf(noted, sizeof noted, "%s", text);
	struct rlimit one = {1, 1};
	ck_assert_int_eq(setrlimit(RLIMIT_NPROC, &one), 0);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGTERM};
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &ev, &stop_timer), 0);
	struct itimerspec at = {.it_value = {1, 500000000}};
	ck_assert_int_eq(timer_settime(stop_timer, 0, &at, NULL), 0);
}

/* SPEC S-16: a worker killed by a signal whose replacement cannot be forked is
 * not fatal: it is tried again later, and a stop still ends the supervisor (0,
 * no worker failed), the dead one said once and no other started. */
START_TEST(s16_failed_replacement_is_retried_until_a_stop)
{
	if (geteuid() != 0)
		return;
	struct zerr e;
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	noted[0] = '\0';
	int r = workers_with_nproc(2, 1, started_then_killed, no_more_forks, &p[1], &e);
	timer_delete(stop_timer);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(strstr(noted, "died (signal 9); starting another"));
	close(p[1]);
	char said[4];
	ck_assert_int_eq(read(p[0], said, sizeof said), 1); /* the first worker only */
	close(p[0]);
}
END_TEST

/* SPEC P-11: a step that yields (its budget spent, nothing to wait for from the
 * socket) is stepped again in the next round, after the others: a yielding
 * connection whose peer sends nothing ends by its work, not by its deadline. */
START_TEST(p11_yielded_connection_stepped_again)
{
	struct step_ops yielder = echo_ops;
	yielder.step = yield_step;
	cfg.kind = &yielder;
	cfg.count = 1;
	echo_cfg = (struct echo_cfg){.len = 5, .timeout_ms = 5000};
	int a = tu_client(bound, "", 0); /* sends nothing: its socket never becomes readable */
	ck_assert_int_eq(run(), 0);
	ck_assert_uint_eq(nseen, 1);
	ck_assert_int_eq(seen[0].result, 0); /* not "timed out" */
	ck_assert_uint_eq(seen[0].bytes, 5);
	client_closed(a);
}
END_TEST

/* SPEC H-9 S-7: a kind whose connection carries several transfers (HTTP's kept-alive
 * one) has each logged when it ends, and --count counts transfers, not connections. */
START_TEST(h9_each_transfer_of_a_kept_connection_is_logged_and_counted)
{
	echo_cfg = (struct echo_cfg){.len = 4, .timeout_ms = 10000, .rounds = 3};
	int a = tu_client(bound, "0123456789ab", 12);
	cfg.count = 3;
	ck_assert_int_eq(run(), 0);
	expect_echo(a, "0123456789ab");
	ck_assert_uint_eq(nseen, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(seen[i].result, 0);
		ck_assert_uint_eq(seen[i].bytes, 4);
	}
	ck_assert_uint_eq(ends, 1);
}
END_TEST

/* SPEC H-8 S-15: a stop winds down a kept connection idle between transfers: it ends
 * at once, unlogged, and the loop returns 0 long before the drain would run out. */
START_TEST(h8_stop_winds_down_an_idle_kept_connection)
{
	echo_cfg = (struct echo_cfg){.len = 4, .timeout_ms = 60000, .rounds = 3};
	int a = tu_client(bound, "0123", 4); /* one round, then idle */
	on_log = stop_at_once;
	cfg.drain_ms = 60000;
	ck_assert_int_eq(run(), 0);
	char got[8] = "";
	client_read(a, got, 4);
	ck_assert_str_eq(got, "0123");
	client_closed(a);
	ck_assert_uint_eq(nseen, 1); /* the idle end is not a transfer */
	ck_assert_uint_eq(ends, 1);
}
END_TEST

/* SPEC H-8 S-7: when --count transfers ended, the kept connections are wound down
 * (not cut): the loop returns the count's status, and an idle one ends unlogged. */
START_TEST(h9_count_reached_winds_down_kept_connections)
{
	echo_cfg = (struct echo_cfg){.len = 4, .timeout_ms = 60000, .rounds = 3};
	int a = tu_client(bound, "0123", 4);
	cfg.count = 1;
	ck_assert_int_eq(run(), 0);
	char got[8] = "";
	client_read(a, got, 4);
	client_closed(a);
	ck_assert_uint_eq(nseen, 1);
	ck_assert_int_eq(seen[0].result, 0);
	ck_assert_uint_eq(ends, 1);
}
END_TEST

/* SPEC H-10: busy() is told the refused connection's socket (to look at what it sent). */
START_TEST(h10_busy_is_told_the_socket)
{
	echo_cfg.timeout_ms = 200;
	int a = tu_client(bound, "01234", 5), b = tu_client(bound, "", 0);
	cfg.max_clients = 1;
	on_log = stop_after_a_transfer;
	ck_assert_int_eq(run(), 0);
	ck_assert_int_ge(busy_sock, 0);
	ck_assert_int_ne(busy_sock, lfd);
	client_read(b, (char[8]){0}, 5);
	client_closed(b);
	client_read(a, (char[8]){0}, 5);
	client_closed(a);
}
END_TEST

static int late_fd = -1;  /* a refused client whose first bytes come after its accept */
static bool late_closes; /* instead, it closes having said nothing */

/* The first transfer logged: late_fd sends its first bytes (or closes); the first
 * refusal: a stop. */
static void late_act_then_stop(unsigned i)
{
	if (seen[i].busy)
		stop = SIGTERM;
	else if (late_closes)
		shutdown(late_fd, SHUT_WR);
	else
		ck_assert_int_eq(send(late_fd, "x", 1, MSG_NOSIGNAL), 1);
}

/* SPEC H-10 S-14: a refused connection whose first bytes come after its accept waits
 * for them, and then hears the words its kind chose from them (_i 0); one that
 * closes instead is refused then, not at its deadline (_i 1); each logged busy once. */
START_TEST(h10_held_refusal_hears_words_chosen_from_its_late_bytes)
{
	late_closes = _i == 1;
	echo_cfg.timeout_ms = 200;
	int a = tu_client(bound, "01234", 5);
	late_fd = tu_client(bound, "", 0);
	cfg.max_clients = 1;
	cfg.busy_wait_ms = 60000;
	on_log = late_act_then_stop;
	int64_t t0 = mono_ms();
	ck_assert_int_eq(run(), 0);
	ck_assert_int_lt(mono_ms() - t0, 30000); /* not at the held one's deadline */
	expect_echo(late_fd, late_closes ? "BUSY\n" : "WORD\n");
	expect_echo(a, "01234");
	ck_assert_uint_eq(nseen, 2);
	ck_assert(!seen[0].busy);
	ck_assert(seen[1].busy);
	ck_assert_uint_eq(ends, 1);
}
END_TEST

/* SPEC S-14: at most LISTENER_HELD_MAX refusals wait for their first bytes; one more
 * is refused at once; a stop refuses those waiting at once (S-15). */
START_TEST(s14_held_refusals_are_bounded)
{
	echo_cfg.timeout_ms = 200;
	int a = tu_client(bound, "01234", 5), b[LISTENER_HELD_MAX + 1];
	for (unsigned i = 0; i <= LISTENER_HELD_MAX; i++)
		b[i] = tu_client(bound, "", 0);
	cfg.max_clients = 1;
	cfg.busy_wait_ms = 60000;
	on_log = stop_after_a_transfer;
	int64_t t0 = mono_ms();
	ck_assert_int_eq(run(), 0);
	ck_assert_int_lt(mono_ms() - t0, 30000); /* the stop did not wait for their deadline */
	ck_assert_uint_eq(nseen, LISTENER_HELD_MAX + 2);
	ck_assert(seen[0].busy);  /* the one beyond the set, at once */
	ck_assert(!seen[1].busy); /* a timed out: the stop */
	for (unsigned i = 2; i < nseen; i++)
		ck_assert(seen[i].busy);
	for (unsigned i = 0; i <= LISTENER_HELD_MAX; i++)
		expect_echo(b[i], "BUSY\n");
	expect_echo(a, "01234");
}
END_TEST

/* Stops the loop at the first refusal. */
static void stop_at_a_refusal(unsigned i)
{
	if (seen[i].busy)
		stop = SIGTERM;
}

/* SPEC S-14: a refusal whose first bytes never come is refused at its deadline. */
START_TEST(s14_held_refusal_refused_at_its_deadline)
{
	echo_cfg.timeout_ms = 60000;
	int a = tu_client(bound, "01234", 5), b = tu_client(bound, "", 0);
	cfg.max_clients = 1;
	cfg.busy_wait_ms = 300;
	cfg.drain_ms = 0;
	on_log = stop_at_a_refusal;
	int64_t t0 = mono_ms();
	ck_assert_int_eq(run(), 128 + SIGTERM); /* a cut by the drain of 0 */
	int64_t waited = mono_ms() - t0;
	ck_assert_int_ge(waited, 300);
	ck_assert_int_lt(waited, 30000);
	expect_echo(b, "BUSY\n");
	expect_echo(a, "01234");
	ck_assert_uint_eq(nseen, 2);
	ck_assert(seen[0].busy);
	ck_assert(!seen[1].busy);
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
	int a = tu_client(bound, (const char *)frames, (size_t)n);
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
	int a = tu_client(bound, "", 0), b = tu_client(bound, "", 0);
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
	int a = tu_client(bound, (const char *)frames, (size_t)n + 50);
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

/* A pusher connected that sent a response for a file name of 50 bytes and the
 * first `sent` of them; with `sent` 50, its end too. */
static int pusher(const char *name, size_t sent)
{
	uint8_t frames[WIRE_FRAME_MAX + 50];
	struct wire_response r = {.status = WIRE_OK, .file_size = 50, .length = 50,
				  .name_len = (uint16_t)strlen(name)};
	memcpy(r.name, name, r.name_len);
	ssize_t n = wire_encode_response(&r, frames, sizeof frames);
	ck_assert_int_gt(n, 0);
	for (unsigned i = 0; i < sent; i++)
		frames[n + i] = tu_byte(i);
	int fd = tu_client(bound, (const char *)frames, (size_t)n + sent);
	if (sent == 50)
		shutdown(fd, SHUT_WR);
	return fd;
}

/* SPEC S-15 R-16 R-2: a push still in flight when the drain runs out is abandoned
 * with the server's reason: logged failed, nothing of it stored. */
START_TEST(r16_fetch_kind_cut_by_the_drain)
{
	struct zerr e;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, dir, 0, &e), 0);
	struct fetch_cfg fc = {.path = XFER_COPY, .chunk = 65536, .timeout_ms = 10000};
	struct fetch_push push = {.cfg = &fc, .out = &out};
	int a = pusher("whole.bin", 50), b = pusher("cut.bin", 20);
	cfg.kind = &fetch_ops;
	cfg.kind_arg = &push;
	cfg.max_chunk = 1 << 20;
	cfg.drain_ms = 200;
	on_log = stop_after_a_transfer;
	ck_assert_int_eq(run(), 128 + SIGTERM);
	ck_assert_uint_eq(nseen, 2);
	ck_assert_int_eq(seen[0].result, 0);
	ck_assert_str_eq(seen[0].name, "whole.bin");
	ck_assert_int_eq(seen[1].result, ZCP_EXIT_NET);
	ck_assert_str_eq(seen[1].reason, "stopped: the drain time ran out");
	char path[300];
	snprintf(path, sizeof path, "%s/whole.bin", dir);
	tu_check_file(path, 0, 50);
	snprintf(path, sizeof path, "%s/cut.bin", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	close(a);
	close(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listener");
	TCase *tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, s13_connections_step_in_turns_until_they_end);
	tcase_add_test(tc, s13_deadline_expires_and_is_logged);
	tcase_add_test(tc, p11_yielded_connection_stepped_again);
	tcase_add_test(tc, s14_beyond_max_clients_hears_busy);
	tcase_add_test(tc, s14_busy_without_words_is_only_closed);
	tcase_add_test(tc, s13_notsent_lowat_set_on_each_connection);
	tcase_add_test(tc, s15_count_ends_the_loop);
	tcase_add_test(tc, s15_stop_drains_the_transfers_in_flight);
	tcase_add_test(tc, s15_drain_running_out_cuts_the_rest);
	tcase_add_test(tc, s16_workers_each_run_a_loop);
	tcase_add_test(tc, s14_worker_refuses_when_the_others_hold_every_place);
	tcase_add_test(tc, s16_busier_worker_leaves_the_next_connection_to_an_idle_one);
	tcase_add_test(tc, s15_stop_after_the_count_closed_the_door);
	tcase_add_test(tc, e1_unusable_listener_fails_the_loop);
	tcase_add_test(tc, s16_no_worker_starts);
	tcase_add_test(tc, s16_workers_that_started_stop_when_one_cannot);
	tcase_add_test(tc, s16_failed_replacement_is_retried_until_a_stop);
	tcase_add_test(tc, h9_each_transfer_of_a_kept_connection_is_logged_and_counted);
	tcase_add_test(tc, h8_stop_winds_down_an_idle_kept_connection);
	tcase_add_test(tc, h9_count_reached_winds_down_kept_connections);
	tcase_add_test(tc, h10_busy_is_told_the_socket);
	tcase_add_loop_test(tc, h10_held_refusal_hears_words_chosen_from_its_late_bytes, 0, 2);
	tcase_add_test(tc, s14_held_refusals_are_bounded);
	tcase_add_test(tc, s14_held_refusal_refused_at_its_deadline);
	suite_add_tcase(s, tc);
	tc = tcase_create("kinds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, p11_serve_kind_serves_a_request);
	tcase_add_test(tc, s14_serve_kind_answers_busy);
	tcase_add_test(tc, r16_fetch_kind_takes_a_push_into_the_directory);
	tcase_add_test(tc, r16_fetch_kind_cut_by_the_drain);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
