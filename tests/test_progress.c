/* Check suite for src/progress.c: the progress line (SPEC C-10) exact to the byte,
 * captured from the real stderr of the forked test. progress_draw() reads the
 * monotonic clock itself; a test that needs a known rate puts the start of the
 * transfer far enough back that the moment of drawing cannot move the printed
 * figures (the margin is said at each). */
#include <math.h>

#include "mono.h"
#include "progress.h"
#include "testutil.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static int err_cap;
static char out[4096];

static void setup(void) { err_cap = tu_capture(STDERR_FILENO); }

static void teardown(void) { close(err_cap); }

static const char *err_text(void)
{
	tu_captured(err_cap, out, sizeof out);
	return out;
}

/* A line for zcp-recv whose transfer started secs ago. */
static void started(struct progress *p, uint64_t base, double secs)
{
	progress_start(p, "zcp-recv", base);
	p->start = mono_now() - secs;
}

struct size_case {
	uint64_t n;
	const char *text;
};

/* SPEC C-10: sizes in B, then KiB, MiB, GiB... with one decimal. */
static const struct size_case size_cases[] = {
	{0, "0 B"},
	{1, "1 B"},
	{1023, "1023 B"},
	{1024, "1.0 KiB"},
	{1536, "1.5 KiB"},
	{300 * 1024, "300.0 KiB"},
	{MIB, "1.0 MiB"},
	{3 * GIB / 2, "1.5 GiB"},
	{1ull << 40, "1.0 TiB"},
	{5ull << 50, "5.0 PiB"},
	{1ull << 60, "1.0 EiB"},
	{UINT64_MAX, "16.0 EiB"},
};

START_TEST(c10_size_units)
{
	const struct size_case *c = &size_cases[_i];
	char buf[32];
	ck_assert_ptr_eq(progress_size(c->n, buf, sizeof buf), buf);
	ck_assert_str_eq(buf, c->text);
}
END_TEST

/* SPEC C-10: a buffer too small holds what fits, terminated. */
START_TEST(c10_size_truncates)
{
	char buf[4];
	progress_size(3 * GIB / 2, buf, sizeof buf);
	ck_assert_str_eq(buf, "1.5");
}
END_TEST

struct line_case {
	uint64_t base;
	double secs; /* since the start */
	uint64_t moved, total;
	const char *line;
};

/* SPEC C-10: the line: PROG: DONE / TOTAL  PCT%  RATE/s  ETA H:MM:SS, after \r. Each
 * case's figures hold while drawing takes less than 3.5 s. */
static const struct line_case line_cases[] = {
	/* 1800 MiB in 1000 s: 1.8 MiB/s; 200 MiB left: 111.1 s */
	{0, 1000, 1800 * MIB, 2000 * MIB, "\rzcp-recv: 1.8 GiB / 2.0 GiB   90%  1.8 MiB/s  ETA 0:01:51"},
	/* hours: 900 MiB in 10 h: 25.6 KiB/s; 100 MiB left: 4000 s */
	{0, 36000, 900 * MIB, 1000 * MIB, "\rzcp-recv: 900.0 MiB / 1000.0 MiB   90%  25.6 KiB/s  ETA 1:06:40"},
	/* past a day: in 9 days and 9 h, 1.1 KiB/s, 25 h left */
	{0, 810000, 900 * MIB, 1000 * MIB, "\rzcp-recv: 900.0 MiB / 1000.0 MiB   90%  1.1 KiB/s  ETA 25:00:00"},
	/* a resume counts the bytes already there (1 GiB) as done, but the rate and the
	 * time left are this run's: 900 MiB in 600 s, 1.5 MiB/s, 66.7 s left */
	{GIB, 600, 900 * MIB, 1000 * MIB, "\rzcp-recv: 1.9 GiB / 2.0 GiB   95%  1.5 MiB/s  ETA 0:01:07"},
	/* nothing moved yet: no rate, no time left */
	{0, 5, 0, 100, "\rzcp-recv: 0 B / 100 B    0%  0 B/s"},
	/* a clock that has not moved on since the start: no rate rather than a division by 0 */
	{0, -100, 50, 100, "\rzcp-recv: 50 B / 100 B   50%  0 B/s"},
	/* a sender that declares 4 EiB and sends a byte in 100 s: 4.6e20 s left, more than
	 * an integer holds; the time left shown stops at 999999 h */
	{0, 100, 1, 1ull << 62, "\rzcp-recv: 1 B / 4.0 EiB    0%  0 B/s  ETA 999999:59:59"},
};

START_TEST(c10_line_cases)
{
	const struct line_case *c = &line_cases[_i];
	struct progress p;
	started(&p, c->base, c->secs);
	progress_draw(&p, c->moved, c->total);
	ck_assert_str_eq(err_text(), c->line);
}
END_TEST

/* SPEC C-10: the last byte is always drawn, at once, without an ETA, and a shorter
 * line blanks what is left of the longer one before it. */
START_TEST(c10_last_byte_drawn_and_blanks_rest)
{
	struct progress p;
	started(&p, 0, 400);
	progress_draw(&p, 400 * MIB, 800 * MIB);
	size_t first = strlen(err_text());
	ck_assert_uint_gt(first, 0);
	p.drawn = mono_now() + 3600; /* drawn "just now" for any clock: not due */
	progress_draw(&p, 500 * MIB, 800 * MIB);
	ck_assert_str_eq(err_text(), "");
	progress_draw(&p, 800 * MIB, 800 * MIB);
	const char *line = "\rzcp-recv: 800.0 MiB / 800.0 MiB  100%  2.0 MiB/s"; /* holds for 10 s */
	char want[256];
	snprintf(want, sizeof want, "%s%*s", line, (int)(first - strlen(line)), "");
	ck_assert_str_eq(err_text(), want);
	ck_assert_int_eq(p.width, (int)strlen(line));
}
END_TEST

/* SPEC C-10: ticks in a tight loop redraw at most 10 times a second: the draws
 * seen (the line's \r) are 100 ms apart at least, and no more than the elapsed time
 * allows. Ticks go on until three draws were seen, 5 s at most. */
START_TEST(c10_at_most_10_a_second)
{
	struct progress p;
	const struct step_progress *hook = progress_start(&p, "zcp-recv", 0);
	double t0 = mono_now(), times[4];
	int draws = 0;
	uint64_t ticks = 0;
	for (double last = -1; draws < 3 && mono_now() - t0 < 5; ticks++) {
		hook->tick(hook->arg, ticks + 1, 1ull << 40);
		if (p.drawn != last)
			times[draws++] = last = p.drawn;
		poll(NULL, 0, 1);
	}
	double elapsed = mono_now() - t0;
	ck_assert_int_eq(draws, 3);
	for (int i = 1; i < draws; i++)
		ck_assert_msg(times[i] - times[i - 1] >= 1.0 / PROGRESS_HZ, "drawn %.4f s apart",
			      times[i] - times[i - 1]);
	int lines = 0;
	for (const char *s = err_text(); *s; s++)
		lines += *s == '\r';
	ck_assert_int_eq(lines, draws);
	ck_assert_int_le(lines, (int)floor(elapsed * PROGRESS_HZ) + 1);
}
END_TEST

/* SPEC C-10: progress_start() hands out the hook a driver calls: steps of at most
 * 64 MiB, each tick a draw of this line. */
START_TEST(c10_start_hook)
{
	struct progress p;
	const struct step_progress *hook = progress_start(&p, "zcp-send", 5);
	ck_assert_ptr_eq(hook, &p.hook);
	ck_assert_uint_eq(hook->every, 64 * MIB);
	ck_assert_ptr_eq(hook->arg, &p);
	ck_assert_str_eq(p.prog, "zcp-send");
	ck_assert_uint_eq(p.base, 5);
	ck_assert(p.drawn < 0);
	ck_assert_int_eq(p.width, 0);
	hook->tick(hook->arg, 95, 95);
	const char *s = err_text();
	ck_assert_msg(!strncmp(s, "\rzcp-send: 100 B / 100 B  100%  ", 32), "'%s'", s);
}
END_TEST

/* SPEC C-10: nothing is drawn before the size is known, and an end with nothing
 * drawn writes nothing. */
START_TEST(c10_unknown_total_draws_nothing)
{
	struct progress p;
	started(&p, 0, 10);
	progress_draw(&p, 0, 0);
	progress_draw(&p, 4096, 0);
	progress_end(&p);
	ck_assert_str_eq(err_text(), "");
}
END_TEST

/* SPEC C-10: the end blanks the line in place, once; a line drawn after it is not
 * held back by the one before. */
START_TEST(c10_end_blanks_once)
{
	struct progress p;
	started(&p, 0, 10);
	progress_draw(&p, 1, 2);
	size_t n = strlen(err_text());
	progress_end(&p);
	char want[256];
	snprintf(want, sizeof want, "\r%*s\r", (int)n, "");
	ck_assert_str_eq(err_text(), want);
	progress_end(&p);
	ck_assert_str_eq(err_text(), "");
	progress_draw(&p, 1, 3);
	ck_assert_msg(!strncmp(err_text(), "\rzcp-recv: 1 B / 3 B   33%", 26), "'%s'", out);
}
END_TEST

/* A terminal on stderr: the slave side of a new pseudo-terminal. */
static void stderr_on_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(dup2(s, STDERR_FILENO), STDERR_FILENO);
	close(s);
}

/* SPEC C-10: drawn when stderr is a terminal or with --progress, never with -q. */
START_TEST(c10_wanted)
{
	ck_assert(!progress_wanted(false, false)); /* stderr is a file here */
	ck_assert(progress_wanted(true, false));
	ck_assert(!progress_wanted(true, true));
	ck_assert(!progress_wanted(false, true));
	stderr_on_terminal();
	ck_assert(progress_wanted(false, false));
	ck_assert(progress_wanted(true, false));
	ck_assert(!progress_wanted(false, true));
	ck_assert(!progress_wanted(true, true));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("line");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, c10_size_units, 0, (int)(sizeof size_cases / sizeof size_cases[0]));
	tcase_add_test(tc, c10_size_truncates);
	tcase_add_loop_test(tc, c10_line_cases, 0, (int)(sizeof line_cases / sizeof line_cases[0]));
	tcase_add_test(tc, c10_last_byte_drawn_and_blanks_rest);
	tcase_add_test(tc, c10_at_most_10_a_second);
	tcase_add_test(tc, c10_start_hook);
	tcase_add_test(tc, c10_unknown_total_draws_nothing);
	tcase_add_test(tc, c10_end_blanks_once);
	tcase_add_test(tc, c10_wanted);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
