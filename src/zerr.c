/* zerr - error values and their one-line text (SPEC E-2). */
#include "zerr.h"

#include <stdarg.h>
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

void zerr_format(const struct zerr *e, const char *prog, char *buf, size_t len)
{
	const char *sep = *e->call && *e->object ? " " : "";
	const char *colon = *e->call || *e->object ? ": " : "";
	snprintf(buf, len, "%s: %s%s%s%s%s", prog, e->call, sep, e->object, colon, e->reason);
}
