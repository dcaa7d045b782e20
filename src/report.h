/* report - the text a main prints after a transfer (SPEC X-8) and the main-side
 * helpers both programs share: usage errors and error lines. */
#ifndef ZCP_REPORT_H
#define ZCP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "proc.h"
#include "step.h"
#include "xfer.h"
#include "zerr.h"

/* report_format() - "VERB N bytes PREP PEER in S s (R MiB/s), path P; syscalls: a=1 b=2"
 * into buf[0..len). Only calls made at least once are listed; with st NULL, none. */
void report_format(char *buf, size_t len, const char *verb, uint64_t bytes, const char *prep,
		   const char *peer, double seconds, const char *path, const struct xfer_stats *st);

/* report_action() - for --help or --version print usage or the version line to
 * stdout and return the exit code: 0, or 3 after saying why when stdout cannot take
 * it (closed at start per closed_fds, a full disk: SPEC C-6); -1 when the program
 * should run. */
int report_action(const char *prog, enum opts_action action, const char *usage, int closed_fds);

/* report_transfer() - print one transfer of the server as a stable key=value line
 * (SPEC S-17): time, peer, name, offset, length, bytes, seconds, mib_s, path, result
 * (ok, failed with exit=N, or busy), and with verbose the system calls made. Values
 * are escaped (SPEC E-4) and quoted when they hold a space, quote or backslash. */
void report_transfer(const char *prog, const struct step_log *l, bool verbose);

/* report_fit() - SPEC C-11: say what proc_fit_clients() found for option (the
 * number asked, the number now, need and limit as it gave them): a lowered default
 * as a note unless quiet, a number given that does not fit as a usage error (2), a
 * limit too low for one connection as a system failure (1). Returns -1 when the
 * program should run, else its exit code. Only prints. */
int report_fit(const char *prog, const char *option, enum proc_fit fit, uint64_t asked, uint64_t now,
	       uint64_t need, uint64_t limit, bool quiet);

/* report_tls() - SPEC T-1: the TLS context the options of c ask for into *ctx
 * (NULL: plaintext), for a listener or a connector to c->addr. Returns -1 to go
 * on, or the exit code after printing why (an unusable key, certificate or CA). */
int report_tls(const char *prog, const struct opts_common *c, struct tls_ctx **ctx);

/* report_protected() - SPEC T-8: a listener on lfd (bound to bound) that is
 * neither authenticated (tls) nor --insecure must be bound to loopback. Beyond
 * loopback, --cert without --client-ca is noted (unless -q): anyone may verb
 * ("fetch", "push"). Returns 0, or -1 with *e set (exit 2) saying how to make a key. */
int report_protected(const char *prog, const struct opts_common *c, bool tls, int lfd, const char *bound,
		     const char *verb, struct zerr *e);

/* report_note() - print "PROG: TEXT" on stderr, TEXT printf-formatted and escaped
 * (SPEC E-4) so that it stays one line. */
void report_note(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* report_error() - print e as one line on stderr (SPEC E-2) and return its exit code. */
int report_error(const char *prog, const struct zerr *e);

/* report_usage_error() - print "PROG: WHY" and "Try 'PROG --help'." and return 2 (SPEC C-6). */
int report_usage_error(const char *prog, const char *why);

#endif
