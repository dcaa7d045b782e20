/* progress - the progress line on stderr while one transfer runs (SPEC C-10):
 * bytes, percent, rate and time left, redrawn at most 10 times a second on one
 * line. For the mains only: it prints. */
#ifndef ZCP_PROGRESS_H
#define ZCP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "step.h"

#define PROGRESS_EVERY (64ull << 20) /* a step moves at most this much while drawing */
#define PROGRESS_HZ 10

struct progress {
	const char *prog;
	uint64_t base;        /* bytes there before this run (a resume), counted as done */
	double start, drawn;  /* mono_now() of the start and of the last draw */
	int width;            /* the last line's length, to blank it */
	struct step_progress hook;
};

/* progress_wanted() - whether to draw: forced by --progress, never with -q, else
 * when stderr is a terminal. */
bool progress_wanted(bool forced, bool quiet);

/* progress_start() - a line for prog, base bytes already done; returns the hook
 * for a fetch_cfg or serve_cfg. */
const struct step_progress *progress_start(struct progress *p, const char *prog, uint64_t base);

/* progress_draw() - redraw for moved of total payload bytes (plus base), unless
 * drawn less than 1/PROGRESS_HZ s ago; the last byte is always drawn. */
void progress_draw(struct progress *p, uint64_t moved, uint64_t total);

/* progress_end() - blank the line, so that what follows starts clean. */
void progress_end(struct progress *p);

/* progress_size() - n bytes as "1.5 GiB", "300.0 KiB", "12 B" into buf. */
const char *progress_size(uint64_t n, char *buf, unsigned len);

#endif
