/* Check suite for src/ident.c: the file's identity as an opaque, keyed tag
 * (SPEC W-15). */
#include "ident.h"
#include "testutil.h"

static char dir[256], idfile[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(idfile, sizeof idfile, "%s/machine-id", dir);
}

static void teardown(void) { tu_rmtree(dir); }

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct wire_ident tag_of(const struct stat *st)
{
	struct wire_ident id;
	ck_assert_int_eq(ident_of(st, &id), 0);
	return id;
}

static bool same(struct wire_ident a, struct wire_ident b) { return memcmp(&a, &b, sizeof a) == 0; }

/* SPEC W-15: each field fstat gives (device, inode, size, mtime, ctime) changes
 * the tag; the same fields give the same tag; the size is carried as it is. */
START_TEST(w15_tag_covers_each_field)
{
	ck_assert(!ident_use_key_from("/nonexistent/machine-id"));
	struct stat st = {.st_dev = 2049, .st_ino = 131, .st_size = 5000};
	st.st_mtim.tv_sec = 1764115200, st.st_ctim.tv_sec = 1764115201;
	struct wire_ident base = tag_of(&st);
	ck_assert_uint_eq(base.size, 5000);
	ck_assert(same(base, tag_of(&st)));
	struct stat v[5] = {st, st, st, st, st};
	v[0].st_dev++, v[1].st_ino++, v[2].st_size++, v[3].st_mtim.tv_nsec++, v[4].st_ctim.tv_nsec++;
	for (int i = 0; i < 5; i++) {
		struct wire_ident o = tag_of(&v[i]);
		ck_assert_msg(memcmp(o.tag, base.tag, WIRE_TAG_SIZE) != 0, "field %d not in the tag", i);
	}
}
END_TEST

/* SPEC W-15: the key comes from the machine id, the same in every process on the
 * machine (a resume across a sender's restart); without one it is random, so two
 * processes give one file different tags. */
START_TEST(w15_key_from_machine_id_else_random)
{
	struct stat st = {.st_dev = 1, .st_ino = 2, .st_size = 3};
	write_text(idfile, "0123456789abcdef0123456789abcdef\n");
	ck_assert(ident_use_key_from(idfile));
	struct wire_ident a = tag_of(&st);
	ck_assert(ident_use_key_from(idfile)); /* as a restarted sender would */
	ck_assert(same(a, tag_of(&st)));
	write_text(idfile, "fedcba9876543210fedcba9876543210\n"); /* another machine */
	ck_assert(ident_use_key_from(idfile));
	ck_assert(!same(a, tag_of(&st)));
	static const char *const bad[] = {"", "uninitialized\n", "0123456789abcdef0123456789abcde\n",
					  "0123456789ABCDEF0123456789ABCDEF\n", "0123456789abcdef0123456789abcdef0\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_text(idfile, bad[i]);
		ck_assert_msg(!ident_use_key_from(idfile), "'%s' taken for a machine id", bad[i]);
	}
	ck_assert(!ident_use_key_from("/nonexistent/machine-id"));
	struct wire_ident r1 = tag_of(&st);
	ck_assert(!ident_use_key_from("/nonexistent/machine-id")); /* another process */
	ck_assert(!same(r1, tag_of(&st)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("ident");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, w15_tag_covers_each_field);
	tcase_add_test(tc, w15_key_from_machine_id_else_random);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
