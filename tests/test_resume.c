/* Check suite for src/resume.c: the partial's names, its record, and when it is
 * trusted (SPEC R-20). */
#include <sys/file.h>
#include <sys/resource.h>
#include <xxhash.h>

#include "ident.h"
#include "resume.h"
#include "testutil.h"

static char dir[256], final[600];
static const struct wire_ident ID = {.size = 5000, .tag = {1, 2, 3, 0xff}};

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(final, sizeof final, "%s/out.bin", dir);
}

static void teardown(void) { tu_rmtree(dir); }

static int entries(void)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' | grep -cv '[.]lock$')", dir); /* the lock: R-21 */
	return WEXITSTATUS(system(cmd));
}

/* A partial of size bytes with its record (synced bytes on disk); *r names them. */
static void make_partial(uint64_t size, uint64_t synced, const char *name, struct resume *r)
{
	struct zerr e;
	ck_assert_int_eq(resume_find(r, final, name, false, &e), 0);
	ck_assert_int_eq(resume_record(r, &ID, synced, &e), 0);
	tu_make_file(r->partial, size);
}

/* Rewrites the record's text with sed expression expr and a valid check line. */
static void rewrite_record(const char *path, const char *expr)
{
	char cmd[PATH_MAX + 128], text[RESUME_RECORD_MAX + 1];
	snprintf(cmd, sizeof cmd, "sed -i -e '%s' -e '/^check /d' '%s'", expr, path);
	ck_assert_int_eq(system(cmd), 0);
	FILE *f = fopen(path, "r+");
	size_t n = fread(text, 1, RESUME_RECORD_MAX, f);
	char mac[IDENT_MAC_HEX + 1];
	ck_assert_int_eq(ident_mac(text, n, mac), 0); /* as this machine writes it */
	fprintf(f, "check %s\n", mac);
	fclose(f);
}

/* Whether r's record holds the line line. */
static bool record_has(const struct resume *r, const char *line)
{
	char cmd[PATH_MAX + 128];
	snprintf(cmd, sizeof cmd, "grep -qx '%s' '%s'", line, r->record);
	return system(cmd) == 0;
}

/* The partial of final (request name) is not trusted, for why: removed, with its record. */
static void assert_distrusted(const char *name, const char *why)
{
	struct resume r;
	struct zerr e;
	ck_assert_int_eq(resume_find(&r, final, name, false, &e), 0);
	ck_assert(!r.have);
	ck_assert_str_eq(r.distrust, why);
	ck_assert_int_eq(entries(), 0);
}

/* SPEC R-20: names of fixed length beside the output; no partial, nothing to continue. */
START_TEST(r20_names_and_nothing_to_continue)
{
	struct resume r;
	struct zerr e;
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(!r.have && !r.recorded && r.keep == 0 && r.distrust == NULL);
	char want[400];
	snprintf(want, sizeof want, "%s/.zcp-partial-%016llx", dir, (unsigned long long)XXH64("out.bin", 7, 0));
	ck_assert_str_eq(r.partial, want);
	ck_assert_str_eq(r.record + strlen(want), ".meta");
	char longname[260];
	memset(longname, 'n', 255), longname[255] = 0;
	snprintf(final, sizeof final, "%s/%s", dir, longname); /* a 255-byte name still fits */
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_uint_eq(strlen(strrchr(r.partial, '/') + 1), strlen(".zcp-partial-") + 16);
}
END_TEST

/* SPEC R-20: an intact record for the same output and name: continued from the
 * partial's size, with the recorded identity. */
START_TEST(r20_trusted_partial_continued)
{
	struct resume r;
	struct zerr e;
	make_partial(1234, 0, "a/b.bin", &r);
	ck_assert_int_eq(resume_find(&r, final, "a/b.bin", false, &e), 0);
	ck_assert(r.have && r.recorded && r.distrust == NULL);
	ck_assert_uint_eq(r.keep, 1234);
	ck_assert_int_eq(memcmp(&r.ident, &ID, sizeof ID), 0);
	ck_assert_int_eq(resume_find(&r, final, "a/b.bin", true, &e), 0); /* --restart */
	ck_assert(!r.have);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-20: what is not trusted is removed, with the reason. */
START_TEST(r20_untrusted_removed)
{
	static const char *const why[] = {"it has no record", "its record was not written here", "its record is for another --name",
					  "it is longer than its record allows", "its record is corrupt",
					  "the partial file is missing", "its record is for another file",
					  "it is shorter than the bytes its record says are on disk"};
	struct resume r;
	make_partial(_i == 3 ? 6000 : 100, _i == 7 ? 101 : 0, "n", &r); /* 7: fewer bytes than synced */
	char cmd[PATH_MAX + 64];
	switch (_i) {
	case 0: unlink(r.record); break;
	case 1: snprintf(cmd, sizeof cmd, "sed -i 's/^synced 0/synced 9/' '%s'", r.record); ck_assert_int_eq(system(cmd), 0); break;
	case 2: rewrite_record(r.record, "s/^name .*/name 6d/"); break;
	case 3: break; /* 6000 bytes of a 5000-byte file */
	case 4: truncate(r.record, 10); break;
	case 5: unlink(r.partial); break;
	case 6: rewrite_record(r.record, "s/^final .*/final 6d/"); break;
	case 7: break;
	}
	assert_distrusted("n", why[_i]);
}
END_TEST

/* SPEC R-20: a record this machine did not write (its check is not keyed with the
 * machine's key: anyone's XXH64, as a peer that probed the identity could make) is
 * not trusted, whatever it says. */
START_TEST(r20_foreign_record_distrusted)
{
	struct resume r;
	make_partial(100, 0, NULL, &r);
	char cmd[PATH_MAX + 128], text[RESUME_RECORD_MAX + 1];
	snprintf(cmd, sizeof cmd, "sed -i -e 's/^synced .*/synced 100/' -e '/^check /d' '%s'", r.record);
	ck_assert_int_eq(system(cmd), 0);
	FILE *f = fopen(r.record, "r+");
	size_t n = fread(text, 1, RESUME_RECORD_MAX, f);
	fprintf(f, "check %016llx\n", (unsigned long long)XXH64(text, n, 0));
	fclose(f);
	assert_distrusted(NULL, "its record was not written here");
}
END_TEST

/* SPEC R-20: a partial swapped under its genuine record (another file renamed to
 * its name) is not the file the record describes: not trusted. */
START_TEST(r20_swapped_partial_distrusted)
{
	struct resume r;
	char other[PATH_MAX + 8];
	make_partial(100, 0, NULL, &r);
	snprintf(other, sizeof other, "%s.x", r.partial);
	tu_make_file(other, 100);
	ck_assert_int_eq(rename(other, r.partial), 0);
	assert_distrusted(NULL, "its partial is not the file its record was written for");
}
END_TEST

/* SPEC R-20: a directory or FIFO at the partial's name is an error (exit 3), left
 * as it is with the record beside it. */
START_TEST(r20_not_regular_refused)
{
	struct resume r;
	struct zerr e;
	make_partial(100, 0, NULL, &r);
	unlink(r.partial);
	ck_assert_int_eq(_i ? mkfifo(r.partial, 0600) : mkdir(r.partial, 0700), 0);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.reason, "not a regular file");
	struct stat st;
	ck_assert(lstat(r.partial, &st) == 0 && (_i ? S_ISFIFO(st.st_mode) : S_ISDIR(st.st_mode)));
	ck_assert_int_eq(lstat(r.record, &st), 0);
}
END_TEST

/* SPEC R-20: after a reboot (another boot id) only the synced bytes are kept. */
START_TEST(r20_after_reboot_only_synced_bytes)
{
	struct resume r;
	struct zerr e;
	make_partial(4000, 1500, NULL, &r);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_uint_eq(r.keep, 4000);
	rewrite_record(r.record, "s/^boot .*/boot 00000000-0000-0000-0000-000000000000/");
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(r.have);
	ck_assert_uint_eq(r.keep, 1500);
}
END_TEST

/* SPEC R-20: resume_sync counts the partial's bytes as on disk. */
START_TEST(r20_sync_records_size)
{
	struct resume r;
	struct zerr e;
	make_partial(777, 0, NULL, &r);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_int_eq(resume_sync(&r, &e), 0);
	rewrite_record(r.record, "s/^boot .*/boot other/");
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_uint_eq(r.keep, 777);
	resume_drop(&r);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-20: records that are not what a run writes are not trusted. */
START_TEST(r20_malformed_parts_line)
{
	static const char *const edits[] = {
		"s/^parts .*/parts 65/",            /* more parts than --streams takes */
		"s/^parts .*/parts 2 1/",           /* fewer counts than parts */
		"s/^parts .*/parts 1 9999/",        /* more stored than the file holds */
		"/^parts /d",                       /* no parts line */
		"s/^parts .*/parts 1 5 x/",         /* trailing garbage */
		"s/^parts .*/parts 1 -5/",          /* a sign */
		"s/^parts .*/parts 1 a/",           /* not a number */
	};
	struct resume r;
	make_partial(100, 0, NULL, &r);
	rewrite_record(r.record, edits[_i]);
	assert_distrusted(NULL, "its record is corrupt");
}
END_TEST

/* SPEC R-20 W-15: a record of an earlier version (format 1: the identity as
 * device, inode, size and mtime) is never misread as the new identity: not trusted. */
START_TEST(r20_old_format_record_distrusted)
{
	struct resume r;
	struct zerr e;
	make_partial(100, 0, NULL, &r);
	rewrite_record(r.record, "s/^zcp-partial .*/zcp-partial 2/;/^file /d");
	assert_distrusted(NULL, "its record is from an older version");
	make_partial(100, 0, NULL, &r);
	rewrite_record(r.record, "s/^ident \\([0-9]*\\) ..\\(.*\\)/ident \\1 \\2/"); /* a short tag */
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_str_eq(r.distrust, "its record is corrupt");
}
END_TEST

/* SPEC R-20: a record that cannot be written, a partial that cannot be synced:
 * said, with the call and the file (exit class 3). */
START_TEST(r20_record_and_sync_failures)
{
	struct resume r;
	struct zerr e;
	snprintf(final, sizeof final, "%s/missing/out.bin", dir);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), -1); /* its lock cannot be made */
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "open");
	r.recorded = true; /* as if written, then the partial vanished */
	ck_assert_int_eq(resume_sync(&r, &e), -1);
	ck_assert_str_eq(e.call, "fsync");
	r.recorded = false;
	ck_assert_int_eq(resume_sync(&r, &e), 0); /* nothing recorded: nothing to sync */
}
END_TEST

/* SPEC R-20: a symlink or a hard link planted at the record's temporary name is
 * never written through: the victim stays as it was, the record is written. */
START_TEST(r20_planted_temp_name)
{
	struct resume r;
	struct zerr e;
	char victim[300], tmp[PATH_MAX + 16], text[16] = {0};
	snprintf(victim, sizeof victim, "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	snprintf(tmp, sizeof tmp, "%s.tmp", r.record);
	ck_assert_int_eq(_i ? link(victim, tmp) : symlink(victim, tmp), 0);
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), 0);
	f = fopen(victim, "r");
	ck_assert(fread(text, 1, sizeof text - 1, f) == 8);
	fclose(f);
	ck_assert_str_eq(text, "precious");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	tu_make_file(r.partial, 10);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(r.recorded); /* the record itself was written */
}
END_TEST

/* SPEC R-21: an output another process resumes (its lock held) is busy: exit 7,
 * its partial and record untouched, also with --restart. */
START_TEST(r21_busy_output_untouched)
{
	struct resume r;
	struct zerr e;
	char lock[PATH_MAX + 16];
	make_partial(100, 0, NULL, &r);
	snprintf(lock, sizeof lock, "%s.lock", r.partial);
	resume_unlock();
	int fd = open(lock, O_RDWR | O_CREAT, 0600); /* as another zcp-recv holds it */
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(resume_find(&r, final, NULL, _i, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_BUSY);
	ck_assert_str_eq(e.call, "flock");
	ck_assert_str_eq(e.reason, "another zcp-recv is resuming this output");
	struct stat st;
	ck_assert(stat(r.partial, &st) == 0 && st.st_size == 100 && stat(r.record, &st) == 0);
	close(fd);
	unlink(lock); /* its holder is done: the output is free again */
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(r.have && r.keep == 100);
}
END_TEST

/* SPEC R-20: the last sync before a signal ends the process seals the record: one
 * written after it (by another thread) does not replace the synced one. */
START_TEST(r20_last_sync_sealed)
{
	struct resume r;
	struct zerr e;
	make_partial(300, 0, NULL, &r);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert_int_eq(resume_sync_last(&r, &e), 0);
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), 0); /* as the main thread would, late */
	ck_assert(record_has(&r, "synced 300"));
}
END_TEST

/* SPEC R-20: once the partial is dropped (committed as FILE, or removed), no record
 * is written after it, by a sync in flight or a late count: none stays beside FILE. */
START_TEST(r20_dropped_sealed)
{
	struct resume r;
	struct zerr e;
	make_partial(300, 0, NULL, &r);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	resume_drop(&r);
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), 0); /* as another thread would, late */
	ck_assert_int_eq(resume_sync(&r, &e), 0); /* nothing to sync: no error either */
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-20: a record whose version line is not a number, or that is empty, is
 * corrupt: not trusted. */
START_TEST(r20_unreadable_version_or_empty_record)
{
	struct resume r;
	make_partial(100, 0, NULL, &r);
	if (_i)
		ck_assert_int_eq(truncate(r.record, 0), 0);
	else
		rewrite_record(r.record, "s/^zcp-partial .*/zcp-partial x/");
	assert_distrusted(NULL, "its record is corrupt");
}
END_TEST

/* SPEC R-20: a partial in parts (its counts recorded by resume_record_done()) is
 * continued in parts on this boot; after a reboot, parts whose bytes were never
 * synced are not trusted (each part's count may exceed what reached the disk). */
START_TEST(r20_parts_unsynced_after_reboot)
{
	struct resume r;
	struct zerr e;
	make_partial(300, 0, NULL, &r);
	r.parts = 2;
	const uint64_t done[2] = {100, 2600};
	ck_assert_int_eq(resume_record_done(&r, done, &e), 0);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(r.have);
	ck_assert_uint_eq(r.parts, 2);
	ck_assert(r.done[0] == 100 && r.done[1] == 2600);
	ck_assert_uint_eq(r.keep, 0); /* parts keep their own counts */
	if (_i) /* --fsync: the parts' bytes on disk */
		ck_assert_int_eq(resume_sync(&r, &e), 0);
	rewrite_record(r.record, "s/^boot .*/boot other/");
	if (!_i) {
		assert_distrusted(NULL, "its parts were not on disk before the machine restarted");
		return;
	}
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(r.have && r.parts == 2 && r.done[1] == 2600 && r.keep == 0);
}
END_TEST

/* SPEC R-20: an output whose partial's name would not fit PATH_MAX: refused before
 * anything is touched (open, File name too long, exit 3). */
START_TEST(r20_partial_name_too_long)
{
	struct resume r;
	struct zerr e;
	char longfinal[PATH_MAX];
	memset(longfinal, 'd', sizeof longfinal);
	for (size_t i = 0; i + 1 < sizeof longfinal - 20; i += 200)
		longfinal[i] = '/';
	snprintf(longfinal + sizeof longfinal - 20, 20, "/out.bin"); /* fits; its partial not */
	ck_assert_int_eq(resume_find(&r, longfinal, NULL, false, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "open");
	ck_assert_str_eq(e.reason, strerror(ENAMETOOLONG));
	ck_assert(strcmp(e.object, longfinal) == 0); /* too long for a message of Check's */
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* SPEC R-20: a record as long as RESUME_RECORD_MAX allows (the longest final name and
 * request name, 64 parts of 20-digit counts) is written and read back whole; one
 * longer, its text or its check line over the bound, is refused (open, File name too
 * long, exit 3) and none is written. */
START_TEST(r20_longest_record_or_refused)
{
	struct resume r;
	struct zerr e;
	char base[256], name[ZCP_PATH_MAX + 1];
	memset(base, 'f', 255), base[255] = 0;
	memset(name, 'n', ZCP_PATH_MAX), name[ZCP_PATH_MAX] = 0;
	snprintf(final, sizeof final, "%s/%s", dir, base);
	const struct wire_ident big = {.size = UINT64_MAX, .tag = {9}};
	unsigned written = 0, refused = 0;
	for (unsigned k = 40; k <= RESUME_PARTS_MAX + 1; k++) { /* the last: 64 parts, all synced */
		ck_assert_int_eq(resume_find(&r, final, name, true, &e), 0);
		r.parts = k > RESUME_PARTS_MAX ? RESUME_PARTS_MAX : k;
		for (unsigned i = 0; i < r.parts; i++)
			r.done[i] = 10000000000000000000u + i;
		if (resume_record(&r, &big, k > RESUME_PARTS_MAX ? UINT64_MAX : 0, &e) < 0) {
			ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
			ck_assert_str_eq(e.call, "open");
			ck_assert_str_eq(e.reason, strerror(ENAMETOOLONG));
			ck_assert_int_eq(access(r.record, F_OK), -1);
			refused++;
			continue;
		}
		ck_assert_int_eq(resume_find(&r, final, name, false, &e), 0);
		ck_assert_msg(r.have, "%u parts: %s", k, r.distrust);
		ck_assert_uint_eq(r.parts, k);
		ck_assert(r.done[k - 1] == 10000000000000000000u + k - 1);
		written++;
	}
	ck_assert(written > 0 && refused > 0);
}
END_TEST

/* SPEC R-20: a record that cannot be put in place (a directory at its temporary
 * name, or at its own name) is said with the call and the record; the old record
 * and the directories stay as they were. */
START_TEST(r20_record_not_put_in_place)
{
	struct resume r;
	struct zerr e;
	char tmp[PATH_MAX + 16], inner[PATH_MAX + 32];
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	snprintf(tmp, sizeof tmp, "%s.tmp", r.record);
	const char *at = _i ? r.record : tmp;
	ck_assert_int_eq(mkdir(at, 0700), 0);
	snprintf(inner, sizeof inner, "%s/x", at); /* not empty: rename() cannot replace it */
	tu_make_file(inner, 1);
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, _i ? "rename" : "open");
	ck_assert_str_eq(e.object, _i ? r.record : tmp);
	ck_assert(!r.recorded);
	struct stat st;
	ck_assert(lstat(at, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_int_eq(access(_i ? tmp : r.record, F_OK), -1); /* nothing left behind */
}
END_TEST

/* SPEC R-20: a partial on a file system that cannot flush it (fdatasync fails) is
 * said (fsync, the partial), its record left as it was. */
START_TEST(r20_partial_not_flushed)
{
	struct resume r;
	struct zerr e;
	make_partial(100, 0, NULL, &r);
	snprintf(r.partial, sizeof r.partial, "/proc/self/status"); /* procfs: EINVAL */
	ck_assert_int_eq(resume_sync(&r, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "fsync");
	ck_assert_str_eq(e.object, "/proc/self/status");
	ck_assert_str_eq(e.reason, strerror(EINVAL));
	ck_assert(record_has(&r, "synced 0")); /* as it was */
}
END_TEST

/* SPEC R-20: a record that reaches the file size limit part way (a short write) is
 * said with the reason the file system gives (File too large), not a stale errno;
 * no temporary name is left. */
START_TEST(r20_record_short_write_says_why)
{
	struct resume r;
	struct zerr e;
	char tmp[PATH_MAX + 16];
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	signal(SIGXFSZ, SIG_IGN);
	/* no ck_assert while the limit holds: Check's own report is a file too */
	struct rlimit none, small; /* the record's text is longer than 100 bytes */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &none), 0);
	small = (struct rlimit){100, none.rlim_max}; /* the hard limit stays: raised back after */
	int set = setrlimit(RLIMIT_FSIZE, &small);
	int rc = resume_record(&r, &ID, 0, &e);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
	ck_assert_int_eq(set, 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "write");
	ck_assert_str_eq(e.object, r.record);
	ck_assert_str_eq(e.reason, strerror(EFBIG));
	snprintf(tmp, sizeof tmp, "%s.tmp", r.record);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(access(r.record, F_OK), -1);
}
END_TEST

/* SPEC R-20: records of a newer version, with a check line that is not hex, or
 * without a line a record has, are not trusted. */
START_TEST(r20_record_lines_refused)
{
	static const struct {
		const char *edit, *why;
	} cases[] = {
		{"s/^zcp-partial .*/zcp-partial 4/", "its record is from a newer version"},
		{"/^boot /d", "its record is corrupt"},
	};
	struct resume r;
	make_partial(100, 0, NULL, &r);
	rewrite_record(r.record, cases[_i].edit);
	assert_distrusted(NULL, cases[_i].why);
}
END_TEST

/* SPEC R-20: a check line whose sum is not hex is corrupt, not merely foreign. */
START_TEST(r20_check_not_hex_corrupt)
{
	struct resume r;
	make_partial(100, 0, NULL, &r);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "sed -i 's/^check .*/check zz/' '%s'", r.record);
	ck_assert_int_eq(system(cmd), 0);
	assert_distrusted(NULL, "its record is corrupt");
}
END_TEST

/* SPEC R-20: on the boot that wrote it, the record's device must be the partial's
 * too (after a reboot it may change: only the inode is held to). */
START_TEST(r20_other_device_same_boot)
{
	struct resume r;
	struct zerr e;
	make_partial(100, 0, NULL, &r);
	rewrite_record(r.record, "s/^file [0-9]* /file 1 /");
	if (_i) { /* after a reboot: trusted, with the bytes synced (none) */
		rewrite_record(r.record, "s/^boot .*/boot other/");
		ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
		ck_assert(r.have && r.keep == 0);
	} else {
		assert_distrusted(NULL, "its partial is not the file its record was written for");
	}
}
END_TEST

/* SPEC R-20: a directory or FIFO at the record's name is an error (exit 3), left as
 * it is with the partial beside it. */
START_TEST(r20_record_not_regular_refused)
{
	struct resume r;
	struct zerr e;
	make_partial(100, 0, NULL, &r);
	unlink(r.record);
	ck_assert_int_eq(_i ? mkfifo(r.record, 0600) : mkdir(r.record, 0700), 0);
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, r.record);
	ck_assert_str_eq(e.reason, "not a regular file");
	struct stat st;
	ck_assert(lstat(r.record, &st) == 0 && (_i ? S_ISFIFO(st.st_mode) : S_ISDIR(st.st_mode)));
	ck_assert(stat(r.partial, &st) == 0 && st.st_size == 100);
}
END_TEST

/* SPEC R-20: a partial is kept (worth another --resume) only when recorded and a
 * regular file with bytes in it. */
START_TEST(r20_kept_only_with_bytes)
{
	struct resume r;
	struct zerr e;
	ck_assert_int_eq(resume_find(&r, final, NULL, false, &e), 0);
	ck_assert(!resume_kept(&r)); /* not recorded */
	ck_assert_int_eq(resume_record(&r, &ID, 0, &e), 0);
	ck_assert(!resume_kept(&r)); /* recorded, empty */
	tu_make_file(r.partial, 10);
	ck_assert(resume_kept(&r));
	unlink(r.partial);
	ck_assert_int_eq(mkdir(r.partial, 0700), 0);
	ck_assert(!resume_kept(&r)); /* not a regular file */
	rmdir(r.partial);
	ck_assert(!resume_kept(&r)); /* gone */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("resume");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, r20_names_and_nothing_to_continue);
	tcase_add_test(tc, r20_trusted_partial_continued);
	tcase_add_loop_test(tc, r20_untrusted_removed, 0, 8);
	tcase_add_loop_test(tc, r20_not_regular_refused, 0, 2);
	tcase_add_test(tc, r20_after_reboot_only_synced_bytes);
	tcase_add_test(tc, r20_sync_records_size);
	tcase_add_loop_test(tc, r20_malformed_parts_line, 0, 7);
	tcase_add_test(tc, r20_record_and_sync_failures);
	tcase_add_loop_test(tc, r20_planted_temp_name, 0, 2);
	tcase_add_loop_test(tc, r21_busy_output_untouched, 0, 2);
	tcase_add_test(tc, r20_last_sync_sealed);
	tcase_add_test(tc, r20_dropped_sealed);
	tcase_add_test(tc, r20_old_format_record_distrusted);
	tcase_add_test(tc, r20_foreign_record_distrusted);
	tcase_add_test(tc, r20_swapped_partial_distrusted);
	tcase_add_loop_test(tc, r20_unreadable_version_or_empty_record, 0, 2);
	tcase_add_loop_test(tc, r20_parts_unsynced_after_reboot, 0, 2);
	tcase_add_test(tc, r20_partial_name_too_long);
	tcase_add_test(tc, r20_longest_record_or_refused);
	tcase_add_loop_test(tc, r20_record_not_put_in_place, 0, 2);
	tcase_add_test(tc, r20_partial_not_flushed);
	tcase_add_test(tc, r20_record_short_write_says_why);
	tcase_add_loop_test(tc, r20_record_lines_refused, 0, 2);
	tcase_add_test(tc, r20_check_not_hex_corrupt);
	tcase_add_loop_test(tc, r20_other_device_same_boot, 0, 2);
	tcase_add_loop_test(tc, r20_record_not_regular_refused, 0, 2);
	tcase_add_test(tc, r20_kept_only_with_bytes);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
