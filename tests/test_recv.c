/* Check suite for src/recv.c: one output over one connection or --streams of them,
 * resumable or not, from a real serve_one() sender in a child process, and what
 * the caller is told about the partial (SPEC ). */
#include "fsio.h"
#include "net.h"
#include "recv.h"
#include "resume.h"
#include "testutil.h"

#define MIB (1ull << 20)

static char dir[256], src_path[300], out_path[300], addr[NET_ADDR_MAX];
static int lfd;

/* The notes recv_run() gave as they happened. */
static struct recv_note said[4];
static unsigned nsaid;

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(src_path, sizeof src_path, "%s/data.bin", dir);
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	signal(SIGPIPE, SIG_IGN);
	struct zerr e;
	lfd = net_listen("127.0.0.1:0", addr, sizeof addr, &e);
	ck_assert_int_ge(lfd, 0);
	nsaid = 0;
}

static void teardown(void)
{
	if (lfd >= 0)
		close(lfd);
	tu_rmtree(dir);
}

static void note(void *arg, const struct recv_note *n)
{
	(void)arg;
	ck_assert_uint_lt(nsaid, 4);
	said[nsaid++] = *n;
}

/* recv_run() of the whole file into out_path over n connections. */
static int run(unsigned n, bool resume, bool verify, struct recv_result *res, struct zerr *e)
{
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, e), 0);
	struct fetch_cfg fc = {.path = XFER_SPLICE, .chunk = 8192, .timeout_ms = 5000, .verify = verify};
	struct recv_cfg cfg = {.fetch = &fc, .addr = addr, .streams = n, .resume = resume, .note = note};
	return recv_run(&cfg, &out, res, e);
}

/* A partial of the first size bytes of the source, recorded as a part of the
 * source (or, with stale, of another file), as an interrupted run leaves it;
 * with parts, cut into 3 parts, the first one stored. */
static void make_partial(uint64_t size, bool stale, bool parts, struct resume *rs)
{
	struct zerr e;
	struct wire_ident id;
	ck_assert_int_eq(resume_find(rs, out_path, NULL, false, &e), 0);
	int fd = open(src_path, O_RDONLY);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	close(fd);
	id.tag[0] ^= stale; /* another file's identity */
	if (parts)
		rs->parts = 3, rs->done[0] = size, rs->done[1] = rs->done[2] = 0;
	ck_assert_int_eq(resume_record(rs, &id, 0, &e), 0);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "head -c %llu '%s' >'%s'", (unsigned long long)size, src_path, rs->partial);
	ck_assert_int_eq(system(cmd), 0);
	resume_unlock();
}

/* SPEC R-1: one connection, nothing to resume: the file, its bytes, no note. */
START_TEST(recv_one_stream)
{
	uint64_t size = MIB + 3;
	tu_make_file(src_path, size);
	pid_t pid = tu_sender(lfd, src_path, 1, NULL);
	struct recv_result res;
	struct zerr e;
	int r = run(1, false, false, &res, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(res.bytes, size);
	ck_assert_uint_eq(res.streams, 1);
	ck_assert_int_eq(res.ack_err, 0);
	ck_assert_str_eq(res.peer, addr);
	ck_assert_uint_gt(res.stats.calls[XS_SPLICE], 0);
	ck_assert_uint_eq(nsaid, 0);
	ck_assert_int_eq(res.partial.kind, RECV_NOTE_NONE);
	tu_check_file(out_path, 0, size);
}
END_TEST

/* SPEC R-18: --streams 3: a probe and 3 parts; the streams used are reported. */
START_TEST(recv_streams)
{
	uint64_t size = 3 * MIB + 5;
	tu_make_file(src_path, size);
	pid_t pid = tu_sender(lfd, src_path, 4, NULL);
	struct recv_result res;
	struct zerr e;
	int r = run(3, _i == 1, false, &res, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(res.bytes, size);
	ck_assert_uint_eq(res.streams, 3);
	tu_check_file(out_path, 0, size);
	struct resume rs; /* SPEC R-20: with --resume, the record went with the commit */
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	ck_assert(!rs.have);
	ck_assert_int_eq(access(rs.record, F_OK), -1);
}
END_TEST

/* SPEC R-20: a recorded partial is continued: only the rest is fetched, and the
 * partial and its record are gone after the commit. A partial in parts goes on in
 * parts (one stream asked for): the probe and the two parts left. */
START_TEST(recv_resume_continues)
{
	uint64_t size = 3 * MIB + 5, have = _i ? MIB + 2 : 1000;
	tu_make_file(src_path, size);
	struct resume rs;
	make_partial(have, false, _i == 1, &rs);
	pid_t pid = tu_sender(lfd, src_path, _i ? 3 : 1, NULL);
	struct recv_result res;
	struct zerr e;
	int r = run(1, true, false, &res, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(res.bytes, size - have);
	ck_assert_uint_eq(res.streams, _i ? 3 : 1);
	ck_assert_uint_eq(nsaid, 0);
	tu_check_file(out_path, 0, size);
	ck_assert_int_eq(access(rs.partial, F_OK), -1);
	ck_assert_int_eq(access(rs.record, F_OK), -1);
}
END_TEST

/* SPEC W-16 R-20: the source is not the file the partial is a part of: the sender
 * answers CHANGED, the transfer fails and the partial is removed, said after. */
START_TEST(recv_changed_source_drops_partial)
{
	uint64_t size = 2 * MIB;
	tu_make_file(src_path, size);
	struct resume rs;
	make_partial(1000, true, _i == 1, &rs);
	pid_t pid = tu_sender(lfd, src_path, 1, NULL);
	struct recv_result res;
	struct zerr e;
	ck_assert_int_eq(run(_i ? 2 : 1, true, false, &res, &e), -1);
	ck_assert_int_eq(tu_child_status(pid), 1); /* its one answer was a refusal */
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_int_eq(res.partial.kind, RECV_REMOVED);
	ck_assert_str_eq(res.partial.partial, rs.partial);
	ck_assert_str_eq(res.partial.why, "the source changed since this partial copy began");
	ck_assert_int_eq(access(rs.partial, F_OK), -1);
	ck_assert_int_eq(access(rs.record, F_OK), -1);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* SPEC R-20: nobody to fetch from: the recorded partial is kept for the next run,
 * said after the failure. */
START_TEST(recv_failure_keeps_partial)
{
	tu_make_file(src_path, 2 * MIB);
	struct resume rs;
	make_partial(1000, false, false, &rs);
	close(lfd);
	lfd = -1;
	struct recv_result res;
	struct zerr e;
	ck_assert_int_eq(run(_i ? 2 : 1, true, false, &res, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_int_eq(res.partial.kind, RECV_KEPT);
	ck_assert_str_eq(res.partial.partial, rs.partial);
	ck_assert_uint_eq(nsaid, 0);
	tu_check_file(rs.partial, 0, 1000);
	ck_assert_int_eq(access(rs.record, F_OK), 0);
}
END_TEST

/* SPEC R-20: a partial that is not trusted (no record), or one in parts with
 * --verify, is not continued: said as it happens, and the file fetched anew. */
START_TEST(recv_partial_not_continued)
{
	uint64_t size = MIB + 3;
	tu_make_file(src_path, size);
	struct resume rs;
	make_partial(1000, false, _i == 1, &rs);
	if (_i == 0)
		ck_assert_int_eq(unlink(rs.record), 0);
	pid_t pid = tu_sender(lfd, src_path, 1, NULL);
	struct recv_result res;
	struct zerr e;
	int r = run(1, true, _i == 1, &res, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(res.bytes, size);
	ck_assert_uint_eq(nsaid, 1);
	ck_assert_int_eq(said[0].kind, RECV_NOT_CONTINUED);
	ck_assert_str_eq(said[0].partial, rs.partial);
	ck_assert_str_eq(said[0].why, _i ? "it is in parts and --verify is on" : "it has no record");
	tu_check_file(out_path, 0, size);
	ck_assert_int_eq(access(rs.partial, F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recv");
	TCase *tc = tcase_create("recv");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, recv_one_stream);
	tcase_add_loop_test(tc, recv_streams, 0, 2);
	tcase_add_loop_test(tc, recv_resume_continues, 0, 2);
	tcase_add_loop_test(tc, recv_changed_source_drops_partial, 0, 2);
	tcase_add_loop_test(tc, recv_failure_keeps_partial, 0, 2);
	tcase_add_loop_test(tc, recv_partial_not_continued, 0, 2);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
