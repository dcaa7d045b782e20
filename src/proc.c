/* proc - standard descriptors and signal dispositions. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <unistd.h>

uint64_t proc_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return UINT64_MAX; /* cannot happen; nothing to refuse by */
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit raised = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

/* a socket and a file; a pipe pair when splicing */
static uint64_t per_client(bool splice) { return splice ? 4 : 2; }

uint64_t proc_fds_needed(uint64_t clients, bool splice)
{
	return clients * per_client(splice) + PROC_FDS_FIXED;
}

uint64_t proc_clients_within(uint64_t limit, bool splice)
{
	return limit < PROC_FDS_FIXED ? 0 : (limit - PROC_FDS_FIXED) / per_client(splice);
}

enum proc_fit proc_fit_clients(uint64_t limit, uint32_t *n, bool given, bool splice, uint64_t *need)
{
	uint64_t fit = proc_clients_within(limit, splice);
	*need = proc_fds_needed(fit ? *n : 1, splice);
	if (fit == 0)
		return PROC_NONE;
	if (*need <= limit)
		return PROC_FITS;
	if (given)
		return PROC_OVER;
	*n = (uint32_t)fit; /* fit < *n here */
	return PROC_LOWERED;
}

int proc_sanitise_stdfds(void)
{
	int closed = 0;
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* lands on fd itself: the lowest free number, as the lower ones are open */
		if (open("/dev/null", O_RDWR) < 0)
			return -1;
		closed |= 1 << fd;
	}
	return closed;
}

void proc_ignore_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/* Catchable signals whose default action terminates; the synchronous faults
 * (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS) are left alone: they mean a bug. */
static const int terminating[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT,
	SIGXCPU, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,
};

void proc_on_terminate(void (*handler)(int))
{
	struct sigaction sa = {.sa_handler = handler};
	sigfillset(&sa.sa_mask); /* one cleanup at a time */
	for (size_t i = 0; i < sizeof terminating / sizeof terminating[0]; i++)
		sigaction(terminating[i], &sa, NULL);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
}

volatile sig_atomic_t proc_stop;
static void (*dying)(void);
static volatile sig_atomic_t relayer, direct, relayed;

void proc_stops_relayed_by(pid_t pid)
{
	relayer = pid;
}

/* SPEC S-15 S-16: a stop the relayer passes on carries its count, so that one
 * Ctrl-C, which reaches a worker both from the terminal and from its supervisor,
 * is one stop and not two. */
static void on_stop(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (relayer && si->si_code == SI_QUEUE && si->si_pid == relayer) {
		if (si->si_value.sival_int > relayed)
			relayed = si->si_value.sival_int;
	} else {
		direct++;
	}
	if (direct > 1 || relayed > 1) {
		if (dying)
			dying();
		proc_die(sig);
	}
	if (!proc_stop)
		proc_stop = sig;
}

void proc_catch_stops(void (*on_die)(void), sigset_t *before, sigset_t *waitmask)
{
	sigset_t stops;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, before);
	*waitmask = *before;
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	dying = on_die;
	struct sigaction sa = {.sa_sigaction = on_stop, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void proc_release_stops(const sigset_t *before)
{
	sigprocmask(SIG_SETMASK, before, NULL);
}

#ifdef ZCP_COVERAGE
void __gcov_dump(void);
#endif

void proc_die(int sig)
{
#ifdef ZCP_COVERAGE /* make coverage: a process a signal ends writes its counts too */
	__gcov_dump();
#endif
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}
