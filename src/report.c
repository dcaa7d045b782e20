/* report - what the mains print. Kept apart from the library modules, which never print. */
#include "report.h"

#include <stdio.h>

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

int report_error(const char *prog, const struct zerr *e)
{
	char line[1024];
	zerr_format(e, prog, line, sizeof line);
	fprintf(stderr, "%s\n", line);
	return (int)e->code;
}

int report_usage_error(const char *prog, const char *why)
{
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, why, prog);
	return ZCP_EXIT_USAGE;
}

int report_action(const char *prog, enum opts_action action, const char *usage)
{
	if (action == OPTS_HELP)
		return fputs(usage, stdout) == EOF;
	if (action == OPTS_VERSION)
		return printf("%s ZCP/1 %s\n", prog, ZCP_RELEASE) < 0;
	return -1;
}
