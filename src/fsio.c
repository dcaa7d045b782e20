/* fsio - input checks and the all-or-nothing output: an anonymous O_TMPFILE
 * linked in when complete, or a short random temporary name where the file
 * system refuses O_TMPFILE. */
#include "fsio.h"

#include "ident.h"
#include "mono.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TEMP_RANDOM 10

/* SPEC S-1: fd (open on name) must be a regular file. Returns 0 with *st, -1 when
 * it is not regular, -2 when fstat fails; *e says why. */
static int check_regular(int fd, const char *name, struct stat *st, struct zerr *e)
{
	if (fstat(fd, st) < 0) {
		zerr_sys(e, ZCP_EXIT_FILE, "fstat", name, errno);
		return -2;
	}
	if (!S_ISREG(st->st_mode))
		return zerr_set(e, ZCP_EXIT_FILE, "open", name, "not a regular file");
	return 0;
}

/* The last check of an input opened for reading (blocking): not a size of 0 that the
 * kernel makes up (SPEC S-9). Returns fd, or -2 (fd closed) with *e set. */
static int finish_input(int fd, const char *name, const struct stat *st, struct zerr *e)
{
	ssize_t n = 0;
	char probe;
	if (st->st_size == 0 && (n = pread(fd, &probe, 1, 0)) < 0)
		zerr_sys(e, ZCP_EXIT_FILE, "read", name, errno);
	else if (n > 0)
		zerr_set(e, ZCP_EXIT_FILE, "read", name,
			 "reports size 0 but has content (a /proc or sysfs file?); not served");
	else
		return fd;
	close(fd);
	return -2;
}

/* An input's open failed with err: the file's fault (-1, NOT_FOUND), or, out of
 * descriptors or memory, the server's (-2, SERVER_ERROR, a system failure: SPEC C-11). */
static int open_failed(struct zerr *e, const char *call, const char *name, int err)
{
	bool ours = err == EMFILE || err == ENFILE || err == ENOMEM;
	zerr_sys(e, ours ? ZCP_EXIT_SYSTEM : ZCP_EXIT_FILE, call, name, err);
	return ours ? -2 : -1;
}

int fsio_open_input(const char *path, struct stat *st, struct zerr *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block us */
	if (fd < 0)
		return open_failed(e, "open", path, errno);
	int r = check_regular(fd, path, st, e), fl;
	if (r == 0 && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		zerr_sys(e, ZCP_EXIT_FILE, "fcntl", path, errno);
		r = -2; /* the descriptor failed, not the file's absence */
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return finish_input(fd, path, st, e);
}

int fsio_open_beneath(int rootfd, const char *name, struct stat *st, struct zerr *e)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int pfd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof how);
	if (pfd < 0)
		return open_failed(e, "openat2", name, errno);
	int r = check_regular(pfd, name, st, e);
	if (r < 0) {
		close(pfd);
		return r;
	}
	/* reopen the very inode the O_PATH descriptor resolved, now for reading */
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
	int fd = open(proc, O_RDONLY | O_CLOEXEC);
	close(pfd);
	if (fd < 0) {
		open_failed(e, "open", name, errno); /* no /proc? */
		return -2;
	}
	return finish_input(fd, name, st, e);
}

static int copy_path(char *dst, const char *src, struct zerr *e)
{
	if (snprintf(dst, PATH_MAX, "%s", src) >= PATH_MAX)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", src, ENAMETOOLONG);
	return 0;
}

const char *fsio_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The directory part of path into dir[PATH_MAX] ("." when there is none). */
static void dir_of(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		snprintf(dir, PATH_MAX, "/");
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
}

#define FORCE_NEEDS_NAME "file exists (in a directory --force replaces only a file named with --name)"

/* An existing object at final: refused unless it is a regular file and force
 * applies (SPEC ). Returns 0 when final may be (re)placed. */
static int check_existing(const char *final, bool force, bool named_in_dir, bool in_dir,
			  struct zerr *e)
{
	struct stat st;
	if (lstat(final, &st) < 0)
		return errno == ENOENT ? 0 : zerr_sys(e, ZCP_EXIT_FILE, "lstat", final, errno);
	if (!S_ISREG(st.st_mode))
		return zerr_set(e, ZCP_EXIT_FILE, "open", final, "exists and is not a regular file; not replaced");
	if (!force)
		return zerr_set(e, ZCP_EXIT_FILE, "open", final, "file exists (use --force to replace it)");
	if (in_dir && !named_in_dir)
		return zerr_set(e, ZCP_EXIT_FILE, "open", final, FORCE_NEEDS_NAME);
	return 0;
}

/* SPEC P-10: whether stdout is a pipe, FIFO or socket that a write may ask not to
 * wait for. A reader that stops reading would hold a blocking write for ever, and
 * O_NONBLOCK is not ours to set on a description the shell and others share. Nor
 * does F_GETPIPE_SZ less FIONREAD tell what a write may ask for: it counts bytes,
 * a pipe holds pages (16 writes of 3000 bytes fill a 64 KiB pipe; a write of the
 * 17536 bytes "free" then blocks). pwritev2(RWF_NOWAIT) is one call as write() is.
 * Whether the kernel takes the flag for this file only a write that moves bytes
 * tells (an empty one succeeds before the flags are looked at): a kernel that
 * refuses it (EOPNOTSUPP) has the first write switch to write() (xfer_move).
 * A regular file or a device is written as before, with no call more. */
static bool stdout_nowait(void)
{
	struct stat st;
	return fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

int fsio_out_stalled(const struct fsio_out *o, const char *call, int timeout_ms, struct zerr *e)
{
	return zerr_set(e, ZCP_EXIT_FILE, call, fsio_out_name(o), "timed out: the output took no byte "
			"in %d s (--timeout)", timeout_ms / 1000);
}

/* FIFOs and character devices are written to, never replaced (SPEC R-5). Opened
 * non-blocking: a FIFO without a reader fails now (ENXIO) instead of hanging, and a
 * full FIFO is waited for in poll(), bounded by the timeout. */
static int open_device(struct fsio_out *o, struct zerr *e)
{
	o->mode = FSIO_DEVICE;
	o->fd = open(o->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (o->fd < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", o->path, errno);
	return 0;
}

int fsio_out_init(struct fsio_out *o, const char *path, unsigned flags, struct zerr *e)
{
	struct stat st;
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->flags = flags;
	if (!path) {
		o->mode = FSIO_DISCARD;
		return 0;
	}
	if (!strcmp(path, "-")) {
		o->mode = FSIO_STDOUT;
		o->fd = STDOUT_FILENO;
		o->nowait = stdout_nowait();
		return 0;
	}
	if (copy_path(o->path, path, e) || copy_path(o->final, path, e))
		return -1;
	if (stat(path, &st) < 0) {
		size_t n = strlen(path);
		if (errno != ENOENT || path[n - 1] == '/') /* "dir/" that does not exist */
			return zerr_sys(e, ZCP_EXIT_FILE, "open", path, errno);
		o->mode = FSIO_FILE;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		o->mode = FSIO_DIR;
		return 0;
	}
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
		return open_device(o, e);
	if (!S_ISREG(st.st_mode))
		return zerr_set(e, ZCP_EXIT_FILE, "open", path,
				"not a regular file, directory, FIFO or character device");
	o->mode = FSIO_FILE;
	/* a symlink to a file: replace the file it points to, keep the link */
	if (realpath(path, o->final) == NULL)
		return zerr_sys(e, ZCP_EXIT_FILE, "realpath", path, errno);
	return check_existing(o->final, flags & FSIO_FORCE, false, false, e);
}

/* Random names keep other local users from guessing ours; uniqueness itself comes
 * from O_EXCL (or linkat's EEXIST) and a retry. */
static void random_suffix(char out[TEMP_RANDOM + 1])
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static _Atomic uint64_t calls; /* without entropy, tries within one ms still differ */
	uint64_t x;
	if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x) /* no entropy yet */
		x = ((uint64_t)mono_ms() * 2654435761u ^ (uint64_t)getpid()) + ++calls * 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < TEMP_RANDOM; i++, x /= sizeof abc - 1)
		out[i] = abc[x % (sizeof abc - 1)];
	out[TEMP_RANDOM] = '\0';
}

/* The outputs that have a named temporary file now, for fsio_cleanup_all(). It is
 * changed with every signal blocked, so that a handler always walks a whole list. */
static struct fsio_out *volatile armed;

static sigset_t block_signals(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	return old;
}

static void arm(struct fsio_out *o)
{
	o->armed_prev = NULL;
	o->armed_next = armed;
	if (armed)
		armed->armed_prev = o;
	armed = o;
	o->temp_armed = 1;
}

/* Takes o off the list (with signals blocked): its temporary name is no longer one. */
static void disarm(struct fsio_out *o)
{
	if (!o->temp_armed)
		return;
	if (o->armed_prev)
		o->armed_prev->armed_next = o->armed_next;
	else
		armed = o->armed_next;
	if (o->armed_next)
		o->armed_next->armed_prev = o->armed_prev;
	o->temp_armed = 0;
}

void fsio_cleanup_all(void)
{
	for (struct fsio_out *o = armed; o; o = o->armed_next)
		if (o->temp_armed)
			unlink(o->temp);
}

/* Gives the file a fresh temporary name in dir by make(name), which creates it
 * or links it there (EEXIST: try another). Signals are blocked until temp is
 * armed, so a handler either sees no name or one that exists. Returns 0 or -1. */
static int take_temp_name(struct fsio_out *o, const char *dir, int (*make)(struct fsio_out *, const char *))
{
	sigset_t old = block_signals();
	int r = -1;
	for (int tries = 0; tries < 100 && r < 0; tries++) {
		char rnd[TEMP_RANDOM + 1];
		random_suffix(rnd);
		if (snprintf(o->temp, sizeof o->temp, "%s/" FSIO_OWN_PREFIX "%s", dir, rnd) >= PATH_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		r = make(o, o->temp);
		if (r < 0 && errno != EEXIST)
			break;
	}
	int saved = errno;
	if (r == 0)
		arm(o);
	else
		o->temp[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

static int create_named(struct fsio_out *o, const char *name)
{
	o->fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	return o->fd < 0 ? -1 : 0;
}

/* Links the anonymous file to name; never replaces (EEXIST). /proc/self/fd works
 * for everyone; AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, so it is the fallback. */
static int link_anonymous(struct fsio_out *o, const char *name)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return linkat(o->fd, "", AT_FDCWD, name, AT_EMPTY_PATH);
}

int fsio_out_open(struct fsio_out *o, const char *name, struct zerr *e)
{
	if (o->mode != FSIO_FILE && o->mode != FSIO_DIR)
		return 0;
	char dir[PATH_MAX];
	if (o->mode == FSIO_DIR) {
		size_t n = strlen(o->path); /* DIR/ as given: one slash between */
		const char *sep = n && o->path[n - 1] == '/' ? "" : "/";
		if (snprintf(o->final, PATH_MAX, "%s%s%s", o->path, sep, name) >= PATH_MAX)
			return zerr_sys(e, ZCP_EXIT_FILE, "open", o->path, ENAMETOOLONG);
		/* SPEC R-4: the prefix of our own partials and records: a peer
		 * never plants one for a later --resume to trust */
		if (!strncmp(name, FSIO_OWN_PREFIX, strlen(FSIO_OWN_PREFIX)))
			return zerr_set(e, ZCP_EXIT_FILE, "open", o->final,
					"names starting with " FSIO_OWN_PREFIX " are zcp-recv's own; not stored");
		if (check_existing(o->final, o->flags & FSIO_FORCE, o->flags & FSIO_NAMED, true, e))
			return -1;
		snprintf(dir, sizeof dir, "%s", o->path);
	} else {
		dir_of(o->final, dir);
	}
	if (o->partial[0]) { /* SPEC R-20: not armed, so a failure or signal leaves it (unless G-11's) */
		snprintf(o->temp, sizeof o->temp, "%s", o->partial);
		o->anonymous = false;
		sigset_t old;
		if (o->disposable) /* a handler sees no partial or an armed one */
			old = block_signals();
		o->fd = open(o->partial, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (o->disposable) { /* only then: a slow open (NFS) defers no signal */
			if (o->fd >= 0)
				arm(o);
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
		const char *call = o->fd < 0 ? "open" : ftruncate(o->fd, (off_t)o->keep) < 0 ? "ftruncate"
				 : lseek(o->fd, (off_t)o->keep, SEEK_SET) < 0 ? "lseek" : NULL;
		if (!call)
			return 0;
		int err = errno;
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		return zerr_sys(e, ZCP_EXIT_FILE, call, o->partial, err);
	}
	o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	o->anonymous = o->fd >= 0;
	/* SPEC R-1: file systems without O_TMPFILE get a short random name instead */
	bool refused = errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL;
	if (o->fd < 0 && (!refused || take_temp_name(o, dir, create_named) < 0))
		return zerr_sys(e, ZCP_EXIT_FILE, "open", dir, errno);
	return 0;
}

static void drop_temp(struct fsio_out *o)
{
	if (o->temp_armed) {
		sigset_t old = block_signals(); /* first: a signal now must not unlink a published name */
		disarm(o);
		sigprocmask(SIG_SETMASK, &old, NULL);
		unlink(o->temp);
	}
	o->temp[0] = '\0';
}

/* Publishes the named temporary file under final: replacing (force) or not. Where
 * the file system refuses RENAME_NOREPLACE (EINVAL on NFS, FUSE), link() + unlink()
 * keeps the no-replace guarantee (SPEC R-3); drop_temp() does the unlink. */
static int publish_named(struct fsio_out *o, bool replace)
{
	sigset_t old = block_signals(); /* renamed, the name is the final one: not a handler's */
	int r = replace ? rename(o->temp, o->final)
			: renameat2(AT_FDCWD, o->temp, AT_FDCWD, o->final, RENAME_NOREPLACE);
	int saved = errno;
	if (r == 0)
		disarm(o);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0 && !replace && (saved == EINVAL || saved == ENOSYS))
		return link(o->temp, o->final);
	errno = saved;
	return r;
}

/* Puts the complete file under o->final; *call names the step that failed.
 * An anonymous file is linked in (linkat never replaces); to replace, it gets a
 * temporary name beside the target and is renamed over it. Returns 0 or -1. */
static int publish(struct fsio_out *o, bool force, const char **call)
{
	if (o->anonymous) {
		*call = "linkat";
		if (link_anonymous(o, o->final) == 0)
			return 0;
		if (errno != EEXIST || !force)
			return -1;
		char dir[PATH_MAX];
		dir_of(o->final, dir);
		if (take_temp_name(o, dir, link_anonymous) < 0)
			return -1;
	} else {
		*call = "close"; /* NFS and quota errors surface here */
		int r = close(o->fd);
		o->fd = -1;
		if (r < 0)
			return -1;
	}
	*call = "rename";
	return publish_named(o, force);
}

int fsio_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	dir_of(path, dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int fsio_out_commit(struct fsio_out *o, struct zerr *e)
{
	if (o->mode != FSIO_FILE && o->mode != FSIO_DIR)
		return 0;
	bool force = o->flags & FSIO_FORCE, named = o->flags & FSIO_NAMED, in_dir = o->mode == FSIO_DIR;
	/* SPEC R-4: the rule of fsio_out_open() again, as the name may have been taken
	 * since (two pushes of one name): replacing is allowed or the publish is NOREPLACE */
	bool replace = force && (named || !in_dir);
	const char *call = "fsync";
	if ((o->flags & FSIO_FSYNC) && fsync(o->fd) < 0) {
		zerr_sys(e, ZCP_EXIT_FILE, call, o->final, errno);
		goto fail;
	}
	/* never rename over anything but a regular file (SPEC R-5) */
	if (replace && check_existing(o->final, true, true, false, e) < 0)
		goto fail;
	if (publish(o, replace, &call) < 0) {
		if (errno == EEXIST && force && !replace) /* taken meanwhile; --force did not apply */
			zerr_set(e, ZCP_EXIT_FILE, call, o->final, FORCE_NEEDS_NAME);
		else
			zerr_sys(e, ZCP_EXIT_FILE, call, o->final, errno);
		goto fail;
	}
	drop_temp(o);
	if (o->fd >= 0) {
		int r = close(o->fd);
		o->fd = -1;
		if (r < 0)
			return zerr_sys(e, ZCP_EXIT_FILE, "close", o->final, errno);
	}
	if ((o->flags & FSIO_FSYNC) && fsio_fsync_dir_of(o->final) < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "fsync", o->final, errno);
	return 0;
fail:
	fsio_out_abort(o);
	return -1;
}

void fsio_out_abort(struct fsio_out *o)
{
	if (o->mode != FSIO_FILE && o->mode != FSIO_DIR)
		return;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	drop_temp(o);
}

bool fsio_accepts_splice(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	if (S_ISFIFO(st.st_mode))
		return true;
	if (S_ISSOCK(st.st_mode)) { /* splice ignores SPLICE_F_NONBLOCK on a socket's side
				     * (Linux 6.18): a blocking one waits for its reader for ever */
		int fl = fcntl(fd, F_GETFL);
		return fl >= 0 && (fl & O_NONBLOCK);
	}
	if (S_ISCHR(st.st_mode))
		return st.st_rdev == makedev(1, 3); /* /dev/null */
	if (S_ISREG(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		return fl >= 0 && !(fl & O_APPEND);
	}
	return false;
}

int fsio_out_room(const struct fsio_out *o, uint64_t size, struct zerr *e)
{
	if (o->mode != FSIO_FILE && o->mode != FSIO_DIR)
		return 0;
	char dir[PATH_MAX];
	if (o->mode == FSIO_DIR)
		snprintf(dir, sizeof dir, "%s", o->path);
	else
		dir_of(o->final, dir);
	struct statvfs vs;
	struct stat st;
	if (statvfs(dir, &vs) < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "statvfs", dir, errno);
	uint64_t held = o->partial[0] && stat(o->partial, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
	uint64_t room = (uint64_t)vs.f_bavail * vs.f_frsize;
	if (size > held && size - held > room)
		return zerr_set(e, ZCP_EXIT_FILE, "statvfs", dir, "the file is %llu bytes, %llu are free: %s",
				(unsigned long long)size, (unsigned long long)room, strerror(ENOSPC));
	return 0;
}

void fsio_out_use_partial(struct fsio_out *o, const char *path, uint64_t keep)
{
	snprintf(o->partial, sizeof o->partial, "%s", path);
	o->keep = keep;
}

void fsio_out_partial_disposable(struct fsio_out *o)
{
	o->disposable = true;
}

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

bool fsio_settled(int fd, const struct wire_ident *id)
{
	struct stat st;
	struct wire_ident now;
	struct timespec t;
	if (fstat(fd, &st) < 0 || ident_of(&st, &now) < 0 || memcmp(&now, id, sizeof now) != 0 ||
	    clock_gettime(CLOCK_REALTIME, &t) < 0)
		return false;
	int64_t changed = ns_of(st.st_mtim) > ns_of(st.st_ctim) ? ns_of(st.st_mtim) : ns_of(st.st_ctim);
	return ns_of(t) - changed > 1000000000;
}

const char *fsio_out_name(const struct fsio_out *out)
{
	if (out->partial[0])
		return out->partial;
	return out->mode == FSIO_STDOUT ? "<stdout>" : out->mode == FSIO_DIR || out->mode == FSIO_FILE
		? out->final : out->path;
}
