/* recv - one output: the partial first, then one connection or parts, then the
 * partial's fate. */
#include "recv.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "resume.h"
#include "streams.h"

void recv_cleanup(void)
{
	fsio_cleanup_all();
	resume_unlock(); /* SPEC R-21 */
}

/* SPEC R-20: with --fsync, SIGINT, SIGTERM, SIGHUP (a dropped session) and SIGPWR
 * (a UPS's warning) end the program on this thread, after the partial is flushed and
 * recorded as on disk (a reboot keeps its bytes). */
static struct resume *syncing; /* under ending */
static int live_sock = -1;      /* under ending: the one connection storing into it */
static pthread_mutex_t ending = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stopped = PTHREAD_COND_INITIALIZER; /* live_sock became -1 */
#define STOP_WAIT_S 10 /* for the transfer to store what its socket still held */
static sigset_t orderly;

static void *end_orderly(void *arg)
{
	(void)arg;
	int sig;
	while (sigwait(&orderly, &sig) != 0)
		;
	/* S-15's rule: a second signal ends the run at once, by the handler main set,
	 * delivered here, whatever the sync below waits for */
	pthread_sigmask(SIG_UNBLOCK, &orderly, NULL);
	pthread_mutex_lock(&ending); /* never given back: the resume syncing points to stays */
	if (live_sock >= 0) { /* the transfer stops first: no byte is stored after the sync */
		shutdown(live_sock, SHUT_RDWR);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += STOP_WAIT_S;
		while (live_sock >= 0 && pthread_cond_timedwait(&stopped, &ending, &until) == 0)
			;
	}
	struct zerr ignored; /* ending anyway: a partial that cannot be synced stays unsynced */
	if (syncing)
		resume_sync_last(syncing, &ignored);
	recv_cleanup();
	proc_die(sig);
	return NULL;
}

/* Sends the orderly signals to end_orderly() for rs from now on (every thread started
 * later inherits the mask), until the_end(). Without the thread they stay with the
 * caller's handler. */
static void sync_on_signals(struct resume *rs)
{
	pthread_t t;
	sigset_t old;
	pthread_mutex_lock(&ending);
	syncing = rs;
	pthread_mutex_unlock(&ending);
	sigemptyset(&orderly);
	sigaddset(&orderly, SIGINT);
	sigaddset(&orderly, SIGTERM);
	sigaddset(&orderly, SIGHUP);
	sigaddset(&orderly, SIGPWR);
	pthread_sigmask(SIG_BLOCK, &orderly, &old);
	if (pthread_create(&t, NULL, end_orderly, NULL) != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	else
		pthread_detach(t);
}

/* The connection of a one-stream transfer for end_orderly() to stop, or -1 (it
 * has ended: end_orderly() syncs now); may wait for good once that sync began. */
static void set_live(int sock)
{
	pthread_mutex_lock(&ending);
	live_sock = sock;
	pthread_cond_signal(&stopped);
	pthread_mutex_unlock(&ending);
}

/* rs of sync_on_signals() goes out of scope: a signal's sync that took it first
 * keeps it until the process ends (this waits), one after finds none. */
static void the_end(void)
{
	pthread_mutex_lock(&ending);
	syncing = NULL;
	pthread_mutex_unlock(&ending);
}

static void set_note(struct recv_note *n, enum recv_note_kind kind, const char *partial, const char *why)
{
	n->kind = kind;
	snprintf(n->partial, sizeof n->partial, "%s", partial);
	n->why = why;
}

/* SPEC R-20: the partial of out, found (or not) and locked; said when one is there
 * but not trusted. Returns 0, or -1 with *e set. */
static int find_partial(const struct recv_cfg *cfg, struct resume *rs, const struct fsio_out *out,
			struct zerr *e)
{
	if (resume_find(rs, out->final, cfg->fetch->name, cfg->restart, e) < 0)
		return -1;
	if (cfg->fsync)
		sync_on_signals(rs);
	if (rs->distrust && cfg->note) {
		struct recv_note n = {0};
		set_note(&n, RECV_NOT_CONTINUED, rs->partial, rs->distrust);
		cfg->note(cfg->arg, &n);
	}
	return 0;
}

static const struct step_progress *progress_hook(const struct recv_cfg *cfg, uint64_t base)
{
	return cfg->begin_progress ? cfg->begin_progress(cfg->arg, base) : NULL;
}

/* A resumable transfer's partial and output, for record_ident(). */
struct resumable {
	struct resume *rs;
	struct fsio_out *out;
	bool unresumable; /* the source gives nothing to resume a partial by (G-11) */
};

/* SPEC R-22 R-20: before the first byte, room for the file; for a fresh partial,
 * its record, unless no run could resume it (G-11: it is then not recorded, so
 * that even a partial a kill leaves is not trusted). */
static int record_ident(void *arg, const struct wire_ident *id, bool resumable, struct zerr *e)
{
	struct resumable *rz = arg;
	if (fsio_out_room(rz->out, id->size, e) < 0)
		return -1;
	rz->unresumable = !resumable;
	if (!resumable && !rz->rs->have) /* nor is it kept after a signal */
		fsio_out_partial_disposable(rz->out);
	return rz->rs->have || !resumable ? 0 : resume_record(rz->rs, id, 0, e);
}

/* How a transfer failed, for the partial's fate. */
struct failure {
	bool changed;  /* the sender answered CHANGED (W-16) */
	bool mismatch; /* the stored bytes do not hash to the sender's file */
	bool unresumable; /* nothing to resume the partial by (G-11), and it holds bytes */
};

/* One connection, into the partial of rs when not NULL (SPEC R-20: continuing a
 * trusted one). Returns 0 or -1 with *e and *f set. */
static int fetch_single(const struct recv_cfg *cfg, struct fsio_out *out, struct resume *rs,
			struct recv_result *res, struct failure *f, struct zerr *e)
{
	struct fetch_cfg fc = *cfg->fetch;
	struct resumable rz = {rs, out, false};
	uint64_t base = 0;
	if (rs) {
		if (rs->have && rs->parts) { /* --verify hashes from byte 0: parts cannot be continued */
			if (cfg->note) {
				struct recv_note n = {0};
				set_note(&n, RECV_NOT_CONTINUED, rs->partial, "it is in parts and --verify is on");
				cfg->note(cfg->arg, &n);
			}
			resume_forget(rs);
		}
		base = rs->keep;
		if (fc.url && rs->have && base && base == rs->ident.size)
			base--; /* SPEC G-11: a range past the end is a 416, which proves no identity */
		fc.resume = (struct fetch_resume){
			.want_ident = true, .if_ident = rs->have ? &rs->ident : NULL,
			.prefix = rs->have ? base : 0, .on_ident = record_ident, .on_ident_arg = &rz,
		};
		if (rs->have)
			fc.offset = base;
		fsio_out_use_partial(out, rs->partial, base);
	}
	struct fetch_report rep;
	memset(&rep, 0, sizeof rep);
	fc.progress = progress_hook(cfg, base);
	int sock = cfg->accept ? cfg->accept(cfg->arg, res->peer, sizeof res->peer, e)
			       : net_connect(cfg->addr, fc.timeout_ms, res->peer, sizeof res->peer, e);
	int r = -1;
	if (sock >= 0) {
		set_live(sock);
		r = fetch_run(sock, res->peer, &fc, out, &rep, &res->stats, e);
		set_live(-1);
		close(sock);
	}
	if (fc.progress)
		cfg->end_progress(cfg->arg);
	res->bytes = rep.received;
	res->seconds = rep.seconds;
	res->ack_err = rep.ack_err;
	res->streams = 1;
	res->path = rep.path;
	res->tls = rep.tls;
	res->chunked = rep.chunked;
	if (rep.moved_to[0]) /* SPEC G-8: the server that answered */
		snprintf(res->peer, sizeof res->peer, "%s", rep.moved_to);
	f->changed = rep.resp.status == WIRE_CHANGED;
	f->mismatch = rep.mismatch;
	f->unresumable = rz.unresumable && (rep.received > 0 || rs->have); /* else no partial */
	return r;
}

/* SPEC R-18: cfg->streams connections (or the parts rs recorded), into the partial
 * of rs when not NULL. Returns 0 or -1 with *e and *f set. */
static int fetch_parts(const struct recv_cfg *cfg, struct fsio_out *out, struct resume *rs,
		       struct recv_result *res, struct failure *f, struct zerr *e)
{
	struct streams_report rep;
	const struct step_progress *hook = progress_hook(cfg, 0);
	int r = streams_fetch(cfg->addr, cfg->streams, cfg->fetch, hook, rs, out, res->peer, sizeof res->peer,
			      &rep, e);
	if (hook)
		cfg->end_progress(cfg->arg);
	res->bytes = rep.received;
	res->seconds = rep.seconds;
	res->stats = rep.stats;
	res->ack_err = rep.ack_err;
	res->streams = rep.parts;
	res->path = rep.tls ? rep.path : cfg->fetch->path;
	res->tls = rep.tls;
	res->unanswered = rep.unanswered;
	if (rep.no_ranges) /* SPEC G-10: nothing stored yet; one stream does it all */
		return fetch_single(cfg, out, rs, res, f, e);
	f->changed = rep.changed;
	f->mismatch = rep.mismatch;
	return r;
}

/* SPEC R-20: a resumable transfer failed: its partial is kept (flushed with
 * --fsync), unless the source changed or the partial does not hash to it. */
static void failed(const struct recv_cfg *cfg, struct resume *rs, const struct failure *f, struct recv_note *n)
{
	if (f->changed || f->mismatch) { /* SPEC W-16 R-20: nothing stale is kept */
		resume_drop(rs);
		const char *mismatch = cfg->fetch->url ? "it does not hash to the server's file" /* SPEC G-12 */
						       : "it does not hash to the sender's file";
		set_note(n, RECV_REMOVED, rs->partial, f->mismatch ? mismatch : "the source changed since this partial copy began");
	} else if (f->unresumable) { /* SPEC G-11: said once, instead of a partial no run takes */
		resume_drop(rs);
		set_note(n, RECV_REMOVED, rs->partial, "the server gives no validator (no strong ETag, no "
			 "Last-Modified) by which a later run could resume it");
	} else if (!resume_kept(rs)) { /* nothing was stored: a record alone is of nothing */
		resume_drop(rs);
	} else if ((cfg->fsync ? resume_sync(rs, &n->err) : 0) < 0) {
		set_note(n, RECV_UNSYNCED, rs->partial, NULL);
	} else {
		set_note(n, RECV_KEPT, rs->partial, NULL);
	}
}

int recv_run(const struct recv_cfg *cfg, struct fsio_out *out, struct recv_result *res, struct zerr *e)
{
	memset(res, 0, sizeof *res);
	struct resume rs;
	struct resume *rp = cfg->resume ? &rs : NULL;
	struct failure f = {0};
	int r = rp ? find_partial(cfg, rp, out, e) : 0;
	if (r == 0) { /* SPEC R-20: a partial of parts goes on in parts */
		bool parts = cfg->streams > 1 || (rp && rs.have && rs.parts && !cfg->fetch->verify);
		r = parts ? fetch_parts(cfg, out, rp, res, &f, e) : fetch_single(cfg, out, rp, res, &f, e);
		if (rp && r == 0)
			resume_drop(rp); /* the record; the partial is the final file now */
		else if (rp)
			failed(cfg, rp, &f, &res->partial);
	}
	the_end(); /* rs ends here */
	resume_unlock(); /* SPEC R-21 */
	return r;
}
