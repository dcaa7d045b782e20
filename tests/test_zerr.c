/* Check suite for src/zerr.c: error values and the one-line text (SPEC E-2, E-4). */
#include <limits.h>

#include "testutil.h"
#include "zerr.h"

struct esc_case {
	const char *in, *out;
};

/* SPEC E-4: what a peer can put in a name never reaches the terminal raw. */
static const struct esc_case esc_cases[] = {
	{"plain name.bin", "plain name.bin"},
	{"two\nlines", "two\\x0alines"},
	{"\x1b[2Jclear", "\\x1b[2Jclear"},
	{"tab\there\r", "tab\\x09here\\x0d"},
	{"del\x7f", "del\\x7f"},
	{"donn\xc3\xa9" "es.bin", "donn\xc3\xa9" "es.bin"},           /* UTF-8 kept */
	{"\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},     /* CJK kept */
	{"c1\xc2\x9b" "31m", "c1\\xc2\\x9b31m"},                      /* C1 CSI */
	{"bare\x9b", "bare\\x9b"},                                      /* 8-bit CSI */
	{"bidi\xe2\x80\xae" "txt", "bidi\\xe2\\x80\\xaetxt"},          /* U+202E */
	{"ls\xe2\x80\xa8", "ls\\xe2\\x80\\xa8"},                        /* U+2028 */
	{"overlong\xc0\xaf", "overlong\\xc0\\xaf"},
	{"cut\xe6\x97", "cut\\xe6\\x97"},                               /* truncated sequence */
	{"surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80"},
	{"back\\slash", "back\\slash"},
	{"emoji\xf0\x9f\x98\x80", "emoji\xf0\x9f\x98\x80"},                  /* 4 bytes kept */
	{"big\xf4\x90\x80\x80", "big\\xf4\\x90\\x80\\x80"},                     /* past U+10FFFF */
};

START_TEST(e4_escape_cases)
{
	const struct esc_case *c = &esc_cases[_i];
	char out[128];
	size_t n = zerr_escape(out, sizeof out, c->in);
	ck_assert_str_eq(out, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
}
END_TEST

/* SPEC E-4: truncation never splits an escape or a UTF-8 sequence, always terminates. */
START_TEST(e4_escape_truncates_whole_units)
{
	char out[8];
	zerr_escape(out, sizeof out, "ab\ncd");
	ck_assert_str_eq(out, "ab\\x0ac");
	zerr_escape(out, 7, "ab\ncd");
	ck_assert_str_eq(out, "ab\\x0a"); /* "c" would leave no room for the NUL */
	zerr_escape(out, 6, "ab\ncd");
	ck_assert_str_eq(out, "ab");
	zerr_escape(out, 4, "a\xc3\xa9z");
	ck_assert_str_eq(out, "a\xc3\xa9");
	zerr_escape(out, 3, "a\xc3\xa9z");
	ck_assert_str_eq(out, "a");
	zerr_escape(out, 1, "abc");
	ck_assert_str_eq(out, "");
}
END_TEST

/* SPEC E-2 E-4: the formatted line is one line whatever the object and reason hold. */
START_TEST(e2_format_one_line)
{
	struct zerr e;
	char line[256];
	zerr_set(&e, ZCP_EXIT_PROTO, "", "10.0.0.1:9", "asked for unknown name '%s'", "x\ny\x1b");
	zerr_format(&e, "zcp-send", line, sizeof line);
	ck_assert_str_eq(line, "zcp-send: 10.0.0.1:9: asked for unknown name 'x\\x0ay\\x1b'");
	zerr_sys(&e, ZCP_EXIT_FILE, "open", "dir/evil\rname", ENOENT);
	zerr_format(&e, "zcp-recv", line, sizeof line);
	ck_assert_str_eq(line, "zcp-recv: open dir/evil\\x0dname: No such file or directory");
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	zerr_set(&e, ZCP_EXIT_NET, "accept", "", "%s", "Too many open files");
	zerr_format(&e, "zcp-send", line, sizeof line);
	ck_assert_str_eq(line, "zcp-send: accept: Too many open files");
}
END_TEST

/* SPEC E-2: a buffer too small for the line holds as much as fits, terminated. */
START_TEST(e2_format_truncates)
{
	struct zerr e;
	zerr_set(&e, ZCP_EXIT_NET, "recvfrom", "10.0.0.1:9", "%s", "Connection timed out");
	char small[12];
	zerr_format(&e, "zcp-recv", small, sizeof small); /* the prefix alone does not fit */
	ck_assert_str_eq(small, "zcp-recv: r");
	char mid[30];
	zerr_format(&e, "zcp-recv", mid, sizeof mid); /* the colon after the object does not */
	ck_assert_str_eq(mid, "zcp-recv: recvfrom 10.0.0.1:9");
}
END_TEST

/* The object holds a whole PATH_MAX path: nothing of a long name is lost. */
START_TEST(e2_object_holds_long_path)
{
	static char path[PATH_MAX];
	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	struct zerr e;
	zerr_sys(&e, ZCP_EXIT_FILE, "open", path, ENAMETOOLONG);
	ck_assert_str_eq(e.object, path);
	static char line[ZERR_LINE_MAX];
	zerr_format(&e, "zcp-recv", line, sizeof line);
	ck_assert_uint_eq(strlen(line), strlen("zcp-recv: open ") + strlen(path) +
			  strlen(": File name too long"));
}
END_TEST

/* SPEC E-4: the edges of what is kept: each lead byte's range, the shortest form
 * of each length, the ends of the C1 and the separator and bidi ranges. */
static const struct esc_case edge_cases[] = {
	{"\xc1\xbf", "\\xc1\\xbf"},                 /* below the 2-byte leads */
	{"\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"}, /* above the 4-byte leads */
	{"\xff", "\\xff"},
	{"\x80", "\\x80"},                             /* a continuation byte alone */
	{"\xe0\x9f\xbf", "\\xe0\\x9f\\xbf"},             /* overlong 3 bytes */
	{"\xe0\xa0\x80", "\xe0\xa0\x80"},               /* U+0800, the shortest 3 */
	{"\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"},     /* overlong 4 bytes */
	{"\xf0\x90\x80\x80", "\xf0\x90\x80\x80"},         /* U+10000, the shortest 4 */
	{"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},         /* U+10FFFF, the last */
	{"\xed\x9f\xbf", "\xed\x9f\xbf"},               /* U+D7FF, before the surrogates */
	{"\xee\x80\x80", "\xee\x80\x80"},               /* U+E000, after them */
	{"\xc2\x9f", "\\xc2\\x9f"},                     /* U+009F, the last C1 */
	{"\xc2\xa0", "\xc2\xa0"},                       /* U+00A0, after the C1 */
	{"\xe2\x80\x8d", "\xe2\x80\x8d"},               /* U+200D: kept */
	{"\xe2\x80\x8e", "\\xe2\\x80\\x8e"},             /* U+200E LRM */
	{"\xe2\x80\x8f", "\\xe2\\x80\\x8f"},             /* U+200F RLM */
	{"\xe2\x80\xa7", "\xe2\x80\xa7"},               /* U+2027: kept */
	{"\xe2\x80\xaf", "\xe2\x80\xaf"},               /* U+202F: kept */
	{"\xe2\x81\xa5", "\xe2\x81\xa5"},               /* U+2065: kept */
	{"\xe2\x81\xa6", "\\xe2\\x81\\xa6"},             /* U+2066 LRI */
	{"\xe2\x81\xa9", "\\xe2\\x81\\xa9"},             /* U+2069 PDI */
	{"\xe2\x81\xaa", "\xe2\x81\xaa"},               /* U+206A: kept */
	{"\xf0\x9f\x98", "\\xf0\\x9f\\x98"},             /* 4 bytes cut short */
};

START_TEST(e4_escape_edges)
{
	const struct esc_case *c = &edge_cases[_i];
	char out[128];
	ck_assert_uint_eq(zerr_escape(out, sizeof out, c->in), strlen(c->out));
	ck_assert_str_eq(out, c->out);
}
END_TEST

/* SPEC E-2: parts not given are empty and left out of the line; a zero-size
 * buffer is not written. */
START_TEST(e2_parts_left_out)
{
	struct zerr e;
	char line[128];
	zerr_set(&e, ZCP_EXIT_USAGE, NULL, NULL, "--chunk must be %d or more", 1);
	ck_assert_str_eq(e.call, "");
	ck_assert_str_eq(e.object, "");
	zerr_format(&e, "zcp-send", line, sizeof line);
	ck_assert_str_eq(line, "zcp-send: --chunk must be 1 or more");
	zerr_set(&e, ZCP_EXIT_FILE, "fsync", NULL, "%s", "Input/output error");
	zerr_format(&e, "zcp-recv", line, sizeof line);
	ck_assert_str_eq(line, "zcp-recv: fsync: Input/output error");
	char untouched = 'x';
	ck_assert_uint_eq(zerr_escape(&untouched, 0, "abc"), 0);
	ck_assert_int_eq(untouched, 'x');
}
END_TEST

int main(void)
{
	Suite *s = suite_create("zerr");
	TCase *tc = tcase_create("text");
	tcase_add_loop_test(tc, e4_escape_cases, 0, (int)(sizeof esc_cases / sizeof esc_cases[0]));
	tcase_add_test(tc, e4_escape_truncates_whole_units);
	tcase_add_test(tc, e2_format_one_line);
	tcase_add_test(tc, e2_format_truncates);
	tcase_add_test(tc, e2_object_holds_long_path);
	tcase_add_loop_test(tc, e4_escape_edges, 0, (int)(sizeof edge_cases / sizeof edge_cases[0]));
	tcase_add_test(tc, e2_parts_left_out);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
