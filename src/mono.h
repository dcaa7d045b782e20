/* mono - the monotonic clock, for durations and deadlines (never the wall clock,
 * which can jump). */
#ifndef ZCP_MONO_H
#define ZCP_MONO_H

#include <stdint.h>

/* mono_now() - seconds since an arbitrary fixed point, with nanosecond resolution. */
double mono_now(void);

/* mono_ms() - milliseconds since the same point, for deadlines. */
int64_t mono_ms(void);

#endif
