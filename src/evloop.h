/* evloop - readiness of many descriptors (epoll, level-triggered) and deadlines kept
 * in order (a binary min-heap, so the next one is found without a scan of every
 * connection). The one loop the servers run (SPEC S-13). Never prints. */
#ifndef ZCP_EVLOOP_H
#define ZCP_EVLOOP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

/* A deadline, embedded in whatever it belongs to. Zero-initialise before use. */
struct evloop_timer {
	int64_t at;  /* mono_ms() instant; 0 = not set */
	size_t slot; /* its place in the heap, while set */
};

struct evloop {
	int ep;
	struct evloop_timer **heap;
	size_t n, cap;
};

/* evloop_init() - an empty loop. Returns 0, or -1 with errno (epoll_create1). */
int evloop_init(struct evloop *l);

/* evloop_free() - close the epoll descriptor and free the heap. */
void evloop_free(struct evloop *l);

/* evloop_watch() - (re)register fd for events (EPOLLIN, EPOLLOUT; 0 keeps it
 * registered but quiet), reporting ptr with them; add says whether fd is new.
 * Returns 0, or -1 with errno. */
int evloop_watch(struct evloop *l, int fd, uint32_t events, void *ptr, int add);

/* evloop_forget() - stop watching fd (before it is closed). */
void evloop_forget(struct evloop *l, int fd);

/* evloop_set() - set t to go off at mono_ms() instant at (0 clears it). Returns 0, or
 * -1 with errno ENOMEM (the heap could not grow; t stays unset). */
int evloop_set(struct evloop *l, struct evloop_timer *t, int64_t at);

/* evloop_due() - the earliest timer set for now or before, cleared; NULL if none. */
struct evloop_timer *evloop_due(struct evloop *l, int64_t now);

/* evloop_wait() - wait for events (at most max) until the earliest timer, but not
 * past limit (a mono_ms() instant; 0 = none), with sigmask in force meanwhile (the
 * signals a caller keeps blocked can interrupt the wait and nothing else).
 * Returns the number of events, 0 at a deadline or a signal, -1 with errno. */
int evloop_wait(struct evloop *l, struct epoll_event *ev, int max, int64_t now, int64_t limit,
		const sigset_t *sigmask);

#endif
