/* zcp-recv - fetch a file from zcp-send, or accept what it pushes: one file, or into
 * a directory as many pushes at once as come (SPEC R, C, E). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fsio.h"
#include "hget.h"
#include "httpc.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "progress.h"
#include "recv.h"
#include "report.h"
#include "listener.h"
#include "streams.h"

static const char PROG[] = "zcp-recv";

/* SPEC R-2 R-21: no named temporary file (an anonymous one never can) and no lock
 * outlive a signal. */
static void on_signal(int sig)
{
	recv_cleanup();
	proc_die(sig);
}

/* Every push into the directory: its record unless -q, its error line when it
 * failed (E-2). */
static void log_push(void *arg, const struct step_log *l)
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

/* SPEC S-15: a stop came. */
static void draining(void *arg, int sig, unsigned live)
{
	const struct opts_recv *o = arg;
	if (!o->c.quiet)
		report_note(PROG, "%s: draining %u pushes, at most %u s; a second one ends them at once",
			    sig == SIGINT ? "SIGINT" : "SIGTERM", live, (unsigned)o->srv.drain_s);
}

/* A listening socket on o's address: refused (SPEC T-8) where plaintext would be
 * served beyond this host. Returns it, or -1 with *e set. */
static int open_listener(const struct opts_recv *o, bool tls, struct zerr *e)
{
	char bound[NET_ADDR_MAX];
	int lfd = net_listen(o->c.addr, bound, sizeof bound, e);
	if (lfd >= 0 && report_protected(PROG, &o->c, tls, lfd, bound, "push", e) < 0) {
		close(lfd);
		return -1;
	}
	if (lfd >= 0 && (!o->c.quiet || net_port(o->c.addr) == 0)) /* SPEC C-7 */
		fprintf(stderr, "listening on %s\n", bound);
	return lfd;
}

/* SPEC R-16: every sender that pushes, many at once, into the directory of out. */
static int receive_all(const struct opts_recv *o, struct fetch_cfg *cfg, const struct fsio_out *out)
{
	struct zerr e;
	int lfd = open_listener(o, cfg->tls != NULL, &e);
	if (lfd < 0)
		return report_error(PROG, &e);
	struct xfer_pipes pipes = {0}; /* SPEC R-17 */
	cfg->pipes = &pipes;
	sigset_t before, waitmask;
	proc_catch_stops(fsio_cleanup_all, &before, &waitmask); /* SPEC S-15 */
	struct fetch_push push = {.cfg = cfg, .out = out};
	struct listener_cfg scfg = listener_cfg_of(&o->srv);
	scfg.kind = &fetch_ops;
	scfg.kind_arg = &push;
	scfg.log = log_push;
	scfg.note = pressure;
	scfg.draining = draining;
	scfg.arg = (void *)o;
	scfg.stop = &proc_stop;
	scfg.waitmask = &waitmask;
	int r = listener_run(lfd, &scfg, &e);
	close(lfd);
	xfer_pipes_free(&pipes);
	proc_release_stops(&before);
	return r < 0 ? report_error(PROG, &e) : r;
}

/* SPEC G-8: -v says each redirect followed. */
static void redirected(void *arg, const char *peer, const struct httpc_url *to)
{
	const struct opts_recv *o = arg;
	char u[HTTPC_URL_MAX + 1];
	if (o->c.verbose && httpc_url_format(to, u, sizeof u))
		report_note(PROG, "%s redirects to %s", peer, u);
}

/* A receive's talk: its options and its progress line. */
struct talk {
	const struct opts_recv *o;
	bool tls;          /* the push comes over TLS (SPEC T-8: a listener may need it) */
	struct progress pg;
};

/* SPEC C-10: the progress hook for a transfer with base bytes already there, or NULL. */
static const struct step_progress *begin_progress(void *arg, uint64_t base)
{
	struct talk *t = arg;
	return progress_wanted(t->o->c.progress, t->o->c.quiet) ? progress_start(&t->pg, PROG, base) : NULL;
}

static void end_progress(void *arg)
{
	struct talk *t = arg;
	progress_end(&t->pg);
}

/* SPEC S-10: descriptors ran out while a push waits to be taken: said once a spell. */
static void accept_pressed(void *arg, const char *reason)
{
	(void)arg;
	report_note(PROG, "accept: %s; pausing new connections", reason);
}

/* The one push a sender makes (SPEC P-1): listen, take it. */
static int take_push(void *arg, char *peer, size_t peerlen, struct zerr *e)
{
	const struct talk *t = arg;
	int lfd = open_listener(t->o, t->tls, e);
	if (lfd < 0)
		return -1;
	int sock = net_accept_patiently(lfd, peer, peerlen, t->o->c.quiet ? NULL : accept_pressed, NULL, e);
	close(lfd);
	return sock;
}

/* SPEC R-20: what a user is told of the partial. */
static void say(void *arg, const struct recv_note *n)
{
	const struct talk *t = arg;
	if (n->kind == RECV_UNSYNCED) /* an error line: said even with -q */
		report_error(PROG, &n->err);
	else if (t->o->c.quiet || n->kind == RECV_NOTE_NONE)
		return;
	else if (n->kind == RECV_NOT_CONTINUED)
		report_note(PROG, "%s: not continued, %s; starting over", n->partial, n->why);
	else if (n->kind == RECV_REMOVED)
		report_note(PROG, "%s: %s; removed (run again to fetch the file anew)", n->partial, n->why);
	else if (n->kind == RECV_KEPT)
		report_note(PROG, "kept %s: run again with --resume to fetch the rest", n->partial);
}

/* A transfer's end, said: the R-15 warning and the summary with the path that
 * moved the bytes and how TLS ran (SPEC T-6; -v: with the system calls). Returns 0. */
static int received(const struct opts_recv *o, const struct recv_result *res)
{
	if (res->ack_err && !o->c.quiet) /* SPEC R-15 */
		report_note(PROG, "warning: sendto %s: %s; every byte is committed, but the sender "
			    "may report a failure", res->peer, strerror(res->ack_err));
	if (!o->c.quiet) { /* SPEC C-10: the summary; -v adds the system calls */
		char line[512], how[32];
		snprintf(how, sizeof how, "%s%s%s%s", xfer_path_name(res->path), res->tls ? ", tls " : "",
			 res->tls ? res->tls : "", res->chunked && o->c.verbose ? ", chunked" : ""); /* SPEC G-6 */
		report_format(line, sizeof line, "received", res->bytes, "from", res->peer, res->seconds, how,
			      o->c.verbose ? &res->stats : NULL);
		if (res->streams > 1)
			report_note(PROG, "%s; %u streams", line, res->streams);
		else
			report_note(PROG, "%s", line);
	}
	return 0;
}

/* One output (SPEC ): one or N streams, resumable or not. */
static int receive(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	_Static_assert(OPTS_STREAMS_MAX == STREAMS_MAX, "--streams bounds");
	struct talk t = {.o = o, .tls = cfg->tls != NULL};
	struct recv_cfg rc = {
		.fetch = cfg, .addr = o->c.addr, .streams = o->streams, .resume = o->resume,
		.restart = o->restart, .fsync = o->fsync, .accept = o->c.role == OPTS_LISTEN ? take_push : NULL,
		.begin_progress = begin_progress, .end_progress = end_progress, .note = say, .arg = &t,
	};
	struct recv_result res;
	struct zerr e;
	if (recv_run(&rc, out, &res, &e) < 0) {
		int code = report_error(PROG, &e);
		if (res.unanswered) /* SPEC S-14 */
			report_note(PROG, "the sender answered the probe but not a part: with --once or --count N "
				    "it takes N connections, and --streams %u makes up to %u (the probe, then the parts)",
				    o->streams, o->streams + 1);
		say(&t, &res.partial);
		return code;
	}
	return received(o, &res);
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

	static struct httpc_url url; /* SPEC G-1: what -c URL names, and the address it dials */
	char addr[HTTPC_HOST_MAX + 16];
	if (o.c.url) {
		const char *uwhy;
		if (httpc_url_parse(o.c.url, strlen(o.c.url), NULL, &url, &uwhy) < 0) {
			snprintf(why, sizeof why, "URL '%s': %s", o.c.url, uwhy);
			return report_usage_error(PROG, why);
		}
		snprintf(addr, sizeof addr, url.ipv6 ? "[%s]:%u" : "%s:%u", url.host, (unsigned)url.port);
		o.c.addr = addr;
		o.c.tls.system_ca = true; /* SPEC G-9: an https:// URL, or a redirect to one */
	}

	struct stat st; /* SPEC R-18 R-19: known before a FIFO's open() would wait for a reader */
	bool special = o.output && stat(o.output, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
	if (special && o.streams > 1)
		return report_usage_error(PROG, "--streams writes parts at their offsets: -o must be a "
					  "file, a directory or --discard");
	if (special && o.has_sha256) /* SPEC G-12 */
		return report_usage_error(PROG, "--sha256 reads back what it stored: -o must be a file or a "
					  "directory");
	if (special && o.verify)
		return report_usage_error(PROG, "--verify reads back what it stored: -o must be a file "
					  "or a directory");
	unsigned flags = (o.force ? FSIO_FORCE : 0) | (o.fsync ? FSIO_FSYNC : 0) |
			 (o.name || o.c.url ? FSIO_NAMED : 0); /* SPEC G-2: a URL names its file */
	if (fsio_out_init(&out, o.discard ? NULL : o.output, flags, &e) < 0)
		return report_error(PROG, &e);
	if (out.mode == FSIO_STDOUT && (closed & PROC_STDOUT_CLOSED)) {
		zerr_sys(&e, ZCP_EXIT_FILE, "write", "<stdout>", EBADF);
		return report_error(PROG, &e);
	}
	if (o.c.url && out.mode == FSIO_DIR && !url.name[0]) { /* SPEC G-2 */
		snprintf(why, sizeof why, "URL '%s' names no file (%s): give -o FILE", o.c.url, url.name_why);
		return report_usage_error(PROG, why);
	}
	if (o.c.raw && out.mode == FSIO_DIR) /* SPEC R-4 */
		return report_usage_error(PROG, "--raw has no file name: -o must name a file");
	bool many = o.c.role == OPTS_LISTEN && out.mode == FSIO_DIR; /* SPEC R-16 */
	if (o.srv.given && !many)
		return report_usage_error(PROG, "--once, --count, --max-clients, --max-chunk, --drain and "
					  "--header-timeout need --listen into a directory");
	/* SPEC C-11: a loop's connections, or the parts of --streams, within the limit */
	uint64_t limit = proc_raise_nofile(), need = 0;
	uint32_t conns = many ? o.srv.max_clients : o.streams, asked = conns;
	enum proc_fit fit = many || o.streams > 1 ? proc_fit_clients(limit, &conns, !many || o.srv.max_clients_given,
								      o.c.path == XFER_SPLICE, &need) : PROC_FITS;
	done = report_fit(PROG, many ? "--max-clients" : "--streams", fit, asked, conns, need, limit, o.c.quiet);
	if (done >= 0)
		return done;
	if (many)
		o.srv.max_clients = conns;

	struct fetch_cfg cfg = {
		.path = o.c.path, .chunk = o.c.chunk, .raw = o.c.raw, .offset = o.offset,
		.length = o.length, .name = o.name, .max_size = o.max_size,
		.timeout_ms = opts_timeout_ms(&o.c), .verify = o.verify,
		.header_timeout_ms = many ? opts_ms(o.header_timeout_s, 0) : 0, /* 0 = none */
		.run = o.c.url ? hget_one : fetch_one, .url = o.c.url ? &url : NULL, /* SPEC G-1 */
		.redirected = redirected, .redirected_arg = &o, .sha256 = o.has_sha256 ? o.sha256 : NULL,
	};
	bool written = out.mode == FSIO_STDOUT || out.mode == FSIO_DEVICE;
	if (cfg.path == XFER_SPLICE && written && !fsio_accepts_splice(out.fd)) {
		cfg.path = XFER_COPY; /* SPEC R-5 */
		if (!o.c.quiet)
			report_note(PROG, "splice %s: not supported by this output; using copy",
				    out.mode == FSIO_STDOUT ? "<stdout>" : out.path);
	}
	if (o.resume && out.mode != FSIO_FILE) /* SPEC R-20 */
		return report_usage_error(PROG, "--resume needs -o FILE: the partial is kept beside it");
	if ((done = report_tls(PROG, &o.c, &cfg.tls)) >= 0) /* SPEC T-1 */
		return done;
	int r = many ? receive_all(&o, &cfg, &out) : receive(&o, &cfg, &out);
	tls_ctx_free(cfg.tls);
	return r;
}
