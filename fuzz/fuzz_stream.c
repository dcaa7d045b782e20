/* fuzz_stream.c - the incremental parser fed in arbitrary splits (SPEC W-12).
 * Input: byte 0 picks the frame type, byte 1 the number of splits (0..7), then one
 * byte per split giving how many more bytes arrive; the rest is the stream. Feeding
 * it chunk by chunk, as frameio does, must give the result of feeding it whole: need
 * more until then, and the reader's wanted size never shrinks below what it has. */
#include <string.h>

#include "fuzz.h"
#include "wire.h"

union frame {
	struct wire_request q;
	struct wire_response r;
	struct wire_ack a;
	struct wire_ident d;
	struct wire_trailer t;
};

/* Parses into a union so that any frame type fits; an identity or trailer frame
 * (SPEC W-15 W-17) parsed must encode back to the same bytes. */
static ssize_t parse(enum wire_frame t, const uint8_t *buf, size_t len)
{
	union frame f;
	uint8_t again[WIRE_IDENT_SIZE];
	ssize_t n = wire_parse(t, buf, len, &f);
	if (n > 0 && t == WIRE_IDENT)
		FUZZ_ASSERT(wire_encode_ident(&f.d, again, sizeof again) == n && !memcmp(again, buf, (size_t)n));
	if (n > 0 && t == WIRE_TRAILER)
		FUZZ_ASSERT(wire_encode_trailer(&f.t, again, sizeof again) == n && !memcmp(again, buf, (size_t)n));
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum wire_frame t = (enum wire_frame)(data[0] % 5);
	size_t splits = data[1] % 8;
	if (size < 2 + splits)
		return 0;
	const uint8_t *cuts = data + 2, *stream = data + 2 + splits;
	size_t len = size - 2 - splits;
	uint8_t *buf = malloc(len ? len : 1);
	memcpy(buf, stream, len);
	ssize_t whole = parse(t, buf, len);

	size_t have = 0;
	ssize_t got = WIRE_NEED_MORE;
	for (size_t i = 0; i <= splits && got == WIRE_NEED_MORE; i++) {
		size_t more = i < splits ? cuts[i] : len - have;
		have = have + more > len ? len : have + more;
		/* each step sees only buf[0..have): copy it so ASan bounds it exactly */
		uint8_t *part = malloc(have ? have : 1);
		memcpy(part, buf, have);
		got = parse(t, part, have);
		if (got == WIRE_NEED_MORE)
			FUZZ_ASSERT(wire_frame_size(t, part, have) > have);
		else if (got > 0)
			FUZZ_ASSERT((size_t)got <= have && wire_frame_size(t, part, have) == (size_t)got);
		free(part);
	}
	FUZZ_ASSERT(got == whole);
	free(buf);
	return 0;
}
