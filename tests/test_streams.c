/* Check suite for src/streams.c: how a range is cut, and whole --streams
 * transfers over loopback from a real serve_one() sender in a child process. */
#include "fsio.h"
#include "net.h"
#include "resume.h"
#include "serve.h"
#include "streams.h"
#include "testutil.h"

#define MIB (1ull << 20)

static char dir[256], src_path[300], out_path[300], addr[NET_ADDR_MAX];
static int lfd;

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(src_path, sizeof src_path, "%s/data.bin", dir);
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	signal(SIGPIPE, SIG_IGN);
	struct zerr e;
	lfd = net_listen("127.0.0.1:0", addr, sizeof addr, &e);
	ck_assert_int_ge(lfd, 0);
}

static void teardown(void)
{
	close(lfd);
	tu_rmtree(dir);
}

/* SPEC R-18: k = min(N, length / 1 MiB), at least 1 for a byte, 0 for none. */
START_TEST(r18_how_many_parts)
{
	ck_assert_uint_eq(streams_parts(0, 8), 0);
	ck_assert_uint_eq(streams_parts(1, 8), 1);
	ck_assert_uint_eq(streams_parts(MIB - 1, 8), 1);
	ck_assert_uint_eq(streams_parts(2 * MIB, 8), 2);
	ck_assert_uint_eq(streams_parts(5000000, 8), 4);
	ck_assert_uint_eq(streams_parts(1ull << 40, 8), 8);
	ck_assert_uint_eq(streams_parts(1ull << 40, 1), 1);
	ck_assert_uint_eq(streams_parts(WIRE_OFF_MAX, STREAMS_MAX), STREAMS_MAX);
}
END_TEST

/* SPEC R-18: the parts cover the range exactly, in order, the first (total mod k)
 * one byte longer, also at the top of the offset space. */
START_TEST(r18_parts_tile_the_range)
{
	static const uint64_t totals[] = {1, 1000, 3500000, 5 * MIB + 3, WIRE_OFF_MAX - 7};
	uint64_t total = totals[_i % 5], offset = _i % 5 == 4 ? 7 : 1000;
	unsigned k = streams_parts(total, 1 + (unsigned)_i / 5);
	uint64_t at = offset, shortest = UINT64_MAX, longest = 0;
	for (unsigned i = 0; i < k; i++) {
		uint64_t off, len;
		streams_part(offset, total, k, i, &off, &len);
		ck_assert_uint_eq(off, at);
		ck_assert_uint_eq(len, total / k + (i < total % k));
		at += len;
		shortest = len < shortest ? len : shortest;
		longest = len > longest ? len : longest;
	}
	ck_assert_uint_eq(at, offset + total);
	ck_assert_uint_le(longest - shortest, 1);
}
END_TEST

/* What the sender does to its file after the probe. */
enum after_probe { KEEP, SHRINK, REPLACE, REWRITE };

/* SPEC W-15: another file of the same size (other bytes) moved over path, or path
 * rewritten in place with its mtime put back. */
static int change_source(const char *path, enum after_probe how, uint64_t size)
{
	if (how == REWRITE)
		return tu_rewrite_in_place(path);
	char other[400];
	snprintf(other, sizeof other, "%s.new", path);
	tu_make_file(other, size);
	return tu_rewrite_in_place(other) < 0 ? -1 : rename(other, path);
}

static enum after_probe after_probe;
static uint64_t source_size;

static void change_after_probe(int i)
{
	if (i == 0 && after_probe == SHRINK && truncate(src_path, (off_t)(source_size / 2)) < 0)
		tu_exit(101);
	if (i == 0 && (after_probe == REPLACE || after_probe == REWRITE) &&
	    change_source(src_path, after_probe, source_size) < 0)
		tu_exit(102);
}

/* A sender in a child: serves `conns` connections of lfd one after another with
 * serve_one(); after the first (the probe) it changes its file as `after` says:
 * truncated to half (SHRINK), replaced or rewritten in place (change_source). */
static pid_t sender(int conns, enum after_probe after, uint64_t size)
{
	after_probe = after;
	source_size = size;
	return tu_sender(lfd, src_path, conns, change_after_probe);
}

static int fetch(unsigned n, enum xfer_path path, uint64_t off, uint64_t len,
		 struct streams_report *rep, struct zerr *e)
{
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, e), 0);
	struct fetch_cfg cfg = {.path = path, .chunk = 8192, .offset = off, .length = len, .timeout_ms = 5000};
	char peer[NET_ADDR_MAX];
	return streams_fetch(addr, n, &cfg, NULL, NULL, &out, peer, sizeof peer, rep, e);
}

/* streams_fetch() of 3 streams into out_path, resumable with rs. */
static int fetch_resumable(struct resume *rs, struct streams_report *rep, struct zerr *e)
{
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, e), 0);
	struct fetch_cfg cfg = {.path = XFER_SPLICE, .chunk = 8192, .timeout_ms = 5000};
	char peer[NET_ADDR_MAX];
	return streams_fetch(addr, 3, &cfg, NULL, rs, &out, peer, sizeof peer, rep, e);
}

/* SPEC R-18 W-14: a probe, then 3 parts (3 MiB + 5 bytes, 4 asked for) at their
 * offsets; splice and copy (pwrite) alike; a range of the file too. */
START_TEST(r18_parts_land_at_their_offsets)
{
	uint64_t size = 3 * MIB + 5, off = _i == 2 ? 12345 : 0, len = _i == 2 ? 2 * MIB + 1 : 0;
	tu_make_file(src_path, size);
	uint64_t want = len ? len : size;
	pid_t pid = sender(1 + (int)streams_parts(want, 4), KEEP, size);
	struct streams_report rep;
	struct zerr e;
	int r = fetch(4, _i == 1 ? XFER_COPY : XFER_SPLICE, off, len, &rep, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(rep.parts, streams_parts(want, 4));
	ck_assert_uint_eq(rep.received, want);
	ck_assert_uint_eq(rep.resp.length, want);
	ck_assert_str_eq(rep.resp.name, "data.bin");
	ck_assert_uint_gt(rep.stats.calls[_i == 1 ? XS_PWRITE : XS_SPLICE], 0);
	tu_check_file(out_path, off, want);
}
END_TEST

/* SPEC R-18 R-11 R-2: the file shrinks after the probe: the parts past the new end
 * are refused, the transfer fails, and nothing is stored. */
START_TEST(r18_source_shrunk_after_probe)
{
	uint64_t size = 4 * MIB;
	tu_make_file(src_path, size);
	pid_t pid = sender(5, SHRINK, size);
	struct streams_report rep;
	struct zerr e;
	ck_assert_int_eq(fetch(4, XFER_SPLICE, 0, 0, &rep, &e), -1);
	ck_assert(e.code == ZCP_EXIT_PROTO || e.code == ZCP_EXIT_PEER);
	tu_child_status(pid);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* SPEC R-18 W-16: the source replaced by another file of the same size, or
 * rewritten in place with its mtime put back, after the probe: every part asks
 * for the probed file, is answered CHANGED, and nothing is stored (exit 6). */
START_TEST(r18_source_changed_after_probe)
{
	uint64_t size = 4 * MIB;
	tu_make_file(src_path, size);
	pid_t pid = sender(5, _i == 0 ? REPLACE : REWRITE, size);
	struct streams_report rep;
	struct zerr e;
	ck_assert_int_eq(fetch(4, XFER_SPLICE, 0, 0, &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert(rep.changed);
	ck_assert_int_eq(tu_child_status(pid), 4); /* the four parts refused */
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* SPEC R-18: an empty range has no part: the probe, then an empty file. */
START_TEST(r18_empty_file_no_parts)
{
	tu_make_file(src_path, 0);
	pid_t pid = sender(1, KEEP, 0);
	struct streams_report rep;
	struct zerr e;
	ck_assert_int_eq(fetch(4, XFER_SPLICE, 0, 0, &rep, &e), 0);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(rep.parts, 0);
	tu_check_file(out_path, 0, 0);
}
END_TEST

/* SPEC R-20: a resumable fetch in parts, in this process: a fresh one records its
 * cut, a second run continues the parts recorded (one complete, one half, one not
 * begun), and a one-stream partial goes on as one part. The file is whole each time. */
START_TEST(r20_parts_continued)
{
	uint64_t size = 3 * MIB + 5;
	tu_make_file(src_path, size);
	struct resume rs;
	struct zerr e;
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	if (_i == 1) { /* as a killed run would leave it */
		struct wire_ident id;
		int fd = open(src_path, O_RDONLY);
		ck_assert_int_eq(tu_identity(fd, &id), 0);
		close(fd);
		rs.parts = 3, rs.done[0] = MIB + 2, rs.done[1] = MIB / 2, rs.done[2] = 0;
		ck_assert_int_eq(resume_record(&rs, &id, 0, &e), 0);
		char cmd[3 * PATH_MAX];
		snprintf(cmd, sizeof cmd, "cp '%s' '%s' && truncate -s %llu '%s'", src_path, rs.partial,
			 (unsigned long long)(MIB + 2 + MIB / 2), rs.partial);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
		ck_assert(rs.have && rs.parts == 3);
	} else if (_i == 2) { /* a one-stream partial of 1000 bytes */
		struct wire_ident id;
		int fd = open(src_path, O_RDONLY);
		ck_assert_int_eq(tu_identity(fd, &id), 0);
		close(fd);
		ck_assert_int_eq(resume_record(&rs, &id, 0, &e), 0);
		char cmd[3 * PATH_MAX];
		snprintf(cmd, sizeof cmd, "head -c 1000 '%s' >'%s'", src_path, rs.partial);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
		ck_assert(rs.have && rs.parts == 0 && rs.keep == 1000);
	}
	unsigned conns = _i == 0 ? 4 : _i == 1 ? 3 : 2; /* probe + the parts with bytes left */
	pid_t pid = sender((int)conns, KEEP, size);
	struct streams_report rep;
	int r = fetch_resumable(&rs, &rep, &e);
	ck_assert_msg(r == 0, "%s %s", e.call, e.reason);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_uint_eq(rep.received, _i == 0 ? size : _i == 1 ? size - (MIB + 2) - MIB / 2 : size - 1000);
	tu_check_file(out_path, 0, size);
	ck_assert_int_eq(access(rs.record, F_OK), 0); /* the caller drops it after success */
}
END_TEST

/* SPEC R-18 E-1: the sender goes away after the probe: the parts cannot connect
 * (or are reset): exit class 4, nothing stored, no part left running. */
START_TEST(r18_parts_cannot_connect)
{
	tu_make_file(src_path, 4 * MIB);
	pid_t pid = sender(1, KEEP, 4 * MIB);
	close(lfd); /* only the child listens now, and only for the probe */
	lfd = -1;
	struct streams_report rep;
	struct zerr e;
	int fr = fetch(4, XFER_SPLICE, 0, 0, &rep, &e);
	ck_assert_msg(fr == -1, "parts %u received %llu", rep.parts, (unsigned long long)rep.received);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET); /* refused, or reset in the backlog of a closing listener */
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* SPEC R-20: a continued run whose parts cannot connect keeps every part's recorded
 * progress as it was, those after the first that failed too (none is rewritten as 0). */
START_TEST(r20_unconnected_parts_keep_progress)
{
	uint64_t size = 3 * MIB + 5;
	tu_make_file(src_path, size);
	struct resume rs;
	struct zerr e;
	struct wire_ident id;
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	int fd = open(src_path, O_RDONLY);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	close(fd);
	rs.parts = 3, rs.done[0] = 0, rs.done[1] = MIB / 2, rs.done[2] = MIB / 4;
	ck_assert_int_eq(resume_record(&rs, &id, 0, &e), 0);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src_path, rs.partial);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	ck_assert(rs.have && rs.parts == 3);
	pid_t pid = sender(1, false, size);
	close(lfd); /* only the child listens now, and only for the probe */
	lfd = -1;
	struct streams_report rep;
	ck_assert_int_eq(fetch_resumable(&rs, &rep, &e), -1);
	ck_assert_int_eq(tu_child_status(pid), 0);
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	ck_assert(rs.have && rs.parts == 3);
	ck_assert_uint_eq(rs.done[0], 0);
	ck_assert_uint_eq(rs.done[1], MIB / 2);
	ck_assert_uint_eq(rs.done[2], MIB / 4);
}
END_TEST

/* SPEC R-20 R-18: a fresh resumable run whose sender serves only the probe and the
 * first part: that part's bytes are recorded as done when the run fails (the others,
 * reset, as none), and the next run's plan holds them. */
START_TEST(r20_failed_run_records_done_parts)
{
	uint64_t size = 3 * MIB + 5, off, len;
	tu_make_file(src_path, size);
	struct resume rs;
	struct zerr e;
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	pid_t pid = sender(2, KEEP, size); /* the probe, then part 0 whole; then it exits */
	close(lfd); /* only the child listens now: the parts after the first are reset */
	lfd = -1;
	struct streams_report rep;
	ck_assert_int_eq(fetch_resumable(&rs, &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_int_eq(tu_child_status(pid), 0);
	streams_part(0, size, 3, 0, &off, &len);
	ck_assert_uint_eq(rep.received, len);
	ck_assert_int_eq(resume_find(&rs, out_path, NULL, false, &e), 0);
	ck_assert(rs.have && rs.parts == 3);
	ck_assert_uint_eq(rs.done[0], len);
	ck_assert_uint_eq(rs.done[1], 0);
	ck_assert_uint_eq(rs.done[2], 0);
	char cmd[3 * PATH_MAX]; /* part 0's bytes, where they belong */
	snprintf(cmd, sizeof cmd, "cmp -n %llu '%s' '%s'", (unsigned long long)len, src_path, rs.partial);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* SPEC R-18 E-1: nobody listens: the probe's connect fails, exit class 4, no output. */
START_TEST(r18_nobody_listening)
{
	close(lfd);
	lfd = -1;
	struct streams_report rep;
	struct zerr e;
	ck_assert_int_eq(fetch(2, XFER_SPLICE, 0, 0, &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "connect");
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("streams");
	TCase *tc = tcase_create("streams");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, r18_how_many_parts);
	tcase_add_loop_test(tc, r18_parts_tile_the_range, 0, 5 * 8);
	tcase_add_loop_test(tc, r18_parts_land_at_their_offsets, 0, 3);
	tcase_add_test(tc, r18_source_shrunk_after_probe);
	tcase_add_loop_test(tc, r18_source_changed_after_probe, 0, 2);
	tcase_add_test(tc, r18_empty_file_no_parts);
	tcase_add_test(tc, r18_nobody_listening);
	tcase_add_test(tc, r18_parts_cannot_connect);
	tcase_add_loop_test(tc, r20_parts_continued, 0, 3);
	tcase_add_test(tc, r20_unconnected_parts_keep_progress);
	tcase_add_test(tc, r20_failed_run_records_done_parts);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
