/* httpc - see httpc.h. Every parser walks its input once, by index, never past the
 * length it was given; none keeps anything between calls but what the caller holds. */
#include "httpc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* RFC 3986 2.3 unreserved. */
static bool is_unreserved(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A control byte (RFC 5234 CTL) other than HTAB. */
static bool is_ctl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

static int hexval(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Does s[0..n) equal the lower-case lit, case-insensitively. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	size_t i = 0;
	for (; i < n && lit[i]; i++)
		if (lower(s[i]) != lit[i])
			return false;
	return i == n && !lit[i];
}

/* Decimal digits s[0..n) (at least one) up to max. Returns 0 with *v, or -1. */
static int decimal(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]) || x > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* ---- URLs (SPEC F-1..F-3) ---- */

/* What a request target holds as it is (RFC 3986 pchar, '/' and '?'); '%' only
 * when an escape begins there. Everything else is percent-encoded. */
static bool target_keeps(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	if (c == '%')
		return i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		       hexval((unsigned char)s[i + 2]) >= 0;
	return is_unreserved(c) || (c && strchr("!$&'()*+,;=:@/?", c));
}

/* Appends s[0..n) to out[*at..cap), percent-encoding what a target may not hold.
 * Returns false once it does not fit (out then holds a prefix). */
static bool encode(const char *s, size_t n, char *out, size_t cap, size_t *at)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = target_keeps(s, n, i) ? 1 : 3;
		if (cap - *at < need)
			return false;
		if (need == 1) {
			out[(*at)++] = (char)c;
		} else {
			out[(*at)++] = '%';
			out[(*at)++] = hex[c >> 4];
			out[(*at)++] = hex[c & 15];
		}
	}
	return true;
}

/* RFC 3986 5.2.4 on the absolute path p[0..n) (empty or starting with '/'), into out
 * (at least n + 1 bytes). Returns the length of the result, "/" at least. */
static size_t remove_dots(const char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && p[j] != '/'; j++)
			;
		size_t sl = j - i - 1;
		bool dot = sl == 1 && p[i + 1] == '.', dotdot = sl == 2 && p[i + 1] == '.' && p[i + 2] == '.';
		if (dotdot) /* drop the last segment of out and the '/' before it */
			while (o > 0 && out[--o] != '/')
				;
		if (dot || dotdot) {
			if (j == n) /* "/." or "/.." at the end leaves a '/' */
				out[o++] = '/';
			continue;
		}
		memcpy(out + o, p + i, j - i);
		o += j - i;
	}
	if (o == 0)
		out[o++] = '/';
	return o;
}

/* The default output name from the target's last path segment (SPEC F-2). */
static void url_name(struct httpc_url *u)
{
	const char *t = u->target, *q = strchr(t, '?');
	size_t end = q ? (size_t)(q - t) : strlen(t), i = end, n = 0;
	while (i > 0 && t[i - 1] != '/')
		i--;
	u->name[0] = 0;
	u->name_why = NULL;
	for (; i < end; i++, n++) {
		char c = t[i];
		if (c == '%') { /* the target holds only whole escapes */
			c = (char)(hexval((unsigned char)t[i + 1]) * 16 + hexval((unsigned char)t[i + 2]));
			i += 2;
		}
		if (c == '/' || c == 0) {
			u->name_why = "the URL's file name holds '/' or NUL";
			break;
		}
		if (n == ZCP_NAME_MAX) {
			u->name_why = "the URL's file name is longer than 255 bytes";
			break;
		}
		u->name[n] = c;
	}
	if (!u->name_why) {
		u->name[n] = 0;
		if (n == 0 || !strcmp(u->name, ".") || !strcmp(u->name, ".."))
			u->name_why = "no file name at the end of the URL's path";
	}
	if (u->name_why)
		u->name[0] = 0;
}

/* The authority a[0..n) ("host[:port]", "[v6%25zone][:port]") into u. */
static int authority(const char *a, size_t n, struct httpc_url *u, const char **why)
{
	size_t h = 0, hn; /* the host is a[h..h+hn) */
	const char *port = NULL;
	if (memchr(a, '@', n)) {
		*why = "userinfo (user@) in the URL";
		return -1;
	}
	u->ipv6 = n > 0 && a[0] == '[';
	if (u->ipv6) {
		const char *close = memchr(a, ']', n);
		if (!close || (close + 1 < a + n && close[1] != ':')) {
			*why = "bad host in the URL";
			return -1;
		}
		h = 1;
		hn = (size_t)(close - a) - 1;
		port = close + 1 < a + n ? close + 1 : NULL;
	} else {
		const char *colon = memchr(a, ':', n);
		hn = colon ? (size_t)(colon - a) : n;
		port = colon;
	}
	const char *z = u->ipv6 ? memmem(a + h, hn, "%25", 3) : NULL; /* RFC 6874 zone */
	size_t an = z ? (size_t)(z - a) - h : hn, zn = z ? hn - an - 3 : 0;
	if (hn == 0 || an + (z ? 1 + zn : 0) > HTTPC_HOST_MAX) {
		*why = hn ? "host in the URL longer than 255 bytes" : "no host in the URL";
		return -1;
	}
	for (size_t i = 0; i < an; i++)
		u->host[i] = lower(a[h + i]);
	u->host[an] = 0;
	bool ok = z ? zn > 0 : true;
	if (u->ipv6) {
		struct in6_addr ip;
		ok = ok && inet_pton(AF_INET6, u->host, &ip) == 1;
	}
	for (size_t i = 0; i < an && !u->ipv6; i++) /* a name: RFC 3986 reg-name, no escapes */
		ok = ok && is_unreserved((unsigned char)u->host[i]);
	for (size_t i = 0; i < zn; i++)
		ok = ok && is_unreserved((unsigned char)z[3 + i]);
	if (!ok) {
		*why = "bad host in the URL";
		return -1;
	}
	if (z) {
		u->host[an] = '%';
		memcpy(u->host + an + 1, z + 3, zn);
		u->host[an + 1 + zn] = 0;
	}
	u->port = u->scheme == HTTPC_HTTPS ? 443 : 80;
	size_t pn = port ? (size_t)(a + n - port) - 1 : 0;
	uint64_t v;
	if (pn > 0) {
		if (decimal(port + 1, pn, 65535, &v) < 0 || v == 0) {
			*why = "port in the URL outside 1..65535";
			return -1;
		}
		u->port = (uint16_t)v;
	}
	return 0;
}

int httpc_url_parse(const char *s, size_t len, const struct httpc_url *base, struct httpc_url *out,
		    const char **why)
{
	struct httpc_url u;
	char path[2 * HTTPC_TARGET_MAX + 2], clean[2 * HTTPC_TARGET_MAX + 3];
	size_t pn = 0, i = 0;
	memset(&u, 0, sizeof u);
	for (size_t k = 0; k < len; k++) {
		if (is_ctl((unsigned char)s[k]) || s[k] == '\t') {
			*why = "a control byte in the URL";
			return -1;
		}
	}
	const char *hash = memchr(s, '#', len);
	if (hash)
		len = (size_t)(hash - s);
	/* RFC 3986 3.1: a scheme is a letter, then letters, digits, '+', '-', '.' */
	size_t sn = 0;
	if (len && is_alpha((unsigned char)s[0]))
		for (sn = 1; sn < len && (is_alpha((unsigned char)s[sn]) || is_digit((unsigned char)s[sn]) ||
					  (s[sn] && strchr("+-.", s[sn])));
		     sn++)
			;
	bool has_scheme = sn > 0 && sn < len && s[sn] == ':';
	bool net_path = len - (has_scheme ? sn + 1 : 0) >= 2 && s[has_scheme ? sn + 1 : 0] == '/' &&
			s[has_scheme ? sn + 2 : 1] == '/';
	if (has_scheme) {
		if (!ieq(s, sn, "http") && !ieq(s, sn, "https")) {
			*why = "a scheme other than http:// or https://";
			return -1;
		}
		u.scheme = sn == 5 ? HTTPC_HTTPS : HTTPC_HTTP;
		if (!net_path) {
			*why = "no host in the URL";
			return -1;
		}
		i = sn + 1;
	} else if (!base) {
		*why = "no scheme: not an http:// or https:// URL";
		return -1;
	} else {
		u.scheme = base->scheme;
	}
	if (has_scheme || net_path) {
		size_t a = i + 2, e = a;
		while (e < len && s[e] != '/' && s[e] != '?')
			e++;
		if (authority(s + a, e - a, &u, why) < 0)
			return -1;
		i = e;
	} else { /* a path reference: the base's authority, its path merged (5.2.2) */
		memcpy(u.host, base->host, sizeof u.host);
		u.ipv6 = base->ipv6;
		u.port = base->port;
		const char *bq = strchr(base->target, '?');
		size_t bpath = bq ? (size_t)(bq - base->target) : strlen(base->target);
		if (len == 0 || s[0] == '?') { /* the base's path, its query unless s has one */
			memcpy(path, base->target, len ? bpath : strlen(base->target));
			pn = len ? bpath : strlen(base->target);
		} else if (s[0] != '/') {
			while (bpath > 0 && base->target[bpath - 1] != '/')
				bpath--;
			memcpy(path, base->target, bpath);
			pn = bpath;
		}
	}
	if (len - i > HTTPC_TARGET_MAX) {
		*why = "URL path too long";
		return -1;
	}
	memcpy(path + pn, s + i, len - i);
	pn += len - i;
	const char *q = memchr(path, '?', pn);
	size_t plen = q ? (size_t)(q - path) : pn, cn = remove_dots(path, plen, clean);
	memcpy(clean + cn, path + plen, pn - plen);
	cn += pn - plen;
	size_t at = 0;
	if (!encode(clean, cn, u.target, HTTPC_TARGET_MAX, &at)) {
		*why = "URL path too long";
		return -1;
	}
	u.target[at] = 0;
	url_name(&u);
	*out = u;
	return 0;
}

/* The port as the URL or Host field says it: "" for the scheme's default. */
static void port_suffix(const struct httpc_url *u, char buf[8])
{
	buf[0] = 0;
	if (u->port != (u->scheme == HTTPC_HTTPS ? 443 : 80))
		snprintf(buf, 8, ":%u", (unsigned)u->port);
}

/* Any URL parsed formats within HTTPC_URL_MAX: "https://[", the host (its zone's '%'
 * written "%25"), "]:65535", the target. */
_Static_assert(HTTPC_URL_MAX >= sizeof "https://[%25]:65535" + HTTPC_HOST_MAX + HTTPC_TARGET_MAX,
	       "HTTPC_URL_MAX holds any URL formatted");

size_t httpc_url_format(const struct httpc_url *u, char *out, size_t cap)
{
	char port[8];
	const char *zone = u->ipv6 ? strchr(u->host, '%') : NULL;
	int hn = zone ? (int)(zone - u->host) : (int)strlen(u->host);
	size_t at = 0;
	port_suffix(u, port);
	bool ok = http_put(out, cap, &at, "%s://%s%.*s%s%s%s%s", u->scheme == HTTPC_HTTPS ? "https" : "http",
		      u->ipv6 ? "[" : "", hn, u->host, zone ? "%25" : "", zone ? zone + 1 : "",
		      u->ipv6 ? "]" : "", port) &&
		  http_put(out, cap, &at, "%s", u->target);
	return ok ? at : 0;
}

/* ---- the request (SPEC F-4) ---- */

/* A value we were given may stand in a field: no control byte ends the line. */
static bool field_value(const char *s)
{
	for (; s && *s; s++)
		if (is_ctl((unsigned char)*s))
			return false;
	return true;
}

size_t httpc_request_format(const struct httpc_request *r, char *out, size_t cap)
{
	const struct httpc_url *u = r->url;
	char target[HTTPC_TARGET_MAX + 1], port[8];
	size_t at = 0;
	if (!encode(u->target, strlen(u->target), target, HTTPC_TARGET_MAX, &at) || !field_value(r->if_range) ||
	    !field_value(r->if_match) || !field_value(r->if_unmodified_since))
		return 0;
	target[at] = 0;
	if (r->range && (r->first > r->last || r->first > INT64_MAX ||
			 (r->last != HTTPC_RANGE_OPEN && r->last > INT64_MAX)))
		return 0;
	const char *zone = u->ipv6 ? strchr(u->host, '%') : NULL; /* a zone stays on this host */
	int hn = zone ? (int)(zone - u->host) : (int)strlen(u->host);
	port_suffix(u, port);
	at = 0;
	bool ok = http_put(out, cap, &at, "%s %s HTTP/1.1\r\nHost: %s%.*s%s%s\r\n", r->head ? "HEAD" : "GET",
		      target, u->ipv6 ? "[" : "", hn, u->host, u->ipv6 ? "]" : "", port) &&
		  http_put(out, cap, &at, "User-Agent: zcp/%s\r\nAccept-Encoding: identity\r\n", ZCP_RELEASE);
	if (ok && r->range && r->last == HTTPC_RANGE_OPEN)
		ok = http_put(out, cap, &at, "Range: bytes=%llu-\r\n", (unsigned long long)r->first);
	else if (ok && r->range)
		ok = http_put(out, cap, &at, "Range: bytes=%llu-%llu\r\n", (unsigned long long)r->first,
			 (unsigned long long)r->last);
	if (ok && r->if_range)
		ok = http_put(out, cap, &at, "If-Range: %s\r\n", r->if_range);
	if (ok && r->if_match)
		ok = http_put(out, cap, &at, "If-Match: %s\r\n", r->if_match);
	if (ok && r->if_unmodified_since)
		ok = http_put(out, cap, &at, "If-Unmodified-Since: %s\r\n", r->if_unmodified_since);
	ok = ok && http_put(out, cap, &at, "Connection: keep-alive\r\n\r\n");
	return ok ? at : 0;
}

/* n decimal digits at s, or -1. */
static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* ---- the response head (SPEC F-5..F-9) ---- */

/* The elements of a comma-separated list (RFC 9110 5.6.1), one at a time: the next
 * element of v[*at..n) without its white space, in *e and *en. False at the end. */
static bool next_elem(const char *v, size_t n, size_t *at, const char **e, size_t *en)
{
	if (*at > n)
		return false;
	size_t i = *at, j = i;
	while (j < n && v[j] != ',')
		j++;
	*at = j + 1;
	while (i < j && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (j > i && (v[j - 1] == ' ' || v[j - 1] == '\t'))
		j--;
	*e = v + i;
	*en = j - i;
	return true;
}

/* Does the list v[0..n) hold the token lit (lower case). */
static bool list_has(const char *v, size_t n, const char *lit)
{
	const char *e;
	size_t en, at = 0;
	while (next_elem(v, n, &at, &e, &en))
		if (ieq(e, en, lit))
			return true;
	return false;
}

/* Content-Length: one value or a list of equal ones, digits only. */
static int content_length(const char *v, size_t n, struct httpc_response *r)
{
	const char *e;
	size_t en, at = 0;
	uint64_t x;
	while (next_elem(v, n, &at, &e, &en)) {
		if (decimal(e, en, INT64_MAX, &x) < 0 || (r->has_length && x != r->length))
			return -1;
		r->has_length = true;
		r->length = x;
	}
	return 0;
}

/* Transfer-Encoding: exactly one "chunked" in all its lines. */
static int transfer_encoding(const char *v, size_t n, struct httpc_response *r)
{
	const char *e;
	size_t en, at = 0;
	while (next_elem(v, n, &at, &e, &en)) {
		if (!ieq(e, en, "chunked") || r->chunked)
			return -1;
		r->chunked = true;
	}
	return r->chunked ? 0 : -1;
}

/* Content-Range (RFC 9110 14.4), checked; two must agree. */
static int content_range(const char *v, size_t n, struct httpc_response *r)
{
	struct httpc_response c = {.crange = HTTPC_CRANGE_BYTES};
	if (n < 7 || !ieq(v, 5, "bytes") || v[5] != ' ')
		return -1;
	const char *p = v + 6, *slash = memchr(p, '/', n - 6), *dash;
	if (!slash)
		return -1;
	size_t pn = (size_t)(slash - p), sn = n - 7 - pn;
	if (sn == 1 && slash[1] == '*')
		c.size = HTTPC_SIZE_UNKNOWN;
	else if (decimal(slash + 1, sn, INT64_MAX, &c.size) < 0)
		return -1;
	if (pn == 1 && p[0] == '*') {
		if (c.size == HTTPC_SIZE_UNKNOWN)
			return -1;
		c.crange = HTTPC_CRANGE_UNSAT;
	} else if (!(dash = memchr(p, '-', pn)) || decimal(p, (size_t)(dash - p), INT64_MAX, &c.first) < 0 ||
		   decimal(dash + 1, (size_t)(slash - dash) - 1, INT64_MAX, &c.last) < 0 || c.first > c.last ||
		   (c.size != HTTPC_SIZE_UNKNOWN && c.last >= c.size)) {
		return -1;
	}
	if (r->crange != HTTPC_CRANGE_NONE &&
	    (r->crange != c.crange || r->first != c.first || r->last != c.last || r->size != c.size))
		return -1;
	r->crange = c.crange;
	r->first = c.first;
	r->last = c.last;
	r->size = c.size;
	return 0;
}

/* An entity tag (RFC 9110 8.8.3): [W/] DQUOTE *etagc DQUOTE. */
static bool etag_ok(const char *v, size_t n)
{
	size_t i = n >= 2 && v[0] == 'W' && v[1] == '/' ? 2 : 0;
	if (n - i < 2 || v[i] != '"' || v[n - 1] != '"' || n >= HTTP_VALUE_MAX)
		return false;
	for (i++; i < n - 1; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Base64 (RFC 4648, '=' padding optional) of v[0..n) into out; false when it is not
 * base64 or not exactly HTTPC_DIGEST_SIZE bytes. */
static bool base64_digest(const char *v, size_t n, uint8_t out[HTTPC_DIGEST_SIZE])
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t bits = 0, o = 0, pad = 0;
	while (pad < n && v[n - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (pad && n % 4))
		return false;
	for (size_t i = 0; i < n - pad; i++) {
		const char *p = v[i] ? strchr(abc, v[i]) : NULL;
		if (!p)
			return false;
		acc = acc << 6 | (uint32_t)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == HTTPC_DIGEST_SIZE)
				return false;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == HTTPC_DIGEST_SIZE;
}

/* One field line of a digest field (RFC 9530, a Dictionary of RFC 8941 3.2), loosely:
 * members KEY[=ITEM] with ;parameters, separated by commas. A sha-256 member sets
 * *have (the last one wins) and out. Returns false when the line does not parse. */
static bool digest_line(const char *v, size_t n, bool *have, uint8_t out[HTTPC_DIGEST_SIZE])
{
	size_t i = 0;
	if (n == 0)
		return true;
	for (;;) {
		bool param = false;
		for (;;) { /* a key, "=" and an item, then each ";key[=item]" */
			size_t k = i;
			if (i >= n || !((v[i] >= 'a' && v[i] <= 'z') || v[i] == '*'))
				return false;
			while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || is_digit((unsigned char)v[i]) ||
					 (v[i] && strchr("_-.*", v[i]))))
				i++;
			bool sha = !param && ieq(v + k, i - k, "sha-256");
			if (i < n && v[i] == '=') {
				size_t s = ++i;
				if (i < n && (v[i] == ':' || v[i] == '"')) { /* a byte sequence or a string */
					char end = v[i];
					for (i++; i < n && v[i] != end; i++)
						i += v[i] == '\\' && end == '"';
					if (i >= n)
						return false;
					i++;
				} else {
					while (i < n && (is_tchar((unsigned char)v[i]) || v[i] == ':' || v[i] == '/' || v[i] == '?'))
						i++;
					if (i == s)
						return false;
				}
				if (sha)
					*have = v[s] == ':' && base64_digest(v + s + 1, i - s - 2, out);
			} else if (sha) {
				*have = false;
			}
			if (i >= n || v[i] != ';')
				break;
			for (i++; i < n && v[i] == ' '; i++)
				;
			param = true;
		}
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == n)
			return true;
		if (v[i] != ',')
			return false;
		for (i++; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
			;
	}
}

/* What a head's fields leave to decide once they are all in. */
struct seen {
	bool te, close, keep_alive, etag_conflict, lm_conflict, repr_bad, content_bad, repr_conflict;
};

/* One field line, name[0..nn) and value v[0..n) (trimmed). Returns 0, or -1 with why. */
static int field(const char *name, size_t nn, const char *v, size_t n, struct httpc_response *r,
		 struct seen *s)
{
	if (ieq(name, nn, "content-length")) {
		if (content_length(v, n, r) < 0)
			return r->why = "bad or differing Content-Length", -1;
	} else if (ieq(name, nn, "transfer-encoding")) {
		s->te = true;
		if (transfer_encoding(v, n, r) < 0)
			return r->why = "a Transfer-Encoding other than chunked", -1;
	} else if (ieq(name, nn, "content-range")) {
		if (content_range(v, n, r) < 0)
			return r->why = "bad or differing Content-Range", -1;
	} else if (ieq(name, nn, "location")) {
		if (n > HTTPC_URL_MAX || (r->location[0] && (strlen(r->location) != n || memcmp(r->location, v, n))))
			return r->why = "a Location too long, or two that differ", -1;
		memcpy(r->location, v, n);
		r->location[n] = 0;
	} else if (ieq(name, nn, "etag")) {
		if (etag_ok(v, n)) {
			s->etag_conflict |= r->etag[0] && (strlen(r->etag) != n || memcmp(r->etag, v, n));
			memcpy(r->etag, v, n);
			r->etag[n] = 0;
		}
	} else if (ieq(name, nn, "last-modified")) {
		time_t t;
		if (http_date_parse(v, n, &t) == 0) {
			s->lm_conflict |= r->has_last_modified && t != r->last_modified;
			r->has_last_modified = true;
			r->last_modified = t;
		}
	} else if (ieq(name, nn, "accept-ranges")) {
		if (list_has(v, n, "bytes"))
			r->accept_ranges = HTTPC_AR_BYTES;
		else if (list_has(v, n, "none") && r->accept_ranges != HTTPC_AR_BYTES)
			r->accept_ranges = HTTPC_AR_NONE;
	} else if (ieq(name, nn, "content-encoding")) {
		const char *e;
		size_t en, at = 0;
		while (next_elem(v, n, &at, &e, &en))
			r->encoded |= en > 0 && !ieq(e, en, "identity");
	} else if (ieq(name, nn, "connection")) {
		s->close |= list_has(v, n, "close");
		s->keep_alive |= list_has(v, n, "keep-alive");
	} else if (ieq(name, nn, "repr-digest")) {
		s->repr_bad |= !digest_line(v, n, &r->has_repr_digest, r->repr_digest);
		s->repr_conflict |= n >= sizeof r->repr_field ||
				    (r->repr_seen && (strlen(r->repr_field) != n || memcmp(r->repr_field, v, n)));
		r->repr_seen = true;
		if (n < sizeof r->repr_field) {
			memcpy(r->repr_field, v, n);
			r->repr_field[n] = 0;
		}
	} else if (ieq(name, nn, "content-digest")) {
		s->content_bad |= !digest_line(v, n, &r->has_content_digest, r->content_digest);
	} else if (ieq(name, nn, "retry-after")) {
		r->has_retry_after = decimal(v, n, INT64_MAX, &r->retry_after_s) == 0;
		r->retry_after_is_date = !r->has_retry_after && http_date_parse(v, n, &r->retry_after_date) == 0;
		r->has_retry_after |= r->retry_after_is_date;
	}
	return 0;
}

/* The status line l[0..n): "HTTP/1.x NNN[ reason]". */
static int status_line(const char *l, size_t n, struct httpc_response *r)
{
	if (n < 12 || memcmp(l, "HTTP/", 5) || !is_digit((unsigned char)l[5]) || l[6] != '.' ||
	    !is_digit((unsigned char)l[7]) || l[8] != ' ')
		return r->why = "a malformed status line", -1;
	if (l[5] != '1')
		return r->why = "an HTTP version other than 1.x", -1;
	r->minor = l[7] - '0';
	int st = num(l + 9, 3);
	if (st < 100 || st > 599 || (n > 12 && l[12] != ' '))
		return r->why = "a bad status code", -1;
	r->status = st;
	for (size_t i = 13; i < n; i++)
		if (is_ctl((unsigned char)l[i]))
			return r->why = "a control byte in the status line", -1;
	return 0;
}

int httpc_parse_response(const char *buf, size_t len, size_t max, struct httpc_response *r)
{
	struct seen s = {0};
	size_t lim = len < max ? len : max, at = 0;
	memset(r, 0, sizeof *r);
	for (bool first = true;; first = false) {
		/* the next line: buf[at..e), its end (CRLF or LF) before next */
		size_t e = at;
		while (e < lim && buf[e] != '\n' && buf[e] != '\r')
			e++;
		if (e < lim && buf[e] == '\r' && e + 1 < lim && buf[e + 1] != '\n')
			return r->why = "a bare CR", HTTPC_ERROR;
		size_t next = e + (e < lim && buf[e] == '\r') + 1;
		if (next > lim) {
			if (len < max)
				return HTTPC_NEED_MORE;
			return r->why = "a response head too large", HTTPC_ERROR;
		}
		const char *l = buf + at;
		size_t n = e - at;
		at = next;
		if (first) {
			if (status_line(l, n, r) < 0)
				return HTTPC_ERROR;
			continue;
		}
		if (n == 0)
			break;
		if (l[0] == ' ' || l[0] == '\t')
			return r->why = "an obs-fold line", HTTPC_ERROR;
		size_t nn = 0;
		while (nn < n && is_tchar((unsigned char)l[nn]))
			nn++;
		if (nn < n && (l[nn] == ' ' || l[nn] == '\t'))
			return r->why = "white space before a colon", HTTPC_ERROR;
		if (nn == 0 || nn == n || l[nn] != ':')
			return r->why = "a bad field name", HTTPC_ERROR;
		size_t vs = nn + 1, ve = n;
		while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
			vs++;
		while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
			ve--;
		for (size_t i = vs; i < ve; i++)
			if (is_ctl((unsigned char)l[i]))
				return r->why = "a control byte in a field value", HTTPC_ERROR;
		if (field(l, nn, l + vs, ve - vs, r, &s) < 0)
			return HTTPC_ERROR;
	}
	if (s.te && r->minor == 0)
		return r->why = "Transfer-Encoding in an HTTP/1.0 response", HTTPC_ERROR;
	if (s.te && r->has_length)
		return r->why = "both Transfer-Encoding and Content-Length", HTTPC_ERROR;
	r->close = s.close || (r->minor == 0 && !s.keep_alive);
	if (s.etag_conflict)
		r->etag[0] = 0;
	r->etag_weak = r->etag[0] == 'W';
	r->has_last_modified &= !s.lm_conflict;
	r->has_repr_digest &= !s.repr_bad;
	r->repr_kept = r->repr_seen && !s.repr_conflict;
	if (s.repr_conflict)
		memset(r->repr_field, 0, sizeof r->repr_field); /* the fuzz property compares all of r */
	r->has_content_digest &= !s.content_bad;
	return (int)at;
}

/* ---- the chunked body (SPEC F-10) ---- */

enum {
	CK_SIZE0,   /* the first hex digit of a size */
	CK_SIZE,    /* more digits */
	CK_EXT,     /* white space, then ';' and the extensions */
	CK_SIZE_LF, /* the LF after the size line's CR */
	CK_DATA,
	CK_DATA_CR, /* the CRLF after a chunk's data */
	CK_DATA_LF,
	CK_TLINE,   /* the start of a trailer line, or the empty line */
	CK_TNAME,
	CK_TVALUE,
	CK_TLF,     /* the LF after a trailer line's CR */
	CK_END_LF,  /* the LF of the empty line that ends the body */
	CK_DONE,
	CK_ERROR,
};

#define CK_DIGITS_MAX 64

/* The chunk state after byte c, or CK_ERROR with c->why. */
static int chunk_byte(struct httpc_chunk *k, unsigned char c)
{
	int h = hexval(c);
	switch (k->state) {
	case CK_SIZE0:
		if (h < 0)
			return k->why = "a bad chunk size", CK_ERROR;
		k->left = (uint64_t)h;
		k->count = 1;
		k->semicolon = false;
		return CK_SIZE;
	case CK_SIZE:
		if (h >= 0) {
			if (k->left > ((uint64_t)INT64_MAX - (uint64_t)h) / 16)
				return k->why = "a chunk size of 2^63 or more", CK_ERROR;
			if (++k->count > CK_DIGITS_MAX)
				return k->why = "a chunk size of too many digits", CK_ERROR;
			k->left = k->left * 16 + (uint64_t)h;
			return CK_SIZE;
		}
		k->count = 0;
		/* fall through - the digits ended */
	case CK_EXT:
		if (c == '\r')
			return CK_SIZE_LF;
		if (c == '\n')
			return k->why = "a missing CRLF (a bare LF) after a chunk size", CK_ERROR;
		if (!k->semicolon && c != ';' && c != ' ' && c != '\t')
			return k->why = "a bad chunk size", CK_ERROR;
		if (is_ctl(c))
			return k->why = "a control byte in a chunk extension", CK_ERROR;
		k->semicolon |= c == ';';
		if (++k->count > HTTPC_CHUNK_EXT_MAX)
			return k->why = "a chunk extension too long", CK_ERROR;
		return CK_EXT;
	case CK_SIZE_LF:
		if (c != '\n')
			return k->why = "a missing CRLF after a chunk size", CK_ERROR;
		k->count = 0;
		return k->left ? CK_DATA : CK_TLINE;
	case CK_DATA_CR:
	case CK_DATA_LF:
		if (c != (k->state == CK_DATA_CR ? '\r' : '\n'))
			return k->why = "a missing CRLF after chunk data", CK_ERROR;
		return k->state == CK_DATA_CR ? CK_DATA_LF : CK_SIZE0;
	case CK_TLINE:
		if (c == '\r')
			return CK_END_LF;
		if (c == '\n')
			return k->why = "a missing CRLF (a bare LF) in the trailers", CK_ERROR;
		if (!is_tchar(c))
			return k->why = "a malformed trailer line", CK_ERROR;
		return CK_TNAME;
	case CK_TNAME:
		if (c == ':')
			return CK_TVALUE;
		return is_tchar(c) ? CK_TNAME : (k->why = "a malformed trailer line", CK_ERROR);
	case CK_TVALUE:
		if (c == '\r')
			return CK_TLF;
		if (c == '\n')
			return k->why = "a missing CRLF (a bare LF) in the trailers", CK_ERROR;
		return is_ctl(c) ? (k->why = "a control byte in a trailer", CK_ERROR) : CK_TVALUE;
	case CK_TLF:
	case CK_END_LF:
		if (c != '\n')
			return k->why = "a missing CRLF in the trailers", CK_ERROR;
		return k->state == CK_TLF ? CK_TLINE : CK_DONE;
	}
	return k->why = "a chunk decoder in a bad state", CK_ERROR;
}

enum httpc_chunk_result httpc_chunk(struct httpc_chunk *c, const uint8_t *buf, size_t len,
				    size_t *used, size_t *data_off, size_t *data_len)
{
	size_t i = 0;
	*data_off = *data_len = 0;
	while (i < len && c->state != CK_DONE && c->state != CK_ERROR) {
		if (c->state == CK_DATA) {
			size_t n = len - i < c->left ? len - i : (size_t)c->left;
			*data_off = i;
			*data_len = n;
			c->left -= n;
			if (c->left == 0)
				c->state = CK_DATA_CR;
			i += n;
			break;
		}
		bool trailer = c->state >= CK_TLINE && c->state <= CK_TLF;
		c->state = chunk_byte(c, buf[i]);
		if (c->state == CK_ERROR)
			break;
		i++;
		if (trailer && c->state != CK_END_LF && ++c->count > HTTPC_TRAILER_MAX) {
			c->why = "a trailer section too long";
			c->state = CK_ERROR;
		}
	}
	*used = i;
	return c->state == CK_DONE ? HTTPC_CHUNK_DONE : c->state == CK_ERROR ? HTTPC_CHUNK_ERROR : HTTPC_CHUNK_MORE;
}
