/* step - what a connection's state machine (serve, fetch) asks of its driver
 * after a step, and the driver of one connection (the single-transfer programs):
 * poll() until the step says it ended or its deadline passes. Never prints. */
#ifndef ZCP_STEP_H
#define ZCP_STEP_H

#include <stdint.h>

#include "xfer.h"

/* Bits of a step's result. */
#define STEP_IN 1    /* step again when the socket is readable */
#define STEP_OUT 2   /* ... when it is writable */
#define STEP_YIELD 4 /* the budget is spent: step again after the others had theirs */
#define STEP_ENDED 8 /* the connection ended: read its outcome */

/* One kind of connection, for a driver. */
struct step_ops {
	int (*step)(void *conn, short events, uint64_t budget); /* returns STEP_* bits */
	int64_t (*deadline)(const void *conn);                  /* mono_ms(); 0 = none */
	void (*expire)(void *conn);                             /* the deadline passed */
	int (*wait_fd)(const void *conn); /* what STEP_IN/OUT are about: the socket, or an
					   * output that would block (a pipe, a FIFO) */
};

/* step_drive() - run conn to its end: each wait in poll() is for the descriptor
 * the step names, bounded by the connection's deadline, and counted in stats
 * (SPEC P-10, X-8). */
void step_drive(void *conn, const struct step_ops *ops, struct xfer_stats *stats);

#endif
