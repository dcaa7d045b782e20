/* Check suite for src/http.c: the request head, Range, validators, dates and the
 * response head (SPEC H). Every parse runs on a copy that ends right before a
 * PROT_NONE page, so an over-read crashes the test (test_wire shows the guard traps). */
#include "http.h"
#include "testutil.h"

/* Let a fault in the guard page arrive as SIGSEGV, which Check reports,
 * instead of ASan's own exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "handle_segv=0"; }

#define ACCEPT 0    /* the whole input is one head */
#define MORE (-2)   /* HTTP_NEED_MORE */

/* http_parse_request() over buf[0..len) copied to end at a guard page. */
static int parse_max(const char *buf, size_t len, size_t max, struct http_request *r)
{
	void *map;
	size_t maplen;
	const char *p = (const char *)tu_guarded(buf, len, &map, &maplen);
	int n = http_parse_request(p, len, max, r);
	tu_unguard(map, maplen);
	return n;
}

static int parse(const char *s, struct http_request *r)
{
	return parse_max(s, strlen(s), HTTP_HEAD_MAX, r);
}

/* The result in the tables' terms: ACCEPT, MORE, or the refusal's status. */
static int outcome(const char *s, size_t len, size_t max, struct http_request *r)
{
	int n = parse_max(s, len, max, r);
	if (n == HTTP_NEED_MORE)
		return MORE;
	if (n == HTTP_ERROR) {
		ck_assert_ptr_nonnull(r->why);
		return r->status;
	}
	ck_assert_int_eq(n, (int)len);
	return ACCEPT;
}

#define R(lit) lit, sizeof(lit) - 1 /* a literal with its length: some hold a NUL */
static const struct {
	const char *in;
	size_t len;
	int want;
} heads[] = {
	/* SPEC H-6 H-3: accepted */
	{R("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.0\r\n\r\n"), ACCEPT},                          /* 1.0 needs no Host */
	{R("GET / HTTP/1.1\nHost: h\n\n"), ACCEPT},                     /* bare LF line ends */
	{R("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), ACCEPT},           /* one empty line first */
	{R("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), ACCEPT},         /* two */
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 000\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.1\r\nHost:h\r\nX-A:\r\nX-B: \t v \t\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.1\r\nhOsT: h\r\nX: caf\xc3\xa9\r\n\r\n"), ACCEPT}, /* obs-text in a value */
	{R("POST / HTTP/1.1\r\nHost: h\r\n\r\n"), ACCEPT},              /* 405 is the origin's */
	{R("GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n"), ACCEPT},
	/* SPEC H-6: malformed, 400 */
	{R("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400},       /* three empty lines */
	{R("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400},                /* bare CR before the line */
	{R("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"), 400},                /* bare CR in the line */
	{R("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400},            /* bare CR in a value */
	{R("GET / HTTP/1.1\r\nHo\rst: h\r\n\r\n"), 400},                /* bare CR in a name */
	{R("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"), 400},                /* CR CR LF */
	{R("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), 400},    /* obs-fold */
	{R("GET / HTTP/1.1\r\n\tHost: h\r\n\r\n"), 400},                /* fold after the line */
	{R("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400},                 /* space before ':' */
	{R("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nX\"y: z\r\n\r\n"), 400},       /* bad token chars */
	{R("GET / HTTP/1.1\r\nHost: h\r\nX{y}: z\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nX\x80: z\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n"), 400},           /* empty name */
	{R("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n"), 400},     /* control in a value */
	{R("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nX: a\0z\r\n\r\n"), 400},
	{R("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400},                  /* bad method */
	{R(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400},                 /* two spaces */
	{R("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400},
	{R("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},       /* raw non-ASCII target */
	{R("GET\r\n\r\n"), 400},
	{R("GET /\r\n\r\n"), 400},                                      /* HTTP/0.9 */
	{R("GET / http/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400},
	{R("GET / HTTP/1\r\nHost: h\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 0\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +0\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n"), 400},
	{R("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), 400},
	/* SPEC H-3: Host on 1.1: exactly one (and never several) */
	{R("GET / HTTP/1.1\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400},
	{R("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400},
	/* SPEC H-3: a Host value must be uri-host [":" port] (RFC 9112 3.2) */
	{R("GET / HTTP/1.1\r\nHost: \r\n\r\n"), ACCEPT},             /* empty: allowed */
	{R("GET / HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example:80\r\n\r\n"), ACCEPT},
	{R("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n"), 400},
	{R("GET / HTTP/1.1\r\nHost: h?x\r\n\r\n"), 400},
	{R("GET / HTTP/1.0\r\nHost: h,g\r\n\r\n"), ACCEPT},    /* sub-delims are reg-name */
	{R("GET / HTTP/1.0\r\nHost: h\"\r\n\r\n"), 400},
	/* SPEC H-3: versions */
	{R("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505},
	{R("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505},
	{R("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), 505},
	{R("GET / HTTP/3.1\r\n\r\n"), 505},
	/* SPEC H-2: targets */
	{R("GET foo HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a% HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a%4?x HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	{R("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
	/* incomplete: more is needed */
	{R(""), MORE},
	{R("\r"), MORE},
	{R("\r\n"), MORE},
	{R("GET / HTTP/1.1\r"), MORE},
	{R("GET / HTTP/1.1\r\nHost: h\r\n"), MORE},
	{R("GET / HTTP/1.1\r\nHost: h\r\n\r"), MORE},
	{R("GET / HTTP/2.0"), MORE},
};

/* SPEC H-3 H-6: each head of the table is accepted, refused with its status or
 * needs more. */
START_TEST(h6_heads)
{
	struct http_request r;
	const char *in = heads[_i].in;
	size_t len = heads[_i].len;
	ck_assert_msg(outcome(in, len, HTTP_HEAD_MAX, &r) == heads[_i].want, "row %d: '%s' gave %d (%s)",
		      _i, in, outcome(in, len, HTTP_HEAD_MAX, &r), r.why ? r.why : "");
}
END_TEST

/* SPEC H-6: a prefix of a head needs more or fails the same way; the parser never
 * reads past its input (each prefix ends at a guard page). */
START_TEST(h6_every_prefix)
{
	struct http_request r;
	const char *in = heads[_i].in;
	size_t len = heads[_i].len;
	int whole = outcome(in, len, HTTP_HEAD_MAX, &r);
	for (size_t cut = 0; cut < len; cut++) {
		int got = outcome(in, cut, HTTP_HEAD_MAX, &r);
		ck_assert_msg(got == MORE || (got == whole && whole != ACCEPT),
			      "row %d cut at %zu: %d, whole %d", _i, cut, got, whole);
	}
}
END_TEST

/* SPEC H-6: a refusal names its cause for the log, the smuggling ones exactly. */
START_TEST(h6_refusal_reasons)
{
	static const struct {
		const char *in, *why;
	} r[] = {
		{"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", "obs-fold"},
		{"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", "bare CR"},
		{"GET / HTTP/1.1\r\nHost : h\r\n\r\n", "whitespace before a colon"},
		{"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"},
		{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
		 "duplicate Content-Length"},
		{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n", "request with a body"},
	};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		struct http_request q;
		ck_assert_int_eq(parse(r[i].in, &q), HTTP_ERROR);
		ck_assert_int_eq(q.status, 400);
		ck_assert_str_eq(q.why, r[i].why);
	}
}
END_TEST

/* SPEC H-3 H-6: a refusal is said in the request's version when the line gave one,
 * else in 1.1, ours. */
START_TEST(h6_refusal_version)
{
	struct http_request r;
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nX : y\r\n\r\n", &r), HTTP_ERROR);
	ck_assert_int_eq(r.minor, 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nX : y\r\n\r\n", &r), HTTP_ERROR);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(parse("G{T / HTTP/1.0\r\n\r\n", &r), HTTP_ERROR);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(parse("GET / HTTP/2.0\r\n\r\n", &r), HTTP_ERROR);
	ck_assert_int_eq(r.minor, 1);
}
END_TEST

/* SPEC H-6: bytes after the head are left alone: the count is the head's. */
START_TEST(h7_pipelined_head_length)
{
	struct http_request r;
	const char *two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	ck_assert_int_eq(parse(two, &r), (int)strlen(two) / 2);
	ck_assert_str_eq(r.path, "a");
	ck_assert_int_eq(parse(two + strlen(two) / 2, &r), (int)strlen(two) / 2);
	ck_assert_str_eq(r.path, "b");
}
END_TEST

/* A head of exactly len bytes: the request line, a padding field, the end. */
static char *head_of(size_t len, const char *line)
{
	char *h = malloc(len + 1);
	size_t fixed = strlen(line) + strlen("X-Pad: \r\n\r\n");
	ck_assert_uint_ge(len, fixed);
	int n = sprintf(h, "%sX-Pad: ", line);
	memset(h + n, 'p', len - fixed);
	strcpy(h + n + (len - fixed), "\r\n\r\n");
	ck_assert_uint_eq(strlen(h), len);
	return h;
}

/* SPEC H-6: a head of exactly max bytes is accepted; one byte more is 431, at once
 * when max bytes are there without the end, never before. */
START_TEST(h6_head_max_431)
{
	struct http_request r;
	char *h = head_of(HTTP_HEAD_MAX, "GET / HTTP/1.1\r\nHost: h\r\n");
	ck_assert_int_eq(outcome(h, HTTP_HEAD_MAX, HTTP_HEAD_MAX, &r), ACCEPT);
	free(h);
	h = head_of(HTTP_HEAD_MAX + 1, "GET / HTTP/1.1\r\nHost: h\r\n");
	ck_assert_int_eq(outcome(h, HTTP_HEAD_MAX - 1, HTTP_HEAD_MAX, &r), MORE);
	ck_assert_int_eq(outcome(h, HTTP_HEAD_MAX, HTTP_HEAD_MAX, &r), 431);
	ck_assert_int_eq(outcome(h, HTTP_HEAD_MAX + 1, HTTP_HEAD_MAX, &r), 431);
	free(h);
	/* a smaller max works the same way */
	const char *small = "GET / HTTP/1.0\r\n\r\n";
	size_t n = strlen(small);
	ck_assert_int_eq(outcome(small, n, n, &r), ACCEPT);
	ck_assert_int_eq(outcome(small, n, n - 1, &r), 431);
	ck_assert_int_eq(outcome(small, n - 2, n - 1, &r), MORE);
	ck_assert_int_eq(outcome("\r\n", 2, 2, &r), 431);
}
END_TEST

/* SPEC H-6: a target of HTTP_TARGET_MAX bytes is served; one byte more is 414,
 * even in a head too large to end (the line says it first). */
START_TEST(h6_target_max_414)
{
	struct http_request r;
	char line[HTTP_TARGET_MAX + 64], *t = line + sprintf(line, "GET ");
	t[0] = '/', t[1] = 'x', t[2] = '?';
	memset(t + 3, 'q', HTTP_TARGET_MAX - 3);
	strcpy(t + HTTP_TARGET_MAX, " HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_int_eq(outcome(line, strlen(line), HTTP_HEAD_MAX, &r), ACCEPT);
	ck_assert_str_eq(r.path, "x");
	memset(t + 3, 'q', HTTP_TARGET_MAX - 2);
	strcpy(t + HTTP_TARGET_MAX + 1, " HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_int_eq(outcome(line, strlen(line), HTTP_HEAD_MAX, &r), 414);
	ck_assert_int_eq(outcome(line, 4 + HTTP_TARGET_MAX + 1, HTTP_HEAD_MAX, &r), 414);
	ck_assert_int_eq(outcome(line, 4 + HTTP_TARGET_MAX, HTTP_HEAD_MAX, &r), MORE);
	/* a target longer than the whole head limit is still 414 */
	size_t big = 3 * HTTP_HEAD_MAX;
	char *huge = malloc(big);
	memcpy(huge, "GET /", 5);
	memset(huge + 5, 'a', big - 5);
	ck_assert_int_eq(outcome(huge, big, HTTP_HEAD_MAX, &r), 414);
	free(huge);
}
END_TEST

/* SPEC H-2: a path that decodes to more than a name can be (W-8) is 414. */
START_TEST(h2_decoded_path_max)
{
	struct http_request r;
	char line[3 * ZCP_PATH_MAX + 64], *p = line + sprintf(line, "GET /");
	for (int i = 0; i < ZCP_PATH_MAX; i++)
		p += sprintf(p, "%%41");
	strcpy(p, " HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(outcome(line, strlen(line), HTTP_HEAD_MAX, &r), ACCEPT);
	ck_assert_uint_eq(strlen(r.path), ZCP_PATH_MAX);
	ck_assert_int_eq(r.path[0], 'A');
	strcpy(p, "B HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(outcome(line, strlen(line), HTTP_HEAD_MAX, &r), 414);
}
END_TEST

static const struct {
	const char *target, *path;
} targets[] = {
	{"/", ""},
	{"/f", "f"},
	{"/dir/file.bin", "dir/file.bin"},
	{"/a%2Fb", "a/b"},   /* decoded once: %2F is a '/' of the name */
	{"/a%252F", "a%2F"}, /* once only */
	{"/a+b", "a+b"},     /* '+' is not a space in a path */
	{"/a%20b", "a b"},
	{"/%41%62%63", "Abc"},
	{"/%e2%82%ac", "\xe2\x82\xac"},
	{"/f?x=1&y=%zz", "f"}, /* the query is dropped, unread */
	{"/?q", ""},
	{"//x", "/x"},         /* S-12 refuses it, not the parser */
	{"/../etc/passwd", "../etc/passwd"},
	{"http://h/x/y?q", "x/y"},
	{"HTTP://H:8080/x", "x"},
	{"https://h/x", "x"},
	{"http://h", ""},
	{"http://h?q", ""},
	{"http://user@h:1/%41", "A"},
};

/* SPEC H-2: origin-form and absolute-form targets become the name. */
START_TEST(h2_target_to_path)
{
	struct http_request r;
	char in[256];
	snprintf(in, sizeof in, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", targets[_i].target);
	ck_assert_msg(outcome(in, strlen(in), HTTP_HEAD_MAX, &r) == ACCEPT, "%s: %s", in, r.why);
	ck_assert_str_eq(r.path, targets[_i].path);
}
END_TEST

/* SPEC H-3: GET and HEAD are ours, case-sensitive; another token is HTTP_OTHER,
 * its name kept (cut) for the log. */
START_TEST(h3_methods)
{
	struct http_request r;
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0, 1);
	ck_assert_int_eq(r.method, HTTP_GET);
	ck_assert_str_eq(r.method_name, "GET");
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(parse("HEAD / HTTP/1.0\r\n\r\n", &r) > 0, 1);
	ck_assert_int_eq(r.method, HTTP_HEAD);
	ck_assert_int_eq(r.minor, 0);
	ck_assert_int_eq(parse("get / HTTP/1.0\r\n\r\n", &r) > 0, 1);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	ck_assert_int_eq(parse("GETS / HTTP/1.0\r\n\r\n", &r) > 0, 1);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	ck_assert_int_eq(parse("A-VERY-LONG-METHOD-NAME / HTTP/1.0\r\n\r\n", &r) > 0, 1);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	ck_assert_str_eq(r.method_name, "A-VERY-LONG-MET");
}
END_TEST

static const struct {
	const char *version, *fields;
	bool keep;
} persist[] = {
	{"1.1", "", true},
	{"1.1", "Connection: close\r\n", false},
	{"1.1", "Connection: CLOSE\r\n", false},
	{"1.1", "Connection: keep-alive, close\r\n", false},
	{"1.1", "Connection: Upgrade\r\nConnection: close\r\n", false},
	{"1.1", "Connection: keep-alive\r\n", true},
	{"1.1", "Connection: closed, x-close\r\n", true},
	{"1.0", "", false},
	{"1.0", "Connection: keep-alive\r\n", true},
	{"1.0", "Connection: Keep-Alive\r\n", true},
	{"1.0", "Connection: keep-alive, Upgrade\r\n", true},
	{"1.0", "Connection: Upgrade , keep-alive \r\n", true},
	{"1.0", "Connection: ,,keep-alive,\r\n", true},
	{"1.0", "Connection: keep-alive\r\nConnection: close\r\n", false},
	{"1.0", "Connection: keep-alive-not\r\n", false},
};

/* SPEC H-7: 1.1 persists unless "close"; 1.0 only with "keep-alive"; Connection
 * is a list of tokens, over one field or several. */
START_TEST(h7_keep_alive)
{
	struct http_request r;
	char in[256];
	snprintf(in, sizeof in, "GET / HTTP/%s\r\nHost: h\r\n%s\r\n", persist[_i].version,
		 persist[_i].fields);
	ck_assert_int_eq(outcome(in, strlen(in), HTTP_HEAD_MAX, &r), ACCEPT);
	ck_assert_msg(r.keep_alive == persist[_i].keep, "row %d", _i);
}
END_TEST

#define N HTTP_RANGE_NONE
#define F HTTP_RANGE_FIRST
#define S HTTP_RANGE_SUFFIX
#define M HTTP_RANGE_MANY
#define O HTTP_RANGE_OPEN
static const struct {
	const char *value;
	enum http_range_kind kind;
	uint64_t first, last, suffix;
} ranges[] = {
	{"bytes=0-499", F, 0, 499, 0},
	{"bytes=500-", F, 500, O, 0},
	{"bytes=-500", S, 0, 0, 500},
	{"bytes=-0", S, 0, 0, 0},
	{"bytes=7-7", F, 7, 7, 0},
	{"Bytes=1-2", F, 1, 2, 0},
	{"bytes=0-1, ", F, 0, 1, 0},
	{"bytes= 0-1 ,", F, 0, 1, 0},
	{"bytes=9223372036854775807-", F, INT64_MAX, O, 0},               /* 2^63-1 */
	{"bytes=0-9223372036854775807", F, 0, INT64_MAX, 0},
	{"bytes=-9223372036854775807", S, 0, 0, INT64_MAX},
	{"bytes=9223372036854775808-", N, 0, 0, 0},                       /* 2^63 */
	{"bytes=0-9223372036854775808", N, 0, 0, 0},
	{"bytes=-9223372036854775808", N, 0, 0, 0},
	{"bytes=18446744073709551616-", N, 0, 0, 0},                      /* 2^64 */
	{"bytes=0-18446744073709551615", N, 0, 0, 0},                     /* 2^64-1 */
	{"bytes=-99999999999999999999999", N, 0, 0, 0},
	{"bytes=0-1,5-6", M, 0, 0, 0},
	{"bytes=0-1, -5", M, 0, 0, 0},
	{"bytes=0-1,x", N, 0, 0, 0},
	{"bytes=5-3", N, 0, 0, 0},
	{"bytes=", N, 0, 0, 0},
	{"bytes=-", N, 0, 0, 0},
	{"bytes=1-2-3", N, 0, 0, 0},
	{"bytes=a-b", N, 0, 0, 0},
	{"bytes=+1-2", N, 0, 0, 0},
	{"bytes=1 - 2", N, 0, 0, 0},
	{"bytes 0-1", N, 0, 0, 0},
	{"bytes =0-1", N, 0, 0, 0},
	{"items=0-1", N, 0, 0, 0},  /* another unit */
	{"octets=0-1", N, 0, 0, 0},
	{"", N, 0, 0, 0},
};

/* SPEC H-4: the Range forms as sent, numbers up to 2^63-1, the rest ignored. */
START_TEST(h4_range_forms)
{
	struct http_request r;
	char in[256];
	snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: h\r\nRange: %s\r\n\r\n", ranges[_i].value);
	ck_assert_int_eq(outcome(in, strlen(in), HTTP_HEAD_MAX, &r), ACCEPT);
	ck_assert_msg(r.range.kind == ranges[_i].kind, "%s: kind %d", ranges[_i].value, r.range.kind);
	if (r.range.kind == F) {
		ck_assert_uint_eq(r.range.first, ranges[_i].first);
		ck_assert_uint_eq(r.range.last, ranges[_i].last);
	} else if (r.range.kind == S) {
		ck_assert_uint_eq(r.range.suffix, ranges[_i].suffix);
	}
}
END_TEST

/* SPEC H-4: Range is GET's only; two Range fields are ignored. */
START_TEST(h4_range_get_only)
{
	struct http_request r;
	ck_assert_int_gt(parse("HEAD / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.range.kind, N);
	ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.range.kind, N);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nRange: bytes=0-1\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.range.kind, N);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.range.kind, N);
}
END_TEST

static const struct {
	struct http_range r;
	uint64_t size;
	int status;
	uint64_t off, len;
} resolved[] = {
	{{N, 0, 0, 0}, 100, 200, 0, 0},
	{{M, 0, 0, 0}, 100, 200, 0, 0},
	{{M, 0, 0, 0}, 0, 200, 0, 0},         /* several: the whole, even when empty */
	{{N, 0, 0, 0}, 0, 200, 0, 0},
	{{F, 0, 499, 0}, 1000, 206, 0, 500},
	{{F, 500, O, 0}, 1000, 206, 500, 500},
	{{F, 999, O, 0}, 1000, 206, 999, 1},
	{{F, 0, 5000, 0}, 1000, 206, 0, 1000}, /* last past the end: cut to SIZE-1 */
	{{F, 1000, O, 0}, 1000, 416, 0, 0},    /* first at the end */
	{{F, 5000, 6000, 0}, 1000, 416, 0, 0},
	{{F, INT64_MAX, O, 0}, 1000, 416, 0, 0},
	{{F, 0, INT64_MAX, 0}, INT64_MAX, 206, 0, INT64_MAX},
	{{F, INT64_MAX - 1, O, 0}, INT64_MAX, 206, INT64_MAX - 1, 1},
	{{S, 0, 0, 500}, 1000, 206, 500, 500},
	{{S, 0, 0, 1000}, 1000, 206, 0, 1000},
	{{S, 0, 0, 5000}, 1000, 206, 0, 1000}, /* a suffix larger than the file: all of it */
	{{S, 0, 0, INT64_MAX}, 1, 206, 0, 1},
	{{S, 0, 0, 0}, 1000, 416, 0, 0},       /* -0 */
	{{F, 0, 0, 0}, 0, 416, 0, 0},          /* any range of an empty file */
	{{F, 0, O, 0}, 0, 416, 0, 0},
	{{S, 0, 0, 5}, 0, 416, 0, 0},
};

/* SPEC H-4: what a Range asks of a file of SIZE bytes: always inside it. */
START_TEST(h4_range_resolve)
{
	uint64_t off = 7777, len = 7777;
	int st = http_range_resolve(&resolved[_i].r, resolved[_i].size, &off, &len);
	ck_assert_int_eq(st, resolved[_i].status);
	if (st == 206) {
		ck_assert_uint_eq(off, resolved[_i].off);
		ck_assert_uint_eq(len, resolved[_i].len);
		ck_assert_uint_ge(len, 1);
		ck_assert_uint_le(off + len, resolved[_i].size);
	}
}
END_TEST

#define TAG "\"0123456789abcdef0123456789abcdef\""
static const struct {
	const char *list;
	bool match;
} etag_lists[] = {
	{"*", true},
	{" * ", true},
	{TAG, true},
	{"W/" TAG, true}, /* weak comparison */
	{"\"x\", " TAG, true},
	{"\"x\",," TAG ",", true},
	{"W/\"x\" ,\t" TAG, true},
	{"\"a,b\", " TAG, true}, /* a comma inside a tag */
	{"\"x\"", false},
	{"", false},
	{"\"0123456789abcdef0123456789abcde\"", false},
	{TAG "x", false},               /* malformed: nothing matches */
	{"0123456789abcdef0123456789abcdef", false},
	{"\"x\" " TAG, false},
	{"*, " TAG, false},
	{TAG ", *", false},
	{"w/" TAG, false},
	{"\"open", false},
	{"\"x\", \"bad\x01\", " TAG, false},
};

/* SPEC H-5: If-None-Match lists, `*` and W/ tags, weak comparison. */
START_TEST(h5_etag_lists)
{
	ck_assert_msg(http_etag_list_matches(etag_lists[_i].list, TAG) == etag_lists[_i].match, "%s",
		      etag_lists[_i].list);
	ck_assert(!http_etag_list_matches(etag_lists[_i].list, "not a tag"));
}
END_TEST

#define LM 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
static const struct {
	const char *value;
	bool holds;
} if_ranges[] = {
	{TAG, true},
	{" " TAG " ", true},
	{"W/" TAG, false}, /* a weak tag never holds */
	{"\"x\"", false},
	{TAG ", " TAG, false},
	{"Sun, 06 Nov 1994 08:49:37 GMT", true},
	{"Sunday, 06-Nov-94 08:49:37 GMT", true},
	{"Sun Nov  6 08:49:37 1994", true},
	{"Wed, 06 Nov 1994 08:49:37 GMT", true}, /* the day name is not checked */
	{"Sun, 06 Nov 1994 08:49:38 GMT", false},
	{"Sun, 06 Nov 1994 08:49:36 GMT", false},
	{"garbage", false},
	{"", false},
};

/* SPEC H-5: If-Range holds with a strongly equal tag or the exact Last-Modified. */
START_TEST(h5_if_range)
{
	ck_assert_msg(http_if_range_holds(if_ranges[_i].value, TAG, LM) == if_ranges[_i].holds, "%s",
		      if_ranges[_i].value);
	ck_assert(!http_if_range_holds(if_ranges[_i].value, "W/" TAG, 0));
}
END_TEST

/* SPEC H-5: the validator fields are kept as sent; several If-None-Match are one
 * list; a value too long for us is dropped, and an If-Range we cannot hold
 * (too long, or two) drops the Range. */
START_TEST(h5_validator_fields)
{
	struct http_request r;
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match:  \"a\" \r\n"
			       "if-none-match: W/\"b\"\r\nIf-Range: \"c\"\r\nRange: bytes=1-\r\n\r\n", &r), 0);
	ck_assert_str_eq(r.if_none_match, "\"a\", W/\"b\"");
	ck_assert(http_etag_list_matches(r.if_none_match, "\"b\""));
	ck_assert_str_eq(r.if_range, "\"c\"");
	ck_assert_int_eq(r.range.kind, F);
	ck_assert(!r.has_if_modified_since);

	char in[2 * HTTP_HEAD_MAX], big[HTTP_VALUE_MAX + 1];
	memset(big, 'x', HTTP_VALUE_MAX);
	big[0] = big[HTTP_VALUE_MAX - 2] = '"', big[HTTP_VALUE_MAX - 1] = '\0'; /* fits, just */
	snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: %s\r\nIf-Range: %s\r\n"
		 "Range: bytes=1-\r\n\r\n", big, big);
	ck_assert_int_gt(parse(in, &r), 0);
	ck_assert_str_eq(r.if_none_match, big);
	ck_assert_str_eq(r.if_range, big);
	ck_assert_int_eq(r.range.kind, F);
	snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: %s\r\nIf-None-Match: \"a\"\r\n"
		 "If-Range: %sx\r\nRange: bytes=1-\r\n\r\n", big, big);
	ck_assert_int_gt(parse(in, &r), 0);
	ck_assert_str_eq(r.if_none_match, "");
	ck_assert_str_eq(r.if_range, "");
	ck_assert_int_eq(r.range.kind, N);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nIf-Range: \"c\"\r\nIf-Range: \"c\"\r\n"
			       "Range: bytes=1-\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.range.kind, N);
}
END_TEST

/* SPEC H-5: If-Modified-Since: a valid HTTP-date, once; anything else ignored. */
START_TEST(h5_if_modified_since)
{
	struct http_request r;
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &r), 0);
	ck_assert(r.has_if_modified_since);
	ck_assert_int_eq(r.if_modified_since, LM);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: yesterday\r\n\r\n", &r), 0);
	ck_assert(!r.has_if_modified_since);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			       "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &r), 0);
	ck_assert(!r.has_if_modified_since);
}
END_TEST

static const struct {
	const char *text;
	time_t t; /* -1: refused */
} dates[] = {
	/* RFC 9110 5.6.7's three examples */
	{"Sun, 06 Nov 1994 08:49:37 GMT", LM},
	{"Sunday, 06-Nov-94 08:49:37 GMT", LM},
	{"Sun Nov  6 08:49:37 1994", LM},
	{"Sun Nov 06 08:49:37 1994", LM},
	{"Thu, 01 Jan 1970 00:00:00 GMT", 0},
	{"Tue, 29 Feb 2000 12:00:00 GMT", 951825600},
	{"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
	{"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800}, /* a leap second */
	{"Thursday, 01-Jan-70 00:00:00 GMT", 0},
	{"Wednesday, 31-Dec-69 00:00:00 GMT", 3155673600}, /* 2069: the fixed window */
	{"Sun, 06 Nov 1994 08:49:37 UTC", -1},
	{"Sun, 06 nov 1994 08:49:37 GMT", -1},
	{"sun, 06 Nov 1994 08:49:37 GMT", -1},
	{"Sun, 6 Nov 1994 08:49:37 GMT", -1},
	{"Sun, 06 Nov 94 08:49:37 GMT", -1},
	{"Sun, 06 Nov 1994 08:49:37 GMT ", -1},
	{"Sun, 06 Nov 1994 24:00:00 GMT", -1},
	{"Sun, 06 Nov 1994 08:60:00 GMT", -1},
	{"Sun, 06 Nov 1994 08:49:61 GMT", -1},
	{"Sun, 00 Nov 1994 08:49:37 GMT", -1},
	{"Sun, 31 Nov 1994 08:49:37 GMT", -1},
	{"Thu, 29 Feb 1900 00:00:00 GMT", -1},
	{"Sun, 06 Nov 1994 08-49-37 GMT", -1},
	{"Sun, 06 Nov 19x4 08:49:37 GMT", -1},
	{"Sun,06 Nov 1994 08:49:37 GMT ", -1},
	{"Sunday, 06-Nov-1994 08:49:37 GMT", -1},
	{"Sunday, 06 Nov 94 08:49:37 GMT", -1},
	{"Sun Nov 6 08:49:37 1994", -1},
	{"Sun Nov  6 08:49:37 1994 ", -1},
	{"Sun Nov _6 08:49:37 1994", -1},
	{"Sun Nov  6 08:49:37_1994", -1},
	{"Sun Nov  6_08:49:37 1994", -1},
	{"Sunday, 06-Nov-94 08:49:37 UTC", -1},
	{"Sunday, 06-Nov-9x 08:49:37 GMT", -1},
	{"Sunday,_06-Nov-94 08:49:37 GMT", -1},
	{"", -1},
	{"Sun", -1},
};

/* SPEC H-5 H-12: the three HTTP-date forms a recipient accepts. */
START_TEST(h12_date_parse)
{
	time_t t = 12345;
	int r = http_date_parse(dates[_i].text, strlen(dates[_i].text), &t);
	ck_assert_msg(r == (dates[_i].t == -1 ? -1 : 0), "%s", dates[_i].text);
	if (r == 0)
		ck_assert_int_eq(t, dates[_i].t);
	/* never a byte past len: a guarded copy */
	void *map;
	size_t maplen, n = strlen(dates[_i].text);
	const char *p = (const char *)tu_guarded(dates[_i].text, n, &map, &maplen);
	for (size_t cut = 0; cut < n; cut++)
		http_date_parse(p + n - cut, cut, &t);
	tu_unguard(map, maplen);
}
END_TEST

/* SPEC H-12: Date is an IMF-fixdate, which parses back to the same second;
 * times it cannot say are clamped. */
START_TEST(h12_date_format)
{
	char out[HTTP_DATE_LEN + 1];
	http_date_format(LM, out);
	ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_format(0, out);
	ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(-5, out);
	ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format((time_t)1 << 40, out);
	ck_assert_str_eq(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	for (time_t t = 0; t < 253402300799; t += 86399 * 97 + 13) {
		time_t back;
		http_date_format(t, out);
		ck_assert_uint_eq(strlen(out), HTTP_DATE_LEN);
		ck_assert_int_eq(http_date_parse(out, HTTP_DATE_LEN, &back), 0);
		ck_assert_int_eq(back, t);
		struct tm tm;
		char want[64];
		gmtime_r(&t, &tm);
		strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm); /* C locale */
		ck_assert_str_eq(out, want);
	}
}
END_TEST

/* A response head read back: its status (its version HTTP/1.minor) and the value of
 * each field. */
static int status_of(const char *head, int minor)
{
	int st = -1, n = 0;
	char version[] = "HTTP/1.x ";
	version[7] = (char)('0' + minor);
	ck_assert_int_eq(strncmp(head, version, 9), 0);
	ck_assert_int_eq(sscanf(head + 9, "%3d %n", &st, &n), 1);
	n += 9;
	const char *eol = strstr(head, "\r\n");
	ck_assert_ptr_nonnull(eol);
	ck_assert_int_eq(strncmp(head + n, http_reason(st), (size_t)(eol - head - n)), 0);
	ck_assert_uint_eq(strlen(http_reason(st)), (size_t)(eol - head - n));
	ck_assert_str_eq(head + strlen(head) - 4, "\r\n\r\n");
	return st;
}

/* The value of field name in head, or NULL; static storage. */
static const char *field(const char *head, const char *name)
{
	static char v[256];
	char key[64];
	snprintf(key, sizeof key, "\r\n%s: ", name);
	const char *at = strstr(head, key);
	if (!at)
		return NULL;
	ck_assert_ptr_null(strstr(at + 1, key)); /* once */
	at += strlen(key);
	size_t n = (size_t)(strstr(at, "\r\n") - at);
	snprintf(v, sizeof v, "%.*s", (int)n, at);
	return v;
}

static const char *format(const struct http_head *h)
{
	static char out[1024];
	size_t n = http_head_format(h, out, sizeof out);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(strlen(out), n);
	/* what does not fit is refused, whole */
	char small[1024];
	ck_assert_uint_eq(http_head_format(h, small, n), 0);
	ck_assert_uint_eq(http_head_format(h, small, n + 1), n);
	return out;
}

/* SPEC H-12 H-4 H-5 H-6 H-10: the heads the origin sends, parsed back. */
START_TEST(h12_head_format)
{
	char date[HTTP_DATE_LEN + 1];
	struct http_head h = {.status = 200, .minor = 1, .length = 1000, .etag = TAG,
			      .last_modified = LM, .date = LM + 60, .accept_ranges = true};
	const char *s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 200);
	http_date_format(LM + 60, date);
	ck_assert_str_eq(field(s, "Date"), date);
	ck_assert_str_eq(field(s, "Server"), "zcp/" ZCP_RELEASE);
	ck_assert_str_eq(field(s, "Content-Type"), "application/octet-stream");
	ck_assert_str_eq(field(s, "Content-Length"), "1000");
	ck_assert_str_eq(field(s, "Accept-Ranges"), "bytes");
	ck_assert_str_eq(field(s, "ETag"), TAG);
	ck_assert_str_eq(field(s, "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_ptr_null(field(s, "Connection")); /* 1.1 persists by default */
	ck_assert_ptr_null(field(s, "Content-Range"));

	h.minor = 0; /* SPEC H-3 H-7: a 1.0 request hears 1.0, and that it is kept */
	ck_assert_int_eq(status_of(format(&h), 0), 200);
	ck_assert_str_eq(field(format(&h), "Connection"), "keep-alive");
	h.close = true;
	ck_assert_str_eq(field(format(&h), "Connection"), "close");

	h = (struct http_head){.status = 206, .minor = 1, .length = 500, .has_range = true,
			       .first = 500, .last = 999, .size = 1000, .accept_ranges = true};
	s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 206);
	ck_assert_str_eq(field(s, "Content-Range"), "bytes 500-999/1000");
	ck_assert_str_eq(field(s, "Content-Length"), "500");
	ck_assert_ptr_null(field(s, "ETag"));
	ck_assert_ptr_null(field(s, "Last-Modified"));
	h.first = 0, h.last = INT64_MAX - 1, h.size = INT64_MAX, h.length = INT64_MAX;
	ck_assert_str_eq(field(format(&h), "Content-Range"), "bytes 0-9223372036854775806/9223372036854775807");

	/* SPEC H-12: a 304's Content-Length is the 200's (RFC 9110 8.6) */
	h = (struct http_head){.status = 304, .minor = 1, .length = 1000, .etag = TAG, .last_modified = LM};
	s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 304);
	ck_assert_str_eq(field(s, "Content-Length"), "1000");
	ck_assert_ptr_null(field(s, "Content-Type"));
	ck_assert_str_eq(field(s, "ETag"), TAG);

	h = (struct http_head){.status = 405, .minor = 1, .close = true, .allow = "GET, HEAD"};
	s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 405);
	ck_assert_str_eq(field(s, "Allow"), "GET, HEAD");
	ck_assert_str_eq(field(s, "Content-Length"), "0");
	ck_assert_str_eq(field(s, "Connection"), "close");
	ck_assert_ptr_null(field(s, "Content-Type"));

	h = (struct http_head){.status = 416, .minor = 1, .size = 1000};
	s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 416);
	ck_assert_str_eq(field(s, "Content-Range"), "bytes */1000");

	h = (struct http_head){.status = 503, .minor = 1, .close = true, .retry_after = 1};
	s = format(&h);
	ck_assert_int_eq(status_of(s, 1), 503);
	ck_assert_str_eq(field(s, "Retry-After"), "1");
	ck_assert_str_eq(field(s, "Connection"), "close");

	/* a field that would end the line early is refused */
	char out[1024];
	h = (struct http_head){.status = 200, .etag = "\"a\"\r\nX: y"};
	ck_assert_uint_eq(http_head_format(&h, out, sizeof out), 0);
	h = (struct http_head){.status = 405, .allow = "GET\n"};
	ck_assert_uint_eq(http_head_format(&h, out, sizeof out), 0);
	h = (struct http_head){.status = 200, .minor = 2};
	ck_assert_uint_eq(http_head_format(&h, out, sizeof out), 0);
}
END_TEST

/* SPEC H-6 H-12: every status the origin sends has its reason phrase. */
START_TEST(h12_reasons)
{
	static const struct {
		int status;
		const char *reason;
	} r[] = {{200, "OK"}, {206, "Partial Content"}, {304, "Not Modified"}, {400, "Bad Request"},
		 {404, "Not Found"}, {405, "Method Not Allowed"}, {408, "Request Timeout"},
		 {414, "URI Too Long"}, {416, "Range Not Satisfiable"},
		 {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
		 {503, "Service Unavailable"}, {505, "HTTP Version Not Supported"}, {299, ""}, {0, ""}};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		ck_assert_str_eq(http_reason(r[i].status), r[i].reason);
}
END_TEST

#define ROWS(t) (int)(sizeof(t) / sizeof(t)[0])

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, h6_heads, 0, ROWS(heads));
	tcase_add_loop_test(tc, h6_every_prefix, 0, ROWS(heads));
	tcase_add_test(tc, h6_refusal_reasons);
	tcase_add_test(tc, h6_refusal_version);
	tcase_add_test(tc, h7_pipelined_head_length);
	tcase_add_test(tc, h6_head_max_431);
	tcase_add_test(tc, h6_target_max_414);
	tcase_add_test(tc, h2_decoded_path_max);
	tcase_add_loop_test(tc, h2_target_to_path, 0, ROWS(targets));
	tcase_add_test(tc, h3_methods);
	tcase_add_loop_test(tc, h7_keep_alive, 0, ROWS(persist));
	tcase_add_loop_test(tc, h4_range_forms, 0, ROWS(ranges));
	tcase_add_test(tc, h4_range_get_only);
	tcase_add_loop_test(tc, h4_range_resolve, 0, ROWS(resolved));
	tcase_add_loop_test(tc, h5_etag_lists, 0, ROWS(etag_lists));
	tcase_add_loop_test(tc, h5_if_range, 0, ROWS(if_ranges));
	tcase_add_test(tc, h5_validator_fields);
	tcase_add_test(tc, h5_if_modified_since);
	tcase_add_loop_test(tc, h12_date_parse, 0, ROWS(dates));
	tcase_add_test(tc, h12_date_format);
	tcase_add_test(tc, h12_head_format);
	tcase_add_test(tc, h12_reasons);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
