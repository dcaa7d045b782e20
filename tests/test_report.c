/* Check suite for src/report.c: the text the mains print, exact to the byte: the
 * summary (SPEC X-8), the server's transfer line (S-17), escaping (E-4), error and
 * usage lines (E-2, C-6) and accepting under descriptor pressure (S-10). Output
 * is captured from the real stderr and stdout of the forked test. */
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "proc.h"
#include "report.h"
#include "wire.h"
#include "testutil.h"

static int err_cap; /* stderr, captured in every test */
static char out[16384];

static void setup(void) { err_cap = tu_capture(STDERR_FILENO); }

static void teardown(void) { close(err_cap); }

/* What went to stderr since the last look. */
static const char *err_text(void)
{
	tu_captured(err_cap, out, sizeof out);
	return out;
}

/* --- report_format (SPEC X-8, C-10) */

static struct xfer_stats some_calls(void)
{
	struct xfer_stats st = {0};
	st.calls[XS_RECVFROM] = 3;
	st.calls[XS_SPLICE] = 96;
	st.calls[XS_POLL] = 2;
	return st;
}

/* SPEC X-8 C-10: the summary line, exactly; only calls made at least once, in a fixed order. */
START_TEST(x8_format_exact)
{
	char buf[512];
	report_format(buf, sizeof buf, "received", 3145728, "from", "10.0.0.7:41234", 2.0, "splice", NULL);
	ck_assert_str_eq(buf, "received 3145728 bytes from 10.0.0.7:41234 in 2.000 s (1.5 MiB/s), path splice");
	struct xfer_stats st = some_calls();
	report_format(buf, sizeof buf, "received", 3145728, "from", "10.0.0.7:41234", 2.0, "splice", &st);
	ck_assert_str_eq(buf, "received 3145728 bytes from 10.0.0.7:41234 in 2.000 s (1.5 MiB/s), path splice; "
			 "syscalls: recvfrom=3 splice=96 poll=2");
	for (int s = 0; s < XS_COUNT; s++)
		st.calls[s] = (uint64_t)s + 1;
	report_format(buf, sizeof buf, "sent", 0, "to", "[::1]:9", 0.0004, "copy", &st);
	ck_assert_str_eq(buf, "sent 0 bytes to [::1]:9 in 0.000 s (0.0 MiB/s), path copy; syscalls: read=1 "
			 "pread64=2 write=3 sendto=4 recvfrom=5 sendfile=6 splice=7 pwrite64=8 poll=9 "
			 "SSL_read=10 SSL_write=11 pwritev2=12"); /* SPEC T-6: OpenSSL's calls, named as such */
}
END_TEST

/* SPEC X-8: stats that count nothing list nothing; no time means no rate, not a division by 0. */
START_TEST(x8_format_no_calls_no_time)
{
	char buf[256];
	struct xfer_stats none = {0};
	report_format(buf, sizeof buf, "received", 1048576, "from", "h:1", 0.0, "copy", &none);
	ck_assert_str_eq(buf, "received 1048576 bytes from h:1 in 0.000 s (0.0 MiB/s), path copy; syscalls:");
	report_format(buf, sizeof buf, "received", UINT64_MAX, "from", "h:1", 1e6, "sendfile", NULL);
	ck_assert_str_eq(buf, "received 18446744073709551615 bytes from h:1 in 1000000.000 s "
			 "(17592186.0 MiB/s), path sendfile");
}
END_TEST

/* SPEC X-8: a buffer of any size holds as much of the line as fits, terminated;
 * each buffer is exactly its size, so a byte written past it is caught (ASan). */
START_TEST(x8_format_truncates_at_any_length)
{
	char full[512];
	struct xfer_stats st = some_calls();
	report_format(full, sizeof full, "received", 3145728, "from", "10.0.0.7:41234", 2.0, "splice", &st);
	size_t n = strlen(full);
	for (size_t len = 1; len <= n + 1; len++) {
		char *buf = malloc(len);
		ck_assert_ptr_nonnull(buf);
		report_format(buf, len, "received", 3145728, "from", "10.0.0.7:41234", 2.0, "splice", &st);
		ck_assert_uint_eq(strlen(buf), len - 1);
		ck_assert_int_eq(memcmp(buf, full, len - 1), 0);
		free(buf);
	}
}
END_TEST

/* --- report_transfer (SPEC S-17) */

static struct xfer_stats sent_calls;

/* The transfer of the example in SPEC S-17. */
static struct step_log example(void)
{
	sent_calls = (struct xfer_stats){0};
	sent_calls.calls[XS_SENDFILE] = 60;
	sent_calls.calls[XS_SENDTO] = 1;
	sent_calls.calls[XS_RECVFROM] = 3;
	return (struct step_log){.peer = "10.0.0.7:41234", .name = "data.bin", .offset = 0,
				   .length = 5000000, .bytes = 5000000, .seconds = 0.004130,
				   .path = XFER_SENDFILE, .stats = &sent_calls};
}

/* Prints l, checks the line's prefix and time (UTC with milliseconds, taken while it
 * was printed) and returns what follows the time. */
static const char *transfer_line(const struct step_log *l, bool verbose)
{
	struct timespec before, after; /* the clock the line reads (time() is a coarser one) */
	clock_gettime(CLOCK_REALTIME, &before);
	report_transfer("zcp-send", l, verbose);
	clock_gettime(CLOCK_REALTIME, &after);
	const char *s = err_text();
	const char *pre = "zcp-send: time=";
	ck_assert_msg(!strncmp(s, pre, strlen(pre)), "line '%s'", s);
	s += strlen(pre);
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_eq((size_t)(end - s), 19);
	ck_assert_msg(end[0] == '.' && end[1] >= '0' && end[1] <= '9' && end[2] >= '0' && end[2] <= '9' &&
		      end[3] >= '0' && end[3] <= '9' && end[4] == 'Z', "time '%.24s'", s);
	time_t t = timegm(&tm);
	ck_assert_int_ge(t, before.tv_sec);
	ck_assert_int_le(t, after.tv_sec);
	return end + 5;
}

/* SPEC S-17: the line of a transfer that went well, key by key, as the SPEC shows it. */
START_TEST(s17_transfer_ok)
{
	struct step_log l = example();
	ck_assert_str_eq(transfer_line(&l, false), " peer=10.0.0.7:41234 name=data.bin offset=0 length=5000000 "
			 "bytes=5000000 seconds=0.004130 mib_s=1154.6 path=sendfile result=ok\n");
	l = (struct step_log){.peer = "[::1]:9", .name = "", .offset = 7, .length = 0, .bytes = 0,
				.seconds = 0, .path = XFER_SPLICE, .stats = &sent_calls};
	ck_assert_str_eq(transfer_line(&l, false), " peer=[::1]:9 name=\"\" offset=7 length=0 bytes=0 "
			 "seconds=0.000000 mib_s=0.0 path=splice result=ok\n");
}
END_TEST

/* SPEC S-17 X-8: with verbose the calls of the transfer end the line, those made at
 * least once; with none made, or without verbose, there is no syscalls key. */
START_TEST(s17_transfer_syscalls)
{
	struct step_log l = example();
	ck_assert_str_eq(transfer_line(&l, true), " peer=10.0.0.7:41234 name=data.bin offset=0 length=5000000 "
			 "bytes=5000000 seconds=0.004130 mib_s=1154.6 path=sendfile result=ok "
			 "syscalls=sendto:1,recvfrom:3,sendfile:60\n");
	sent_calls = (struct xfer_stats){0};
	const char *s = transfer_line(&l, true);
	ck_assert_msg(!strstr(s, "syscalls") && !strcmp(s + strlen(s) - 10, "result=ok\n"), "'%s'", s);
}
END_TEST

/* SPEC H-9: an HTTP transfer's line names the protocol, the method (a value like
 * any other) and the status after the path. */
START_TEST(h9_http_transfer_names_method_and_status)
{
	struct step_log l = example();
	l.proto = "http", l.method = "GET", l.status = 206;
	ck_assert_str_eq(transfer_line(&l, false), " peer=10.0.0.7:41234 name=data.bin offset=0 length=5000000 "
			 "bytes=5000000 seconds=0.004130 mib_s=1154.6 path=sendfile proto=http method=GET "
			 "status=206 result=ok\n");
	l.method = "BAD\nMETHOD", l.status = 405, l.result = 2;
	const char *s = transfer_line(&l, false);
	ck_assert_msg(strstr(s, " proto=http method=\"BAD\\\\x0aMETHOD\" status=405 result=failed exit=2\n"), "'%s'",
		      s);
}
END_TEST

struct result_case {
	int result;
	bool probe, busy;
	const char *tail; /* the line after peer=... */
};

/* SPEC S-17: the results; busy has only the time and the peer before it. */
static const struct result_case result_cases[] = {
	{4, false, false, " name=data.bin offset=0 length=5000000 bytes=5000000 seconds=0.004130 mib_s=1154.6 "
			  "path=sendfile result=failed exit=4\n"},
	{0, true, false, " name=data.bin offset=0 length=5000000 bytes=5000000 seconds=0.004130 mib_s=1154.6 "
			 "path=sendfile result=probe\n"},
	{6, true, false, " name=data.bin offset=0 length=5000000 bytes=5000000 seconds=0.004130 mib_s=1154.6 "
			 "path=sendfile result=failed exit=6\n"},
	{0, false, true, " result=busy\n"},
	{5, false, true, " result=busy\n"},
};

START_TEST(s17_transfer_results)
{
	const struct result_case *c = &result_cases[_i];
	struct step_log l = example();
	l.result = c->result, l.probe = c->probe, l.busy = c->busy;
	char want[256];
	snprintf(want, sizeof want, " peer=10.0.0.7:41234%s", c->tail);
	ck_assert_str_eq(transfer_line(&l, false), want);
}
END_TEST

struct value_case {
	const char *in, *out;
};

/* SPEC S-17 E-4: a value is escaped, then quoted when it holds a space, a quote or
 * a backslash (the escapes bring backslashes) or is empty, with " and \ escaped. */
static const struct value_case value_cases[] = {
	{"data.bin", "data.bin"},
	{"", "\"\""},
	{"two words", "\"two words\""},
	{"say \"hi\"", "\"say \\\"hi\\\"\""},
	{"back\\slash", "\"back\\\\slash\""},
	{"evil\n\x1b[2J", "\"evil\\\\x0a\\\\x1b[2J\""},
	{"tab\tname", "\"tab\\\\x09name\""},
	{"donn\xc3\xa9" "es", "donn\xc3\xa9" "es"},
	{"bidi\xe2\x80\xae" "gpj.exe", "\"bidi\\\\xe2\\\\x80\\\\xaegpj.exe\""},
	{"dir/sub/f=1", "dir/sub/f=1"},
};

START_TEST(s17_values_escaped_and_quoted)
{
	const struct value_case *c = &value_cases[_i];
	struct step_log l = example();
	l.name = c->in;
	char want[256];
	snprintf(want, sizeof want, " peer=10.0.0.7:41234 name=%s offset=0 length=5000000 bytes=5000000 "
		 "seconds=0.004130 mib_s=1154.6 path=sendfile result=ok\n", c->out);
	ck_assert_str_eq(transfer_line(&l, false), want);
	l.peer = c->in, l.busy = true; /* the peer is a value too */
	snprintf(want, sizeof want, " peer=%s result=busy\n", c->out);
	ck_assert_str_eq(transfer_line(&l, false), want);
}
END_TEST

/* SPEC S-17 E-4: the longest name a peer can send, every byte a control byte, is
 * logged whole: each byte as \xNN with its backslash escaped, in closed quotes, on
 * one line (no escape cut in two: a bare \x0 is not the form E-4 promises). */
START_TEST(s17_longest_hostile_name_stays_one_value)
{
	static char name[ZCP_PATH_MAX + 1];
	memset(name, '\n', ZCP_PATH_MAX);
	struct step_log l = example();
	l.name = name;
	const char *s = transfer_line(&l, false);
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	const char *v = strstr(s, " name=\""), *close = strstr(s, "\" offset=0 length=5000000 ");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(close);
	v += strlen(" name=\"");
	size_t inner = (size_t)(close - v);
	ck_assert_uint_eq(inner, 5 * ZCP_PATH_MAX); /* \\x0a is 5 bytes */
	for (size_t i = 0; i < inner; i += 5)
		ck_assert_int_eq(memcmp(v + i, "\\\\x0a", 5), 0);
}
END_TEST

/* SPEC S-17 E-4: a value longer than its room (a peer address cannot be, but the
 * cut is there) keeps its closing quote and the line its one line. */
START_TEST(s17_value_cut_stays_quoted)
{
	static char peer[2000];
	memset(peer, ' ', sizeof peer - 1);
	struct step_log l = example();
	l.peer = peer, l.busy = true;
	const char *s = transfer_line(&l, false);
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	size_t n = strlen(" peer=\"");
	ck_assert_int_eq(strncmp(s, " peer=\"    ", n + 4), 0);
	ck_assert_str_eq(s + strspn(s + n, " ") + n, "\" result=busy\n");
	ck_assert_uint_lt(strlen(s), sizeof peer);
}
END_TEST

/* SPEC S-17 X-8: counts too long for the syscalls key are cut, the line kept whole. */
START_TEST(s17_syscalls_cut_line_whole)
{
	struct step_log l = example();
	for (int s = 0; s < XS_COUNT; s++)
		sent_calls.calls[s] = UINT64_MAX;
	const char *s = transfer_line(&l, true);
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	const char *calls = strstr(s, " result=ok syscalls=read:18446744073709551615,pread64:");
	ck_assert_ptr_nonnull(calls);
	ck_assert_uint_lt(strlen(calls), 256 + 12);
}
END_TEST

/* --- report_note, report_error, report_usage_error (SPEC E-2, E-4, C-6) */

/* SPEC E-4: a note is one line, whatever its arguments hold. */
START_TEST(e4_note_escaped)
{
	report_note("zcp-recv", "kept %s: run again with --resume to fetch the rest", "out\n\x1b[1mx");
	ck_assert_str_eq(err_text(), "zcp-recv: kept out\\x0a\\x1b[1mx: run again with --resume to fetch the rest\n");
	static char big[20000];
	memset(big, 'n', sizeof big - 1);
	report_note("zcp-recv", "%s", big); /* longer than the note's buffer: cut, still one line */
	const char *s = err_text();
	size_t n = strlen(s);
	ck_assert_uint_gt(n, 1000);
	ck_assert_uint_lt(n, sizeof big);
	ck_assert_ptr_eq(strchr(s, '\n'), s + n - 1);
	ck_assert_int_eq(strncmp(s, "zcp-recv: nnnn", 14), 0);
}
END_TEST

/* SPEC E-2 E-1: an error is one line, PROG: SYSCALL OBJECT: REASON, and its exit code. */
START_TEST(e2_error_line_and_code)
{
	struct zerr e;
	zerr_sys(&e, ZCP_EXIT_NET, "sendfile", "10.0.0.7:41234", EPIPE);
	ck_assert_int_eq(report_error("zcp-send", &e), 4);
	ck_assert_str_eq(err_text(), "zcp-send: sendfile 10.0.0.7:41234: Broken pipe\n");
	zerr_sys(&e, ZCP_EXIT_FILE, "write", "out\n.bin", ENOSPC);
	ck_assert_int_eq(report_error("zcp-recv", &e), 3);
	ck_assert_str_eq(err_text(), "zcp-recv: write out\\x0a.bin: No space left on device\n");
	zerr_set(&e, ZCP_EXIT_PEER, "", "h:1", "sender answered %s", "NOT_FOUND");
	ck_assert_int_eq(report_error("zcp-recv", &e), 6);
	ck_assert_str_eq(err_text(), "zcp-recv: h:1: sender answered NOT_FOUND\n");
}
END_TEST

/* SPEC C-6: a usage error is its line, then the hint, and exit 2. */
START_TEST(c6_usage_error)
{
	ck_assert_int_eq(report_usage_error("zcp-recv", "unknown option '--bogus'"), 2);
	ck_assert_str_eq(err_text(), "zcp-recv: unknown option '--bogus'\nTry 'zcp-recv --help'.\n");
}
END_TEST

/* --- report_action (SPEC C-6, C-9) */

static const char usage[] = "Usage: zcp-send [OPTION]... FILE\n  -h, --help  this\n";

/* SPEC C-6: --help and --version print to stdout and exit 0; running prints nothing. */
START_TEST(c6_help_and_version)
{
	int out_cap = tu_capture(STDOUT_FILENO);
	char got[256];
	ck_assert_int_eq(report_action("zcp-send", OPTS_RUN, usage, 0), -1);
	ck_assert_uint_eq(tu_captured(out_cap, got, sizeof got), 0);
	ck_assert_int_eq(report_action("zcp-send", OPTS_HELP, usage, 0), 0);
	tu_captured(out_cap, got, sizeof got);
	ck_assert_str_eq(got, usage);
	ck_assert_int_eq(report_action("zcp-recv", OPTS_VERSION, usage, PROC_STDIN_CLOSED | PROC_STDERR_CLOSED), 0);
	tu_captured(out_cap, got, sizeof got);
	ck_assert_str_eq(got, "zcp-recv ZCP/1 " ZCP_RELEASE "\n");
	ck_assert_str_eq(err_text(), "");
	close(out_cap);
}
END_TEST

/* SPEC C-6 C-9: a standard output closed at start is an error, and nothing is written. */
START_TEST(c9_help_stdout_closed)
{
	int out_cap = tu_capture(STDOUT_FILENO);
	char got[64];
	ck_assert_int_eq(report_action("zcp-send", OPTS_HELP, usage, PROC_STDOUT_CLOSED), 3);
	ck_assert_str_eq(err_text(), "zcp-send: write <stdout>: Bad file descriptor\n");
	ck_assert_uint_eq(tu_captured(out_cap, got, sizeof got), 0);
	close(out_cap);
}
END_TEST

/* SPEC C-6: a standard output that cannot take the text (a full disk) is exit 3. */
START_TEST(c6_version_stdout_full)
{
	int full = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(full, 0);
	ck_assert_int_eq(dup2(full, STDOUT_FILENO), STDOUT_FILENO);
	ck_assert_int_eq(report_action("zcp-recv", OPTS_VERSION, usage, 0), 3);
	ck_assert_str_eq(err_text(), "zcp-recv: write <stdout>: No space left on device\n");
	close(full);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("text");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, x8_format_exact);
	tcase_add_test(tc, x8_format_no_calls_no_time);
	tcase_add_test(tc, x8_format_truncates_at_any_length);
	tcase_add_test(tc, s17_transfer_ok);
	tcase_add_test(tc, h9_http_transfer_names_method_and_status);
	tcase_add_test(tc, s17_transfer_syscalls);
	tcase_add_loop_test(tc, s17_transfer_results, 0, (int)(sizeof result_cases / sizeof result_cases[0]));
	tcase_add_loop_test(tc, s17_values_escaped_and_quoted, 0,
			    (int)(sizeof value_cases / sizeof value_cases[0]));
	tcase_add_test(tc, s17_longest_hostile_name_stays_one_value);
	tcase_add_test(tc, s17_value_cut_stays_quoted);
	tcase_add_test(tc, s17_syscalls_cut_line_whole);
	tcase_add_test(tc, e4_note_escaped);
	tcase_add_test(tc, e2_error_line_and_code);
	tcase_add_test(tc, c6_usage_error);
	tcase_add_test(tc, c6_help_and_version);
	tcase_add_test(tc, c9_help_stdout_closed);
	tcase_add_test(tc, c6_version_stdout_full);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
