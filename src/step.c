/* step - the poll() driver of one connection. */
#include "step.h"

#include <limits.h>
#include <poll.h>

#include "mono.h"

void step_drive(void *conn, const struct step_ops *ops, struct xfer_stats *stats)
{
	short events = 0;
	for (;;) {
		int want = ops->step(conn, events, UINT64_MAX);
		if (want & STEP_ENDED)
			return;
		struct pollfd p = {.fd = ops->wait_fd(conn), .events = (short)((want & STEP_IN ? POLLIN : 0) |
							  (want & (STEP_OUT | STEP_YIELD) ? POLLOUT : 0))};
		int64_t deadline = ops->deadline(conn);
		int64_t left = deadline ? deadline - mono_ms() : -1;
		int n = deadline && left <= 0 ? 0 : poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		stats->calls[XS_POLL]++;
		if (n == 0)
			ops->expire(conn);
		events = n > 0 ? p.revents : 0;
	}
}
