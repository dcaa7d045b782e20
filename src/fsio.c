/* fsio - input checks and the temp-file-then-rename output. */
#include "fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int fsio_open_input(const char *path, uint64_t *size, struct zerr *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", path, errno);
	if (fstat(fd, &st) < 0) {
		zerr_sys(e, ZCP_EXIT_FILE, "fstat", path, errno);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return zerr_set(e, ZCP_EXIT_FILE, "open", path, "not a regular file");
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int copy_path(char *dst, const char *src, struct zerr *e)
{
	if (snprintf(dst, PATH_MAX, "%s", src) >= PATH_MAX)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", src, ENAMETOOLONG);
	return 0;
}

static int refuse_existing(const struct fsio_out *o, struct zerr *e)
{
	struct stat st;
	if (!o->force && lstat(o->final, &st) == 0)
		return zerr_set(e, ZCP_EXIT_FILE, "open", o->final, "file exists (use --force to replace it)");
	return 0;
}

int fsio_out_init(struct fsio_out *o, const char *path, bool force, bool fsync, struct zerr *e)
{
	struct stat st;
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->force = force;
	o->fsync = fsync;
	if (!path) {
		o->mode = FSIO_DISCARD;
		return 0;
	}
	if (!strcmp(path, "-")) {
		o->mode = FSIO_STDOUT;
		o->fd = STDOUT_FILENO;
		return 0;
	}
	if (copy_path(o->path, path, e) || copy_path(o->final, path, e))
		return -1;
	o->mode = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? FSIO_DIR : FSIO_FILE;
	return o->mode == FSIO_FILE ? refuse_existing(o, e) : 0;
}

int fsio_out_open(struct fsio_out *o, const char *name, struct zerr *e)
{
	static unsigned serial;
	if (o->mode == FSIO_STDOUT || o->mode == FSIO_DISCARD)
		return 0;
	if (o->mode == FSIO_DIR) {
		if (snprintf(o->final, PATH_MAX, "%s/%s", o->path, name) >= PATH_MAX)
			return zerr_sys(e, ZCP_EXIT_FILE, "open", o->path, ENAMETOOLONG);
		if (refuse_existing(o, e))
			return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		if (snprintf(o->temp, PATH_MAX, "%s.zcp-part-%ld-%u", o->final, (long)getpid(),
			     serial++) >= PATH_MAX)
			return zerr_sys(e, ZCP_EXIT_FILE, "open", o->final, ENAMETOOLONG);
		o->fd = open(o->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (o->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	zerr_sys(e, ZCP_EXIT_FILE, "open", o->temp, errno);
	o->temp[0] = '\0';
	return -1;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int fsio_out_commit(struct fsio_out *o, struct zerr *e)
{
	if (o->mode == FSIO_STDOUT || o->mode == FSIO_DISCARD)
		return 0;
	if (o->fsync && fsync(o->fd) < 0) {
		zerr_sys(e, ZCP_EXIT_FILE, "fsync", o->temp, errno);
		goto fail;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		zerr_sys(e, ZCP_EXIT_FILE, "close", o->temp, errno);
		goto fail;
	}
	o->fd = -1;
	if (renameat2(AT_FDCWD, o->temp, AT_FDCWD, o->final, o->force ? 0 : RENAME_NOREPLACE) < 0) {
		char obj[2 * PATH_MAX + 8];
		snprintf(obj, sizeof obj, "%s -> %s", o->temp, o->final);
		zerr_sys(e, ZCP_EXIT_FILE, "rename", obj, errno);
		goto fail;
	}
	o->temp[0] = '\0';
	if (o->fsync && fsync_dir_of(o->final) < 0)
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
	if (o->temp[0])
		unlink(o->temp);
	o->temp[0] = '\0';
}

bool fsio_accepts_splice(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return true;
	if (S_ISCHR(st.st_mode))
		return st.st_rdev == makedev(1, 3); /* /dev/null */
	if (S_ISREG(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		return fl >= 0 && !(fl & O_APPEND);
	}
	return false;
}
