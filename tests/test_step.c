/* Check suite for src/step.c: a state machine's socket I/O that never waits
 * (step_read, step_write on real non-blocking sockets: frames in pieces, a full
 * socket, end of stream, a reset) and the poll() driver of one connection
 * (step_drive) running small real machines: waits for the descriptor named,
 * deadlines that pass, yields, and progress ticks bounded by `every`. */
#include <libgen.h>
#include <sys/timerfd.h>

#include "mono.h"
#include "step.h"
#include "testutil.h"

static int sv[2]; /* sv[0] is the machine's socket, sv[1] the peer's */
static struct step_link L;

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	tu_socketpair(sv, 1);
	memset(&L, 0, sizeof L);
	L.sock = sv[0];
	L.progress_ms = -7; /* "never moved": any progress noted overwrites it */
}

static void teardown(void)
{
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

static void peer_send(const void *buf, size_t n)
{
	ck_assert_int_eq(send(sv[1], buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The peer reads exactly n bytes, which are there already. */
static void peer_recv(void *buf, size_t n)
{
	ck_assert_int_eq(recv(sv[1], buf, n, MSG_DONTWAIT), (ssize_t)n);
}

static size_t request_frame(uint8_t *buf, const char *name)
{
	struct wire_request q = {.offset = 4096, .length = 12345, .name_len = (uint16_t)strlen(name)};
	memcpy(q.name, name, q.name_len);
	ssize_t n = wire_encode_request(&q, buf, WIRE_FRAME_MAX);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t ack_frame(uint8_t *buf)
{
	struct wire_ack a = {.status = WIRE_ACK_OK, .received = 12345};
	ssize_t n = wire_encode_ack(&a, buf, WIRE_FRAME_MAX);
	ck_assert_int_eq(n, WIRE_ACK_SIZE);
	return (size_t)n;
}

/* Progress was noted just now (between before and the call's end). */
static void progressed_since(int64_t before)
{
	ck_assert_int_ge(L.progress_ms, before);
	ck_assert_int_le(L.progress_ms, mono_ms());
}

/* --- step_ctx, step_moved */

/* SPEC P-10 X-8: a step's I/O never waits (the driver does) and counts into the link. */
START_TEST(p10_ctx_never_waits)
{
	struct xfer_ctx c = step_ctx(&L);
	ck_assert(c.nowait);
	ck_assert_int_eq(c.timeout_ms, -1);
	ck_assert_int_eq(c.deadline_ms, 0);
	ck_assert_uint_eq(c.call_cap, 0);
	ck_assert(!c.stop_on_readable);
	ck_assert_ptr_eq(c.stats, &L.stats);
}
END_TEST

/* SPEC P-10: only a move of at least one byte counts as progress (the idle deadline). */
START_TEST(p10_moved_notes_progress)
{
	step_moved(&L, 0);
	ck_assert_int_eq(L.progress_ms, -7);
	int64_t before = mono_ms();
	step_moved(&L, 1);
	progressed_since(before);
}
END_TEST

/* --- step_read */

/* SPEC X-5 W-12 P-10: a frame arriving in pieces is read a piece at a time without
 * waiting, each piece progress, and not a byte past the frame is taken. */
START_TEST(x5_read_frame_in_pieces)
{
	uint8_t f[WIRE_FRAME_MAX];
	size_t n = request_frame(f, "dir/data.bin");
	struct wire_request q;
	struct zerr e = {.code = 99};
	int werr = 42;
	peer_send(f, 5);
	int64_t before = mono_ms();
	ck_assert_int_eq(step_read(&L, WIRE_REQUEST, &q, "peer:1", &e, &werr), FRAMEIO_AGAIN);
	ck_assert_uint_eq(L.have, 5);
	ck_assert_int_eq(werr, 0);
	ck_assert_int_eq(e.code, 99); /* not a failure: nothing explained */
	progressed_since(before);
	peer_send(f + 5, WIRE_REQUEST_FIXED + 3 - 5); /* the fixed part and 3 bytes of the name */
	ck_assert_int_eq(step_read(&L, WIRE_REQUEST, &q, "peer:1", &e, &werr), FRAMEIO_AGAIN);
	ck_assert_uint_eq(L.have, WIRE_REQUEST_FIXED + 3);
	peer_send(f + L.have, n - L.have);
	peer_send("NEXT!", 5);
	ck_assert_int_eq(step_read(&L, WIRE_REQUEST, &q, "peer:1", &e, NULL), FRAMEIO_OK);
	ck_assert_uint_eq(L.have, n);
	ck_assert_uint_eq(q.offset, 4096);
	ck_assert_uint_eq(q.length, 12345);
	ck_assert_str_eq(q.name, "dir/data.bin");
	ck_assert_uint_ge(L.stats.calls[XS_RECVFROM], 3);
	ck_assert_uint_eq(L.stats.calls[XS_POLL], 0);
	char rest[8];
	ck_assert_int_eq(recv(sv[0], rest, sizeof rest, MSG_DONTWAIT), 5);
	ck_assert_int_eq(memcmp(rest, "NEXT!", 5), 0);
}
END_TEST

/* SPEC P-10: nothing there: no wait, no progress, nothing explained. */
START_TEST(p10_read_nothing_there)
{
	struct wire_ack a;
	struct zerr e = {.code = 99};
	int werr = 42;
	ck_assert_int_eq(step_read(&L, WIRE_ACK, &a, "peer:1", &e, &werr), FRAMEIO_AGAIN);
	ck_assert_uint_eq(L.have, 0);
	ck_assert_int_eq(L.progress_ms, -7);
	ck_assert_int_eq(e.code, 99);
	ck_assert_int_eq(werr, 0);
	ck_assert_uint_eq(L.stats.calls[XS_RECVFROM], 1);
	ck_assert_uint_eq(L.stats.calls[XS_POLL], 0);
}
END_TEST

/* SPEC E-1 E-2: the stream ending inside a frame is a protocol error naming the peer
 * and the frame; the bytes that did come were progress. */
START_TEST(e2_read_eof_mid_frame)
{
	uint8_t f[WIRE_FRAME_MAX];
	size_t n = request_frame(f, "x");
	peer_send(f, 10);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	struct wire_request q;
	struct zerr e;
	int werr = 42;
	int64_t before = mono_ms();
	ck_assert_int_eq(step_read(&L, WIRE_REQUEST, &q, "10.0.0.7:41234", &e, &werr), FRAMEIO_EOF);
	ck_assert_uint_lt(L.have, n);
	ck_assert_uint_eq(L.have, 10);
	progressed_since(before);
	ck_assert_int_eq(werr, 0);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_str_eq(e.call, "recvfrom");
	ck_assert_str_eq(e.object, "10.0.0.7:41234");
	ck_assert_str_eq(e.reason, "connection closed before the request");
}
END_TEST

/* SPEC W-12 E-1: a malformed frame is a protocol error with the parser's reason, and
 * its code for the caller that asks. */
START_TEST(w12_read_malformed)
{
	uint8_t f[WIRE_FRAME_MAX];
	size_t n = ack_frame(f);
	f[0] ^= 0xff; /* the magic */
	peer_send(f, n);
	struct wire_ack a;
	struct zerr e;
	int werr = 0;
	ck_assert_int_eq(step_read(&L, WIRE_ACK, &a, "peer:1", &e, &werr), FRAMEIO_BAD);
	ck_assert_int_eq(werr, WIRE_E_MAGIC);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_str_eq(e.call, "");
	ck_assert_str_eq(e.object, "peer:1");
	ck_assert_str_eq(e.reason, "malformed ack: bad magic");
	ck_assert_int_eq(step_read(&L, WIRE_ACK, &a, "peer:1", &e, NULL), FRAMEIO_BAD); /* no code asked */
	ck_assert_str_eq(e.reason, "malformed ack: bad magic");
}
END_TEST

/* SPEC E-1 E-2: a failed recv (a reset) is a network error naming the peer. */
START_TEST(e2_read_reset)
{
	int tcp[2];
	tu_tcp_pair(tcp);
	struct linger lg = {1, 0};
	ck_assert_int_eq(setsockopt(tcp[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	close(tcp[1]);
	struct pollfd p = {.fd = tcp[0], .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 5000), 1); /* the reset is there */
	struct step_link l = {.sock = tcp[0]};
	struct wire_response r;
	struct zerr e;
	int werr = 42;
	ck_assert_int_eq(step_read(&l, WIRE_RESPONSE, &r, "127.0.0.1:9", &e, &werr), FRAMEIO_SYS);
	ck_assert_int_eq(werr, 0);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "recvfrom");
	ck_assert_str_eq(e.object, "127.0.0.1:9");
	ck_assert_str_eq(e.reason, "Connection reset by peer");
	ck_assert_int_eq(l.progress_ms, 0);
	close(tcp[0]);
}
END_TEST

/* --- step_write */

/* SPEC X-6 P-10: a frame that fits goes out whole at once, as progress. */
START_TEST(x6_write_whole)
{
	L.len = ack_frame(L.frame);
	int64_t before = mono_ms();
	ck_assert_int_eq(step_write(&L, 0), 1);
	ck_assert_uint_eq(L.have, L.len);
	progressed_since(before);
	ck_assert_uint_ge(L.stats.calls[XS_SENDTO], 1);
	ck_assert_uint_eq(L.stats.calls[XS_POLL], 0);
	uint8_t got[WIRE_ACK_SIZE];
	peer_recv(got, sizeof got);
	ck_assert_int_eq(memcmp(got, L.frame, sizeof got), 0);
}
END_TEST

/* SPEC X-6 P-10: a full socket takes nothing: 0, no wait, no progress; once the peer
 * has read, the same call sends the frame, after what was queued and only once. */
START_TEST(x6_write_full_socket)
{
	size_t queued = tu_fill_socket(sv[0]);
	L.len = ack_frame(L.frame);
	ck_assert_int_eq(step_write(&L, 0), 0);
	ck_assert_uint_eq(L.have, 0);
	ck_assert_int_eq(L.progress_ms, -7);
	ck_assert_uint_eq(L.stats.calls[XS_POLL], 0);
	static uint8_t sink[1 << 16];
	for (size_t left = queued; left;) {
		ssize_t k = recv(sv[1], sink, left < sizeof sink ? left : sizeof sink, MSG_DONTWAIT);
		ck_assert_int_gt(k, 0);
		left -= (size_t)k;
	}
	ck_assert_int_eq(step_write(&L, 0), 1);
	ck_assert_uint_eq(L.have, L.len);
	uint8_t got[WIRE_ACK_SIZE + 1];
	ck_assert_int_eq(recv(sv[1], got, sizeof got, MSG_DONTWAIT), WIRE_ACK_SIZE);
	ck_assert_int_eq(memcmp(got, L.frame, WIRE_ACK_SIZE), 0);
}
END_TEST

/* SPEC X-6: a frame partly sent goes on from where it stopped (a socketpair takes a
 * frame whole or not at all, so the earlier part is set as sent). */
START_TEST(x6_write_continues_partial)
{
	L.len = request_frame(L.frame, "a/b/c");
	L.have = 7;
	ck_assert_int_eq(step_write(&L, 0), 1);
	ck_assert_uint_eq(L.have, L.len);
	uint8_t got[WIRE_FRAME_MAX];
	size_t rest = L.len - 7;
	peer_recv(got, rest);
	ck_assert_int_eq(memcmp(got, L.frame + 7, rest), 0);
	ck_assert_int_eq(recv(sv[1], got, 1, MSG_DONTWAIT), -1); /* nothing more */
	/* all out already: nothing to send is done at once */
	L.progress_ms = -7;
	ck_assert_int_eq(step_write(&L, 0), 1);
	ck_assert_int_eq(L.progress_ms, -7);
}
END_TEST

/* SPEC E-1: a peer gone is an error with errno, not a signal, and no progress. */
START_TEST(e1_write_peer_gone)
{
	close(sv[1]);
	sv[1] = -1;
	L.len = ack_frame(L.frame);
	errno = 0;
	ck_assert_int_eq(step_write(&L, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_uint_eq(L.have, 0);
	ck_assert_int_eq(L.progress_ms, -7);
}
END_TEST

/* --- step_drive with small real machines */

#define MAX_STEPS 64

/* A machine that records what its driver does to it; what it does per step is up
 * to each test's step function. */
struct mach {
	struct step_link link;
	int fd;                 /* what its waits are about */
	int64_t deadline;       /* 0: none */
	int64_t idle_ms;        /* > 0: the deadline is the last progress plus this */
	int script[MAX_STEPS];  /* step results in order, for scripted machines */
	int steps, ended;
	short events[MAX_STEPS];
	uint64_t budget[MAX_STEPS];
	int waits;              /* steps that asked to wait (STEP_IN / STEP_OUT) */
	int expired;
	int64_t expired_at;
	int deadline_calls;
	/* the pump: payload sent so far of total */
	const uint8_t *payload;
	uint64_t sent, total;
};

static struct mach m;

static void mach_init(int fd)
{
	memset(&m, 0, sizeof m);
	m.link.sock = sv[0];
	m.link.progress_ms = mono_ms();
	m.fd = fd;
}

/* Notes a step's arguments and returns its result, the bookkeeping of every step. */
static int noted(short events, uint64_t budget, int want)
{
	ck_assert_int_lt(m.steps, MAX_STEPS);
	m.events[m.steps] = events;
	m.budget[m.steps++] = budget;
	if (want & (STEP_IN | STEP_OUT))
		m.waits++;
	if (want & STEP_ENDED)
		m.ended++;
	return want;
}

static int scripted_step(void *conn, short events, uint64_t budget)
{
	ck_assert_ptr_eq(conn, &m);
	return noted(events, budget, m.expired ? STEP_ENDED : m.script[m.steps]);
}

static int64_t mach_deadline(const void *conn)
{
	ck_assert_ptr_eq(conn, &m);
	m.deadline_calls++;
	return m.idle_ms ? m.link.progress_ms + m.idle_ms : m.deadline;
}

static void mach_expire(void *conn)
{
	ck_assert_ptr_eq(conn, &m);
	m.expired++;
	m.expired_at = mono_ms();
}

static int mach_wait_fd(const void *conn)
{
	ck_assert_ptr_eq(conn, &m);
	return m.fd;
}

static void mach_moved(const void *conn, uint64_t *moved, uint64_t *total)
{
	ck_assert_ptr_eq(conn, &m);
	*moved = m.sent;
	*total = m.total;
}

static const struct step_ops scripted = {.step = scripted_step, .deadline = mach_deadline,
					 .expire = mach_expire, .wait_fd = mach_wait_fd,
					 .moved = mach_moved};

/* SPEC P-10 X-8: each wait is a poll() for the descriptor the step names (here a
 * pipe, not the machine's socket, which never becomes ready), for what it asks, and
 * is counted; the next step is told what came. */
START_TEST(p10_drive_waits_for_named_fd)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	mach_init(p[0]);
	m.deadline = mono_ms() + 10000; /* a wait on the wrong descriptor would end here */
	int script[] = {STEP_IN, STEP_IN | STEP_OUT, STEP_ENDED};
	memcpy(m.script, script, sizeof script);
	struct xfer_stats st = {0};
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.steps, 3);
	ck_assert_int_eq(m.events[0], 0);
	ck_assert_int_eq(m.events[1], POLLIN);
	ck_assert_int_eq(m.events[2], POLLIN); /* a pipe's read end is never writable */
	ck_assert_int_eq(m.expired, 0);
	ck_assert_uint_eq(st.calls[XS_POLL], 2);
	ck_assert_uint_eq(m.budget[0], UINT64_MAX); /* no progress: no bound on a step */
	mach_init(p[1]);
	m.deadline = mono_ms() + 10000;
	int script2[] = {STEP_OUT, STEP_ENDED};
	memcpy(m.script, script2, sizeof script2);
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.events[1], POLLOUT);
	ck_assert_uint_eq(st.calls[XS_POLL], 3);
	mach_init(p[0]); /* no deadline at all: the wait is for the descriptor alone */
	int script3[] = {STEP_IN, STEP_ENDED};
	memcpy(m.script, script3, sizeof script3);
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.events[1], POLLIN);
	ck_assert_int_eq(m.expired, 0);
	ck_assert_uint_eq(st.calls[XS_POLL], 4);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* SPEC S-13 X-8: a step that yielded is stepped again at once, told of no events,
 * without a wait or a look at the deadline. */
START_TEST(s13_drive_yield_steps_again)
{
	mach_init(sv[0]);
	int script[] = {STEP_YIELD, STEP_YIELD | STEP_OUT, STEP_YIELD, STEP_ENDED};
	memcpy(m.script, script, sizeof script);
	struct xfer_stats st = {0};
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.steps, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(m.events[i], 0);
	ck_assert_uint_eq(st.calls[XS_POLL], 0);
	ck_assert_int_eq(m.deadline_calls, 0);
	ck_assert_int_eq(m.ended, 1);
}
END_TEST

/* SPEC P-10: a peer that sends nothing: the wait ends at the idle deadline, not
 * before (against the configured 150 ms; a generous bound after), the machine is
 * told once and ends; the wait was counted. */
START_TEST(p10_drive_deadline_expires)
{
	mach_init(sv[0]);
	m.idle_ms = 150;
	m.script[0] = STEP_IN;
	int64_t start = m.link.progress_ms;
	struct xfer_stats st = {0};
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.expired, 1);
	ck_assert_int_ge(m.expired_at, start + 150);
	ck_assert_int_lt(m.expired_at, start + 150 + 10000);
	ck_assert_int_eq(m.steps, 2);
	ck_assert_int_eq(m.events[1], 0);
	ck_assert_uint_eq(st.calls[XS_POLL], 1);
}
END_TEST

/* SPEC P-10: a deadline already past expires without a wait. */
START_TEST(p10_drive_deadline_past)
{
	mach_init(sv[0]);
	m.deadline = mono_ms() - 1000;
	m.script[0] = STEP_IN;
	struct xfer_stats st = {0};
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.expired, 1);
	ck_assert_int_eq(m.steps, 2);
	ck_assert_int_eq(m.ended, 1);
}
END_TEST

/* SPEC P-10: a deadline further off than poll() can count (2^32 ms and a little) is
 * a long wait, not a short one cut from the low bits: the machine's timer (a
 * timerfd, 300 ms) ends the wait, and nothing expires. */
START_TEST(p10_drive_far_deadline)
{
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ck_assert_int_ge(t, 0);
	struct itimerspec its = {.it_value = {0, 300 * 1000000}};
	ck_assert_int_eq(timerfd_settime(t, 0, &its, NULL), 0);
	mach_init(t);
	m.deadline = mono_ms() + (INT64_C(1) << 32) + 20;
	int script[] = {STEP_IN, STEP_ENDED};
	memcpy(m.script, script, sizeof script);
	struct xfer_stats st = {0};
	step_drive(&m, &scripted, &st, NULL);
	ck_assert_int_eq(m.expired, 0);
	ck_assert_int_eq(m.events[1], POLLIN);
	ck_assert_uint_eq(st.calls[XS_POLL], 1);
	close(t);
}
END_TEST

/* The pump: sends its payload on the socket, at most budget bytes a step, yielding
 * when the budget is spent and waiting when the socket is full. */
static int pump_step(void *conn, short events, uint64_t budget)
{
	ck_assert_ptr_eq(conn, &m);
	if (m.expired)
		return noted(events, budget, STEP_ENDED);
	struct xfer_ctx ctx = step_ctx(&m.link);
	uint64_t want = m.total - m.sent < budget ? m.total - m.sent : budget, put;
	struct xfer_op op = xfer_op_mem(XS_SENDTO, m.link.sock, (void *)(m.payload + m.sent), 0);
	int r = xfer_move(&op, want, true, &ctx, &put);
	m.sent += put;
	step_moved(&m.link, put);
	ck_assert(r == 0 || r == XFER_AGAIN);
	if (m.sent == m.total)
		return noted(events, budget, STEP_ENDED);
	return noted(events, budget, r == XFER_AGAIN ? STEP_OUT : STEP_YIELD);
}

static const struct step_ops pump = {.step = pump_step, .deadline = mach_deadline,
				     .expire = mach_expire, .wait_fd = mach_wait_fd, .moved = mach_moved};

struct ticks {
	int n;
	uint64_t moved[MAX_STEPS * 4], total;
};

static void on_tick(void *arg, uint64_t moved, uint64_t total)
{
	struct ticks *t = arg;
	ck_assert_int_lt(t->n, MAX_STEPS * 4);
	t->moved[t->n++] = moved;
	t->total = total;
}

/* A peer process that reads until end of stream and exits 0 when it got exactly
 * len bytes of the pattern. */
static pid_t drain_peer(uint64_t len)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(sv[0]);
	uint64_t got = 0;
	uint8_t buf[65536];
	for (;;) {
		struct pollfd p = {.fd = sv[1], .events = POLLIN};
		if (poll(&p, 1, 10000) != 1)
			tu_exit(2);
		ssize_t n = recv(sv[1], buf, sizeof buf, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			tu_exit(3);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != tu_byte(got + (uint64_t)i))
				tu_exit(4);
		got += (uint64_t)n;
	}
	tu_exit(got == len ? 0 : 5);
}

/* SPEC C-10 X-8 P-10: with progress, each step is given `every` as its budget and
 * the progress is told after each step, exactly what the machine had moved then:
 * every tick at most `every` bytes on from the last, the last one all of it. The
 * payload (4 MiB) is more than the socket holds, so the machine also waits, each
 * wait counted. */
START_TEST(c10_drive_progress_bounded_by_every)
{
	enum { TOTAL = 4 << 20, EVERY = 256 << 10 };
	static uint8_t payload[TOTAL];
	for (uint64_t i = 0; i < TOTAL; i++)
		payload[i] = tu_byte(i);
	pid_t peer = drain_peer(TOTAL);
	close(sv[1]);
	sv[1] = -1;
	mach_init(sv[0]);
	m.idle_ms = 10000;
	m.payload = payload, m.total = TOTAL;
	struct ticks t = {0};
	struct step_progress pg = {.every = EVERY, .tick = on_tick, .arg = &t};
	struct xfer_stats st = {0};
	step_drive(&m, &pump, &st, &pg);
	ck_assert_int_eq(m.expired, 0);
	ck_assert_uint_eq(m.sent, TOTAL);
	ck_assert_int_eq(t.n, m.steps);
	ck_assert_uint_ge((uint64_t)t.n, TOTAL / EVERY);
	ck_assert_uint_eq(t.total, TOTAL);
	ck_assert_uint_eq(t.moved[t.n - 1], TOTAL);
	for (int i = 0; i < m.steps; i++) {
		ck_assert_uint_eq(m.budget[i], EVERY);
		ck_assert_uint_le(t.moved[i] - (i ? t.moved[i - 1] : 0), EVERY);
	}
	ck_assert_int_gt(m.waits, 0);
	ck_assert_uint_eq(st.calls[XS_POLL], (uint64_t)m.waits);
	shutdown(sv[0], SHUT_WR);
	ck_assert_int_eq(tu_child_status(peer), 0);
}
END_TEST

/* --- step_handshake */

/* A connector's PSK context, its key file in a temporary directory. */
static struct tls_ctx *psk_connector(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/k", tu_tmpdir());
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	static const char line[] = "zcp:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	ck_assert_int_eq(write(fd, line, sizeof line - 1), (ssize_t)sizeof line - 1);
	close(fd);
	struct zerr e;
	struct tls_ctx *ctx = tls_ctx_new(false, &(struct tls_cfg){.psk_file = path}, "127.0.0.1", &e);
	ck_assert_msg(ctx != NULL, "%s", e.reason);
	unlink(path);
	rmdir(dirname(path));
	return ctx;
}

/* SPEC T-4: a handshake on a full socket waits to write (STEP_OUT), then, its
 * hello sent, to read (STEP_IN); it never blocks. */
START_TEST(t4_handshake_waits_out_then_in)
{
	struct tls_ctx *ctx = psk_connector();
	struct zerr e;
	char junk[4096] = {0};
	size_t sent = 0;
	for (ssize_t n; (n = send(sv[0], junk, sizeof junk, MSG_DONTWAIT)) > 0;)
		sent += (size_t)n;
	ck_assert_int_eq(step_handshake(&L, ctx, "peer", &e), STEP_OUT);
	ck_assert_ptr_eq(step_io(&L), &L.tls.io);
	for (ssize_t n; sent && (n = recv(sv[1], junk, sizeof junk, MSG_DONTWAIT)) > 0;)
		sent -= (size_t)n;
	ck_assert_uint_eq(sent, 0);
	ck_assert_int_eq(step_handshake(&L, ctx, "peer", &e), STEP_IN);
	tls_conn_end(&L.tls);
	tls_ctx_free(ctx);
}
END_TEST

/* SPEC T-4 E-1: a handshake whose socket fails (the peer is gone) is a network
 * error, exit 4, naming the call and the peer. */
START_TEST(t4_handshake_peer_gone)
{
	struct tls_ctx *ctx = psk_connector();
	struct zerr e;
	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(step_handshake(&L, ctx, "peer", &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "SSL_do_handshake");
	ck_assert_str_eq(e.object, "peer");
	ck_assert_str_eq(e.reason, strerror(EPIPE));
	tls_conn_end(&L.tls);
	tls_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("step");
	TCase *tio = tcase_create("io");
	tcase_add_checked_fixture(tio, setup, teardown);
	tcase_add_test(tio, p10_ctx_never_waits);
	tcase_add_test(tio, p10_moved_notes_progress);
	tcase_add_test(tio, x5_read_frame_in_pieces);
	tcase_add_test(tio, p10_read_nothing_there);
	tcase_add_test(tio, e2_read_eof_mid_frame);
	tcase_add_test(tio, w12_read_malformed);
	tcase_add_test(tio, e2_read_reset);
	tcase_add_test(tio, x6_write_whole);
	tcase_add_test(tio, x6_write_full_socket);
	tcase_add_test(tio, x6_write_continues_partial);
	tcase_add_test(tio, e1_write_peer_gone);
	suite_add_tcase(s, tio);
	TCase *td = tcase_create("drive");
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_set_timeout(td, 30);
	tcase_add_test(td, p10_drive_waits_for_named_fd);
	tcase_add_test(td, s13_drive_yield_steps_again);
	tcase_add_test(td, p10_drive_deadline_expires);
	tcase_add_test(td, p10_drive_deadline_past);
	tcase_add_test(td, p10_drive_far_deadline);
	tcase_add_test(td, c10_drive_progress_bounded_by_every);
	suite_add_tcase(s, td);
	TCase *th = tcase_create("handshake");
	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_test(th, t4_handshake_waits_out_then_in);
	tcase_add_test(th, t4_handshake_peer_gone);
	suite_add_tcase(s, th);
	return tu_run(s) ? 1 : 0;
}
