/* proc - the process environment both programs set up before anything else:
 * standard descriptors (SPEC C-9), the descriptor limit (C-11) and signal
 * dispositions (SPEC S-8, R-2, R-9).
 * Never prints. */
#ifndef ZCP_PROC_H
#define ZCP_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Bits of proc_sanitise_stdfds()'s result: which of 0, 1, 2 were closed at start. */
#define PROC_STDIN_CLOSED 1
#define PROC_STDOUT_CLOSED 2
#define PROC_STDERR_CLOSED 4

/* proc_sanitise_stdfds() - reopen closed descriptors 0-2 on /dev/null, so that no
 * socket or file can land on them and be mistaken for a standard stream. Returns
 * the PROC_*_CLOSED bits of those that were closed, or -1 with errno set when
 * /dev/null cannot be opened. */
int proc_sanitise_stdfds(void);

/* Descriptors a loop holds whatever its connections: 0-2, the listening socket,
 * epoll, and one in passing (a root's O_PATH, an output directory). */
#define PROC_FDS_FIXED 6

/* proc_raise_nofile() - SPEC C-11: raise the soft RLIMIT_NOFILE to the hard one
 * (as nginx's worker_rlimit_nofile). Returns the soft limit now in force (the old
 * one if it could not be raised; UINT64_MAX for none). */
uint64_t proc_raise_nofile(void);

/* proc_fds_needed() - the descriptors a loop of clients connections needs: a
 * socket and a file each, and a pipe pair each when splicing, besides
 * PROC_FDS_FIXED. */
uint64_t proc_fds_needed(uint64_t clients, bool splice);

/* proc_clients_within() - the most connections whose proc_fds_needed() is within
 * limit (0 when not even one fits). */
uint64_t proc_clients_within(uint64_t limit, bool splice);

/* How connections meet the descriptor limit (SPEC C-11). */
enum proc_fit {
	PROC_FITS,    /* as many as asked */
	PROC_LOWERED, /* a default that did not fit, lowered to what does */
	PROC_OVER,    /* a number the user gave does not fit: a usage error */
	PROC_NONE,    /* not even one connection fits: the limit is too low */
};

/* proc_fit_clients() - fit *n connections (given: a number the user gave, else a
 * default) within limit descriptors (proc_fds_needed()). Returns the outcome; for
 * PROC_LOWERED *n is now the most that fit. *need gets the descriptors the *n asked
 * for need, or one connection's for PROC_NONE. Changes nothing else. */
enum proc_fit proc_fit_clients(uint64_t limit, uint32_t *n, bool given, bool splice, uint64_t *need);

/* proc_ignore_signals() - SIGPIPE and SIGXFSZ ignored: a closed peer is EPIPE and
 * a file over RLIMIT_FSIZE is EFBIG, errors like any other. */
void proc_ignore_signals(void);

/* proc_on_terminate() - run handler (async-signal-safe code only) on every signal
 * whose default action ends the process and that can be caught (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, real-time signals, ...); the handler
 * is expected to end by proc_die(sig). */
void proc_on_terminate(void (*handler)(int));

/* The stop signal caught (SIGINT or SIGTERM), or 0 (SPEC S-15). */
extern volatile sig_atomic_t proc_stop;

/* proc_catch_stops() - SPEC S-15: from now on the first SIGINT or SIGTERM sets
 * proc_stop; a second runs on_die (async-signal-safe; may be NULL) and ends the
 * process by that signal. Both stay blocked except in *waitmask, the mask for the
 * one wait they should interrupt; *before is what proc_release_stops() restores. */
void proc_catch_stops(void (*on_die)(void), sigset_t *before, sigset_t *waitmask);

/* proc_stops_relayed_by() - SPEC S-16: stops that pid passes on with sigqueue()
 * carry its count of stops (1, 2); such a stop and the same signal sent to the
 * whole process group count once: the process ends at the second stop of either
 * kind, not at the relayed copy of the first. */
void proc_stops_relayed_by(pid_t pid);

/* proc_release_stops() - restore the mask from before proc_catch_stops(): a stop
 * signal still pending is delivered now (and being a second one, ends the process). */
void proc_release_stops(const sigset_t *before);

/* proc_die() - from a handler: restore sig's default action and raise it again, so
 * the process ends as the signal's default would have ended it. */
void proc_die(int sig);

#endif
