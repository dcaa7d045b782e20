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

#include "mono.h"
#include "net.h"

struct part {
	struct group *g;
	struct fetch_cfg cfg;
	struct step_progress hook;     /* with a watcher: counts into moved */
	_Atomic uint64_t moved;
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
	struct fsio_out *out;
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

/* The first failure cuts the other parts: their sockets are shut down, so that
 * whatever call they wait in returns now. */
static void *run_part(void *arg)
{
	struct part *p = arg;
	struct group *g = p->g;
	p->result = fetch_one(p->sock, g->peer, &p->cfg, g->out, &p->rep, &p->stats, &p->err);
	atomic_fetch_add(&g->ended, 1);
	int none = 0;
	if (p->result < 0 && atomic_compare_exchange_strong(&g->failed, &none, (int)(p - g->part) + 1))
		for (unsigned i = 0; i < g->k; i++)
			if (&g->part[i] != p)
				shutdown(g->part[i].sock, SHUT_RDWR);
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

/* While the parts run: their sum, to pg, every STREAMS_WATCH_MS. */
static void watch_parts(struct group *g, unsigned started, uint64_t total, const struct step_progress *pg)
{
	while (atomic_load(&g->ended) < started) {
		uint64_t sum = 0;
		for (unsigned i = 0; i < started; i++)
			sum += atomic_load(&g->part[i].moved);
		pg->tick(pg->arg, sum, total);
		struct timespec ts = {0, STREAMS_WATCH_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* SPEC W-14: ask what the whole range is, without its payload. */
static int probe(struct group *g, const char *addr, const struct fetch_cfg *cfg,
		 struct streams_report *rep, struct zerr *e)
{
	struct fetch_cfg pc = *cfg;
	pc.probe = true;
	int sock = net_connect(addr, cfg->timeout_ms, g->peer, sizeof g->peer, e);
	if (sock < 0)
		return -1;
	struct fetch_report fr;
	struct xfer_stats st;
	int r = fetch_one(sock, g->peer, &pc, g->out, &fr, &st, e);
	close(sock);
	add_stats(&rep->stats, &st);
	rep->resp = fr.resp;
	snprintf(g->name, sizeof g->name, "%s", fr.resp.name);
	return r;
}

/* Connects parts 0 .. k-1, then starts them: every socket is there before any
 * thread that may cut it runs. Returns how many threads run (k, unless *e says why). */
static unsigned start_parts(struct group *g, const char *addr, const struct fetch_cfg *cfg,
			    const struct step_progress *pg, const struct wire_response *whole, struct zerr *e)
{
	char peer[NET_ADDR_MAX];
	for (unsigned i = 0; i < g->k; i++) {
		struct part *p = &g->part[i];
		p->g = g;
		p->cfg = *cfg;
		p->cfg.part = true;
		p->cfg.name = g->name; /* the file the probe was answered about (R-13 checks it) */
		p->cfg.out_base = whole->offset;
		if (pg) {
			p->hook = (struct step_progress){.every = pg->every, .tick = count_part, .arg = p};
			p->cfg.progress = &p->hook;
		}
		streams_part(whole->offset, whole->length, g->k, i, &p->cfg.offset, &p->cfg.length);
		p->sock = net_connect(addr, cfg->timeout_ms, peer, sizeof peer, e);
		if (p->sock < 0) {
			while (i--)
				close(g->part[i].sock);
			return 0;
		}
	}
	for (unsigned i = 0; i < g->k; i++) {
		int err = pthread_create(&g->part[i].thread, NULL, run_part, &g->part[i]);
		if (err) {
			zerr_sys(e, ZCP_EXIT_SYSTEM, "pthread_create", "", err);
			for (unsigned j = 0; j < g->k; j++) /* the started ones end now */
				shutdown(g->part[j].sock, SHUT_RDWR);
			for (unsigned j = i; j < g->k; j++)
				close(g->part[j].sock);
			return i;
		}
	}
	return g->k;
}

int streams_fetch(const char *addr, unsigned n, const struct fetch_cfg *cfg, const struct step_progress *pg,
		  struct fsio_out *out, char *peer, size_t peerlen, struct streams_report *rep, struct zerr *e)
{
	memset(rep, 0, sizeof *rep);
	struct group *g = calloc(1, sizeof *g); /* 64 parts' frames: not for the stack */
	if (!g)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "calloc", "", errno);
	g->out = out;
	int r = probe(g, addr, cfg, rep, e);
	snprintf(peer, peerlen, "%s", g->peer);
	const char *last = strrchr(g->name, '/'); /* SPEC R-4: the last component */
	if (r < 0 || fsio_out_open(out, last ? last + 1 : g->name, e) < 0) {
		free(g);
		return -1;
	}
	g->k = rep->parts = streams_parts(rep->resp.length, n);
	double t0 = mono_now();
	unsigned started = start_parts(g, addr, cfg, pg, &rep->resp, e);
	if (pg && started == g->k)
		watch_parts(g, started, rep->resp.length, pg);
	for (unsigned i = 0; i < started; i++) {
		struct part *p = &g->part[i];
		pthread_join(p->thread, NULL);
		close(p->sock);
		add_stats(&rep->stats, &p->stats);
		rep->received += p->rep.received;
		if (p->rep.ack_err && !rep->ack_err)
			rep->ack_err = p->rep.ack_err;
	}
	rep->seconds = mono_now() - t0;
	int failed = atomic_load(&g->failed);
	if (failed > 0 && started == g->k) /* else *e says why they never all ran */
		*e = g->part[failed - 1].err;
	r = started < g->k || failed || fsio_out_commit(out, e) < 0 ? -1 : 0;
	if (r < 0)
		fsio_out_abort(out);
	free(g);
	return r;
}
