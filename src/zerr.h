/* zerr - the error a library call hands back to a main: exit code (SPEC E-1)
 * and the parts of the one-line message (SPEC E-2), and the escaping that keeps
 * every printed line one line (SPEC E-4). Only mains print. */
#ifndef ZCP_ZERR_H
#define ZCP_ZERR_H

#include <limits.h>
#include <stddef.h>

enum zcp_exit {
	ZCP_EXIT_OK = 0,
	ZCP_EXIT_SYSTEM = 1,
	ZCP_EXIT_USAGE = 2,
	ZCP_EXIT_FILE = 3,
	ZCP_EXIT_NET = 4,
	ZCP_EXIT_PROTO = 5,
	ZCP_EXIT_PEER = 6,
	ZCP_EXIT_BUSY = 7, /* another zcp-recv is resuming the output (SPEC R-21) */
	ZCP_EXIT_AUTH = 8, /* SPEC T-4: the peer was not authenticated (TLS) */
};

struct zerr {
	enum zcp_exit code;
	const char *call;       /* the failing system call, or "" */
	char object[PATH_MAX];  /* a file name or HOST:PORT, or "" */
	char reason[512];
};

/* Room for a formatted line: every byte of object and reason escaped (4 bytes each). */
#define ZERR_LINE_MAX (4 * (PATH_MAX + 512) + 128)

/* zerr_set() - fill *e; reason is printf-formatted. Returns -1 for "return zerr_set(...)". */
int zerr_set(struct zerr *e, enum zcp_exit code, const char *call, const char *object,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* zerr_sys() - fill *e with strerror(err) as the reason. Returns -1. */
int zerr_sys(struct zerr *e, enum zcp_exit code, const char *call, const char *object, int err);

/* zerr_format() - "PROG: CALL OBJECT: REASON" into buf[0..len), empty parts left
 * out, object and reason escaped with zerr_escape(). Always NUL-terminated. */
void zerr_format(const struct zerr *e, const char *prog, char *buf, size_t len);

/* zerr_escape() - copy src into dst[0..cap) so that it prints as itself on one
 * line: printable ASCII and valid UTF-8 of printable characters stay as they are;
 * control bytes, DEL, C1 controls, line separators, bidirectional overrides and
 * bytes of invalid UTF-8 become \xNN (SPEC E-4). Truncates at a whole character or
 * escape, always NUL-terminates (cap > 0). Returns the length written. */
size_t zerr_escape(char *dst, size_t cap, const char *src);

#endif
