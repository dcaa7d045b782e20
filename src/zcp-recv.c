/* zcp-recv - fetch a file from zcp-send, or accept what it pushes: one file, or into
 * a directory as many pushes at once as come (SPEC R, C, E). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fsio.h"
#include "net.h"
#include "opts.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "server.h"
#include "resume.h"
#include "streams.h"

static const char PROG[] = "zcp-recv";

/* SPEC R-2: no named temporary file outlives a signal (an anonymous one never can). */
static void on_signal(int sig)
{
	fsio_cleanup_all();
	resume_unlock(); /* SPEC R-21 */
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

static int listen_on(const struct opts_recv *o, struct zerr *e)
{
	char bound[NET_ADDR_MAX];
	int lfd = net_listen(o->c.addr, bound, sizeof bound, e);
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
	struct fetch_push push = {.cfg = cfg, .out = out};
	struct server_cfg scfg = {
		.kind = &fetch_ops, .kind_arg = &push, .max_chunk = o->srv.max_chunk,
		.max_clients = o->srv.max_clients, .count = o->srv.count, .drain_ms = (int)o->srv.drain_s * 1000,
		.log = log_push, .note = pressure, .draining = draining, .arg = (void *)o, .stop = &proc_stop,
		.waitmask = &waitmask,
	};
	int r = server_run(lfd, &scfg, &e);
	close(lfd);
	xfer_pipes_free(&pipes);
	proc_release_stops(&before);
	return r < 0 ? report_error(PROG, &e) : r;
}

/* SPEC C-10: the progress hook for a transfer with base bytes already there, or NULL. */
static const struct step_progress *watch(const struct opts_recv *o, struct progress *pg, uint64_t base)
{
	return progress_wanted(o->c.progress, o->c.quiet) ? progress_start(pg, PROG, base) : NULL;
}

/* A transfer's end, said: the R-15 warning and the summary (-v: with the system
 * calls). Returns 0. */
static int received(const struct opts_recv *o, const struct fetch_cfg *cfg, const char *peer,
		    uint64_t bytes, double seconds, int ack_err, const struct xfer_stats *stats,
		    unsigned streams)
{
	if (ack_err && !o->c.quiet) /* SPEC R-15 */
		report_note(PROG, "warning: sendto %s: %s; every byte is committed, but the sender "
			    "may report a failure", peer, strerror(ack_err));
	if (!o->c.quiet) { /* SPEC C-10: the summary; -v adds the system calls */
		char line[512];
		report_format(line, sizeof line, "received", bytes, "from", peer, seconds,
			      xfer_path_name(cfg->path), o->c.verbose ? stats : NULL);
		if (streams > 1)
			report_note(PROG, "%s; %u streams", line, streams);
		else
			report_note(PROG, "%s", line);
	}
	return 0;
}

/* One transfer: fetch from a sender, or take the one push a sender makes. */
/* Connects (or takes the one push) and runs the transfer: fetch_one()'s result. */
static int fetch_connected(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out,
			   char peer[NET_ADDR_MAX], struct fetch_report *rep, struct xfer_stats *stats,
			   struct zerr *e)
{
	int sock;
	memset(rep, 0, sizeof *rep);
	memset(stats, 0, sizeof *stats);
	if (o->c.role == OPTS_CONNECT) {
		sock = net_connect(o->c.addr, cfg->timeout_ms, peer, NET_ADDR_MAX, e);
	} else {
		int lfd = listen_on(o, e);
		if (lfd < 0)
			return -1;
		sock = report_accept(PROG, lfd, peer, NET_ADDR_MAX, o->c.quiet, e);
		close(lfd);
	}
	if (sock < 0)
		return -1;
	int r = fetch_one(sock, peer, cfg, out, rep, stats, e);
	close(sock);
	return r;
}

static int receive_one(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	char peer[NET_ADDR_MAX];
	struct zerr e;
	struct xfer_stats stats;
	struct fetch_report rep;
	struct progress pg;
	struct fetch_cfg wc = *cfg;
	wc.progress = watch(o, &pg, 0);
	int r = fetch_connected(o, &wc, out, peer, &rep, &stats, &e);
	if (wc.progress)
		progress_end(&pg);
	if (r < 0)
		return report_error(PROG, &e);
	return received(o, cfg, peer, rep.received, rep.seconds, rep.ack_err, &stats, 1);
}

/* A resumable transfer's partial and output, for record_ident(). */
struct resumable {
	struct resume *rs;
	const struct fsio_out *out;
};

/* SPEC R-22 R-20: before the first byte, room for the file; for a fresh partial,
 * its record. */
static int record_ident(void *arg, const struct wire_ident *id, struct zerr *e)
{
	const struct resumable *rz = arg;
	if (fsio_out_room(rz->out, id->size, e) < 0)
		return -1;
	return rz->rs->have ? 0 : resume_record(rz->rs, id, 0, e);
}

/* SPEC R-20: a resumable transfer failed with code: its partial is kept (flushed
 * with --fsync), unless the source changed or the partial does not hash to it. */
static int resumable_failed(const struct opts_recv *o, struct resume *rs, bool changed, bool mismatch, int code)
{
	if (changed || mismatch) { /* SPEC W-16 R-20: nothing stale is kept */
		resume_drop(rs);
		if (!o->c.quiet)
			report_note(PROG, "%s: %s; removed (run again to fetch the file anew)", rs->partial,
				    mismatch ? "it does not hash to the sender's file"
					     : "the source changed since this partial copy began");
		return code;
	}
	if (!resume_kept(rs)) { /* nothing was stored: a record alone is of nothing */
		resume_drop(rs);
		return code;
	}
	struct zerr se;
	if ((o->fsync ? resume_sync(rs, &se) : 0) < 0)
		report_error(PROG, &se);
	else if (!o->c.quiet)
		report_note(PROG, "kept %s: run again with --resume to fetch the rest", rs->partial);
	return code;
}

/* SPEC R-20: with --fsync, SIGINT and SIGTERM end the program on this thread, after
 * the partial is flushed and recorded as on disk (a reboot keeps its bytes). */
static struct resume *_Atomic syncing;
static sigset_t orderly;

static void *end_orderly(void *arg)
{
	(void)arg;
	int sig;
	while (sigwait(&orderly, &sig) != 0)
		;
	struct zerr ignored; /* ending anyway: a partial that cannot be synced stays unsynced */
	struct resume *rs = syncing;
	if (rs)
		resume_sync_last(rs, &ignored);
	fsio_cleanup_all();
	resume_unlock();
	proc_die(sig);
	return NULL;
}

/* Sends SIGINT and SIGTERM to end_orderly() for rs from now on (every thread started
 * later inherits the mask). Without the thread they stay with on_signal(). */
static void sync_on_signals(struct resume *rs)
{
	pthread_t t;
	sigset_t old;
	syncing = rs;
	sigemptyset(&orderly);
	sigaddset(&orderly, SIGINT);
	sigaddset(&orderly, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &orderly, &old);
	if (pthread_create(&t, NULL, end_orderly, NULL) != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	else
		pthread_detach(t);
}

/* SPEC R-20: the partial of out, found or not; NULL after a reported error. */
static struct resume *find_partial(const struct opts_recv *o, struct resume *rs, const struct fsio_out *out,
				   int *code)
{
	struct zerr e;
	if (resume_find(rs, out->final, o->name, o->restart, &e) < 0) {
		*code = report_error(PROG, &e);
		return NULL;
	}
	rs->durable = o->fsync; /* SPEC R-20: with --fsync no record lags its own writing */
	if (o->fsync)
		sync_on_signals(rs);
	if (rs->distrust && !o->c.quiet)
		report_note(PROG, "%s: not continued, %s; starting over", rs->partial, rs->distrust);
	return rs;
}

static int fetch_streams(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out,
			 struct resume *rp);

/* SPEC R-20: one transfer into the partial file of out, continuing a trusted one. */
static int receive_resumable(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	struct resume rs;
	struct zerr e;
	int code;
	if (!find_partial(o, &rs, out, &code))
		return code;
	if (rs.have && rs.parts && !o->verify) /* SPEC R-20: a partial of parts goes on in parts */
		return fetch_streams(o, cfg, out, &rs);
	if (rs.have && rs.parts) { /* --verify hashes from byte 0: parts cannot be continued */
		if (!o->c.quiet)
			report_note(PROG, "%s: not continued, it is in parts and --verify is on; starting over",
				    rs.partial);
		resume_forget(&rs);
	}
	struct fetch_cfg rc = *cfg;
	rc.want_ident = true;
	rc.on_ident = record_ident;
	struct resumable rz = {&rs, out};
	rc.on_ident_arg = &rz;
	if (rs.have) {
		rc.if_ident = &rs.ident;
		rc.offset = rc.prefix = rs.keep;
	}
	fsio_out_use_partial(out, rs.partial, rs.keep);
	char peer[NET_ADDR_MAX];
	struct fetch_report rep;
	struct xfer_stats stats;
	struct progress pg;
	rc.progress = watch(o, &pg, rs.keep);
	int r = fetch_connected(o, &rc, out, peer, &rep, &stats, &e);
	if (rc.progress)
		progress_end(&pg);
	if (r == 0) {
		resume_drop(&rs); /* the record; the partial is the final file now */
		return received(o, &rc, peer, rep.received, rep.seconds, rep.ack_err, &stats, 1);
	}
	return resumable_failed(o, &rs, rep.resp.status == WIRE_CHANGED, rep.mismatch, report_error(PROG, &e));
}

/* SPEC R-18: one transfer over o->streams connections, into the partial rp when
 * not NULL. */
static int fetch_streams(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out,
			 struct resume *rp)
{
	_Static_assert(OPTS_STREAMS_MAX == STREAMS_MAX, "--streams bounds");
	char peer[NET_ADDR_MAX];
	struct zerr e;
	struct streams_report rep;
	struct progress pg;
	const struct step_progress *hook = watch(o, &pg, 0);
	int r = streams_fetch(o->c.addr, o->streams, cfg, hook, rp, out, peer, sizeof peer, &rep, &e);
	if (hook)
		progress_end(&pg);
	if (r < 0) {
		int code = report_error(PROG, &e);
		if (rep.unanswered) /* SPEC S-14 */
			report_note(PROG, "the sender answered the probe but not a part: with --once or --count N "
				    "it takes N connections, and --streams %u makes up to %u (the probe, then the parts)",
				    o->streams, o->streams + 1);
		return rp ? resumable_failed(o, rp, rep.changed, rep.mismatch, code) : code;
	}
	if (rp)
		resume_drop(rp);
	return received(o, cfg, peer, rep.received, rep.seconds, rep.ack_err, &rep.stats, rep.parts);
}

static int receive_streams(const struct opts_recv *o, const struct fetch_cfg *cfg, struct fsio_out *out)
{
	struct resume rs;
	int code;
	if (o->resume && !find_partial(o, &rs, out, &code))
		return code;
	return fetch_streams(o, cfg, out, o->resume ? &rs : NULL);
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

	struct stat st; /* SPEC R-18 R-19: known before a FIFO's open() would wait for a reader */
	bool special = o.output && stat(o.output, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
	if (special && o.streams > 1)
		return report_usage_error(PROG, "--streams writes parts at their offsets: -o must be a "
					  "file, a directory or --discard");
	if (special && o.verify)
		return report_usage_error(PROG, "--verify reads back what it stored: -o must be a file "
					  "or a directory");
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
		.header_timeout_ms = many ? (int)o.header_timeout_s * 1000 : 0, /* 0 = none */
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
	int code = many ? receive_all(&o, &cfg, &out) : o.streams > 1 ? receive_streams(&o, &cfg, &out)
		 : o.resume ? receive_resumable(&o, &cfg, &out) : receive_one(&o, &cfg, &out);
	resume_unlock(); /* SPEC R-21 */
	return code;
}
