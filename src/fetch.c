/* fetch - request, response, payload, end of stream, commit, ack, linger: the
 * receiver's state machine. */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "frameio.h"
#include "mono.h"
#include "tls.h"

static int ended(struct fetch_conn *c, int result)
{
	c->result = result;
	c->state = FETCH_DONE;
	return STEP_ENDED;
}

/* A probe has no output, and a part's output is the group's (SPEC W-14, R-18). */
static bool owns_output(const struct fetch_conn *c) { return !c->cfg->probe && !c->cfg->part; }

/* SPEC P-6 R-2: the output goes (unless all is well) and the sender is told, with
 * *e already saying why. */
static int go_ack(struct fetch_conn *c, enum wire_ack_status status)
{
	if (status != WIRE_ACK_OK && owns_output(c))
		fsio_out_abort(c->out);
	struct wire_ack ack = {.status = (uint8_t)status, .received = c->job_live ? c->job.res.moved : 0};
	wire_encode_ack(&ack, c->link.frame, sizeof c->link.frame);
	c->ack = status;
	c->link.have = 0;
	c->link.len = WIRE_ACK_SIZE;
	c->state = FETCH_ACK;
	return 0;
}

static int start_payload(struct fetch_conn *c, uint64_t len)
{
	struct xfer_end src = {.kind = XFER_SOCKET, .fd = c->link.sock, .io = step_io(&c->link),
			       .records = c->link.tls.ktls_recv}; /* SPEC T-6: spliced */
	struct xfer_end dst = {.kind = c->out->mode == FSIO_DISCARD ? XFER_DISCARD : XFER_STREAM,
			       .fd = c->out->fd, .nowait = c->out->nowait};
	if (c->cfg->part && dst.kind != XFER_DISCARD) /* SPEC R-18: its own place in the file */
		dst = (struct xfer_end){.kind = XFER_FILE, .fd = c->out->fd,
					.off = (off_t)(c->resp.offset - c->cfg->out_base)};
	c->job_live = true;
	c->payload_start = mono_now();
	c->state = FETCH_PAYLOAD;
	if (xfer_job_init(&c->job, &src, &dst, len, c->cfg->path, c->cfg->chunk, c->cfg->pipes) == 0)
		return 0;
	xfer_explain(&c->job.res, &src, c->peer, &dst, fsio_out_name(c->out), &c->err);
	return c->cfg->raw ? ended(c, -1) : go_ack(c, WIRE_ACK_LOCAL_ERROR);
}

/* SPEC R-11 R-12: the response must answer the request, within --max-size.
 * Returns the ack status that refuses it, or WIRE_ACK_OK. */
static enum wire_ack_status check_response(struct fetch_conn *c)
{
	const struct wire_request *req = &c->req;
	const struct wire_response *resp = &c->resp;
	int bad = wire_response_answers(req, resp);
	if (bad == WIRE_E_NAME) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "sender answered name '%s' for '%s'",
			 resp->name, req->name);
		return WIRE_ACK_PROTOCOL;
	}
	if (bad) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer,
			 "sender answered offset %llu length %llu (file size %llu) for offset %llu "
			 "length %llu", (unsigned long long)resp->offset, (unsigned long long)resp->length,
			 (unsigned long long)resp->file_size, (unsigned long long)req->offset,
			 (unsigned long long)req->length);
		return WIRE_ACK_PROTOCOL;
	}
	/* SPEC R-12 R-22: a continued partial's kept bytes are part of the file */
	uint64_t whole = resp->length + c->cfg->resume.prefix;
	if (c->cfg->max_size && (whole > c->cfg->max_size || whole < resp->length)) {
		zerr_set(&c->err, ZCP_EXIT_FILE, "", c->peer,
			 "the sender offers %llu bytes, more than --max-size %llu",
			 (unsigned long long)whole, (unsigned long long)c->cfg->max_size);
		return WIRE_ACK_LOCAL_ERROR;
	}
	return WIRE_ACK_OK;
}

static int step_request(struct fetch_conn *c)
{
	int r = step_write(&c->link, 0);
	if (r == 0)
		return STEP_OUT;
	if (r < 0) {
		zerr_sys(&c->err, ZCP_EXIT_NET, c->link.tls.ssl ? xfer_sys_name(XS_TLS_WRITE) : "sendto", c->peer, errno);
		step_tls_words(&c->link, &c->err);
		return ended(c, -1);
	}
	c->link.have = 0;
	c->state = FETCH_RESPONSE;
	return 0;
}

static int begin_payload(struct fetch_conn *c);

static int step_response(struct fetch_conn *c)
{
	enum frameio_result r = step_read(&c->link, WIRE_RESPONSE, &c->resp, c->peer, &c->err, NULL);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r == FRAMEIO_BAD && !c->link.tls.ssl && tls_looks_like_record(c->link.frame, c->link.have)) {
		zerr_set(&c->err, ZCP_EXIT_AUTH, "recvfrom", c->peer, "the sender speaks TLS: give --psk-file, --ca "
			 "or --pin"); /* SPEC T-7 */
		return ended(c, -1);
	}
	if (r != FRAMEIO_OK)
		return r == FRAMEIO_BAD ? go_ack(c, WIRE_ACK_PROTOCOL) : ended(c, -1); /* SPEC W-11 */
	if (c->resp.status == WIRE_TLS_REQUIRED) { /* SPEC T-7 */
		zerr_set(&c->err, ZCP_EXIT_AUTH, "recvfrom", c->peer, "the sender requires TLS: give --psk-file, --ca "
			 "or --pin");
		return ended(c, -1);
	}
	if (c->resp.status != WIRE_OK) { /* SPEC R-10; P-4: no ack */
		zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "sender answered %s",
			 wire_status_name(c->resp.status));
		return ended(c, -1);
	}
	enum wire_ack_status st = check_response(c);
	if (st != WIRE_ACK_OK)
		return go_ack(c, st);
	if (c->req.flags & WIRE_FLAG_IDENT) { /* SPEC W-15: the identity comes first */
		c->link.have = 0;
		c->state = FETCH_IDENT;
		return 0;
	}
	return begin_payload(c);
}

static int step_ident(struct fetch_conn *c)
{
	enum frameio_result r = step_read(&c->link, WIRE_IDENT, &c->ident, c->peer, &c->err, NULL);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r != FRAMEIO_OK)
		return r == FRAMEIO_BAD ? go_ack(c, WIRE_ACK_PROTOCOL) : ended(c, -1);
	if (c->ident.size != c->resp.file_size) { /* SPEC W-15: the identity is of the file answered */
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "sender's identity is of a %llu-byte file, its response of a %llu-byte one",
			 (unsigned long long)c->ident.size, (unsigned long long)c->resp.file_size);
		return go_ack(c, WIRE_ACK_PROTOCOL);
	}
	if (c->cfg->resume.if_ident && memcmp(c->cfg->resume.if_ident, &c->ident, sizeof c->ident)) { /* W-16 */
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "sender served another file than the one asked for");
		return go_ack(c, WIRE_ACK_PROTOCOL);
	}
	if (c->cfg->resume.on_ident && c->cfg->resume.on_ident(c->cfg->resume.on_ident_arg, &c->ident, true, &c->err) < 0)
		return go_ack(c, WIRE_ACK_LOCAL_ERROR);
	return begin_payload(c);
}

/* The response is accepted: the output opens, the payload starts. */
static int begin_payload(struct fetch_conn *c)
{
	if (c->cfg->probe) /* SPEC W-14: what was asked is known; nothing follows */
		return ended(c, 0);
	if (owns_output(c) && fsio_out_open(c->out, fsio_base_name(c->resp.name), &c->err) < 0) /* SPEC R-4 */
		return go_ack(c, WIRE_ACK_LOCAL_ERROR);
	return start_payload(c, c->resp.length);
}

/* SPEC P-9 R-12: raw mode reads to end of stream, and one byte past --max-size
 * (read to know) is a failure; then it commits. */
static int raw_end(struct fetch_conn *c, int r)
{
	struct xfer_result *res = &c->job.res;
	if (r < 0 && res->status != XFER_SHORT) {
		xfer_explain(res, &c->job.src, c->peer, &c->job.dst, fsio_out_name(c->out), &c->err);
		step_tls_words(&c->link, &c->err);
		return ended(c, -1);
	}
	if (r == 0 && c->job.len != XFER_TO_EOF) {
		zerr_set(&c->err, ZCP_EXIT_FILE, "", c->peer, "more than --max-size %llu bytes arrived",
			 (unsigned long long)c->cfg->max_size);
		return ended(c, -1);
	}
	if (fsio_out_commit(c->out, &c->err) < 0)
		return ended(c, -1);
	c->committed = true;
	return ended(c, 0);
}

static int step_payload(struct fetch_conn *c, uint64_t budget)
{
	int want, r = step_job(&c->link, &c->job, budget, &want);
	c->seconds = mono_now() - c->payload_start;
	if (c->out->nowait && !c->job.dst.nowait) /* SPEC P-10: the kernel refused RWF_NOWAIT */
		c->out->nowait = false;
	if (want)
		return want;
	if (c->cfg->raw)
		return raw_end(c, r);
	if (r == 0) {
		c->link.have = 0;
		c->frame_since = mono_ms();
		c->state = c->cfg->verify ? FETCH_TRAILER : FETCH_EOF;
		return 0;
	}
	struct xfer_result *res = &c->job.res;
	c->expired = res->status == XFER_FAILED && res->err == ETIMEDOUT;
	if (res->status == XFER_SHORT) { /* SPEC R-7 */
		zerr_set(&c->err, ZCP_EXIT_PROTO, xfer_sys_name(res->call), c->peer,
			 "connection closed after %llu of %llu bytes", (unsigned long long)res->moved,
			 (unsigned long long)c->job.len);
		return go_ack(c, WIRE_ACK_SHORT);
	}
	xfer_explain(res, &c->job.src, c->peer, &c->job.dst, fsio_out_name(c->out), &c->err);
	step_tls_words(&c->link, &c->err);
	return go_ack(c, c->err.code == ZCP_EXIT_NET ? WIRE_ACK_SHORT : WIRE_ACK_LOCAL_ERROR);
}

/* SPEC R-19: the sender's hash of what it served; then what was stored is read back. */
static int step_trailer(struct fetch_conn *c)
{
	enum frameio_result r = step_read(&c->link, WIRE_TRAILER, &c->trailer, c->peer, &c->err, NULL);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r != FRAMEIO_OK)
		return go_ack(c, r == FRAMEIO_BAD ? WIRE_ACK_PROTOCOL : WIRE_ACK_SHORT);
	uint64_t from = c->cfg->part ? c->resp.offset - c->cfg->out_base : 0;
	uint64_t to = c->cfg->part ? from + c->resp.length : c->cfg->resume.prefix + c->resp.length;
	if (fhash_start(&c->hash, c->out->fd, from, to) < 0) {
		zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "malloc", "", errno);
		return go_ack(c, WIRE_ACK_LOCAL_ERROR);
	}
	c->hash_live = true;
	c->state = FETCH_HASH;
	return 0;
}

static int step_hash(struct fetch_conn *c, uint64_t budget)
{
	uint64_t before = c->hash.at;
	uint8_t mine[WIRE_HASH_SIZE];
	int r = fhash_advance(&c->hash, budget, &c->link.stats, mine, fsio_out_name(c->out), "stored", &c->err);
	step_moved(&c->link, c->hash.at - before); /* reading back is progress */
	if (r < 0)
		return go_ack(c, WIRE_ACK_LOCAL_ERROR);
	if (r == 0)
		return STEP_YIELD | STEP_IN;
	if ((c->mismatch = memcmp(mine, c->trailer.hash, sizeof mine) != 0)) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "the XXH3-128 of the %llu bytes stored does not "
			 "match the sender's", (unsigned long long)(c->cfg->part ? c->resp.length : c->cfg->resume.prefix + c->resp.length));
		return go_ack(c, WIRE_ACK_PROTOCOL);
	}
	c->state = FETCH_EOF;
	return 0;
}

/* SPEC P-8 P-5: after the payload the sender's next event must be end of stream;
 * then the output is committed, before the ack says so. */
static int step_eof(struct fetch_conn *c)
{
	struct xfer_ctx ctx = step_ctx(&c->link);
	uint8_t extra;
	uint64_t got;
	struct xfer_op op = xfer_op_sock(true, c->link.sock, step_io(&c->link), &extra, 0);
	int r = xfer_move(&op, 1, false, &ctx, &got);
	if (r == XFER_AGAIN)
		return STEP_IN;
	if (r == 0) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, xfer_sys_name(op.sys), c->peer, "peer sent more than declared");
		return go_ack(c, WIRE_ACK_PROTOCOL);
	}
	if (r < 0) { /* through TLS: a cut without close_notify too (SPEC T-5) */
		c->expired = errno == ETIMEDOUT;
		zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(op.sys), c->peer, errno);
		step_tls_words(&c->link, &c->err);
		return go_ack(c, WIRE_ACK_SHORT);
	}
	/* a part is acknowledged once stored; the group commits (SPEC R-18) */
	if (owns_output(c) && fsio_out_commit(c->out, &c->err) < 0)
		return go_ack(c, WIRE_ACK_LOCAL_ERROR);
	c->committed = true;
	return go_ack(c, WIRE_ACK_OK);
}

static int step_ack(struct fetch_conn *c)
{
	int r = step_write(&c->link, 0);
	if (r == 0)
		return STEP_OUT;
	if (c->ack == WIRE_ACK_OK) { /* SPEC R-15: committed is committed */
		if (r < 0)
			c->ack_err = errno;
		return ended(c, 0);
	}
	/* SPEC R-14: half-close, then drop what still comes until the sender closes, so
	 * that the ack is not destroyed by the reset an unread byte would cause; a sender
	 * silent for a whole wait has nothing unread to drain */
	if (r < 0 || c->expired || shutdown(c->link.sock, SHUT_WR) < 0)
		return ended(c, -1);
	c->linger_until = mono_ms() + FETCH_LINGER_MS;
	c->state = FETCH_LINGER;
	return 0;
}

static int step_linger(struct fetch_conn *c)
{
	struct xfer_ctx ctx = step_ctx(&c->link);
	ctx.call_cap = 1 << 30; /* a length the kernel accepts with no buffer */
	struct xfer_op op = xfer_op_mem(XS_RECVFROM, c->link.sock, NULL, MSG_TRUNC | MSG_DONTWAIT);
	uint64_t got;
	int r = xfer_move(&op, UINT64_MAX, true, &ctx, &got);
	return r == XFER_AGAIN ? STEP_IN : ended(c, -1);
}

/* SPEC P-9: the output opens and the stream is read to its end. */
static int start_raw(struct fetch_conn *c)
{
	if (fsio_out_open(c->out, "", &c->err) < 0)
		return ended(c, -1);
	return start_payload(c, c->cfg->max_size ? c->cfg->max_size + 1 : XFER_TO_EOF);
}

/* SPEC T-4: nothing is sent or opened before the peer is authenticated. */
static int step_auth(struct fetch_conn *c)
{
	int r = step_handshake(&c->link, c->cfg->tls, c->peer, &c->err);
	if (r)
		return r < 0 ? ended(c, -1) : r;
	if (c->cfg->raw)
		return start_raw(c);
	c->state = FETCH_REQUEST;
	return 0;
}

void fetch_init(struct fetch_conn *c, int sock, const char *peer, const struct fetch_cfg *cfg,
		struct fsio_out *out)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->link.sock = sock;
	c->out = out;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->link.progress_ms = c->frame_since = mono_ms();
	c->state = cfg->tls ? FETCH_HANDSHAKE : FETCH_REQUEST;
	if (cfg->raw) {
		if (!cfg->tls)
			start_raw(c);
		return;
	}
	c->req = (struct wire_request){.offset = cfg->offset, .length = cfg->length,
				       .flags = (uint8_t)((cfg->probe ? WIRE_FLAG_PROBE : 0) |
							  (cfg->verify && !cfg->probe ? WIRE_FLAG_VERIFY : 0) |
							  (cfg->resume.want_ident ? WIRE_FLAG_IDENT : 0) |
							  (cfg->resume.if_ident ? WIRE_FLAG_IF_IDENT : 0))};
	if (cfg->name) {
		c->req.name_len = (uint16_t)strnlen(cfg->name, ZCP_PATH_MAX + 1);
		memcpy(c->req.name, cfg->name, c->req.name_len);
	}
	ssize_t n = wire_encode_request(&c->req, c->link.frame, sizeof c->link.frame);
	if (n < 0) {
		zerr_set(&c->err, ZCP_EXIT_USAGE, "", "", "invalid request: %s", wire_strerror((int)n));
		ended(c, -1);
		return;
	}
	c->link.len = (size_t)n;
	if (cfg->resume.if_ident) /* SPEC W-16: the identity right after the request */
		c->link.len += (size_t)wire_encode_ident(cfg->resume.if_ident, c->link.frame + n, sizeof c->link.frame - (size_t)n);
}

int fetch_step(struct fetch_conn *c, short events, uint64_t budget)
{
	(void)events; /* every state knows what it waits for */
	for (;;) {
		int r = 0;
		switch (c->state) {
		case FETCH_HANDSHAKE: r = step_auth(c); break;
		case FETCH_REQUEST: r = step_request(c); break;
		case FETCH_RESPONSE: r = step_response(c); break;
		case FETCH_IDENT: r = step_ident(c); break;
		case FETCH_PAYLOAD: r = step_payload(c, budget); break;
		case FETCH_TRAILER: r = step_trailer(c); break;
		case FETCH_HASH: r = step_hash(c, budget); break;
		case FETCH_EOF: r = step_eof(c); break;
		case FETCH_ACK: r = step_ack(c); break;
		case FETCH_LINGER: r = step_linger(c); break;
		case FETCH_DONE: r = STEP_ENDED; break;
		}
		if (r)
			return r;
	}
}

int64_t fetch_deadline(const struct fetch_conn *c)
{
	const struct fetch_cfg *cfg = c->cfg;
	int64_t idle = cfg->timeout_ms >= 0 ? c->link.progress_ms + cfg->timeout_ms : 0;
	int64_t total = c->state == FETCH_LINGER ? c->linger_until : 0;
	bool framed = c->state <= FETCH_IDENT || c->state == FETCH_TRAILER; /* SPEC P-13 */
	if (framed && cfg->header_timeout_ms > 0 && !cfg->raw)
		total = c->frame_since + cfg->header_timeout_ms;
	return total && (!idle || total < idle) ? total : idle;
}

void fetch_expire(struct fetch_conn *c)
{
	if (c->state == FETCH_LINGER) {
		ended(c, -1);
		return;
	}
	bool tls = c->link.tls.ssl, out = c->state == FETCH_REQUEST || c->state == FETCH_ACK;
	bool job_waited = c->state == FETCH_PAYLOAD && c->job_live && c->job.wait_sys != XS_COUNT;
	const char *call = job_waited ? xfer_sys_name(c->job.wait_sys) /* splice, or SSL_read (T-6) */
			 : tls ? xfer_sys_name(out ? XS_TLS_WRITE : XS_TLS_READ) : out ? "sendto" : "recvfrom";
	bool told = c->state == FETCH_ACK;
	const char *stalled = c->state == FETCH_PAYLOAD && c->job_live ? xfer_job_out_wait(&c->job) : NULL;
	if (stalled && step_out_taken(&c->link, c->job.dst.fd))
		return; /* SPEC P-10: its reader took bytes, a page not yet whole */
	if (stalled) /* SPEC P-10 R-9: the output took nothing, not the sender */
		fsio_out_stalled(c->out, stalled, c->cfg->timeout_ms, &c->err);
	else if (c->state == FETCH_HANDSHAKE) /* our deadline, worded as the sender's (serve_expire) */
		zerr_set(&c->err, ZCP_EXIT_NET, "SSL_do_handshake", c->peer, "timed out waiting for the TLS handshake");
	else
		zerr_sys(&c->err, ZCP_EXIT_NET, call, c->peer, ETIMEDOUT);
	/* silent for a whole wait (P-10), not only slow past the header deadline (P-13) */
	c->expired = !stalled && c->cfg->timeout_ms >= 0 && mono_ms() >= c->link.progress_ms + c->cfg->timeout_ms;
	if (told || c->state <= FETCH_RESPONSE || c->cfg->raw) {
		ended(c, -1);
		return;
	}
	c->link.progress_ms = mono_ms(); /* the ack gets its own time */
	go_ack(c, stalled ? WIRE_ACK_LOCAL_ERROR : WIRE_ACK_SHORT);
}

void fetch_abandon(struct fetch_conn *c, const char *reason)
{
	zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "%s", reason);
	ended(c, -1);
}

void fetch_end(struct fetch_conn *c)
{
	if (c->job_live)
		xfer_job_free(&c->job);
	c->job_live = false;
	if (c->hash_live)
		fhash_end(&c->hash);
	c->hash_live = false;
	if (!c->committed && owns_output(c))
		fsio_out_abort(c->out);
	tls_conn_end(&c->link.tls);
}

void fetch_report_of(const struct fetch_conn *c, struct fetch_report *rep)
{
	*rep = (struct fetch_report){.resp = c->resp, .seconds = c->seconds, .ack_err = c->ack_err,
				     .mismatch = c->mismatch, .ident = c->ident, .tls = c->link.tls.mode,
				     .path = c->job_live ? c->job.path : c->cfg->path};
	if (c->job_live)
		rep->received = c->job.res.moved;
}

/* A push the server takes: the transfer, and its own copy of the directory's
 * output. The fetch_conn comes first, so every op but init sees one. */
struct fetch_pushed {
	struct fetch_conn f;
	struct fsio_out out;
};

static void ops_init(void *conn, int sock, const char *peer, const void *arg)
{
	struct fetch_pushed *p = conn;
	const struct fetch_push *push = arg;
	p->out = *push->out; /* before any arming */
	fetch_init(&p->f, sock, peer, push->cfg, &p->out);
}

static int ops_step(void *c, short events, uint64_t budget) { return fetch_step(c, events, budget); }
static int64_t ops_deadline(const void *c) { return fetch_deadline(c); }
static void ops_expire(void *c) { fetch_expire(c); }
static void ops_abandon(void *c, const char *why) { fetch_abandon(c, why); }
static void ops_end(void *c) { fetch_end(c); }

static int ops_report(const void *conn, struct step_log *l)
{
	const struct fetch_conn *c = conn;
	struct fetch_report rep;
	fetch_report_of(c, &rep);
	*l = (struct step_log){
		/* the name from c, not rep: the log is read after this frame is gone */
		.received = true, .peer = c->peer, .name = c->resp.name, .offset = rep.resp.offset,
		.length = rep.resp.length, .bytes = rep.received, .seconds = rep.seconds,
		.path = rep.path, .err = &c->err, .stats = &c->link.stats, .tls = rep.tls,
	};
	return l->result = c->result < 0 ? (int)c->err.code : 0;
}

static int ops_wait_fd(const void *conn)
{
	const struct fetch_conn *c = conn;
	return c->state == FETCH_PAYLOAD && c->job_live && c->job.wait_fd >= 0 ? c->job.wait_fd : c->link.sock;
}

static void ops_moved(const void *conn, uint64_t *moved, uint64_t *total)
{
	const struct fetch_conn *c = conn;
	*moved = c->job_live ? c->job.res.moved : 0;
	*total = c->resp.length;
}

/* SPEC R-16: a sender over the limit has no status to hear (busy NULL). */
const struct step_ops fetch_ops = {
	.size = sizeof(struct fetch_pushed), .init = ops_init, .step = ops_step, .deadline = ops_deadline,
	.expire = ops_expire, .abandon = ops_abandon, .report = ops_report, .end = ops_end,
	.received = true, .wait_fd = ops_wait_fd, .moved = ops_moved,
};

int fetch_one(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct xfer_stats *stats, struct zerr *e)
{
	struct fetch_conn c;
	/* one transfer: each call waits in the kernel, bounded, rather than a poll()
	 * after every short read (non-blocking, as in a loop, still works if refused) */
	net_block(sock, cfg->timeout_ms);
	fetch_init(&c, sock, peer, cfg, out);
	step_drive(&c, &fetch_ops, &c.link.stats, cfg->progress);
	fetch_report_of(&c, rep);
	if (stats)
		*stats = c.link.stats;
	if (c.result < 0)
		*e = c.err;
	fetch_end(&c);
	return c.result;
}

int fetch_run(int sock, const char *peer, const struct fetch_cfg *cfg, struct fsio_out *out,
	      struct fetch_report *rep, struct xfer_stats *stats, struct zerr *e)
{
	return (cfg->run ? cfg->run : fetch_one)(sock, peer, cfg, out, rep, stats, e);
}
