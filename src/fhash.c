/* fhash - XXH3-128 over a file range, a bounded step at a time. */
#include "fhash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

int fhash_start(struct fhash *h, int fd, uint64_t from, uint64_t to)
{
	*h = (struct fhash){.fd = fd, .at = from, .end = to};
	h->state = XXH3_createState();
	h->buf = malloc(FHASH_BUF);
	if (!h->state || !h->buf || XXH3_128bits_reset(h->state) != XXH_OK) {
		fhash_end(h);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int fhash_step(struct fhash *h, uint64_t budget, struct xfer_stats *stats)
{
	for (uint64_t done = 0; h->at < h->end && done < budget;) {
		size_t want = h->end - h->at < FHASH_BUF ? (size_t)(h->end - h->at) : FHASH_BUF;
		if (stats)
			stats->calls[XS_PREAD]++;
		ssize_t n = pread(h->fd, h->buf, want, (off_t)h->at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENODATA;
			return -1;
		}
		XXH3_128bits_update(h->state, h->buf, (size_t)n);
		h->at += (uint64_t)n;
		done += (uint64_t)n;
	}
	return h->at == h->end;
}

void fhash_digest(const struct fhash *h, uint8_t out[WIRE_HASH_SIZE])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
	memcpy(out, c.digest, WIRE_HASH_SIZE);
}

void fhash_end(struct fhash *h)
{
	XXH3_freeState(h->state);
	free(h->buf);
	h->state = NULL;
	h->buf = NULL;
}
