/* listener - accept, step, time out, drain: the event loop of zcp-send --listen and
 * zcp-recv --listen into a directory. */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evloop.h"
#include "mono.h"
#include "net.h"
#include "proc.h"

#define EVENTS_MAX 256
#define PAUSE_MS 100 /* SPEC S-10: accepting rests this long when descriptors run out */

struct conn {
	struct evloop_timer timer; /* a due timer leads to its connection */
	struct conn *prev, *next;  /* every live connection, timer or not */
	uint32_t watching;         /* the epoll events asked for now */
	struct conn *yield_next;   /* in the listener's yielded list, when yielded */
	bool yielded;
	uint32_t pending;          /* events seen while yielded, for its next step */
	bool held;                 /* a refusal waiting for its first bytes (S-14): state is its
				    * peer's address, it is in the listener's held list */
	int sock;
	_Alignas(max_align_t) unsigned char state[]; /* the kind's, cfg->kind->size bytes */
};

struct listener {
	const struct listener_cfg *cfg;
	struct evloop loop;
	int lfd;
	bool accepting;            /* the listener is watched */
	bool pressed;              /* accept ran out of descriptors and has not succeeded since */
	int64_t pause_until, drain_until;
	struct conn *head;
	struct conn *yielded;      /* stepped again after this round's events (P-11) */
	struct conn *held;         /* refusals waiting for their first bytes (S-14 H-10) */
	unsigned live, nheld;
	uint64_t ended;            /* transfers ended (several a connection in some kinds) */
	bool wound;                /* every connection was told to wind down */
	int status;                /* the first failure's class (with a count) */
};

/* SPEC S-14 S-16: takes a place for one more connection, if the server has one.
 * A worker counts itself first and then all: of two workers taking the last place
 * at once, at least one sees the other and refuses (never more than the limit). */
static bool take_room(struct listener *sv)
{
	const struct listener_worker *w = sv->cfg->worker;
	if (!w)
		return sv->live < sv->cfg->max_clients;
	atomic_fetch_add(&w->live[w->index], 1);
	unsigned all = 0;
	for (unsigned i = 0; i < LISTENER_WORKERS_MAX; i++)
		all += atomic_load(&w->live[i]);
	if (all <= sv->cfg->max_clients)
		return true;
	atomic_fetch_sub(&w->live[w->index], 1);
	return false;
}

/* SPEC S-16: whether this worker holds more connections than another, which should
 * take the next (its wait is woken by it while this one is not waiting). */
static bool busier(const struct listener *sv)
{
	const struct listener_worker *w = sv->cfg->worker;
	if (!w)
		return false;
	unsigned mine = atomic_load(&w->live[w->index]);
	for (unsigned i = 0; i < w->n; i++)
		if (i != w->index && atomic_load(&w->live[i]) < mine)
			return true;
	return false;
}

static void give_room(struct listener *sv)
{
	const struct listener_worker *w = sv->cfg->worker;
	if (w)
		atomic_fetch_sub(&w->live[w->index], 1);
}

/* A transfer ended: said, and counted (with --count, the first failure's class kept). */
static void said(struct listener *sv, const struct step_log *l)
{
	if (l->result && sv->status == 0)
		sv->status = l->result;
	sv->cfg->log(sv->cfg->arg, l);
	sv->ended++;
}

/* Puts c first in the list at *head (the live, or the held). */
static void link_in(struct conn **head, struct conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

/* Takes c out of the list at *head. */
static void link_out(struct conn **head, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* The connection ended: its last transfer said (unless it ended quiet, between
 * transfers: then its place under --count is given back), and it is gone. */
static void finish(struct listener *sv, struct conn *c)
{
	const struct step_ops *kind = sv->cfg->kind;
	struct step_log l;
	kind->report(c->state, &l);
	if (!l.quiet)
		said(sv, &l);
	kind->end(c->state);
	for (struct conn **y = &sv->yielded; c->yielded && *y; y = &(*y)->yield_next)
		if (*y == c) {
			*y = c->yield_next;
			break;
		}
	evloop_set(&sv->loop, &c->timer, 0);
	evloop_forget(&sv->loop, c->sock);
	close(c->sock);
	link_out(&sv->head, c);
	free(c);
	give_room(sv);
	sv->live--;
}

/* Acts on what a step said: the end, or what to wait for and until when. */
static void settle(struct listener *sv, struct conn *c, int want)
{
	if (want & STEP_REPORT) { /* SPEC H-9: one of its transfers ended; it goes on */
		struct step_log l;
		sv->cfg->kind->report(c->state, &l);
		said(sv, &l);
	}
	if (want & STEP_ENDED) {
		finish(sv, c);
		return;
	}
	if ((want & STEP_YIELD) && !c->yielded) { /* SPEC P-11: its turn again next round */
		c->yielded = true;
		c->yield_next = sv->yielded;
		sv->yielded = c;
	}
	uint32_t ev = (want & STEP_IN ? EPOLLIN : 0) | (want & STEP_OUT ? EPOLLOUT : 0);
	if (ev != c->watching && evloop_watch(&sv->loop, c->sock, ev, c, 0) == 0)
		c->watching = ev;
	if (evloop_set(&sv->loop, &c->timer, sv->cfg->kind->deadline(c->state)) < 0) {
		sv->cfg->kind->abandon(c->state, "out of memory for its deadline");
		finish(sv, c);
	}
}

/* SPEC S-14 R-16: a connection over the limit hears what its kind tells it (a
 * sender pushing to us has nothing to hear: it is just closed), if its socket takes
 * it at once. */
static void refuse_busy(struct listener *sv, int sock, const char *peer)
{
	const struct step_ops *kind = sv->cfg->kind;
	uint8_t say[512]; /* a refusal is short */
	size_t n = kind->busy ? kind->busy(sv->cfg->kind_arg, sock, say, sizeof say) : 0;
	if (n)
		send(sock, say, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* SPEC H-10: what the peer sent is dropped first, or the close resets the answer away */
	shutdown(sock, SHUT_WR);
	while (recv(sock, NULL, 1 << 20, MSG_TRUNC | MSG_DONTWAIT) > 0)
		;
	close(sock);
	struct xfer_stats none = {0};
	struct step_log l = {.received = kind->received, .peer = peer, .name = "", .busy = true,
			     .stats = &none};
	sv->cfg->log(sv->cfg->arg, &l);
}

/* A held refusal's bytes came, or it closed, or its wait ended: it is refused now. */
static void refuse_held(struct listener *sv, struct conn *c)
{
	evloop_set(&sv->loop, &c->timer, 0);
	evloop_forget(&sv->loop, c->sock);
	link_out(&sv->held, c);
	sv->nheld--;
	refuse_busy(sv, c->sock, (const char *)c->state);
	free(c);
}

/* SPEC S-14 H-10: a connection over the limit whose first bytes are not there yet
 * (they usually come just after the accept) waits for them, so that the kind's
 * busy() can choose its words from them; one the set has no room for, or whose
 * kind says nothing, is refused at once. The held are no clients: they hold no
 * place, only a descriptor, and are at most LISTENER_HELD_MAX. */
static void hold_or_refuse(struct listener *sv, int sock, const char *peer)
{
	uint8_t b;
	struct conn *c = NULL;
	if (sv->cfg->kind->busy && sv->cfg->busy_wait_ms > 0 && sv->nheld < LISTENER_HELD_MAX &&
	    recv(sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN)
		c = calloc(1, sizeof *c + NET_ADDR_MAX);
	if (!c) {
		refuse_busy(sv, sock, peer);
		return;
	}
	c->held = true;
	c->sock = sock;
	snprintf((char *)c->state, NET_ADDR_MAX, "%s", peer);
	link_in(&sv->held, c);
	sv->nheld++;
	if (evloop_watch(&sv->loop, sock, EPOLLIN, c, 1) < 0 ||
	    evloop_set(&sv->loop, &c->timer, mono_ms() + sv->cfg->busy_wait_ms) < 0)
		refuse_held(sv, c);
}

/* SPEC S-15: a stop, or the loop's end, refuses those waiting at once. */
static void refuse_held_all(struct listener *sv)
{
	while (sv->held)
		refuse_held(sv, sv->held);
}

static void admit(struct listener *sv, int sock, const char *peer)
{
	const struct step_ops *kind = sv->cfg->kind;
	struct conn *c = calloc(1, sizeof *c + kind->size);
	if (!c) { /* nothing to serve it with: as if the limit were reached */
		give_room(sv);
		refuse_busy(sv, sock, peer);
		return;
	}
	c->sock = sock;
	if (sv->cfg->notsent_lowat > 0) /* SPEC S-13: kernel memory per connection bounded */
		setsockopt(sock, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &sv->cfg->notsent_lowat,
			   sizeof sv->cfg->notsent_lowat);
	kind->init(c->state, sock, peer, sv->cfg->kind_arg);
	link_in(&sv->head, c);
	sv->live++;
	if (evloop_watch(&sv->loop, sock, 0, c, 1) < 0) {
		kind->abandon(c->state, "cannot be watched");
		finish(sv, c);
		return;
	}
	settle(sv, c, kind->step(c->state, 0, sv->cfg->max_chunk));
}

/* Watches the listening socket or stops; a shared one wakes one worker of those
 * waiting (EPOLLEXCLUSIVE, which can only be added and removed, not changed). */
static int watch_listener(struct listener *sv, bool on)
{
	if (on == sv->accepting)
		return 0;
	if (!on)
		evloop_forget(&sv->loop, sv->lfd);
	else if (evloop_watch(&sv->loop, sv->lfd, EPOLLIN | (sv->cfg->worker ? EPOLLEXCLUSIVE : 0),
			      NULL, 1) < 0)
		return -1;
	sv->accepting = on;
	return 0;
}

/* SPEC S-7 H-9: with --count, a connection is taken only while those live and the
 * transfers ended could still be fewer than the count (a kept-alive connection may
 * carry several transfers, or end quiet with none). */
static bool count_has_room(const struct listener *sv)
{
	return !sv->cfg->count || sv->live + sv->ended < sv->cfg->count;
}

/* SPEC H-8: no new transfer on any connection: each is told, and stepped (an idle
 * one ends now). Once. */
static void wind_down_all(struct listener *sv)
{
	if (sv->wound || !sv->cfg->kind->wind_down)
		return;
	sv->wound = true;
	for (struct conn *c = sv->head, *next; c; c = next) {
		next = c->next;
		sv->cfg->kind->wind_down(c->state);
		settle(sv, c, sv->cfg->kind->step(c->state, 0, sv->cfg->max_chunk));
	}
}

/* Takes every connection waiting. Returns 0, or -1 with *e set when the listening
 * socket itself failed. */
static int accept_all(struct listener *sv, struct zerr *e)
{
	const struct listener_cfg *cfg = sv->cfg;
	char peer[NET_ADDR_MAX];
	while (sv->accepting) {
		int sock = net_accept(sv->lfd, peer, sizeof peer, e);
		if (sock == NET_ACCEPT_PRESSURE) { /* SPEC S-10: rest, then go on; said once */
			if (!sv->pressed && cfg->note)
				cfg->note(cfg->arg, e->reason);
			sv->pressed = true;
			watch_listener(sv, false);
			sv->pause_until = mono_ms() + PAUSE_MS;
			return 0;
		}
		if (sock < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		sv->pressed = false;
		if (!take_room(sv))
			hold_or_refuse(sv, sock, peer);
		else
			admit(sv, sock, peer);
		if (!count_has_room(sv))
			watch_listener(sv, false);
		else if (busier(sv)) { /* a rest, not a refusal: if nobody else takes it, this one does */
			watch_listener(sv, false);
			sv->pause_until = mono_ms() + LISTENER_BALANCE_MS;
		}
	}
	return 0;
}

/* SPEC S-15: a stop request closes the door (a listening socket shut down refuses
 * new connections, and resets the ones not yet accepted); the transfers in flight
 * may finish until the drain ends. The socket leaves the loop first: shut down, it
 * would report EPOLLHUP to every wait, whatever it is watched for. A worker's
 * socket is shared: shut down, it would fail the other workers' accepts, so this
 * worker closes its descriptor, and the door closes with the last one. */
static void begin_drain(struct listener *sv)
{
	watch_listener(sv, false);
	if (sv->cfg->worker) {
		close(sv->lfd);
		sv->lfd = -1;
	} else {
		shutdown(sv->lfd, SHUT_RD);
	}
	sv->pause_until = 0;
	sv->drain_until = mono_ms() + (sv->cfg->drain_ms > 0 ? sv->cfg->drain_ms : 0);
	if (sv->cfg->draining)
		sv->cfg->draining(sv->cfg->arg, (int)*sv->cfg->stop, sv->live);
	refuse_held_all(sv);
	wind_down_all(sv);
}

/* The drain ran out (or the loop failed): the rest are cut, each said. */
static void cut_all(struct listener *sv, const char *why)
{
	while (sv->head) {
		sv->cfg->kind->abandon(sv->head->state, why);
		finish(sv, sv->head);
	}
}

static volatile sig_atomic_t passing_on, stops;

static void supervisor_stop(int sig)
{
	passing_on = sig;
	stops++;
}

static void supervisor_child(int sig) { (void)sig; }

/* The status a worker ended with, as a shell would report it. */
static int worker_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RESTART_MS 1000 /* a worker is replaced at most this often: one dying at start cannot fork-bomb */

struct supervisor {
	int lfd;
	unsigned n;
	pid_t pid[LISTENER_WORKERS_MAX];     /* 0: not running */
	int64_t started[LISTENER_WORKERS_MAX]; /* when; 0: never */
	bool owed[LISTENER_WORKERS_MAX];     /* died by a signal: to be replaced */
	struct listener_worker w;
	const struct sigaction *saved;
	int (*run)(int lfd, const struct listener_worker *w, void *arg);
	void *arg;
};

static const int handled[] = {SIGINT, SIGTERM, SIGCHLD};

/* Starts worker i. Returns its pid, or -1 with errno (fork). */
static pid_t start_worker(struct supervisor *s, unsigned i)
{
	pid_t supervisor = getpid();
	pid_t pid = fork();
	if (pid == 0) { /* a worker: its own handlers come with run() */
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a supervisor killed outright takes it along */
		if (getppid() != supervisor) /* it died before the line above */
			_exit(ZCP_EXIT_SYSTEM);
		for (int k = 0; k < 3; k++)
			sigaction(handled[k], &s->saved[k], NULL);
		proc_stops_relayed_by(supervisor);
		s->w.index = i;
		exit(s->run(s->lfd, &s->w, s->arg));
	}
	if (pid > 0) {
		s->pid[i] = pid;
		s->started[i] = mono_ms();
		s->owed[i] = false;
	}
	return pid;
}

/* A worker ended: its connections given back; replaced when a signal killed it
 * and no stop came. Returns the status to report (0 for one to be replaced). */
static int reap(struct supervisor *s, pid_t pid, int st, void (*note)(void *, const char *))
{
	for (unsigned i = 0; i < s->n; i++) {
		if (s->pid[i] != pid)
			continue;
		s->pid[i] = 0;
		atomic_store(&s->w.live[i], 0);
		if (!WIFSIGNALED(st) || stops)
			return worker_status(st);
		char text[80];
		snprintf(text, sizeof text, "worker %d died (signal %d); starting another", (int)pid,
			 WTERMSIG(st));
		note(s->arg, text);
		s->owed[i] = true;
	}
	return 0;
}

/* Starts the workers owed whose last start is RESTART_MS ago; returns the ms until
 * the next one is due, or -1 when none is owed. */
static int restart_owed(struct supervisor *s)
{
	int next = -1;
	for (unsigned i = 0; i < s->n; i++) {
		if (!s->owed[i] || stops)
			continue;
		int64_t wait = s->started[i] + RESTART_MS - mono_ms();
		if (wait <= 0 && start_worker(s, i) < 0)
			wait = RESTART_MS; /* fork failed: try again later */
		if (wait > 0 && (next < 0 || wait < next))
			next = (int)wait;
	}
	return next;
}

int listener_workers(int lfd, unsigned n,
		   int (*run)(int lfd, const struct listener_worker *w, void *arg),
		   void (*note)(void *arg, const char *text), void *arg, struct zerr *e)
{
	struct sigaction sa = {0}, saved[3];
	struct supervisor s = {.lfd = lfd, .n = n < LISTENER_WORKERS_MAX ? n : LISTENER_WORKERS_MAX,
			       .saved = saved, .run = run, .arg = arg};
	s.w.n = s.n;
	s.w.live = mmap(NULL, LISTENER_WORKERS_MAX * sizeof *s.w.live, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s.w.live == MAP_FAILED) {
		close(lfd);
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "mmap", "", errno);
	}
	sigset_t block, before, waiting;
	sigemptyset(&block);
	for (int i = 0; i < 3; i++)
		sigaddset(&block, handled[i]);
	sigprocmask(SIG_BLOCK, &block, &before);
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		sa.sa_handler = handled[i] == SIGCHLD ? supervisor_child : supervisor_stop;
		sigaction(handled[i], &sa, &saved[i]);
	}
	stops = 0;
	unsigned alive = 0;
	int status = 0;
	for (unsigned i = 0; i < s.n; i++, alive++)
		if (start_worker(&s, i) < 0) {
			zerr_sys(e, ZCP_EXIT_SYSTEM, "fork", "", errno);
			status = ZCP_EXIT_SYSTEM;
			passing_on = SIGTERM, stops++; /* the ones that started stop too */
			break;
		}
	waiting = before;
	for (int i = 0; i < 3; i++)
		sigdelset(&waiting, handled[i]);
	int relayed = 0;
	for (bool any = alive > 0; any;) {
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			int r = reap(&s, pid, st, note);
			if (!status)
				status = r;
		}
		if (stops && s.lfd >= 0) { /* the door closes with the workers' copies */
			close(s.lfd);
			s.lfd = -1;
		}
		for (; relayed < stops; relayed++) /* each with its count (SPEC S-16) */
			for (unsigned i = 0; i < s.n; i++)
				if (s.pid[i])
					sigqueue(s.pid[i], passing_on, (union sigval){.sival_int = relayed + 1});
		int next = restart_owed(&s);
		any = next >= 0;
		for (unsigned i = 0; i < s.n; i++)
			any = any || s.pid[i];
		if (any) {
			struct timespec ts = {next / 1000, next % 1000 * 1000000L};
			ppoll(NULL, 0, next < 0 ? NULL : &ts, &waiting);
		}
	}
	for (int i = 0; i < 3; i++)
		sigaction(handled[i], &saved[i], NULL);
	sigprocmask(SIG_SETMASK, &before, NULL);
	if (s.lfd >= 0)
		close(s.lfd);
	munmap(s.w.live, LISTENER_WORKERS_MAX * sizeof *s.w.live);
	return alive ? status : -1;
}

struct listener_cfg listener_cfg_of(const struct opts_server *o)
{
	return (struct listener_cfg){.max_chunk = o->max_chunk, .max_clients = o->max_clients, .count = o->count,
				   .drain_ms = opts_ms(o->drain_s, 0)};
}

int listener_run(int lfd, const struct listener_cfg *cfg, struct zerr *e)
{
	struct listener sv = {.cfg = cfg, .lfd = lfd};
	struct epoll_event ev[EVENTS_MAX];
	int fl = fcntl(lfd, F_GETFL);
	if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "fcntl", "", errno);
	if (evloop_init(&sv.loop) < 0)
		return zerr_sys(e, ZCP_EXIT_SYSTEM, "epoll_create1", "", errno);
	if (watch_listener(&sv, true) < 0) {
		zerr_sys(e, ZCP_EXIT_SYSTEM, "epoll_ctl", "", errno);
		evloop_free(&sv.loop);
		return -1;
	}
	int r = 0;
	for (;;) {
		if (*cfg->stop && !sv.drain_until)
			begin_drain(&sv);
		bool done = cfg->count && sv.ended >= cfg->count;
		if (done)
			wind_down_all(&sv); /* kept connections end by themselves, soon */
		if ((done && (sv.live == 0 || !cfg->kind->wind_down)) || (sv.drain_until && sv.live == 0))
			break;
		if (!done && !sv.drain_until && !sv.pause_until && count_has_room(&sv))
			watch_listener(&sv, true); /* a connection ended quiet: room again */
		int64_t now = mono_ms();
		if (sv.drain_until && now >= sv.drain_until) {
			cut_all(&sv, "stopped: the drain time ran out");
			r = 128 + (int)*cfg->stop;
			break;
		}
		/* SPEC P-11: those that yielded in the last round step in this one, after the
		 * others, once; meanwhile this round only looks, it waits for nothing */
		struct conn *y = sv.yielded;
		sv.yielded = NULL;
		int64_t limit = y ? now : sv.drain_until ? sv.drain_until : sv.pause_until;
		int n = evloop_wait(&sv.loop, ev, EVENTS_MAX, now, limit, cfg->waitmask);
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			if (!c && accept_all(&sv, e) < 0) {
				r = -1;
				goto out;
			}
			if (c && c->held)
				refuse_held(&sv, c);
			else if (c && c->yielded) /* one turn a round: it steps below, told these */
				c->pending |= ev[i].events;
			else if (c) /* epoll's bits are poll's */
				settle(&sv, c, cfg->kind->step(c->state, (short)ev[i].events, cfg->max_chunk));
		}
		for (struct conn *c = y, *next; c; c = next) {
			next = c->yield_next;
			short events = (short)c->pending;
			c->yielded = false;
			c->pending = 0;
			settle(&sv, c, cfg->kind->step(c->state, events, cfg->max_chunk));
		}
		now = mono_ms();
		for (struct evloop_timer *t; (t = evloop_due(&sv.loop, now));) {
			struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
			if (c->held) {
				refuse_held(&sv, c);
				continue;
			}
			cfg->kind->expire(c->state); /* then a step: it may still say why (a fetch: its ack) */
			settle(&sv, c, cfg->kind->step(c->state, 0, cfg->max_chunk));
		}
		if (sv.pause_until && now >= sv.pause_until && !sv.drain_until) {
			sv.pause_until = 0;
			watch_listener(&sv, true);
		}
	}
	if (r == 0 && cfg->count)
		r = sv.status;
out:
	refuse_held_all(&sv);
	cut_all(&sv, "stopped: the listening socket failed");
	evloop_free(&sv.loop);
	return r;
}
