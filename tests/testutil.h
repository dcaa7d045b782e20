/* testutil - helpers shared by the Check suites: temp files, patterned data,
 * socketpairs, loopback clients and a guard page. Header-only so each suite
 * stays one file. */
#ifndef ZCP_TESTUTIL_H
#define ZCP_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "net.h"
#include "serve.h"

/* tu_exit() - end a forked child at once (no atexit handlers of the parent, no
 * stdio flushed twice), first writing its coverage counts in a --coverage build. */
#ifdef ZCP_COVERAGE
void __gcov_dump(void);
#define tu_exit(code) (__gcov_dump(), _exit(code))
#else
#define tu_exit(code) _exit(code)
#endif

/* tu_identity() - the W-15 identity of the file open on fd, as a sender makes it
 * from its one fstat. Returns 0 or -1 with errno. */
static inline int tu_identity(int fd, struct wire_ident *id)
{
	struct stat st;
	return fstat(fd, &st) < 0 ? -1 : ident_of(&st, id);
}

/* A byte pattern that differs at every offset, so shifted data is caught. */
static inline uint8_t tu_byte(uint64_t off) { return (uint8_t)(off * 131 + (off >> 9) + 7); }

/* tu_tmpdir() - a fresh directory under $TMPDIR (or /tmp); the path is static. */
static inline const char *tu_tmpdir(void)
{
	static char dir[256];
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/zcp-test-XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* tu_rmtree() - remove a test directory and everything in it. */
static inline void tu_rmtree(const char *dir)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* tu_make_file() - write size patterned bytes to path; returns path. */
static inline const char *tu_make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	uint8_t buf[65536];
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = tu_byte(off + i);
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
		off += n;
	}
	close(fd);
	return path;
}

/* tu_rewrite_in_place() - overwrite path's first 4 bytes with zeros and put its
 * atime and mtime back, as `cp -p` or `touch -d` would (SPEC W-15): first waits for
 * the coarse clock the kernel stamps ctime with to pass the file's ctime, so that
 * the rewrite shows in the ctime. Returns 0 or -1 with errno. */
static inline int tu_rewrite_in_place(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	struct timespec now;
	do
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
	while (now.tv_sec == st.st_ctim.tv_sec && now.tv_nsec <= st.st_ctim.tv_nsec);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	const struct timespec times[2] = {st.st_atim, st.st_mtim};
	int r = fd < 0 || pwrite(fd, "\0\0\0\0", 4, 0) != 4 || futimens(fd, times) < 0 ? -1 : 0;
	if (fd >= 0)
		close(fd);
	return r;
}

/* tu_check_file() - assert path holds exactly the pattern bytes [from, from+len). */
static inline void tu_check_file(const char *path, uint64_t from, uint64_t len)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, len);
	int fd = open(path, O_RDONLY);
	uint8_t buf[65536];
	for (uint64_t off = 0; off < len;) {
		ssize_t n = read(fd, buf, sizeof buf);
		ck_assert_int_gt(n, 0);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != tu_byte(from + off + (uint64_t)i))
				ck_abort_msg("%s: byte %llu differs", path, (unsigned long long)(off + (uint64_t)i));
		off += (uint64_t)n;
	}
	close(fd);
}

/* tu_socketpair() - a connected pair; nonblock applies to both ends. */
static inline void tu_socketpair(int sv[2], int nonblock)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0, sv), 0);
}

/* tu_tcp_pair() - a connected TCP pair over loopback, both ends non-blocking (the
 * net_* functions make them so): sv[0] connected, sv[1] accepted. */
static inline void tu_tcp_pair(int sv[2])
{
	struct zerr e;
	char bound[NET_ADDR_MAX], peer[NET_ADDR_MAX];
	int lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lfd, 0);
	sv[0] = net_connect(bound, 1000, peer, sizeof peer, &e);
	ck_assert_int_ge(sv[0], 0);
	sv[1] = net_accept(lfd, peer, sizeof peer, &e);
	ck_assert_int_ge(sv[1], 0);
	close(lfd);
}

/* tu_client() - a client connected to addr (within 5 s; a listener's backlog takes
 * it before anyone accepts) that sent n bytes of text; returns its non-blocking fd. */
static inline int tu_client(const char *addr, const void *text, size_t n)
{
	struct zerr e;
	char peer[NET_ADDR_MAX];
	int fd = net_connect(addr, 5000, peer, sizeof peer, &e);
	ck_assert_int_ge(fd, 0);
	if (n)
		ck_assert_int_eq(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
	return fd;
}

/* tu_fill_socket() - write into a non-blocking socket until EAGAIN; returns bytes queued. */
static inline size_t tu_fill_socket(int fd)
{
	static uint8_t junk[4096];
	size_t total = 0;
	for (;;) {
		ssize_t n = send(fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
			return total;
		}
		total += (size_t)n;
	}
}

/* tu_guarded() - copy src[0..len) so that it ends right before a PROT_NONE page:
 * any read past len faults at once. Free with tu_unguard(). */
static inline uint8_t *tu_guarded(const void *src, size_t len, void **map, size_t *maplen)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)page - 1) / (size_t)page + 1;
	*maplen = pages * (size_t)page;
	*map = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(*map, MAP_FAILED);
	uint8_t *guard = (uint8_t *)*map + (pages - 1) * (size_t)page;
	ck_assert_int_eq(mprotect(guard, (size_t)page, PROT_NONE), 0);
	memcpy(guard - len, src, len);
	return guard - len;
}

static inline void tu_unguard(void *map, size_t maplen) { munmap(map, maplen); }

/* tu_child_status() - wait for a child that must exit normally; its exit status. */
static inline int tu_child_status(pid_t pid)
{
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* tu_ktls_kernel() - whether the kernel has kTLS: the TLS ULP is registered, or its
 * module is there to be loaded (setsockopt TCP_ULP "tls" loads it). The end-to-end
 * suites ask the same of ktls_kernel (tests/tls-mode.sh). */
static inline bool tu_ktls_kernel(void)
{
	char line[4096];
	bool yes = false, start = true;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	if (f) {
		while (!yes && fscanf(f, "%255s", line) == 1)
			yes = strcmp(line, "tls") == 0;
		fclose(f);
	}
	struct utsname u;
	if (yes || uname(&u) != 0)
		return yes;
	snprintf(line, sizeof line, "/lib/modules/%s/modules.dep", u.release);
	if (!(f = fopen(line, "r")))
		return false;
	while (!yes && fgets(line, sizeof line, f)) { /* a module's line starts with its file */
		yes = start && strncmp(line, "kernel/net/tls/tls.ko", 21) == 0;
		start = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return yes;
}

/* tu_capture() - from now on, what is written to fd (1 or 2) goes into a fresh,
 * already unlinked temp file; returns that file's descriptor for tu_captured(). */
static inline int tu_capture(int fd)
{
	char path[300];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/zcp-capture-XXXXXX", base ? base : "/tmp");
	int cap = mkstemp(path);
	ck_assert_int_ge(cap, 0);
	unlink(path);
	ck_assert_int_eq(dup2(cap, fd), fd);
	return cap;
}

/* tu_captured() - what went into cap since the last call (stdio flushed first),
 * NUL-terminated in buf[0..len); the file is emptied for the next. Returns the length. */
static inline size_t tu_captured(int cap, char *buf, size_t len)
{
	fflush(stdout);
	fflush(stderr);
	ssize_t n = pread(cap, buf, len - 1, 0);
	ck_assert_int_ge(n, 0);
	ck_assert_msg((size_t)n < len - 1, "captured output longer than %zu bytes", len - 2);
	buf[n] = '\0';
	ck_assert_int_eq(ftruncate(cap, 0), 0);
	ck_assert_int_eq(lseek(cap, 0, SEEK_SET), 0);
	return (size_t)n;
}

/* tu_run() - run a suite in fork mode and return the number of failures. */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

/* tu_sender() - a sender in a child process: serves conns connections of lfd one
 * after another with serve_one() of file, calling between(i), when not NULL, after
 * the i-th. The child exits with how many failed (100: an accept failed). */
static inline pid_t tu_sender(int lfd, const char *file, int conns, void (*between)(int i))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	struct serve_cfg cfg = {.file = file, .rootfd = -1, .path = XFER_SENDFILE, .chunk = 8192,
				.timeout_ms = 5000, .header_timeout_ms = 5000};
	int bad = 0;
	for (int i = 0; i < conns; i++) {
		char peer[NET_ADDR_MAX];
		struct zerr e;
		struct serve_report rep;
		int s = net_accept(lfd, peer, sizeof peer, &e);
		if (s < 0)
			tu_exit(100);
		bad += serve_one(s, peer, &cfg, &rep, NULL, &e) < 0;
		close(s);
		if (between)
			between(i);
	}
	tu_exit(bad);
}

#endif
