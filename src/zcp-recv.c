/* zcp-recv - fetch a file from zcp-send, or accept one it pushes (SPEC R, C, E). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fsio.h"
#include "net.h"
#include "opts.h"
#include "report.h"

static const char PROG[] = "zcp-recv";
static struct fsio_out out; /* global so that a signal can remove its temporary file */

/* SPEC R-2: no temporary file outlives an interrupted transfer. */
static void on_signal(int sig)
{
	if (out.temp[0])
		unlink(out.temp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* SPEC S-8 */
}

int main(int argc, char **argv)
{
	struct opts_recv o;
	char why[256], peer[NET_ADDR_MAX];
	struct zerr e;
	if (opts_parse_recv(argc, argv, &o, why, sizeof why) < 0)
		return report_usage_error(PROG, why);
	int done = report_action(PROG, o.c.action, opts_usage_recv());
	if (done >= 0)
		return done;
	install_handlers();

	if (fsio_out_init(&out, o.discard ? NULL : o.output, o.force, o.fsync, &e) < 0)
		return report_error(PROG, &e);
	if (o.c.raw && out.mode == FSIO_DIR) /* SPEC R-4 */
		return report_usage_error(PROG, "--raw has no file name: -o must name a file");

	struct fetch_cfg cfg = {
		.path = o.c.path == OPTS_PATH_COPY ? XFER_COPY : XFER_SPLICE,
		.chunk = o.c.chunk, .raw = o.c.raw, .offset = o.offset, .length = o.length,
		.ctx = {.timeout_ms = o.c.timeout_s ? (int)o.c.timeout_s * 1000 : -1},
	};
	if (cfg.path == XFER_SPLICE && out.mode == FSIO_STDOUT && !fsio_accepts_splice(STDOUT_FILENO)) {
		cfg.path = XFER_COPY; /* SPEC R-5 */
		if (!o.c.quiet)
			fprintf(stderr, "%s: splice <stdout>: not supported by this output; using copy\n",
				PROG);
	}

	int sock;
	if (o.c.role == OPTS_LISTEN) {
		char bound[NET_ADDR_MAX];
		int lfd = net_listen(o.c.addr, bound, sizeof bound, &e);
		if (lfd < 0)
			return report_error(PROG, &e);
		if (!o.c.quiet || net_port(o.c.addr) == 0) /* SPEC C-7 */
			fprintf(stderr, "listening on %s\n", bound);
		sock = net_accept(lfd, peer, sizeof peer, &e);
		close(lfd);
	} else {
		sock = net_connect(o.c.addr, cfg.ctx.timeout_ms, peer, sizeof peer, &e);
	}
	if (sock < 0)
		return report_error(PROG, &e);

	struct xfer_stats stats = {0};
	struct fetch_report rep;
	cfg.ctx.stats = &stats;
	int r = fetch_one(sock, peer, &cfg, &out, &rep, &e);
	close(sock);
	if (r < 0)
		return report_error(PROG, &e);
	if (o.c.verbose) {
		char line[512];
		report_format(line, sizeof line, "received", rep.received, "from", peer, rep.seconds,
			      cfg.path == XFER_COPY ? "copy" : "splice", &stats);
		fprintf(stderr, "%s: %s\n", PROG, line);
	}
	return 0;
}
