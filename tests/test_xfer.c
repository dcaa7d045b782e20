/* Check suite for src/xfer.c: the loop helper and the transfer paths on real
 * kernel objects (socketpairs, pipes, files, sparse files, rlimits). */
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

#include "testutil.h"
#include <sys/sendfile.h>

#include "mono.h"
#include "net.h"
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

/* A stepped job sending size bytes of src_path over a socketpair whose non-blocking
 * end is sv[0]; a child drains the other end into out_path (skipping `junk` bytes
 * queued before it started). */
struct rig {
	int sv[2], fd;
	pid_t pid;
	size_t junk;
	struct xfer_job j;
};

static void rig_drain(struct rig *g)
{
	g->pid = drain_to_file(g->sv[1], g->sv[0], out_path, 0, g->junk);
	close(g->sv[1]);
}

/* Starts the job; with full, the socket is filled first and the drain waits for
 * rig_drain() (the job meets EAGAIN). */
static void rig_start(struct rig *g, uint64_t size, enum xfer_path path, bool full)
{
	tu_make_file(src_path, size);
	tu_socketpair(g->sv, 0);
	ck_assert_int_eq(fcntl(g->sv[0], F_SETFL, O_NONBLOCK), 0);
	g->junk = full ? tu_fill_socket(g->sv[0]) : 0;
	if (!full)
		rig_drain(g);
	g->fd = open(src_path, O_RDONLY);
	struct xfer_end src = {.kind = XFER_FILE, .fd = g->fd};
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = g->sv[0]};
	ck_assert_int_eq(xfer_job_init(&g->j, &src, &dst, size, path, 8192, NULL), 0);
}

/* Ends the job and checks that out_path holds exactly `want` bytes of the pattern. */
static void rig_finish(struct rig *g, uint64_t want)
{
	xfer_job_free(&g->j);
	close(g->fd);
	close(g->sv[0]);
	reap(g->pid);
	tu_check_file(out_path, 0, want);
}

/* SPEC S-3: a file that grows while it is being sent: exactly the declared length
 * goes out. The job is stepped, and the file appended to between the steps. */
START_TEST(s3_grown_source)
{
	struct rig g;
	rig_start(&g, 40000, paths[_i], false);
	struct xfer_ctx ctx = {.timeout_ms = 10000};
	ck_assert_int_eq(xfer_job_step(&g.j, 10000, &ctx), XFER_MORE);
	int app = open(src_path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(app, "grown!", 6), 6);
	close(app);
	ck_assert_int_eq(xfer_job_step(&g.j, UINT64_MAX, &ctx), 0);
	ck_assert_uint_eq(g.j.res.moved, 40000);
	rig_finish(&g, 40000);
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

/* SPEC X-6: EINTR is retried. A blocking read of an empty pipe, interrupted by a
 * timer signal (no SA_RESTART), can only fail with EINTR: the data comes later in
 * one atomic write, so every read call but the last one was an EINTR. */
START_TEST(x6_eintr_retried)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) { /* writes 8 bytes at once, after several timer periods */
		close(p[0]);
		usleep(100000);
		tu_exit(write(p[1], "8 bytes!", 8) == 8 ? 0 : 1);
	}
	close(p[1]);
	struct itimerval it = {{0, 20000}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	char buf[8];
	struct xfer_stats st = {0};
	struct xfer_op op = xfer_op_mem(XS_READ, p[0], buf, 0);
	struct xfer_ctx ctx = {.timeout_ms = -1, .stats = &st};
	uint64_t moved;
	ck_assert_int_eq(xfer_move(&op, sizeof buf, true, &ctx, &moved), 0);
	it = (struct itimerval){0};
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_uint_eq(moved, 8);
	ck_assert_mem_eq(buf, "8 bytes!", 8);
	ck_assert_int_ge(alarms, 2);
	ck_assert_uint_ge(st.calls[XS_READ], 2); /* at least one EINTR, then the data */
	close(p[0]);
	reap(pid);
}
END_TEST

/* SPEC P-10: a total deadline cuts a wait that the per-wait timeout would allow,
 * and a deadline already past fails at the first wait. */
START_TEST(p10_deadline_bounds_waits)
{
	int sv[2];
	tu_socketpair(sv, 1);
	uint8_t buf[8];
	uint64_t moved;
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, sv[0], buf, 0);
	struct xfer_ctx ctx = {.timeout_ms = -1, .deadline_ms = mono_ms() + 150};
	double t0 = mono_now();
	ck_assert_int_eq(xfer_move(&op, 8, true, &ctx, &moved), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert(mono_now() - t0 >= 0.14 && mono_now() - t0 < 5);
	ctx = (struct xfer_ctx){.timeout_ms = 100, .deadline_ms = mono_ms() + 60000};
	t0 = mono_now();
	ck_assert_int_eq(xfer_move(&op, 8, true, &ctx, &moved), -1); /* the timeout is shorter */
	ck_assert(mono_now() - t0 < 5);
	ctx.deadline_ms = mono_ms() - 1;
	ck_assert_int_eq(xfer_move(&op, 8, true, &ctx, &moved), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
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

/* SPEC P-10: on a blocking socket whose calls are bounded by SO_RCVTIMEO (net_block()),
 * the EAGAIN of a call that waited is the expired wait: the job fails with ETIMEDOUT
 * at once, even with a nowait context, and does not wait a second --timeout in poll(). */
START_TEST(p10_blocking_eagain_is_the_timeout)
{
	int sv[2];
	tu_tcp_pair(sv);
	ck_assert_int_eq(net_block(sv[0], 300), 0);
	ck_assert_int_eq(send(sv[1], "abc", 3, 0), 3);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	struct xfer_job j;
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_STREAM, .fd = fd};
	ck_assert_int_eq(xfer_job_init(&j, &src, &dst, 8, paths[(_i & 1) * 2], 1 << 16, NULL), 0);
	struct xfer_ctx waits = {.timeout_ms = 3000}, nowait = {.timeout_ms = -1, .nowait = true};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, _i < 2 ? &waits : &nowait), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(j.res.err, ETIMEDOUT);
	ck_assert_uint_eq(j.res.moved, 3);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert(s >= 0.25 && s < 2.5); /* 0.3 s, not 0.3 + 3 */
	xfer_job_free(&j);
	close(fd);
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
	int fd = open("/proc/self/status", O_RDONLY), null = open("/dev/null", O_WRONLY);
	off_t probe = 0;
	if (sendfile(null, fd, &probe, 1) >= 0) {
		fprintf(stderr, "# skipped: this kernel's /proc takes sendfile; S-5 is proven by "
			"e2e.sh and trace-verify with strace --inject\n");
		return;
	}
	close(null);
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

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	ck_assert(f && fscanf(f, "%ld", &v) == 1);
	fclose(f);
	return v;
}

/* SPEC X-7: the splice pipe is 1 MiB where allowed: always for root (it may go past
 * pipe-max-size), for others when pipe-max-size allows it. */
START_TEST(x7_pipe_size)
{
	int p[2];
	size_t cap;
	ck_assert_int_eq(xfer_pipe_open(p, 1 << 20, &cap), 0);
	ck_assert_int_eq(fcntl(p[1], F_GETPIPE_SZ), (int)cap);
	bool allowed = getuid() == 0 || read_long("/proc/sys/fs/pipe-max-size") >= (1 << 20);
	ck_assert_uint_eq(cap, allowed ? (1u << 20) : 65536);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* SPEC X-7: where the 1 MiB is refused, the pipe keeps what it has. Made real for
 * an unprivileged user: past its pipe-user-pages-soft budget the kernel gives new
 * pipes one page and refuses to grow them. The splice path still moves the bytes. */
START_TEST(x7_refused_pipe_keeps_default)
{
	if (getuid() != 0) {
		fprintf(stderr, "# skipped: needs root to become an unprivileged user\n");
		return;
	}
	long soft = read_long("/proc/sys/fs/pipe-user-pages-soft");
	if (soft <= 0) {
		fprintf(stderr, "# skipped: no per-user pipe budget on this machine\n");
		return;
	}
	tu_make_file(src_path, 300000);
	ck_assert_int_eq(chmod(dir, 0777), 0); /* the transfer below writes out_path as nobody */
	ck_assert_int_eq(setgid(65534), 0);
	ck_assert_int_eq(setuid(65534), 0);
	struct rlimit rl = {.rlim_cur = 4096, .rlim_max = 4096};
	setrlimit(RLIMIT_NOFILE, &rl);
	long pages = sysconf(_SC_PAGESIZE) > 0 ? (1 << 20) / sysconf(_SC_PAGESIZE) : 256;
	for (long used = 0; used <= soft; used += pages) { /* spend the budget */
		int q[2];
		ck_assert_int_eq(pipe(q), 0);
		if (fcntl(q[1], F_SETPIPE_SZ, 1 << 20) < 0)
			break;
	}
	int p[2];
	size_t cap;
	ck_assert_int_eq(xfer_pipe_open(p, 1 << 20, &cap), 0);
	ck_assert_uint_lt(cap, 1u << 20);
	ck_assert_int_eq(fcntl(p[1], F_GETPIPE_SZ), (int)cap);
	close(p[0]);
	close(p[1]);
	struct xfer_result res; /* the small pipe still carries a transfer */
	struct xfer_stats st = {0};
	ck_assert_int_eq(send_over_pair(XFER_SPLICE, 0, 300000, 0, 0, &st, &res), 0);
	tu_check_file(out_path, 0, 300000);
}
END_TEST

/* SPEC X-8: names as strace prints them. */
START_TEST(x8_sys_names)
{
	ck_assert_str_eq(xfer_sys_name(XS_PREAD), "pread64");
	ck_assert_str_eq(xfer_sys_name(XS_SENDTO), "sendto");
	ck_assert_str_eq(xfer_sys_name(XS_RECVFROM), "recvfrom");
	ck_assert_str_eq(xfer_sys_name(XS_PWRITEV2), "pwritev2");
	ck_assert_str_eq(xfer_sys_name(XS_COUNT), "?");
}
END_TEST

/* SPEC X-6: in a non-blocking context a job returns XFER_AGAIN at a full socket,
 * naming the fd and direction to wait for, and goes on from where it stopped. */
START_TEST(x6_job_nowait_again)
{
	struct rig g;
	rig_start(&g, 1 << 20, paths[_i], true);
	struct xfer_ctx ctx = {.timeout_ms = 5000, .nowait = true};
	ck_assert_int_eq(xfer_job_step(&g.j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_int_eq(g.j.wait_fd, g.sv[0]);
	ck_assert(!g.j.wait_in);
	rig_drain(&g);
	struct pollfd p = {.fd = g.j.wait_fd, .events = POLLOUT};
	int r;
	while ((r = xfer_job_step(&g.j, UINT64_MAX, &ctx)) == XFER_AGAIN)
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(g.j.res.moved, 1 << 20);
	rig_finish(&g, 1 << 20);
}
END_TEST

/* SPEC P-10: a stream destination whose description is blocking and shared (stdout,
 * a pipe nobody reads) is written without waiting (dst.nowait): the full pipe is an
 * XFER_AGAIN for the output, the call named by xfer_job_out_wait(), not a write or
 * splice that blocks for ever. */
START_TEST(p10_stream_nowait_full_pipe)
{
	int sv[2], pp[2];
	tu_tcp_pair(sv);
	tu_fill_socket(sv[1]);
	ck_assert_int_eq(pipe(pp), 0); /* blocking, as a shell makes a pipeline's */
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_end dst = {.kind = XFER_STREAM, .fd = pp[1], .nowait = true};
	struct xfer_job j;
	ck_assert_int_eq(xfer_job_init(&j, &src, &dst, 1 << 20, recv_paths[_i], 65536, NULL), 0);
	struct xfer_ctx ctx = {.timeout_ms = -1, .nowait = true};
	ck_assert_ptr_null(xfer_job_out_wait(&j));
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_int_eq(j.wait_fd, pp[1]);
	ck_assert(!j.wait_in);
	ck_assert_uint_gt(j.res.moved, 0); /* what fit went (a spliced page may hold more than 4 KiB) */
	ck_assert_str_eq(xfer_job_out_wait(&j), recv_paths[_i] == XFER_SPLICE ? "splice" : "pwritev2");
	xfer_job_free(&j);
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC P-10: a pwritev2(RWF_NOWAIT) to a full blocking pipe waits in poll(), bounded
 * by the timeout (hget's store()): ETIMEDOUT, with what fit moved. */
START_TEST(p10_pwritev2_wait_times_out)
{
	int pp[2];
	ck_assert_int_eq(pipe(pp), 0);
	static uint8_t buf[1 << 17];
	struct xfer_op op = xfer_op_mem(XS_PWRITEV2, pp[1], buf, RWF_NOWAIT);
	struct xfer_ctx ctx = {.timeout_ms = 200};
	uint64_t moved;
	ck_assert_int_eq(xfer_move(&op, sizeof buf, true, &ctx, &moved), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_eq(moved, (uint64_t)fcntl(pp[1], F_GETPIPE_SZ));
	close(pp[0]);
	close(pp[1]);
}
END_TEST

/* A fairness turn: a step moves no more than about its budget, then says XFER_MORE. */
START_TEST(x6_job_budget)
{
	struct rig g;
	rig_start(&g, 1 << 20, paths[_i], false);
	struct xfer_ctx ctx = {.timeout_ms = 5000};
	int turns = 0, r;
	uint64_t before = 0;
	while ((r = xfer_job_step(&g.j, 100000, &ctx)) == XFER_MORE) {
		ck_assert_uint_le(g.j.res.moved - before, 100000);
		before = g.j.res.moved;
		turns++;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_ge(turns, (1 << 20) / 100000);
	rig_finish(&g, 1 << 20);
}
END_TEST

/* SPEC S-11: with stop_on_readable, a wait for a writable socket ends with
 * XFER_READABLE as soon as the peer has sent something. */
START_TEST(s11_job_stops_when_peer_speaks)
{
	tu_make_file(src_path, 1 << 20);
	int sv[2];
	tu_socketpair(sv, 1);
	tu_fill_socket(sv[0]);
	ck_assert_int_eq(send(sv[1], "!", 1, 0), 1);
	int fd = open(src_path, O_RDONLY);
	struct xfer_end src = {.kind = XFER_FILE, .fd = fd}, dst = {.kind = XFER_SOCKET, .fd = sv[0]};
	struct xfer_ctx ctx = {.timeout_ms = 5000, .stop_on_readable = true};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, 1 << 20, paths[_i], 8192, &ctx, &res), XFER_READABLE);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC E-1: without a descriptor for the pipe or for /dev/null, the splice path
 * fails before its first call: a system error (exit 1), "transfer setup". */
START_TEST(e1_setup_failures)
{
	int sv[2];
	tu_socketpair(sv, 1);
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_DISCARD, .fd = -1};
	struct xfer_ctx ctx = {.timeout_ms = 1000};
	struct xfer_result res;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t saved = rl.rlim_cur;
	int lowest = dup(0);
	close(lowest);
	rl.rlim_cur = (rlim_t)lowest + (rlim_t)_i * 2; /* 0: no pipe; 1: a pipe, no /dev/null */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	int r = xfer_run(&src, &dst, 10, XFER_SPLICE, 8192, &ctx, &res);
	rl.rlim_cur = saved;
	setrlimit(RLIMIT_NOFILE, &rl);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(res.call, XS_COUNT);
	ck_assert_int_eq(res.err, EMFILE);
	struct zerr e;
	xfer_explain(&res, &src, "peer", &dst, "out", &e);
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM);
	ck_assert_str_eq(e.call, "transfer setup");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC X-7 R-17: a pool gives the first XFER_POOL_BIG jobs 1 MiB pipes and the
 * next ones small ones; an empty pipe comes back for the next job, one that still
 * holds bytes is closed. */
START_TEST(x7_pipe_pool)
{
	struct xfer_pipes pool = {0};
	static struct xfer_job jobs[XFER_POOL_BIG + 2];
	int sv[2];
	tu_socketpair(sv, 1);
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_DISCARD, .fd = -1};
	for (int i = 0; i < XFER_POOL_BIG + 2; i++) {
		ck_assert_int_eq(xfer_job_init(&jobs[i], &src, &dst, 10, XFER_SPLICE, 8192, &pool), 0);
		ck_assert_uint_eq(jobs[i].pipe_cap, i < XFER_POOL_BIG ? 1u << 20 : (size_t)XFER_POOL_SMALL);
	}
	ck_assert_uint_eq(pool.made, XFER_POOL_BIG + 2);
	jobs[0].held = 5; /* bytes still in it: it must not be reused */
	for (int i = 0; i < XFER_POOL_BIG + 2; i++)
		xfer_job_free(&jobs[i]);
	ck_assert_uint_eq(pool.nfree, XFER_POOL_BIG + 1);
	ck_assert_uint_eq(pool.made, XFER_POOL_BIG + 1);
	struct xfer_job again;
	ck_assert_int_eq(xfer_job_init(&again, &src, &dst, 10, XFER_SPLICE, 8192, &pool), 0);
	ck_assert_uint_eq(pool.made, XFER_POOL_BIG + 1); /* a kept one, no new pipe */
	ck_assert_uint_eq(pool.nfree, XFER_POOL_BIG);
	xfer_job_free(&again);
	xfer_pipes_free(&pool);
	ck_assert_uint_eq(pool.nfree, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC E-1 X-2: a failed sendfile has two objects; its errno tells which: a
 * network error is the socket's (exit 4), any other the file's (exit 3). */
static const struct { int err; bool net; } sendfile_errs[] = {
	{EPIPE, true}, {ECONNRESET, true}, {ETIMEDOUT, true}, {ENOTCONN, true}, {ECONNABORTED, true},
	{EHOSTUNREACH, true}, {ENETUNREACH, true}, {ENETDOWN, true}, {EIO, false}, {EBADF, false},
};

START_TEST(e1_sendfile_failure_named_by_its_errno)
{
	struct xfer_end src = {.kind = XFER_FILE, .fd = 3}, dst = {.kind = XFER_SOCKET, .fd = 4};
	struct xfer_result res = {.status = XFER_FAILED, .call = XS_SENDFILE, .err = sendfile_errs[_i].err};
	struct zerr e;
	xfer_explain(&res, &src, "data.bin", &dst, "127.0.0.1:9", &e);
	ck_assert_int_eq(e.code, sendfile_errs[_i].net ? ZCP_EXIT_NET : ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "sendfile");
	ck_assert_str_eq(e.object, sendfile_errs[_i].net ? "127.0.0.1:9" : "data.bin");
	ck_assert_str_eq(e.reason, strerror(sendfile_errs[_i].err));
}
END_TEST

/* SPEC X-6: a source that is neither a file nor a socket (a pipe) is read with
 * read() through the same loop, to its end. */
START_TEST(x6_stream_source_read_to_its_end)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	uint8_t buf[5000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = tu_byte(i);
	ck_assert_int_eq(write(p[1], buf, sizeof buf), (ssize_t)sizeof buf);
	close(p[1]);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	struct xfer_stats st = {0};
	struct xfer_ctx ctx = {.timeout_ms = 5000, .stats = &st};
	struct xfer_end src = {.kind = XFER_STREAM, .fd = p[0]}, dst = {.kind = XFER_STREAM, .fd = fd};
	struct xfer_result res;
	ck_assert_int_eq(xfer_run(&src, &dst, XFER_TO_EOF, XFER_COPY, 1024, &ctx, &res), 0);
	ck_assert_uint_eq(res.moved, sizeof buf);
	ck_assert_uint_eq(st.calls[XS_READ], 6); /* 5 chunks and the end */
	close(fd);
	close(p[0]);
	tu_check_file(out_path, 0, sizeof buf);
}
END_TEST

/* SPEC E-1 X-7: a pool that cannot make a pipe (out of descriptors) fails the
 * job's setup, counting no pipe made. */
START_TEST(e1_pool_without_a_pipe)
{
	struct xfer_pipes pool = {0};
	struct xfer_job j;
	int sv[2];
	tu_socketpair(sv, 1);
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = sv[0]}, dst = {.kind = XFER_DISCARD, .fd = -1};
	struct rlimit rl, few;
	getrlimit(RLIMIT_NOFILE, &rl);
	int lowest = dup(0);
	close(lowest);
	few = (struct rlimit){(rlim_t)lowest, rl.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &few), 0);
	int r = xfer_job_init(&j, &src, &dst, 10, XFER_SPLICE, 8192, &pool);
	setrlimit(RLIMIT_NOFILE, &rl);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(j.res.call, XS_COUNT);
	ck_assert_int_eq(j.res.err, EMFILE);
	ck_assert_uint_eq(pool.made, 0);
	xfer_job_free(&j);
	xfer_pipes_free(&pool);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A kTLS receive socket (SPEC T-6), played: this kernel has no kTLS, so no socket
 * here both splices a record's plaintext and refuses a record that is not data. In
 * its place, under one descriptor number (dup2): a stream socket, whose splice
 * moves bytes as a kTLS socket's does for data records, and an eventfd, whose
 * splice fails with EINVAL as a kTLS socket's does at a NewSessionTicket, a
 * KeyUpdate or an alert. The stream (struct xfer_io) is a script. This proves the
 * job's handling of those answers, not the kernel's. */
struct answer {
	ssize_t n;    /* > 0: that many pattern bytes; 0: the end; -1: err */
	int err;
	size_t pending; /* then held by the stream (read before the socket's) */
	size_t queue;   /* then: this many pattern bytes, after those held, queued on the
			 * socket, which takes the source's number */
};

struct fake {
	int fd, efd, sv[2];
	uint64_t at; /* the pattern offset of the stream's next byte */
	size_t pending;
	const struct answer *a;
	unsigned calls;
	struct xfer_io io;
};

/* The socket, holding the pattern bytes [from, from+len), takes f->fd's number. */
static void fake_socket(struct fake *f, uint64_t from, size_t len)
{
	uint8_t buf[8192];
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof buf ? len - done : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = tu_byte(from + done + i);
		ck_assert_int_eq(write(f->sv[1], buf, n), (ssize_t)n);
		done += n;
	}
	ck_assert_int_eq(dup2(f->sv[0], f->fd), f->fd);
}

/* The eventfd (splice: EINVAL) takes f->fd's number. */
static void fake_record(struct fake *f) { ck_assert_int_eq(dup2(f->efd, f->fd), f->fd); }

static ssize_t fake_read(void *arg, void *buf, size_t len, bool *wait_out)
{
	struct fake *f = arg;
	const struct answer *a = &f->a[f->calls++];
	*wait_out = false;
	if (a->n < 0) {
		errno = a->err;
		return -1;
	}
	ck_assert_uint_le((size_t)a->n, len);
	for (ssize_t i = 0; i < a->n; i++)
		((uint8_t *)buf)[i] = tu_byte(f->at + (uint64_t)i);
	f->at += (uint64_t)a->n;
	f->pending = a->pending;
	if (a->queue)
		fake_socket(f, f->at + f->pending, a->queue);
	return a->n;
}

static size_t fake_pending(void *arg) { return ((struct fake *)arg)->pending; }

static void fake_start(struct fake *f, const struct answer *script)
{
	*f = (struct fake){.a = script, .io = {.read = fake_read, .pending = fake_pending, .arg = f}};
	tu_socketpair(f->sv, 1);
	ck_assert_int_ge(f->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC), 0);
	ck_assert_int_ge(f->fd = dup(f->efd), 0);
}

static void fake_end(struct fake *f)
{
	close(f->fd);
	close(f->efd);
	close(f->sv[0]);
	close(f->sv[1]);
}

static const enum xfer_kind record_dst[] = {XFER_STREAM, XFER_FILE, XFER_DISCARD};

/* A job from the fake kTLS socket to out_path as record_dst[k] says. */
static void record_job(struct xfer_job *j, struct fake *f, uint64_t len, enum xfer_kind k, int *out)
{
	*out = k == XFER_DISCARD ? -1 : open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = f->fd, .io = &f->io, .records = true};
	struct xfer_end dst = {.kind = k, .fd = *out};
	ck_assert_int_eq(xfer_job_init(j, &src, &dst, len, XFER_SPLICE, 16384, NULL), 0);
	ck_assert_int_eq(j->path, XFER_SPLICE);
}

/* SPEC T-6: a kTLS receive socket's data records are spliced; a record that is not
 * data (splice: EINVAL) is read once through the stream, its bytes delivered in
 * order, then splicing goes on; what the stream holds is read before the socket;
 * the stream's EAGAIN is a wait for the socket, its end (close_notify) the end. */
START_TEST(t6_ktls_records_in_order)
{
	static const struct answer script[] = {
		{.n = 3000, .pending = 2000, .queue = 1000}, /* a record partly read, and more data */
		{.n = 2000},
		{.n = -1, .err = EAGAIN}, /* a ticket read; no record yet */
		{.n = 0},                 /* close_notify */
	};
	struct fake f;
	fake_start(&f, script);
	struct xfer_stats st = {0};
	struct xfer_ctx ctx = {.timeout_ms = 5000, .nowait = true, .stats = &st};
	struct xfer_job j;
	int out;
	fake_socket(&f, 0, 1000);
	f.at = 1000;
	record_job(&j, &f, XFER_TO_EOF, record_dst[_i], &out);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_uint_eq(j.res.moved, 1000);
	ck_assert_int_eq(j.wait_fd, f.fd);
	ck_assert(j.wait_in);
	fake_record(&f);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_uint_eq(j.res.moved, 7000);
	ck_assert_uint_eq(f.calls, 2);
	fake_record(&f);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_uint_eq(f.calls, 3);
	ck_assert_int_eq(j.wait_fd, f.fd);
	ck_assert(j.wait_in);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), 0);
	ck_assert_uint_eq(j.res.moved, 7000);
	ck_assert_uint_eq(st.calls[XS_TLS_READ], 4);
	ck_assert_int_eq(j.res.status, XFER_DONE);
	xfer_job_free(&j);
	if (out >= 0) {
		close(out);
		tu_check_file(out_path, 0, 7000);
	}
	fake_end(&f);
}
END_TEST

/* SPEC T-6 T-5: through the stream, its end before every byte is a short source,
 * and its failure (a cut without close_notify, a bad record) the job's, named
 * SSL_read; the socket's own end is not taken for the stream's: the stream says. */
START_TEST(t6_ktls_stream_end_and_failure)
{
	static const struct answer early_end[] = {{.n = 100}, {.n = 0}};
	static const struct answer cut[] = {{.n = -1, .err = EPROTO}};
	struct fake f;
	struct xfer_ctx ctx = {.timeout_ms = 5000};
	struct xfer_job j;
	int out;
	fake_start(&f, _i == 0 ? early_end : cut);
	if (_i == 1) { /* the socket ends: splice says 0 */
		fake_socket(&f, 0, 0);
		shutdown(f.sv[1], SHUT_WR);
	}
	record_job(&j, &f, _i == 0 ? 5000 : XFER_TO_EOF, XFER_STREAM, &out);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), -1);
	ck_assert_int_eq(j.res.status, _i == 0 ? XFER_SHORT : XFER_FAILED);
	ck_assert_int_eq(j.res.call, XS_TLS_READ);
	ck_assert(j.res.at_src);
	ck_assert_uint_eq(j.res.moved, _i == 0 ? 100 : 0);
	if (_i == 1)
		ck_assert_int_eq(j.res.err, EPROTO);
	xfer_job_free(&j);
	close(out);
	fake_end(&f);
}
END_TEST

/* SPEC T-6 P-10: the call named for a wait is the one that would have blocked, not
 * the path's: bytes read through the stream wait for the output's pwritev2, the
 * stream's own EAGAIN is SSL_read's; a pooled pipe left empty (the bytes held in
 * the buffer) goes back to the pool. */
START_TEST(t6_ktls_waits_named)
{
	static const struct answer script[] = {{.n = 3000}, {.n = -1, .err = EAGAIN}};
	struct fake f;
	fake_start(&f, script);
	struct xfer_ctx ctx = {.timeout_ms = 5000, .nowait = true};
	struct xfer_pipes pool = {0};
	struct xfer_job j;
	int pp[2];
	ck_assert_int_eq(pipe2(pp, O_NONBLOCK), 0);
	while (write(pp[1], "x", 1) == 1) /* full */
		;
	ck_assert_int_eq(fcntl(pp[1], F_SETFL, 0), 0); /* blocking, as a shell's pipe */
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = f.fd, .io = &f.io, .records = true};
	struct xfer_end dst = {.kind = XFER_STREAM, .fd = pp[1], .nowait = true};
	ck_assert_int_eq(xfer_job_init(&j, &src, &dst, XFER_TO_EOF, XFER_SPLICE, 16384, &pool), 0);
	fake_record(&f); /* splice: EINVAL, the stream reads 3000 bytes */
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_uint_eq(j.held, 3000);
	ck_assert_str_eq(xfer_job_out_wait(&j), "pwritev2");
	ck_assert_int_eq(j.wait_sys, XS_PWRITEV2);
	xfer_job_free(&j);
	ck_assert_uint_eq(pool.nfree, 1); /* the pipe was empty: kept */
	dst.fd = -1, dst.kind = XFER_DISCARD;
	ck_assert_int_eq(xfer_job_init(&j, &src, &dst, XFER_TO_EOF, XFER_SPLICE, 16384, &pool), 0);
	f.calls = 1;
	fake_record(&f);
	ck_assert_int_eq(xfer_job_step(&j, UINT64_MAX, &ctx), XFER_AGAIN);
	ck_assert_int_eq(j.wait_sys, XS_TLS_READ);
	ck_assert_ptr_null(xfer_job_out_wait(&j));
	xfer_job_free(&j);
	xfer_pipes_free(&pool);
	close(pp[0]);
	close(pp[1]);
	fake_end(&f);
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
	tcase_add_loop_test(tc, p10_blocking_eagain_is_the_timeout, 0, 4);
	tcase_add_loop_test(tc, s5_fallback_on_refusal, 0, 2);
	tcase_add_test(tc, s5_no_fallback_on_other_errors);
	tcase_add_test(tc, x7_pipe_size);
	tcase_add_test(tc, x7_refused_pipe_keeps_default);
	tcase_add_test(tc, x7_pipe_pool);
	tcase_add_test(tc, p10_deadline_bounds_waits);
	tcase_add_loop_test(tc, x6_job_nowait_again, 0, 3);
	tcase_add_loop_test(tc, x6_job_budget, 0, 3);
	tcase_add_loop_test(tc, p10_stream_nowait_full_pipe, 0, 2);
	tcase_add_test(tc, p10_pwritev2_wait_times_out);
	tcase_add_loop_test(tc, s11_job_stops_when_peer_speaks, 0, 3);
	tcase_add_loop_test(tc, e1_setup_failures, 0, 2);
	tcase_add_test(tc, x8_sys_names);
	tcase_add_loop_test(tc, e1_sendfile_failure_named_by_its_errno, 0,
			    (int)(sizeof sendfile_errs / sizeof sendfile_errs[0]));
	tcase_add_test(tc, x6_stream_source_read_to_its_end);
	tcase_add_test(tc, e1_pool_without_a_pipe);
	tcase_add_loop_test(tc, t6_ktls_records_in_order, 0, 3);
	tcase_add_loop_test(tc, t6_ktls_stream_end_and_failure, 0, 2);
	tcase_add_test(tc, t6_ktls_waits_named);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
