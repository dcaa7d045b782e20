/* Check suite for src/fhash.c (and the W-15 identity): XXH3-128 of file ranges,
 * checked against xxhsum (the xxhash package's own command), step by step. */
#include "fhash.h"
#include "fsio.h"
#include "testutil.h"

static char dir[256], path[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/data.bin", dir);
}

static void teardown(void) { tu_rmtree(dir); }

/* The hash of fd's [from, to) in steps of budget bytes, as lowercase hex. */
static int hash_hex(int fd, uint64_t from, uint64_t to, uint64_t budget, char hex[33], struct xfer_stats *st)
{
	struct fhash h;
	ck_assert_int_eq(fhash_start(&h, fd, from, to), 0);
	int r;
	while ((r = fhash_step(&h, budget, st)) == 0)
		;
	if (r == 1) {
		uint8_t d[WIRE_HASH_SIZE];
		fhash_digest(&h, d);
		for (int i = 0; i < WIRE_HASH_SIZE; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
	fhash_end(&h);
	fhash_end(&h); /* twice is harmless */
	return r;
}

/* xxhsum -H2 (XXH128) of the bytes [from, from + len) of path. */
static void reference(uint64_t from, uint64_t len, char hex[33])
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "tail -c +%llu '%s' | head -c %llu | xxhsum -H2", (unsigned long long)from + 1,
		 path, (unsigned long long)len);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%32s", hex), 1);
	pclose(p);
}

/* SPEC W-17: the digest is XXH3-128 in canonical form, whatever the range and the
 * step size (a step of a budget under FHASH_BUF reads that budget). */
START_TEST(w17_range_hash_matches_xxhsum)
{
	static const uint64_t ranges[][2] = {{0, 0}, {0, 1}, {7, 1000}, {0, 3 * FHASH_BUF + 5},
					     {FHASH_BUF - 1, 2 * FHASH_BUF + 3}};
	static const uint64_t budgets[] = {1000, 4096, UINT64_MAX};
	tu_make_file(path, 3 * FHASH_BUF + 5);
	int fd = open(path, O_RDONLY);
	const uint64_t *r = ranges[_i / 3];
	char got[33] = "", want[33];
	struct xfer_stats st = {0};
	ck_assert_int_eq(hash_hex(fd, r[0], r[0] + r[1], budgets[_i % 3], got, &st), 1);
	reference(r[0], r[1], want);
	ck_assert_str_eq(got, want);
	uint64_t per = budgets[_i % 3] < FHASH_BUF ? budgets[_i % 3] : FHASH_BUF;
	ck_assert_uint_eq(st.calls[XS_PREAD], (r[1] + per - 1) / per); /* no more reads than needed */
	close(fd);
}
END_TEST

/* SPEC G-12: the SHA-256 mode of the same steps (the read-back of --sha256 and
 * Repr-Digest) matches sha256sum, whatever the range and the step size, and reads
 * no more than it needs. */
START_TEST(g12_range_sha256_matches_sha256sum)
{
	static const uint64_t ranges[][2] = {{0, 0}, {0, 1}, {7, 1000}, {0, 3 * FHASH_BUF + 5}};
	static const uint64_t budgets[] = {1000, UINT64_MAX};
	tu_make_file(path, 3 * FHASH_BUF + 5);
	int fd = open(path, O_RDONLY);
	const uint64_t *r = ranges[_i / 2];
	uint64_t budget = budgets[_i % 2];
	struct fhash h;
	struct xfer_stats st = {0};
	ck_assert_int_eq(fhash_start_sha256(&h, fd, r[0], r[0] + r[1]), 0);
	int res;
	while ((res = fhash_step(&h, budget, &st)) == 0)
		;
	ck_assert_int_eq(res, 1);
	uint8_t d[FHASH_SHA256_SIZE];
	fhash_sha256(&h, d);
	fhash_end(&h);
	fhash_end(&h); /* twice is harmless */
	char got[2 * FHASH_SHA256_SIZE + 1], want[2 * FHASH_SHA256_SIZE + 1], cmd[600];
	for (int i = 0; i < FHASH_SHA256_SIZE; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	snprintf(cmd, sizeof cmd, "tail -c +%llu '%s' | head -c %llu | sha256sum", (unsigned long long)r[0] + 1,
		 path, (unsigned long long)r[1]);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%64s", want), 1);
	pclose(p);
	ck_assert_str_eq(got, want);
	uint64_t per = budget < FHASH_BUF ? budget : FHASH_BUF;
	ck_assert_uint_eq(st.calls[XS_PREAD], (r[1] + per - 1) / per);
	close(fd);
}
END_TEST

/* SPEC R-19: a file that ends before the range does is an error, not a short hash. */
/* SPEC W-17: a step reads no more than its budget, even under one buffer, so a
 * caller that takes the bytes hashed off what its turn has left never goes below 0. */
START_TEST(w17_step_stays_in_budget)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 3 * FHASH_BUF), 0);
	static const uint64_t budgets[] = {1, 1000, FHASH_BUF - 1, FHASH_BUF + 1};
	struct fhash h;
	ck_assert_int_eq(fhash_start(&h, fd, 10, 3 * FHASH_BUF), 0);
	for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
		uint64_t before = h.at;
		ck_assert_int_eq(fhash_step(&h, budgets[i], NULL), 0);
		ck_assert_uint_eq(h.at - before, budgets[i]);
	}
	fhash_end(&h);
	close(fd);
}
END_TEST

START_TEST(r19_file_shorter_than_range)
{
	tu_make_file(path, 1000);
	int fd = open(path, O_RDONLY);
	char hex[33];
	errno = 0;
	ck_assert_int_eq(hash_hex(fd, 10, 1001, UINT64_MAX, hex, NULL), -1);
	ck_assert_int_eq(errno, ENODATA);
	close(fd);
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(hash_hex(fd, 0, 10, UINT64_MAX, hex, NULL), -1); /* not readable */
	ck_assert_int_eq(errno, EBADF);
	close(fd);
}
END_TEST

/* SPEC R-19 E-1: fhash_advance() gives the digest with the step that finishes, and
 * tells a failure in one line: a file that ends before the range as what it is
 * (not EIO), any other failure by its errno. */
START_TEST(r19_advance_names_the_shortfall)
{
	tu_make_file(path, 1000);
	int fd = open(path, O_RDONLY);
	struct fhash h;
	struct zerr e = {0};
	uint8_t d[FHASH_SHA256_SIZE], want[WIRE_HASH_SIZE];
	ck_assert_int_eq(fhash_start(&h, fd, 0, 1000), 0);
	ck_assert_int_eq(fhash_advance(&h, 600, NULL, d, "out", "stored", &e), 0);
	ck_assert_int_eq(fhash_advance(&h, 600, NULL, d, "out", "stored", &e), 1);
	fhash_digest(&h, want);
	ck_assert_mem_eq(d, want, sizeof want);
	fhash_end(&h);
	ck_assert_int_eq(fhash_start_sha256(&h, fd, 10, 1001), 0);
	ck_assert_int_eq(fhash_advance(&h, UINT64_MAX, NULL, d, "out", "sent", &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "pread");
	ck_assert_str_eq(e.object, "out");
	ck_assert_str_eq(e.reason, "the file is shorter than what was sent");
	fhash_end(&h);
	close(fd);
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(fhash_start(&h, fd, 0, 10), 0);
	ck_assert_int_eq(fhash_advance(&h, UINT64_MAX, NULL, d, "out", "stored", &e), -1);
	ck_assert_str_eq(e.reason, strerror(EBADF)); /* not readable */
	fhash_end(&h);
	close(fd);
}
END_TEST

/* SPEC W-15: the identity changes with the contents' time, the size and the inode. */
START_TEST(w15_identity_follows_the_file)
{
	tu_make_file(path, 100);
	int fd = open(path, O_RDONLY);
	struct wire_ident a, b;
	ck_assert_int_eq(tu_identity(fd, &a), 0);
	ck_assert_uint_eq(a.size, 100);
	struct timespec ts[2] = {{0, UTIME_OMIT}, {12345, 678}};
	int w = open(path, O_WRONLY);
	ck_assert_int_eq(futimens(w, ts), 0);
	ck_assert_int_eq(tu_identity(fd, &b), 0);
	ck_assert_int_ne(memcmp(&a, &b, sizeof a), 0);
	close(w);
	close(fd);
	ck_assert_int_eq(tu_identity(fd, &b), -1);
}
END_TEST

/* SPEC W-17: a file is settled, its hash fit to remember, when its identity is still
 * the one taken and nothing changed it in the last second: not one just written,
 * nor one rewritten in place with its time put back; a system file is. */
START_TEST(w17_settled_files_only)
{
	tu_make_file(path, 100);
	int fd = open(path, O_RDONLY);
	struct wire_ident id;
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	ck_assert(!fsio_settled(fd, &id)); /* just written */
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	ck_assert_int_eq(futimens(fd, old), 0);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	int w = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(w, "changed", 7, 0), 7);
	ck_assert_int_eq(futimens(w, old), 0); /* touch -d: the mtime put back */
	close(w);
	ck_assert(!fsio_settled(fd, &id));
	close(fd);
	fd = open("/bin/sh", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tu_identity(fd, &id), 0);
	ck_assert(fsio_settled(fd, &id));
	close(fd);
}
END_TEST

/* SPEC W-17: the remembered hashes: found by the whole identity and the range;
 * the 17th pushes out the one used least recently. */
START_TEST(w17_cache_keeps_the_last_sixteen)
{
	uint8_t h[WIRE_HASH_SIZE], got[WIRE_HASH_SIZE];
	struct wire_ident id = {.size = 3, .tag = {1, 2, 4}};
	for (uint64_t i = 0; i < FHASH_CACHE; i++) {
		memset(h, (int)i, sizeof h);
		fhash_remember(&id, 0, 100 + i, h);
	}
	ck_assert_int_eq(fhash_cached(&id, 0, 100, got), 1); /* the first, used now */
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(fhash_cached(&id, 1, 100, got), 0); /* another range */
	struct wire_ident other = id;
	other.tag[WIRE_TAG_SIZE - 1]++;
	ck_assert_int_eq(fhash_cached(&other, 0, 100, got), 0); /* the file changed */
	memset(h, 0xee, sizeof h);
	fhash_remember(&other, 0, 100, h); /* room made: 100 + 1 goes, used least recently */
	ck_assert_int_eq(fhash_cached(&id, 0, 101, got), 0);
	ck_assert_int_eq(fhash_cached(&id, 0, 100, got), 1);
	ck_assert_int_eq(fhash_cached(&other, 0, 100, got), 1);
	ck_assert_int_eq(got[0], 0xee);
	for (uint64_t i = 2; i < FHASH_CACHE; i++)
		ck_assert_int_eq(fhash_cached(&id, 0, 100 + i, got), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fhash");
	TCase *tc = tcase_create("fhash");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, w17_range_hash_matches_xxhsum, 0, 15);
	tcase_add_test(tc, w17_step_stays_in_budget);
	tcase_add_loop_test(tc, g12_range_sha256_matches_sha256sum, 0, 8);
	tcase_add_test(tc, r19_file_shorter_than_range);
	tcase_add_test(tc, r19_advance_names_the_shortfall);
	tcase_add_test(tc, w15_identity_follows_the_file);
	tcase_add_test(tc, w17_cache_keeps_the_last_sixteen);
	tcase_add_test(tc, w17_settled_files_only);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
