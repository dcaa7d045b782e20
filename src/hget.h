/* hget - zcp-recv's HTTP/1.1 side of a fetch (SPEC G): the same contract as
 * fetch_one() (fetch.h) for a URL (cfg->url): the request, the response head
 * checked against it before a byte is stored, the body through one xfer_job (or
 * the chunked decoder on the copy path), the commit. A state machine that never
 * waits, driven by step_drive(). Never prints. */
#ifndef ZCP_HGET_H
#define ZCP_HGET_H

#include "fetch.h"

/* The most redirects followed (SPEC G-8): one more is an error. */
#define HGET_REDIRECTS_MAX 5

/* The most interim (1xx) heads skipped before a final one (SPEC G-4). */
#define HGET_INTERIM_MAX 16

/* hget_one() - fetch_one() for cfg->url (not NULL; cfg->raw, verify and name are not
 * used): a GET of the URL, with Range for cfg's range (or a part, or a probe's
 * bytes=F-F) and cfg->if_range as If-Range; the answer's identity must be
 * cfg->resume.if_ident when set (else CHANGED; so is a 412 to the If-Match or
 * If-Unmodified-Since cfg->if_range makes), a part's Repr-Digest cfg->repr_digest
 * when both are there (else CHANGED); --sha256 (cfg->sha256), or when the output then
 * holds the whole file the answer's Repr-Digest (a 200's: else its Content-Digest),
 * checked on the stored bytes read back before the commit (rep->mismatch when they
 * differ), a bounded step at a time, the preads counted in stats; a 3xx with Location is
 * followed, each hop on a connection of its own (net_connect(), closed here), at
 * most HGET_REDIRECTS_MAX, never to another scheme nor from https to http (a part,
 * cfg->part, follows none: it asks cfg->ask, when set, instead of cfg->url); on
 * success cfg->landed, when set, gets the URL that answered. rep->resp
 * tells what was answered as a ZCP/1 response would (status WIRE_OK, or WIRE_CHANGED
 * when the validator asked for is not the server's: exit 6), rep->ident the W-15
 * identity made from the URL and the validator. Returns 0 when every byte of the
 * body is committed; else -1 with *e set (SPEC E-1: 5 for a response that does not
 * answer the request or a body that breaks its framing, 4 for the network, 6 for a
 * status other than 200/206, 3 for --max-size) and the output dropped. Does not
 * close sock. */
int hget_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	     struct fetch_report *rep, struct xfer_stats *stats, struct zerr *e);

/* hget_digest_differs() - SPEC G-12: the error of a read-back whose SHA-256 is not
 * whose (a hop's or a --streams group's): exit 5, naming peer and the len bytes
 * stored. Returns -1. */
int hget_digest_differs(struct zerr *e, const char *peer, uint64_t len, const char *whose);

#endif
