/* Check suite for src/xfer.c: the loop helper and the transfer paths on real
 * kernel objects (socketpairs, pipes, files, sparse files, rlimits). */
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "testutil.h"
#include "xfer.h"

static const enum xfer_path paths[] = {XFER_COPY, XFER_SENDFILE, XFER_SPLICE};
static const enum xfer_sys path_call[] = {XS_PREAD, XS_SENDFILE, XS_SPLICE};
static char dir[256], src_path[300], out_path[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(src_path, sizeof src_path, "%s/src", dir);
	snprintf(out_path, sizeof out_path, "%s/out", dir);
	signal(SIGPIPE, SIG_IGN); /* as the mains do (SPEC S-8) */
}

static void teardown(void)
{
	unlink(src_path);
	unlink(out_path);
	rmdir(dir);
}

/* Child: wait delay_ms, skip the first skip bytes, then copy fd to path until EOF.
 * The child closes other, the parent's end, so that it sees end of stream. */
static pid_t drain_to_file(int fd, int other, const char *path, int delay_ms, size_t skip)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(other);
	usleep((useconds_t)delay_ms * 1000);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static uint8_t buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		size_t drop = skip < (size_t)n ? skip : (size_t)n;
		skip -= drop;
		if (write(out, buf + drop, (size_t)n - drop) != n - (ssize_t)drop)
			tu_exit(3);
	}
	tu_exit(n < 0 ? 2 : 0);
}

static void reap(pid_t pid)
{
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Sends len bytes of src_path from off over a socketpair to a child; returns the result. */
static int send_over_pair(enum xfer_path path, uint64_t off, uint64_t len, size_t cap, int prefill,
			  struct xfer_stats *st, struct xfer_result *res)
{
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	size_t junk = prefill ? tu_fill_socket(sv[0]) : 0;
	pid_t pid = drain_to_file(sv[1], sv[0], out_path, prefill ? 100 : 0, junk);
	close(sv[1]);
	int fd = open(src_path, O_RDONLY);
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd, .off = (off_t)off};
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_ctx ctx = {.timeout_ms = 10000, .call_cap = cap, .stats = st};
	int r = xfer_run(&src, &dst, len, path, 8192, &ctx, res);
	if (r == 0)
		ck_assert_int_eq(src.off, (off_t)(off + len));
	close(fd);
	close(sv[0]);
	reap(pid);
	return r;
}

/* SPEC X-6: a socket full to EAGAIN makes every path wait in poll() and go on. */
START_TEST(x6_partial_writes_eagain)
{
	tu_make_file(src_path, 3 << 20);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i], 0, 3 << 20, 0, 1, &st, &res), 0);
	ck_assert_uint_eq(res.moved, 3 << 20);
	ck_assert_uint_gt(st.calls[XS_POLL], 0);
	tu_check_file(out_path, 0, 3 << 20);
}
END_TEST

/* SPEC X-6: deterministic short counts (call cap) on every path. */
START_TEST(x6_short_counts)
{
	tu_make_file(src_path, 100000);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i], 0, 100000, 999, 0, &st, &res), 0);
	ck_assert_uint_ge(st.calls[path_call[_i]], 100000 / 999);
	tu_check_file(out_path, 0, 100000);
}
END_TEST

/* SPEC S-4 R-8: explicit offsets: 0, middle, last byte, end (each path). */
START_TEST(s4_offsets)
{
	const uint64_t size = 70001, offs[] = {0, 33333, size - 1, size};
	uint64_t off = offs[_i % 4];
	tu_make_file(src_path, size);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i / 4], off, size - off, 0, 0, &st, &res), 0);
	tu_check_file(out_path, off, size - off);
}
END_TEST

/* A 0-byte file moves nothing and succeeds on every path. */
START_TEST(s2_empty_file)
{
	tu_make_file(src_path, 0);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i], 0, 0, 0, 0, &st, &res), 0);
	ck_assert_uint_eq(res.moved, 0);
	tu_check_file(out_path, 0, 0);
}
END_TEST

/* SPEC S-2: a file shorter than declared (truncated) is XFER_SHORT at the source. */
START_TEST(s2_truncated_source)
{
	tu_make_file(src_path, 50000);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i], 1000, 60000, 0, 0, &st, &res), -1);
	ck_assert_int_eq(res.status, XFER_SHORT);
	ck_assert(res.at_src);
	ck_assert_uint_eq(res.moved, 49000);
	ck_assert_int_eq(res.call, path_call[_i]);
	tu_check_file(out_path, 1000, 49000);
}
END_TEST

/* SPEC S-3: a file longer than declared (grown) sends only the declared length. */
START_TEST(s3_grown_source)
{
	tu_make_file(src_path, 90000);
	struct xfer_stats st = {0};
	struct xfer_result res;
	ck_assert_int_eq(send_over_pair(paths[_i], 0, 40000, 0, 0, &st, &res), 0);
	tu_check_file(out_path, 0, 40000);
}
END_TEST

/* SPEC S-4: a sparse file over 2^31 + 1 MiB goes whole through sendfile, past
 * the kernel's 0x7ffff000 per-call cap, with a 64-bit offset. */
START_TEST(s4_sparse_over_2g)
{
	const uint64_t size = (1ull << 31) + (1 << 20);
	int fd = open(src_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	ck_assert_int_eq(pwrite(fd, "end!", 4, (off_t)size - 4), 4);
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	pid_t pid = fork();
	if (pid == 0) { /* count bytes, remember the last four */
		close(sv[0]);
		static uint8_t buf[1 << 20];
		uint64_t total = 0;
		char tail[4] = {0};
		ssize_t n;
		while ((n = read(sv[1], buf, sizeof buf)) > 0) {
			total += (uint64_t)n;
			for (ssize_t i = n > 4 ? n - 4 : 0; i < n; i++)
				memmove(tail, tail + 1, 3), tail[3] = (char)buf[i];
		}
		tu_exit(total == size && !memcmp(tail, "end!", 4) ? 0 : 1);
	}
	close(sv[1]);
	struct xfer_stats st = {0};
	struct xfer_ctx ctx = {.timeout_ms = 60000, .stats = &st};
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd}, dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, size, XFER_SENDFILE, 8192, &ctx, &res), 0);
	ck_assert_uint_eq(res.moved, size);
	ck_assert_int_eq(src.off, (off_t)size);
	ck_assert_uint_ge(st.calls[XS_SENDFILE], 2);
	close(sv[0]);
	reap(pid);
	close(fd);
}
END_TEST

/* SPEC S-8 E-2: a peer that closed early gives EPIPE on every path, no signal death,
 * and the error names the peer (also sendfile's, which has the file as its other object). */
START_TEST(s8_peer_closed)
{
	tu_make_file(src_path, 1 << 20);
	int sv[2];
	tu_socketpair(sv, 1);
	close(sv[1]);
	int fd = open(src_path, O_RDONLY);
	struct xfer_ctx ctx = {.timeout_ms = 1000};
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd}, dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, 1 << 20, paths[_i], 8192, &ctx, &res), -1);
	ck_assert_int_eq(res.status, XFER_FAILED);
	ck_assert_int_eq(res.err, EPIPE);
	ck_assert(!res.at_src);
	struct zerr e;
	xfer_explain(&res, &src, "src", &dst, "peer", &e);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.object, "peer");
	close(fd);
	close(sv[0]);
}
END_TEST

/* Child: write size pattern bytes from offset 0 into fd, then close (and other). */
static pid_t feed(int fd, int other, uint64_t size)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(other);
	uint8_t buf[4096];
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = tu_byte(off + i);
		if (write(fd, buf, n) != (ssize_t)n)
			tu_exit(1);
		off += n;
	}
	tu_exit(0);
}

/* Receives from a socketpair fed with sent bytes into out_path; expects want (or to EOF). */
static int recv_over_pair(enum xfer_path path, uint64_t sent, uint64_t want, struct xfer_result *res)
{
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	pid_t pid = feed(sv[1], sv[0], sent);
	close(sv[1]);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct xfer_ctx ctx = {.timeout_ms = 10000, .call_cap = 777};
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_STREAM, .fd = fd};
	int r = xfer_run(&src, &dst, want, path, 4096, &ctx, res);
	close(fd);
	close(sv[0]);
	waitpid(pid, NULL, 0); /* the feeder fails with EPIPE where the receiver gave up */
	return r;
}

static const enum xfer_path recv_paths[] = {XFER_COPY, XFER_SPLICE};

/* SPEC X-4 X-5: socket -> file, exact length and to end of stream. */
START_TEST(x4_receive_paths)
{
	struct xfer_result res;
	ck_assert_int_eq(recv_over_pair(recv_paths[_i], 300000, 300000, &res), 0);
	tu_check_file(out_path, 0, 300000);
	ck_assert_int_eq(recv_over_pair(recv_paths[_i], 123457, XFER_TO_EOF, &res), 0);
	ck_assert_uint_eq(res.moved, 123457);
	tu_check_file(out_path, 0, 123457);
}
END_TEST

/* SPEC R-7: a stream that ends early is XFER_SHORT at the source, bytes kept counted. */
START_TEST(r7_short_stream)
{
	struct xfer_result res;
	ck_assert_int_eq(recv_over_pair(recv_paths[_i], 5000, 9000, &res), -1);
	ck_assert_int_eq(res.status, XFER_SHORT);
	ck_assert(res.at_src);
	ck_assert_uint_eq(res.moved, 5000);
}
END_TEST

/* SPEC R-9: EFBIG from RLIMIT_FSIZE is a destination failure (file error). */
START_TEST(r9_efbig)
{
	struct rlimit rl = {.rlim_cur = 65536, .rlim_max = RLIM_INFINITY};
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	struct xfer_result res;
	ck_assert_int_eq(recv_over_pair(recv_paths[_i], 200000, 200000, &res), -1);
	ck_assert_int_eq(res.status, XFER_FAILED);
	ck_assert_int_eq(res.err, EFBIG);
	ck_assert(!res.at_src);
	ck_assert_int_eq(res.call, recv_paths[_i] == XFER_COPY ? XS_WRITE : XS_SPLICE);
	ck_assert_uint_eq(res.moved, 65536);
	struct xfer_end s = {.kind = XFER_SOCKET}, d = {.kind = XFER_STREAM};
	struct zerr e;
	xfer_explain(&res, &s, "peer", &d, "out", &e);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, "out");
	ck_assert_str_eq(e.reason, "File too large");
}
END_TEST

/* SPEC R-6: discard on both receive paths counts every byte and stores none. */
START_TEST(r6_discard)
{
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	pid_t pid = feed(sv[1], sv[0], 1 << 20);
	close(sv[1]);
	struct xfer_stats st = {0};
	struct xfer_ctx ctx = {.timeout_ms = 10000, .stats = &st};
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_DISCARD, .fd = -1};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, 1 << 20, recv_paths[_i], 8192, &ctx, &res), 0);
	ck_assert_uint_eq(res.moved, 1 << 20);
	ck_assert_uint_eq(st.calls[XS_WRITE], 0);
	ck_assert_uint_gt(st.calls[recv_paths[_i] == XFER_COPY ? XS_RECVFROM : XS_SPLICE], 0);
	close(sv[0]);
	reap(pid);
}
END_TEST

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

/* SPEC X-6: EINTR is retried: a blocking pipe write interrupted by a timer
 * signal every millisecond still moves every byte. */
START_TEST(x6_eintr_retried)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	static uint8_t data[512 << 10];
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) { /* slow reader: checks the pattern */
		close(p[1]);
		uint8_t buf[4096];
		uint64_t off = 0;
		ssize_t n;
		while ((n = read(p[0], buf, sizeof buf)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != tu_byte(off + (uint64_t)i))
					tu_exit(1);
			off += (uint64_t)n;
			usleep(2000); /* longer than the timer: the writer meets a full pipe */
		}
		tu_exit(off == sizeof data ? 0 : 2);
	}
	close(p[0]);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = tu_byte(i);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct xfer_op op = xfer_op_mem(XS_WRITE, p[1], data, 0);
	struct xfer_ctx ctx = {.timeout_ms = -1};
	uint64_t moved;
	ck_assert_int_eq(xfer_move(&op, sizeof data, true, &ctx, &moved), 0);
	it = (struct itimerval){0};
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_uint_eq(moved, sizeof data);
	ck_assert_int_gt(alarms, 10);
	close(p[1]);
	reap(pid);
}
END_TEST

/* SPEC P-10: a wait longer than the timeout fails with ETIMEDOUT, in time. */
START_TEST(p10_wait_times_out)
{
	int sv[2];
	tu_socketpair(sv, 1);
	uint8_t buf[8];
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, sv[0], buf, 0);
	struct xfer_ctx ctx = {.timeout_ms = 200};
	uint64_t moved;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(xfer_move(&op, 8, true, &ctx, &moved), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert(s >= 0.19 && s < 5);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC S-5: a kernel file that refuses sendfile and splice (EINVAL) before the
 * first byte falls back to the copy path and still moves every byte. */
START_TEST(s5_fallback_on_refusal)
{
	enum xfer_path path = _i ? XFER_SPLICE : XFER_SENDFILE;
	char want[64];
	int fd = open("/proc/self/status", O_RDONLY);
	ck_assert_int_eq(pread(fd, want, sizeof want, 0), (ssize_t)sizeof want);
	int sv[2];
	tu_socketpair(sv, 1);
	struct xfer_stats st = {0};
	struct xfer_ctx ctx = {.timeout_ms = 1000, .stats = &st};
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd}, dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, sizeof want, path, 8192, &ctx, &res), 0);
	ck_assert(res.fell_back);
	ck_assert_int_eq(res.fallback_err, EINVAL);
	ck_assert_uint_eq(st.calls[path == XFER_SENDFILE ? XS_SENDFILE : XS_SPLICE], 1);
	ck_assert_uint_gt(st.calls[XS_PREAD], 0);
	char got[64];
	ck_assert_int_eq(recv(sv[1], got, sizeof got, MSG_WAITALL), (ssize_t)sizeof got);
	ck_assert_mem_eq(got, want, sizeof want);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC S-5: no fallback for other errors (a closed peer): the error stands. */
START_TEST(s5_no_fallback_on_other_errors)
{
	tu_make_file(src_path, 1000);
	int fd = open(src_path, O_RDONLY);
	int sv[2];
	tu_socketpair(sv, 1);
	close(sv[1]);
	struct xfer_ctx ctx = {.timeout_ms = 1000};
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd}, dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, 1000, XFER_SENDFILE, 8192, &ctx, &res), -1);
	ck_assert(!res.fell_back);
	ck_assert_int_eq(res.call, XS_SENDFILE);
	close(fd);
	close(sv[0]);
}
END_TEST

/* SPEC X-7: the splice pipe is enlarged to 1 MiB where allowed. */
START_TEST(x7_pipe_size)
{
	int p[2];
	size_t cap;
	ck_assert_int_eq(xfer_pipe_open(p, &cap), 0);
	ck_assert_int_eq(fcntl(p[1], F_GETPIPE_SZ), (int)cap);
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	unsigned long max = 0;
	ck_assert(f && fscanf(f, "%lu", &max) == 1);
	fclose(f);
	ck_assert_uint_eq(cap, max >= (1u << 20) ? (1u << 20) : 65536);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* SPEC X-8: names as strace prints them. */
START_TEST(x8_sys_names)
{
	ck_assert_str_eq(xfer_sys_name(XS_PREAD), "pread64");
	ck_assert_str_eq(xfer_sys_name(XS_SENDTO), "sendto");
	ck_assert_str_eq(xfer_sys_name(XS_RECVFROM), "recvfrom");
	ck_assert_str_eq(xfer_sys_name(XS_COUNT), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xfer");
	TCase *tc = tcase_create("paths");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, x6_partial_writes_eagain, 0, 3);
	tcase_add_loop_test(tc, x6_short_counts, 0, 3);
	tcase_add_loop_test(tc, s4_offsets, 0, 12);
	tcase_add_loop_test(tc, s2_empty_file, 0, 3);
	tcase_add_loop_test(tc, s2_truncated_source, 0, 3);
	tcase_add_loop_test(tc, s3_grown_source, 0, 3);
	tcase_add_test(tc, s4_sparse_over_2g);
	tcase_add_loop_test(tc, s8_peer_closed, 0, 3);
	tcase_add_loop_test(tc, x4_receive_paths, 0, 2);
	tcase_add_loop_test(tc, r7_short_stream, 0, 2);
	tcase_add_loop_test(tc, r9_efbig, 0, 2);
	tcase_add_loop_test(tc, r6_discard, 0, 2);
	tcase_add_test(tc, x6_eintr_retried);
	tcase_add_test(tc, p10_wait_times_out);
	tcase_add_loop_test(tc, s5_fallback_on_refusal, 0, 2);
	tcase_add_test(tc, s5_no_fallback_on_other_errors);
	tcase_add_test(tc, x7_pipe_size);
	tcase_add_test(tc, x8_sys_names);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
