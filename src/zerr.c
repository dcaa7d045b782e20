/* zerr - error values and their one-line text (SPEC E-2, E-4). */
#include "zerr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int zerr_set(struct zerr *e, enum zcp_exit code, const char *call, const char *object,
	     const char *fmt, ...)
{
	va_list ap;
	e->code = code;
	e->call = call ? call : "";
	snprintf(e->object, sizeof e->object, "%s", object ? object : "");
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
	va_end(ap);
	return -1;
}

int zerr_sys(struct zerr *e, enum zcp_exit code, const char *call, const char *object, int err)
{
	return zerr_set(e, code, call, object, "%s", strerror(err));
}

/* Length of the valid UTF-8 sequence of a printable character at s (2..4), or 0.
 * Refuses overlong forms, surrogates, C1 controls and the code points that move
 * or break text on a terminal (line/paragraph separators, bidi controls). */
static size_t printable_utf8(const unsigned char *s)
{
	uint32_t cp;
	size_t n;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	bool bad = cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		   (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
		   (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
	return bad ? 0 : n;
}

size_t zerr_escape(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;
	while (*s) {
		size_t n = *s >= 0x20 && *s < 0x7f ? 1 : printable_utf8(s);
		char esc[5];
		const char *piece = (const char *)s;
		size_t len = n;
		if (n == 0) {
			snprintf(esc, sizeof esc, "\\x%02x", *s);
			piece = esc, len = 4, n = 1;
		}
		if (out + len >= cap)
			break;
		memcpy(dst + out, piece, len);
		out += len;
		s += n;
	}
	if (cap)
		dst[out] = '\0';
	return out;
}

void zerr_format(const struct zerr *e, const char *prog, char *buf, size_t len)
{
	const char *sep = *e->call && *e->object ? " " : "";
	const char *colon = *e->call || *e->object ? ": " : "";
	int n = snprintf(buf, len, "%s: %s%s", prog, e->call, sep);
	if (n < 0 || (size_t)n >= len)
		return;
	size_t at = (size_t)n;
	at += zerr_escape(buf + at, len - at, e->object);
	n = snprintf(buf + at, len - at, "%s", colon);
	if (n < 0 || (size_t)n >= len - at)
		return;
	at += (size_t)n;
	zerr_escape(buf + at, len - at, e->reason);
}
