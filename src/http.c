/* http - the request head, Range, validators, dates and the response head (SPEC H;
 * RFC 9110, RFC 9112). Every byte of a head is checked once, in order, so that the
 * first fault decides the answer: a prefix of a head can only need more or fail the
 * same way. */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NUMBER_MAX ((uint64_t)INT64_MAX) /* SPEC H-4: 2^63-1; bigger is a syntax error */

static int fail(struct http_request *req, int status, const char *why)
{
	req->status = status;
	req->why = why;
	return HTTP_ERROR;
}

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Does s[0..n) equal the lower-case word w, ignoring case? */
static bool same_word(const char *s, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != w[i])
			return false;
	return true;
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_ows(**s))
		(*s)++, (*n)--;
	while (*n && is_ows((*s)[*n - 1]))
		(*n)--;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 9112 3.2: origin-form, or absolute-form with an http(s) scheme. The path
 * becomes req->path: decoded once, without its leading '/' and the query. */
static int decode_target(const char *t, size_t n, struct http_request *req)
{
	size_t at = 0, scheme = 0;
	if (n >= 7 && same_word(t, 7, "http://"))
		scheme = 7;
	else if (n >= 8 && same_word(t, 8, "https://"))
		scheme = 8;
	if (scheme) { /* the authority: up to the path; Host is what a name is looked up under */
		for (at = scheme; at < n && t[at] != '/' && t[at] != '?';)
			at++;
		if (at == scheme)
			return fail(req, 400, "absolute-form without a host");
		if (at == n || t[at] == '?')
			return 0; /* an empty path is "/" */
	} else if (t[0] != '/') {
		return fail(req, 400, "target not a path");
	}
	size_t out = 0;
	for (at++; at < n && t[at] != '?'; at++) {
		char c = t[at];
		if (c == '#')
			return fail(req, 400, "fragment in the target");
		if (c == '%') {
			int hi = at + 2 < n ? hex(t[at + 1]) : -1, lo = hi >= 0 ? hex(t[at + 2]) : -1;
			if (lo < 0)
				return fail(req, 400, "bad percent escape");
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return fail(req, 400, "%00 in the target");
			at += 2;
		}
		if (out == ZCP_PATH_MAX)
			return fail(req, 414, "path too long");
		req->path[out++] = c;
	}
	req->path[out] = '\0';
	return 0;
}

/* The request line in l[0..n) (its line end not included; complete false: the line
 * goes on past n). Returns 1 when parsed, 0 when more is needed, HTTP_ERROR. */
static int request_line(const char *l, size_t n, bool complete, struct http_request *req)
{
	size_t i = 0;
	for (; i < n && l[i] != ' '; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(req, 400, l[i] == '\r' ? "bare CR" : "bad method");
	if (i == n)
		return complete ? fail(req, 400, "no request target") : 0;
	if (i == 0)
		return fail(req, 400, "no method");
	size_t keep = i < sizeof req->method_name ? i : sizeof req->method_name - 1;
	memcpy(req->method_name, l, keep);
	req->method = i == 3 && !memcmp(l, "GET", 3)    ? HTTP_GET
		      : i == 4 && !memcmp(l, "HEAD", 4) ? HTTP_HEAD
							: HTTP_OTHER;
	size_t t = ++i;
	for (; i < n && l[i] != ' '; i++) {
		if (i - t == HTTP_TARGET_MAX)
			return fail(req, 414, "target too long");
		if (l[i] < 0x21 || l[i] > 0x7e)
			return fail(req, 400, l[i] == '\r' ? "bare CR" : "bad target character");
	}
	if (i == n)
		return complete ? fail(req, 400, "no HTTP version") : 0;
	if (i == t)
		return fail(req, 400, "no request target");
	if (decode_target(l + t, i - t, req) < 0)
		return HTTP_ERROR;
	const char *v = l + i + 1;
	size_t vn = n - i - 1;
	if (!complete)
		return 0;
	if (vn != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return fail(req, 400, "bad HTTP version");
	if (v[5] != '1' || v[7] > '1')
		return fail(req, 505, "HTTP version not supported");
	req->minor = v[7] - '0';
	return 1;
}

/* A decimal number of 1..19 digits up to 2^63-1. Returns 0 with *v, or -1. */
static int number(const char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (*v > (NUMBER_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

/* RFC 9110 14.1.1, 14.2: one range-spec; -1 when invalid. */
static int range_spec(const char *s, size_t n, struct http_range *r)
{
	const char *dash = memchr(s, '-', n);
	if (!dash)
		return -1;
	size_t a = (size_t)(dash - s);
	if (a == 0) {
		r->kind = HTTP_RANGE_SUFFIX;
		return number(s + 1, n - 1, &r->suffix);
	}
	r->kind = HTTP_RANGE_FIRST;
	r->last = HTTP_RANGE_OPEN;
	if (number(s, a, &r->first) < 0)
		return -1;
	if (a + 1 == n)
		return 0;
	return number(dash + 1, n - a - 1, &r->last) < 0 || r->last < r->first ? -1 : 0;
}

/* The next element of the list v[*at..n) (RFC 9110 5.6.1), trimmed, possibly
 * empty; false after the last. For lists whose elements hold no comma. */
static bool list_next(const char *v, size_t n, size_t *at, const char **e, size_t *en)
{
	if (*at > n)
		return false;
	const char *comma = memchr(v + *at, ',', n - *at);
	size_t end = comma ? (size_t)(comma - v) : n;
	*e = v + *at;
	*en = end - *at;
	trim(e, en);
	*at = end + 1;
	return true;
}

/* A Range value: "bytes=" and a list of range-specs; anything we do not serve
 * leaves r at HTTP_RANGE_NONE. */
static void parse_range(const char *v, size_t n, struct http_range *r)
{
	struct http_range one = {HTTP_RANGE_NONE, 0, 0, 0};
	int specs = 0;
	const char *e;
	size_t en;
	if (n < 6 || !same_word(v, 6, "bytes="))
		return;
	for (size_t at = 6; list_next(v, n, &at, &e, &en);) {
		if (en && range_spec(e, en, &one) < 0)
			return;
		specs += en != 0;
	}
	if (specs == 1)
		*r = one;
	else if (specs > 1)
		r->kind = HTTP_RANGE_MANY;
}

/* Connection: a list of tokens (RFC 9110 7.6.1). */
static void connection_tokens(const char *v, size_t n, bool *close, bool *keep)
{
	const char *e;
	size_t en;
	for (size_t at = 0; list_next(v, n, &at, &e, &en);) {
		*close |= same_word(e, en, "close");
		*keep |= same_word(e, en, "keep-alive");
	}
}

enum { F_HOST, F_CL, F_RANGE, F_IF_RANGE, F_IMS, F_COUNT };

struct fields {
	int seen[F_COUNT];
	bool close, keep, if_range_bad, if_none_match_bad;
	const char *range;
	size_t range_len;
};

/* RFC 9112 3.2, RFC 3986 3.2.2: a Host value is uri-host [":" port], possibly empty;
 * checked by its bytes only (what is looked up is the target's path, never Host). */
static bool host_valid(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i]; /* unreserved, sub-delims, '%', ':', '[', ']' */
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alnum && (!c || !strchr("-._~!$&'()*+,;=%:[]", c)))
			return false;
	}
	return true;
}

/* Copy a validator's value, or say it did not fit. */
static bool keep_value(char *dst, const char *v, size_t n)
{
	if (n >= HTTP_VALUE_MAX)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

/* One field line l[0..n) (RFC 9112 5). Returns 0 or HTTP_ERROR. */
static int field_line(const char *l, size_t n, struct fields *f, struct http_request *req)
{
	if (is_ows(l[0]))
		return fail(req, 400, "obs-fold");
	size_t i = 0;
	for (; i < n && l[i] != ':'; i++) {
		if (is_ows(l[i]))
			return fail(req, 400, "whitespace before a colon");
		if (!is_tchar((unsigned char)l[i]))
			return fail(req, 400, l[i] == '\r' ? "bare CR" : "bad field name");
	}
	if (i == n)
		return fail(req, 400, "field without a colon");
	if (i == 0)
		return fail(req, 400, "empty field name");
	const char *name = l, *v = l + i + 1;
	size_t nn = i, vn = n - i - 1;
	for (size_t k = 0; k < vn; k++) {
		unsigned char c = (unsigned char)v[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(req, 400, c == '\r' ? "bare CR" : "bad field value");
	}
	trim(&v, &vn);
	if (same_word(name, nn, "host")) {
		f->seen[F_HOST]++;
		if (!host_valid(v, vn))
			return fail(req, 400, "bad Host");
	} else if (same_word(name, nn, "content-length")) {
		uint64_t len;
		if (f->seen[F_CL]++)
			return fail(req, 400, "duplicate Content-Length");
		if (number(v, vn, &len) < 0 || len != 0)
			return fail(req, 400, "request with a body");
	} else if (same_word(name, nn, "transfer-encoding")) {
		return fail(req, 400, "Transfer-Encoding");
	} else if (same_word(name, nn, "connection")) {
		connection_tokens(v, vn, &f->close, &f->keep);
	} else if (same_word(name, nn, "range")) {
		f->seen[F_RANGE]++;
		f->range = v, f->range_len = vn;
	} else if (same_word(name, nn, "if-range")) {
		f->if_range_bad |= f->seen[F_IF_RANGE]++ || !keep_value(req->if_range, v, vn);
	} else if (same_word(name, nn, "if-none-match")) {
		/* several fields are one list (RFC 9110 5.3); one too long for us is dropped,
		 * which costs a 304, never a wrong answer */
		size_t have = strlen(req->if_none_match), sep = have ? 2 : 0;
		f->if_none_match_bad |= have + sep + vn >= HTTP_VALUE_MAX;
		if (f->if_none_match_bad) {
			req->if_none_match[0] = '\0';
		} else {
			memcpy(req->if_none_match + have, ", ", sep);
			keep_value(req->if_none_match + have + sep, v, vn);
		}
	} else if (same_word(name, nn, "if-modified-since")) {
		req->has_if_modified_since = !f->seen[F_IMS]++ &&
					     http_date_parse(v, vn, &req->if_modified_since) == 0;
	}
	return 0;
}

/* Where the line at buf[at..n) ends: *end before its CR LF or LF, *next after it.
 * Returns false when no LF is there yet. A CR elsewhere is left to the line's own
 * checks, which refuse it in order with every other bad byte. */
static bool line_at(const char *buf, size_t n, size_t at, size_t *end, size_t *next)
{
	const char *lf = memchr(buf + at, '\n', n - at);
	if (!lf) {
		*end = n > at && buf[n - 1] == '\r' ? n - 1 : n; /* the CR of a CR LF to come */
		return false;
	}
	*next = (size_t)(lf - buf) + 1;
	*end = *next - 1 > at && lf[-1] == '\r' ? *next - 2 : *next - 1;
	return true;
}

int http_parse_request(const char *buf, size_t len, size_t max, struct http_request *req)
{
	memset(req, 0, sizeof *req);
	req->minor = 1; /* until the line says otherwise: a refusal before it is said in ours */
	size_t n = len < max ? len : max, at = 0, end, next;
	/* RFC 9112 2.2: empty lines before the request line are tolerated (we take two) */
	for (int i = 0; i < 2 && at < n && (buf[at] == '\n' || buf[at] == '\r'); i++) {
		if (!line_at(buf, n, at, &end, &next))
			return end == at ? (len >= max ? fail(req, 431, "head too large") : HTTP_NEED_MORE)
					 : fail(req, 400, "bare CR");
		if (end != at)
			return fail(req, 400, "bare CR");
		at = next;
	}
	bool complete = line_at(buf, n, at, &end, &next);
	int r = request_line(buf + at, end - at, complete, req);
	if (r <= 0)
		return r < 0 ? r : len >= max ? fail(req, 431, "head too large") : HTTP_NEED_MORE;
	struct fields f = {0};
	for (at = next; line_at(buf, n, at, &end, &next); at = next) {
		if (end == at) { /* the empty line: the head is complete */
			if (f.seen[F_HOST] > 1 || (req->minor == 1 && f.seen[F_HOST] == 0))
				return fail(req, 400, f.seen[F_HOST] ? "several Host fields" : "no Host");
			req->keep_alive = !f.close && (req->minor == 1 || f.keep);
			if (f.seen[F_RANGE] == 1 && req->method == HTTP_GET && !f.if_range_bad)
				parse_range(f.range, f.range_len, &req->range);
			if (f.if_range_bad)
				req->if_range[0] = '\0';
			return (int)next;
		}
		if (field_line(buf + at, end - at, &f, req) < 0)
			return HTTP_ERROR;
	}
	return len >= max ? fail(req, 431, "head too large") : HTTP_NEED_MORE;
}

int http_range_resolve(const struct http_range *r, uint64_t size, uint64_t *off, uint64_t *len)
{
	if (r->kind == HTTP_RANGE_NONE || r->kind == HTTP_RANGE_MANY)
		return 200;
	if (size == 0)
		return 416;
	if (r->kind == HTTP_RANGE_SUFFIX) {
		if (r->suffix == 0)
			return 416;
		*len = r->suffix < size ? r->suffix : size;
		*off = size - *len;
		return 206;
	}
	if (r->first >= size)
		return 416;
	uint64_t last = r->last < size - 1 ? r->last : size - 1;
	*off = r->first;
	*len = last - r->first + 1;
	return 206;
}

/* RFC 9110 8.8.3: the next entity-tag of s[0..n) from *at: its opaque-tag (quotes
 * included) in *op, *opn; *weak for W/. Returns -1 when s is not an entity-tag there. */
static int entity_tag(const char *s, size_t n, size_t *at, const char **op, size_t *opn,
		      bool *weak)
{
	size_t i = *at;
	*weak = n - i >= 2 && s[i] == 'W' && s[i + 1] == '/';
	if (*weak)
		i += 2;
	if (i == n || s[i] != '"')
		return -1;
	size_t start = i++;
	for (; i < n && s[i] != '"'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c == 0x7f)
			return -1;
	}
	if (i == n)
		return -1;
	*op = s + start;
	*opn = i + 1 - start;
	*at = i + 1;
	return 0;
}

/* Our own tag, parsed: -1 when it is not one entity-tag. */
static int own_tag(const char *etag, const char **op, size_t *opn, bool *weak)
{
	size_t at = 0, n = strlen(etag);
	return entity_tag(etag, n, &at, op, opn, weak) < 0 || at != n ? -1 : 0;
}

bool http_etag_list_matches(const char *list, const char *etag)
{
	const char *mine, *s = list;
	size_t minen, n = strlen(list);
	bool weak;
	trim(&s, &n);
	if (own_tag(etag, &mine, &minen, &weak) < 0)
		return false;
	if (n == 1 && s[0] == '*')
		return true;
	bool match = false;
	for (size_t at = 0; at < n;) {
		while (at < n && (is_ows(s[at]) || s[at] == ','))
			at++; /* RFC 9110 5.6.1: empty list elements are allowed */
		if (at == n)
			break;
		const char *op;
		size_t opn;
		if (entity_tag(s, n, &at, &op, &opn, &weak) < 0)
			return false;
		match |= opn == minen && !memcmp(op, mine, opn);
		while (at < n && is_ows(s[at]))
			at++;
		if (at < n && s[at] != ',')
			return false;
	}
	return match;
}

bool http_if_range_holds(const char *value, const char *etag)
{
	const char *s = value, *op, *mine;
	size_t n = strlen(value), at = 0, opn, minen;
	bool weak, mine_weak;
	trim(&s, &n);
	return n && (s[0] == '"' || (n >= 2 && s[0] == 'W' && s[1] == '/')) &&
	       entity_tag(s, n, &at, &op, &opn, &weak) == 0 && at == n && !weak &&
	       own_tag(etag, &mine, &minen, &mine_weak) == 0 && !mine_weak && opn == minen && !memcmp(op, mine, opn);
}

static const char DAY[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const LONG_DAY[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					"Thursday", "Friday", "Saturday"};
static const char MONTH[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The latest time the four-digit year of an IMF-fixdate can say. */
#define DATE_T_MAX ((time_t)253402300799) /* 9999-12-31 23:59:59 */

/* v as n decimal digits at p, zeros first. */
static void put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
}

void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
	t = t < 0 ? 0 : t > DATE_T_MAX ? DATE_T_MAX : t;
	int64_t days = t / 86400, secs = t % 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", HTTP_DATE_LEN + 1);
	memcpy(out, DAY[(days + 4) % 7], 3); /* 1970-01-01 was a Thursday */
	put_digits(out + 5, d, 2);
	memcpy(out + 8, MONTH[m - 1], 3);
	put_digits(out + 12, y, 4);
	put_digits(out + 17, (int)(secs / 3600), 2);
	put_digits(out + 20, (int)(secs / 60 % 60), 2);
	put_digits(out + 23, (int)(secs % 60), 2);
}

/* n decimal digits at s; -1 when they are not. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!memcmp(s, MONTH[i], 3))
			return i + 1;
	return -1;
}

/* The day name at the start of s[0..n) (short or long): the bytes it takes, or 0. */
static size_t day_name(const char *s, size_t n, bool long_form)
{
	for (int i = 0; i < 7; i++) {
		const char *w = long_form ? LONG_DAY[i] : DAY[i];
		size_t wn = strlen(w);
		if (n >= wn && !memcmp(s, w, wn))
			return wn;
	}
	return 0;
}

/* "HH:MM:SS" (RFC 9110 5.6.7 time-of-day; a leap second is 60), and the date it
 * belongs to, as a time. Returns 0 with *t, or -1. */
static int civil_time(int y, int m, int d, const char *hms, time_t *t)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int h = digits(hms, 2), mi = digits(hms + 3, 2), s = digits(hms + 6, 2);
	if (hms[2] != ':' || hms[5] != ':' || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
	    s > 60 || y < 0 || m < 1 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -1;
	*t = (time_t)(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s);
	return 0;
}

int http_date_parse(const char *s, size_t len, time_t *t)
{
	size_t k;
	if (len == 29 && day_name(s, len, false) && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || memcmp(s + 25, " GMT", 4))
			return -1;
		return civil_time(digits(s + 12, 4), month_of(s + 8), digits(s + 5, 2), s + 17, t);
	}
	if (len == 24 && day_name(s, len, false) && s[3] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
			return -1;
		int d = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
		return civil_time(digits(s + 20, 4), month_of(s + 4), d, s + 11, t);
	}
	if ((k = day_name(s, len, true)) && len == k + 24 && s[k] == ',') {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is read as
		 * 1970..2069, a fixed window so the same bytes always give the same time */
		const char *p = s + k + 1;
		if (p[0] != ' ' || p[3] != '-' || p[7] != '-' || p[10] != ' ' || memcmp(p + 19, " GMT", 4))
			return -1;
		int yy = digits(p + 8, 2);
		return civil_time(yy < 0 ? -1 : yy < 70 ? 2000 + yy : 1900 + yy, month_of(p + 4),
				  digits(p + 1, 2), p + 11, t);
	}
	return -1;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

bool http_put(char *out, size_t cap, size_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = *at < cap ? vsnprintf(out + *at, cap - *at, fmt, ap) : -1;
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *at)
		return false;
	*at += (size_t)n;
	return true;
}

/* A field value we were given must not end the line early. */
static bool one_line(const char *s) { return !s || !strpbrk(s, "\r\n"); }

size_t http_head_format(const struct http_head *h, char *out, size_t cap)
{
	char date[HTTP_DATE_LEN + 1], lm[HTTP_DATE_LEN + 1];
	size_t at = 0;
	bool ok = one_line(h->etag) && one_line(h->allow);
	http_date_format(h->date, date);
	ok = ok && h->minor >= 0 && h->minor <= 1 &&
	     http_put(out, cap, &at, "HTTP/1.%d %d %s\r\nDate: %s\r\nServer: zcp/%s\r\n", h->minor,
		 h->status, http_reason(h->status), date, ZCP_RELEASE);
	if (h->status == 200 || h->status == 206)
		ok = ok && http_put(out, cap, &at, "Content-Type: application/octet-stream\r\n");
	ok = ok && http_put(out, cap, &at, "Content-Length: %llu\r\n", (unsigned long long)h->length);
	if (h->has_range)
		ok = ok && http_put(out, cap, &at, "Content-Range: bytes %llu-%llu/%llu\r\n",
			       (unsigned long long)h->first, (unsigned long long)h->last,
			       (unsigned long long)h->size);
	else if (h->status == 416)
		ok = ok && http_put(out, cap, &at, "Content-Range: bytes */%llu\r\n", (unsigned long long)h->size);
	if (h->accept_ranges)
		ok = ok && http_put(out, cap, &at, "Accept-Ranges: bytes\r\n");
	if (h->etag)
		ok = ok && http_put(out, cap, &at, "ETag: %s\r\n", h->etag);
	if (h->last_modified) {
		http_date_format(h->last_modified, lm);
		ok = ok && http_put(out, cap, &at, "Last-Modified: %s\r\n", lm);
	}
	if (h->retry_after > 0)
		ok = ok && http_put(out, cap, &at, "Retry-After: %d\r\n", h->retry_after);
	if (h->allow)
		ok = ok && http_put(out, cap, &at, "Allow: %s\r\n", h->allow);
	if (h->close)
		ok = ok && http_put(out, cap, &at, "Connection: close\r\n");
	else if (h->minor == 0)
		ok = ok && http_put(out, cap, &at, "Connection: keep-alive\r\n");
	ok = ok && http_put(out, cap, &at, "\r\n");
	return ok ? at : 0;
}
