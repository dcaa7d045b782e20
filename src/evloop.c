/* evloop - epoll and a binary min-heap of deadlines. */
#include "evloop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

int evloop_init(struct evloop *l)
{
	*l = (struct evloop){0};
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	return l->ep < 0 ? -1 : 0;
}

void evloop_free(struct evloop *l)
{
	close(l->ep);
	free(l->heap);
	*l = (struct evloop){.ep = -1};
}

int evloop_watch(struct evloop *l, int fd, uint32_t events, void *ptr, int add)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};
	return epoll_ctl(l->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

void evloop_forget(struct evloop *l, int fd)
{
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void place(struct evloop *l, size_t i, struct evloop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

/* Moves the timer at i up or down until the heap is in order again. */
static void fix(struct evloop *l, size_t i)
{
	struct evloop_timer *t = l->heap[i];
	while (i > 0 && l->heap[(i - 1) / 2]->at > t->at) {
		place(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->n)
			break;
		if (c + 1 < l->n && l->heap[c + 1]->at < l->heap[c]->at)
			c++;
		if (l->heap[c]->at >= t->at)
			break;
		place(l, i, l->heap[c]);
		i = c;
	}
	place(l, i, t);
}

static void remove_at(struct evloop *l, size_t i)
{
	l->heap[i]->at = 0;
	struct evloop_timer *last = l->heap[--l->n];
	if (i < l->n) {
		place(l, i, last);
		fix(l, i);
	}
}

int evloop_set(struct evloop *l, struct evloop_timer *t, int64_t at)
{
	if (t->at) { /* set already: move it, or take it out */
		if (at == 0) {
			remove_at(l, t->slot);
			return 0;
		}
		t->at = at;
		fix(l, t->slot);
		return 0;
	}
	if (at == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct evloop_timer **h = realloc(l->heap, cap * sizeof *h);
		if (!h)
			return -1;
		l->heap = h, l->cap = cap;
	}
	t->at = at;
	place(l, l->n++, t);
	fix(l, t->slot);
	return 0;
}

struct evloop_timer *evloop_due(struct evloop *l, int64_t now)
{
	if (l->n == 0 || l->heap[0]->at > now)
		return NULL;
	struct evloop_timer *t = l->heap[0];
	remove_at(l, 0);
	return t;
}

int evloop_wait(struct evloop *l, struct epoll_event *ev, int max, int64_t now, int64_t limit,
		const sigset_t *sigmask)
{
	int64_t until = l->n ? l->heap[0]->at : 0;
	if (limit && (!until || limit < until))
		until = limit;
	int64_t ms = until ? until - now : -1;
	if (until && ms < 0)
		ms = 0;
	int n = epoll_pwait(l->ep, ev, max, ms > INT_MAX ? INT_MAX : (int)ms, sigmask);
	return n < 0 && errno == EINTR ? 0 : n;
}
