/* Check suite for src/httpc.c: URLs, the request head, the response head, the chunked
 * decoder (SPEC F). Every parse runs on a copy that ends right before a PROT_NONE page. */
#include "httpc.h"
#include "testutil.h"

/* A fault in the guard page arrives as SIGSEGV, which Check reports. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "handle_segv=0"; }

/* httpc_url_parse() of s (at a guard page) against base. */
static int url(const char *s, const struct httpc_url *base, struct httpc_url *u, const char **why)
{
	void *map;
	size_t maplen, len = strlen(s);
	const char *g = (const char *)tu_guarded(s, len, &map, &maplen);
	*why = NULL;
	int r = httpc_url_parse(g, len, base, u, why);
	tu_unguard(map, maplen);
	ck_assert(r == 0 ? *why == NULL : *why != NULL);
	return r;
}

/* httpc_parse_response() of text[0..len) at a guard page. */
static int parse_n(const char *text, size_t len, size_t max, struct httpc_response *r)
{
	void *map;
	size_t maplen;
	const char *g = (const char *)tu_guarded(text, len, &map, &maplen);
	memset(r, 0xa5, sizeof *r);
	int n = httpc_parse_response(g, len, max, r);
	tu_unguard(map, maplen);
	return n;
}

static int parse(const char *text, struct httpc_response *r)
{
	return parse_n(text, strlen(text), HTTPC_HEAD_MAX, r);
}

/* A response head that must be refused, for the reason named by a part of why. */
static void refused(const char *text, const char *why)
{
	struct httpc_response r;
	ck_assert_msg(parse(text, &r) == HTTPC_ERROR, "accepted: %s", text);
	ck_assert_msg(strstr(r.why, why), "%s: why '%s', not '%s'", text, r.why, why);
}

/* A response head that must parse whole, into *r. */
static void accepted(const char *text, struct httpc_response *r)
{
	int n = parse(text, r);
	ck_assert_msg(n == (int)strlen(text), "%s: %d (%s)", text, n, n < 0 ? r->why : "");
}

/* ---- F-1 F-2: URLs ---- */

static const struct url_case {
	const char *in;
	enum httpc_scheme scheme;
	const char *host;
	uint16_t port;
	const char *target, *name;
} urls[] = {
	{"http://example.com/data.bin", HTTPC_HTTP, "example.com", 80, "/data.bin", "data.bin"},
	{"HTTPS://Example.COM", HTTPC_HTTPS, "example.com", 443, "/", ""},
	{"http://h:8080/a/b.iso?x=1&y=2#frag", HTTPC_HTTP, "h", 8080, "/a/b.iso?x=1&y=2", "b.iso"},
	{"http://h:/x", HTTPC_HTTP, "h", 80, "/x", "x"},
	{"https://h:65535?q", HTTPC_HTTPS, "h", 65535, "/?q", ""},
	{"http://h#f", HTTPC_HTTP, "h", 80, "/", ""},
	{"http://10.0.0.7:9/f", HTTPC_HTTP, "10.0.0.7", 9, "/f", "f"},
	{"http://[::1]:8443/f", HTTPC_HTTP, "::1", 8443, "/f", "f"},
	{"http://[FE80::1%25lo]/f", HTTPC_HTTP, "fe80::1%lo", 80, "/f", "f"},
	{"http://h/a/./b/../c/%2e%2E", HTTPC_HTTP, "h", 80, "/a/c/%2e%2E", ""},
	{"http://h/a/b/../../../x", HTTPC_HTTP, "h", 80, "/x", "x"},
	{"http://h/my file\"<>\\^`{|}.iso", HTTPC_HTTP, "h", 80,
	 "/my%20file%22%3C%3E%5C%5E%60%7B%7C%7D.iso", "my file\"<>\\^`{|}.iso"},
	{"http://h/100%.txt", HTTPC_HTTP, "h", 80, "/100%25.txt", "100%.txt"},
	{"http://h/caf\xc3\xa9", HTTPC_HTTP, "h", 80, "/caf%C3%A9", "caf\xc3\xa9"},
	{"http://h/a%2Fb", HTTPC_HTTP, "h", 80, "/a%2Fb", ""},
	{"http://h/%2e%2e", HTTPC_HTTP, "h", 80, "/%2e%2e", ""},
	{"http://h/.", HTTPC_HTTP, "h", 80, "/", ""},
	{"http://h/a%00b", HTTPC_HTTP, "h", 80, "/a%00b", ""},
	{"http://h/dir/", HTTPC_HTTP, "h", 80, "/dir/", ""},
	{"http://h/x?a/b.iso", HTTPC_HTTP, "h", 80, "/x?a/b.iso", "x"},
	{"http://my-host_1.example./x", HTTPC_HTTP, "my-host_1.example.", 80, "/x", "x"},
};

/* SPEC F-1 F-2: scheme, host, port, target and name of accepted URLs. */
START_TEST(f1_url_accepted)
{
	const struct url_case *c = &urls[_i];
	struct httpc_url u;
	const char *why;
	ck_assert_msg(url(c->in, NULL, &u, &why) == 0, "%s: %s", c->in, why);
	ck_assert_int_eq(u.scheme, c->scheme);
	ck_assert_str_eq(u.host, c->host);
	ck_assert_uint_eq(u.port, c->port);
	ck_assert_str_eq(u.target, c->target);
	ck_assert_str_eq(u.name, c->name);
	ck_assert(*c->name ? u.name_why == NULL : u.name_why != NULL);
	ck_assert(u.ipv6 == (strchr(c->host, ':') != NULL));
}
END_TEST

static const struct { const char *in, *why; } bad_urls[] = {
	{"file:///etc/passwd", "scheme"},
	{"ftp://h/x", "scheme"},
	{"FILE://h/x", "scheme"},
	{"example.com/x", "scheme"},
	{"//h/x", "scheme"},
	{"/x", "scheme"},
	{"", "scheme"},
	{"http:/x", "host"},
	{"http:h/x", "host"},
	{"http://", "host"},
	{"http:///x", "host"},
	{"http://:80/x", "host"},
	{"http://user@h/x", "userinfo"},
	{"http://user:pw@h/x", "userinfo"},
	{"http://h:0/", "port"},
	{"http://h:65536/", "port"},
	{"http://h:99999999999999999999/", "port"},
	{"http://h:8a/", "port"},
	{"http://h:-1/", "port"},
	{"http://[::1/x", "host"},
	{"http://[::g]/x", "host"},
	{"http://[1.2.3.4]/x", "host"},
	{"http://[::1]x/", "host"},
	{"http://h h/x", "host"},
	{"http://h%41/x", "host"},
	{"http://h/a\rb", "control"},
	{"http://h/a\nb", "control"},
	{"http://h/a\tb", "control"},
	{"http://h/a\x7f", "control"},
	{"http://h\x01/", "control"},
};

/* SPEC F-1: what a URL may not be, each with its reason. */
START_TEST(f1_url_refused)
{
	struct httpc_url u;
	const char *why;
	ck_assert_msg(url(bad_urls[_i].in, NULL, &u, &why) == -1, "accepted: %s", bad_urls[_i].in);
	ck_assert_msg(strstr(why, bad_urls[_i].why), "%s: why '%s'", bad_urls[_i].in, why);
}
END_TEST

/* SPEC F-1: a NUL inside the given length is a control byte; the host and the target
 * have their limits, at exactly the limit and one past. */
START_TEST(f1_url_limits)
{
	struct httpc_url u;
	const char *why;
	ck_assert_int_eq(httpc_url_parse("http://h/a\0b", 12, NULL, &u, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "control"));
	static char s[HTTPC_TARGET_MAX + 64];
	strcpy(s, "http://h/");
	memset(s + 9, 'a', HTTPC_TARGET_MAX - 1);
	s[9 + HTTPC_TARGET_MAX - 1] = 0;
	ck_assert_int_eq(url(s, NULL, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.target), HTTPC_TARGET_MAX);
	ck_assert_str_eq(u.name, "");             /* 8191 bytes: no name */
	strcat(s, "a");
	ck_assert_int_eq(url(s, NULL, &u, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "long"));
	strcpy(s, "http://h/");
	memset(s + 9, ' ', HTTPC_TARGET_MAX / 3 + 1); /* each space takes three bytes */
	s[9 + HTTPC_TARGET_MAX / 3 + 1] = 0;
	ck_assert_int_eq(url(s, NULL, &u, &why), -1);
	strcpy(s, "http://");
	memset(s + 7, 'h', HTTPC_HOST_MAX);
	strcpy(s + 7 + HTTPC_HOST_MAX, "/x");
	ck_assert_int_eq(url(s, NULL, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.host), HTTPC_HOST_MAX);
	strcpy(s + 7 + HTTPC_HOST_MAX, "h/x");
	ck_assert_int_eq(url(s, NULL, &u, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "host"));
}
END_TEST

/* SPEC F-2: the name is one segment of at most 255 bytes once decoded. */
START_TEST(f2_name_limits)
{
	struct httpc_url u;
	const char *why;
	char s[1024] = "http://h/";
	memset(s + 9, 'n', ZCP_NAME_MAX);
	ck_assert_int_eq(url(s, NULL, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.name), ZCP_NAME_MAX);
	ck_assert_ptr_null(u.name_why);
	strcat(s, "n");
	ck_assert_int_eq(url(s, NULL, &u, &why), 0);
	ck_assert_str_eq(u.name, "");
	ck_assert_ptr_nonnull(u.name_why);
	strcpy(s, "http://h/");
	for (int i = 0; i < ZCP_NAME_MAX; i++)
		strcat(s, "%41");               /* 765 bytes that decode to 255 */
	ck_assert_int_eq(url(s, NULL, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.name), ZCP_NAME_MAX);
	ck_assert_int_eq(url("http://h/a%2fb", NULL, &u, &why), 0);
	ck_assert_str_eq(u.name, "");
	ck_assert_ptr_nonnull(u.name_why);
}
END_TEST

/* SPEC F-3: RFC 3986 5.4.1 and 5.4.2's examples against "http://a/b/c/d;p?q", and
 * what a Location may be. */
static const struct { const char *ref, *want; } refs[] = {
	{"g", "http://a/b/c/g"},
	{"./g", "http://a/b/c/g"},
	{"g/", "http://a/b/c/g/"},
	{"/g", "http://a/g"},
	{"//g", "http://g/"},
	{"?y", "http://a/b/c/d;p?y"},
	{"g?y", "http://a/b/c/g?y"},
	{"#s", "http://a/b/c/d;p?q"},
	{"g#s", "http://a/b/c/g"},
	{"g?y#s", "http://a/b/c/g?y"},
	{";x", "http://a/b/c/;x"},
	{"g;x", "http://a/b/c/g;x"},
	{"", "http://a/b/c/d;p?q"},
	{".", "http://a/b/c/"},
	{"./", "http://a/b/c/"},
	{"..", "http://a/b/"},
	{"../", "http://a/b/"},
	{"../g", "http://a/b/g"},
	{"../..", "http://a/"},
	{"../../", "http://a/"},
	{"../../g", "http://a/g"},
	{"../../../g", "http://a/g"},
	{"../../../../g", "http://a/g"},
	{"/./g", "http://a/g"},
	{"/../g", "http://a/g"},
	{"g.", "http://a/b/c/g."},
	{".g", "http://a/b/c/.g"},
	{"g..", "http://a/b/c/g.."},
	{"..g", "http://a/b/c/..g"},
	{"./../g", "http://a/b/g"},
	{"./g/.", "http://a/b/c/g/"},
	{"g/./h", "http://a/b/c/g/h"},
	{"g/../h", "http://a/b/c/h"},
	{"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	{"g;x=1/../y", "http://a/b/c/y"},
	{"g?y/./x", "http://a/b/c/g?y/./x"},
	{"g?y/../x", "http://a/b/c/g?y/../x"},
	{"g#s/./x", "http://a/b/c/g"},
	{"g#s/../x", "http://a/b/c/g"},
	{"HTTPS://B:444/x", "https://b:444/x"},
	{"https://b/x", "https://b/x"},
	{"//[::1]:81/x", "http://[::1]:81/x"},
	{"g h", "http://a/b/c/g%20h"},
};

START_TEST(f3_relative_references)
{
	struct httpc_url base, u;
	const char *why;
	ck_assert_int_eq(url("http://a/b/c/d;p?q", NULL, &base, &why), 0);
	ck_assert_msg(url(refs[_i].ref, &base, &u, &why) == 0, "%s: %s", refs[_i].ref, why);
	char out[HTTPC_URL_MAX + 1];
	ck_assert_uint_ne(httpc_url_format(&u, out, sizeof out), 0);
	ck_assert_msg(!strcmp(out, refs[_i].want), "%s: %s, not %s", refs[_i].ref, out, refs[_i].want);
}
END_TEST

/* SPEC F-3: a network-path keeps the base's scheme; a Location may still name
 * another scheme, which is refused; "http:g" with a scheme is absolute (RFC 3986
 * 5.4.2, strict) and has no host. */
START_TEST(f3_reference_scheme)
{
	struct httpc_url base, u;
	const char *why;
	ck_assert_int_eq(url("https://a:8443/b/c", NULL, &base, &why), 0);
	ck_assert_int_eq(url("//g/x", &base, &u, &why), 0);
	ck_assert_int_eq(u.scheme, HTTPC_HTTPS);
	ck_assert_uint_eq(u.port, 443);
	ck_assert_int_eq(url("/x", &base, &u, &why), 0);
	ck_assert_uint_eq(u.port, 8443);
	ck_assert_str_eq(u.host, "a");
	ck_assert_int_eq(url("file:///etc/passwd", &base, &u, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "scheme"));
	ck_assert_int_eq(url("http:g", &base, &u, &why), -1);
	ck_assert_int_eq(url("//user@g/x", &base, &u, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "userinfo"));
	ck_assert_int_eq(url("a\r\nb", &base, &u, &why), -1);
}
END_TEST

/* SPEC F-1: a parsed URL formats to one that parses to the same. */
START_TEST(f1_url_format_roundtrip)
{
	struct httpc_url u, v;
	const char *why;
	char out[HTTPC_URL_MAX + 1];
	ck_assert_int_eq(url(urls[_i].in, NULL, &u, &why), 0);
	size_t n = httpc_url_format(&u, out, sizeof out);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_int_eq(url(out, NULL, &v, &why), 0);
	ck_assert_int_eq(v.scheme, u.scheme);
	ck_assert_str_eq(v.host, u.host);
	ck_assert_uint_eq(v.port, u.port);
	ck_assert_str_eq(v.target, u.target);
	ck_assert_str_eq(v.name, u.name);
	ck_assert_uint_eq(httpc_url_format(&u, out, n), 0); /* no room for the NUL */
	ck_assert_uint_eq(httpc_url_format(&u, out, n + 1), n);
}
END_TEST

/* ---- F-4: the request ---- */

/* The request for the URL text with q's other fields must be want, byte for byte,
 * and need all its room (the NUL's included). */
static void request_is(const char *text, struct httpc_request q, const char *want)
{
	struct httpc_url u;
	const char *why;
	char out[1024];
	ck_assert_int_eq(url(text, NULL, &u, &why), 0);
	q.url = &u;
	size_t n = httpc_request_format(&q, out, sizeof out);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_str_eq(out, want);
	for (size_t cap = 0; cap <= n; cap++)
		ck_assert_uint_eq(httpc_request_format(&q, out, cap), 0);
	ck_assert_uint_eq(httpc_request_format(&q, out, n + 1), n);
}

/* SPEC F-4: a GET, a ranged GET with validators, a HEAD, an IPv6 host, byte for byte. */
START_TEST(f4_request_format)
{
	request_is("http://example.com/a b.iso?x", (struct httpc_request){0},
		   "GET /a%20b.iso?x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: zcp/" ZCP_RELEASE
		   "\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n\r\n");
	request_is("https://[fe80::1%25eth0]:8443/f",
		   (struct httpc_request){.range = true, .first = 100, .last = 199, .if_range = "\"abc\"",
					  .if_match = "\"abc\""},
		   "GET /f HTTP/1.1\r\nHost: [fe80::1]:8443\r\nUser-Agent: zcp/" ZCP_RELEASE
		   "\r\nAccept-Encoding: identity\r\nRange: bytes=100-199\r\nIf-Range: \"abc\"\r\n"
		   "If-Match: \"abc\"\r\nConnection: keep-alive\r\n\r\n");
	request_is("https://h:443/",
		   (struct httpc_request){.head = true, .range = true, .first = 5, .last = HTTPC_RANGE_OPEN,
					  .if_range = "Sun, 06 Nov 1994 08:49:37 GMT",
					  .if_unmodified_since = "Sun, 06 Nov 1994 08:49:37 GMT"},
		   "HEAD / HTTP/1.1\r\nHost: h\r\nUser-Agent: zcp/" ZCP_RELEASE
		   "\r\nAccept-Encoding: identity\r\nRange: bytes=5-\r\n"
		   "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		   "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: keep-alive\r\n\r\n");
}
END_TEST

/* SPEC F-4: a field that would not be one is never sent. */
START_TEST(f4_request_refuses)
{
	struct httpc_url u;
	const char *why;
	char out[1024];
	ck_assert_int_eq(url("http://h/", NULL, &u, &why), 0);
	struct httpc_request q = {.url = &u, .if_match = "\"a\"\r\nX-Evil: 1"};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .if_range = "\"a\x01\""};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .if_unmodified_since = "Sun\n"};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .range = true, .first = 9, .last = 8};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .range = true, .first = 1, .last = (uint64_t)INT64_MAX + 1};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .range = true, .first = (uint64_t)INT64_MAX + 1,
				   .last = HTTPC_RANGE_OPEN};
	ck_assert_uint_eq(httpc_request_format(&q, out, sizeof out), 0);
	q = (struct httpc_request){.url = &u, .range = true, .first = 0, .last = INT64_MAX};
	ck_assert_uint_ne(httpc_request_format(&q, out, sizeof out), 0);
}
END_TEST

/* ---- F-5..F-9: the response head ---- */

static const char full[] =
	"HTTP/1.1 206 Partial Content\r\n"
	"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	"Content-Length: 100\r\n"
	"content-range:bytes 100-199/1000   \r\n"
	"ETag: \"5e3a9107\"\r\n"
	"Last-Modified: Sunday, 06-Nov-94 08:49:37 GMT\r\n"
	"Accept-Ranges: bytes\r\n"
	"Content-Encoding: identity\r\n"
	"Connection: keep-alive, Upgrade\r\n"
	"Repr-Digest: sha-512=:YQ==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\r\n"
	"Content-Digest: sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:;p=1\r\n"
	"Retry-After: 120\r\n"
	"X-Other: \t v\x80\xff \r\n"
	"\r\n";

/* SPEC F-5 F-6 F-7 F-8 F-9: every field kept from a full 206 head. */
START_TEST(f5_full_head)
{
	struct httpc_response r;
	accepted(full, &r);
	ck_assert_int_eq(r.status, 206);
	ck_assert_int_eq(r.minor, 1);
	ck_assert(!r.close);
	ck_assert(r.has_length);
	ck_assert_uint_eq(r.length, 100);
	ck_assert(!r.chunked);
	ck_assert_int_eq(r.crange, HTTPC_CRANGE_BYTES);
	ck_assert_uint_eq(r.first, 100);
	ck_assert_uint_eq(r.last, 199);
	ck_assert_uint_eq(r.size, 1000);
	ck_assert_str_eq(r.etag, "\"5e3a9107\"");
	ck_assert(!r.etag_weak);
	ck_assert(r.has_last_modified);
	ck_assert_int_eq(r.last_modified, 784111777);
	ck_assert_int_eq(r.accept_ranges, HTTPC_AR_BYTES);
	ck_assert_str_eq(r.location, "");
	ck_assert(!r.encoded);
	static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
					  0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
					  0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	ck_assert(r.has_repr_digest);
	ck_assert(r.has_content_digest);
	ck_assert_mem_eq(r.content_digest, empty, 32);
	ck_assert(r.has_retry_after);
	ck_assert(!r.retry_after_is_date);
	ck_assert_uint_eq(r.retry_after_s, 120);
}
END_TEST

/* SPEC F-9: a Repr-Digest (of "abc") decoded to its 32 bytes. */
START_TEST(f9_digest_bytes)
{
	struct httpc_response r;
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
		 "Repr-Digest: sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:\r\n\r\n", &r);
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
					0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
					0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	ck_assert(r.has_repr_digest);
	ck_assert(!r.has_content_digest);
	ck_assert_mem_eq(r.repr_digest, abc, 32);
	/* no padding is taken too (RFC 8941 4.2.7); the last of two sha-256 wins */
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
		 "Repr-Digest: sha-256=:AAAA:\r\n"
		 "Repr-Digest: sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0:\r\n\r\n", &r);
	ck_assert(r.has_repr_digest);
	ck_assert_mem_eq(r.repr_digest, abc, 32);
}
END_TEST

/* SPEC F-9 G-10: the Repr-Digest field is kept as sent (trimmed), a sha-256 member
 * or not; several that differ, or one too long, are not kept. */
START_TEST(f9_repr_field_kept)
{
	struct httpc_response r;
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest: \t sha-512=:YQ==: \r\n\r\n", &r);
	ck_assert(!r.has_repr_digest);
	ck_assert_str_eq(r.repr_field, "sha-512=:YQ==:");
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest: sha-512=:YQ==:\r\n"
		 "Repr-Digest: sha-512=:YQ==:\r\n\r\n", &r);
	ck_assert_str_eq(r.repr_field, "sha-512=:YQ==:");
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest: sha-512=:YQ==:\r\n"
		 "Repr-Digest: sha-512=:Yg==:\r\nRepr-Digest: sha-512=:YQ==:\r\n\r\n", &r);
	ck_assert_str_eq(r.repr_field, "");
	char head[HTTP_VALUE_MAX + 128];
	snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest: x=:%0*d:\r\n\r\n",
		 HTTP_VALUE_MAX, 0);
	accepted(head, &r);
	ck_assert_str_eq(r.repr_field, "");
	ck_assert(r.repr_seen && !r.repr_kept); /* seen, not kept: G-10 cannot call it the same */
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest:\r\n"
		 "Repr-Digest: sha-512=:YQ==:\r\n\r\n", &r); /* an empty one first differs too */
	ck_assert(r.repr_seen && !r.repr_kept);
	ck_assert_str_eq(r.repr_field, "");
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRepr-Digest: sha-512=:YQ==:\r\n\r\n", &r);
	ck_assert(r.repr_seen && r.repr_kept);
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Digest: sha-512=:YQ==:\r\n\r\n", &r);
	ck_assert_str_eq(r.repr_field, "");
	ck_assert(!r.repr_seen && !r.repr_kept);
}
END_TEST

static const char *const ignored_digests[] = {
	"sha-512=:YQ==:",                                           /* another algorithm only */
	"sha-256=:YQ==:",                                           /* not 32 bytes */
	"sha-256=ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",     /* not a byte sequence */
	"sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",    /* no closing colon */
	"sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAF!0=:",   /* not base64 */
	"sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:, ,", /* an empty member */
	"SHA-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:",   /* keys are lower case */
	"sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=: x", /* junk after */
	"sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:=",
	"",
};

/* SPEC F-9: a digest field that does not give a sha-256 of 32 bytes is ignored. */
START_TEST(f9_digest_ignored)
{
	char head[512];
	struct httpc_response r;
	snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Digest: %s\r\n\r\n",
		 ignored_digests[_i]);
	accepted(head, &r);
	ck_assert_msg(!r.has_content_digest, "kept: %s", ignored_digests[_i]);
	ck_assert(!r.has_repr_digest);
}
END_TEST

/* SPEC F-5: every prefix of a head is "need more"; so is a prefix that ends in a CR. */
START_TEST(f5_every_prefix_needs_more)
{
	struct httpc_response r;
	size_t len = strlen(full);
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_msg(parse_n(full, cut, HTTPC_HEAD_MAX, &r) == HTTPC_NEED_MORE, "cut %zu", cut);
	char more[sizeof full + 8];
	memcpy(more, full, len);
	memcpy(more + len, "BODYBODY", 8);
	ck_assert_int_eq(parse_n(more, len + 8, HTTPC_HEAD_MAX, &r), (int)len);
}
END_TEST

/* SPEC F-5: bare LF line ends; a 1xx head is one of its own; a reason may be empty. */
START_TEST(f5_lf_and_1xx)
{
	struct httpc_response r;
	accepted("HTTP/1.1 200 OK\nContent-Length: 5\n\n", &r);
	ck_assert_uint_eq(r.length, 5);
	const char *two = "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
	ck_assert_int_eq(parse(two, &r), 40);
	ck_assert_int_eq(r.status, 103);
	ck_assert_int_eq(parse(two + 40, &r), 19);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!r.has_length);
	accepted("HTTP/1.1 404 \r\n\r\n", &r);
	ck_assert_int_eq(r.status, 404);
	accepted("HTTP/1.1 599\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 599);
	accepted("HTTP/1.0 200 OK\r\n\r\n", &r);
	ck_assert_int_eq(r.minor, 0);
	ck_assert(r.close);
	accepted("HTTP/1.1 200 Fine \t\x80 reason\r\n\r\n", &r);
}
END_TEST

static const struct { const char *text, *why; } bad_heads[] = {
	{"HTTP/2 200 OK\r\n\r\n", "status line"},
	{"HTTP/2.0 200 OK\r\n\r\n", "version"},
	{"HTTP/1.1  200 OK\r\n\r\n", "status"},
	{"http/1.1 200 OK\r\n\r\n", "status line"},
	{"HTTP/1.1 99 OK\r\n\r\n", "status"},
	{"HTTP/1.1 600 OK\r\n\r\n", "status"},
	{"HTTP/1.1 2000 OK\r\n\r\n", "status"},
	{"HTTP/1.1 20x OK\r\n\r\n", "status"},
	{"HTTP/1.1 200OK\r\n\r\n", "status"},
	{"HTTP/1.1 200 O\rK\r\n\r\n", "CR"},
	{"HTTP/1.1 200 O\x01K\r\n\r\n", "control"},
	{"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", "CR"},
	{"HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n", "CR"},
	{"HTTP/1.1 200 OK\r\n\r\r\n", "CR"},
	{"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "obs-fold"},
	{"HTTP/1.1 200 OK\r\nA: b\r\n\tc\r\n\r\n", "obs-fold"},
	{"HTTP/1.1 200 OK\r\n A: b\r\n\r\n", "obs-fold"},
	{"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", "before"},
	{"HTTP/1.1 200 OK\r\nA\t: b\r\n\r\n", "before"},
	{"HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n", "field name"},
	{"HTTP/1.1 200 OK\r\n: c\r\n\r\n", "field name"},
	{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "field name"},
	{"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", "control"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\n", "Content-Length"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	 "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", "Transfer-Encoding"},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "both"},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both"},
	{"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1.0"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 5-4/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-10/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-0/0\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes */*\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-4\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-4/\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes -4/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0 - 4/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes=0-4/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: items 0-4/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-4/10x\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-4/10, bytes 5-9/10\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9223372036854775808/*\r\n\r\n", "Content-Range"},
	{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-4/10\r\nContent-Range: bytes 0-5/10\r\n\r\n",
	 "Content-Range"},
	{"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n", "Location"},
};

/* SPEC F-5 F-6 F-7 F-8: malformed heads, each refused for its reason. */
START_TEST(f5_refused)
{
	refused(bad_heads[_i].text, bad_heads[_i].why);
}
END_TEST

/* SPEC F-5: the head limit, at exactly max and one past; an incomplete head that
 * already fills max is refused at once. */
START_TEST(f5_head_limit)
{
	static char head[HTTPC_HEAD_MAX + 64];
	struct httpc_response r;
	const char *start = "HTTP/1.1 200 OK\r\nX: ";
	size_t max = 1000;
	strcpy(head, start);
	memset(head + strlen(start), 'v', max - strlen(start) - 4);
	strcpy(head + max - 4, "\r\n\r\n");
	ck_assert_int_eq(parse_n(head, max, max, &r), (int)max);
	ck_assert_int_eq(parse_n(head, max - 1, max, &r), HTTPC_NEED_MORE);
	ck_assert_int_eq(parse_n(head, max, max - 1, &r), HTTPC_ERROR);
	ck_assert_ptr_nonnull(strstr(r.why, "large"));
	ck_assert_int_eq(parse_n(head, max - 1, max - 1, &r), HTTPC_ERROR);
	ck_assert_int_eq(parse_n(head, max - 2, max - 1, &r), HTTPC_NEED_MORE);
	/* a header longer than the limit: refused once the limit is passed */
	memset(head + strlen(start), 'v', sizeof head - strlen(start));
	ck_assert_int_eq(parse_n(head, sizeof head, HTTPC_HEAD_MAX, &r), HTTPC_ERROR);
}
END_TEST

/* SPEC F-6: Content-Length forms taken; chunked; close rules; Content-Encoding. */
START_TEST(f6_framing)
{
	struct httpc_response r;
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length:5\r\n\r\n", &r);
	ck_assert(r.has_length);
	ck_assert_uint_eq(r.length, 5);
	accepted("HTTP/1.1 200 OK\r\nContent-Length: 0009223372036854775807\r\n\r\n", &r);
	ck_assert_uint_eq(r.length, INT64_MAX);
	accepted("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", &r);
	ck_assert(r.chunked);
	ck_assert(!r.has_length);
	accepted("HTTP/1.1 200 OK\r\nTransfer-Encoding:chunked \r\nConnection: Close\r\n\r\n", &r);
	ck_assert(r.chunked);
	ck_assert(r.close);
	accepted("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\n\r\n", &r);
	ck_assert(r.close);
	accepted("HTTP/1.1 200 OK\r\nConnection: closed\r\n\r\n", &r);
	ck_assert(!r.close);
	accepted("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", &r);
	ck_assert(!r.close);
	accepted("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n\r\n", &r);
	ck_assert(r.close);
	accepted("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", &r);
	ck_assert(r.encoded);
	accepted("HTTP/1.1 200 OK\r\nContent-Encoding: identity, br\r\n\r\n", &r);
	ck_assert(r.encoded);
	accepted("HTTP/1.1 200 OK\r\nContent-Encoding: Identity\r\nContent-Encoding:\r\n\r\n", &r);
	ck_assert(!r.encoded);
	accepted("HTTP/1.1 200 OK\r\n\r\n", &r);
	ck_assert(!r.encoded && !r.has_length && !r.chunked && !r.close);
	ck_assert_int_eq(r.crange, HTTPC_CRANGE_NONE);
	ck_assert_int_eq(r.accept_ranges, HTTPC_AR_UNSAID);
	ck_assert(!r.has_last_modified && !r.has_retry_after && !r.has_repr_digest);
	ck_assert_str_eq(r.etag, "");
}
END_TEST

/* SPEC F-7: the three Content-Range forms. */
START_TEST(f7_content_range)
{
	struct httpc_response r;
	accepted("HTTP/1.1 206 OK\r\nContent-Range: bytes 0-0/1\r\n\r\n", &r);
	ck_assert_int_eq(r.crange, HTTPC_CRANGE_BYTES);
	ck_assert_uint_eq(r.first, 0);
	ck_assert_uint_eq(r.last, 0);
	ck_assert_uint_eq(r.size, 1);
	accepted("HTTP/1.1 206 OK\r\nContent-Range: bytes 5-9223372036854775806/*\r\n\r\n", &r);
	ck_assert_uint_eq(r.last, INT64_MAX - 1);
	ck_assert_uint_eq(r.size, HTTPC_SIZE_UNKNOWN);
	accepted("HTTP/1.1 206 OK\r\nContent-Range: BYTES 0-9223372036854775806/9223372036854775807\r\n"
		 "Content-Range: bytes 0-9223372036854775806/9223372036854775807\r\n\r\n", &r);
	ck_assert_uint_eq(r.size, INT64_MAX);
	accepted("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */0\r\n\r\n", &r);
	ck_assert_int_eq(r.crange, HTTPC_CRANGE_UNSAT);
	ck_assert_uint_eq(r.size, 0);
}
END_TEST

/* SPEC F-8: validators and hints, and the malformed ones ignored. */
START_TEST(f8_validators)
{
	struct httpc_response r;
	accepted("HTTP/1.1 200 OK\r\nETag: W/\"x-y\"\r\nAccept-Ranges: none\r\n"
		 "Last-Modified: Sun Nov  6 08:49:37 1994\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n"
		 "Location: ../a b?c#d\r\n\r\n", &r);
	ck_assert_str_eq(r.etag, "W/\"x-y\"");
	ck_assert(r.etag_weak);
	ck_assert_int_eq(r.accept_ranges, HTTPC_AR_NONE);
	ck_assert(r.has_last_modified);
	ck_assert_int_eq(r.last_modified, 784111777);
	ck_assert(r.has_retry_after && r.retry_after_is_date);
	ck_assert_int_eq(r.retry_after_date, 946684799);
	ck_assert_str_eq(r.location, "../a b?c#d");
	accepted("HTTP/1.1 200 OK\r\nETag: \"\"\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		 "Accept-Ranges: foo, bytes\r\n\r\n", &r);
	ck_assert_str_eq(r.etag, "\"\"");
	ck_assert(!r.etag_weak);
	ck_assert_int_eq(r.last_modified, 784111777);
	ck_assert_int_eq(r.accept_ranges, HTTPC_AR_BYTES);
	static const char *const bad_etags[] = {"abc", "\"a b\"", "\"a", "w/\"a\"", "\"a\"b", "\"a\"\"", "\"a\\\"b\"", "W/"};
	for (unsigned i = 0; i < sizeof bad_etags / sizeof bad_etags[0]; i++) {
		char head[300];
		snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nETag: %s\r\n\r\n", bad_etags[i]);
		accepted(head, &r);
		ck_assert_msg(!strcmp(r.etag, ""), "kept ETag %s", bad_etags[i]);
	}
	accepted("HTTP/1.1 200 OK\r\nETag: \"a\"\r\nETag: \"b\"\r\n\r\n", &r);
	ck_assert_str_eq(r.etag, "");
	accepted("HTTP/1.1 200 OK\r\nETag: \"a\"\r\nETag: \"a\"\r\n\r\n", &r);
	ck_assert_str_eq(r.etag, "\"a\"");
	char big[600] = "HTTP/1.1 200 OK\r\nETag: \"";
	memset(big + strlen(big), 'e', HTTP_VALUE_MAX);
	strcat(big, "\"\r\n\r\n");
	accepted(big, &r);
	ck_assert_str_eq(r.etag, "");
	static const char *const bad_dates[] = {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 32 Nov 1994 08:49:37 GMT",
						"Sun, 06 Nov 1994 24:00:00 GMT", "yesterday", "",
						"Sun, 29 Feb 1900 00:00:00 GMT", "Sun,  06 Nov 1994 08:49:37 GMT"};
	for (unsigned i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++) {
		char head[300];
		snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nLast-Modified: %s\r\nRetry-After: %s\r\n\r\n",
			 bad_dates[i], bad_dates[i]);
		accepted(head, &r);
		ck_assert_msg(!r.has_last_modified && !r.has_retry_after, "kept date %s", bad_dates[i]);
	}
	accepted("HTTP/1.1 200 OK\r\nLast-Modified: Thursday, 01-Jan-70 00:00:00 GMT\r\n"
		 "Retry-After: -1\r\n\r\n", &r);
	ck_assert_int_eq(r.last_modified, 0);
	ck_assert(!r.has_retry_after);
	accepted("HTTP/1.1 200 OK\r\nLast-Modified: Monday, 01-Jan-69 00:00:00 GMT\r\n\r\n", &r);
	ck_assert_int_eq(r.last_modified, 3124224000);
	accepted("HTTP/1.1 302 OK\r\nLocation: /x\r\nLocation: /x\r\n\r\n", &r);
	ck_assert_str_eq(r.location, "/x");
	/* SPEC F-8: a Location of HTTPC_URL_MAX bytes is kept, one more is refused */
	static char loc[HTTPC_URL_MAX + 64];
	int n = sprintf(loc, "HTTP/1.1 302 OK\r\nLocation: /");
	memset(loc + n, 'l', HTTPC_URL_MAX - 1);
	strcpy(loc + n + HTTPC_URL_MAX - 1, "\r\n\r\n");
	accepted(loc, &r);
	ck_assert_uint_eq(strlen(r.location), HTTPC_URL_MAX);
	loc[n] = 'l';
	memmove(loc + n + 1, loc + n, strlen(loc + n) + 1);
	refused(loc, "Location");
}
END_TEST

/* ---- F-10: the chunked body ---- */

/* Decodes in[0..len) fed step bytes at a time (each piece at a guard page): the data
 * into out (its length in *olen), the bytes used in *used. Returns the last result. */
static enum httpc_chunk_result dechunk(const char *in, size_t len, size_t step, char *out,
				       size_t *olen, size_t *used, const char **why)
{
	struct httpc_chunk c = {0};
	enum httpc_chunk_result res = HTTPC_CHUNK_MORE;
	size_t at = 0;
	*olen = 0;
	while (at < len && res == HTTPC_CHUNK_MORE) {
		size_t n = len - at < step ? len - at : step;
		void *map;
		size_t maplen, u, off, dl;
		const uint8_t *g = tu_guarded(in + at, n, &map, &maplen);
		res = httpc_chunk(&c, g, n, &u, &off, &dl);
		ck_assert_uint_le(u, n);
		ck_assert(res != HTTPC_CHUNK_MORE || u > 0);
		ck_assert_uint_le(off + dl, u);
		memcpy(out + *olen, g + off, dl);
		*olen += dl;
		tu_unguard(map, maplen);
		at += u;
	}
	*used = at;
	*why = c.why;
	return res;
}

static const char body[] = "5\r\nhello\r\n"
			   "1A;name=\"v;x\" ; other\r\nabcdefghijklmnopqrstuvwxyz\r\n"
			   "0000000000000000000000000000000000000000000000000000000000000001\r\n!\r\n"
			   "0;last\r\n"
			   "Repr-Digest: sha-256=:x:\r\nX: y\r\n"
			   "\r\nNEXT RESPONSE";

/* SPEC F-10: the same data and the same end in every split. */
START_TEST(f10_chunked_any_split)
{
	char out[sizeof body];
	const char *why;
	size_t olen, used, len = sizeof body - 1, end = len - strlen("NEXT RESPONSE");
	for (size_t step = 1; step <= len; step++) {
		ck_assert_int_eq(dechunk(body, len, step, out, &olen, &used, &why), HTTPC_CHUNK_DONE);
		ck_assert_uint_eq(used, end);
		ck_assert_uint_eq(olen, 32);
		ck_assert_mem_eq(out, "helloabcdefghijklmnopqrstuvwxyz!", 32);
	}
	/* an empty body, and a body cut anywhere: more wanted, the data so far */
	ck_assert_int_eq(dechunk("0\r\n\r\n", 5, 5, out, &olen, &used, &why), HTTPC_CHUNK_DONE);
	ck_assert_uint_eq(olen, 0);
	for (size_t cut = 0; cut < end; cut++)
		ck_assert_int_eq(dechunk(body, cut, 7, out, &olen, &used, &why), HTTPC_CHUNK_MORE);
	struct httpc_chunk c = {0};
	size_t u = 1, off = 1, dl = 1;
	ck_assert_int_eq(httpc_chunk(&c, (const uint8_t *)"", 0, &u, &off, &dl), HTTPC_CHUNK_MORE);
	ck_assert_uint_eq(u + off + dl, 0);
}
END_TEST

static const struct { const char *in, *why; } bad_chunks[] = {
	{"x\r\n", "size"},
	{"\r\n", "size"},
	{" 5\r\nhello\r\n", "size"},
	{"-5\r\n", "size"},
	{"5 x\r\n", "size"},
	{"5\nhello\r\n", "CRLF"},
	{"5\r\rhello\r\n", "CRLF"},
	{"5\r\nhelloX\r\n", "CRLF"},
	{"5\r\nhello\rX", "CRLF"},
	{"5\r\nhello\n", "CRLF"},
	{"8000000000000000\r\n", "2^63"},
	{"FFFFFFFFFFFFFFFFF\r\n", "2^63"},
	{"00000000000000000000000000000000000000000000000000000000000000001\r\n", "digits"},
	{"5;a\x01\r\n", "control"},
	{"5;a\rb\r\n", "CRLF"},
	{"0\r\nX: y\n\r\n", "CRLF"},
	{"0\r\n\n", "CRLF"},
	{"0\r\nX: y\rz\r\n\r\n", "CRLF"},
	{"0\r\nNo colon\r\n\r\n", "trailer"},
	{"0\r\n y: z\r\n\r\n", "trailer"},
	{"0\r\n: z\r\n\r\n", "trailer"},
	{"0\r\nX: \x01\r\n\r\n", "trailer"},
};

/* SPEC F-10: framing errors, in every split. */
START_TEST(f10_chunked_refused)
{
	char out[256];
	const char *why;
	size_t olen, used, len = strlen(bad_chunks[_i].in);
	for (size_t step = 1; step <= len; step++) {
		ck_assert_msg(dechunk(bad_chunks[_i].in, len, step, out, &olen, &used, &why) ==
			      HTTPC_CHUNK_ERROR, "%s: accepted", bad_chunks[_i].in);
		ck_assert_msg(strstr(why, bad_chunks[_i].why), "'%s': why '%s'", bad_chunks[_i].in, why);
	}
}
END_TEST

/* SPEC F-10: the limits on a size, an extension and the trailers, at and past them. */
START_TEST(f10_chunked_limits)
{
	static char in[HTTPC_TRAILER_MAX + 64], out[64];
	const char *why;
	size_t olen, used;
	/* 7FFFFFFFFFFFFFFF: 2^63-1 is a size; the decoder waits for its data */
	ck_assert_int_eq(dechunk("7FFFFFFFFFFFFFFF\r\nab", 20, 3, out, &olen, &used, &why),
			 HTTPC_CHUNK_MORE);
	ck_assert_uint_eq(olen, 2);
	size_t n = (size_t)sprintf(in, "1;");
	memset(in + n, 'e', HTTPC_CHUNK_EXT_MAX - 1);
	n += HTTPC_CHUNK_EXT_MAX - 1;
	n += (size_t)sprintf(in + n, "\r\nx\r\n0\r\n\r\n");
	ck_assert_int_eq(dechunk(in, n, 100, out, &olen, &used, &why), HTTPC_CHUNK_DONE);
	n = (size_t)sprintf(in, "1;");
	memset(in + n, 'e', HTTPC_CHUNK_EXT_MAX);
	n += HTTPC_CHUNK_EXT_MAX;
	n += (size_t)sprintf(in + n, "\r\nx\r\n0\r\n\r\n");
	ck_assert_int_eq(dechunk(in, n, 100, out, &olen, &used, &why), HTTPC_CHUNK_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "extension"));
	/* trailers of exactly HTTPC_TRAILER_MAX bytes (their lines with CRLF), then one more */
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)sprintf(in, "0\r\nX: ");
		size_t fill = HTTPC_TRAILER_MAX - 5 + (size_t)extra;
		memset(in + n, 'v', fill);
		n += fill;
		n += (size_t)sprintf(in + n, "\r\n\r\n");
		ck_assert_int_eq(dechunk(in, n, 1000, out, &olen, &used, &why),
				 extra ? HTTPC_CHUNK_ERROR : HTTPC_CHUNK_DONE);
		if (extra)
			ck_assert_ptr_nonnull(strstr(why, "trailer"));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("httpc");
	TCase *tc = tcase_create("httpc");
	tcase_add_loop_test(tc, f1_url_accepted, 0, (int)(sizeof urls / sizeof urls[0]));
	tcase_add_loop_test(tc, f1_url_refused, 0, (int)(sizeof bad_urls / sizeof bad_urls[0]));
	tcase_add_test(tc, f1_url_limits);
	tcase_add_test(tc, f2_name_limits);
	tcase_add_loop_test(tc, f3_relative_references, 0, (int)(sizeof refs / sizeof refs[0]));
	tcase_add_test(tc, f3_reference_scheme);
	tcase_add_loop_test(tc, f1_url_format_roundtrip, 0, (int)(sizeof urls / sizeof urls[0]));
	tcase_add_test(tc, f4_request_format);
	tcase_add_test(tc, f4_request_refuses);
	tcase_add_test(tc, f5_full_head);
	tcase_add_test(tc, f9_digest_bytes);
	tcase_add_test(tc, f9_repr_field_kept);
	tcase_add_loop_test(tc, f9_digest_ignored, 0,
			    (int)(sizeof ignored_digests / sizeof ignored_digests[0]));
	tcase_add_test(tc, f5_every_prefix_needs_more);
	tcase_add_test(tc, f5_lf_and_1xx);
	tcase_add_loop_test(tc, f5_refused, 0, (int)(sizeof bad_heads / sizeof bad_heads[0]));
	tcase_add_test(tc, f5_head_limit);
	tcase_add_test(tc, f6_framing);
	tcase_add_test(tc, f7_content_range);
	tcase_add_test(tc, f8_validators);
	tcase_add_test(tc, f10_chunked_any_split);
	tcase_add_loop_test(tc, f10_chunked_refused, 0, (int)(sizeof bad_chunks / sizeof bad_chunks[0]));
	tcase_add_test(tc, f10_chunked_limits);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
