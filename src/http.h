/* http - HTTP/1.1 as zcp's origin speaks it (SPEC H; RFC 9110, RFC 9112): a pure,
 * incremental request-head parser, the Range, validator and date forms, and the
 * response head. Nothing here does I/O, allocates or keeps state between calls; no
 * function reads past the length it is given. */
#ifndef ZCP_HTTP_H
#define ZCP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wire.h"

#define HTTP_HEAD_MAX 8192   /* a request head (line and fields) larger than this: 431 (SPEC H) */
#define HTTP_TARGET_MAX 4096 /* a request target longer than this: 414 */
#define HTTP_VALUE_MAX 256   /* a kept validator field's value (If-Range, If-None-Match) */
#define HTTP_DATE_LEN 29     /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* http_parse_request()'s results other than "bytes consumed" (> 0). */
#define HTTP_NEED_MORE 0
#define HTTP_ERROR (-1) /* the request is refused: answer req->status and close */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER /* a valid token we do not serve: 405 */ };

/* A Range field as sent, before the size is known (RFC 9110 14.1.1). */
enum http_range_kind {
	HTTP_RANGE_NONE,   /* no Range, one we ignore (another unit, bad syntax, a method
			    * other than GET): the whole representation */
	HTTP_RANGE_FIRST,  /* bytes=first-last, last may be open (HTTP_RANGE_OPEN) */
	HTTP_RANGE_SUFFIX, /* bytes=-suffix: the last `suffix` bytes */
	HTTP_RANGE_MANY,   /* several ranges: answered with the whole (200), as RFC 9110 allows */
};
#define HTTP_RANGE_OPEN UINT64_MAX

struct http_range {
	enum http_range_kind kind;
	uint64_t first, last; /* FIRST: inclusive; last HTTP_RANGE_OPEN for "first-" */
	uint64_t suffix;      /* SUFFIX */
};

struct http_request {
	enum http_method method;
	char method_name[16];             /* as sent (for the log), cut to fit */
	int minor;                        /* HTTP/1.minor: 0 or 1; 1 in a refusal that came
					   * before the version was read */
	char path[ZCP_PATH_MAX + 1];      /* the target's path, percent-decoded once, without the
					   * leading '/' and the query: "" for "/" */
	bool keep_alive;                  /* RFC 9112 9.3: 1.1 unless "Connection: close"; 1.0
					   * only with "Connection: keep-alive" */
	struct http_range range;
	char if_range[HTTP_VALUE_MAX];    /* "" when absent; one too long or two are dropped
					   * and so is the Range (the condition cannot hold) */
	char if_none_match[HTTP_VALUE_MAX]; /* several fields joined by ", "; a list too
					     * long is dropped: no 304, never a wrong one */
	bool has_if_modified_since;
	time_t if_modified_since;         /* one valid HTTP-date only; an invalid one, or two,
					   * are ignored */
	int status;                       /* with HTTP_ERROR: 400, 414, 431 or 505 */
	const char *why;                  /* with HTTP_ERROR: a short static reason for the log */
};

/* http_parse_request() - parse the request head at the start of buf[0..len): the
 * request line and every field up to the empty line. Returns the bytes of the head
 * (> 0, *req filled), HTTP_NEED_MORE when the head is not complete yet and may still
 * be (len < max, no error seen so far), or HTTP_ERROR with req->status and req->why
 * set: malformed (400: bare CR, obs-fold, a bad token or field name, whitespace before
 * a colon, a control byte in a value, no Host on 1.1, several Host on any version or
 * one not uri-host[:port], a body (Content-Length other than 0, or any
 * Transfer-Encoding), duplicate Content-Length), a target over HTTP_TARGET_MAX (414, said as soon as the line
 * shows it, even in a head over max), a head over max bytes (431: max bytes there
 * and no end in them), an HTTP version other than 1.0 and 1.1 (505), a target that is
 * not origin- or http(s) absolute-form or whose path does not decode (400: a byte of
 * the target not visible ASCII, a bad escape, %00, a fragment; 414: decoded, longer
 * than ZCP_PATH_MAX). Any other decoded byte (a control byte, '/', "..") is kept:
 * whether the path names a file is the caller's S-12 question, not the parser's.
 * Tolerates one or two empty lines before the request line and bare LF line ends.
 * Pure: the same bytes always give the same answer, bytes after the head do not
 * count, and a prefix of a head gives HTTP_NEED_MORE or the same status. The bytes
 * are checked in order and the first fault decides. max <= INT_MAX. */
int http_parse_request(const char *buf, size_t len, size_t max, struct http_request *req);

/* http_range_resolve() - the bytes a Range asks of a representation of size bytes
 * (RFC 9110 14.1.2, 15.5.17): 206 with *off and *len set (len >= 1, off + len <=
 * size; a suffix longer than the file is all of it); 200 for the whole (no range,
 * several, even of an empty file); 416 when it cannot be satisfied (first >= size; a
 * zero suffix; any one range of an empty file). */
int http_range_resolve(const struct http_range *r, uint64_t size, uint64_t *off, uint64_t *len);

/* http_etag_list_matches() - RFC 9110 13.1.2: does the If-None-Match list (or "*")
 * name etag, with the weak comparison. A malformed list matches nothing. */
bool http_etag_list_matches(const char *list, const char *etag);

/* http_if_range_holds() - RFC 9110 13.1.5: does the If-Range value name this
 * representation: an entity tag strongly equal to etag (a weak one never holds). A
 * date never holds (SPEC H-5): it cannot tell apart two versions made in the second
 * it names (RFC 9110 8.8.2.2), and every answer carries the tag. */
bool http_if_range_holds(const char *value, const char *etag);

/* http_date_format() - t as an IMF-fixdate, NUL-terminated in out; a t before 1970
 * or after 9999 is said as the nearer end. */
void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

/* http_date_parse() - an HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime
 * forms RFC 9110 5.6.7 requires a recipient to accept) of len bytes, exactly: names
 * case-sensitive, the day name not checked against the date, a leap second (60) taken,
 * RFC 850's two-digit year read as 1970..2069. Returns 0 with *t, or -1. */
int http_date_parse(const char *s, size_t len, time_t *t);

/* A response head (RFC 9112 4, 6): the fields zcp's origin sends. */
struct http_head {
	int status;                  /* its reason phrase is http_reason(status) */
	int minor;                   /* the request's version: HTTP/1.minor (0 or 1), said back */
	bool close;                  /* "Connection: close" (else keep-alive, said to 1.0) */
	uint64_t length;             /* Content-Length; a 304 says the 200's (RFC 9110 8.6) */
	bool has_range;              /* 206: Content-Range: bytes first-last/size */
	uint64_t first, last, size;  /* 206, or 416 ("bytes * /size", first/last unused) */
	const char *etag;            /* with quotes, or NULL */
	time_t last_modified;        /* 0: none */
	time_t date;                 /* the Date field */
	bool accept_ranges;          /* "Accept-Ranges: bytes" */
	int retry_after;             /* > 0: Retry-After seconds (503) */
	const char *allow;           /* 405: "GET, HEAD" */
};

/* http_head_format() - the head h as bytes in out (up to cap, NUL-terminated): the
 * status line "HTTP/1.MINOR STATUS REASON", Date, Server, Content-Type for 200 and
 * 206, Content-Length, Content-Range for has_range and for 416, then each field h asks
 * for. Returns the length, or 0 when it does not fit, minor is not 0 or 1, or etag or
 * allow holds a CR or LF. */
size_t http_head_format(const struct http_head *h, char *out, size_t cap);

/* http_put() - append the formatted text to out[*at..cap), keeping room for its NUL,
 * and advance *at. Returns false once it does not fit (*at then unchanged). */
__attribute__((format(printf, 4, 5))) bool http_put(char *out, size_t cap, size_t *at, const char *fmt, ...);

/* http_reason() - the reason phrase of status ("Partial Content"), "" for one unknown. */
const char *http_reason(int status);

#endif
