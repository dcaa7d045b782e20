/* listener - every connection a listening socket takes from one event loop (SPEC S-13..S-16, R-16): each
 * accepted connection, up to --max-clients, is a state machine of one kind (a
 * step.h table: serve_ops, a receiver fetching; fetch_ops, a sender pushing) that
 * steps when its socket is ready, moves at most --max-chunk bytes a turn, and has
 * its own deadline in the loop's heap; a stop request drains the transfers in
 * flight for at most --drain. Never prints: every ended transfer goes to the log
 * callback. */
#ifndef ZCP_LISTENER_H
#define ZCP_LISTENER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "opts.h"
#include "step.h"
#include "zerr.h"

/* A worker of listener_workers() (SPEC S-14 S-16): its place, and each worker's live
 * connections in memory all of them share, so --max-clients bounds the server. */
struct listener_worker {
	unsigned index;
	unsigned n;              /* the workers */
	_Atomic unsigned *live;  /* [LISTENER_WORKERS_MAX], one each */
};

#define LISTENER_WORKERS_MAX 256
#define LISTENER_BALANCE_MS 2 /* a busier worker's rest from accepting (SPEC S-16) */
#define LISTENER_HELD_MAX 64    /* refusals waiting for their first bytes, a loop (SPEC S-14) */
#define LISTENER_BUSY_WAIT_MS 1000 /* the longest such a wait (the header timeout if shorter) */

struct listener_cfg {
	const struct step_ops *kind; /* what each connection is (serve_ops, fetch_ops) */
	const void *kind_arg;      /* what kind->init() starts each with; outlives the loop */
	uint64_t max_chunk;        /* bytes a connection moves per turn (SPEC S-13) */
	unsigned max_clients;      /* connections at once; more are refused, told kind->busy() (S-14) */
	int busy_wait_ms;          /* SPEC S-14 H-10: a refused connection whose first bytes are not
				    * there yet waits for them at most this long (at most
				    * LISTENER_HELD_MAX at once), so busy() can choose its words
				    * from them; 0: refused at once */
	uint64_t count;            /* transfers to serve before stopping; 0 = no limit */
	int drain_ms;              /* after a stop request, at most this for the transfers in flight */
	int notsent_lowat;         /* TCP_NOTSENT_LOWAT for each connection; 0 = the kernel's */
	void (*log)(void *arg, const struct step_log *); /* each ended or refused connection */
	void (*note)(void *arg, const char *text); /* resource pressure (S-10) */
	void (*draining)(void *arg, int sig, unsigned live); /* a stop came (S-15); may be NULL */
	void *arg;
	volatile sig_atomic_t *stop; /* nonzero (the signal number): stop accepting, drain */
	const sigset_t *waitmask;    /* the signal mask while waiting (the stop signals unblocked) */
	const struct listener_worker *worker; /* one of listener_workers(), lfd shared; or NULL */
};

/* listener_cfg_of() - a listener_cfg with the options' part set (--max-chunk,
 * --max-clients, --count, --drain), the rest zero for the caller to fill. */
struct listener_cfg listener_cfg_of(const struct opts_server *o);

/* listener_run() - serve the connections arriving on lfd until cfg->count transfers
 * ended or a stop was requested and the transfers in flight ended (SPEC S-15).
 * Returns the exit status: 0; with a count, the exit class of the first transfer
 * that failed; after a stop whose drain ran out, 128 + the signal. Returns -1 with
 * *e set when the loop itself failed (the listening socket, epoll). As a worker
 * (cfg->worker), lfd is shared: it is watched with EPOLLEXCLUSIVE, a worker that
 * holds more connections than another rests from accepting for LISTENER_BALANCE_MS
 * after each it takes, and a stop closes it here instead of shutting it down for
 * every worker. */
int listener_run(int lfd, const struct listener_cfg *cfg, struct zerr *e);

/* listener_workers() - SPEC S-16: run(lfd, worker, arg) in each of n child processes
 * sharing the one listening socket lfd (each returns its exit status), and
 * supervise them: every SIGINT or SIGTERM the caller gets is passed on to the
 * workers with its count (proc_stops_relayed_by()); a worker killed by a signal
 * while no stop came is replaced, said through note(arg, text), at most once a
 * second per worker. While this runs, its own handlers for SIGINT, SIGTERM and
 * SIGCHLD stand in for the caller's. Returns when all have ended: the first
 * nonzero status of a worker (128 + signal for one that a signal ended), else 0;
 * or -1 with *e set when not even one could start. lfd is closed either way. */
int listener_workers(int lfd, unsigned n,
		   int (*run)(int lfd, const struct listener_worker *w, void *arg),
		   void (*note)(void *arg, const char *text), void *arg, struct zerr *e);

#endif
