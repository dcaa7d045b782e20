/* proc - the process environment both programs set up before anything else:
 * standard descriptors (SPEC C-9) and signal dispositions (SPEC S-8, R-2, R-9).
 * Never prints. */
#ifndef ZCP_PROC_H
#define ZCP_PROC_H

/* Bits of proc_sanitise_stdfds()'s result: which of 0, 1, 2 were closed at start. */
#define PROC_STDIN_CLOSED 1
#define PROC_STDOUT_CLOSED 2
#define PROC_STDERR_CLOSED 4

/* proc_sanitise_stdfds() - reopen closed descriptors 0-2 on /dev/null, so that no
 * socket or file can land on them and be mistaken for a standard stream. Returns
 * the PROC_*_CLOSED bits of those that were closed, or -1 with errno set when
 * /dev/null cannot be opened. */
int proc_sanitise_stdfds(void);

/* proc_ignore_signals() - SIGPIPE and SIGXFSZ ignored: a closed peer is EPIPE and
 * a file over RLIMIT_FSIZE is EFBIG, errors like any other. */
void proc_ignore_signals(void);

/* proc_on_terminate() - run handler (async-signal-safe code only) on every signal
 * whose default action ends the process and that can be caught (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, real-time signals, ...); the handler
 * is expected to end by proc_die(sig). */
void proc_on_terminate(void (*handler)(int));

/* proc_die() - from a handler: restore sig's default action and raise it again, so
 * the process ends as the signal's default would have ended it. */
void proc_die(int sig);

#endif
