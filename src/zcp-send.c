/* zcp-send - serve FILE to receivers, or push it to one (SPEC S, C, E). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "report.h"
#include "serve.h"

static const char PROG[] = "zcp-send";

static int transfer(int sock, const char *peer, const struct opts_send *o, struct serve_cfg *cfg)
{
	struct xfer_stats stats;
	struct serve_report rep;
	struct zerr e;
	int r = serve_one(sock, peer, cfg, &rep, &stats, &e);
	close(sock);
	if (rep.fell_back && !o->c.quiet)
		report_note(PROG, "%s %s: %s; falling back to copy", xfer_path_name(o->c.path),
			    o->file, strerror(rep.fallback_err));
	if (r < 0)
		return report_error(PROG, &e);
	if (o->c.verbose) {
		char line[512];
		report_format(line, sizeof line, "sent", rep.length, "to", peer, rep.seconds,
			      xfer_path_name(rep.fell_back ? XFER_COPY : o->c.path), &stats);
		report_note(PROG, "%s", line);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts_send o;
	char why[256], peer[NET_ADDR_MAX];
	struct zerr e;
	int closed = proc_sanitise_stdfds(); /* SPEC C-9 */
	if (closed < 0)
		return ZCP_EXIT_SYSTEM;
	if (opts_parse_send(argc, argv, &o, why, sizeof why) < 0)
		return report_usage_error(PROG, why);
	int done = report_action(PROG, o.c.action, opts_usage_send(), closed);
	if (done >= 0)
		return done;
	proc_ignore_signals(); /* SPEC S-8 */

	uint64_t size;
	int fd = fsio_open_input(o.file, &size, &e); /* SPEC S-1 S-9: fail before serving */
	if (fd < 0)
		return report_error(PROG, &e);
	close(fd);

	struct serve_cfg cfg = {
		.file = o.file, .rootfd = -1, .chunk = o.c.chunk, .raw = o.c.raw, .path = o.c.path,
		.timeout_ms = opts_timeout_ms(&o.c), .header_timeout_ms = opts_timeout_ms(&o.c),
	};
	if (o.c.role == OPTS_CONNECT) {
		int sock = net_connect(o.c.addr, cfg.timeout_ms, peer, sizeof peer, &e);
		if (sock < 0)
			return report_error(PROG, &e);
		return transfer(sock, peer, &o, &cfg);
	}
	char bound[NET_ADDR_MAX];
	int lfd = net_listen(o.c.addr, bound, sizeof bound, &e);
	if (lfd < 0)
		return report_error(PROG, &e);
	if (!o.c.quiet || net_port(o.c.addr) == 0) /* SPEC C-7 */
		fprintf(stderr, "listening on %s\n", bound);
	for (;;) { /* SPEC S-7: one transfer after another */
		int sock = report_accept(PROG, lfd, peer, sizeof peer, o.c.quiet, &e);
		if (sock < 0)
			return report_error(PROG, &e);
		int r = transfer(sock, peer, &o, &cfg);
		if (o.once) {
			close(lfd);
			return r;
		}
	}
}
