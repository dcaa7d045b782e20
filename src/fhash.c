/* fhash - XXH3-128 (or SHA-256) over a file range, a bounded step at a time. */
#include "fhash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include <openssl/evp.h>

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

int fhash_start_sha256(struct fhash *h, int fd, uint64_t from, uint64_t to)
{
	*h = (struct fhash){.fd = fd, .at = from, .end = to};
	h->sha = EVP_MD_CTX_new();
	h->buf = malloc(FHASH_BUF);
	if (!h->sha || !h->buf || !EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL)) {
		fhash_end(h);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int fhash_step(struct fhash *h, uint64_t budget, struct xfer_stats *stats)
{
	for (uint64_t done = 0; h->at < h->end && done < budget;) {
		uint64_t room = budget - done < h->end - h->at ? budget - done : h->end - h->at;
		size_t want = room < FHASH_BUF ? (size_t)room : FHASH_BUF;
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
		if (h->sha)
			EVP_DigestUpdate(h->sha, h->buf, (size_t)n);
		else
			XXH3_128bits_update(h->state, h->buf, (size_t)n);
		h->at += (uint64_t)n;
		done += (uint64_t)n;
	}
	return h->at == h->end;
}

int fhash_advance(struct fhash *h, uint64_t budget, struct xfer_stats *stats, uint8_t *out,
		  const char *name, const char *done, struct zerr *e)
{
	int r = fhash_step(h, budget, stats);
	if (r < 0 && errno == ENODATA)
		return zerr_set(e, ZCP_EXIT_FILE, "pread", name, "the file is shorter than what was %s", done);
	if (r < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "pread", name, errno);
	if (r == 1 && h->sha)
		fhash_sha256(h, out);
	else if (r == 1)
		fhash_digest(h, out);
	return r;
}

void fhash_digest(const struct fhash *h, uint8_t out[WIRE_HASH_SIZE])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
	memcpy(out, c.digest, WIRE_HASH_SIZE);
}

void fhash_sha256(struct fhash *h, uint8_t out[FHASH_SHA256_SIZE])
{
	EVP_DigestFinal_ex(h->sha, out, NULL);
}

void fhash_end(struct fhash *h)
{
	XXH3_freeState(h->state);
	EVP_MD_CTX_free(h->sha);
	free(h->buf);
	h->state = NULL;
	h->sha = NULL;
	h->buf = NULL;
}

static struct cached {
	struct wire_ident id;
	uint64_t from, to, used; /* used: 0 = empty, else when it was last (a tick) */
	uint8_t hash[WIRE_HASH_SIZE];
} cache[FHASH_CACHE];
static uint64_t tick;

static struct cached *find(const struct wire_ident *id, uint64_t from, uint64_t to)
{
	for (struct cached *c = cache; c < cache + FHASH_CACHE; c++)
		if (c->used && c->from == from && c->to == to && !memcmp(&c->id, id, sizeof *id))
			return c;
	return NULL;
}

int fhash_cached(const struct wire_ident *id, uint64_t from, uint64_t to, uint8_t out[WIRE_HASH_SIZE])
{
	struct cached *c = find(id, from, to);
	if (!c)
		return 0;
	c->used = ++tick;
	memcpy(out, c->hash, WIRE_HASH_SIZE);
	return 1;
}

void fhash_remember(const struct wire_ident *id, uint64_t from, uint64_t to,
		    const uint8_t hash[WIRE_HASH_SIZE])
{
	struct cached *c = find(id, from, to);
	if (!c) { /* the least recently used makes room; an empty one (0) first */
		c = cache;
		for (struct cached *e = cache + 1; e < cache + FHASH_CACHE; e++)
			if (e->used < c->used)
				c = e;
	}
	*c = (struct cached){.id = *id, .from = from, .to = to, .used = ++tick};
	memcpy(c->hash, hash, WIRE_HASH_SIZE);
}
