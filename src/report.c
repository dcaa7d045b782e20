/* report - what the mains print. Kept apart from the library modules, which never print. */
#include "report.h"

#include <stdarg.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>

#include "net.h"
#include "proc.h"

void report_format(char *buf, size_t len, const char *verb, uint64_t bytes, const char *prep,
		   const char *peer, double seconds, const char *path, const struct xfer_stats *st)
{
	double mib = (double)bytes / (1024.0 * 1024.0);
	int n = snprintf(buf, len, "%s %llu bytes %s %s in %.3f s (%.1f MiB/s), path %s; syscalls:",
			 verb, (unsigned long long)bytes, prep, peer, seconds,
			 seconds > 0 ? mib / seconds : 0.0, path);
	for (int s = 0; s < XS_COUNT && n > 0 && (size_t)n < len; s++)
		if (st->calls[s])
			n += snprintf(buf + n, len - (size_t)n, " %s=%llu", xfer_sys_name((enum xfer_sys)s),
				      (unsigned long long)st->calls[s]);
}

void report_note(const char *prog, const char *fmt, ...)
{
	static char text[ZERR_LINE_MAX / 4], line[ZERR_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	zerr_escape(line, sizeof line, text);
	fprintf(stderr, "%s: %s\n", prog, line);
}

int report_error(const char *prog, const struct zerr *e)
{
	static char line[ZERR_LINE_MAX];
	zerr_format(e, prog, line, sizeof line);
	fprintf(stderr, "%s\n", line);
	return (int)e->code;
}

int report_usage_error(const char *prog, const char *why)
{
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, why, prog);
	return ZCP_EXIT_USAGE;
}

int report_action(const char *prog, enum opts_action action, const char *usage, int closed_fds)
{
	if (action == OPTS_RUN)
		return -1;
	struct zerr e;
	if (closed_fds & PROC_STDOUT_CLOSED) {
		zerr_sys(&e, ZCP_EXIT_FILE, "write", "<stdout>", EBADF);
		return report_error(prog, &e);
	}
	if (action == OPTS_HELP)
		fputs(usage, stdout);
	else
		printf("%s ZCP/1 %s\n", prog, ZCP_RELEASE);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		zerr_sys(&e, ZCP_EXIT_FILE, "write", "<stdout>", errno ? errno : EIO);
		return report_error(prog, &e);
	}
	return 0;
}

int report_accept(const char *prog, int lfd, char *peer, size_t peerlen, bool quiet,
		  struct zerr *e)
{
	for (bool told = false;; told = true) {
		int fd = net_accept(lfd, peer, peerlen, e);
		if (fd != NET_ACCEPT_PRESSURE)
			return fd;
		if (!told && !quiet)
			report_note(prog, "accept: %s; pausing new connections", e->reason);
		poll(NULL, 0, 100);
	}
}
