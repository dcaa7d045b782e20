/* zerr - the error a library call hands back to a main: exit code (SPEC E-1)
 * and the parts of the one-line message (SPEC E-2). Only mains print it. */
#ifndef ZCP_ZERR_H
#define ZCP_ZERR_H

#include <stddef.h>

enum zcp_exit {
	ZCP_EXIT_OK = 0,
	ZCP_EXIT_SYSTEM = 1,
	ZCP_EXIT_USAGE = 2,
	ZCP_EXIT_FILE = 3,
	ZCP_EXIT_NET = 4,
	ZCP_EXIT_PROTO = 5,
	ZCP_EXIT_PEER = 6,
};

struct zerr {
	enum zcp_exit code;
	const char *call;  /* the failing system call, or "" */
	char object[320];  /* a file name or HOST:PORT, or "" */
	char reason[192];
};

/* zerr_set() - fill *e; reason is printf-formatted. Returns -1 for "return zerr_set(...)". */
int zerr_set(struct zerr *e, enum zcp_exit code, const char *call, const char *object,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* zerr_sys() - fill *e with strerror(err) as the reason. Returns -1. */
int zerr_sys(struct zerr *e, enum zcp_exit code, const char *call, const char *object, int err);

/* zerr_format() - "PROG: CALL OBJECT: REASON" into buf[0..len), empty parts left out. */
void zerr_format(const struct zerr *e, const char *prog, char *buf, size_t len);

#endif
