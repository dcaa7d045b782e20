/* fuzz_httpc.c - the HTTP client's parsers (SPEC F). Input: byte 0 picks the parser
 * (0 response head, 1 chunked body, 2 URL), byte 1 is a knob (the head limit, the
 * split seed, whether the URL is a reference against a base), the rest is the text.
 * Properties: a head parsed whole and fed a byte at a time gives the same answer; a
 * kept Content-Range has first <= last < size; a kept Repr-Digest field is a trimmed
 * string shorter than the head; the chunked decoder gives the same data
 * and the same end in any split; a URL that parses formats to one that parses to the
 * same, and its request head has exactly its lines. Every parse sees an exact-size
 * copy, so ASan bounds it. */
#include <string.h>

#include "fuzz.h"
#include "httpc.h"

static uint8_t *copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	memcpy(c, p, n);
	return c;
}

static int parse(const uint8_t *p, size_t n, size_t max, struct httpc_response *r)
{
	uint8_t *c = copy(p, n);
	int got = httpc_parse_response((const char *)c, n, max, r);
	free(c);
	return got;
}

static void response(const uint8_t *in, size_t n, uint8_t knob)
{
	static struct httpc_response whole, part;
	size_t max = knob ? 16 + (size_t)knob * 8 : HTTPC_HEAD_MAX;
	int w = parse(in, n, max, &whole);
	FUZZ_ASSERT(w >= HTTPC_ERROR && (size_t)(w > 0 ? w : 0) <= (n < max ? n : max));
	FUZZ_ASSERT(w != HTTPC_NEED_MORE || n < max);
	if (w > 0) {
		FUZZ_ASSERT(whole.status >= 100 && whole.status <= 599);
		FUZZ_ASSERT(!(whole.chunked && whole.has_length));
		FUZZ_ASSERT(!whole.has_length || whole.length <= INT64_MAX);
		if (whole.crange == HTTPC_CRANGE_BYTES)
			FUZZ_ASSERT(whole.first <= whole.last &&
				    (whole.size == HTTPC_SIZE_UNKNOWN || whole.last < whole.size));
		if (whole.crange == HTTPC_CRANGE_UNSAT)
			FUZZ_ASSERT(whole.size != HTTPC_SIZE_UNKNOWN);
		/* a kept Repr-Digest field is a string from the head, its value trimmed */
		size_t rl = strnlen(whole.repr_field, sizeof whole.repr_field);
		FUZZ_ASSERT(rl < sizeof whole.repr_field && rl < (size_t)w);
		FUZZ_ASSERT(!rl || (whole.repr_field[0] != ' ' && whole.repr_field[rl - 1] != ' '));
		FUZZ_ASSERT(!whole.repr_kept || whole.repr_seen); /* kept only what came */
		FUZZ_ASSERT(whole.repr_kept || !rl);             /* nothing shown that is not kept */
	}
	/* a byte at a time, as a receiver would: the first answer that is not "need
	 * more" is the whole input's (the whole input may still need more) */
	for (size_t len = 0; len <= n; len++) {
		int p = parse(in, len, max, &part);
		if (p == HTTPC_NEED_MORE)
			continue;
		FUZZ_ASSERT(p == w);
		FUZZ_ASSERT(p > 0 ? !memcmp(&part, &whole, sizeof part) : part.why == whole.why);
		return;
	}
	FUZZ_ASSERT(w == HTTPC_NEED_MORE);
}

/* Decodes in[0..n) in pieces cut by a xorshift seeded with seed (0: whole) into out
 * (n bytes); returns the last result, the data length in *olen, the bytes taken in *used. */
static enum httpc_chunk_result dechunk(const uint8_t *in, size_t n, uint8_t seed, uint8_t *out,
				       size_t *olen, size_t *used, const char **why)
{
	struct httpc_chunk c = {0};
	enum httpc_chunk_result res = HTTPC_CHUNK_MORE;
	uint32_t x = seed * 2654435761u + 1;
	size_t at = 0;
	*olen = 0;
	while (at < n && res == HTTPC_CHUNK_MORE) {
		size_t piece = n - at;
		if (seed) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			piece = 1 + x % (seed % 16 + 1) < piece ? 1 + x % (seed % 16 + 1) : piece;
		}
		uint8_t *p = copy(in + at, piece);
		size_t off = 0;
		while (off < piece && res == HTTPC_CHUNK_MORE) { /* as a receiver loops on one read */
			size_t u, doff, dlen;
			res = httpc_chunk(&c, p + off, piece - off, &u, &doff, &dlen);
			FUZZ_ASSERT(u <= piece - off && doff + dlen <= u);
			FUZZ_ASSERT(res != HTTPC_CHUNK_MORE || u > 0);
			memcpy(out + *olen, p + off + doff, dlen);
			*olen += dlen;
			off += u;
		}
		free(p);
		at += off;
	}
	*used = at;
	*why = c.why;
	return res;
}

static void chunked(const uint8_t *in, size_t n, uint8_t seed)
{
	uint8_t *a = copy(in, n), *b = copy(in, n); /* n bytes for the data of each */
	size_t alen, blen, aused, bused;
	const char *awhy, *bwhy;
	enum httpc_chunk_result ra = dechunk(in, n, 0, a, &alen, &aused, &awhy);
	enum httpc_chunk_result rb = dechunk(in, n, seed ? seed : 1, b, &blen, &bused, &bwhy);
	FUZZ_ASSERT(ra == rb && awhy == bwhy && alen == blen && !memcmp(a, b, alen));
	FUZZ_ASSERT(aused == bused);
	FUZZ_ASSERT(ra != HTTPC_CHUNK_MORE || aused == n);
	free(a);
	free(b);
}

static void same_url(const struct httpc_url *a, const struct httpc_url *b)
{
	FUZZ_ASSERT(a->scheme == b->scheme && a->ipv6 == b->ipv6 && a->port == b->port);
	FUZZ_ASSERT(!strcmp(a->host, b->host) && !strcmp(a->target, b->target));
	FUZZ_ASSERT(!strcmp(a->name, b->name) && a->name_why == b->name_why);
}

static void url(const uint8_t *in, size_t n, uint8_t knob)
{
	static struct httpc_url base, u, v;
	static char text[HTTPC_URL_MAX + 1], again[HTTPC_URL_MAX + 1], req[HTTPC_URL_MAX + 1024];
	const char *why;
	const char *b = knob & 2 ? "https://[fe80::1%25lo]:8443/dir/f.iso?q" : "http://a/b/c/d;p?q";
	FUZZ_ASSERT(httpc_url_parse(b, strlen(b), NULL, &base, &why) == 0);
	uint8_t *c = copy(in, n);
	int r = httpc_url_parse((const char *)c, n, knob & 1 ? &base : NULL, &u, &why);
	free(c);
	if (r < 0)
		return;
	FUZZ_ASSERT(u.port > 0 && u.host[0] && u.target[0] == '/');
	FUZZ_ASSERT(!u.name_why == (u.name[0] != 0) && !strchr(u.name, '/'));
	size_t len = httpc_url_format(&u, text, sizeof text);
	FUZZ_ASSERT(len > 0);
	FUZZ_ASSERT(httpc_url_parse(text, len, NULL, &v, &why) == 0);
	same_url(&u, &v);
	FUZZ_ASSERT(httpc_url_format(&v, again, sizeof again) == len && !memcmp(text, again, len));
	/* its request: six lines (request line, four fields, the empty one), no other CR or LF */
	struct httpc_request q = {.url = &u, .range = knob & 4, .first = knob, .last = HTTPC_RANGE_OPEN};
	size_t qn = httpc_request_format(&q, req, sizeof req);
	FUZZ_ASSERT(qn > 0);
	size_t lf = 0, cr = 0;
	for (size_t i = 0; i < qn; i++) {
		lf += req[i] == '\n';
		cr += req[i] == '\r';
		FUZZ_ASSERT(req[i] != '\n' || (i > 0 && req[i - 1] == '\r'));
	}
	FUZZ_ASSERT(lf == 6u + (knob & 4 ? 1 : 0) && cr == lf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 4096)
		return 0;
	const uint8_t *in = data + 2;
	size_t n = size - 2;
	switch (data[0] % 3) {
	case 0:
		response(in, n, data[1]);
		break;
	case 1:
		chunked(in, n, data[1]);
		break;
	default:
		url(in, n, data[1]);
	}
	return 0;
}
