/* zcp-send - serve FILE or a root to receivers, or push FILE to one (SPEC S, C, E). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "door.h"
#include "fsio.h"
#include "ident.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "serve.h"
#include "listener.h"

static const char PROG[] = "zcp-send";

/* Every transfer: a fallback said (S-5), its record unless -q, and its error line
 * when it failed (E-2). */
static void log_transfer(void *arg, const struct step_log *l)
{
	const struct opts_send *o = arg;
	if (l->fallback_err && !o->c.quiet)
		report_note(PROG, "%s %s: %s; falling back to copy", xfer_path_name(o->c.path),
			    o->file ? o->file : l->name,
			    strerror(l->fallback_err));
	if (!o->c.quiet)
		report_transfer(PROG, l, o->c.verbose);
	if (l->result)
		report_error(PROG, l->err);
}

static void pressure(void *arg, const char *reason)
{
	const struct opts_send *o = arg;
	if (!o->c.quiet)
		report_note(PROG, "accept: %s; pausing new connections", reason);
}

/* SPEC P-1 C-2: push FILE to a listening receiver; one transfer. */
static int push(const struct opts_send *o, const struct serve_cfg *cfg)
{
	char peer[NET_ADDR_MAX];
	struct zerr e;
	int sock = net_connect(o->c.addr, cfg->timeout_ms, peer, sizeof peer, &e);
	if (sock < 0)
		return report_error(PROG, &e);
	struct xfer_stats stats;
	struct serve_report rep;
	struct progress pg; /* SPEC C-10 */
	struct serve_cfg wc = *cfg;
	if (progress_wanted(o->c.progress, o->c.quiet))
		wc.progress = progress_start(&pg, PROG, 0);
	int r = serve_one(sock, peer, &wc, &rep, &stats, &e);
	if (wc.progress)
		progress_end(&pg);
	close(sock);
	struct step_log l = {
		.peer = peer, .name = fsio_base_name(o->file), .offset = rep.offset, .length = rep.length,
		.bytes = rep.sent, .seconds = rep.seconds, .path = rep.path, .tls = rep.tls,
		.fallback_err = rep.fell_back ? rep.fallback_err : 0,
		.result = r < 0 ? (int)e.code : 0, .err = &e, .stats = &stats, .probe = rep.probe,
	};
	log_transfer((void *)o, &l);
	return l.result;
}

/* SPEC S-15: a stop came; from a worker, one line each. */
static void draining(void *arg, int sig, unsigned live)
{
	const struct opts_send *o = arg;
	if (!o->c.quiet)
		report_note(PROG, "%s: draining %u transfers, at most %u s; a second one ends them at once",
			    sig == SIGINT ? "SIGINT" : "SIGTERM", live, (unsigned)o->srv.drain_s);
}

/* SPEC S-16: a worker died and is replaced; said even with -q. */
static void worker_note(void *arg, const char *text)
{
	(void)arg;
	report_note(PROG, "%s", text);
}

struct loop_arg {
	const struct opts_send *o;
	const struct serve_cfg *cfg;
};

/* SPEC S-7 S-13..S-15: one event loop serving the connections of lfd until it is
 * stopped or --count is reached. Returns the exit status. */
static int run_loop(int lfd, const struct listener_worker *w, void *arg)
{
	const struct loop_arg *a = arg;
	const struct opts_send *o = a->o;
	struct zerr e;
	sigset_t before, waitmask;
	proc_catch_stops(NULL, &before, &waitmask); /* SPEC S-15 */
	struct listener_cfg scfg = listener_cfg_of(&o->srv);
	scfg.kind = o->no_http || a->cfg->raw ? &serve_ops : &door_ops; /* SPEC H-1 */
	scfg.kind_arg = a->cfg;
	scfg.notsent_lowat = (int)o->notsent_lowat;
	int hto = a->cfg->header_timeout_ms; /* SPEC S-14 H-10: a refusal waits no longer than a request */
	scfg.busy_wait_ms = hto > 0 && hto < LISTENER_BUSY_WAIT_MS ? hto : LISTENER_BUSY_WAIT_MS;
	scfg.log = log_transfer;
	scfg.note = pressure;
	scfg.draining = draining;
	scfg.arg = (void *)o;
	scfg.stop = &proc_stop;
	scfg.waitmask = &waitmask;
	scfg.worker = w;
	int r = listener_run(lfd, &scfg, &e);
	proc_release_stops(&before); /* a second stop after the loop's last wait ends us now */
	return r < 0 ? report_error(PROG, &e) : r;
}

/* SPEC S-7 S-16: listen, then one event loop, or --workers of them in as many
 * processes sharing the one listening socket. */
static int serve_all(const struct opts_send *o, const struct serve_cfg *cfg)
{
	char bound[NET_ADDR_MAX];
	struct zerr e;
	int lfd = net_listen(o->c.addr, bound, sizeof bound, &e);
	if (lfd < 0)
		return report_error(PROG, &e);
	if (report_protected(PROG, &o->c, cfg->tls != NULL, lfd, bound, "fetch", &e) < 0) { /* SPEC T-8 */
		close(lfd);
		return report_error(PROG, &e);
	}
	if (!o->c.quiet || net_port(o->c.addr) == 0) /* SPEC C-7 */
		fprintf(stderr, "listening on %s\n", bound);
	struct loop_arg arg = {.o = o, .cfg = cfg};
	ident_init(); /* SPEC W-15: one key for all workers, a random one above all */
	if (o->workers <= 1) {
		int r = run_loop(lfd, NULL, &arg);
		close(lfd);
		return r;
	}
	int r = listener_workers(lfd, o->workers, run_loop, worker_note, &arg, &e);
	return r < 0 ? report_error(PROG, &e) : r;
}

int main(int argc, char **argv)
{
	struct opts_send o;
	char why[256];
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
	uint64_t limit = proc_raise_nofile(), need; /* SPEC C-11 */
	if (o.c.role == OPTS_LISTEN) {
		uint32_t asked = o.srv.max_clients;
		enum proc_fit fit = proc_fit_clients(limit, &o.srv.max_clients, o.srv.max_clients_given,
						     o.c.path == XFER_SPLICE, &need);
		done = report_fit(PROG, "--max-clients", fit, asked, o.srv.max_clients, need, limit, o.c.quiet);
		if (done >= 0)
			return done;
	}
	struct tls_ctx *tls;
	if ((done = report_tls(PROG, &o.c, &tls)) >= 0) /* SPEC T-1 */
		return done;

	struct serve_cfg cfg = {
		.file = o.file, .rootfd = -1, .chunk = o.c.chunk, .raw = o.c.raw, .path = o.c.path,
		.timeout_ms = opts_timeout_ms(&o.c),
		.header_timeout_ms = opts_ms(o.header_timeout_s, -1), .tls = tls,
	};
	int r = -1; /* an exit status once known */
	if (o.root) { /* SPEC S-12 */
		cfg.rootfd = open(o.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cfg.rootfd < 0) {
			zerr_sys(&e, ZCP_EXIT_FILE, "open", o.root, errno);
			r = report_error(PROG, &e);
		}
	} else {
		struct stat st;
		int fd = fsio_open_input(o.file, &st, &e); /* SPEC S-1 S-9: fail before serving */
		if (fd < 0)
			r = report_error(PROG, &e);
		else
			close(fd);
	}
	if (r < 0)
		r = o.c.role == OPTS_CONNECT ? push(&o, &cfg) : serve_all(&o, &cfg);
	tls_ctx_free(tls);
	return r;
}
