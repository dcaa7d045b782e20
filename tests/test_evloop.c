/* Check suite for src/evloop.c: the deadline heap and epoll readiness. */
#include "evloop.h"
#include "mono.h"
#include "testutil.h"

/* SPEC S-13: deadlines come out in order, whatever order they were set in, moved
 * and cleared in; the heap grows as needed. */
START_TEST(s13_deadlines_in_order)
{
	struct evloop l;
	ck_assert_int_eq(evloop_init(&l), 0);
	enum { N = 1000 };
	static struct evloop_timer t[N];
	memset(t, 0, sizeof t);
	for (int i = 0; i < N; i++) /* a scrambled order */
		ck_assert_int_eq(evloop_set(&l, &t[i], 1 + (i * 7919) % N), 0);
	for (int i = 0; i < N; i += 3) /* move some later */
		ck_assert_int_eq(evloop_set(&l, &t[i], t[i].at + 5000), 0);
	for (int i = 1; i < N; i += 5) /* and clear some */
		evloop_set(&l, &t[i], 0);
	ck_assert_ptr_null(evloop_due(&l, 0));
	int64_t last = 0;
	int seen = 0;
	struct evloop_timer *d;
	while ((d = evloop_due(&l, INT64_MAX))) {
		ck_assert_int_ge(d->at, last);
		last = d->at;
		ck_assert_int_eq(evloop_set(&l, d, 0), 0); /* clearing a cleared timer is harmless */
		seen++;
	}
	ck_assert_int_eq(seen, N - (N + 3) / 5);
	evloop_free(&l);
}
END_TEST

/* SPEC S-13: a deadline already past ends the wait at once, events or none. */
START_TEST(s13_deadline_past_returns_at_once)
{
	struct evloop l;
	ck_assert_int_eq(evloop_init(&l), 0);
	struct evloop_timer a = {0};
	int64_t now = mono_ms();
	evloop_set(&l, &a, now - 1000);
	struct epoll_event ev[4];
	sigset_t none;
	sigemptyset(&none);
	double t0 = mono_now();
	ck_assert_int_eq(evloop_wait(&l, ev, 4, now, 0, &none), 0);
	ck_assert_int_eq(evloop_wait(&l, ev, 4, now, now - 500, &none), 0); /* a limit past too */
	ck_assert(mono_now() - t0 < 5); /* not an unbounded wait */
	ck_assert_ptr_eq(evloop_due(&l, now), &a);
	evloop_free(&l);
}
END_TEST

/* SPEC S-13: only what is due comes out; the wait ends at the earliest deadline. */
START_TEST(s13_wait_until_the_next_deadline)
{
	struct evloop l;
	ck_assert_int_eq(evloop_init(&l), 0);
	struct evloop_timer a = {0}, b = {0};
	int64_t now = mono_ms();
	evloop_set(&l, &a, now + 150);
	evloop_set(&l, &b, now + 60000);
	ck_assert_ptr_null(evloop_due(&l, now));
	struct epoll_event ev[4];
	sigset_t none;
	sigemptyset(&none);
	double t0 = mono_now();
	ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), 0, &none), 0);
	double waited = mono_now() - t0;
	ck_assert(waited >= 0.13 && waited < 5);
	ck_assert_ptr_eq(evloop_due(&l, mono_ms()), &a);
	ck_assert_ptr_null(evloop_due(&l, mono_ms()));
	/* a limit earlier than any timer ends the wait first */
	t0 = mono_now();
	ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), mono_ms() + 50, &none), 0);
	ck_assert(mono_now() - t0 < 5);
	evloop_free(&l);
}
END_TEST

/* SPEC S-13: readiness is reported with the pointer given, for the events asked;
 * level-triggered: an unread socket is reported again. */
START_TEST(s13_readiness)
{
	struct evloop l;
	ck_assert_int_eq(evloop_init(&l), 0);
	int sv[2];
	tu_socketpair(sv, 1);
	int token;
	ck_assert_int_eq(evloop_watch(&l, sv[0], EPOLLIN, &token, 1), 0);
	struct epoll_event ev[4];
	sigset_t none;
	sigemptyset(&none);
	ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), mono_ms() + 20, &none), 0);
	ck_assert_int_eq(send(sv[1], "x", 1, 0), 1);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), mono_ms() + 2000, &none), 1);
		ck_assert_ptr_eq(ev[0].data.ptr, &token);
		ck_assert(ev[0].events & EPOLLIN);
	}
	ck_assert_int_eq(evloop_watch(&l, sv[0], EPOLLOUT, &token, 0), 0);
	ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), mono_ms() + 2000, &none), 1);
	ck_assert(ev[0].events & EPOLLOUT);
	evloop_forget(&l, sv[0]);
	ck_assert_int_eq(evloop_wait(&l, ev, 4, mono_ms(), mono_ms() + 20, &none), 0);
	ck_assert_int_eq(evloop_watch(&l, -1, EPOLLIN, &token, 1), -1);
	close(sv[0]);
	close(sv[1]);
	evloop_free(&l);
}
END_TEST

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

/* SPEC S-15: a signal blocked outside the wait interrupts it, and only it. */
START_TEST(s15_signal_interrupts_the_wait)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, during;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGUSR1);
	struct evloop l;
	ck_assert_int_eq(evloop_init(&l), 0);
	raise(SIGUSR1); /* pending, blocked: delivered when the wait begins */
	ck_assert_int_eq(got, 0);
	struct epoll_event ev[1];
	double t0 = mono_now();
	ck_assert_int_eq(evloop_wait(&l, ev, 1, mono_ms(), mono_ms() + 5000, &during), 0);
	ck_assert(mono_now() - t0 < 2);
	ck_assert_int_eq(got, SIGUSR1);
	evloop_free(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evloop");
	TCase *tc = tcase_create("loop");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, s13_deadlines_in_order);
	tcase_add_test(tc, s13_wait_until_the_next_deadline);
	tcase_add_test(tc, s13_deadline_past_returns_at_once);
	tcase_add_test(tc, s13_readiness);
	tcase_add_test(tc, s15_signal_interrupts_the_wait);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
