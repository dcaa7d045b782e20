/* Check suite for src/proc.c: standard descriptors and signal dispositions. */
#include "proc.h"

#include <sys/resource.h>
#include "testutil.h"

/* SPEC C-9: closed 0 and 2 are reopened on /dev/null and reported; open ones are
 * left alone; a later open() lands above 2. */
START_TEST(c9_sanitise_reopens_closed)
{
	close(0);
	close(2);
	int closed = proc_sanitise_stdfds();
	ck_assert_int_eq(closed, PROC_STDIN_CLOSED | PROC_STDERR_CLOSED);
	struct stat st, null;
	ck_assert_int_eq(stat("/dev/null", &null), 0);
	for (int fd = 0; fd <= 2; fd += 2) {
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert(st.st_rdev == null.st_rdev && S_ISCHR(st.st_mode));
	}
	int fd = open("/dev/null", O_RDONLY);
	ck_assert_int_gt(fd, 2);
	close(fd);
	ck_assert_int_eq(proc_sanitise_stdfds(), 0); /* nothing closed now */
}
END_TEST

/* SPEC S-8 R-9: SIGPIPE and SIGXFSZ are ignored. */
START_TEST(s8_pipe_and_xfsz_ignored)
{
	proc_ignore_signals();
	struct sigaction sa;
	sigaction(SIGPIPE, NULL, &sa);
	ck_assert_ptr_eq(sa.sa_handler, SIG_IGN);
	sigaction(SIGXFSZ, NULL, &sa);
	ck_assert_ptr_eq(sa.sa_handler, SIG_IGN);
}
END_TEST

static void handler(int sig) { (void)sig; }

/* SPEC R-2: the handler covers the catchable terminating signals (real-time ones
 * included), not the faults that mean a bug, and masks everything while it runs. */
START_TEST(r2_terminating_signals_caught)
{
	proc_on_terminate(handler);
	static const int caught[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
				     SIGXCPU, SIGVTALRM, SIGPROF, SIGIO, SIGPWR};
	struct sigaction sa;
	for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
		sigaction(caught[i], NULL, &sa);
		ck_assert_msg(sa.sa_handler == handler, "signal %d not caught", caught[i]);
		ck_assert(sigismember(&sa.sa_mask, SIGTERM));
	}
	sigaction(SIGRTMIN + 3, NULL, &sa);
	ck_assert_ptr_eq(sa.sa_handler, handler);
	sigaction(SIGSEGV, NULL, &sa);
	ck_assert_ptr_ne(sa.sa_handler, handler);
}
END_TEST

/* SPEC R-2: proc_die() restores the default action, unblocks the signal and raises
 * it: SIGCHLD, whose default is to be ignored, lets the process go on to tell. */
START_TEST(r2_die_restores_default)
{
	struct sigaction sa = {.sa_handler = handler};
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	proc_die(SIGCHLD);
	sigaction(SIGCHLD, NULL, &sa);
	ck_assert_ptr_eq(sa.sa_handler, SIG_DFL);
	sigprocmask(SIG_BLOCK, NULL, &set);
	ck_assert(!sigismember(&set, SIGCHLD));
}
END_TEST

/* SPEC R-2: a handler ending in proc_die() ends the process by the signal itself. */
START_TEST(r2_die_by_the_signal)
{
	pid_t pid = fork();
	if (pid == 0) {
		proc_on_terminate(proc_die);
		raise(SIGUSR2);
		tu_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGUSR2);
}
END_TEST

/* SPEC C-11: the soft descriptor limit is raised to the hard one, and said. */
START_TEST(c11_nofile_raised_to_hard)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_eq(proc_raise_nofile(), rl.rlim_max);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, rl.rlim_max);
	rl.rlim_cur = 32, rl.rlim_max = 64; /* a hard limit of 64: up to 64 */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_eq(proc_raise_nofile(), 64);
}
END_TEST

/* SPEC C-11: the descriptors a loop of n connections needs, honestly counted: a
 * socket and a file each, and a pipe pair when splicing; the loop's own beside. */
START_TEST(c11_fds_needed)
{
	ck_assert_uint_eq(proc_fds_needed(5000, false), 10006);
	ck_assert_uint_eq(proc_fds_needed(5000, true), 20006);
	ck_assert_uint_eq(proc_fds_needed(1, false), 8);
	ck_assert_uint_eq(proc_clients_within(1024, false), 509);
	ck_assert_uint_eq(proc_clients_within(1024, true), 254);
	ck_assert_uint_eq(proc_clients_within(7, true), 0);
	ck_assert_uint_le(proc_fds_needed(proc_clients_within(20000, true), true), 20000);
}
END_TEST

/* SPEC C-11: what fits is decided without side effects but *n lowered for a default. */
START_TEST(c11_fit_clients)
{
	uint64_t need;
	uint32_t n = 1024;
	ck_assert_int_eq(proc_fit_clients(1024, &n, false, false, &need), PROC_LOWERED);
	ck_assert_uint_eq(n, 509);
	ck_assert_uint_eq(need, 2054);
	n = 5000;
	ck_assert_int_eq(proc_fit_clients(1024, &n, true, false, &need), PROC_OVER);
	ck_assert_uint_eq(n, 5000);
	ck_assert_uint_eq(need, 10006);
	n = 8;
	ck_assert_int_eq(proc_fit_clients(1024, &n, true, true, &need), PROC_FITS);
	ck_assert_uint_eq(need, 38);
	for (int given = 0; given < 2; given++) { /* the limit, not the number, is at fault */
		n = 3;
		ck_assert_int_eq(proc_fit_clients(5, &n, given, false, &need), PROC_NONE);
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(need, 8);
	}
}
END_TEST

/* SPEC S-15 S-16: a stop to the process group and the supervisor's relayed copy
 * (sigqueue, with its count) are one stop; the relayed second one ends the process. */
START_TEST(s16_relayed_stop_counts_once)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t before, waitmask;
		proc_catch_stops(NULL, &before, &waitmask);
		proc_stops_relayed_by(getppid());
		char c = 'r';
		for (;;) { /* says "ready", then the stop seen after each signal */
			if (write(fds[1], &c, 1) != 1)
				tu_exit(1);
			sigsuspend(&waitmask);
			c = proc_stop == SIGTERM ? 't' : '?';
		}
	}
	char c;
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 'r');
	ck_assert_int_eq(kill(pid, SIGTERM), 0); /* from the group */
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 't');
	ck_assert_int_eq(sigqueue(pid, SIGTERM, (union sigval){.sival_int = 1}), 0); /* its relay */
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 't'); /* still there */
	ck_assert_int_eq(sigqueue(pid, SIGTERM, (union sigval){.sival_int = 2}), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGTERM);
}
END_TEST

static int hook_fd = -1;

static void hook(void)
{
	if (write(hook_fd, "d", 1) != 1)
		_exit(1);
#ifdef ZCP_COVERAGE /* a process a signal ends writes no coverage data: write it now */
	__gcov_dump();
#endif
}

/* SPEC S-15: a second stop (SIGTERM, then SIGINT) runs the on_die hook, then ends
 * the process by the second signal itself; the first only sets proc_stop. */
START_TEST(s15_second_stop_runs_hook_and_dies)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t before, waitmask;
		hook_fd = fds[1];
		proc_catch_stops(hook, &before, &waitmask);
		proc_release_stops(&before);
		raise(SIGTERM);
		if (write(fds[1], proc_stop == SIGTERM ? "t" : "?", 1) != 1)
			tu_exit(1);
		raise(SIGINT);
		tu_exit(0); /* not reached */
	}
	char c[3] = {0};
	ck_assert_int_eq(read(fds[0], c, 1), 1);
	ck_assert_int_eq(read(fds[0], c + 1, 1), 1);
	ck_assert_str_eq(c, "td");
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGINT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("environment");
	tcase_add_test(tc, c9_sanitise_reopens_closed);
	tcase_add_test(tc, c11_fit_clients);
	tcase_add_test(tc, s8_pipe_and_xfsz_ignored);
	tcase_add_test(tc, r2_terminating_signals_caught);
	tcase_add_test(tc, r2_die_restores_default);
	tcase_add_test(tc, r2_die_by_the_signal);
	tcase_add_test(tc, c11_nofile_raised_to_hard);
	tcase_add_test(tc, c11_fds_needed);
	tcase_add_test(tc, s16_relayed_stop_counts_once);
	tcase_add_test(tc, s15_second_stop_runs_hook_and_dies);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
