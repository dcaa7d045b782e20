/* Check suite for src/fsio.c: input checks and the all-or-nothing output. */
#include <dirent.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "fsio.h"
#include "testutil.h"

static char dir[256], path[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/out.bin", dir);
}

/* Number of entries in dir besides . and .. (hidden temporary files count). */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void teardown(void) { tu_rmtree(dir); }

/* SPEC S-1: the input must be a regular file; its size is reported. */
START_TEST(s1_input_regular_only)
{
	struct zerr e;
	struct stat st;
	tu_make_file(path, 1234);
	int fd = fsio_open_input(path, &st, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(st.st_size, 1234);
	close(fd);
	ck_assert_int_eq(fsio_open_input(dir, &st, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "not a regular file");
	unlink(path);
	ck_assert_int_eq(fsio_open_input(path, &st, &e), -1);
	ck_assert_str_eq(e.call, "open");
	ck_assert_str_eq(e.reason, "No such file or directory");
}
END_TEST

/* SPEC S-1: a FIFO is refused at once, without waiting for a writer, and the fd of
 * a regular file comes back blocking. */
START_TEST(s1_fifo_refused_without_blocking)
{
	struct zerr e;
	struct stat st;
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(5); /* a blocking open() would hang here: the alarm fails the test */
	ck_assert_int_eq(fsio_open_input(path, &st, &e), -1);
	alarm(0);
	ck_assert_str_eq(e.reason, "not a regular file");
	unlink(path);
	tu_make_file(path, 10);
	int fd = fsio_open_input(path, &st, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}
END_TEST

/* SPEC S-9: a file of size 0 that has content (procfs) cannot be served: -2. An
 * empty regular file is served. */
START_TEST(s9_size_zero_with_content)
{
	struct zerr e;
	struct stat st;
	ck_assert_int_eq(fsio_open_input("/proc/self/status", &st, &e), -2);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "read");
	ck_assert_ptr_nonnull(strstr(e.reason, "reports size 0 but has content"));
	tu_make_file(path, 0);
	int fd = fsio_open_input(path, &st, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
}
END_TEST

static void write_all(struct fsio_out *o, const char *s)
{
	ck_assert_int_eq(write(o->fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Opens o for name, writes text and commits: each step must succeed. */
static void store(struct fsio_out *o, const char *name, const char *text)
{
	struct zerr e;
	ck_assert_int_eq(fsio_out_open(o, name, &e), 0);
	write_all(o, text);
	ck_assert_msg(fsio_out_commit(o, &e) == 0, "%s %s: %s", e.call, e.object, e.reason);
}

static off_t size_of(const char *p)
{
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	return st.st_size;
}

/* SPEC R-1: bytes go to a temporary file beside the target; the rename publishes them. */
START_TEST(r1_temp_then_rename)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, path, _i == 1 ? FSIO_FSYNC : 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_FILE);
	ck_assert_int_eq(fsio_out_open(&o, "ignored", &e), 0);
	ck_assert(o.anonymous); /* O_TMPFILE: the data has no name yet */
	ck_assert_str_eq(o.temp, "");
	ck_assert_int_eq(entries(), 0);
	write_all(&o, "hello");
	ck_assert_int_ne(access(path, F_OK), 0); /* nothing under the final name yet */
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	ck_assert_int_eq(entries(), 1);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	mode_t mask = umask(0);
	umask(mask);
	ck_assert_int_eq(st.st_mode & 0777, 0666 & ~mask);
}
END_TEST

/* SPEC R-2: abort removes the temporary file and leaves the final name alone. */
START_TEST(r2_abort_leaves_nothing)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, path, 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "partial");
	fsio_out_abort(&o);
	ck_assert_int_eq(entries(), 0);
	fsio_out_abort(&o); /* twice is harmless */
}
END_TEST

/* SPEC R-3: an existing file is refused before and at the rename without --force. */
START_TEST(r3_no_overwrite_without_force)
{
	struct fsio_out o;
	struct zerr e;
	tu_make_file(path, 3);
	ck_assert_int_eq(fsio_out_init(&o, path, 0, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_ptr_nonnull(strstr(e.reason, "--force"));
	unlink(path);
	/* created meanwhile: the link must not replace it */
	ck_assert_int_eq(fsio_out_init(&o, path, 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "new data");
	tu_make_file(path, 3);
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.call, "linkat");
	ck_assert_str_eq(e.reason, "File exists");
	tu_check_file(path, 0, 3);
	ck_assert_int_eq(entries(), 1); /* nothing else appeared */
	/* with force it is replaced, through a temporary name that is gone after */
	ck_assert_int_eq(fsio_out_init(&o, path, FSIO_FORCE, &e), 0);
	store(&o, "", "new data");
	ck_assert_int_eq(size_of(path), 8);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* SPEC R-4: a directory takes the sender's name. */
START_TEST(r4_directory_output)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, dir, 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DIR);
	ck_assert_int_eq(fsio_out_open(&o, "served.bin", &e), 0);
	write_all(&o, "x");
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	char want[400];
	snprintf(want, sizeof want, "%s/served.bin", dir);
	ck_assert_str_eq(o.final, want);
	ck_assert_int_eq(access(want, F_OK), 0);
	/* the same name again is refused without force, at open time */
	ck_assert_int_eq(fsio_out_init(&o, dir, 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "served.bin", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.reason, "exists"));
}
END_TEST

/* SPEC E-2 R-4: a directory given as DIR/ joins names with one slash: the file made
 * and the one an error names are DIR/NAME, never DIR//NAME. */
START_TEST(e2_directory_slash_joined_once)
{
	struct fsio_out o;
	struct zerr e;
	char slashed[300], want[400];
	snprintf(slashed, sizeof slashed, "%s/", dir);
	snprintf(want, sizeof want, "%s/same.bin", dir);
	tu_make_file(want, 3);
	ck_assert_int_eq(fsio_out_init(&o, slashed, 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DIR);
	ck_assert_int_eq(fsio_out_open(&o, "same.bin", &e), -1);
	ck_assert_str_eq(e.object, want);
	ck_assert_str_eq(o.final, want);
}
END_TEST

/* SPEC R-4: a name from the peer never takes zcp-recv's own prefix: no planted
 * partial or record, even with --force and --name; nothing is created. */
START_TEST(r4_reserved_prefix_refused)
{
	static const char *const names[] = {".zcp-partial-0123456789abcdef", ".zcp-partial-0123456789abcdef.meta", ".zcp-x"};
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, dir, _i == 2 ? FSIO_FORCE | FSIO_NAMED : 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, names[_i], &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "names starting with .zcp- are zcp-recv's own; not stored");
	ck_assert_int_eq(o.fd, -1);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(fsio_out_init(&o, dir, 0, &e), 0); /* only the prefix: a name that merely holds it is fine */
	store(&o, "a.zcp-partial", "1");
}
END_TEST

/* SPEC R-4 R-13: in a directory, --force replaces only a file the user named. */
START_TEST(r13_force_in_directory_needs_name)
{
	struct fsio_out o;
	struct zerr e;
	char victim[400];
	snprintf(victim, sizeof victim, "%s/victim.bin", dir);
	tu_make_file(victim, 3);
	ck_assert_int_eq(fsio_out_init(&o, dir, FSIO_FORCE, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "victim.bin", &e), -1);
	ck_assert_str_eq(e.reason, "file exists (in a directory --force replaces only a file named with --name)");
	tu_check_file(victim, 0, 3);
	ck_assert_int_eq(fsio_out_init(&o, dir, FSIO_FORCE | FSIO_NAMED, &e), 0);
	store(&o, "victim.bin", "12345");
	ck_assert_int_eq(size_of(victim), 5);
}
END_TEST

/* SPEC R-4: the rule holds at the commit too: of two pushes of one name into a
 * directory with --force but no --name, both opened while the name was free, the
 * second to commit fails as "exists" (exit 3) instead of replacing the first. */
START_TEST(r4_force_in_directory_checked_at_commit)
{
	struct fsio_out a, b;
	struct zerr e;
	char final[400];
	snprintf(final, sizeof final, "%s/twice.bin", dir);
	ck_assert_int_eq(fsio_out_init(&a, dir, FSIO_FORCE, &e), 0);
	ck_assert_int_eq(fsio_out_init(&b, dir, FSIO_FORCE, &e), 0);
	ck_assert_int_eq(fsio_out_open(&a, "twice.bin", &e), 0);
	ck_assert_int_eq(fsio_out_open(&b, "twice.bin", &e), 0);
	write_all(&a, "first");
	write_all(&b, "second!");
	ck_assert_int_eq(fsio_out_commit(&a, &e), 0);
	ck_assert_int_eq(fsio_out_commit(&b, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "file exists (in a directory --force replaces only a file named with --name)");
	ck_assert_int_eq(size_of(final), 5);
	ck_assert_int_eq(entries(), 1);
	/* named with --name, the second replaces the first, as R-4 allows */
	ck_assert_int_eq(fsio_out_init(&a, dir, FSIO_FORCE | FSIO_NAMED, &e), 0);
	ck_assert_int_eq(fsio_out_init(&b, dir, FSIO_FORCE | FSIO_NAMED, &e), 0);
	ck_assert_int_eq(fsio_out_open(&a, "twice.bin", &e), 0);
	ck_assert_int_eq(fsio_out_open(&b, "twice.bin", &e), 0);
	write_all(&a, "third");
	write_all(&b, "fourth!!");
	ck_assert_int_eq(fsio_out_commit(&a, &e), 0);
	ck_assert_int_eq(fsio_out_commit(&b, &e), 0);
	ck_assert_int_eq(size_of(final), 8);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* SPEC R-5: FIFOs and character devices are written to, never replaced; other
 * kinds of objects are refused; a FIFO without a reader fails at once. */
START_TEST(r5_devices_written_not_replaced)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, "/dev/null", FSIO_FORCE, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DEVICE);
	ck_assert_int_ge(o.fd, 0);
	ck_assert_int_eq(fsio_out_open(&o, "x", &e), 0);
	write_all(&o, "gone");
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	close(o.fd);
	struct stat st;
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode)); /* still the device */

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(5);
	ck_assert_int_eq(fsio_out_init(&o, path, FSIO_FORCE, &e), -1); /* no reader */
	ck_assert_str_eq(e.reason, "No such device or address");
	int rd = open(path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_eq(fsio_out_init(&o, path, 0, &e), 0);
	alarm(0);
	ck_assert_int_eq(o.mode, FSIO_DEVICE);
	write_all(&o, "via fifo");
	char buf[16] = {0};
	ck_assert_int_eq(read(rd, buf, sizeof buf), 8);
	ck_assert_str_eq(buf, "via fifo");
	close(o.fd);
	close(rd);
	unlink(path);

	char sock_path[400];
	snprintf(sock_path, sizeof sock_path, "%s/sock", dir);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	ck_assert_uint_lt(strlen(sock_path), sizeof sa.sun_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(fsio_out_init(&o, sock_path, FSIO_FORCE, &e), -1);
	ck_assert_str_eq(e.reason, "not a regular file, directory, FIFO or character device");
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	close(ls);
}
END_TEST

/* SPEC R-5: in a directory, an existing non-regular object of the name is never
 * replaced, even with --force and --name. */
START_TEST(r5_directory_never_replaces_special)
{
	struct fsio_out o;
	struct zerr e;
	char fifo[400];
	snprintf(fifo, sizeof fifo, "%s/pipe", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(fsio_out_init(&o, dir, FSIO_FORCE | FSIO_NAMED, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "pipe", &e), -1);
	ck_assert_str_eq(e.reason, "exists and is not a regular file; not replaced");
	struct stat st;
	ck_assert_int_eq(lstat(fifo, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

/* SPEC R-3: -o naming a symlink to a file replaces the file it points to, keeping
 * the link. */
START_TEST(r3_symlink_target_replaced)
{
	struct fsio_out o;
	struct zerr e;
	char link_path[400];
	snprintf(link_path, sizeof link_path, "%s/link", dir);
	tu_make_file(path, 3);
	ck_assert_int_eq(symlink("out.bin", link_path), 0);
	ck_assert_int_eq(fsio_out_init(&o, link_path, 0, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.reason, "file exists"));
	ck_assert_int_eq(fsio_out_init(&o, link_path, FSIO_FORCE, &e), 0);
	store(&o, "", "1234567");
	struct stat st;
	ck_assert_int_eq(lstat(link_path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(size_of(path), 7);
	ck_assert_int_eq(entries(), 2);
}
END_TEST

/* SPEC R-1: a name that fills W-8's 255 bytes is stored: no suffix is added to it. */
START_TEST(r1_longest_name_stored)
{
	struct fsio_out o;
	struct zerr e;
	char name[256];
	memset(name, 'n', 255);
	name[255] = '\0';
	ck_assert_int_eq(fsio_out_init(&o, dir, 0, &e), 0);
	store(&o, name, "x");
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* SPEC R-1: "-o dir/" for a directory that does not exist is refused at once. */
START_TEST(r1_missing_directory_refused)
{
	struct fsio_out o;
	struct zerr e;
	char p[400];
	snprintf(p, sizeof p, "%s/nodir/", dir);
	ck_assert_int_eq(fsio_out_init(&o, p, 0, &e), -1);
	ck_assert_str_eq(e.reason, "No such file or directory");
}
END_TEST

/* SPEC R-5: stdout and discard need no file; splice suitability of fds. */
START_TEST(r5_stdout_discard_and_splice_check)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, "-", 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_STDOUT);
	ck_assert_int_eq(o.fd, 1);
	ck_assert_int_eq(fsio_out_open(&o, "x", &e), 0);
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	ck_assert_int_eq(fsio_out_init(&o, NULL, 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DISCARD);

	int p[2], sv[2];
	ck_assert_int_eq(pipe(p), 0);
	tu_socketpair(sv, 0);
	int devnull = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
	int plain = open(path, O_WRONLY | O_CREAT, 0644), append = open(path, O_WRONLY | O_APPEND);
	ck_assert(fsio_accepts_splice(p[1]));
	ck_assert(!fsio_accepts_splice(sv[0])); /* SPEC P-10: blocking, it could hold splice for ever */
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert(fsio_accepts_splice(sv[0]));
	ck_assert(fsio_accepts_splice(devnull));
	ck_assert(fsio_accepts_splice(plain));
	ck_assert(!fsio_accepts_splice(append));
	ck_assert(!fsio_accepts_splice(zero));
	ck_assert(!fsio_accepts_splice(-1));
}
END_TEST

/* SPEC R-1: --fsync reports a failing fsync (a pipe cannot be fsynced: EINVAL). */
START_TEST(r1_fsync_failure_reported)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, path, FSIO_FSYNC, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], o.fd); /* the temp fd now refers to a pipe */
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.call, "fsync");
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* Creates nested directories under dir until the path is at least len bytes long
 * (and below PATH_MAX); returns the path (static). */
static const char *deep_dir(size_t len)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", dir);
	while (strlen(p) < len) {
		size_t n = strlen(p), part = len - n - 1 < 200 ? len - n - 1 : 200;
		if (part == 0)
			part = 1;
		p[n] = '/';
		memset(p + n + 1, 'd', part);
		p[n + 1 + part] = '\0';
		ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir: %s", strerror(errno));
	}
	return p;
}

/* SPEC R-1: paths that do not fit PATH_MAX are refused with ENAMETOOLONG, whole. */
START_TEST(r1_names_too_long)
{
	struct fsio_out o;
	struct zerr e;
	static char huge[PATH_MAX + 10];
	memset(huge, 'x', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	ck_assert_int_eq(fsio_out_init(&o, huge, 0, &e), -1);
	ck_assert_str_eq(e.reason, "File name too long");
	/* a directory whose path leaves no room for the sender's name */
	const char *deep = deep_dir(PATH_MAX - 100);
	char name[256];
	memset(name, 'n', 255);
	name[255] = '\0';
	ck_assert_int_eq(fsio_out_init(&o, deep, 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, name, &e), -1);
	ck_assert_str_eq(e.reason, "File name too long");
}
END_TEST

/* SPEC R-3: replacing goes through a temporary name beside the target; where that
 * name would not fit, the commit fails whole and the old file stays. */
START_TEST(r3_replace_without_room_for_temp_name)
{
	struct fsio_out o;
	struct zerr e;
	const char *deep = deep_dir(PATH_MAX - 10); /* room for "/f", not for "/.zcp-..." */
	char target[PATH_MAX];
	snprintf(target, sizeof target, "%s/f", deep);
	tu_make_file(target, 3);
	ck_assert_int_eq(fsio_out_init(&o, target, FSIO_FORCE, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "12345");
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.call, "linkat");
	ck_assert_str_eq(e.reason, "File name too long");
	tu_check_file(target, 0, 3);
}
END_TEST

/* SPEC R-1: a relative name is written in the current directory; a name directly
 * under / has / as its directory (there the anonymous file is dropped unnamed). */
START_TEST(r1_relative_and_root_names)
{
	struct fsio_out o;
	struct zerr e;
	char rel[400];
	snprintf(rel, sizeof rel, "%s/rel.bin", dir);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(fsio_out_init(&o, "rel.bin", 0, &e), 0);
	store(&o, "", "rel");
	ck_assert_int_eq(size_of(rel), 3);
	if (getuid() != 0) {
		fprintf(stderr, "# skipped the / case: only root may create files there\n");
		return;
	}
	ck_assert_int_eq(fsio_out_init(&o, "/zcp-test-never-committed", 0, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	ck_assert(o.anonymous);
	fsio_out_abort(&o);
	ck_assert_int_ne(access("/zcp-test-never-committed", F_OK), 0);
}
END_TEST

/* SPEC R-1 R-4: the output directory changing between start and response: gone
 * (the temporary file cannot be created) or swapped for a file (lstat fails). */
START_TEST(r1_directory_changed_under_us)
{
	struct fsio_out o;
	struct zerr e;
	char sub[400], file[420];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	snprintf(file, sizeof file, "%s/out", sub);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(fsio_out_init(&o, file, 0, &e), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), -1);
	ck_assert_str_eq(e.call, "open");
	ck_assert_str_eq(e.object, sub);
	ck_assert_str_eq(e.reason, "No such file or directory");
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(fsio_out_init(&o, sub, 0, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DIR);
	ck_assert_int_eq(rmdir(sub), 0);
	tu_make_file(sub, 1);
	ck_assert_int_eq(fsio_out_open(&o, "name", &e), -1);
	ck_assert_str_eq(e.call, "lstat");
	ck_assert_str_eq(e.reason, "Not a directory");
}
END_TEST

/* SPEC R-5 R-3: a FIFO that appears at the final name before a forced commit is not
 * replaced; the data is dropped. */
START_TEST(r5_forced_commit_never_replaces_special)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, path, FSIO_FORCE, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "data");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.reason, "exists and is not a regular file; not replaced");
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* SPEC R-5: a directory descriptor does not take splice. */
START_TEST(r5_directory_refuses_splice)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert(!fsio_accepts_splice(fd));
	close(fd);
}
END_TEST

struct beneath_case {
	const char *name;
	int want; /* 0: served; -1: missing or refused (NOT_FOUND); -2: SERVER_ERROR */
};

/* The root used by the beneath tests: files, a subdirectory, links in and out. */
/* The identity of the file at p, from a fresh open. */
static struct wire_ident identity_of(const char *p)
{
	struct wire_ident id;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	close(fd);
	return id;
}

/* SPEC W-15: a file rewritten in place with its mtime put back (touch -d, cp -p)
 * is another version: the change time, which no user can set, tells it. */
START_TEST(w15_rewritten_in_place_mtime_restored_changes)
{
	tu_make_file(path, 4096);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	struct wire_ident before = identity_of(path), again = identity_of(path);
	ck_assert_int_eq(memcmp(&before, &again, sizeof before), 0); /* the same file twice: equal */
	ck_assert_int_eq(tu_rewrite_in_place(path), 0);
	struct stat st2;
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert(st2.st_mtim.tv_sec == st.st_mtim.tv_sec && st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec);
	ck_assert(st2.st_ino == st.st_ino && st2.st_size == st.st_size);
	struct wire_ident after = identity_of(path);
	ck_assert_int_ne(memcmp(&before, &after, sizeof before), 0);
}
END_TEST

/* Whether the 8 big-endian bytes of v occur in buf[0..len). */
static bool has_u64(const uint8_t *buf, size_t len, uint64_t v)
{
	uint8_t be[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		be[i] = (uint8_t)v;
	return memmem(buf, len, be, sizeof be) != NULL;
}

/* SPEC W-15: the identity frame is opaque: neither the device nor the inode number
 * is in its bytes; two files that differ only in inode (and change time) differ. */
START_TEST(w15_identity_opaque_on_the_wire)
{
	char other[400];
	snprintf(other, sizeof other, "%s.b", path);
	tu_make_file(path, 5000);
	tu_make_file(other, 5000);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	const struct timespec times[2] = {st.st_atim, st.st_mtim};
	ck_assert_int_eq(utimensat(AT_FDCWD, other, times, 0), 0); /* the same size and mtime */
	struct wire_ident a = identity_of(path), b = identity_of(other);
	ck_assert_int_ne(memcmp(&a, &b, sizeof a), 0);
	uint8_t frame[WIRE_IDENT_SIZE];
	ck_assert_int_eq(wire_encode_ident(&a, frame, sizeof frame), WIRE_IDENT_SIZE);
	ck_assert(!has_u64(frame, sizeof frame, (uint64_t)st.st_ino));
	ck_assert(!has_u64(frame, sizeof frame, (uint64_t)st.st_dev));
	unlink(other);
}
END_TEST

static int make_root(void)
{
	char p[400];
#define AT(rel) (snprintf(p, sizeof p, "%s/root/%s", dir, rel), p)
	ck_assert_int_eq(mkdir(AT(""), 0755), 0);
	ck_assert_int_eq(mkdir(AT("sub"), 0755), 0);
	tu_make_file(AT("top.bin"), 1000);
	tu_make_file(AT("sub/deep.bin"), 3000);
	tu_make_file(path, 77); /* outside the root */
	ck_assert_int_eq(symlink("../top.bin", AT("sub/up-inside")), 0);
	ck_assert_int_eq(symlink(path, AT("abs-out")), 0);
	ck_assert_int_eq(symlink("../out.bin", AT("rel-out")), 0);
	ck_assert_int_eq(symlink("sub/hop", AT("chain")), 0);
	ck_assert_int_eq(symlink("../../out.bin", AT("sub/hop")), 0);
	ck_assert_int_eq(mkfifo(AT("fifo"), 0600), 0);
	if (getuid() == 0)
		ck_assert_int_eq(mknod(AT("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
	int fd = open(AT(""), O_PATH | O_DIRECTORY);
#undef AT
	ck_assert_int_ge(fd, 0);
	return fd;
}

static const struct beneath_case beneath[] = {
	{"top.bin", 0}, {"sub/deep.bin", 0}, {"sub/up-inside", 0},
	{"missing", -1}, {"../out.bin", -1}, {"sub/../../out.bin", -1}, {"/etc/passwd", -1},
	{"abs-out", -1}, {"rel-out", -1}, {"chain", -1}, {"fifo", -1}, {"sub", -1}, {"null", -1},
};

/* SPEC S-12: a name is resolved beneath the root: every way out is refused, and
 * nothing but a regular file is served, without blocking on a FIFO. */
START_TEST(s12_open_beneath_root)
{
	const struct beneath_case *c = &beneath[_i];
	int root = make_root();
	struct zerr e;
	struct stat st;
	alarm(5);
	int fd = fsio_open_beneath(root, c->name, &st, &e);
	alarm(0);
	if (c->want == 0) {
		ck_assert_msg(fd >= 0, "%s: %s %s", c->name, e.call, e.reason);
		ck_assert_int_eq(st.st_size, strstr(c->name, "deep") ? 3000 : 1000);
		ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
		close(fd);
	} else {
		ck_assert_int_eq(fd, c->want);
		ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
		ck_assert_str_eq(e.object, c->name);
	}
}
END_TEST

/* SPEC S-12: magic links (/proc) are refused even where they would stay below. */
START_TEST(s12_no_magic_links)
{
	int proc = open("/proc/self", O_PATH | O_DIRECTORY);
	struct zerr e;
	struct stat st;
	ck_assert_int_eq(fsio_open_beneath(proc, "root/etc/hostname", &st, &e), -1);
	ck_assert_int_eq(fsio_open_beneath(proc, "fd/0", &st, &e), -1);
	close(proc);
}
END_TEST

/* Open descriptors of this process. */
static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* SPEC R-20: a partial that cannot be cut to its kept bytes is an error (exit 3),
 * and its descriptor is not left open. */
START_TEST(r20_partial_open_failure_closes)
{
	struct fsio_out o;
	struct zerr e;
	char partial[400];
	snprintf(partial, sizeof partial, "%s/.zcp-partial-x", dir);
	ck_assert_int_eq(fsio_out_init(&o, path, 0, &e), 0);
	int before = open_fds();
	fsio_out_use_partial(&o, partial, (1ull << 63) + 1); /* no file is that long */
	ck_assert_int_eq(fsio_out_open(&o, "", &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "ftruncate");
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

/* Makes every openat() with O_TMPFILE fail with EOPNOTSUPP from now on in this
 * (forked) test process, as on a file system without O_TMPFILE, and with no_random
 * every getrandom() with ENOSYS: a seccomp filter, the kernel's own fault injection
 * (the flags' low word; x86-64 and arm64 are little-endian). */
static void refuse_o_tmpfile(bool no_random)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, no_random ? SECCOMP_RET_ERRNO | ENOSYS : SECCOMP_RET_ALLOW),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_TMPFILE & ~O_DIRECTORY, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

/* SPEC R-1 R-2: without O_TMPFILE each output gets a named temporary file; any of
 * them may be aborted in any order, and fsio_cleanup_all() (a terminating
 * signal's handler) removes every one still there. */
START_TEST(r2_cleanup_all_removes_every_named_temp)
{
	refuse_o_tmpfile(false);
	struct fsio_out o[3];
	struct zerr e;
	const char *names[3] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(fsio_out_init(&o[i], dir, 0, &e), 0);
		ck_assert_int_eq(fsio_out_open(&o[i], names[i], &e), 0);
		ck_assert(!o[i].anonymous);
		ck_assert_int_eq(access(o[i].temp, F_OK), 0);
	}
	ck_assert_int_eq(entries(), 3);
	fsio_out_abort(&o[1]); /* the middle one: armed before and after it */
	ck_assert_int_eq(entries(), 2);
	ck_assert_int_eq(access(o[0].temp, F_OK), 0);
	ck_assert_int_eq(access(o[2].temp, F_OK), 0);
	fsio_cleanup_all();
	ck_assert_int_eq(entries(), 0);
	fsio_out_abort(&o[0]);
	fsio_out_abort(&o[2]);
	fsio_cleanup_all(); /* none armed now: nothing to remove */
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-1: with no random bytes to be had (getrandom failing), temporary names
 * are still made, of the same form, many in the same millisecond (the clock alone
 * would give them one name: each try after the first would fail until it ticked). */
START_TEST(r1_temp_names_without_entropy)
{
	refuse_o_tmpfile(true);
	enum { N = 64 };
	static struct fsio_out o[N];
	struct zerr e;
	char prefix[300], name[8];
	snprintf(prefix, sizeof prefix, "%s/" FSIO_OWN_PREFIX, dir);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "f%d", i);
		ck_assert_int_eq(fsio_out_init(&o[i], dir, 0, &e), 0);
		ck_assert_msg(fsio_out_open(&o[i], name, &e) == 0, "%d: %s %s: %s", i, e.call, e.object, e.reason);
		ck_assert(!o[i].anonymous);
		ck_assert_int_eq(strncmp(o[i].temp, prefix, strlen(prefix)), 0);
		const char *rnd = o[i].temp + strlen(prefix);
		ck_assert_uint_eq(strlen(rnd), 10);
		ck_assert_uint_eq(strspn(rnd, "abcdefghijklmnopqrstuvwxyz0123456789"), 10);
	}
	ck_assert_int_eq(entries(), N);
	for (int i = 0; i < N; i++)
		fsio_out_abort(&o[i]);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-1: the directory of a path that is gone cannot be synced: -1, errno. */
START_TEST(r1_fsync_dir_of_a_missing_directory)
{
	char p[400];
	snprintf(p, sizeof p, "%s/gone/out.bin", dir);
	errno = 0;
	ck_assert_int_eq(fsio_fsync_dir_of(p), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(fsio_fsync_dir_of(path), 0);
}
END_TEST

/* SPEC R-22: the room of an output directory removed after -o was checked cannot
 * be known: exit 3, statvfs and the directory named. */
START_TEST(r22_room_of_a_removed_directory)
{
	struct fsio_out o;
	struct zerr e;
	char sub[400];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(fsio_out_init(&o, sub, 0, &e), 0);
	ck_assert_int_eq(fsio_out_room(&o, 1, &e), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(fsio_out_room(&o, 1, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "statvfs");
	ck_assert_str_eq(e.object, sub);
	ck_assert_str_eq(e.reason, "No such file or directory");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fsio");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, s1_input_regular_only);
	tcase_add_test(tc, s1_fifo_refused_without_blocking);
	tcase_add_test(tc, s9_size_zero_with_content);
	tcase_add_test(tc, r13_force_in_directory_needs_name);
	tcase_add_test(tc, r4_force_in_directory_checked_at_commit);
	tcase_add_test(tc, r5_devices_written_not_replaced);
	tcase_add_test(tc, r5_directory_never_replaces_special);
	tcase_add_test(tc, r3_symlink_target_replaced);
	tcase_add_test(tc, r1_longest_name_stored);
	tcase_add_test(tc, r1_missing_directory_refused);
	tcase_add_test(tc, r1_names_too_long);
	tcase_add_test(tc, r3_replace_without_room_for_temp_name);
	tcase_add_test(tc, r1_relative_and_root_names);
	tcase_add_test(tc, r1_directory_changed_under_us);
	tcase_add_test(tc, r5_forced_commit_never_replaces_special);
	tcase_add_test(tc, r5_directory_refuses_splice);
	tcase_add_loop_test(tc, s12_open_beneath_root, 0, (int)(sizeof beneath / sizeof beneath[0]));
	tcase_add_test(tc, s12_no_magic_links);
	tcase_add_test(tc, w15_rewritten_in_place_mtime_restored_changes);
	tcase_add_test(tc, w15_identity_opaque_on_the_wire);
	tcase_add_loop_test(tc, r1_temp_then_rename, 0, 2);
	tcase_add_test(tc, r2_abort_leaves_nothing);
	tcase_add_test(tc, r3_no_overwrite_without_force);
	tcase_add_test(tc, r4_directory_output);
	tcase_add_test(tc, e2_directory_slash_joined_once);
	tcase_add_test(tc, r5_stdout_discard_and_splice_check);
	tcase_add_test(tc, r1_fsync_failure_reported);
	tcase_add_test(tc, r20_partial_open_failure_closes);
	tcase_add_test(tc, r2_cleanup_all_removes_every_named_temp);
	tcase_add_test(tc, r1_fsync_dir_of_a_missing_directory);
	tcase_add_test(tc, r1_temp_names_without_entropy);
	tcase_add_test(tc, r22_room_of_a_removed_directory);
	tcase_add_loop_test(tc, r4_reserved_prefix_refused, 0, 3);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
