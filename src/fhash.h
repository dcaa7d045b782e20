/* fhash - the XXH3-128 of a range of a file, read with pread outside the data path
 * (SPEC W-17, R-19), or its SHA-256 (an HTTP fetch's read-back, G-12), in steps of a
 * bounded size so that an event loop can go on serving others between them. Never
 * prints. */
#ifndef ZCP_FHASH_H
#define ZCP_FHASH_H

#include <stdint.h>

#include "wire.h"
#include "xfer.h"
#include "zerr.h"

#define FHASH_BUF (256u << 10) /* bytes read per pread */
#define FHASH_SHA256_SIZE 32

struct fhash {
	void *state; /* XXH3_state_t, or NULL when sha is set */
	void *sha;   /* EVP_MD_CTX of a SHA-256, or NULL */
	uint8_t *buf;
	int fd;
	uint64_t at, end;
};

/* fhash_start() - hash fd's bytes [from, to) from now on. Returns 0, or -1 with
 * errno (ENOMEM). */
int fhash_start(struct fhash *h, int fd, uint64_t from, uint64_t to);

/* fhash_start_sha256() - fhash_start() for the SHA-256 of the range (SPEC G-12). */
int fhash_start_sha256(struct fhash *h, int fd, uint64_t from, uint64_t to);

/* fhash_step() - hash at most budget more bytes, in reads of at most FHASH_BUF (never
 * past the budget: a caller may take what was hashed off it); each pread is counted
 * in stats (may be NULL). Returns 1 when the range is hashed, 0 when there is more, -1 with errno
 * set (EIO and the like; ENODATA when the file ends before the range does). */
int fhash_step(struct fhash *h, uint64_t budget, struct xfer_stats *stats);

/* fhash_advance() - fhash_step(), and with the step that finishes the range, its
 * digest into out (FHASH_SHA256_SIZE bytes for an fhash_start_sha256()'d h, else
 * WIRE_HASH_SIZE). A failure is told in *e, exit 3, as `pread NAME: REASON`: a file
 * that ends before the range does as "the file is shorter than what was DONE" (DONE
 * is "stored" or "sent"), any other by its errno. Returns as fhash_step(). This is
 * the one read-back loop step (SPEC W-17, R-19, G-12). */
int fhash_advance(struct fhash *h, uint64_t budget, struct xfer_stats *stats, uint8_t *out,
		  const char *name, const char *done, struct zerr *e);

/* fhash_digest() - the hash of the range, canonical (big-endian) form; after
 * fhash_step() returned 1. */
void fhash_digest(const struct fhash *h, uint8_t out[WIRE_HASH_SIZE]);

/* fhash_sha256() - the SHA-256 of the range; after fhash_step() returned 1 on an
 * fhash_start_sha256()'d h (once: it finishes the digest). */
void fhash_sha256(struct fhash *h, uint8_t out[FHASH_SHA256_SIZE]);

/* fhash_end() - release it (any time; twice is harmless). */
void fhash_end(struct fhash *h);

/* The hashes a process remembers (SPEC W-17): of [from, to) of the file whose
 * identity (W-15, compared whole) is id, for the FHASH_CACHE ranges used last, so
 * that a file asked for again and again, unchanged, is read once. For one thread
 * (an event loop): not locked. */
#define FHASH_CACHE 16

/* fhash_cached() - the remembered hash into out: 1, or 0 when there is none. */
int fhash_cached(const struct wire_ident *id, uint64_t from, uint64_t to, uint8_t out[WIRE_HASH_SIZE]);

/* fhash_remember() - remember a hash; the entry used least recently makes room. */
void fhash_remember(const struct wire_ident *id, uint64_t from, uint64_t to,
		    const uint8_t hash[WIRE_HASH_SIZE]);

#endif
