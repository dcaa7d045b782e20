/* zcp-recv - fetch a file from zcp-send, or accept what it pushes: one file, or into
 * a directory as many pushes at once as come (SPEC R, C, E). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fsio.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "report.h"
#include "server.h"
#include "streams.h"

static const char PROG[] = "zcp-recv";

/* SPEC R-2: no named temporary file outlives a signal (an anonymous one never can). */
static void on_signal(int sig)
{
	fsio_cleanup_all();
	proc_die(sig);
}

/* Every push into the directory: its record unless -q, its error line when it
 * failed (E-2). */
static void log_push(void *arg, const struct server_log *l)
{
	const struct opts_recv *o = arg;
	if (!o->c.quiet)
		report_transfer(PROG, l, o->c.verbose);
	if (l->result)
		report_error(PROG, l->err);
}

static void pressure(void *arg, const char *reason)
{
	const struct opts_recv *o = arg;
	if (!o->c.quiet)
		report_note(PROG, "accept: %s; pausing new connections", reason);
}

static int listen_on(const struct opts_recv *o, struct zerr *e)
{
	char bound[NET_ADDR_MAX];
	int lfd = net_listen(o->c.addr, bound, sizeof bound, false, e);
	if (lfd >= 0 && (!o->c.quiet || net_port(o->c.addr) == 0)) /* SPEC C-7 */
		fprintf(stderr, "listening on %s\n", bound);
	return lfd;
}

/* SPEC R-16: every sender that pushes, many at once, into the directory of out. */
static int receive_all(const struct opts_recv *o, struct fetch_cfg *cfg, const struct fsio_out *out)
{
	struct zerr e;
	int lfd = listen_on(o, &e);
	if (lfd < 0)
		return report_error(PROG, &e);
	struct xfer_pipes pipes = {0}; /* SPEC R-17 */
	cfg->pipes = &pipes;
	sigset_t before, waitmask;
	proc_catch_stops(fsio_cleanup_all, &before, &waitmask); /* SPEC S-15 */
	struct server_cfg scfg = {
		.fetch = cfg, .out = out, .max_chunk = o->srv.max_chunk, .max_clients = o->srv.max_clients,
		.count = o->srv.count, .drain_ms = (int)o->srv.drain_s * 1000, .log = log_push,
		.note = pressure, .arg = (void *)o, .stop = &proc_stop, .waitmask = &waitmask,
	};
	int r = server_run(lfd, &scfg, &e);
	close(lfd);
	xfer_pipes_free(&pipes);
	proc_release_stops(&before);
	return r < 0 ? report_error(PROG, &e) : r;
}

/* A transfer's end, said: the R-15 warning, and with -v the report. Returns 0. */
static int received(const struct opts_recv *o, const struct fetch_cfg *cfg, const char *peer,
		    uint64_t bytes, double seconds, int ack_err, const struct xfer_stats *stats,
		    unsigned streams)
{
	if (ack_err && !o->c.quiet) /* SPEC R-15 */
		report_note(PROG, "warning: sendto %s: %s; every byte is committed, but the sender "
			    "may report a failure", peer, strerror(ack_err));
	if (o->c.verbose) {
		char line[512];
		report_format(line, sizeof line, "received", bytes, "from", peer, seconds,
			      xfer_path_name(cfg->path), stats);
		if (streams > 1)
			report_note(PROG, "%s; %u streams", line, streams);
		else
			report_note(PROG, "%s", line);
	}
	return 0;
}

/* One transfer: fetch from a sender, or take the one push a sender makes. */
static int receive_one(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	char peer[NET_ADDR_MAX];
	struct zerr e;
	int sock;
	if (o->c.role == OPTS_CONNECT) {
		sock = net_connect(o->c.addr, cfg->timeout_ms, peer, sizeof peer, &e);
	} else {
		int lfd = listen_on(o, &e);
		if (lfd < 0)
			return report_error(PROG, &e);
		sock = report_accept(PROG, lfd, peer, sizeof peer, o->c.quiet, &e);
		close(lfd);
	}
	if (sock < 0)
		return report_error(PROG, &e);
	struct xfer_stats stats;
	struct fetch_report rep;
	int r = fetch_one(sock, peer, cfg, out, &rep, &stats, &e);
	close(sock);
	if (r < 0)
		return report_error(PROG, &e);
	return received(o, cfg, peer, rep.received, rep.seconds, rep.ack_err, &stats, 1);
}

/* SPEC R-18: one transfer over o->streams connections. */
static int receive_streams(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	_Static_assert(OPTS_STREAMS_MAX == STREAMS_MAX, "--streams bounds");
	char peer[NET_ADDR_MAX];
	struct zerr e;
	struct streams_report rep;
	if (streams_fetch(o->c.addr, o->streams, cfg, out, peer, sizeof peer, &rep, &e) < 0)
		return report_error(PROG, &e);
	return received(o, cfg, peer, rep.received, rep.seconds, rep.ack_err, &rep.stats, rep.parts);
}

int main(int argc, char **argv)
{
	static struct fsio_out out;
	struct opts_recv o;
	char why[256];
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

	struct stat st; /* SPEC R-18: before a FIFO's open() would wait for a reader */
	if (o.streams > 1 && o.output && stat(o.output, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return report_usage_error(PROG, "--streams writes parts at their offsets: -o must be a "
					  "file, a directory or --discard");
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
	bool many = o.c.role == OPTS_LISTEN && out.mode == FSIO_DIR; /* SPEC R-16 */
	if (o.srv.given && !many)
		return report_usage_error(PROG, "--once, --count, --max-clients, --max-chunk and --drain "
					  "need --listen into a directory");

	struct fetch_cfg cfg = {
		.path = o.c.path, .chunk = o.c.chunk, .raw = o.c.raw, .offset = o.offset,
		.length = o.length, .name = o.name, .max_size = o.max_size,
		.timeout_ms = opts_timeout_ms(&o.c),
	};
	bool written = out.mode == FSIO_STDOUT || out.mode == FSIO_DEVICE;
	if (cfg.path == XFER_SPLICE && written && !fsio_accepts_splice(out.fd)) {
		cfg.path = XFER_COPY; /* SPEC R-5 */
		if (!o.c.quiet)
			report_note(PROG, "splice %s: not supported by this output; using copy",
				    out.mode == FSIO_STDOUT ? "<stdout>" : out.path);
	}
	return many ? receive_all(&o, &cfg, &out) : o.streams > 1 ? receive_streams(&o, &cfg, &out)
		: receive_one(&o, &cfg, &out);
}
