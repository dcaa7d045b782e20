/* httpc - the pure part of zcp-recv's HTTP/1.1 client (SPEC F; RFC 3986, RFC 9110,
 * RFC 9112, RFC 9530): URLs and relative references, the request head, the response
 * head and the chunked body. Nothing here does I/O, allocates or keeps state between
 * calls (the chunked decoder's state is the caller's struct); no function reads past
 * the length it is given. */
#ifndef ZCP_HTTPC_H
#define ZCP_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"

#define HTTPC_HOST_MAX 255     /* a host name or address literal, without brackets */
#define HTTPC_TARGET_MAX 8192  /* a request target (path and query), percent-encoded */
#define HTTPC_URL_MAX 8704      /* a whole URL or Location: the scheme, a host, a port, a target */
#define HTTPC_HEAD_MAX (64 * 1024) /* the response head limit zcp-recv passes */
#define HTTPC_CHUNK_EXT_MAX 4096   /* a chunk's extensions (after the size, before CRLF) */
#define HTTPC_TRAILER_MAX 16384    /* the trailer section after the last chunk */
#define HTTPC_DIGEST_SIZE 32       /* sha-256 */

/* Results of httpc_parse_response() other than "bytes consumed" (> 0). */
#define HTTPC_NEED_MORE 0
#define HTTPC_ERROR (-1)

enum httpc_scheme { HTTPC_HTTP, HTTPC_HTTPS };

/* A URL as zcp-recv fetches it (SPEC F-1, F-2). */
struct httpc_url {
	enum httpc_scheme scheme;
	char host[HTTPC_HOST_MAX + 1];       /* lower-case name, IPv4, or IPv6 (with
					      * "%zone") without the brackets */
	bool ipv6;                           /* the host was a bracketed literal */
	uint16_t port;                       /* 1..65535; the scheme's default when none */
	char target[HTTPC_TARGET_MAX + 1];   /* "/path?query": dot segments removed, what a
					      * target may not hold percent-encoded, no fragment */
	char name[ZCP_NAME_MAX + 1];         /* the last path segment, decoded: the default
					      * output name; "" when name_why says why not */
	const char *name_why;                /* NULL when name is usable */
};

/* httpc_url_parse() - the URL or relative reference s[0..len) (RFC 3986). With base
 * NULL, s must be an absolute http:// or https:// URL; with a base (a Location
 * field's value), s may also be a network-path ("//host/x"), an absolute path ("/x")
 * or a relative path ("x", "../x", "?q", ""), resolved as RFC 3986 5.2 says. Returns
 * 0 with *u filled, or -1 with *why a short static reason: another scheme (file:,
 * ftp:), userinfo, no or a bad host, a port outside 1..65535, a control byte, a
 * target over HTTPC_TARGET_MAX. A URL whose name is unusable still parses (SPEC F-2). */
int httpc_url_parse(const char *s, size_t len, const struct httpc_url *base, struct httpc_url *u,
		    const char **why);

/* httpc_url_format() - u as an absolute URL in out (NUL-terminated, at most cap
 * bytes with the NUL; the port only when not the scheme's default). Returns its
 * length, or 0 when it does not fit. httpc_url_parse() gives u back from it. */
size_t httpc_url_format(const struct httpc_url *u, char *out, size_t cap);

#define HTTPC_RANGE_OPEN UINT64_MAX /* last of "bytes=first-" */

/* A request to format (SPEC F-4). */
struct httpc_request {
	const struct httpc_url *url;
	bool head;                /* HEAD, else GET */
	bool range;               /* send Range: bytes=first-last */
	uint64_t first, last;     /* first <= last, last HTTPC_RANGE_OPEN for "first-" */
	const char *if_range;     /* an entity tag or HTTP-date, or NULL */
	const char *if_match;     /* an entity tag, or NULL */
	const char *if_unmodified_since; /* an HTTP-date, or NULL */
};

/* httpc_request_format() - the request head r in out (NUL-terminated, at most cap
 * bytes with the NUL): the request line (the URL's target, what must be
 * percent-encoded so), Host (with the port when not the default), User-Agent,
 * Accept-Encoding: identity, the optional Range, If-Range, If-Match and
 * If-Unmodified-Since, Connection:
 * keep-alive, the empty line. Returns its length, or 0 when it does not fit or a field would not be
 * one (a value with a control byte, a range with first > last or past 2^63-1). */
size_t httpc_request_format(const struct httpc_request *r, char *out, size_t cap);

enum httpc_crange {
	HTTPC_CRANGE_NONE,   /* no Content-Range */
	HTTPC_CRANGE_BYTES,  /* bytes first-last/size */
	HTTPC_CRANGE_UNSAT,  /* bytes * /size (a 416's) */
};
#define HTTPC_SIZE_UNKNOWN UINT64_MAX /* "bytes first-last/ *" */

enum httpc_accept_ranges { HTTPC_AR_UNSAID, HTTPC_AR_BYTES, HTTPC_AR_NONE };

/* A response head (SPEC F-5..F-9). */
struct httpc_response {
	int status;                  /* 100..599; a 1xx is a head of its own (RFC 9110 15.2):
				      * the caller skips it and parses what follows */
	int minor;                   /* HTTP/1.minor */
	bool close;                  /* the connection ends after this response (RFC 9112
				      * 9.3: "close", or 1.0 without "keep-alive") */
	bool has_length;
	uint64_t length;             /* Content-Length */
	bool chunked;                /* Transfer-Encoding: chunked */
	enum httpc_crange crange;
	uint64_t first, last, size;  /* BYTES: first <= last < size (size may be
				      * HTTPC_SIZE_UNKNOWN); UNSAT: size */
	char etag[HTTP_VALUE_MAX];   /* as sent, quotes and W/ kept (so that it fits an
				      * origin's If-Range, SPEC H); "" when none */
	bool etag_weak;
	bool has_last_modified;
	time_t last_modified;
	enum httpc_accept_ranges accept_ranges;
	char location[HTTPC_URL_MAX + 1]; /* as sent, "" when none: resolve it with
					   * httpc_url_parse() against the request's URL */
	bool encoded;                /* a Content-Encoding other than identity */
	bool has_repr_digest, has_content_digest;
	uint8_t repr_digest[HTTPC_DIGEST_SIZE], content_digest[HTTPC_DIGEST_SIZE];
	char repr_field[HTTP_VALUE_MAX]; /* the Repr-Digest field's value as sent (trimmed),
					  * parsed or not, when repr_kept; else "" */
	bool repr_seen;              /* a Repr-Digest field came (SPEC G-10) */
	bool repr_kept;              /* ... and repr_field is it: not too long, not several
				      * that differ (an unkept one is shown the same as none) */
	bool has_retry_after;        /* Retry-After: seconds, or a date */
	bool retry_after_is_date;
	uint64_t retry_after_s;
	time_t retry_after_date;
	const char *why;             /* with HTTPC_ERROR: a short static reason */
};

/* httpc_parse_response() - parse the response head at the start of buf[0..len): the
 * status line and every field up to the empty line. Returns the bytes of the head
 * (> 0, *r filled), HTTPC_NEED_MORE when it is not whole yet and may still be (len
 * < max, no error so far), or HTTPC_ERROR with r->why: a head over max bytes, a bad
 * status line (version other than HTTP/1.x, status outside 100..599), a bare CR, an
 * obs-fold line, a bad field name, white space before a colon, a control byte in a
 * value, a Content-Length that is not digits or several that differ, a
 * Transfer-Encoding other than exactly chunked (or in a 1.0 response, or beside a
 * Content-Length), a malformed Content-Range or one with first > last or last >=
 * size, differing Location fields. A field that is malformed but not about framing
 * (ETag, Last-Modified, digests, Retry-After) is ignored as if absent. Bare LF line
 * ends are taken. The same bytes always give the same answer; a prefix gives
 * HTTPC_NEED_MORE or the same error. */
int httpc_parse_response(const char *buf, size_t len, size_t max, struct httpc_response *r);

/* The chunked body decoder's state (SPEC F-10): zero it before the first call. */
struct httpc_chunk {
	int state;
	uint64_t left;      /* the current chunk's data bytes to come, or its size so far */
	size_t count;       /* size digits, extension or trailer bytes seen on this part */
	bool semicolon;     /* the extension's ';' was seen */
	const char *why;    /* with HTTPC_CHUNK_ERROR */
};

enum httpc_chunk_result {
	HTTPC_CHUNK_MORE,   /* give the next bytes */
	HTTPC_CHUNK_DONE,   /* the last chunk and the trailers are in: the body ended */
	HTTPC_CHUNK_ERROR,  /* c->why: bad hex, a size over 2^63-1, a missing CRLF, an
			     * extension over HTTPC_CHUNK_EXT_MAX, a trailer section over
			     * HTTPC_TRAILER_MAX or malformed */
};

/* httpc_chunk() - decode the next bytes buf[0..len) of a chunked body (RFC 9112 7.1).
 * Sets *used to the bytes taken (> 0 when len > 0 and the result is MORE) and
 * buf[*data_off..*data_off + *data_len) to the chunk data among them, which the caller
 * stores (*data_len 0: none; at most one slice a call, so the caller calls again with
 * what is left). With DONE, the bytes after *used are not the body's. Buffers no data. */
enum httpc_chunk_result httpc_chunk(struct httpc_chunk *c, const uint8_t *buf, size_t len,
				    size_t *used, size_t *data_off, size_t *data_len);

#endif
