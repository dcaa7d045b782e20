/* hget - request, response head, body, commit: the HTTP side of a fetch. */
#include "hget.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "http.h"
#include "httpc.h"
#include "ident.h"
#include "mono.h"
#include "tls.h"

enum hget_state {
	HGET_HANDSHAKE, HGET_REQUEST, HGET_HEAD, HGET_BODY, HGET_CHUNKED, HGET_EOF, HGET_VERIFY, HGET_DONE
};

struct hget_conn {
	const struct fetch_cfg *cfg;
	const struct httpc_url *url;   /* this hop's */
	struct step_link link;
	char peer[NET_ADDR_MAX];
	enum hget_state state;
	uint8_t *buf;                  /* the request going out, then the head and the body's
				        * bytes read with it, then a chunked body */
	size_t have, len;              /* bytes of buf sent or read; the request's length */
	struct httpc_response resp;
	struct wire_response wresp;    /* what was answered, as ZCP/1 would (fetch_report) */
	struct wire_ident ident;       /* the W-15 identity of what was answered */
	bool redirect;                 /* the answer was a redirect, to resp.location (G-8) */
	bool no_ranges;                /* a probe's answer was a 200 (G-10) */
	bool ranged;                   /* a Range was sent */
	const char *precondition;      /* the precondition field sent (G-10), or NULL */
	bool mismatch;                 /* the stored bytes failed a digest check (G-12) */
	bool hash_live;                /* hash reads the stored bytes back (G-12) */
	struct fhash hash;
	const uint8_t *digest;         /* what hash must come to, and whose it is */
	const char *whose;
	unsigned interim;              /* 1xx heads skipped (G-4) */
	uint64_t first, want;          /* the range asked for: first byte, bytes (0 = to the end) */
	struct fsio_out *out;
	bool job_live, committed, opened;
	struct xfer_job job;
	struct httpc_chunk chunk;
	uint64_t stored;               /* body bytes stored outside the job (read with the
				        * head, or decoded from chunks) */
	double payload_start, seconds;
	int64_t asked_ms;              /* the request sent: the head is whole within --timeout of it */
	int result;
	struct zerr err;
};

/* The size of a chunked whole body, until its last chunk. */
#define HGET_UNKNOWN UINT64_MAX

/* What a request and a response head may take: a head over HTTPC_HEAD_MAX is refused. */
#define HGET_BUF (HTTPC_HEAD_MAX + 1)

static int ended(struct hget_conn *c, int result)
{
	c->result = result;
	c->state = HGET_DONE;
	return STEP_ENDED;
}

static int fail(struct hget_conn *c, enum zcp_exit code, const char *fmt, const char *arg)
{
	zerr_set(&c->err, code, "", c->peer, fmt, arg);
	return ended(c, -1);
}

/* A probe has no output, and a part's output is the group's (SPEC W-14, R-18). */
static bool owns_output(const struct hget_conn *c) { return !c->cfg->probe && !c->cfg->part; }

/* The byte of the body the next stored byte is, from the output's start. */
static off_t out_at(const struct hget_conn *c)
{
	uint64_t base = c->cfg->part ? c->wresp.offset - c->cfg->out_base : 0;
	return (off_t)(base + c->stored);
}

/* Stores p[0..n) after what the output holds (at its place in a part), waiting for
 * the output if it must. Returns 0, or -1 with c->err set. */
static int store(struct hget_conn *c, const uint8_t *p, size_t n)
{
	if (!n || c->out->mode == FSIO_DISCARD) {
		c->stored += n;
		return 0;
	}
	struct xfer_ctx ctx = step_ctx(&c->link);
	ctx.timeout_ms = c->cfg->timeout_ms; /* SPEC P-10: a reader that stopped ends it */
	off_t off = out_at(c);
	struct xfer_op op = c->out->nowait ? xfer_op_mem(XS_PWRITEV2, c->out->fd, (void *)p, RWF_NOWAIT)
					   : xfer_op_mem(XS_WRITE, c->out->fd, (void *)p, 0);
	if (c->cfg->part) {
		op.sys = XS_PWRITE;
		op.out_off = &off;
	}
	/* SPEC P-10: first without waiting; a wait for the output notes what it holds, so
	 * that a reader taking less than a page a --timeout is seen taking bytes */
	ctx.nowait = true;
	uint64_t put;
	int r = xfer_move(&op, n, true, &ctx, &put);
	if (r == XFER_AGAIN) {
		ctx.nowait = false;
		step_out_wait(&c->link, c->out->fd);
		uint64_t more;
		do {
			r = xfer_move(&op, n - put, true, &ctx, &more);
			put += more;
		} while (r != 0 && errno == ETIMEDOUT && step_out_taken(&c->link, c->out->fd));
	}
	if (c->out->nowait && op.sys == XS_WRITE) /* SPEC P-10: the kernel refused RWF_NOWAIT */
		c->out->nowait = false;
	if (r != 0 && errno == ETIMEDOUT)
		return fsio_out_stalled(c->out, xfer_sys_name(op.sys), c->cfg->timeout_ms, &c->err);
	if (r != 0)
		return zerr_sys(&c->err, ZCP_EXIT_FILE, xfer_sys_name(op.sys), fsio_out_name(c->out), errno);
	c->stored += n;
	step_moved(&c->link, n);
	return 0;
}

static int step_request(struct hget_conn *c)
{
	struct xfer_ctx ctx = step_ctx(&c->link);
	struct xfer_op op = xfer_op_sock(false, c->link.sock, step_io(&c->link), c->buf + c->have, 0);
	uint64_t put;
	int r = xfer_move(&op, c->len - c->have, true, &ctx, &put);
	c->have += put;
	step_moved(&c->link, put);
	if (r == XFER_AGAIN)
		return STEP_OUT;
	if (r != 0) {
		zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(op.sys), c->peer, errno);
		step_tls_words(&c->link, &c->err);
		return ended(c, -1);
	}
	c->have = 0;
	c->state = HGET_HEAD;
	c->asked_ms = mono_ms();
	return 0;
}

/* SPEC G-11: the identity of what the server has: its size, and a tag that changes
 * with the URL or the validator (a strong ETag, else Last-Modified; none: the URL). */
static int make_ident(struct hget_conn *c, uint64_t size)
{
	char text[HTTPC_URL_MAX + HTTP_VALUE_MAX + 32], hex[IDENT_MAC_HEX + 1];
	size_t n = httpc_url_format(c->cfg->url, text, sizeof text - HTTP_VALUE_MAX - 24);
	if (c->resp.etag[0] && !c->resp.etag_weak)
		n += (size_t)snprintf(text + n, sizeof text - n, " etag %s", c->resp.etag);
	else if (c->resp.has_last_modified)
		n += (size_t)snprintf(text + n, sizeof text - n, " date %lld", (long long)c->resp.last_modified);
	if (ident_mac(text, n, hex) < 0)
		return zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "HMAC", "", errno);
	c->ident.size = size;
	for (size_t i = 0; i < sizeof c->ident.tag; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		c->ident.tag[i] = (uint8_t)v;
	}
	return 0;
}

/* SPEC G-10 G-11: a strong ETag or a Last-Modified, which a version of the file has. */
static bool has_validator(const struct httpc_response *r)
{
	return (r->etag[0] && !r->etag_weak) || r->has_last_modified;
}

/* SPEC G-10 F-9: a part's Repr-Digest is not the probe's: their sha-256 members
 * differ when both have one; else their fields, as sent, when both have one (one
 * too long to keep cannot be shown the same: it differs). */
static bool repr_differs(const struct fetch_cfg *cfg, const struct httpc_response *r)
{
	if (cfg->repr_digest && r->has_repr_digest)
		return memcmp(r->repr_digest, cfg->repr_digest, sizeof r->repr_digest) != 0;
	if (!cfg->repr_seen || !r->repr_seen)
		return false;
	return !cfg->repr_field || !r->repr_kept || strcmp(r->repr_field, cfg->repr_field) != 0;
}

/* SPEC G-4: the response must answer the request, before a byte is stored. Fills
 * c->wresp. Returns 0, or -1 with c->err set. */
static int check_head(struct hget_conn *c)
{
	const struct httpc_response *r = &c->resp;
	char what[64];
	snprintf(what, sizeof what, "%d", r->status);
	if (c->cfg->probe && r->status == 416 && r->crange == HTTPC_CRANGE_UNSAT && r->size == 0 && !c->first) {
		c->wresp = (struct wire_response){.status = WIRE_OK}; /* SPEC G-10: an empty file */
		return make_ident(c, 0);
	}
	if (r->status == 412 && c->precondition) { /* SPEC G-10: RFC 9110 13.1.1, 13.1.4 */
		c->wresp.status = WIRE_CHANGED;
		return zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "the file changed on the server (412 to %s)",
				c->precondition);
	}
	if (r->status != 200 && r->status != 206)
		return zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "the server answered %s", what);
	if (r->encoded)
		return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered with a "
				"Content-Encoding other than identity, which was asked for");
	if (!r->has_length && !r->chunked)
		return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered %s with neither "
				"Content-Length nor chunked framing", what);
	uint64_t size, first = 0, len;
	if (r->status == 206) {
		if (!c->ranged)
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered 206 to a "
					"request for the whole file");
		if (r->crange != HTTPC_CRANGE_BYTES || r->size == HTTPC_SIZE_UNKNOWN)
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered 206 without "
					"a Content-Range of a known size");
		uint64_t last = c->want ? c->first + c->want - 1 : r->size - 1;
		if (r->first != c->first || r->last != last)
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered bytes "
					"%llu-%llu/%llu for bytes %llu-%llu", (unsigned long long)r->first,
					(unsigned long long)r->last, (unsigned long long)r->size,
					(unsigned long long)c->first, (unsigned long long)last);
		size = r->size;
		first = r->first;
		len = r->last - r->first + 1;
		if (r->has_length && r->length != len)
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server declared Content-Length "
					"%llu for %llu bytes", (unsigned long long)r->length, (unsigned long long)len);
		if (c->cfg->resume.if_ident && !c->cfg->part && !has_validator(r)) {
			c->wresp.status = WIRE_CHANGED; /* SPEC G-11: the rest may be of another version */
			return zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "%s", "the server gives no validator: "
					"the partial cannot be shown to be of this file");
		}
		if (repr_differs(c->cfg, r)) {
			c->wresp.status = WIRE_CHANGED; /* SPEC G-10: its validator may not say so */
			return zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "%s", "the file changed on the "
					"server (a part's Repr-Digest is not the probe's)");
		}
		if (c->cfg->probe && !has_validator(r)) {
			c->no_ranges = true; /* SPEC G-10: nothing would tie the parts to one version */
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "%s", "the server gives no "
					"validator: one stream only");
		}
		if (c->cfg->probe) /* SPEC G-10: what the parts will ask for */
			len = c->cfg->length ? c->cfg->length : size - first;
	} else {
		if (c->ranged && c->cfg->resume.if_ident) { /* SPEC G-11: not the rest of that file */
			c->wresp.status = WIRE_CHANGED;
			return zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "the file changed on the server "
					"(a 200 to the range of %s)", c->cfg->part ? "a part" : "the rest");
		}
		if (c->ranged && !c->cfg->probe)
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the server answered 200 to a "
					"range: it does not serve ranges");
		if (c->cfg->probe) { /* SPEC G-10: one stream, the caller is told */
			c->no_ranges = true;
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "%s", "the server does not serve "
					"ranges: one stream only");
		}
		size = len = r->has_length ? r->length : HGET_UNKNOWN; /* chunked: known at its end */
	}
	uint64_t whole = len + c->cfg->resume.prefix;
	if (c->cfg->max_size && whole > c->cfg->max_size && len != HGET_UNKNOWN)
		return zerr_set(&c->err, ZCP_EXIT_FILE, "", c->peer, "the server offers %llu bytes, more than "
				"--max-size %llu", (unsigned long long)whole, (unsigned long long)c->cfg->max_size);
	c->wresp = (struct wire_response){.status = WIRE_OK, .file_size = size, .offset = first, .length = len};
	snprintf(c->wresp.name, sizeof c->wresp.name, "%s", c->cfg->url->name); /* SPEC G-2: not a hop's */
	c->wresp.name_len = (uint16_t)strlen(c->wresp.name);
	return make_ident(c, size);
}

/* The output opens; the body's bytes read with the head are stored first. */
static int begin_body(struct hget_conn *c, size_t head)
{
	const struct fetch_resume *rz = &c->cfg->resume;
	if (rz->if_ident && memcmp(rz->if_ident, &c->ident, sizeof c->ident)) { /* SPEC G-11 W-16 */
		c->wresp.status = WIRE_CHANGED;
		return fail(c, ZCP_EXIT_PEER, "%s", c->cfg->part ? "the file changed on the server since the "
			    "probe (a part's answer is of another version)" : "the file changed on the server since the "
			    "partial began");
	}
	if (rz->on_ident && rz->on_ident(rz->on_ident_arg, &c->ident, has_validator(&c->resp), &c->err) < 0)
		return ended(c, -1);
	if (c->cfg->probe)
		return ended(c, 0);
	if (owns_output(c) && fsio_out_open(c->out, c->cfg->url->name, &c->err) < 0) /* SPEC G-2 */
		return ended(c, -1);
	c->opened = true;
	c->payload_start = mono_now();
	size_t extra = c->have - head;
	if (c->resp.chunked) {
		memmove(c->buf, c->buf + head, extra);
		c->have = extra;
		c->state = HGET_CHUNKED;
		return 0;
	}
	if (extra > c->wresp.length) /* SPEC G-5 */
		return fail(c, ZCP_EXIT_PROTO, "%s", "the server sent more than its Content-Length");
	if (store(c, c->buf + head, extra) < 0)
		return ended(c, -1);
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = c->link.sock, .io = step_io(&c->link),
			       .records = c->link.tls.ktls_recv}; /* SPEC T-6: spliced */
	struct xfer_end dst = {.kind = c->out->mode == FSIO_DISCARD ? XFER_DISCARD : XFER_STREAM,
			       .fd = c->out->fd, .nowait = c->out->nowait};
	if (c->cfg->part && dst.kind != XFER_DISCARD)
		dst = (struct xfer_end){.kind = XFER_FILE, .fd = c->out->fd, .off = out_at(c)};
	c->job_live = true;
	c->state = HGET_BODY;
	if (xfer_job_init(&c->job, &src, &dst, c->wresp.length - extra, c->cfg->path, c->cfg->chunk,
			  c->cfg->pipes) == 0)
		return 0;
	xfer_explain(&c->job.res, &src, c->peer, &dst, fsio_out_name(c->out), &c->err);
	return ended(c, -1);
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* SPEC P-13: the head (its interim heads included) whole within --timeout of the
 * request; a read that blocks returns with each line a dribbling server sends. */
static int head_late(struct hget_conn *c)
{
	return fail(c, ZCP_EXIT_NET, "%s", "timed out waiting for the response head");
}

static int step_head(struct hget_conn *c)
{
	for (;;) {
		int n = httpc_parse_response((const char *)c->buf, c->have, HTTPC_HEAD_MAX, &c->resp);
		if (n == HTTPC_ERROR)
			return fail(c, ZCP_EXIT_PROTO, "a bad response head: %s", c->resp.why);
		if (n > 0 && c->resp.status < 200) { /* RFC 9110 15.2: an interim answer */
			if (++c->interim > HGET_INTERIM_MAX)
				return fail(c, ZCP_EXIT_PROTO, "%s", "the server sent more than 16 interim (1xx) heads");
			memmove(c->buf, c->buf + n, c->have - (size_t)n);
			c->have -= (size_t)n;
			continue;
		}
		/* SPEC G-8; G-10: a part asks the probe's final URL and follows no redirect, so
		 * that no other server is asked mid-transfer */
		if (n > 0 && is_redirect(c->resp.status) && c->resp.location[0] && !c->cfg->part) {
			c->redirect = true;
			return ended(c, 0);
		}
		if (n > 0)
			return check_head(c) < 0 ? ended(c, -1) : begin_body(c, (size_t)n);
		if (c->cfg->timeout_ms >= 0 && mono_ms() - c->asked_ms >= c->cfg->timeout_ms)
			return head_late(c);
		struct xfer_ctx ctx = step_ctx(&c->link);
		struct xfer_op op = xfer_op_sock(true, c->link.sock, step_io(&c->link), c->buf + c->have, 0);
		uint64_t got;
		int r = xfer_move(&op, HTTPC_HEAD_MAX - c->have, false, &ctx, &got);
		c->have += got;
		step_moved(&c->link, got);
		if (r == XFER_AGAIN)
			return STEP_IN;
		if (r == XFER_EOF)
			return fail(c, ZCP_EXIT_PROTO, "%s", "the connection closed before the response head ended");
		if (r < 0) {
			zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(op.sys), c->peer, errno);
			step_tls_words(&c->link, &c->err);
			return ended(c, -1);
		}
	}
}

/* SPEC G-5: the body is whole; a server that said it closes must close now, and
 * bytes already there past the body are an error. */
static int body_done(struct hget_conn *c)
{
	c->seconds = mono_now() - c->payload_start;
	c->state = HGET_EOF;
	return 0;
}

_Static_assert(HTTPC_DIGEST_SIZE == FHASH_SHA256_SIZE, "a Repr-Digest is a SHA-256");

int hget_digest_differs(struct zerr *e, const char *peer, uint64_t len, const char *whose)
{
	return zerr_set(e, ZCP_EXIT_PROTO, "", peer, "the SHA-256 of the %llu bytes stored is not %s",
			(unsigned long long)len, whose);
}

static int commit(struct hget_conn *c)
{
	if (owns_output(c) && fsio_out_commit(c->out, &c->err) < 0)
		return ended(c, -1);
	c->committed = true;
	return ended(c, 0);
}

/* SPEC G-12: the SHA-256 the stored file must have: --sha256's; else, when the output
 * holds the whole representation (a 200, or a 206 from the partial's end to the
 * file's), the server's Repr-Digest; else a 200's Content-Digest (no content coding
 * is accepted: its content is the file; a 206's is of the part only). Or NULL. */
static const uint8_t *digest_wanted(const struct hget_conn *c, const char **whose)
{
	const struct httpc_response *r = &c->resp;
	uint64_t prefix = c->cfg->resume.prefix;
	bool file = c->out->fd >= 0 && c->out->mode != FSIO_STDOUT && c->out->mode != FSIO_DEVICE;
	bool whole = r->status == 200 ? !prefix
		     : c->wresp.offset == prefix && c->wresp.offset + c->wresp.length == c->wresp.file_size;
	*whose = c->cfg->sha256 ? "--sha256's" : r->has_repr_digest ? "the server's Repr-Digest"
		 : "the server's Content-Digest";
	if (c->cfg->sha256 || !file || !whole)
		return c->cfg->sha256;
	return r->has_repr_digest ? r->repr_digest : r->has_content_digest && r->status == 200 ? r->content_digest
		 : NULL;
}

/* The body is whole: what was stored is read back (SPEC G-12), or committed now. */
static int verify(struct hget_conn *c)
{
	c->digest = owns_output(c) ? digest_wanted(c, &c->whose) : NULL;
	if (!c->digest)
		return commit(c);
	if (fhash_start_sha256(&c->hash, c->out->fd, 0, c->cfg->resume.prefix + c->wresp.length) < 0) {
		zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "malloc", "", errno);
		return ended(c, -1);
	}
	c->hash_live = true;
	c->state = HGET_VERIFY;
	return 0;
}

/* SPEC G-12: at most budget bytes read back a step (each pread counted), so that the
 * driver has the turn back between them. */
static int step_verify(struct hget_conn *c, uint64_t budget)
{
	uint64_t before = c->hash.at;
	uint8_t md[FHASH_SHA256_SIZE];
	int r = fhash_advance(&c->hash, budget, &c->link.stats, md, fsio_out_name(c->out), "stored", &c->err);
	step_moved(&c->link, c->hash.at - before); /* reading back is progress */
	if (r < 0)
		return ended(c, -1);
	if (r == 0)
		return STEP_YIELD | STEP_IN;
	if (memcmp(md, c->digest, sizeof md)) {
		c->mismatch = true; /* SPEC R-19 R-20: a partial of other bytes is not kept */
		hget_digest_differs(&c->err, c->peer, c->hash.end, c->whose);
		return ended(c, -1);
	}
	return commit(c);
}

static int step_eof(struct hget_conn *c)
{
	if (!c->resp.close && c->link.tls.ssl) /* no look without waiting through TLS */
		return verify(c);
	struct xfer_ctx ctx = step_ctx(&c->link);
	uint8_t extra;
	uint64_t got;
	struct xfer_op op = xfer_op_sock(true, c->link.sock, step_io(&c->link), &extra, c->resp.close ? 0 : MSG_DONTWAIT);
	int r = xfer_move(&op, 1, false, &ctx, &got);
	if (r == 0)
		return fail(c, ZCP_EXIT_PROTO, "%s", c->resp.chunked ? "the server sent more after the last chunk"
			    : "the server sent more than its Content-Length");
	if (r == XFER_AGAIN && c->resp.close)
		return STEP_IN;
	if (r < 0 && c->resp.close && !c->link.tls.cut) { /* SPEC G-5: a cut after the body ends it */
		zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(op.sys), c->peer, errno);
		step_tls_words(&c->link, &c->err);
		return ended(c, -1);
	}
	return verify(c);
}

static int step_body(struct hget_conn *c, uint64_t budget)
{
	int want, r = step_job(&c->link, &c->job, budget, &want);
	c->seconds = mono_now() - c->payload_start;
	if (c->out->nowait && !c->job.dst.nowait) /* SPEC P-10: the kernel refused RWF_NOWAIT */
		c->out->nowait = false;
	if (want)
		return want;
	if (r == 0)
		return body_done(c);
	struct xfer_result *res = &c->job.res;
	if (res->status == XFER_SHORT) { /* SPEC G-5 */
		zerr_set(&c->err, ZCP_EXIT_PROTO, xfer_sys_name(res->call), c->peer,
			 "connection closed after %llu of %llu bytes", (unsigned long long)(c->stored + res->moved),
			 (unsigned long long)c->wresp.length);
		return ended(c, -1);
	}
	xfer_explain(res, &c->job.src, c->peer, &c->job.dst, fsio_out_name(c->out), &c->err);
	step_tls_words(&c->link, &c->err);
	return ended(c, -1);
}

/* SPEC G-6: a chunked body, decoded on the copy path. */
static int step_chunked(struct hget_conn *c, uint64_t budget)
{
	uint64_t moved = 0;
	while (moved < budget) {
		size_t at = 0;
		while (at < c->have) {
			size_t used, off, len;
			enum httpc_chunk_result r = httpc_chunk(&c->chunk, c->buf + at, c->have - at, &used, &off, &len);
			if (r == HTTPC_CHUNK_ERROR)
				return fail(c, ZCP_EXIT_PROTO, "a bad chunked body: %s", c->chunk.why);
			if (c->stored + len > c->wresp.length)
				return fail(c, ZCP_EXIT_PROTO, "%s", "the chunks hold more than the response declared");
			if (c->cfg->max_size && c->stored + len > c->cfg->max_size) /* SPEC G-4 R-12 */
				return fail(c, ZCP_EXIT_FILE, "%s", "the chunks hold more than --max-size");
			if (store(c, c->buf + at + off, len) < 0)
				return ended(c, -1);
			at += used;
			if (r == HTTPC_CHUNK_DONE) {
				if (c->wresp.length == HGET_UNKNOWN)
					c->wresp.length = c->stored;
				if (c->stored != c->wresp.length)
					return fail(c, ZCP_EXIT_PROTO, "%s", "the chunks hold fewer bytes than the "
						    "response declared");
				if (at < c->have)
					return fail(c, ZCP_EXIT_PROTO, "%s", "the server sent more after the last chunk");
				return body_done(c);
			}
		}
		c->have = 0;
		struct xfer_ctx ctx = step_ctx(&c->link);
		struct xfer_op op = xfer_op_sock(true, c->link.sock, step_io(&c->link), c->buf, 0);
		uint64_t got;
		int r = xfer_move(&op, HGET_BUF, false, &ctx, &got);
		c->have = got;
		moved += got;
		step_moved(&c->link, got);
		c->seconds = mono_now() - c->payload_start;
		if (r == XFER_AGAIN)
			return STEP_IN;
		if (r == XFER_EOF)
			return fail(c, ZCP_EXIT_PROTO, "%s", "the connection closed before the last chunk");
		if (r < 0) {
			zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(op.sys), c->peer, errno);
			step_tls_words(&c->link, &c->err);
			return ended(c, -1);
		}
	}
	return STEP_YIELD | STEP_IN;
}

/* SPEC T-4: nothing is sent or opened before the peer is authenticated. */
static int step_auth(struct hget_conn *c)
{
	int r = step_handshake(&c->link, c->cfg->tls, c->peer, &c->err);
	if (r)
		return r < 0 ? ended(c, -1) : r;
	c->state = HGET_REQUEST;
	return 0;
}

static int hget_step(void *conn, short events, uint64_t budget)
{
	struct hget_conn *c = conn;
	(void)events; /* every state knows what it waits for */
	for (;;) {
		int r = 0;
		switch (c->state) {
		case HGET_HANDSHAKE: r = step_auth(c); break;
		case HGET_REQUEST: r = step_request(c); break;
		case HGET_HEAD: r = step_head(c); break;
		case HGET_BODY: r = step_body(c, budget); break;
		case HGET_CHUNKED: r = step_chunked(c, budget); break;
		case HGET_EOF: r = step_eof(c); break;
		case HGET_VERIFY: r = step_verify(c, budget); break;
		case HGET_DONE: r = STEP_ENDED; break;
		}
		if (r)
			return r;
	}
}

static int64_t hget_deadline(const void *conn)
{
	const struct hget_conn *c = conn;
	if (c->cfg->timeout_ms < 0)
		return 0;
	/* SPEC P-13: a head dribbled a line at a time is not progress */
	return (c->state == HGET_HEAD ? c->asked_ms : c->link.progress_ms) + c->cfg->timeout_ms;
}

static void hget_expire(void *conn)
{
	struct hget_conn *c = conn;
	if (c->state == HGET_HANDSHAKE) {
		fail(c, ZCP_EXIT_NET, "%s", "timed out waiting for the TLS handshake");
		return;
	}
	if (c->state == HGET_HEAD) {
		head_late(c);
		return;
	}
	const char *stalled = c->state == HGET_BODY && c->job_live ? xfer_job_out_wait(&c->job) : NULL;
	if (stalled && step_out_taken(&c->link, c->job.dst.fd))
		return; /* SPEC P-10: its reader took bytes, a page not yet whole */
	if (stalled) { /* SPEC P-10: the output took nothing, not the server */
		fsio_out_stalled(c->out, stalled, c->cfg->timeout_ms, &c->err);
		ended(c, -1);
		return;
	}
	bool out = c->state == HGET_REQUEST;
	bool job_waited = c->state == HGET_BODY && c->job.wait_sys != XS_COUNT;
	const char *call = job_waited ? xfer_sys_name(c->job.wait_sys) /* splice, or SSL_read (T-6) */
			 : c->link.tls.ssl ? xfer_sys_name(out ? XS_TLS_WRITE : XS_TLS_READ) : out ? "sendto" : "recvfrom";
	zerr_sys(&c->err, ZCP_EXIT_NET, call, c->peer, ETIMEDOUT);
	ended(c, -1);
}

static int hget_wait_fd(const void *conn)
{
	const struct hget_conn *c = conn;
	return c->state == HGET_BODY && c->job.wait_fd >= 0 ? c->job.wait_fd : c->link.sock;
}

static void hget_moved(const void *conn, uint64_t *moved, uint64_t *total)
{
	const struct hget_conn *c = conn;
	*moved = c->stored + (c->job_live ? c->job.res.moved : 0);
	*total = c->wresp.length == HGET_UNKNOWN ? 0 : c->wresp.length;
}

/* Driven by step_drive() only. */
static const struct step_ops hget_ops = {
	.step = hget_step, .deadline = hget_deadline, .expire = hget_expire, .wait_fd = hget_wait_fd,
	.moved = hget_moved,
};

/* Starts c on sock for url; the request formatted. Returns 0, or -1 (ended) with c->err. */
static int hget_init(struct hget_conn *c, int sock, const char *peer, const struct fetch_cfg *cfg,
		     const struct httpc_url *url, struct fsio_out *out)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->url = url;
	c->link.sock = sock;
	c->link.tls_name = url->host; /* SPEC G-9: each hop's host is the one checked */
	c->out = out;
	c->state = url->scheme == HTTPC_HTTPS ? HGET_HANDSHAKE : HGET_REQUEST;
	c->link.progress_ms = mono_ms();
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	if (url->scheme == HTTPC_HTTPS && !cfg->tls)
		return fail(c, ZCP_EXIT_USAGE, "%s", "an https:// URL needs a TLS connector");
	if (!(c->buf = malloc(HGET_BUF))) {
		zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "malloc", "", errno);
		return ended(c, -1);
	}
	c->first = cfg->offset;
	c->want = cfg->probe ? 1 : cfg->length;
	c->ranged = cfg->probe || cfg->part || cfg->offset || cfg->length;
	/* SPEC G-10: the probe's validator as a precondition too (RFC 9110 13.2.2: a server
	 * evaluates it before If-Range): a changed file is a 412, not a body to refuse */
	const char *v = c->ranged ? cfg->if_range : NULL;
	bool tag = v && v[0] == '"'; /* a strong entity tag, else an HTTP-date */
	c->precondition = !v ? NULL : tag ? "If-Match" : "If-Unmodified-Since";
	/* RFC 9110 13.1.5: no date in If-Range when there is an entity tag, even a weak one */
	struct httpc_request rq = {.url = url, .range = c->ranged, .first = c->first,
				   .last = c->want ? c->first + c->want - 1 : HTTPC_RANGE_OPEN,
				   .if_range = tag || !cfg->if_range_weak ? v : NULL, .if_match = tag ? v : NULL,
				   .if_unmodified_since = v && !tag ? v : NULL};
	c->len = httpc_request_format(&rq, (char *)c->buf, HGET_BUF);
	if (!c->len)
		return fail(c, ZCP_EXIT_USAGE, "%s", "the request does not fit in one head");
	return 0;
}

static void hget_end(struct hget_conn *c)
{
	if (c->job_live)
		xfer_job_free(&c->job);
	c->job_live = false;
	if (c->hash_live)
		fhash_end(&c->hash);
	c->hash_live = false;
	if (!c->committed && c->opened && owns_output(c))
		fsio_out_abort(c->out);
	tls_conn_end(&c->link.tls);
	free(c->buf);
	c->buf = NULL;
}

/* One hop: the request for url on sock. Returns 0, -1 (with *e) or HGET_REDIRECTED
 * with *next the URL the answer points to. */
#define HGET_REDIRECTED 1
static int hop(int sock, const char *peer, const struct fetch_cfg *cfg, const struct httpc_url *url,
	       struct fsio_out *out, struct fetch_report *rep, struct xfer_stats *stats, struct httpc_url *next,
	       struct zerr *e)
{
	struct hget_conn c;
	net_block(sock, cfg->timeout_ms);
	if (hget_init(&c, sock, peer, cfg, url, out) == 0)
		step_drive(&c, &hget_ops, &c.link.stats, cfg->progress);
	*rep = (struct fetch_report){.resp = c.wresp, .seconds = c.seconds, .ident = c.ident,
				     .tls = c.link.tls.mode, .path = c.job_live ? c.job.path : cfg->path,
				     .chunked = c.resp.chunked, .no_ranges = c.no_ranges,
				     .mismatch = c.mismatch};
	rep->received = c.stored + (c.job_live ? c.job.res.moved : 0);
	_Static_assert(HTTP_VALUE_MAX <= FETCH_VALIDATOR_MAX && HTTP_DATE_LEN < FETCH_VALIDATOR_MAX, "room");
	if (c.resp.etag[0] && !c.resp.etag_weak) /* SPEC G-10: what If-Range may name */
		snprintf(rep->validator, sizeof rep->validator, "%s", c.resp.etag);
	else if (c.resp.has_last_modified)
		http_date_format(c.resp.last_modified, rep->validator);
	rep->weak_etag = c.resp.etag_weak;
	rep->has_repr_digest = c.resp.has_repr_digest; /* SPEC G-10: a probe's, every part's */
	memcpy(rep->repr_digest, c.resp.repr_digest, sizeof rep->repr_digest);
	snprintf(rep->repr_field, sizeof rep->repr_field, "%s", c.resp.repr_field);
	rep->repr_seen = c.resp.repr_seen, rep->repr_kept = c.resp.repr_kept;
	if (c.resp.chunked)
		rep->path = XFER_COPY;
	for (int i = 0; i < XS_COUNT; i++)
		stats->calls[i] += c.link.stats.calls[i];
	int r = c.result;
	if (r < 0)
		*e = c.err;
	else if (c.redirect) { /* SPEC G-8 F-3 */
		const char *why;
		char shown[128]; /* enough of it to say which (zerr's reason is bounded) */
		memcpy(shown, c.resp.location, sizeof shown - 1);
		shown[sizeof shown - 1] = '\0';
		if (httpc_url_parse(c.resp.location, strlen(c.resp.location), url, next, &why) < 0)
			r = zerr_set(e, ZCP_EXIT_PROTO, "", peer, "the server redirects to '%s': %s", shown, why);
		else if (url->scheme == HTTPC_HTTPS && next->scheme != HTTPC_HTTPS)
			r = zerr_set(e, ZCP_EXIT_PROTO, "", peer, "the server redirects from https to '%s': "
				     "refused", shown);
		else
			r = HGET_REDIRECTED;
	}
	hget_end(&c);
	return r;
}

int hget_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	     struct fetch_report *rep, struct xfer_stats *stats, struct zerr *e)
{
	struct httpc_url at[2]; /* this hop's URL and the next one's */
	struct xfer_stats all = {0};
	char where[NET_ADDR_MAX], addr[HTTPC_HOST_MAX + 16];
	at[0] = cfg->ask ? *cfg->ask : *cfg->url;
	int r;
	unsigned n;
	for (n = 0;; n++) {
		r = hop(sock, peer, cfg, &at[n % 2], out, rep, &all, &at[(n + 1) % 2], e);
		if (r != HGET_REDIRECTED)
			break;
		const struct httpc_url *to = &at[(n + 1) % 2];
		if (n == HGET_REDIRECTS_MAX) {
			r = zerr_set(e, ZCP_EXIT_PROTO, "", peer, "more than %d redirects", HGET_REDIRECTS_MAX);
			break;
		}
		if (cfg->redirected)
			cfg->redirected(cfg->redirected_arg, peer, to);
		snprintf(addr, sizeof addr, to->ipv6 ? "[%s]:%u" : "%s:%u", to->host, (unsigned)to->port);
		int s = net_connect(addr, cfg->timeout_ms, where, sizeof where, e);
		if (s < 0) {
			r = -1;
			break;
		}
		/* the next hop takes the caller's descriptor, so that what the caller does to
		 * it (a stop's shutdown, a failed part's cut) reaches this hop */
		if (dup3(s, sock, O_CLOEXEC) < 0) {
			r = zerr_sys(e, ZCP_EXIT_SYSTEM, "dup3", where, errno);
			close(s);
			break;
		}
		close(s);
		peer = where; /* said from now on: the server answering */
	}
	if (peer == where)
		snprintf(rep->moved_to, sizeof rep->moved_to, "%s", peer);
	if (r == 0 && cfg->landed) /* SPEC G-10: what the parts ask */
		*cfg->landed = at[n % 2];
	if (stats)
		*stats = all;
	return r;
}
