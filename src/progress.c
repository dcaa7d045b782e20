/* progress - one redrawn line on stderr. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "mono.h"

#define ETA_MAX (999999ul * 3600 + 3599) /* the longest time left shown, in seconds */

bool progress_wanted(bool forced, bool quiet)
{
	return !quiet && (forced || isatty(STDERR_FILENO));
}

const char *progress_size(uint64_t n, char *buf, unsigned len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u < 6)
		v /= 1024, u++;
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

static void tick(void *arg, uint64_t moved, uint64_t total)
{
	progress_draw(arg, moved, total);
}

const struct step_progress *progress_start(struct progress *p, const char *prog, uint64_t base)
{
	*p = (struct progress){.prog = prog, .base = base, .start = mono_now(), .drawn = -1,
			       .hook = {.every = PROGRESS_EVERY, .tick = tick, .arg = p}};
	return &p->hook;
}

void progress_draw(struct progress *p, uint64_t moved, uint64_t total)
{
	double now = mono_now(), secs = now - p->start;
	bool last = total && moved == total;
	if (!total || (!last && p->drawn >= 0 && now - p->drawn < 1.0 / PROGRESS_HZ))
		return;
	p->drawn = now;
	char done[32], all[32], rate[32], eta[32] = "";
	double bps = secs > 0 ? (double)moved / secs : 0;
	if (bps > 0 && !last) {
		/* the total is the peer's word (up to 2^63 bytes): the seconds left may not fit
		 * an integer, so they stop at 999999:59:59 */
		double secs_left = (double)(total - moved) / bps + 0.5;
		unsigned long left = secs_left < ETA_MAX ? (unsigned long)secs_left : ETA_MAX;
		snprintf(eta, sizeof eta, "  ETA %lu:%02lu:%02lu", left / 3600, left / 60 % 60, left % 60);
	}
	int n = fprintf(stderr, "\r%s: %s / %s  %3u%%  %s/s%s", p->prog, progress_size(p->base + moved, done, sizeof done),
			progress_size(p->base + total, all, sizeof all),
			(unsigned)((p->base + moved) * 100 / (p->base + total)),
			progress_size((uint64_t)bps, rate, sizeof rate), eta);
	for (int i = n; i < p->width; i++)
		fputc(' ', stderr);
	p->width = n > 0 ? n : 0;
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->drawn < 0)
		return;
	fprintf(stderr, "\r%*s\r", p->width, "");
	fflush(stderr);
	p->drawn = -1;
}
