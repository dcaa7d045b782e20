/* zcp-recv - fetch a file from zcp-send, or accept one it pushes (SPEC R, C, E). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fsio.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "report.h"

static const char PROG[] = "zcp-recv";
static struct fsio_out out; /* global so that a signal handler can remove its temporary file */

/* SPEC R-2: a named temporary file does not outlive a signal (an anonymous one never can). */
static void on_signal(int sig)
{
	if (out.temp_armed)
		unlink(out.temp);
	proc_die(sig);
}

/* Connects, or listens for the one sender that pushes (SPEC C-2). */
static int open_connection(const struct opts_recv *o, int timeout_ms, char *peer, struct zerr *e)
{
	if (o->c.role == OPTS_CONNECT)
		return net_connect(o->c.addr, timeout_ms, peer, NET_ADDR_MAX, e);
	char bound[NET_ADDR_MAX];
	int lfd = net_listen(o->c.addr, bound, sizeof bound, false, e);
	if (lfd < 0)
		return -1;
	if (!o->c.quiet || net_port(o->c.addr) == 0) /* SPEC C-7 */
		fprintf(stderr, "listening on %s\n", bound);
	int sock = report_accept(PROG, lfd, peer, NET_ADDR_MAX, o->c.quiet, e);
	close(lfd);
	return sock;
}

int main(int argc, char **argv)
{
	struct opts_recv o;
	char why[256], peer[NET_ADDR_MAX];
	struct zerr e;
	int closed = proc_sanitise_stdfds(); /* SPEC C-9 */
	if (closed < 0)
		return ZCP_EXIT_SYSTEM;
	if (opts_parse_recv(argc, argv, &o, why, sizeof why) < 0)
		return report_usage_error(PROG, why);
	int done = report_action(PROG, o.c.action, opts_usage_recv(), closed);
	if (done >= 0)
		return done;
	proc_ignore_signals(); /* SPEC S-8 R-9 */
	proc_on_terminate(on_signal);

	unsigned flags = (o.force ? FSIO_FORCE : 0) | (o.fsync ? FSIO_FSYNC : 0) |
			 (o.name ? FSIO_NAMED : 0);
	if (fsio_out_init(&out, o.discard ? NULL : o.output, flags, &e) < 0)
		return report_error(PROG, &e);
	if (out.mode == FSIO_STDOUT && (closed & PROC_STDOUT_CLOSED)) {
		zerr_sys(&e, ZCP_EXIT_FILE, "write", "<stdout>", EBADF);
		return report_error(PROG, &e);
	}
	if (o.c.raw && out.mode == FSIO_DIR) /* SPEC R-4 */
		return report_usage_error(PROG, "--raw has no file name: -o must name a file");

	struct fetch_cfg cfg = {
		.path = o.c.path, .chunk = o.c.chunk, .raw = o.c.raw, .offset = o.offset,
		.length = o.length, .name = o.name, .max_size = o.max_size,
		.ctx = {.timeout_ms = opts_timeout_ms(&o.c)},
	};
	bool written = out.mode == FSIO_STDOUT || out.mode == FSIO_DEVICE;
	if (cfg.path == XFER_SPLICE && written && !fsio_accepts_splice(out.fd)) {
		cfg.path = XFER_COPY; /* SPEC R-5 */
		if (!o.c.quiet)
			report_note(PROG, "splice %s: not supported by this output; using copy",
				    out.mode == FSIO_STDOUT ? "<stdout>" : out.path);
	}

	int sock = open_connection(&o, cfg.ctx.timeout_ms, peer, &e);
	if (sock < 0)
		return report_error(PROG, &e);
	struct xfer_stats stats = {0};
	struct fetch_report rep;
	cfg.ctx.stats = &stats;
	int r = fetch_one(sock, peer, &cfg, &out, &rep, &e);
	close(sock);
	if (r < 0)
		return report_error(PROG, &e);
	if (rep.ack_err && !o.c.quiet) /* SPEC R-15 */
		report_note(PROG, "warning: sendto %s: %s; every byte is committed, but the sender "
			    "may report a failure", peer, strerror(rep.ack_err));
	if (o.c.verbose) {
		char line[512];
		report_format(line, sizeof line, "received", rep.received, "from", peer, rep.seconds,
			      xfer_path_name(cfg.path), &stats);
		report_note(PROG, "%s", line);
	}
	return 0;
}
