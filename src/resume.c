/* resume - the partial file's names, its record, and whether to trust it. */
#include "resume.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "fsio.h"
#include "ident.h"

static void hex_of(const char *s, char *out, size_t cap)
{
	size_t at = 0;
	for (; *s && at + 3 <= cap; s++, at += 2)
		snprintf(out + at, cap - at, "%02x", (unsigned char)*s);
	out[at < cap ? at : cap - 1] = '\0';
	if (!at && cap > 1)
		snprintf(out, cap, "-");
}

/* The machine's boot: bytes the page cache held are gone when it differs. */
static void boot_id(char out[64])
{
	snprintf(out, 64, "unknown");
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(out, 64, f))
			snprintf(out, 64, "unknown");
		out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

/* The record's text for the partial st describes, without and then with its check
 * line: keyed, so that only this machine makes a record it trusts. */
static int format(const struct resume *r, const struct wire_ident *id, uint64_t synced, const struct stat *st,
		  char *buf, size_t cap)
{
	char fhex[2 * NAME_MAX + 2], nhex[2 * ZCP_PATH_MAX + 2], boot[64];
	hex_of(r->final_base, fhex, sizeof fhex);
	hex_of(r->name, nhex, sizeof nhex);
	boot_id(boot);
	char tag[2 * WIRE_TAG_SIZE + 1];
	for (int i = 0; i < WIRE_TAG_SIZE; i++)
		snprintf(tag + 2 * i, 3, "%02x", id->tag[i]);
	int n = snprintf(buf, cap, "zcp-partial 3\nfinal %s\nname %s\nident %" PRIu64 " %s\nfile %" PRIu64 " %" PRIu64
			 "\nboot %s\nsynced %" PRIu64 "\nparts %u", fhex, nhex, id->size, tag, (uint64_t)st->st_dev,
			 (uint64_t)st->st_ino, boot, synced, r->parts);
	for (unsigned i = 0; i < r->parts && n > 0 && (size_t)n < cap; i++)
		n += snprintf(buf + n, cap - (size_t)n, " %" PRIu64, r->done[i]);
	if (n < 0 || (size_t)n + 1 >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	char mac[IDENT_MAC_HEX + 1];
	if (ident_mac(buf, (size_t)n, mac) < 0)
		return -1;
	int m = snprintf(buf + n, cap - (size_t)n, "check %s\n", mac);
	if (m < 0 || (size_t)(n + m) >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n + m;
}

/* The tag's 2 * WIRE_TAG_SIZE lowercase hex digits into tag; false if fewer. */
static bool tag_of_hex(const char *hex, uint8_t tag[WIRE_TAG_SIZE])
{
	if (strlen(hex) != 2 * WIRE_TAG_SIZE)
		return false;
	for (int i = 0; i < WIRE_TAG_SIZE; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		tag[i] = (uint8_t)v;
	}
	return true;
}

/* The partial a record was written for, and how much of it is on disk. */
struct described {
	uint64_t dev, ino, synced;
	char boot[64];
};

/* Parses a record; returns the reason it is not to be trusted, or NULL. */
static const char *parse(struct resume *r, const char *text, struct described *w)
{
	const char *check = strstr(text, "\ncheck ");
	char sum[IDENT_MAC_HEX + 1], mac[IDENT_MAC_HEX + 1];
	if (!check || sscanf(check, "\ncheck %64[0-9a-f]", sum) != 1)
		return "its record is corrupt";
	if (ident_mac(text, (size_t)(check - text) + 1, mac) < 0 || strcmp(sum, mac))
		return "its record was not written here"; /* SPEC R-20: by a peer, or by hand */
	char fhex[2 * NAME_MAX + 2], nhex[2 * ZCP_PATH_MAX + 2], want[2 * ZCP_PATH_MAX + 2];
	char tag[2 * WIRE_TAG_SIZE + 1];
	unsigned version;
	if (sscanf(text, "zcp-partial %u\n", &version) != 1)
		return "its record is corrupt";
	if (version != 3) /* SPEC W-15 R-20: earlier formats held another identity, no file, no key */
		return version < 3 ? "its record is from an older version" : "its record is from a newer version";
	struct wire_ident *d = &r->ident;
	if (sscanf(text, "zcp-partial 3\nfinal %511s\nname %2049s\nident %" SCNu64 " %32[0-9a-f]\nfile %" SCNu64
		   " %" SCNu64 "\nboot %63s\nsynced %" SCNu64 "\n", fhex, nhex, &d->size, tag, &w->dev, &w->ino, w->boot,
		   &w->synced) != 8 || !tag_of_hex(tag, d->tag))
		return "its record is corrupt";
	const char *p = strstr(text, "\nparts ");
	char *end;
	if (!p)
		return "its record is corrupt";
	unsigned long k = strtoul(p + 7, &end, 10);
	if (k > RESUME_PARTS_MAX)
		return "its record is corrupt";
	r->parts = (unsigned)k;
	for (unsigned i = 0; i < r->parts; i++) {
		if (end[0] != ' ' || end[1] < '0' || end[1] > '9') /* one count per part, on its line */
			return "its record is corrupt";
		r->done[i] = strtoull(end + 1, &end, 10);
		if (r->done[i] > d->size)
			return "its record is corrupt";
	}
	if (*end != '\n')
		return "its record is corrupt";
	hex_of(r->final_base, want, sizeof want);
	if (strcmp(fhex, want))
		return "its record is for another file";
	hex_of(r->name, want, sizeof want);
	if (strcmp(nhex, want))
		return "its record is for another --name";
	return NULL;
}

/* Reads and checks the record and the partial; sets keep. */
static const char *judge(struct resume *r)
{
	char text[RESUME_RECORD_MAX + 1], now[64];
	int fd = open(r->record, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return "it has no record";
	ssize_t n = read(fd, text, RESUME_RECORD_MAX);
	close(fd);
	if (n <= 0)
		return "its record is corrupt";
	text[n] = '\0';
	struct described w;
	const char *why = parse(r, text, &w);
	if (why)
		return why;
	uint64_t synced = w.synced;
	struct stat st;
	if (lstat(r->partial, &st) < 0)
		return "the partial file is missing";
	if (!S_ISREG(st.st_mode))
		return "it is not a regular file";
	if ((uint64_t)st.st_size > r->ident.size)
		return "it is longer than its record allows";
	if (synced > (uint64_t)st.st_size)
		return "it is shorter than the bytes its record says are on disk";
	boot_id(now);
	bool rebooted = strcmp(now, w.boot) != 0;
	/* a device's number may change with a reboot (btrfs, device mapper); its inode not */
	if ((uint64_t)st.st_ino != w.ino || (!rebooted && (uint64_t)st.st_dev != w.dev))
		return "its partial is not the file its record was written for";
	if (r->parts && rebooted && !synced)
		return "its parts were not on disk before the machine restarted";
	r->keep = r->parts ? 0 : rebooted ? synced : (uint64_t)st.st_size;
	r->recorded = true;
	return NULL;
}

/* SPEC R-21: the lock this process holds, for resume_unlock() (in a handler too):
 * held is written before held_fd publishes it, and taken back by one exchange, so
 * of two callers at once (main and a signal's path) one alone removes and closes it. */
static _Atomic int held_fd = -1;
static char held[PATH_MAX + 8];

/* SPEC R-21: the lock file beside the partial, locked exclusively, never waited
 * for. Its holder removes it when done, so a lock that was taken on a name since
 * removed is taken again on the name's new file. Returns 0 or -1 with *e set. */
static int take_lock(const struct resume *r, const char *final, struct zerr *e)
{
	char path[sizeof held];
	snprintf(path, sizeof path, "%s.lock", r->partial);
	resume_unlock(); /* one output per process: an earlier one's (tests look twice) */
	for (int tries = 0; tries < 100; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return zerr_sys(e, ZCP_EXIT_FILE, "open", path, errno);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;
			close(fd);
			return err == EWOULDBLOCK ? zerr_set(e, ZCP_EXIT_BUSY, "flock", final,
							     "another zcp-recv is resuming this output")
						  : zerr_sys(e, ZCP_EXIT_FILE, "flock", path, err);
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			memcpy(held, path, sizeof held);
			atomic_store_explicit(&held_fd, fd, memory_order_release);
			return 0;
		}
		close(fd);
	}
	return zerr_sys(e, ZCP_EXIT_FILE, "flock", path, EAGAIN);
}

/* A name that is there and is not a regular file: -1 with *e set. */
static int not_regular(const char *path, struct zerr *e)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return zerr_set(e, ZCP_EXIT_FILE, "open", path, "not a regular file");
	return 0;
}

int resume_find(struct resume *r, const char *final, const char *name, bool restart, struct zerr *e)
{
	memset(r, 0, sizeof *r);
	const char *base = fsio_base_name(final);
	size_t dlen = (size_t)(base - final);
	snprintf(r->final_base, sizeof r->final_base, "%s", base);
	snprintf(r->name, sizeof r->name, "%s", name ? name : "");
	unsigned long long h = (unsigned long long)XXH64(r->final_base, strlen(r->final_base), 0);
	if (snprintf(r->partial, sizeof r->partial, "%.*s.zcp-partial-%016llx", (int)dlen, final, h) >= PATH_MAX - 8)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", final, ENAMETOOLONG);
	snprintf(r->record, sizeof r->record, "%s.meta", r->partial);
	if (take_lock(r, final, e) < 0 || not_regular(r->partial, e) < 0 || not_regular(r->record, e) < 0)
		return -1;
	struct stat st;
	bool partial = lstat(r->partial, &st) == 0, record = lstat(r->record, &st) == 0;
	if (restart || (!partial && !record))
		resume_forget(r);
	else if ((r->distrust = judge(r)) == NULL)
		r->have = true;
	else
		resume_forget(r);
	return 0;
}

static void drop(const struct resume *r);

void resume_forget(struct resume *r)
{
	drop(r); /* not sealed: a fresh partial is recorded next */
	r->have = r->recorded = false;
	r->keep = 0;
	r->parts = 0;
	memset(&r->ident, 0, sizeof r->ident);
}

bool resume_kept(const struct resume *r)
{
	struct stat st;
	return r->recorded && lstat(r->partial, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

void resume_unlock(void)
{
	int fd = atomic_exchange(&held_fd, -1); /* lock-free: safe in a handler */
	if (fd < 0)
		return;
	unlink(held);
	close(fd);
}

/* Records are written one at a time, and none after the last sync (sealed). */
static pthread_mutex_t guard = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static bool sealed;

static int record(struct resume *r, const struct wire_ident *id, uint64_t synced, struct zerr *e);
static int sync_partial(struct resume *r, struct zerr *e);

int resume_record(struct resume *r, const struct wire_ident *id, uint64_t synced, struct zerr *e)
{
	pthread_mutex_lock(&guard);
	int rc = sealed ? 0 : record(r, id, synced, e); /* the process is ending: the synced one stays */
	pthread_mutex_unlock(&guard);
	return rc;
}

int resume_record_done(struct resume *r, const uint64_t *done, struct zerr *e)
{
	pthread_mutex_lock(&guard);
	memcpy(r->done, done, r->parts * sizeof *done);
	int rc = resume_record(r, &r->ident, 0, e);
	pthread_mutex_unlock(&guard);
	return rc;
}

int resume_sync_last(struct resume *r, struct zerr *e)
{
	pthread_mutex_lock(&guard);
	int rc = resume_sync(r, e);
	sealed = true;
	pthread_mutex_unlock(&guard);
	return rc;
}

/* All of buf[0..len) to fd: 0, or -1 with errno set (0 if a write made no progress).
 * A short count is written on, so that errno says why (a full disk, the file size
 * limit), never a stale one. */
static int write_whole(int fd, const char *buf, size_t len)
{
	errno = 0;
	for (size_t at = 0; at < len;) {
		ssize_t w = write(fd, buf + at, len - at);
		if (w <= 0)
			return -1;
		at += (size_t)w;
	}
	return 0;
}

static int record(struct resume *r, const struct wire_ident *id, uint64_t synced, struct zerr *e)
{
	char text[RESUME_RECORD_MAX], tmp[PATH_MAX + 16];
	/* SPEC R-20: the record names the partial's file, made now if it is not yet */
	struct stat st;
	int fd = open(r->partial, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return zerr_sys(e, ZCP_EXIT_FILE, "open", r->partial, err);
	}
	close(fd);
	int n = format(r, id, synced, &st, text, sizeof text);
	snprintf(tmp, sizeof tmp, "%s.tmp", r->record);
	/* SPEC R-20: only a record that counts synced bytes is trusted after a reboot;
	 * one that counts none is not worth a sync (--streams writes 10 a second) */
	bool sync = synced > 0;
	fd = -1;
	if (n >= 0) { /* a name left by a crash, or planted: removed, never written through */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", tmp, errno); /* format()'s too */
	const char *call = write_whole(fd, text, (size_t)n) < 0 ? "write" : sync && fsync(fd) < 0 ? "fsync" : NULL;
	int err = errno;
	if (close(fd) < 0 && !call)
		call = "close", err = errno;
	if (!call && rename(tmp, r->record) < 0)
		call = "rename", err = errno;
	if (!call && sync && fsio_fsync_dir_of(r->record) < 0)
		call = "fsync", err = errno;
	if (call) {
		unlink(tmp);
		return zerr_sys(e, ZCP_EXIT_FILE, call, r->record, err ? err : EIO);
	}
	r->ident = *id;
	r->recorded = true;
	return 0;
}

int resume_sync(struct resume *r, struct zerr *e)
{
	if (!r->recorded)
		return 0;
	pthread_mutex_lock(&guard); /* the partial's size and the record of it, together */
	int rc = sync_partial(r, e);
	pthread_mutex_unlock(&guard);
	return rc;
}

/* resume_sync() under the guard. */
static int sync_partial(struct resume *r, struct zerr *e)
{
	if (sealed) /* dropped, or synced last: nothing more is written */
		return 0;
	int fd = open(r->partial, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || fdatasync(fd) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return zerr_sys(e, ZCP_EXIT_FILE, "fsync", r->partial, err);
	}
	close(fd);
	return resume_record(r, &r->ident, (uint64_t)st.st_size, e);
}

/* Removes the partial and its record (under the guard: a sync in flight renames its
 * record first, and is then removed with it). */
static void drop(const struct resume *r)
{
	pthread_mutex_lock(&guard);
	unlink(r->partial);
	unlink(r->record);
	pthread_mutex_unlock(&guard);
}

void resume_drop(const struct resume *r)
{
	pthread_mutex_lock(&guard);
	drop(r);
	sealed = true; /* SPEC R-20: no record after it, beside a committed FILE */
	pthread_mutex_unlock(&guard);
}
