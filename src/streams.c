/* streams - probe, cut the range, fetch the parts on threads, commit once. */
#include "streams.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hget.h"
#include "httpc.h"
#include "mono.h"
#include "net.h"
#include "resume.h"

struct part {
	struct group *g;
	struct fetch_cfg cfg;
	struct step_progress hook;     /* counts into moved */
	_Atomic uint64_t moved;        /* bytes stored by this run */
	uint64_t base;                 /* bytes of the part stored by earlier runs */
	bool skip;                     /* nothing left of it: no connection */
	bool open;                     /* sock is open (under g->lock: another thread may cut it) */
	int sock;
	struct fetch_report rep;
	struct xfer_stats stats;
	struct zerr err;
	int result;
	pthread_t thread;
};

struct group {
	struct part part[STREAMS_MAX];
	unsigned k;
	char peer[NET_ADDR_MAX];
	char name[ZCP_PATH_MAX + 1];
	struct wire_ident ident;  /* the probe's answer: every part's */
	char validator[FETCH_VALIDATOR_MAX]; /* HTTP: the probe's, each part's If-Range (G-10) */
	bool weak_etag;           /* HTTP: the probe's answer had a weak ETag: no If-Range */
	struct httpc_url landed;  /* HTTP: the URL that answered the probe, which each part asks */
	bool has_repr;            /* HTTP: the probe's Repr-Digest, the file's SHA-256 (G-10) */
	uint8_t repr[FHASH_SHA256_SIZE];
	char repr_field[FETCH_VALIDATOR_MAX]; /* HTTP: the probe's Repr-Digest field, or "" */
	bool repr_seen, repr_kept; /* HTTP: the probe had one; repr_field is it */
	struct fsio_out *out;
	pthread_mutex_t lock; /* each part's open, so that a cut never shuts a closed socket */
	atomic_int failed; /* 1 + the index of the first part that failed, or 0 */
	atomic_uint ended; /* parts whose thread is done */
};

unsigned streams_parts(uint64_t total, unsigned n)
{
	if (total == 0)
		return 0;
	uint64_t most = total / STREAMS_MIN_PART;
	return most == 0 ? 1 : most < n ? (unsigned)most : n;
}

void streams_part(uint64_t offset, uint64_t total, unsigned k, unsigned i, uint64_t *off, uint64_t *len)
{
	uint64_t base = total / k, extra = total % k;
	*off = offset + base * i + (i < extra ? i : extra);
	*len = base + (i < extra);
}

/* Shuts down the socket of every part still open, except the part except, so
 * that whatever call they wait in returns now. */
static void cut(struct group *g, const struct part *except)
{
	pthread_mutex_lock(&g->lock);
	for (unsigned i = 0; i < g->k; i++)
		if (&g->part[i] != except && g->part[i].open)
			shutdown(g->part[i].sock, SHUT_RDWR);
	pthread_mutex_unlock(&g->lock);
}

/* Closes p's socket, under the lock a cut takes. */
static void close_part(struct group *g, struct part *p)
{
	pthread_mutex_lock(&g->lock);
	if (p->open)
		close(p->sock);
	p->open = false;
	pthread_mutex_unlock(&g->lock);
}

/* The first failure cuts the other parts. */
static void *run_part(void *arg)
{
	struct part *p = arg;
	struct group *g = p->g;
	p->result = fetch_run(p->sock, g->peer, &p->cfg, g->out, &p->rep, &p->stats, &p->err);
	atomic_fetch_add(&g->ended, 1);
	int none = 0;
	if (p->result < 0 && atomic_compare_exchange_strong(&g->failed, &none, (int)(p - g->part) + 1))
		cut(g, p);
	return NULL;
}

static void add_stats(struct xfer_stats *to, const struct xfer_stats *from)
{
	for (int s = 0; s < XS_COUNT; s++)
		to->calls[s] += from->calls[s];
}

static void count_part(void *arg, uint64_t moved, uint64_t total)
{
	(void)total;
	struct part *p = arg;
	atomic_store(&p->moved, moved);
}

/* SPEC R-20: each part's stored bytes into the record, when they changed (rs->done
 * is read by a signal's last sync on another thread: changed by the record only). */
static void record_parts(struct group *g, struct resume *rs, bool final)
{
	bool changed = false;
	uint64_t done[STREAMS_MAX];
	for (unsigned i = 0; i < g->k; i++) {
		const struct part *p = &g->part[i];
		done[i] = p->base + (final ? p->rep.received : atomic_load(&p->moved));
		changed |= done[i] != rs->done[i];
	}
	struct zerr ignored; /* a record that lags only costs bytes fetched again */
	if (changed)
		resume_record_done(rs, done, &ignored);
}

/* While the parts run, every STREAMS_WATCH_MS: their sum to pg, their progress
 * to the record. */
static void watch_parts(struct group *g, unsigned live, uint64_t total, const struct step_progress *pg,
			struct resume *rs)
{
	while (atomic_load(&g->ended) < live) {
		uint64_t sum = 0;
		for (unsigned i = 0; i < g->k; i++)
			sum += g->part[i].base + atomic_load(&g->part[i].moved);
		if (pg)
			pg->tick(pg->arg, sum, total);
		if (rs)
			record_parts(g, rs, false);
		struct timespec ts = {0, STREAMS_WATCH_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* SPEC W-14: ask what the whole range is, without its payload. */
static int probe(struct group *g, const char *addr, const struct fetch_cfg *cfg, const struct resume *rs,
		 struct streams_report *rep, struct zerr *e)
{
	struct fetch_cfg pc = *cfg;
	pc.probe = true;
	/* SPEC R-18: every part must be of this file; R-20: still the partial's? */
	pc.resume = (struct fetch_resume){.want_ident = true, .if_ident = rs && rs->have ? &rs->ident : NULL};
	pc.landed = cfg->url ? &g->landed : NULL; /* SPEC G-10: after its redirects */
	int sock = net_connect(addr, cfg->timeout_ms, g->peer, sizeof g->peer, e);
	if (sock < 0)
		return -1;
	struct fetch_report fr;
	struct xfer_stats st;
	int r = fetch_run(sock, g->peer, &pc, g->out, &fr, &st, e);
	close(sock);
	add_stats(&rep->stats, &st);
	rep->resp = fr.resp;
	rep->changed = fr.resp.status == WIRE_CHANGED;
	rep->no_ranges = fr.no_ranges;
	if (fr.moved_to[0]) /* SPEC G-8 G-10: the server that answered, which the parts dial */
		snprintf(g->peer, sizeof g->peer, "%s", fr.moved_to);
	snprintf(g->validator, sizeof g->validator, "%s", fr.validator);
	g->weak_etag = fr.weak_etag;
	g->has_repr = fr.has_repr_digest;
	memcpy(g->repr, fr.repr_digest, sizeof g->repr);
	snprintf(g->repr_field, sizeof g->repr_field, "%s", fr.repr_field);
	g->repr_seen = fr.repr_seen, g->repr_kept = fr.repr_kept;
	g->ident = fr.ident;
	snprintf(g->name, sizeof g->name, "%s", fr.resp.name);
	return r;
}

/* Connects the parts with bytes left, then starts them: every socket is there
 * before any thread that may cut it runs. Returns 0 when all of them run, or -1
 * with *e set; *started gets how many threads run (to be joined either way). */
static int start_parts(struct group *g, const char *addr, const struct fetch_cfg *cfg,
		       const struct step_progress *pg, const struct resume *rs,
		       const struct wire_response *whole, unsigned *started, struct zerr *e)
{
	char peer[NET_ADDR_MAX];
	/* SPEC G-10: over HTTP, the address that answered the probe (after its redirects),
	 * not the name again: no part reaches another server */
	const char *to = cfg->url ? g->peer : addr;
	*started = 0;
	for (unsigned i = 0; i < g->k; i++) {
		struct part *p = &g->part[i];
		uint64_t off, len;
		streams_part(whole->offset, whole->length, g->k, i, &off, &len);
		p->g = g;
		p->base = rs && rs->have ? rs->done[i] : 0;
		p->skip = p->base >= len;
		p->sock = -1;
		p->cfg = *cfg;
		p->cfg.part = true;
		p->cfg.name = g->name; /* the file the probe was answered about (R-13 checks it) */
		p->cfg.out_base = whole->offset;
		p->cfg.offset = off + p->base;
		p->cfg.length = len - (p->skip ? len : p->base);
		/* SPEC R-18: a part of another file is CHANGED, and one that says so anyway
		 * is refused (W-16) */
		p->cfg.resume = (struct fetch_resume){.want_ident = true, .if_ident = &g->ident};
		p->cfg.if_range = g->validator[0] ? g->validator : NULL; /* SPEC G-10 */
		p->cfg.if_range_weak = g->weak_etag;
		p->cfg.ask = cfg->url ? &g->landed : NULL;
		p->cfg.repr_digest = g->has_repr ? g->repr : NULL;
		p->cfg.repr_field = g->repr_kept ? g->repr_field : NULL;
		p->cfg.repr_seen = g->repr_seen;
		p->hook = (struct step_progress){.every = rs ? STREAMS_RECORD_EVERY : pg ? pg->every : UINT64_MAX,
						 .tick = count_part, .arg = p};
		p->cfg.progress = &p->hook;
	}
	for (unsigned i = 0; i < g->k; i++) { /* every part's base is set: a failure records them all */
		struct part *p = &g->part[i];
		if (p->skip)
			continue;
		p->sock = net_connect(to, cfg->timeout_ms, peer, sizeof peer, e);
		p->open = p->sock >= 0;
		if (p->sock < 0) {
			for (unsigned j = 0; j < g->k; j++) /* none runs: nothing to join */
				close_part(g, &g->part[j]), g->part[j].skip = true;
			return -1;
		}
	}
	for (unsigned i = 0; i < g->k; i++) {
		if (g->part[i].skip)
			continue;
		int err = pthread_create(&g->part[i].thread, NULL, run_part, &g->part[i]);
		if (err) {
			zerr_sys(e, ZCP_EXIT_SYSTEM, "pthread_create", "", err);
			cut(g, NULL); /* the started ones end now */
			for (unsigned j = i; j < g->k; j++)
				close_part(g, &g->part[j]), g->part[j].skip = true;
			return -1;
		}
		(*started)++;
	}
	return 0;
}

/* SPEC G-12: the assembled file read back before the group commits, against --sha256
 * or, when it is the whole file, the probe's Repr-Digest: on this thread, after the
 * parts, a bounded step at a time (each pread counted in rep->stats). Returns 0, or
 * -1 with *e set (rep->mismatch when the bytes are not those). */
static int check_whole(struct group *g, const struct fetch_cfg *cfg, struct streams_report *rep,
		       struct zerr *e)
{
	const struct wire_response *w = &rep->resp;
	bool whole = w->offset == 0 && w->length == w->file_size;
	const uint8_t *want = cfg->sha256 ? cfg->sha256 : g->has_repr && whole ? g->repr : NULL;
	if (!want || g->out->fd < 0 || g->out->mode == FSIO_DISCARD)
		return 0;
	struct fhash h;
	if (fhash_start_sha256(&h, g->out->fd, 0, w->length) < 0)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "malloc", "", errno);
	int r;
	uint8_t md[FHASH_SHA256_SIZE];
	while ((r = fhash_advance(&h, STREAMS_RECORD_EVERY, &rep->stats, md, fsio_out_name(g->out), "stored", e)) == 0)
		;
	fhash_end(&h);
	if (r < 0)
		return -1;
	if (!memcmp(md, want, sizeof md))
		return 0;
	rep->mismatch = true; /* SPEC R-19 R-20: a partial of other bytes is not kept */
	return hget_digest_differs(e, g->peer, w->length, cfg->sha256 ? "--sha256's" : "the server's Repr-Digest");
}

int streams_fetch(const char *addr, unsigned n, const struct fetch_cfg *cfg, const struct step_progress *pg,
		  struct resume *rs, struct fsio_out *out, char *peer, size_t peerlen, struct streams_report *rep,
		  struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	struct group *g = calloc(1, sizeof *g); /* 64 parts' frames: not for the stack */
	if (!g)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "calloc", "", errno);
	g->out = out;
	pthread_mutex_init(&g->lock, NULL);
	int r = probe(g, addr, cfg, rs, rep, e);
	snprintf(peer, peerlen, "%s", g->peer);
	if (r == 0 && rs)
		fsio_out_use_partial(out, rs->partial, rep->resp.length);
	if (r == 0) /* SPEC R-22: before a byte is allocated, and before a record of it */
		r = fsio_out_room(out, rep->resp.length, e);
	if (r == 0 && rs) { /* SPEC R-20: the plan of an earlier run is kept, a new one recorded */
		bool planned = rs->have && rs->parts;
		g->k = rs->have ? (rs->parts ? rs->parts : 1) : streams_parts(rep->resp.length, n);
		if (rs->have && !rs->parts)
			rs->done[0] = rs->keep; /* a one-stream partial is one part */
		rs->parts = g->k;
		if (!planned) /* the record says parts before the partial is sized to the file */
			r = resume_record(rs, &g->ident, 0, e);
	} else {
		g->k = streams_parts(rep->resp.length, n);
	}
	if (r < 0 || fsio_out_open(out, fsio_base_name(g->name), e) < 0) { /* SPEC R-4 */
		pthread_mutex_destroy(&g->lock);
		free(g);
		return -1;
	}
	rep->parts = g->k;
	double t0 = mono_now();
	unsigned started;
	int all = start_parts(g, addr, cfg, pg, rs, &rep->resp, &started, e);
	if ((pg || rs) && all == 0)
		watch_parts(g, started, rep->resp.length, pg, rs);
	for (unsigned i = 0; i < g->k; i++) {
		struct part *p = &g->part[i];
		if (p->skip)
			continue;
		pthread_join(p->thread, NULL);
		close_part(g, p);
		add_stats(&rep->stats, &p->stats);
		rep->received += p->rep.received;
		if (p->rep.tls) { /* SPEC T-6: every part of one sender runs alike */
			rep->tls = p->rep.tls;
			rep->path = p->rep.path;
		}
		if (p->rep.ack_err && !rep->ack_err)
			rep->ack_err = p->rep.ack_err;
	}
	rep->seconds = mono_now() - t0;
	int failed = atomic_load(&g->failed);
	const struct wire_response *got = NULL; /* the failed part's response; zeroed: none came */
	if (failed > 0 && all == 0) { /* else *e says why they never all ran */
		*e = g->part[failed - 1].err;
		got = &g->part[failed - 1].rep.resp;
		rep->changed = got->status == WIRE_CHANGED;
		rep->mismatch = g->part[failed - 1].rep.mismatch;
	}
	/* a part asks for at least a byte: an OK response declares at least one */
	rep->unanswered = (all < 0 || (got && got->status == WIRE_OK && got->length == 0)) &&
			  e->code == ZCP_EXIT_NET;
	r = all < 0 || failed || check_whole(g, cfg, rep, e) < 0 || fsio_out_commit(out, e) < 0 ? -1 : 0;
	if (r < 0 && rs)
		record_parts(g, rs, true);
	if (r < 0)
		fsio_out_abort(out);
	pthread_mutex_destroy(&g->lock);
	free(g);
	return r;
}
