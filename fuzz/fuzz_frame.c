/* fuzz_frame.c - one frame parser against arbitrary bytes; built once per frame
 * type with -DFRAME_REQUEST, -DFRAME_RESPONSE or -DFRAME_ACK (SPEC W-5..W-13).
 * Properties: an accepted frame re-encodes to the same bytes, uses no byte past the
 * input (the input is copied to an exact-size heap block, so ASan sees an over-read)
 * and satisfies every limit of SPEC.md; a refusal is a known code. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

/* Macros, not the enum: the preprocessor cannot see enum constants. */
#if defined(FRAME_REQUEST)
#define FRAME WIRE_REQUEST
#elif defined(FRAME_RESPONSE)
#define FRAME WIRE_RESPONSE
#elif defined(FRAME_ACK)
#define FRAME WIRE_ACK
#else
#error "build with -DFRAME_REQUEST, -DFRAME_RESPONSE or -DFRAME_ACK"
#endif

#if !defined(FRAME_ACK)
/* SPEC W-8, written again independently of wire.c: a relative path of components
 * that are non-empty, not "." or "..", at most 255 bytes; 1024 bytes in all. */
static int name_ok(const char *name, size_t len, int required)
{
	if (len > ZCP_PATH_MAX || strlen(name) != len || (required && len == 0))
		return 0;
	char copy[ZCP_PATH_MAX + 2];
	snprintf(copy, sizeof copy, "%s/", name); /* every component ends in '/' */
	for (char *c = copy, *end; len && *c; c = end + 1) {
		end = strchr(c, '/');
		size_t n = (size_t)(end - c);
		if (n == 0 || n > ZCP_NAME_MAX || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
	}
	return 1;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1), out[WIRE_FRAME_MAX];
	memcpy(buf, data, size);
	ssize_t n, m = 0;
#if defined(FRAME_REQUEST)
	struct wire_request f;
	n = wire_parse_request(buf, size, &f);
	if (n > 0) {
		FUZZ_ASSERT((f.flags & ~WIRE_FLAGS_ALL) == 0); /* SPEC W-2 W-7 */
		FUZZ_ASSERT(f.offset <= WIRE_OFF_MAX && f.length <= WIRE_OFF_MAX - f.offset);
		FUZZ_ASSERT(name_ok(f.name, f.name_len, 0));
		m = wire_encode_request(&f, out, sizeof out);
	}
#elif defined(FRAME_RESPONSE)
	struct wire_response f;
	n = wire_parse_response(buf, size, &f);
	if (n > 0) {
		FUZZ_ASSERT(f.status <= WIRE_TLS_REQUIRED);
		FUZZ_ASSERT(f.file_size <= WIRE_OFF_MAX && f.offset <= f.file_size);
		FUZZ_ASSERT(f.length <= f.file_size - f.offset);
		FUZZ_ASSERT(f.status == WIRE_OK || f.length == 0);
		FUZZ_ASSERT(name_ok(f.name, f.name_len, f.status == WIRE_OK));
		m = wire_encode_response(&f, out, sizeof out);
	}
#else
	struct wire_ack f;
	n = wire_parse_ack(buf, size, &f);
	if (n > 0) {
		FUZZ_ASSERT(f.status <= WIRE_ACK_PROTOCOL && f.received <= WIRE_OFF_MAX);
		m = wire_encode_ack(&f, out, sizeof out);
	}
#endif
	if (n > 0) {
		FUZZ_ASSERT((size_t)n <= size);
		FUZZ_ASSERT((size_t)n == wire_frame_size(FRAME, buf, size));
		FUZZ_ASSERT(m == n && memcmp(out, buf, (size_t)n) == 0);
	} else if (n == WIRE_NEED_MORE) {
		FUZZ_ASSERT(wire_frame_size(FRAME, buf, size) > size);
	} else {
		FUZZ_ASSERT(n >= WIRE_E_RANGE && n <= WIRE_E_MAGIC);
		FUZZ_ASSERT(strcmp(wire_strerror((int)n), "unknown frame error") != 0);
	}
	free(buf);
	return 0;
}
