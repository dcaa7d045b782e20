/* report - what the mains print. Kept apart from the library modules, which never print. */
#include "report.h"

#include <stdarg.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "proc.h"

void report_format(char *buf, size_t len, const char *verb, uint64_t bytes, const char *prep,
		   const char *peer, double seconds, const char *path, const struct xfer_stats *st)
{
	double mib = (double)bytes / (1024.0 * 1024.0);
	int n = snprintf(buf, len, "%s %llu bytes %s %s in %.3f s (%.1f MiB/s), path %s%s",
			 verb, (unsigned long long)bytes, prep, peer, seconds,
			 seconds > 0 ? mib / seconds : 0.0, path, st ? "; syscalls:" : "");
	for (int s = 0; st && s < XS_COUNT && n > 0 && (size_t)n < len; s++)
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

/* A value of a key=value line: escaped, and quoted where it would not read as one. */
static void kv_value(char *out, size_t cap, const char *s)
{
	char esc[ZERR_LINE_MAX / 4];
	zerr_escape(esc, sizeof esc, s);
	if (*esc && !strpbrk(esc, " \"\\")) {
		snprintf(out, cap, "%s", esc);
		return;
	}
	size_t n = 0;
	out[n++] = '"';
	for (const char *p = esc; *p && n + 3 < cap; p++) {
		if (*p == '"' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n] = '\0';
}

void report_transfer(const char *prog, const struct step_log *l, bool verbose)
{
	struct timespec ts;
	struct tm tm;
	/* a quoted value doubles each backslash of its escaped form: room for all of it */
	char when[40], peer[NET_ADDR_MAX * 4 + 8], name[2 * (ZERR_LINE_MAX / 4) + 3];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
	kv_value(peer, sizeof peer, l->peer);
	if (l->busy) {
		fprintf(stderr, "%s: time=%s peer=%s result=busy\n", prog, when, peer);
		return;
	}
	kv_value(name, sizeof name, l->name);
	char result[32] = "ok", calls[256] = "", tls[16] = "", http[96] = "", method[64];
	if (l->result)
		snprintf(result, sizeof result, "%s exit=%d", l->result == ZCP_EXIT_AUTH ? "auth-failed" : "failed",
			 l->result);
	else if (l->probe)
		snprintf(result, sizeof result, "probe");
	if (l->tls) /* SPEC T-6 */
		snprintf(tls, sizeof tls, " tls=%s", l->tls);
	if (l->proto) { /* SPEC H-9 */
		kv_value(method, sizeof method, l->method ? l->method : "");
		snprintf(http, sizeof http, " proto=%s method=%s status=%d", l->proto, method, l->status);
	}
	for (int s = 0, at = 0; verbose && s < XS_COUNT; s++)
		if (l->stats->calls[s] && at < (int)sizeof calls)
			at += snprintf(calls + at, sizeof calls - (size_t)at, "%s%s:%llu", at ? "," : " syscalls=",
				       xfer_sys_name((enum xfer_sys)s), (unsigned long long)l->stats->calls[s]);
	double mib = (double)l->bytes / (1024.0 * 1024.0);
	fprintf(stderr, "%s: time=%s peer=%s name=%s offset=%llu length=%llu bytes=%llu seconds=%.6f "
		"mib_s=%.1f path=%s%s%s result=%s%s\n", prog, when, peer, name,
		(unsigned long long)l->offset, (unsigned long long)l->length,
		(unsigned long long)l->bytes, l->seconds, l->seconds > 0 ? mib / l->seconds : 0.0,
		xfer_path_name(l->path), tls, http, result, calls);
}

int report_tls(const char *prog, const struct opts_common *c, struct tls_ctx **ctx)
{
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	struct zerr e;
	*ctx = NULL;
	if (!tls_cfg_wanted(&c->tls))
		return -1;
	net_split_addr(c->addr, host, sizeof host, port, sizeof port, &why); /* checked by opts */
	*ctx = tls_ctx_new(c->role == OPTS_LISTEN, &c->tls, host, &e);
	return *ctx ? -1 : report_error(prog, &e);
}

int report_protected(const char *prog, const struct opts_common *c, bool tls, int lfd, const char *bound,
		     const char *verb, struct zerr *e)
{
	if (net_loopback(lfd))
		return 0;
	if (c->tls.cert && !c->tls.client_ca && !c->quiet) /* SPEC T-8: the server alone is authenticated */
		report_note(prog, "--cert without --client-ca: anyone who reaches %s can %s; add --client-ca FILE "
			    "to require client certificates", bound, verb);
	if (tls || c->insecure)
		return 0;
	return zerr_set(e, ZCP_EXIT_USAGE, "listen", bound, "not a loopback address: anyone who reaches it would be "
		 "served in plaintext; give --psk-file FILE (make one: printf 'zcp:%%s\\n' \"$(openssl rand "
		 "-hex 32)\" >FILE; chmod 600 FILE), or --cert and --key, or --insecure");
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

int report_fit(const char *prog, const char *option, enum proc_fit fit, uint64_t asked, uint64_t now,
	       uint64_t need, uint64_t limit, bool quiet)
{
	char why[160];
	switch (fit) {
	case PROC_LOWERED:
		if (!quiet)
			report_note(prog, "note: %s %llu, not %llu: the limit is %llu descriptors (ulimit -n)",
				    option, (unsigned long long)now, (unsigned long long)asked, (unsigned long long)limit);
		return -1;
	case PROC_OVER:
		snprintf(why, sizeof why, "%s %llu needs about %llu descriptors; the limit is %llu (ulimit -n)",
			 option, (unsigned long long)asked, (unsigned long long)need, (unsigned long long)limit);
		return report_usage_error(prog, why);
	case PROC_NONE:
		report_note(prog, "the limit of %llu descriptors (ulimit -n) is too low: one connection needs about %llu",
			    (unsigned long long)limit, (unsigned long long)need);
		return ZCP_EXIT_SYSTEM;
	case PROC_FITS:
		break;
	}
	return -1;
}
