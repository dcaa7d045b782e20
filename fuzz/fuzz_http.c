/* fuzz_http.c - the HTTP request head parser and its companions against arbitrary
 * bytes (SPEC H-2..H-6, H-12). Properties, each on copies that end where the heap
 * block ends (ASan sees any over-read):
 * (a) an accepted head re-parses, from a copy of exactly its bytes, to the same struct;
 * (b)(c) fed as a growing buffer (every split point, or a spread of them for long
 *     inputs), the first answer that is not HTTP_NEED_MORE is the whole input's
 *     answer: a prefix of an accepted head needs more; a refusal keeps its status;
 * (d) a resolved range lies inside the file: off + len <= size, len >= 1 for 206;
 * (e) the response head for the answer parses back as a status line with that
 *     status, and the input read as an HTTP-date formats back to the same time. */
#include <string.h>

#include "fuzz.h"
#include "http.h"

/* buf[0..len) in a heap block of exactly len bytes: a read past it is ASan's. */
static char *exact(const uint8_t *buf, size_t len)
{
	char *copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	return copy;
}

static int parse(const uint8_t *buf, size_t len, size_t max, struct http_request *r)
{
	char *copy = exact(buf, len);
	int n = http_parse_request(copy, len, max, r);
	free(copy);
	return n;
}

/* One answer equals another: the same count, and the same struct or status. */
static int same(int n, const struct http_request *a, int m, const struct http_request *b)
{
	if (n != m)
		return 0;
	if (n > 0)
		return memcmp(a, b, sizeof *a) == 0;
	return n == HTTP_NEED_MORE || a->status == b->status;
}

/* (b)(c): every prefix, or for a long input 64 spread cuts and the 8 before the end
 * of the head. */
static void growing(const uint8_t *data, size_t size, size_t max, int n,
		    const struct http_request *whole)
{
	struct http_request r;
	size_t head = n > 0 ? (size_t)n : size;
	for (size_t i = 0, cuts = size <= 256 ? size : 72; i < cuts; i++) {
		size_t k = size <= 256 ? i : i < 64 ? size * i / 64 : head - (i - 63);
		if (k > size)
			continue;
		int got = parse(data, k, max, &r);
		if (got == HTTP_NEED_MORE)
			continue;
		FUZZ_ASSERT(k >= head || n <= 0); /* (b) a prefix of an accepted head needs more */
		FUZZ_ASSERT(same(got, &r, n, whole));
	}
}

/* (d): a resolved range, against sizes near its own numbers. */
static void ranges(const struct http_range *rg, const uint8_t *data, size_t size)
{
	uint64_t salt = 0;
	memcpy(&salt, data, size < sizeof salt ? size : sizeof salt);
	const uint64_t sizes[] = {0, 1, 2, rg->first, rg->first + 1, rg->last, rg->last + 1,
				  rg->suffix, rg->suffix + 1, rg->suffix - 1, INT64_MAX, salt >> 1};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t s = sizes[i] > INT64_MAX ? INT64_MAX : sizes[i], off = 0, len = 0;
		int st = http_range_resolve(rg, s, &off, &len);
		FUZZ_ASSERT(st == 200 || st == 206 || st == 416);
		if (st == 206)
			FUZZ_ASSERT(len >= 1 && off <= s && len <= s - off);
		if (rg->kind == HTTP_RANGE_NONE || rg->kind == HTTP_RANGE_MANY)
			FUZZ_ASSERT(st == 200);
	}
}

/* (e): "HTTP/1.MINOR NNN REASON\r\n", fields of visible bytes in CR LF lines, an empty
 * line last. */
static void head_parses_back(const struct http_head *h)
{
	char out[1024];
	size_t n = http_head_format(h, out, sizeof out);
	FUZZ_ASSERT(n > 0 && n < sizeof out && strlen(out) == n);
	FUZZ_ASSERT(n > 13 && !memcmp(out, "HTTP/1.", 7) && out[7] == '0' + h->minor && out[8] == ' ');
	FUZZ_ASSERT(out[12] == ' ');
	int st = (out[9] - '0') * 100 + (out[10] - '0') * 10 + (out[11] - '0');
	FUZZ_ASSERT(st == h->status);
	const char *reason = http_reason(st);
	FUZZ_ASSERT(*reason && !strncmp(out + 13, reason, strlen(reason)));
	FUZZ_ASSERT(!memcmp(out + 13 + strlen(reason), "\r\n", 2));
	FUZZ_ASSERT(!memcmp(out + n - 4, "\r\n\r\n", 4));
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\r' || out[i] == '\n')
			FUZZ_ASSERT(out[i] == '\r' ? out[i + 1] == '\n' : i > 0 && out[i - 1] == '\r');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	int n = parse(data, size, HTTP_HEAD_MAX, &req);
	FUZZ_ASSERT(n == HTTP_NEED_MORE || n == HTTP_ERROR || (n > 0 && (size_t)n <= size));
	if (n == HTTP_NEED_MORE)
		FUZZ_ASSERT(size < HTTP_HEAD_MAX);
	if (n == HTTP_ERROR)
		FUZZ_ASSERT(req.why && (req.status == 400 || req.status == 414 || req.status == 431 ||
					req.status == 505));
	if (n > 0) { /* (a), and what an accepted head promises */
		FUZZ_ASSERT(same(parse(data, (size_t)n, HTTP_HEAD_MAX, &again), &again, n, &req));
		FUZZ_ASSERT(same(parse(data, (size_t)n, (size_t)n, &again), &again, n, &req));
		FUZZ_ASSERT(strlen(req.path) <= ZCP_PATH_MAX && strlen(req.method_name) > 0);
		FUZZ_ASSERT(req.minor == 0 || req.minor == 1);
		FUZZ_ASSERT(req.method == HTTP_GET || req.range.kind == HTTP_RANGE_NONE);
		FUZZ_ASSERT(strlen(req.if_range) < HTTP_VALUE_MAX &&
			    strlen(req.if_none_match) < HTTP_VALUE_MAX);
		if (n > 1) { /* a smaller limit: the same answer or 431, never another */
			int m = parse(data, size, (size_t)n - 1, &again);
			FUZZ_ASSERT(m == HTTP_ERROR && again.status == 431);
		}
	}
	growing(data, size, HTTP_HEAD_MAX, n, &req);

	struct http_head h = {.status = n > 0 ? 200 : n == HTTP_ERROR ? req.status : 408,
			      .minor = n > 0 ? req.minor : 1, .close = n <= 0 || !req.keep_alive,
			      .date = (time_t)size * 7919, .accept_ranges = true};
	if (n > 0) {
		ranges(&req.range, data, size);
		uint64_t size_here = size, off = 0, len = size;
		h.status = http_range_resolve(&req.range, size_here, &off, &len);
		h.has_range = h.status == 206;
		h.first = off, h.last = off + len - 1, h.size = size_here, h.length = len;
		h.etag = "\"0123456789abcdef0123456789abcdef\"";
		h.last_modified = 784111777;
		/* the validators must not crash on what was kept */
		if (http_etag_list_matches(req.if_none_match, h.etag))
			h.status = 304;
		(void)http_if_range_holds(req.if_range, h.etag);
	}
	head_parses_back(&h);

	time_t t, back;
	char *text = exact(data, size);
	if (http_date_parse(text, size, &t) == 0 && t >= 0 && t <= 253402300799) {
		char date[HTTP_DATE_LEN + 1];
		http_date_format(t, date);
		FUZZ_ASSERT(http_date_parse(date, HTTP_DATE_LEN, &back) == 0 && back == t);
	}
	free(text);
	return 0;
}
