/* Check suite for src/fsio.c: input checks and the all-or-nothing output. */
#include <dirent.h>

#include "fsio.h"
#include "testutil.h"

static char dir[256], path[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/out.bin", dir);
}

/* Number of entries in dir besides . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void teardown(void) { tu_rmtree(dir); }

/* SPEC S-1: the input must be a regular file; its size is reported. */
START_TEST(s1_input_regular_only)
{
	struct zerr e;
	uint64_t size = 0;
	tu_make_file(path, 1234);
	int fd = fsio_open_input(path, &size, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(size, 1234);
	close(fd);
	ck_assert_int_eq(fsio_open_input(dir, &size, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "not a regular file");
	unlink(path);
	ck_assert_int_eq(fsio_open_input(path, &size, &e), -1);
	ck_assert_str_eq(e.call, "open");
	ck_assert_str_eq(e.reason, "No such file or directory");
}
END_TEST

static void write_all(struct fsio_out *o, const char *s)
{
	ck_assert_int_eq(write(o->fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* SPEC R-1: bytes go to a temporary file beside the target; the rename publishes them. */
START_TEST(r1_temp_then_rename)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, path, false, _i == 1, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_FILE);
	ck_assert_int_eq(fsio_out_open(&o, "ignored", &e), 0);
	ck_assert_ptr_nonnull(strstr(o.temp, "out.bin.zcp-part-"));
	ck_assert_int_eq(strncmp(o.temp, dir, strlen(dir)), 0);
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
	ck_assert_int_eq(fsio_out_init(&o, path, false, false, &e), 0);
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
	ck_assert_int_eq(fsio_out_init(&o, path, false, false, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_ptr_nonnull(strstr(e.reason, "--force"));
	unlink(path);
	/* created meanwhile: the rename must not replace it */
	ck_assert_int_eq(fsio_out_init(&o, path, false, false, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "new data");
	tu_make_file(path, 3);
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.call, "rename");
	ck_assert_str_eq(e.reason, "File exists");
	tu_check_file(path, 0, 3);
	ck_assert_int_eq(entries(), 1); /* the temporary file is gone */
	/* with force it is replaced */
	ck_assert_int_eq(fsio_out_init(&o, path, true, false, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	write_all(&o, "new data");
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	struct stat st;
	stat(path, &st);
	ck_assert_int_eq(st.st_size, 8);
}
END_TEST

/* SPEC R-4: a directory takes the sender's name. */
START_TEST(r4_directory_output)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, dir, false, false, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DIR);
	ck_assert_int_eq(fsio_out_open(&o, "served.bin", &e), 0);
	write_all(&o, "x");
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	char want[400];
	snprintf(want, sizeof want, "%s/served.bin", dir);
	ck_assert_str_eq(o.final, want);
	ck_assert_int_eq(access(want, F_OK), 0);
	/* the same name again is refused without force, at open time */
	ck_assert_int_eq(fsio_out_init(&o, dir, false, false, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "served.bin", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.reason, "exists"));
}
END_TEST

/* SPEC R-5: stdout and discard need no file; splice suitability of fds. */
START_TEST(r5_stdout_discard_and_splice_check)
{
	struct fsio_out o;
	struct zerr e;
	ck_assert_int_eq(fsio_out_init(&o, "-", false, false, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_STDOUT);
	ck_assert_int_eq(o.fd, 1);
	ck_assert_int_eq(fsio_out_open(&o, "x", &e), 0);
	ck_assert_int_eq(fsio_out_commit(&o, &e), 0);
	ck_assert_int_eq(fsio_out_init(&o, NULL, false, false, &e), 0);
	ck_assert_int_eq(o.mode, FSIO_DISCARD);

	int p[2], sv[2];
	ck_assert_int_eq(pipe(p), 0);
	tu_socketpair(sv, 0);
	int devnull = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
	int plain = open(path, O_WRONLY | O_CREAT, 0644), append = open(path, O_WRONLY | O_APPEND);
	ck_assert(fsio_accepts_splice(p[1]));
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
	ck_assert_int_eq(fsio_out_init(&o, path, false, true, &e), 0);
	ck_assert_int_eq(fsio_out_open(&o, "", &e), 0);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], o.fd); /* the temp fd now refers to a pipe */
	ck_assert_int_eq(fsio_out_commit(&o, &e), -1);
	ck_assert_str_eq(e.call, "fsync");
	ck_assert_int_eq(entries(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fsio");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, s1_input_regular_only);
	tcase_add_loop_test(tc, r1_temp_then_rename, 0, 2);
	tcase_add_test(tc, r2_abort_leaves_nothing);
	tcase_add_test(tc, r3_no_overwrite_without_force);
	tcase_add_test(tc, r4_directory_output);
	tcase_add_test(tc, r5_stdout_discard_and_splice_check);
	tcase_add_test(tc, r1_fsync_failure_reported);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
