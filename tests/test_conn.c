/* Check suite for the two connection state machines (SPEC P-11, P-12), one
 * transition at a time: a scripted peer on the other end of a loopback TCP
 * connection does exactly one thing, the machine takes one step, and the test
 * looks at the state it is in, what it asks to wait for, and what the peer got. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <xxhash.h>

#include "fetch.h"
#include "mono.h"
#include "serve.h"
#include "testutil.h"

#define BIG (8u << 20) /* more than loopback buffers hold: the payload cannot all go at once */

static char dir[256], src_path[300], out_path[300];
static int M, P; /* the machine's socket, the scripted peer's */

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(src_path, sizeof src_path, "%s/data.bin", dir);
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	signal(SIGPIPE, SIG_IGN);
	int sv[2];
	tu_tcp_pair(sv);
	M = sv[1], P = sv[0];
}

static void teardown(void)
{
	close(M);
	if (P >= 0)
		close(P);
	tu_rmtree(dir);
}

/* --- the scripted peer (blocking in poll, bounded) */

static void await(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
}

/* await_queued() - wait until fd has at least n bytes queued to read; fails after 5 s. */
static void await_queued(int fd, int n)
{
	int q = 0;
	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(ioctl(fd, FIONREAD, &q), 0);
		if (q >= n)
			return;
		poll(NULL, 0, 10);
	}
	ck_abort_msg("%d bytes queued, not %d, after 5 s", q, n);
}

static void peer_send(const void *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		await(P, POLLOUT);
		ssize_t k = send(P, (const uint8_t *)buf + at, n - at, MSG_NOSIGNAL);
		ck_assert_int_gt(k, 0);
		at += (size_t)k;
	}
}

static void peer_recv(void *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		await(P, POLLIN);
		ssize_t k = recv(P, (uint8_t *)buf + at, n - at, 0);
		ck_assert_int_gt(k, 0);
		at += (size_t)k;
	}
}

/* Reads and drops n bytes. */
static void peer_skip(size_t n)
{
	static uint8_t sink[65536];
	while (n) {
		size_t k = n < sizeof sink ? n : sizeof sink;
		peer_recv(sink, k);
		n -= k;
	}
}

/* The peer's next event is end of stream. */
static void peer_sees_eof(void)
{
	uint8_t b;
	await(P, POLLIN);
	ck_assert_int_eq(recv(P, &b, 1, 0), 0);
}

/* Nothing has come to the peer (and the connection is open). */
static void peer_got_nothing(void)
{
	uint8_t b;
	ck_assert_int_eq(recv(P, &b, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

static void peer_frame(enum wire_frame t, void *out)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t have = 0, need;
	while ((need = wire_frame_size(t, buf, have)) > have) {
		peer_recv(buf + have, need - have);
		have = need;
	}
	ck_assert_int_eq(wire_parse(t, buf, have, out), (ssize_t)have);
}

static void peer_reset(void)
{
	struct linger l = {1, 0};
	setsockopt(P, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(P);
	P = -1;
}

/* Fills the machine's send path with junk, so its next write would block;
 * returns the bytes the peer must skip to get past it. Its send buffer is made
 * small (no autotuning grows it after), the peer acks at once (no delayed ack
 * frees room later), and the fill goes on until two in a row add nothing. */
static size_t machine_blocked(void)
{
	int small = 4096, one = 1;
	ck_assert_int_eq(setsockopt(M, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	size_t total = 0, quiet = 0;
	for (int round = 0; quiet < 2 && round < 100; round++) {
		ck_assert_int_eq(setsockopt(P, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one), 0);
		size_t more = tu_fill_socket(M);
		total += more;
		quiet = more ? 0 : quiet + 1;
		usleep(20000);
	}
	ck_assert_uint_eq(quiet, 2);
	return total;
}

static size_t encode(enum wire_frame t, const void *f, uint8_t *out)
{
	ssize_t n = t == WIRE_REQUEST ? wire_encode_request(f, out, WIRE_FRAME_MAX)
		  : t == WIRE_RESPONSE ? wire_encode_response(f, out, WIRE_FRAME_MAX)
		  : wire_encode_ack(f, out, WIRE_FRAME_MAX);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static void peer_request(uint64_t off, uint64_t len, const char *name)
{
	struct wire_request q = {.offset = off, .length = len, .name_len = (uint16_t)strlen(name)};
	memcpy(q.name, name, q.name_len);
	uint8_t buf[WIRE_FRAME_MAX];
	peer_send(buf, encode(WIRE_REQUEST, &q, buf));
}

static void peer_ack(uint8_t status, uint64_t received)
{
	struct wire_ack a = {.status = status, .received = received};
	uint8_t buf[WIRE_FRAME_MAX];
	peer_send(buf, encode(WIRE_ACK, &a, buf));
}

/* A machine ended (done), failed, and its reason says reason_part. */
static void ended_failed(bool done, int result, const struct zerr *e, const char *reason_part)
{
	ck_assert(done);
	ck_assert_int_eq(result, -1);
	ck_assert_msg(strstr(e->reason, reason_part), "reason '%s' lacks '%s'", e->reason, reason_part);
}

/* --- the sender's machine (SPEC P-11) */

static struct serve_cfg scfg;
static struct serve_conn sc;

static void serve_start(uint64_t size, bool raw)
{
	tu_make_file(src_path, size);
	scfg = (struct serve_cfg){.file = src_path, .rootfd = -1, .path = XFER_SENDFILE, .chunk = 8192,
				  .raw = raw, .timeout_ms = 5000, .header_timeout_ms = 3000};
	serve_init(&sc, M, "peer", &scfg);
}

/* Started on a file of size; the whole file asked for, the request there to read. */
static void serve_asked(uint64_t size)
{
	serve_start(size, false);
	peer_request(0, 0, "");
	await(M, POLLIN);
}

static int sstep(void) { return serve_step(&sc, POLLIN | POLLOUT, UINT64_MAX); }

static void serve_failed(const char *reason_part)
{
	ended_failed(sc.state == SERVE_DONE, sc.result, &sc.err, reason_part);
	serve_end(&sc);
}

/* The peer's view of a response: its status and, for OK, the declared length. */
static struct wire_response peer_response(void)
{
	struct wire_response r;
	peer_frame(WIRE_RESPONSE, &r);
	return r;
}

/* Takes the machine to SERVE_ACK with a small file: request, response, payload. */
static void serve_to_ack(uint64_t size)
{
	serve_start(size, false);
	peer_request(0, 0, "");
	ck_assert_int_eq(sstep(), STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_ACK);
	ck_assert_uint_eq(peer_response().length, size);
	peer_skip(size);
}

START_TEST(p11_request_in_parts_waits_to_read)
{
	serve_start(1000, false);
	ck_assert_int_eq(sc.state, SERVE_REQUEST);
	ck_assert_int_eq(sstep(), STEP_IN); /* nothing yet */
	struct wire_request q = {0};
	uint8_t buf[WIRE_FRAME_MAX];
	size_t n = encode(WIRE_REQUEST, &q, buf);
	sc.link.progress_ms = 0;
	peer_send(buf, 10);
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_REQUEST);
	ck_assert_int_gt(sc.link.progress_ms, 0); /* progress noted: the idle deadline moves */
	peer_send(buf + 10, n - 10);
	await(M, POLLIN);
	sstep();
	ck_assert_int_ne(sc.state, SERVE_REQUEST);
	serve_end(&sc);
}
END_TEST

START_TEST(p11_whole_request_goes_to_response)
{
	serve_start(1000, false);
	size_t junk = machine_blocked();
	peer_request(100, 50, "data.bin");
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_OUT); /* the response waits for room */
	ck_assert_int_eq(sc.state, SERVE_RESPONSE);
	ck_assert(!sc.refusing);
	ck_assert_uint_eq(sc.offset, 100);
	ck_assert_uint_eq(sc.length, 50);
	peer_skip(junk);
	await(M, POLLOUT);
	ck_assert_int_eq(sstep(), STEP_IN); /* response, payload, half-close: the ack now */
	ck_assert_int_eq(sc.state, SERVE_ACK);
	struct wire_response r = peer_response();
	ck_assert_uint_eq(r.status, WIRE_OK);
	ck_assert_uint_eq(r.offset, 100);
	ck_assert_uint_eq(r.length, 50);
	serve_end(&sc);
}
END_TEST

/* Requests the machine refuses, and the status each gets (SPEC P-2 P-3 P-4 W-5 W-6). */
static const struct {
	const char *name;
	uint64_t off;
	uint8_t patch_at, patch; /* a byte changed in the encoded request (0 = none) */
	enum wire_status status;
} refusals[] = {
	{"other.bin", 0, 0, 0, WIRE_NOT_FOUND},
	{"data", 0, 0, 0, WIRE_NOT_FOUND}, /* a prefix of FILE's name is not its name */
	{"", 1001, 0, 0, WIRE_BAD_RANGE},
	{"", 0, 1, 'X', WIRE_BAD_REQUEST},
	{"", 0, 4, 2, WIRE_BAD_VERSION},
};

START_TEST(p11_refusal_sent_then_done)
{
	serve_start(1000, false);
	struct wire_request q = {.offset = refusals[_i].off};
	q.name_len = (uint16_t)strlen(refusals[_i].name);
	memcpy(q.name, refusals[_i].name, q.name_len);
	uint8_t buf[WIRE_FRAME_MAX];
	size_t n = encode(WIRE_REQUEST, &q, buf);
	if (refusals[_i].patch_at)
		buf[refusals[_i].patch_at] = refusals[_i].patch;
	size_t junk = machine_blocked();
	peer_send(buf, n);
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_OUT);
	ck_assert_int_eq(sc.state, SERVE_RESPONSE);
	ck_assert(sc.refusing);
	peer_skip(junk);
	await(M, POLLOUT);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	ck_assert_uint_eq(peer_response().status, refusals[_i].status);
	ck_assert_int_eq(sc.file_fd, -1); /* no file held */
	serve_failed("");
}
END_TEST

START_TEST(p11_request_cut_off_fails)
{
	serve_start(1000, false);
	peer_send("ZCQ1", 4);
	if (_i == 0)
		shutdown(P, SHUT_WR);
	else
		peer_reset();
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	serve_failed(_i == 0 ? "connection closed before the request" : "reset");
}
END_TEST

START_TEST(p11_payload_waits_for_room_and_an_early_ack)
{
	serve_asked(BIG);
	ck_assert_int_eq(sstep(), STEP_OUT | STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_PAYLOAD);
	ck_assert_uint_gt(sc.job.res.moved, 0);
	ck_assert_uint_lt(sc.job.res.moved, BIG);
	serve_end(&sc);
}
END_TEST

START_TEST(p11_payload_yields_after_its_budget)
{
	serve_asked(BIG);
	ck_assert_int_eq(serve_step(&sc, POLLIN, 65536), STEP_YIELD | STEP_OUT | STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_PAYLOAD);
	ck_assert_uint_gt(sc.job.res.moved, 0);
	ck_assert_uint_le(sc.job.res.moved, 65536);
	uint64_t before = sc.job.res.moved;
	ck_assert_int_eq(serve_step(&sc, POLLOUT, 65536), STEP_YIELD | STEP_OUT | STEP_IN);
	ck_assert_uint_le(sc.job.res.moved - before, 65536);
	serve_end(&sc);
}
END_TEST

START_TEST(p11_early_ack_fails)
{
	serve_asked(BIG);
	ck_assert_int_eq(sstep(), STEP_OUT | STEP_IN);
	peer_ack(_i == 0 ? WIRE_ACK_OK : WIRE_ACK_LOCAL_ERROR, _i == 0 ? BIG : 4096);
	await(M, POLLIN);
	ck_assert_int_eq(serve_step(&sc, POLLIN, UINT64_MAX), STEP_ENDED);
	serve_failed(_i == 0 ? "acknowledged before the end" : "reported LOCAL_ERROR after 4096 of");
}
END_TEST

START_TEST(p11_truncated_file_fails)
{
	serve_start(100000, false);
	size_t junk = machine_blocked();
	peer_request(0, 0, "");
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_OUT);
	ck_assert_int_eq(truncate(src_path, 1000), 0); /* after the response declared 100000 */
	peer_skip(junk);
	await(M, POLLOUT);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	serve_failed("file truncated at offset 1000 (expected 100000 bytes)");
	ck_assert_int_eq(sc.err.code, ZCP_EXIT_FILE);
}
END_TEST

/* SPEC P-11 W-17: with VERIFY the payload is followed by HASH, which yields after
 * its turn's budget like the payload, then TRAILER with the XXH3-128 of what was
 * sent, then the half-close and ACK. */
START_TEST(p11_hash_yields_then_trailer)
{
	enum { SIZE = FHASH_BUF + 1000, BUDGET = 65536 }; /* two turns of hashing at least */
	static uint8_t got[SIZE + 2 * WIRE_FRAME_MAX];
	size_t have = 0;
	serve_start(SIZE, false);
	struct wire_request q = {.flags = WIRE_FLAG_VERIFY};
	uint8_t buf[WIRE_FRAME_MAX];
	peer_send(buf, encode(WIRE_REQUEST, &q, buf));
	await(M, POLLIN);
	for (int turns = 0; sc.state <= SERVE_PAYLOAD; turns++) {
		ck_assert_int_lt(turns, 10000);
		ck_assert_int_eq(serve_step(&sc, POLLIN | POLLOUT, BUDGET) & STEP_ENDED, 0);
		ssize_t k;
		while ((k = recv(P, got + have, sizeof got - have, MSG_DONTWAIT)) > 0)
			have += (size_t)k;
	}
	ck_assert_int_eq(sc.state, SERVE_HASH); /* the turn that ended the payload hashed, then yielded */
	ck_assert_uint_lt(sc.hash.at, SIZE);
	int turn;
	do { /* SPEC W-17: no turn hashes more than its budget */
		uint64_t before = sc.hash.at;
		turn = serve_step(&sc, POLLOUT, BUDGET);
		ck_assert_uint_le(sc.hash.at - before, BUDGET);
	} while (sc.state == SERVE_HASH);
	ck_assert_int_eq(turn, STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_ACK);
	struct wire_response r;
	size_t n = wire_frame_size(WIRE_RESPONSE, got, have);
	ck_assert_uint_le(n, have);
	ck_assert_int_eq(wire_parse(WIRE_RESPONSE, got, n, &r), (ssize_t)n);
	ck_assert_uint_eq(r.length, SIZE);
	peer_recv(got + have, n + SIZE + WIRE_TRAILER_SIZE - have);
	peer_sees_eof();
	struct wire_trailer t;
	ck_assert_int_eq(wire_parse(WIRE_TRAILER, got + n + SIZE, WIRE_TRAILER_SIZE, &t), WIRE_TRAILER_SIZE);
	XXH128_canonical_t want;
	XXH128_canonicalFromHash(&want, XXH3_128bits(got + n, SIZE));
	ck_assert_int_eq(memcmp(t.hash, want.digest, WIRE_HASH_SIZE), 0);
	/* SPEC W-17: a file written within the last second may change again in the same
	 * timestamp tick, its identity unchanged: its hash is not remembered */
	ck_assert_int_eq(fhash_cached(&sc.ident, 0, SIZE, t.hash), 0);
	serve_end(&sc);
}
END_TEST

START_TEST(p11_all_sent_half_closes_then_ack)
{
	serve_to_ack(1000);
	peer_sees_eof(); /* the half-close */
	ck_assert_int_eq(sstep(), STEP_IN);
	serve_end(&sc);
}
END_TEST

START_TEST(p11_ack_in_parts_then_ok_succeeds)
{
	serve_to_ack(1000);
	struct wire_ack a = {.status = WIRE_ACK_OK, .received = 1000};
	uint8_t buf[WIRE_FRAME_MAX];
	size_t n = encode(WIRE_ACK, &a, buf);
	peer_send(buf, 5);
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_IN);
	ck_assert_int_eq(sc.state, SERVE_ACK);
	peer_send(buf + 5, n - 5);
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	ck_assert_int_eq(sc.state, SERVE_DONE);
	ck_assert_int_eq(sc.result, 0);
	serve_end(&sc);
}
END_TEST

/* A resume's verified request (SPEC W-16, W-17): byte off.. of the file, the hash
 * from 0, the file's identity after it; the machine has it to read. */
static void peer_verify_request(uint64_t off)
{
	struct wire_request q = {.offset = off, .flags = WIRE_FLAG_IF_IDENT | WIRE_FLAG_VERIFY};
	struct wire_ident id;
	int fd = open(src_path, O_RDONLY);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	close(fd);
	uint8_t buf[WIRE_FRAME_MAX];
	size_t n = encode(WIRE_REQUEST, &q, buf);
	n += (size_t)wire_encode_ident(&id, buf + n, sizeof buf - n);
	peer_send(buf, n);
	await(M, POLLIN);
}

/* SPEC P-11 W-17: hashing is work like the payload: a turn's budget covers both,
 * and the HASH state yields when it is spent. */
START_TEST(p11_hash_yields_after_its_budget)
{
	serve_start(BIG, false);
	peer_verify_request(BIG - 65536);
	/* the payload takes the turn's whole budget: no hashing in it */
	ck_assert_int_eq(serve_step(&sc, POLLIN | POLLOUT, 65536), STEP_YIELD | STEP_OUT);
	ck_assert_int_eq(sc.state, SERVE_HASH);
	ck_assert_uint_eq(sc.job.res.moved, 65536);
	ck_assert_uint_eq(sc.hash.at, 0);
	ck_assert_uint_eq(sc.link.stats.calls[XS_PREAD], 0);
	/* the next turn hashes about its budget (at most one read past it) */
	ck_assert_int_eq(serve_step(&sc, POLLOUT, 65536), STEP_YIELD | STEP_OUT);
	ck_assert_uint_gt(sc.hash.at, 0);
	ck_assert_uint_le(sc.hash.at, FHASH_BUF);
	serve_end(&sc);
}
END_TEST

/* SPEC P-11 W-17: a receiver that went away is hashed for no more. */
/* Serving the last byte of a BIG file with --verify: the first turn's budget
 * spent, the machine is hashing. */
static void serve_hashing(void)
{
	serve_start(BIG, false);
	peer_verify_request(BIG - 1);
	ck_assert_int_eq(serve_step(&sc, POLLIN | POLLOUT, 65536), STEP_YIELD | STEP_OUT);
	ck_assert_int_eq(sc.state, SERVE_HASH);
}

START_TEST(p11_hash_stops_when_the_peer_goes)
{
	serve_hashing();
	uint64_t at = sc.hash.at, preads = sc.link.stats.calls[XS_PREAD];
	if (_i)
		peer_reset();
	else
		close(P);
	P = -1;
	await(M, POLLRDHUP); /* the FIN (or RST) has reached the machine's socket: on a busy
			      * machine loopback's softirq may deliver it after the close returns */
	ck_assert_int_eq(serve_step(&sc, POLLOUT, 65536), STEP_ENDED);
	ck_assert_uint_eq(sc.hash.at, at);
	ck_assert_uint_eq(sc.link.stats.calls[XS_PREAD], preads);
	serve_failed("went away");
}
END_TEST

/* Waits (3 s at most) until the file at path is settled: nothing changed it in the
 * last second, so that its hash is remembered (SPEC W-17). */
static void await_settled(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct wire_ident id;
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	for (int i = 0; !fsio_settled(fd, &id); i++) {
		ck_assert_int_lt(i, 300);
		poll(NULL, 0, 10);
	}
	close(fd);
}

/* SPEC W-17: the whole-file hash of an unchanged file is read once per process:
 * the second identical request reads nothing and gets the same trailer. */
START_TEST(p11_hash_of_an_unchanged_file_read_once)
{
	uint8_t trailer[2][WIRE_TRAILER_SIZE];
	for (int i = 0; i < 2; i++) {
		if (i) { /* a second connection */
			close(M);
			close(P);
			int sv[2];
			tu_tcp_pair(sv);
			M = sv[1], P = sv[0];
			serve_init(&sc, M, "peer", &scfg);
		} else {
			serve_start(1u << 20, false);
			await_settled(src_path);
		}
		peer_verify_request((1u << 20) - 10);
		ck_assert_int_eq(sstep(), STEP_IN);
		ck_assert_int_eq(sc.state, SERVE_ACK);
		struct wire_response r = peer_response();
		ck_assert_uint_eq(r.length, 10);
		peer_skip(10);
		peer_recv(trailer[i], WIRE_TRAILER_SIZE);
		if (i)
			ck_assert_uint_eq(sc.link.stats.calls[XS_PREAD], 0);
		else
			ck_assert_uint_gt(sc.link.stats.calls[XS_PREAD], 0);
		serve_end(&sc);
	}
	ck_assert_mem_eq(trailer[0], trailer[1], WIRE_TRAILER_SIZE);
}
END_TEST

/* SPEC P-13: a byte of the ack is no progress that buys more time: the ack is due
 * whole a --timeout after the half-close. (The byte is made to look late by moving
 * the machine's progress instant, so the test does not wait for the clock.) */
START_TEST(p13_ack_whole_within_timeout_of_half_close)
{
	int64_t before = mono_ms();
	serve_to_ack(1000);
	int64_t after = mono_ms();
	ck_assert_int_ge(serve_deadline(&sc), before + 5000);
	ck_assert_int_le(serve_deadline(&sc), after + 5000);
	struct wire_ack a = {.status = WIRE_ACK_OK, .received = 1000};
	uint8_t buf[WIRE_FRAME_MAX];
	encode(WIRE_ACK, &a, buf);
	peer_send(buf, 1);
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_IN);
	sc.link.progress_ms += 4000; /* that byte came 4 s into the wait */
	ck_assert_int_le(serve_deadline(&sc), after + 5000);
	scfg.timeout_ms = -1;
	ck_assert_int_eq(serve_deadline(&sc), 0);
	serve_expire(&sc);
	serve_failed("timed out waiting for the ack");
}
END_TEST

START_TEST(p11_any_other_ack_fails)
{
	static const char *const why[] = {"reported OK after 999 of 1000", "reported SHORT after 1000 of 1000",
					  "connection closed before the ack", "reset"};
	serve_to_ack(1000);
	if (_i == 0)
		peer_ack(WIRE_ACK_OK, 999);
	else if (_i == 1)
		peer_ack(WIRE_ACK_SHORT, 1000);
	else if (_i == 2)
		shutdown(P, SHUT_WR);
	else
		peer_reset();
	await(M, POLLIN);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	serve_failed(why[_i]);
}
END_TEST

START_TEST(p11_raw_starts_in_payload)
{
	serve_start(1000, true);
	ck_assert_int_eq(sc.state, SERVE_PAYLOAD);
	ck_assert_int_eq(sstep(), STEP_ENDED);
	ck_assert_int_eq(sc.result, 0);
	peer_skip(1000);
	peer_sees_eof();
	serve_end(&sc);
}
END_TEST

/* Each state's deadline, and what its expiry says (SPEC S-13 P-10). */
START_TEST(p11_deadlines_and_expiry)
{
	static const char *const waiting[] = {"the request", "the receiver to read the response",
					      "the receiver to read the payload", "the ack"};
	serve_start(_i == 2 ? BIG : 1000, false);
	ck_assert_int_eq(serve_deadline(&sc), sc.started_ms + 3000); /* header before idle */
	scfg.header_timeout_ms = -1;
	ck_assert_int_eq(serve_deadline(&sc), sc.link.progress_ms + 5000);
	scfg.timeout_ms = -1;
	ck_assert_int_eq(serve_deadline(&sc), 0);
	scfg.header_timeout_ms = 3000;
	ck_assert_int_eq(serve_deadline(&sc), sc.started_ms + 3000);
	scfg.timeout_ms = 5000;
	if (_i > 0) {
		if (_i == 1)
			machine_blocked();
		peer_request(0, 0, "");
		await(M, POLLIN);
		sstep();
		/* past the request only the idle time counts */
		ck_assert_int_eq(serve_deadline(&sc), sc.link.progress_ms + 5000);
	}
	static const enum serve_state states[] = {SERVE_REQUEST, SERVE_RESPONSE, SERVE_PAYLOAD, SERVE_ACK};
	ck_assert_int_eq(sc.state, states[_i]);
	serve_expire(&sc);
	char want[80];
	snprintf(want, sizeof want, "timed out waiting for %s", waiting[_i]);
	serve_failed(want);
	ck_assert_int_eq(sc.err.code, ZCP_EXIT_NET);
}
END_TEST

START_TEST(p11_abandoned_with_the_servers_reason)
{
	serve_asked(BIG);
	sstep();
	serve_abandon(&sc, "stopped: the drain time ran out");
	serve_failed("stopped: the drain time ran out");
}
END_TEST

/* --- the receiver's machine (SPEC P-12) */

static struct fetch_cfg fcfg;
static struct fetch_conn fc;
static struct fsio_out out;

static void fetch_start(const char *path, unsigned flags, bool raw)
{
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&out, path, flags, &e), 0);
	fcfg = (struct fetch_cfg){.path = XFER_SPLICE, .chunk = 8192, .raw = raw, .timeout_ms = 5000};
	fetch_init(&fc, M, "peer", &fcfg, &out);
}

static int fstep(void) { return fetch_step(&fc, POLLIN | POLLOUT, UINT64_MAX); }

static void fetch_failed(const char *reason_part)
{
	ended_failed(fc.state == FETCH_DONE, fc.result, &fc.err, reason_part);
	fetch_end(&fc);
	ck_assert_int_eq(access(out_path, F_OK), -1); /* SPEC R-2: nothing stored */
}

static void peer_says(uint8_t status, uint64_t size, uint64_t off, uint64_t len, const char *name)
{
	struct wire_response r = {.status = status, .file_size = size, .offset = off, .length = len};
	r.name_len = (uint16_t)strlen(name);
	memcpy(r.name, name, r.name_len);
	uint8_t buf[WIRE_FRAME_MAX];
	peer_send(buf, encode(WIRE_RESPONSE, &r, buf));
}

static void peer_payload(uint64_t from, uint64_t n)
{
	uint8_t buf[65536];
	while (n) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		for (size_t i = 0; i < k; i++)
			buf[i] = tu_byte(from + i);
		peer_send(buf, k);
		from += k, n -= k;
	}
}

/* The request went out; the peer has read it. */
static void fetch_asked(void)
{
	fetch_start(out_path, 0, false);
	ck_assert_int_eq(fstep(), STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_RESPONSE);
	struct wire_request q;
	peer_frame(WIRE_REQUEST, &q);
}

/* Steps (waiting as asked) until the machine is past state. */
static void fetch_past(enum fetch_state state)
{
	while (fc.state <= state) {
		int r = fstep();
		if (!(r & STEP_YIELD) && fc.state <= state)
			await(M, r & STEP_IN ? POLLIN : POLLOUT);
	}
}

/* Up to FETCH_EOF: a 1000-byte payload all stored. */
static void fetch_to_eof(void)
{
	fetch_asked();
	peer_says(WIRE_OK, 1000, 0, 1000, "f");
	peer_payload(0, 1000);
	fetch_past(FETCH_PAYLOAD);
	ck_assert_int_eq(fc.state, FETCH_EOF);
}

/* The peer gets an ack with this status, then the machine's half-close. */
static void peer_acked(enum wire_ack_status status)
{
	struct wire_ack a;
	peer_frame(WIRE_ACK, &a);
	ck_assert_uint_eq(a.status, status);
	peer_sees_eof();
}

/* ... and the machine lingers (SPEC R-14). */
static void peer_acked_then_linger(enum wire_ack_status status)
{
	peer_acked(status);
	ck_assert_int_eq(fc.state, FETCH_LINGER);
}

START_TEST(p12_request_waits_for_room_then_response)
{
	fetch_start(out_path, 0, false);
	ck_assert_int_eq(fc.state, FETCH_REQUEST);
	size_t junk = machine_blocked();
	ck_assert_int_eq(fstep(), STEP_OUT);
	ck_assert_int_eq(fc.state, FETCH_REQUEST);
	peer_skip(junk);
	await(M, POLLOUT);
	ck_assert_int_eq(fstep(), STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_RESPONSE);
	struct wire_request q;
	peer_frame(WIRE_REQUEST, &q);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_no_response_ends_without_ack)
{
	fetch_asked();
	if (_i == 0) {
		peer_send("ZCR1", 4);
		shutdown(P, SHUT_WR);
	} else {
		peer_reset();
	}
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_ENDED);
	if (_i == 0)
		peer_got_nothing();
	fetch_failed(_i == 0 ? "connection closed before the response" : "reset");
}
END_TEST

START_TEST(p12_response_in_parts_waits)
{
	fetch_asked();
	peer_send("ZCR1\x01", 5);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_RESPONSE);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_malformed_response_acks_protocol)
{
	fetch_asked();
	peer_send("ZCX1\x01\x00\x00\x00" "0123456789abcdefghijklmn", 32);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	peer_acked_then_linger(WIRE_ACK_PROTOCOL);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_refusal_ends_without_ack)
{
	fetch_asked();
	peer_says(WIRE_NOT_FOUND, 0, 0, 0, "");
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_ENDED);
	peer_got_nothing();
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_PEER);
	fetch_failed("sender answered NOT_FOUND");
}
END_TEST

/* Responses OK that are refused, and the ack each gets (SPEC R-11 R-12 R-13 R-3). */
START_TEST(p12_ok_refused_acks)
{
	struct zerr e;
	if (_i == 3) /* the output cannot be opened: the file exists, no --force */
		tu_make_file(out_path, 10);
	ck_assert_int_eq(fsio_out_init(&out, _i == 3 ? dir : out_path, 0, &e), 0);
	fcfg = (struct fetch_cfg){.path = XFER_COPY, .chunk = 8192, .timeout_ms = 5000, .max_size = 500,
				  .name = _i == 2 ? "asked.bin" : NULL};
	fetch_init(&fc, M, "peer", &fcfg, &out);
	ck_assert_int_eq(fstep(), STEP_IN);
	struct wire_request q;
	peer_frame(WIRE_REQUEST, &q);
	if (_i == 0)
		peer_says(WIRE_OK, 1000, 7, 100, "f");        /* another offset */
	else if (_i == 1)
		peer_says(WIRE_OK, 1000, 0, 1000, "f");       /* over --max-size */
	else if (_i == 2)
		peer_says(WIRE_OK, 100, 0, 100, "other.bin"); /* another name */
	else
		peer_says(WIRE_OK, 100, 0, 100, "out.bin");   /* an existing file */
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	peer_acked_then_linger(_i == 1 || _i == 3 ? WIRE_ACK_LOCAL_ERROR : WIRE_ACK_PROTOCOL);
	fetch_end(&fc);
	if (_i == 3)
		tu_check_file(out_path, 0, 10); /* untouched */
}
END_TEST

/* A fetch that asks for the identity (SPEC W-15) was answered OK for a 1000-byte
 * file; buf holds the encoded identity of a file of size bytes, not sent yet. */
static void fetch_answered_with_ident(uint64_t size, uint8_t buf[WIRE_IDENT_SIZE])
{
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, &e), 0);
	fcfg = (struct fetch_cfg){.path = XFER_SPLICE, .chunk = 8192, .timeout_ms = 5000, .resume = {.want_ident = true}};
	fetch_init(&fc, M, "peer", &fcfg, &out);
	ck_assert_int_eq(fstep(), STEP_IN);
	struct wire_request q;
	peer_frame(WIRE_REQUEST, &q);
	ck_assert_uint_eq(q.flags, WIRE_FLAG_IDENT);
	peer_says(WIRE_OK, 1000, 0, 1000, "f");
	struct wire_ident id = {.size = size};
	ck_assert_int_eq(wire_encode_ident(&id, buf, WIRE_IDENT_SIZE), WIRE_IDENT_SIZE);
}

/* SPEC W-15: an identity whose size is not the response's file_size is not of
 * the file answered: acked PROTOCOL, nothing stored. */
START_TEST(w15_identity_of_another_size_acks_protocol)
{
	uint8_t buf[WIRE_IDENT_SIZE];
	fetch_answered_with_ident(999, buf);
	peer_send(buf, sizeof buf);
	fetch_past(FETCH_ACK);
	peer_acked_then_linger(WIRE_ACK_PROTOCOL);
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_PROTO);
	ck_assert_ptr_nonnull(strstr(fc.err.reason, "identity is of a 999-byte file"));
	fetch_end(&fc);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

START_TEST(p12_ok_goes_to_payload_and_waits)
{
	fetch_asked();
	peer_says(WIRE_OK, 100000, 0, 100000, "f");
	peer_payload(0, 1000);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_PAYLOAD);
	ck_assert_uint_eq(fc.job.res.moved, 1000);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_payload_yields_after_its_budget)
{
	fetch_asked();
	peer_says(WIRE_OK, 1u << 20, 0, 1u << 20, "f");
	peer_payload(0, 200000);
	await_queued(M, 65536 + 1); /* more than one turn's budget is there to read */
	ck_assert_int_eq(fetch_step(&fc, POLLIN, 65536), STEP_YIELD | STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_PAYLOAD);
	ck_assert_uint_gt(fc.job.res.moved, 0);
	ck_assert_uint_le(fc.job.res.moved, 65536);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_every_byte_stored_then_eof_awaited)
{
	fetch_to_eof();
	ck_assert_int_eq(fstep(), STEP_IN); /* the sender has not closed yet */
	ck_assert_int_eq(fc.state, FETCH_EOF);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_stream_ends_early_acks_short)
{
	fetch_asked();
	peer_says(WIRE_OK, 1000, 0, 1000, "f");
	peer_payload(0, 400);
	shutdown(P, SHUT_WR);
	fetch_past(FETCH_PAYLOAD);
	ck_assert_int_eq(fc.state, FETCH_DONE); /* acked, and the sender had closed: no lingering */
	peer_acked(WIRE_ACK_SHORT);
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_PROTO);
	ck_assert_ptr_nonnull(strstr(fc.err.reason, "connection closed after 400 of 1000 bytes"));
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_output_failure_acks_local_error)
{
	struct rlimit small = {4096, 4096};
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	char partial[400];
	snprintf(partial, sizeof partial, "%s.zcp-partial", out_path);
	fetch_asked();
	if (_i) /* SPEC E-2 R-20: the file written is the kept partial: the error names it */
		fsio_out_use_partial(&out, partial, 0);
	peer_says(WIRE_OK, 100000, 0, 100000, "f");
	peer_payload(0, 100000);
	await(M, POLLIN);
	int r;
	while ((r = fstep()) & STEP_YIELD)
		;
	ck_assert_int_eq(r, STEP_IN);
	peer_acked_then_linger(WIRE_ACK_LOCAL_ERROR);
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(fc.err.object, _i ? partial : out_path);
	fetch_end(&fc);
	unlink(partial);
}
END_TEST

START_TEST(p12_byte_after_payload_acks_protocol)
{
	fetch_to_eof();
	peer_send("!", 1);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	peer_acked_then_linger(WIRE_ACK_PROTOCOL);
	fetch_end(&fc);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

START_TEST(p12_eof_commits_then_acks_ok)
{
	fetch_to_eof();
	ck_assert_int_eq(access(out_path, F_OK), -1); /* not before the sender's end */
	shutdown(P, SHUT_WR);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_ENDED);
	ck_assert_int_eq(fc.result, 0);
	tu_check_file(out_path, 0, 1000);
	struct wire_ack a;
	peer_frame(WIRE_ACK, &a);
	ck_assert_uint_eq(a.status, WIRE_ACK_OK);
	ck_assert_uint_eq(a.received, 1000);
	fetch_end(&fc);
	tu_check_file(out_path, 0, 1000);
}
END_TEST

START_TEST(p12_failed_commit_acks_local_error)
{
	fetch_to_eof();
	tu_make_file(out_path, 10); /* appears meanwhile; no --force: not replaced */
	shutdown(P, SHUT_WR);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_ENDED); /* the sender had closed: no lingering */
	ck_assert_int_eq(fc.result, -1);
	peer_acked(WIRE_ACK_LOCAL_ERROR);
	fetch_end(&fc);
	tu_check_file(out_path, 0, 10);
}
END_TEST

START_TEST(p12_reset_at_eof_fails)
{
	fetch_to_eof();
	peer_reset();
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_ENDED); /* the ack SHORT cannot go out either */
	ck_assert_int_eq(fc.ack, WIRE_ACK_SHORT);
	fetch_failed("reset");
}
END_TEST

START_TEST(p12_ack_waits_for_room)
{
	fetch_to_eof();
	size_t junk = machine_blocked();
	shutdown(P, SHUT_WR);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_OUT);
	ck_assert_int_eq(fc.state, FETCH_ACK);
	peer_skip(junk);
	await(M, POLLOUT);
	ck_assert_int_eq(fstep(), STEP_ENDED);
	ck_assert_int_eq(fc.result, 0);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_linger_drops_bytes_until_eof)
{
	fetch_to_eof();
	peer_send("!", 1);
	await(M, POLLIN);
	fstep();
	peer_acked_then_linger(WIRE_ACK_PROTOCOL);
	peer_payload(0, 300000); /* the sender goes on sending */
	await_queued(M, 1);
	ck_assert_int_eq(fstep(), STEP_IN);
	ck_assert_int_eq(fc.state, FETCH_LINGER);
	shutdown(P, SHUT_WR);
	await(M, POLLIN);
	fetch_past(FETCH_LINGER);
	fetch_failed("peer sent more than declared"); /* the reason it had */
}
END_TEST

START_TEST(p12_deadlines_and_expiry)
{
	if (_i == 1) { /* the request not yet out: ended, nothing to tell */
		fetch_start(out_path, 0, false);
		ck_assert_int_eq(fetch_deadline(&fc), fc.link.progress_ms + 5000);
		fetch_expire(&fc);
		ck_assert_str_eq(fc.err.call, "sendto");
		fetch_failed("timed out");
		return;
	}
	fetch_to_eof();
	ck_assert_int_eq(fetch_deadline(&fc), fc.link.progress_ms + 5000);
	fcfg.timeout_ms = -1;
	ck_assert_int_eq(fetch_deadline(&fc), 0);
	fcfg.timeout_ms = 5000;
	fetch_expire(&fc); /* waiting for the sender's end: the ack SHORT is sent */
	ck_assert_int_eq(fc.state, FETCH_ACK);
	ck_assert_int_eq(fstep(), STEP_IN);
	peer_acked_then_linger(WIRE_ACK_SHORT);
	fcfg.timeout_ms = 3 * FETCH_LINGER_MS; /* linger and idle deadlines apart, whatever the clock did */
	ck_assert_int_eq(fetch_deadline(&fc), fc.linger_until); /* before the idle deadline */
	fcfg.timeout_ms = FETCH_LINGER_MS / 5;
	ck_assert_int_eq(fetch_deadline(&fc), fc.link.progress_ms + FETCH_LINGER_MS / 5); /* the idle one first */
	fcfg.timeout_ms = 5000;
	ck_assert_int_le(fc.linger_until, mono_ms() + FETCH_LINGER_MS);
	fetch_expire(&fc); /* lingering ends; the reason stays */
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_NET);
	fetch_failed("timed out");
}
END_TEST

/* SPEC P-13: a push receiver's header (the response, its identity) is due whole
 * --header-timeout after the accept, whatever bytes of it came; the trailer the same
 * time after the payload. (A late byte is made by moving the progress instant.) */
START_TEST(p13_fetch_header_and_trailer_whole_within_header_timeout)
{
	int64_t before = mono_ms();
	fetch_asked();
	fcfg.header_timeout_ms = 3000;
	int64_t after = mono_ms();
	ck_assert_int_ge(fetch_deadline(&fc), before + 3000); /* the header's before the idle one */
	ck_assert_int_le(fetch_deadline(&fc), after + 3000);
	peer_send("ZCR1", 4);
	await(M, POLLIN);
	ck_assert_int_eq(fstep(), STEP_IN);
	fc.link.progress_ms += 2500; /* those bytes came 2.5 s into the wait */
	ck_assert_int_le(fetch_deadline(&fc), after + 3000);
	fcfg.header_timeout_ms = -1;
	ck_assert_int_eq(fetch_deadline(&fc), fc.link.progress_ms + 5000);
	fetch_end(&fc);
	if (_i == 0)
		return;
	fetch_start(out_path, 0, false); /* with --verify: the trailer after the payload */
	fcfg.verify = true;
	fcfg.header_timeout_ms = 3000;
	fetch_init(&fc, M, "peer", &fcfg, &out);
	fetch_past(FETCH_REQUEST);
	peer_says(WIRE_OK, 1000, 0, 1000, "f");
	peer_payload(0, 1000);
	before = mono_ms();
	fetch_past(FETCH_PAYLOAD);
	after = mono_ms();
	ck_assert_int_eq(fc.state, FETCH_TRAILER);
	fc.link.progress_ms += 2500;
	ck_assert_int_ge(fetch_deadline(&fc), before + 3000);
	ck_assert_int_le(fetch_deadline(&fc), after + 3000);
	fetch_expire(&fc); /* no trailer in time: SHORT acked */
	ck_assert_int_eq(fc.state, FETCH_ACK);
	fetch_end(&fc);
}
END_TEST

START_TEST(p12_abandoned_with_the_servers_reason)
{
	fetch_to_eof();
	fetch_abandon(&fc, "stopped: the drain time ran out");
	fetch_failed("stopped: the drain time ran out");
}
END_TEST

START_TEST(p12_raw_starts_in_payload)
{
	fetch_start(out_path, 0, true);
	ck_assert_int_eq(fc.state, FETCH_PAYLOAD);
	peer_payload(0, 5000);
	shutdown(P, SHUT_WR);
	fetch_past(FETCH_PAYLOAD);
	ck_assert_int_eq(fc.state, FETCH_DONE);
	ck_assert_int_eq(fc.result, 0);
	fetch_end(&fc);
	tu_check_file(out_path, 0, 5000);
}
END_TEST

/* Lowers RLIMIT_NOFILE so that one more descriptor can be opened and no more
 * (the lowest free one); returns the limit to put back. */
static struct rlimit one_more_fd(void)
{
	int free_fd = dup(0);
	ck_assert_int_ge(free_fd, 0);
	close(free_fd);
	struct rlimit was, few;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	few = (struct rlimit){(rlim_t)free_fd + 1, was.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &few), 0);
	return was;
}

/* SPEC W-17 P-11: a receiver that acked (its own failure) and went away while the
 * file was hashed is heard: its word is the outcome, not just that it went. */
START_TEST(w17_peer_gone_with_its_ack_is_heard)
{
	serve_hashing();
	peer_ack(WIRE_ACK_LOCAL_ERROR, 0);
	close(P);
	P = -1;
	await(M, POLLRDHUP); /* the ack and the FIN are there (see above) */
	ck_assert_int_eq(serve_step(&sc, POLLOUT, 65536), STEP_ENDED);
	ck_assert_int_eq(sc.err.code, ZCP_EXIT_PEER);
	serve_failed("receiver reported LOCAL_ERROR after 0 of 1 bytes");
}
END_TEST

/* SPEC P-11 E-1: a trailer that cannot be sent (the connection's sending half is
 * gone) ends the transfer failed: exit class 4, the call named. */
START_TEST(p11_trailer_not_sent_fails)
{
	serve_hashing();
	ck_assert_int_eq(shutdown(M, SHUT_WR), 0);
	ck_assert_int_eq(serve_step(&sc, POLLOUT, UINT64_MAX), STEP_ENDED);
	ck_assert_int_eq(sc.err.code, ZCP_EXIT_NET);
	ck_assert_str_eq(sc.err.call, "sendto");
	serve_failed("Broken pipe");
}
END_TEST

/* SPEC E-1 P-11: no pipe for the splice path (out of descriptors): the transfer
 * ends failed in its setup, the system's failure (exit class 1). */
START_TEST(p11_no_pipe_fails_the_setup)
{
	serve_start(1000, false);
	scfg.path = XFER_SPLICE;
	peer_request(0, 0, "");
	await(M, POLLIN);
	struct rlimit was = one_more_fd(); /* the file takes it, the pipe finds none */
	int r = sstep();
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	ck_assert_int_eq(r, STEP_ENDED);
	ck_assert_int_eq(sc.err.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(sc.err.call, "transfer setup");
	serve_failed("Too many open files");
}
END_TEST

/* SPEC W-15: an identity frame that comes in parts is waited for, then the payload. */
START_TEST(w15_identity_in_parts_waits)
{
	uint8_t buf[WIRE_IDENT_SIZE];
	fetch_answered_with_ident(1000, buf);
	peer_send(buf, 5);
	fetch_past(FETCH_RESPONSE);
	ck_assert_int_eq(fstep(), STEP_IN); /* the identity's first bytes only */
	ck_assert_int_eq(fc.state, FETCH_IDENT);
	peer_send(buf + 5, sizeof buf - 5);
	fetch_past(FETCH_IDENT);
	ck_assert_int_eq(fc.state, FETCH_PAYLOAD);
	ck_assert_uint_eq(fc.ident.size, 1000);
	fetch_end(&fc);
}
END_TEST

/* SPEC E-1 P-12: no pipe for the splice path (out of descriptors): the ack says
 * LOCAL_ERROR and the failure is the system's, nothing stored. */
START_TEST(p12_no_pipe_acks_local_error)
{
	fetch_asked();
	struct rlimit was = one_more_fd(); /* the output takes it, the pipe finds none */
	peer_says(WIRE_OK, 1000, 0, 1000, "f");
	await(M, POLLIN);
	int r = fstep();
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	ck_assert_int_eq(r, STEP_IN);
	peer_acked_then_linger(WIRE_ACK_LOCAL_ERROR);
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(fc.err.reason, "Too many open files");
	fetch_end(&fc);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* Up to FETCH_HASH with --verify: n bytes stored, the sender's trailer (the true
 * hash of the pattern) read, hashing started. */
static void fetch_to_hash(uint64_t n)
{
	fetch_start(out_path, 0, false);
	fcfg.verify = true;
	fetch_init(&fc, M, "peer", &fcfg, &out);
	fetch_past(FETCH_REQUEST);
	struct wire_request q;
	peer_frame(WIRE_REQUEST, &q);
	ck_assert_uint_eq(q.flags, WIRE_FLAG_VERIFY);
	peer_says(WIRE_OK, n, 0, n, "f");
	peer_payload(0, n);
	static uint8_t data[FHASH_BUF + 1000];
	ck_assert_uint_le(n, sizeof data);
	for (uint64_t i = 0; i < n; i++)
		data[i] = tu_byte(i);
	XXH128_canonical_t h;
	XXH128_canonicalFromHash(&h, XXH3_128bits(data, n));
	struct wire_trailer t;
	memcpy(t.hash, h.digest, WIRE_HASH_SIZE);
	uint8_t buf[WIRE_TRAILER_SIZE];
	ck_assert_int_eq(wire_encode_trailer(&t, buf, sizeof buf), WIRE_TRAILER_SIZE);
	peer_send(buf, sizeof buf);
	while (fc.state <= FETCH_TRAILER) {
		int r = fetch_step(&fc, POLLIN, 65536);
		if (!(r & STEP_YIELD) && fc.state <= FETCH_TRAILER)
			await(M, POLLIN);
	}
}

/* SPEC R-19 W-17: reading back what was stored takes turns of at most the budget,
 * each yielding; a match goes on to the sender's end. */
START_TEST(r19_hash_of_the_stored_yields_then_matches)
{
	enum { SIZE = FHASH_BUF + 1000, BUDGET = 65536 };
	fetch_to_hash(SIZE);
	int turns = 0, r;
	while (fc.state == FETCH_HASH) {
		uint64_t before = fc.hash.at;
		r = fetch_step(&fc, POLLIN, BUDGET);
		ck_assert_uint_le(fc.hash.at - before, BUDGET);
		if (fc.state == FETCH_HASH)
			ck_assert_int_eq(r, STEP_YIELD | STEP_IN);
		ck_assert_int_lt(++turns, 1000);
	}
	ck_assert_int_gt(turns, 1);
	ck_assert_int_eq(fc.state, FETCH_EOF);
	ck_assert(!fc.mismatch);
	fetch_end(&fc);
}
END_TEST

/* SPEC R-19 E-2: the stored file cut short while it is read back: a file error
 * (the shortfall said, the output named), acked LOCAL_ERROR, nothing published. */
START_TEST(r19_stored_file_cut_while_hashed)
{
	enum { SIZE = FHASH_BUF + 1000 };
	fetch_to_hash(SIZE);
	ck_assert_int_eq(fc.state, FETCH_HASH);
	ck_assert_int_eq(ftruncate(out.fd, 10), 0);
	fetch_past(FETCH_ACK);
	peer_acked_then_linger(WIRE_ACK_LOCAL_ERROR);
	ck_assert_int_eq(fc.err.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(fc.err.call, "pread");
	ck_assert_str_eq(fc.err.object, out_path);
	ck_assert_str_eq(fc.err.reason, "the file is shorter than what was stored");
	fetch_end(&fc);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("serve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, p11_request_in_parts_waits_to_read);
	tcase_add_test(tc, p11_whole_request_goes_to_response);
	tcase_add_loop_test(tc, p11_refusal_sent_then_done, 0, (int)(sizeof refusals / sizeof refusals[0]));
	tcase_add_loop_test(tc, p11_request_cut_off_fails, 0, 2);
	tcase_add_test(tc, p11_payload_waits_for_room_and_an_early_ack);
	tcase_add_test(tc, p11_payload_yields_after_its_budget);
	tcase_add_loop_test(tc, p11_early_ack_fails, 0, 2);
	tcase_add_test(tc, p11_truncated_file_fails);
	tcase_add_test(tc, p11_hash_yields_then_trailer);
	tcase_add_test(tc, p11_all_sent_half_closes_then_ack);
	tcase_add_test(tc, p11_ack_in_parts_then_ok_succeeds);
	tcase_add_test(tc, p13_ack_whole_within_timeout_of_half_close);
	tcase_add_test(tc, p11_hash_yields_after_its_budget);
	tcase_add_loop_test(tc, p11_hash_stops_when_the_peer_goes, 0, 2);
	tcase_add_test(tc, p11_hash_of_an_unchanged_file_read_once);
	tcase_add_loop_test(tc, p11_any_other_ack_fails, 0, 4);
	tcase_add_test(tc, p11_raw_starts_in_payload);
	tcase_add_loop_test(tc, p11_deadlines_and_expiry, 0, 4);
	tcase_add_test(tc, p11_abandoned_with_the_servers_reason);
	tcase_add_test(tc, w17_peer_gone_with_its_ack_is_heard);
	tcase_add_test(tc, p11_trailer_not_sent_fails);
	tcase_add_test(tc, p11_no_pipe_fails_the_setup);
	suite_add_tcase(s, tc);
	tc = tcase_create("fetch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, p12_request_waits_for_room_then_response);
	tcase_add_loop_test(tc, p12_no_response_ends_without_ack, 0, 2);
	tcase_add_test(tc, p12_response_in_parts_waits);
	tcase_add_test(tc, p12_malformed_response_acks_protocol);
	tcase_add_test(tc, p12_refusal_ends_without_ack);
	tcase_add_test(tc, w15_identity_of_another_size_acks_protocol);
	tcase_add_loop_test(tc, p12_ok_refused_acks, 0, 4);
	tcase_add_test(tc, p12_ok_goes_to_payload_and_waits);
	tcase_add_test(tc, p12_payload_yields_after_its_budget);
	tcase_add_test(tc, p12_every_byte_stored_then_eof_awaited);
	tcase_add_test(tc, p12_stream_ends_early_acks_short);
	tcase_add_loop_test(tc, p12_output_failure_acks_local_error, 0, 2);
	tcase_add_test(tc, p12_byte_after_payload_acks_protocol);
	tcase_add_test(tc, p12_eof_commits_then_acks_ok);
	tcase_add_test(tc, p12_failed_commit_acks_local_error);
	tcase_add_test(tc, p12_reset_at_eof_fails);
	tcase_add_test(tc, p12_ack_waits_for_room);
	tcase_add_test(tc, p12_linger_drops_bytes_until_eof);
	tcase_add_loop_test(tc, p12_deadlines_and_expiry, 0, 2);
	tcase_add_test(tc, p12_abandoned_with_the_servers_reason);
	tcase_add_loop_test(tc, p13_fetch_header_and_trailer_whole_within_header_timeout, 0, 2);
	tcase_add_test(tc, p12_raw_starts_in_payload);
	tcase_add_test(tc, w15_identity_in_parts_waits);
	tcase_add_test(tc, p12_no_pipe_acks_local_error);
	tcase_add_test(tc, r19_hash_of_the_stored_yields_then_matches);
	tcase_add_test(tc, r19_stored_file_cut_while_hashed);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
