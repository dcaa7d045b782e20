/* Check suite for src/serve.c and src/fetch.c: the ZCP/1 state machine over
 * real TCP loopback connections, against each other and against scripted peers. */
#include <sys/resource.h>

#include "fetch.h"
#include "frameio.h"
#include "net.h"
#include "serve.h"
#include "testutil.h"

static char dir[256], src_path[300], out_path[300];
static const struct xfer_ctx CTX = {.timeout_ms = 5000};

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(src_path, sizeof src_path, "%s/data.bin", dir);
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	signal(SIGPIPE, SIG_IGN);
}

static void teardown(void) { tu_rmtree(dir); }

static int dir_entries(void)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' | wc -l)", dir);
	return WEXITSTATUS(system(cmd));
}

/* Runs serve_one in a child on sv[1]; the child exits with 0 or the zerr code. */
static pid_t serve_child(int sv[2], enum xfer_path path, bool raw)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(sv[0]);
	struct serve_cfg cfg = {.file = src_path, .rootfd = -1, .path = path, .chunk = 8192, .raw = raw,
				.timeout_ms = CTX.timeout_ms, .header_timeout_ms = CTX.timeout_ms};
	struct serve_report rep;
	struct zerr e;
	int r = serve_one(sv[1], "peer", &cfg, &rep, NULL, &e);
	tu_exit(r == 0 ? 0 : (int)e.code);
}

/* Fetches into out_path with range (off, len) from a serve_child; returns the
 * fetch result, *sender_exit the sender's. */
static int fetch_from_server(enum xfer_path sp, enum xfer_path rp, uint64_t off, uint64_t len,
			     bool raw, struct fetch_report *rep, struct zerr *e, int *sender_exit)
{
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = serve_child(sv, sp, raw);
	close(sv[1]);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, FSIO_FORCE, e), 0);
	struct fetch_cfg cfg = {.path = rp, .chunk = 8192, .raw = raw, .offset = off, .length = len,
				.timeout_ms = CTX.timeout_ms};
	int r = fetch_one(sv[0], "peer", &cfg, &out, rep, NULL, e);
	close(sv[0]);
	*sender_exit = tu_child_status(pid);
	return r;
}

static const enum xfer_path send_paths[] = {XFER_COPY, XFER_SENDFILE, XFER_SPLICE};
static const enum xfer_path recv_paths[] = {XFER_COPY, XFER_SPLICE};

/* SPEC P-1 P-5 X-1 X-2 X-3 X-4 X-5: every sender path with every receiver path. */
START_TEST(p1_roundtrip_all_paths)
{
	const uint64_t size = (1 << 20) + 7;
	tu_make_file(src_path, size);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	int r = fetch_from_server(send_paths[_i / 2], recv_paths[_i % 2], 0, 0, false, &rep, &e, &sx);
	ck_assert_msg(r == 0, "fetch: %s %s", e.call, e.reason);
	ck_assert_int_eq(sx, 0);
	ck_assert_uint_eq(rep.received, size);
	ck_assert_uint_eq(rep.resp.file_size, size);
	ck_assert_str_eq(rep.resp.name, "data.bin");
	tu_check_file(out_path, 0, size);
	ck_assert_int_eq(dir_entries(), 2); /* data.bin, out.bin: no temporary left */
}
END_TEST

struct range {
	uint64_t off, len, want_len;
};

/* SPEC P-2 R-8: ranges served from a 10000-byte file. */
static const struct range ranges[] = {
	{0, 0, 10000}, {10, 100, 100}, {9999, 0, 1}, {10000, 0, 0}, {10, 1ull << 40, 9990},
	{0, 10000, 10000}, {5000, 5000, 5000},
};

/* What the progress hook saw: ticks, the last counts, whether moved ever went back. */
static struct { unsigned ticks; uint64_t moved, total; bool backwards; } seen;

static void note_tick(void *arg, uint64_t moved, uint64_t total)
{
	(void)arg;
	seen.backwards |= moved < seen.moved;
	seen.ticks++, seen.moved = moved, seen.total = total;
}

/* SPEC C-10: with a progress hook each step moves at most `every` bytes and the
 * hook hears the payload so far after each: at least size / every ticks, never
 * backwards, the last one complete; the bytes arrive as without it. */
START_TEST(c10_progress_ticks_bounded_steps)
{
	const uint64_t size = (8 << 20) + 3;
	tu_make_file(src_path, size);
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = serve_child(sv, XFER_SENDFILE, false);
	close(sv[1]);
	struct fsio_out out;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&out, out_path, FSIO_FORCE, &e), 0);
	struct step_progress pg = {.every = 1 << 20, .tick = note_tick};
	struct fetch_cfg cfg = {.path = _i ? XFER_COPY : XFER_SPLICE, .chunk = 8192, .timeout_ms = CTX.timeout_ms,
				.progress = &pg};
	struct fetch_report rep;
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(fetch_one(sv[0], "peer", &cfg, &out, &rep, NULL, &e), 0);
	close(sv[0]);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_ge(seen.ticks, size >> 20);
	ck_assert(!seen.backwards);
	ck_assert_uint_eq(seen.moved, size);
	ck_assert_uint_eq(seen.total, size);
	tu_check_file(out_path, 0, size);
}
END_TEST

START_TEST(p2_ranges)
{
	const struct range *c = &ranges[_i];
	tu_make_file(src_path, 10000);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_from_server(XFER_SENDFILE, XFER_SPLICE, c->off, c->len, false, &rep,
					   &e, &sx), 0);
	ck_assert_int_eq(sx, 0);
	ck_assert_uint_eq(rep.resp.offset, c->off);
	ck_assert_uint_eq(rep.resp.length, c->want_len);
	tu_check_file(out_path, c->off, c->want_len);
}
END_TEST

/* SPEC P-2 R-10: an offset past the end is BAD_RANGE; no output appears. */
START_TEST(p2_offset_past_end)
{
	tu_make_file(src_path, 10000);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_from_server(XFER_SENDFILE, XFER_SPLICE, 10001, 0, false, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_str_eq(e.reason, "sender answered BAD_RANGE");
	ck_assert_int_eq(sx, ZCP_EXIT_PROTO);
	ck_assert_int_ne(access(out_path, F_OK), 0);
}
END_TEST

/* SPEC S-1 R-10 P-9: a file that was there at start and vanished before the request
 * is NOT_FOUND (framed), a file error for the sender; in raw mode the receiver
 * gets a reset, never an empty file. */
START_TEST(s1_vanished_before_request)
{
	tu_make_file(src_path, 100);
	unlink(src_path); /* the sender opens FILE again for every transfer */
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_from_server(XFER_SENDFILE, XFER_SPLICE, 0, 0, _i, &rep, &e, &sx), -1);
	ck_assert_str_eq(e.reason, _i ? "Connection reset by peer" : "sender answered NOT_FOUND");
	ck_assert_int_eq(sx, ZCP_EXIT_FILE);
	ck_assert_int_ne(access(out_path, F_OK), 0);
}
END_TEST

/* SPEC P-9: raw mode: the whole file, no frames, end of stream ends it. */
START_TEST(p9_raw)
{
	tu_make_file(src_path, 777777);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_from_server(send_paths[_i], XFER_SPLICE, 0, 0, true, &rep, &e, &sx), 0);
	ck_assert_int_eq(sx, 0);
	tu_check_file(out_path, 0, 777777);
}
END_TEST

/* Scripted receiver: sends raw request bytes, returns the response status. */
static int scripted_request(int sock, const uint8_t *req, size_t len, struct wire_response *resp)
{
	int werr;
	ck_assert_int_eq(frameio_send(sock, req, len, 0, &CTX), 0);
	ck_assert_int_eq(frameio_recv(sock, WIRE_RESPONSE, resp, &CTX, &werr), FRAMEIO_OK);
	return resp->status;
}

/* SPEC P-3: a request name other than the file's base name is NOT_FOUND. */
START_TEST(p3_request_name)
{
	tu_make_file(src_path, 100);
	const char *name = _i ? "data.bin" : "other.bin";
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = serve_child(sv, XFER_SENDFILE, false);
	close(sv[1]);
	struct wire_request rq = {.name_len = (uint16_t)strlen(name)};
	memcpy(rq.name, name, rq.name_len);
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_request(&rq, buf, sizeof buf);
	struct wire_response resp;
	int st = scripted_request(sv[0], buf, (size_t)n, &resp);
	ck_assert_int_eq(st, _i ? WIRE_OK : WIRE_NOT_FOUND);
	if (_i) { /* read the payload and ack it */
		uint8_t payload[100];
		struct xfer_op op = xfer_op_mem(XS_RECVFROM, sv[0], payload, 0);
		uint64_t got;
		ck_assert_int_eq(xfer_move(&op, 100, true, &CTX, &got), 0);
		struct wire_ack a = {.status = WIRE_ACK_OK, .received = 100};
		wire_encode_ack(&a, buf, sizeof buf);
		frameio_send(sv[0], buf, WIRE_ACK_SIZE, 0, &CTX);
	}
	ck_assert_int_eq(tu_child_status(pid), _i ? 0 : ZCP_EXIT_PROTO);
	close(sv[0]);
}
END_TEST

/* SPEC P-4 W-6: a malformed request is answered BAD_REQUEST, a wrong version BAD_VERSION. */
START_TEST(p4_bad_request_answered)
{
	tu_make_file(src_path, 100);
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = serve_child(sv, XFER_SENDFILE, false);
	close(sv[1]);
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request rq = {0};
	ssize_t n = wire_encode_request(&rq, buf, sizeof buf);
	if (_i)
		buf[4] = 2; /* version 2 */
	else
		buf[5] = 0x40; /* reserved flag */
	struct wire_response resp;
	ck_assert_int_eq(scripted_request(sv[0], buf, (size_t)n, &resp),
			 _i ? WIRE_BAD_VERSION : WIRE_BAD_REQUEST);
	ck_assert_uint_eq(resp.length, 0);
	ck_assert_int_eq(tu_child_status(pid), ZCP_EXIT_PROTO);
	close(sv[0]);
}
END_TEST

/* Starts a sender (path) on a file of size bytes and asks for all of it; the
 * response must be OK. Returns the sender's pid; sv[0] is the receiver's end. */
static pid_t requested(enum xfer_path path, uint64_t size, int sv[2])
{
	tu_make_file(src_path, size);
	tu_tcp_pair(sv);
	pid_t pid = serve_child(sv, path, false);
	close(sv[1]);
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request rq = {0};
	ssize_t n = wire_encode_request(&rq, buf, sizeof buf);
	struct wire_response resp;
	ck_assert_int_eq(scripted_request(sv[0], buf, (size_t)n, &resp), WIRE_OK);
	return pid;
}

/* SPEC P-7: the sender succeeds only on ack OK for every byte. */
START_TEST(p7_ack_decides)
{
	static const struct wire_ack acks[] = {
		{WIRE_ACK_OK, 100}, {WIRE_ACK_SHORT, 50}, {WIRE_ACK_OK, 99}, {WIRE_ACK_LOCAL_ERROR, 100},
	};
	static const int want[] = {0, ZCP_EXIT_PEER, ZCP_EXIT_PEER, ZCP_EXIT_PEER, ZCP_EXIT_PROTO};
	int sv[2];
	pid_t pid = requested(XFER_SPLICE, 100, sv);
	uint8_t buf[WIRE_FRAME_MAX], payload[101];
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, sv[0], payload, 0);
	uint64_t got;
	ck_assert_int_eq(xfer_move(&op, 101, true, &CTX, &got), XFER_EOF); /* half-closed after 100 */
	ck_assert_uint_eq(got, 100);
	if (_i < 4) {
		wire_encode_ack(&acks[_i], buf, sizeof buf);
		frameio_send(sv[0], buf, WIRE_ACK_SIZE, 0, &CTX);
	}
	close(sv[0]); /* case 4: no ack at all */
	ck_assert_int_eq(tu_child_status(pid), want[_i]);
}
END_TEST

/* What a scripted sender does: answer the request with resp (name "f" unless
 * set), send `sent` pattern bytes, half-close and wait for the ack. */
struct script {
	struct wire_response resp;
	uint64_t sent;
	const char *want_name; /* the request must carry this name, if set */
	const char *final;     /* where the output is committed (default out_path) */
	bool reset;            /* after the payload, close with a reset instead of waiting */
	bool precreate;        /* create `final` before the end of stream (a commit will fail) */
};

/* A script answering a whole file of `declared` bytes with `sent` bytes. */
static struct script plain(uint64_t declared, uint64_t sent)
{
	return (struct script){.resp = {.status = WIRE_OK, .file_size = declared,
					.length = declared}, .sent = sent};
}

/* Runs script in a child on sv[1]. Exit code: the ack's status; 100 no ack, 101 no
 * request, 102 ack OK before the output existed under its final name (SPEC P-5),
 * 103 ack OK with the wrong count, 104 the request lacked want_name, 105 the ack
 * came, but only after the payload could not all be sent (lost to a reset). */
static pid_t scripted_sender(int sv[2], const struct script *sc)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(sv[0]);
	int s = sv[1], werr;
	struct wire_request rq;
	if (frameio_recv(s, WIRE_REQUEST, &rq, &CTX, &werr) != FRAMEIO_OK)
		tu_exit(101);
	if (sc->want_name && strcmp(rq.name, sc->want_name) != 0)
		tu_exit(104);
	struct wire_response resp = sc->resp;
	if (!resp.name_len) {
		resp.name_len = 1;
		memcpy(resp.name, "f", 2);
	}
	uint8_t buf[WIRE_FRAME_MAX], data[4096];
	ssize_t n = wire_encode_response(&resp, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	frameio_send(s, buf, (size_t)n, 0, &CTX);
	bool sent_all = true;
	for (uint64_t off = 0; off < sc->sent; off += sizeof data) {
		size_t k = sc->sent - off < sizeof data ? (size_t)(sc->sent - off) : sizeof data;
		for (size_t i = 0; i < k; i++)
			data[i] = tu_byte(resp.offset + off + i);
		if (frameio_send(s, data, k, 0, &CTX) < 0) {
			sent_all = false;
			break;
		}
	}
	if (sc->precreate)
		tu_make_file(sc->final ? sc->final : out_path, 1);
	if (sc->reset) {
		net_reset_on_close(s);
		tu_exit(0);
	}
	shutdown(s, SHUT_WR);
	struct wire_ack ack;
	if (frameio_recv(s, WIRE_ACK, &ack, &CTX, &werr) != FRAMEIO_OK)
		tu_exit(100);
	if (ack.status == WIRE_ACK_OK && access(sc->final ? sc->final : out_path, F_OK) != 0)
		tu_exit(102);
	if (!sent_all)
		tu_exit(105);
	tu_exit(ack.status == WIRE_ACK_OK && ack.received != sc->sent ? 103 : ack.status);
}

/* Fetches from a scripted sender into outp with cfg's request settings. */
static int fetch_scripted_cfg(const struct script *sc, struct fetch_cfg cfg, const char *outp,
			      unsigned flags, struct fetch_report *rep, struct zerr *e, int *sender_exit)
{
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = scripted_sender(sv, sc);
	close(sv[1]);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, outp, flags, e), 0);
	cfg.chunk = 4096;
	cfg.timeout_ms = CTX.timeout_ms;
	int r = fetch_one(sv[0], "peer", &cfg, &out, rep, NULL, e);
	close(sv[0]);
	*sender_exit = tu_child_status(pid);
	return r;
}

static int fetch_scripted(enum xfer_path rp, uint64_t declared, uint64_t sent, struct zerr *e,
			  int *sender_exit)
{
	struct script sc = plain(declared, sent);
	struct fetch_report rep;
	return fetch_scripted_cfg(&sc, (struct fetch_cfg){.path = rp}, out_path, 0, &rep, e,
				  sender_exit);
}

/* SPEC P-5: ack OK comes after the output is committed under its final name. */
START_TEST(p5_ack_after_commit)
{
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted(recv_paths[_i], 50000, 50000, &e, &sx), 0);
	ck_assert_int_eq(sx, WIRE_ACK_OK);
	tu_check_file(out_path, 0, 50000);
}
END_TEST

/* SPEC P-8 P-6: a byte past the declared payload fails the receiver, acked PROTOCOL. */
START_TEST(p8_too_much)
{
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted(recv_paths[_i], 10000, 10001, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_str_eq(e.reason, "peer sent more than declared");
	ck_assert_int_eq(sx, WIRE_ACK_PROTOCOL);
	ck_assert_int_eq(dir_entries(), 0); /* nothing kept */
}
END_TEST

/* SPEC R-7 P-6 R-2: a stream that ends early is acked SHORT and nothing is kept. */
START_TEST(r7_short_transfer)
{
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted(recv_paths[_i], 10000, 4000, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_str_eq(e.reason, "connection closed after 4000 of 10000 bytes");
	ck_assert_str_eq(e.call, recv_paths[_i] == XFER_COPY ? "recvfrom" : "splice");
	ck_assert_int_eq(sx, WIRE_ACK_SHORT);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* SPEC R-9 R-2: EFBIG while storing: LOCAL_ERROR ack, sender fails with PEER. */
START_TEST(r9_efbig_acked_local_error)
{
	tu_make_file(src_path, 1 << 20);
	struct rlimit rl = {.rlim_cur = 100000, .rlim_max = RLIM_INFINITY};
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_from_server(XFER_SENDFILE, recv_paths[_i], 0, 0, false, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "File too large");
	ck_assert_int_eq(sx, ZCP_EXIT_PEER);
	ck_assert_int_eq(dir_entries(), 1); /* only data.bin */
}
END_TEST

struct range_reply {
	uint64_t q_off, q_len;          /* asked */
	uint64_t size, off, len, sent;  /* answered */
};

static const struct range_reply bad_replies[] = {
	{100, 10, 1000, 0, 10, 10},    /* another offset */
	{100, 10, 1000, 100, 20, 20},  /* a longer length */
	{100, 10, 1000, 100, 5, 5},    /* a shorter length than the file allows */
	{0, 0, 5000, 0, 4000, 4000},   /* not to the end */
};

/* SPEC R-11 P-6 R-2: a response that does not answer the request is a protocol
 * error before any byte is stored: ack PROTOCOL, exit 5, no file. */
START_TEST(r11_response_checked_against_request)
{
	const struct range_reply *c = &bad_replies[_i];
	struct script sc = {.resp = {.status = WIRE_OK, .file_size = c->size, .offset = c->off,
				     .length = c->len}, .sent = c->sent};
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .offset = c->q_off, .length = c->q_len};
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, out_path, 0, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_ptr_nonnull(strstr(e.reason, "sender answered offset"));
	ck_assert_uint_eq(rep.received, 0);
	ck_assert_int_eq(sx, WIRE_ACK_PROTOCOL);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* SPEC R-11: the honest answers to the same requests are accepted. */
START_TEST(r11_exact_answer_accepted)
{
	struct script sc = {.resp = {.status = WIRE_OK, .file_size = 1000, .offset = 100,
				     .length = 10}, .sent = 10};
	struct fetch_cfg cfg = {.path = recv_paths[_i], .offset = 100, .length = 10};
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, out_path, 0, &rep, &e, &sx), 0);
	ck_assert_int_eq(sx, WIRE_ACK_OK);
	tu_check_file(out_path, 100, 10);
}
END_TEST

/* SPEC R-12: a declared length over --max-size is refused before a byte is stored
 * (ack LOCAL_ERROR, exit 3); exactly the limit is fine. */
START_TEST(r12_max_size)
{
	struct script sc = plain(100000, 100000);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	struct fetch_cfg cfg = {.path = recv_paths[_i], .max_size = 99999};
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, out_path, 0, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "the sender offers 100000 bytes, more than --max-size 99999");
	ck_assert_uint_eq(rep.received, 0);
	ck_assert_int_eq(sx, WIRE_ACK_LOCAL_ERROR);
	ck_assert_int_eq(dir_entries(), 0);
	cfg.max_size = 100000;
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, out_path, 0, &rep, &e, &sx), 0);
	ck_assert_int_eq(sx, WIRE_ACK_OK);
}
END_TEST

/* SPEC R-13: --name goes in the request; a response naming another file is a
 * protocol error, and into a directory the stored name is the asked one. */
START_TEST(r13_name_asked_and_checked)
{
	struct fetch_report rep;
	struct zerr e;
	int sx;
	char stored[400];
	snprintf(stored, sizeof stored, "%s/data.bin", dir);
	struct script sc = plain(50, 50);
	sc.want_name = "data.bin";
	sc.final = stored;
	sc.resp.name_len = 8;
	memcpy(sc.resp.name, "data.bin", 9);
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .name = "data.bin"};
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, dir, FSIO_NAMED, &rep, &e, &sx), 0);
	ck_assert_int_eq(sx, WIRE_ACK_OK);
	tu_check_file(stored, 0, 50);
	unlink(stored);
	memcpy(sc.resp.name, "evil.bin", 9); /* the sender tries to pick the name */
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, dir, FSIO_NAMED, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_str_eq(e.reason, "sender answered name 'evil.bin' for 'data.bin'");
	ck_assert_int_eq(sx, WIRE_ACK_PROTOCOL);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* SPEC R-14 P-6: a receiver that fails while the payload still flows acks first,
 * then drains, so the sender reads the ack instead of a reset: the scripted sender
 * got every byte out and then read LOCAL_ERROR. */
START_TEST(r14_linger_keeps_the_ack)
{
	struct script sc = plain(8 << 20, 8 << 20);
	struct fetch_report rep;
	struct zerr e;
	int sx;
	struct fetch_cfg cfg = {.path = recv_paths[_i], .max_size = 1 << 20};
	ck_assert_int_eq(fetch_scripted_cfg(&sc, cfg, out_path, 0, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_int_eq(sx, WIRE_ACK_LOCAL_ERROR); /* not 105 (reset) nor 100 (no ack) */
}
END_TEST

/* Starts a sender (path) on a 64 MiB file, asks for it and, reading nothing, sends
 * an early LOCAL_ERROR ack. Returns the sender's pid; sv[0] is the receiver's end. */
static pid_t early_ack(enum xfer_path path, int sv[2])
{
	pid_t pid = requested(path, 64 << 20, sv);
	uint8_t buf[WIRE_ACK_SIZE];
	struct wire_ack a = {.status = WIRE_ACK_LOCAL_ERROR, .received = 0};
	wire_encode_ack(&a, buf, sizeof buf);
	ck_assert_int_eq(frameio_send(sv[0], buf, WIRE_ACK_SIZE, 0, &CTX), 0);
	return pid;
}

/* SPEC S-11 P-7: the sender notices an ack that arrives while it is still sending,
 * stops, and reports the receiver's status (exit 6), not a timeout (exit 4). */
START_TEST(s11_early_ack_reported)
{
	int sv[2];
	pid_t pid = early_ack(send_paths[_i], sv);
	int st = tu_child_status(pid); /* its socket buffer fills: it waits, sees the ack */
	close(sv[0]);
	ck_assert_int_eq(st, ZCP_EXIT_PEER);
}
END_TEST

/* SPEC S-11 P-7: an ack already queued when a reset ends the send is still read:
 * the receiver's status is reported (exit 6), not the reset (exit 4). */
START_TEST(s11_ack_survives_reset)
{
	int sv[2];
	pid_t pid = early_ack(send_paths[_i], sv);
	close(sv[0]); /* unread payload: the kernel answers with a reset */
	ck_assert_int_eq(tu_child_status(pid), ZCP_EXIT_PEER);
}
END_TEST

/* SPEC P-8 R-7: a reset where the end of stream should be is a network error
 * (exit 4), and nothing is kept. */
START_TEST(p8_reset_instead_of_eof)
{
	struct script sc = plain(20000, 20000);
	sc.reset = true;
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted_cfg(&sc, (struct fetch_cfg){.path = recv_paths[_i]}, out_path,
					    0, &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.reason, "Connection reset by peer");
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* SPEC R-9 R-3 P-6: the commit fails (the name was taken meanwhile): LOCAL_ERROR is
 * acked, exit 3, and the file that took the name is left alone. */
START_TEST(r9_commit_failure_acked)
{
	struct script sc = plain(20000, 20000);
	sc.precreate = true;
	struct fetch_report rep;
	struct zerr e;
	int sx;
	ck_assert_int_eq(fetch_scripted_cfg(&sc, (struct fetch_cfg){.path = XFER_SPLICE}, out_path, 0,
					    &rep, &e, &sx), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "linkat");
	ck_assert_str_eq(e.reason, "File exists");
	ck_assert_int_eq(sx, WIRE_ACK_LOCAL_ERROR);
	tu_check_file(out_path, 0, 1);
}
END_TEST

/* A raw sender child: send size pattern bytes, create out_path if asked, close. */
static pid_t raw_sender(int sv[2], uint64_t size, bool precreate)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(sv[0]);
	uint8_t data[4096];
	for (uint64_t off = 0; off < size; off += sizeof data) {
		size_t k = size - off < sizeof data ? (size_t)(size - off) : sizeof data;
		for (size_t i = 0; i < k; i++)
			data[i] = tu_byte(off + i);
		frameio_send(sv[1], data, k, 0, &CTX);
	}
	if (precreate)
		tu_make_file(out_path, 1);
	tu_exit(0);
}

/* SPEC P-9 R-1 R-3: raw mode fails whole when the output cannot be created (its
 * directory vanished) or published (the name was taken): nothing of it remains. */
START_TEST(p9_raw_output_failures)
{
	char sub[300], file[320];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	snprintf(file, sizeof file, "%s/out", sub);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	struct fsio_out out;
	struct zerr e;
	struct fetch_report rep;
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .chunk = 4096, .raw = true, .timeout_ms = 5000};
	ck_assert_int_eq(fsio_out_init(&out, _i ? out_path : file, 0, &e), 0);
	if (!_i)
		ck_assert_int_eq(rmdir(sub), 0);
	int sv[2];
	tu_tcp_pair(sv);
	pid_t pid = raw_sender(sv, 5000, _i == 1);
	close(sv[1]);
	ck_assert_int_eq(fetch_one(sv[0], "peer", &cfg, &out, &rep, NULL, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, _i ? "File exists" : "No such file or directory");
	close(sv[0]);
	tu_child_status(pid);
	if (_i)
		tu_check_file(out_path, 0, 1);
}
END_TEST

/* SPEC W-10: fetch_one() refuses a request the encoder refuses, before sending. */
START_TEST(w10_invalid_request_not_sent)
{
	int sv[2];
	tu_tcp_pair(sv);
	struct fsio_out out;
	struct zerr e;
	fsio_out_init(&out, NULL, 0, &e);
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .offset = UINT64_MAX, .timeout_ms = 5000};
	struct fetch_report rep;
	ck_assert_int_eq(fetch_one(sv[0], "peer", &cfg, &out, &rep, NULL, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_USAGE);
	ck_assert_str_eq(e.reason, "invalid request: offset or length out of range");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC E-1 E-2: a peer that reset the connection: the receiver's request and the
 * sender's response fail to send, network errors naming sendto and the peer. */
START_TEST(e1_send_to_a_reset_peer)
{
	int sv[2];
	tu_tcp_pair(sv);
	struct zerr e;
	if (_i == 0) { /* the sender is gone before the request */
		net_reset_on_close(sv[1]);
		close(sv[1]);
		usleep(50000);
		struct fsio_out out;
		fsio_out_init(&out, NULL, 0, &e);
		struct fetch_cfg cfg = {.path = XFER_SPLICE, .timeout_ms = 5000};
		struct fetch_report rep;
		ck_assert_int_eq(fetch_one(sv[0], "peer", &cfg, &out, &rep, NULL, &e), -1);
		ck_assert_str_eq(e.call, "sendto");
	} else { /* the receiver asks and resets; the sender reads the request later */
		tu_make_file(src_path, 100);
		uint8_t buf[WIRE_FRAME_MAX];
		struct wire_request rq = {0};
		ssize_t n = wire_encode_request(&rq, buf, sizeof buf);
		ck_assert_int_eq(frameio_send(sv[0], buf, (size_t)n, 0, &CTX), 0);
		net_reset_on_close(sv[0]);
		close(sv[0]);
		usleep(50000);
		struct serve_cfg cfg = {.file = src_path, .rootfd = -1, .path = XFER_SENDFILE, .chunk = 8192,
					.timeout_ms = 5000, .header_timeout_ms = 5000};
		struct serve_report srep;
		ck_assert_int_eq(serve_one(sv[1], "peer", &cfg, &srep, NULL, &e), -1);
		ck_assert_str_eq(e.call, "sendto");
	}
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.object, "peer");
	close(sv[_i ? 1 : 0]);
}
END_TEST

/* SPEC P-10: a sender that never answers times the receiver out. */
START_TEST(p10_silent_peer_times_out)
{
	int sv[2];
	tu_tcp_pair(sv);
	struct fsio_out out;
	struct zerr e;
	fsio_out_init(&out, NULL, 0, &e);
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .chunk = 4096, .timeout_ms = 300};
	struct fetch_report rep;
	ck_assert_int_eq(fetch_one(sv[0], "peer", &cfg, &out, &rep, NULL, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.reason, "Connection timed out");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("protocol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, c10_progress_ticks_bounded_steps, 0, 2);
	tcase_add_loop_test(tc, p1_roundtrip_all_paths, 0, 6);
	tcase_add_loop_test(tc, p2_ranges, 0, (int)(sizeof ranges / sizeof ranges[0]));
	tcase_add_test(tc, p2_offset_past_end);
	tcase_add_loop_test(tc, s1_vanished_before_request, 0, 2);
	tcase_add_loop_test(tc, p9_raw, 0, 3);
	tcase_add_loop_test(tc, p3_request_name, 0, 2);
	tcase_add_loop_test(tc, p4_bad_request_answered, 0, 2);
	tcase_add_loop_test(tc, p7_ack_decides, 0, 5);
	tcase_add_loop_test(tc, p5_ack_after_commit, 0, 2);
	tcase_add_loop_test(tc, p8_too_much, 0, 2);
	tcase_add_loop_test(tc, r7_short_transfer, 0, 2);
	tcase_add_loop_test(tc, r9_efbig_acked_local_error, 0, 2);
	tcase_add_test(tc, p10_silent_peer_times_out);
	tcase_add_loop_test(tc, r11_response_checked_against_request, 0,
			    (int)(sizeof bad_replies / sizeof bad_replies[0]));
	tcase_add_loop_test(tc, r11_exact_answer_accepted, 0, 2);
	tcase_add_loop_test(tc, r12_max_size, 0, 2);
	tcase_add_test(tc, r13_name_asked_and_checked);
	tcase_add_loop_test(tc, r14_linger_keeps_the_ack, 0, 2);
	tcase_add_loop_test(tc, s11_early_ack_reported, 0, 3);
	tcase_add_loop_test(tc, s11_ack_survives_reset, 0, 3);
	tcase_add_loop_test(tc, p8_reset_instead_of_eof, 0, 2);
	tcase_add_test(tc, r9_commit_failure_acked);
	tcase_add_loop_test(tc, p9_raw_output_failures, 0, 2);
	tcase_add_test(tc, w10_invalid_request_not_sent);
	tcase_add_loop_test(tc, e1_send_to_a_reset_peer, 0, 2);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
