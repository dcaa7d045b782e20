/* serve - request, response, payload, ack: the sender's state machine. */
#include "serve.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frameio.h"
#include "fsio.h"
#include "ident.h"
#include "mono.h"

static int ended(struct serve_conn *c, int result)
{
	c->result = result;
	c->state = SERVE_DONE;
	return STEP_ENDED;
}

/* Explains why the identity of the file served could not be made (SPEC W-15, E-1):
 * no key, or libcrypto out of memory, both the system's (exit 1). */
static void identity_failed(struct serve_conn *c, int err)
{
	if (err == EAGAIN)
		zerr_set(&c->err, ZCP_EXIT_SYSTEM, "identity", c->name, "no key (no machine id and no random bytes)");
	else
		zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "identity", c->name, err);
}

/* Opens what the request names and works out the range (SPEC P-2, P-3, S-1, S-9,
 * S-12). Returns the response status, with c->err set for a refusal. */
static enum wire_status open_source(struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	const struct wire_request *q = &c->req;
	struct stat st; /* S-1's check: the size and the identity are of the version it saw */
	int fd;
	c->name = q->name_len ? q->name : cfg->file ? fsio_base_name(cfg->file) : "";
	if (cfg->file) {
		if (q->name_len && strcmp(q->name, fsio_base_name(cfg->file)) != 0) {
			zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "asked for unknown name '%s'", q->name);
			return WIRE_NOT_FOUND;
		}
		fd = fsio_open_input(cfg->file, &st, &c->err);
	} else {
		if (!q->name_len) {
			zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "asked for no name; a root serves named files");
			return WIRE_NOT_FOUND;
		}
		fd = fsio_open_beneath(cfg->rootfd, q->name, &st, &c->err);
	}
	if (fd < 0)
		return fd == -1 ? WIRE_NOT_FOUND : WIRE_SERVER_ERROR;
	c->size = (uint64_t)st.st_size;
	if (ident_of(&st, &c->ident) < 0) {
		identity_failed(c, errno);
		close(fd);
		return WIRE_SERVER_ERROR;
	}
	if ((q->flags & WIRE_FLAG_IF_IDENT) && memcmp(&c->asked, &c->ident, sizeof c->ident)) {
		close(fd); /* SPEC W-16: before the range, which a changed file may not have */
		zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "'%s' changed since the receiver's copy began",
			 c->name);
		return WIRE_CHANGED;
	}
	if (q->offset > c->size) {
		close(fd);
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "asked for offset %llu past the end (%llu bytes)",
			 (unsigned long long)q->offset, (unsigned long long)c->size);
		return WIRE_BAD_RANGE;
	}
	c->file_fd = fd;
	c->offset = q->offset;
	uint64_t avail = c->size - q->offset;
	c->length = q->length == 0 || q->length > avail ? avail : q->length;
	return WIRE_OK;
}

/* A send or receive of a frame failed with errno: said, through TLS as such. */
static void net_failed(struct serve_conn *c, const char *call)
{
	if (c->link.tls.ssl)
		call = xfer_sys_name(strcmp(call, "sendto") ? XS_TLS_READ : XS_TLS_WRITE);
	zerr_sys(&c->err, ZCP_EXIT_NET, call, c->peer, errno);
	step_tls_words(&c->link, &c->err);
}

/* Puts the response (or a refusal, SPEC P-4) into c->link.frame to be sent. */
static void prepare_response(struct serve_conn *c, enum wire_status status)
{
	struct wire_response r = {.status = (uint8_t)status};
	if (status == WIRE_OK) {
		r.file_size = c->size, r.offset = c->offset, r.length = c->length;
		r.name_len = (uint16_t)strlen(c->name); /* a valid name: a base name or the request's */
		memcpy(r.name, c->name, r.name_len);
	}
	ssize_t n = wire_encode_response(&r, c->link.frame, sizeof c->link.frame);
	c->link.len = n > 0 ? (size_t)n : 0;
	if (n > 0 && status == WIRE_OK && (c->req.flags & WIRE_FLAG_IDENT)) { /* SPEC W-15: right after */
		ssize_t m = wire_encode_ident(&c->ident, c->link.frame + n, sizeof c->link.frame - (size_t)n);
		if (m < 0) {
			zerr_set(&c->err, ZCP_EXIT_SYSTEM, "", c->name, "identity frame: %s", wire_strerror((int)m));
			prepare_response(c, WIRE_SERVER_ERROR);
			return;
		}
		c->link.len += (size_t)m;
	}
	c->link.have = 0; /* bytes of it sent */
	c->refusing = status != WIRE_OK;
	c->state = SERVE_RESPONSE;
}

static int step_request(struct serve_conn *c)
{
	int werr;
	enum frameio_result r = step_read(&c->link, WIRE_REQUEST, &c->req, c->peer, &c->err, &werr);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r != FRAMEIO_OK) {
		if (r != FRAMEIO_BAD)
			return ended(c, -1);
		if (!c->link.tls.ssl && tls_looks_like_record(c->link.frame, c->link.have)) { /* SPEC T-7 */
			zerr_set(&c->err, ZCP_EXIT_AUTH, "recvfrom", c->peer, "the receiver speaks TLS; this sender has no "
				 "--psk-file or --cert");
			step_drop_input(&c->link);
			return ended(c, -1);
		}
		/* SPEC P-4 W-6: answered when the connection still takes it */
		prepare_response(c, werr == WIRE_E_VERSION ? WIRE_BAD_VERSION : WIRE_BAD_REQUEST);
		return 0;
	}
	if (c->req.flags & WIRE_FLAG_IF_IDENT) { /* SPEC W-16: the identity follows */
		c->link.have = 0;
		c->state = SERVE_IDENT;
		return 0;
	}
	prepare_response(c, open_source(c));
	return 0;
}

static int step_ident(struct serve_conn *c)
{
	enum frameio_result r = step_read(&c->link, WIRE_IDENT, &c->asked, c->peer, &c->err, NULL);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r != FRAMEIO_OK) {
		if (r != FRAMEIO_BAD)
			return ended(c, -1);
		prepare_response(c, WIRE_BAD_REQUEST);
		return 0;
	}
	prepare_response(c, open_source(c));
	return 0;
}

/* The payload starts: a job from the file to the socket. */
static int start_payload(struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	struct xfer_end src = {.kind = XFER_FILE, .fd = c->file_fd, .off = (off_t)c->offset};
	/* SPEC T-6: where the kernel encrypts, every path writes to the socket itself */
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = c->link.sock,
			       .io = c->link.tls.ktls_send ? NULL : step_io(&c->link)};
	c->job_live = true;
	c->payload_start = mono_now();
	c->watch_ack = !cfg->raw && !c->link.tls.ssl; /* an ack is not peeked at through TLS */
	c->state = SERVE_PAYLOAD;
	if (xfer_job_init(&c->job, &src, &dst, c->length, cfg->path, cfg->chunk, NULL) < 0) {
		xfer_explain(&c->job.res, &src, c->name, &dst, c->peer, &c->err);
		return ended(c, -1);
	}
	return 0;
}

static int step_response(struct serve_conn *c)
{
	bool probe = c->req.flags & WIRE_FLAG_PROBE;
	/* SPEC S-6: the header shares its segment with the first payload bytes */
	int r = step_write(&c->link, !c->refusing && c->length && !probe ? MSG_MORE : 0);
	if (r == 0)
		return STEP_OUT;
	if (r < 0) {
		if (!c->refusing) /* a refusal's error is the refusal; one that cannot be said changes nothing */
			net_failed(c, "sendto");
		return ended(c, -1);
	}
	if (c->refusing)
		return ended(c, -1);
	if (probe) /* SPEC W-14: the answer is all it asked for */
		return ended(c, 0);
	return start_payload(c);
}

/* SPEC S-11: the receiver said something while it was being sent to. Takes an ack
 * that is there whole, without waiting; anything else (end of stream, a reset, a
 * part of a frame) is left for the next send or the ack wait to report, and the
 * transfer stops watching. Returns 1 with c->link.frame holding the ack, or 0. */
static int queued_ack(struct serve_conn *c, struct wire_ack *ack)
{
	struct xfer_ctx ctx = step_ctx(&c->link);
	struct xfer_op peek = xfer_op_mem(XS_RECVFROM, c->link.sock, c->link.frame, MSG_PEEK);
	uint64_t got;
	c->watch_ack = false;
	if (xfer_move(&peek, WIRE_ACK_SIZE, false, &ctx, &got) != 0 || got < WIRE_ACK_SIZE ||
	    wire_parse_ack(c->link.frame, WIRE_ACK_SIZE, ack) != WIRE_ACK_SIZE)
		return 0;
	struct xfer_op take = xfer_op_mem(XS_RECVFROM, c->link.sock, c->link.frame, 0);
	return xfer_move(&take, WIRE_ACK_SIZE, true, &ctx, &got) == 0;
}

/* SPEC P-7: only ack OK for every declared byte is success. */
static int judge_ack(struct serve_conn *c, const struct wire_ack *ack)
{
	if (ack->status == WIRE_ACK_OK && ack->received == c->length && c->state == SERVE_ACK)
		return ended(c, 0);
	if (ack->status == WIRE_ACK_OK && ack->received == c->length)
		zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "receiver acknowledged before the end of the payload");
	else
		zerr_set(&c->err, ZCP_EXIT_PEER, "", c->peer, "receiver reported %s after %llu of %llu bytes",
			 wire_ack_status_name(ack->status), (unsigned long long)ack->received,
			 (unsigned long long)c->length);
	return ended(c, -1);
}

/* The payload job stopped for good: a truncated file (SPEC S-2), the receiver's
 * own word (S-11: an ack a reset left behind), or the error. */
static int payload_failed(struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	struct xfer_result *res = &c->job.res;
	struct wire_ack ack;
	if (c->watch_ack && res->status == XFER_FAILED && !res->at_src && queued_ack(c, &ack))
		return judge_ack(c, &ack);
	if (res->status == XFER_SHORT)
		zerr_set(&c->err, ZCP_EXIT_FILE, xfer_sys_name(res->call), cfg->file ? cfg->file : c->name,
			 "file truncated at offset %llu (expected %llu bytes)",
			 (unsigned long long)(c->offset + res->moved),
			 (unsigned long long)(c->offset + c->length));
	else
		xfer_explain(res, &c->job.src, cfg->file ? cfg->file : c->name, &c->job.dst, c->peer, &c->err);
	step_tls_words(&c->link, &c->err);
	return ended(c, -1);
}

static int payload_sent(struct serve_conn *c);

/* SPEC W-17: from byte 0 for a resume of the rest (IF_IDENT and length 0); a part
 * of --streams carries IF_IDENT too but names its length, and its hash covers its range. */
static uint64_t hash_from(const struct serve_conn *c)
{
	return (c->req.flags & WIRE_FLAG_IF_IDENT) && c->req.length == 0 ? 0 : c->offset;
}

static int trailer_ready(struct serve_conn *c, const struct wire_trailer *t);

static int step_payload(struct serve_conn *c, short events, uint64_t *left)
{
	struct wire_ack ack;
	if ((events & POLLIN) && c->watch_ack && queued_ack(c, &ack))
		return judge_ack(c, &ack);
	struct xfer_ctx ctx = step_ctx(&c->link);
	uint64_t before = c->job.res.moved;
	int r = xfer_job_step(&c->job, *left, &ctx);
	uint64_t moved = c->job.res.moved - before;
	step_moved(&c->link, moved);
	*left -= moved < *left ? moved : *left;
	c->seconds = mono_now() - c->payload_start;
	if (r == XFER_MORE) /* still writable; the others first */
		return STEP_YIELD | STEP_OUT | (c->watch_ack ? STEP_IN : 0);
	if (r == XFER_AGAIN)
		return (c->job.wait_in ? STEP_IN : STEP_OUT) | (c->watch_ack ? STEP_IN : 0);
	if (r < 0)
		return payload_failed(c);
	if (c->req.flags & WIRE_FLAG_VERIFY) { /* SPEC W-17 */
		struct wire_trailer t;
		if (fhash_cached(&c->ident, hash_from(c), c->offset + c->length, t.hash))
			return trailer_ready(c, &t); /* this file, unchanged, was hashed before */
		if (fhash_start(&c->hash, c->file_fd, hash_from(c), c->offset + c->length) < 0) {
			zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "malloc", "", errno);
			return ended(c, -1);
		}
		c->hash_live = true;
		c->state = SERVE_HASH;
		return 0;
	}
	return payload_sent(c);
}

/* The payload (and trailer) are out: the end of stream says so; then the ack. */
static int payload_sent(struct serve_conn *c)
{
	c->state = SERVE_CLOSE;
	return 0;
}

/* SPEC P-5 T-5: the end said inside TLS (close_notify: not a cut), then in TCP. */
static int step_close(struct serve_conn *c)
{
	int r = c->link.tls.ssl ? tls_close_notify(&c->link.tls) : 1;
	if (r == 0)
		return STEP_OUT;
	if (r < 0) {
		zerr_sys(&c->err, ZCP_EXIT_NET, "SSL_shutdown", c->peer, errno);
		return ended(c, -1);
	}
	if (shutdown(c->link.sock, SHUT_WR) < 0) {
		zerr_sys(&c->err, ZCP_EXIT_NET, "shutdown", c->peer, errno);
		return ended(c, -1);
	}
	if (c->cfg->raw)
		return ended(c, 0);
	c->link.have = 0;
	c->ack_since_ms = mono_ms();
	c->state = SERVE_ACK;
	return 0;
}

/* SPEC W-17: whether the receiver went away (closed or reset: it waits for the
 * trailer, so it has no reason to), looked at between turns of the hash. */
static bool peer_gone(struct serve_conn *c)
{
	struct pollfd p = {.fd = c->link.sock, .events = POLLRDHUP};
	c->link.stats.calls[XS_POLL]++;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* SPEC W-17 P-11: what is left of the turn's budget hashed (the others are
 * served between turns), while the receiver is there to hear it; then the trailer. */
static int step_hash(struct serve_conn *c, uint64_t *left)
{
	struct wire_ack ack;
	if (peer_gone(c)) {
		if (queued_ack(c, &ack)) /* its own word, when it gave one */
			return judge_ack(c, &ack);
		zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "receiver went away while the file was hashed");
		return ended(c, -1);
	}
	if (!*left)
		return STEP_YIELD | STEP_OUT;
	uint64_t before = c->hash.at;
	struct wire_trailer t;
	int r = fhash_advance(&c->hash, *left, &c->link.stats, t.hash, c->cfg->file ? c->cfg->file : c->name,
			      "sent", &c->err);
	*left -= c->hash.at - before;
	step_moved(&c->link, c->hash.at - before); /* hashing is progress: no idle timeout */
	if (r < 0)
		return ended(c, -1);
	if (r == 0)
		return STEP_YIELD | STEP_OUT;
	if (fsio_settled(c->file_fd, &c->ident)) /* not a file that may still be changing */
		fhash_remember(&c->ident, hash_from(c), c->hash.end, t.hash);
	return trailer_ready(c, &t);
}

/* The trailer with hash t is to be sent. */
static int trailer_ready(struct serve_conn *c, const struct wire_trailer *t)
{
	c->link.len = (size_t)wire_encode_trailer(t, c->link.frame, sizeof c->link.frame);
	c->link.have = 0;
	c->state = SERVE_TRAILER;
	return 0;
}

static int step_trailer(struct serve_conn *c)
{
	int r = step_write(&c->link, 0);
	if (r == 0)
		return STEP_OUT;
	if (r < 0) {
		net_failed(c, "sendto");
		return ended(c, -1);
	}
	return payload_sent(c);
}

static int step_ack(struct serve_conn *c)
{
	struct wire_ack ack;
	enum frameio_result r = step_read(&c->link, WIRE_ACK, &ack, c->peer, &c->err, NULL);
	if (r == FRAMEIO_AGAIN)
		return STEP_IN;
	if (r != FRAMEIO_OK)
		return ended(c, -1);
	return judge_ack(c, &ack);
}

static int start_raw(struct serve_conn *c);

void serve_init(struct serve_conn *c, int sock, const char *peer, const struct serve_cfg *cfg)
{
	memset(c, 0, sizeof *c);
	c->link.sock = sock;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->file_fd = -1;
	c->started_ms = c->link.progress_ms = mono_ms();
	c->state = cfg->tls ? SERVE_HANDSHAKE : SERVE_REQUEST;
	c->cfg = cfg;
	if (!cfg->raw || cfg->tls)
		return;
	start_raw(c);
}

/* SPEC P-9: the whole file, no frames. */
static int start_raw(struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	c->name = fsio_base_name(cfg->file);
	struct stat st;
	c->file_fd = fsio_open_input(cfg->file, &st, &c->err);
	if (c->file_fd < 0)
		return ended(c, -1);
	c->length = c->size = (uint64_t)st.st_size;
	return start_payload(c);
}

/* What plaintext_request() found; PLAIN_ANSWERED is no STEP_* bit, so that it is
 * never read as a wait (a silent peer once made the step loop on it). */
enum plain_result { PLAIN_NOT = 0, PLAIN_WAIT = STEP_IN, PLAIN_ANSWERED = -1 };
_Static_assert(PLAIN_ANSWERED < 0, "PLAIN_ANSWERED must not be a STEP_* bit");

/* SPEC T-7: a ZCP/1 request where a TLS handshake should begin hears, in
 * plaintext, TLS_REQUIRED (what it sent dropped first, so that the close does not
 * reset the answer away). Returns PLAIN_ANSWERED when it is one, PLAIN_NOT when it
 * is not, or PLAIN_WAIT (STEP_IN) until the first four bytes are there. */
static enum plain_result plaintext_request(struct serve_conn *c)
{
	uint8_t head[4];
	ssize_t n = recv(c->link.sock, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
	c->link.stats.calls[XS_RECVFROM]++;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return PLAIN_WAIT;
	if (n < (ssize_t)sizeof head || memcmp(head, "ZCQ1", 4) != 0)
		return PLAIN_NOT; /* the handshake says what it is */
	step_drop_input(&c->link);
	zerr_set(&c->err, ZCP_EXIT_AUTH, "recvfrom", c->peer, "a plaintext request: this sender requires TLS");
	prepare_response(c, WIRE_TLS_REQUIRED);
	return PLAIN_ANSWERED;
}

/* SPEC T-4: nothing is opened, read or answered before the peer is authenticated. */
static int step_auth(struct serve_conn *c)
{
	bool first = !c->link.tls.ssl && !c->cfg->raw && tls_ctx_listener(c->cfg->tls); /* its peer speaks first */
	enum plain_result p = first ? plaintext_request(c) : PLAIN_NOT;
	if (p == PLAIN_WAIT)
		return STEP_IN;
	if (p == PLAIN_ANSWERED)
		return 0; /* the response is prepared: step on to send it */
	int r = step_handshake(&c->link, c->cfg->tls, c->peer, &c->err);
	if (r)
		return r < 0 ? ended(c, -1) : r;
	if (c->cfg->raw)
		return start_raw(c);
	c->state = SERVE_REQUEST;
	return c->hold ? STEP_IN : 0;
}

int serve_step(struct serve_conn *c, short events, uint64_t budget)
{
	uint64_t left = budget; /* SPEC P-11: the payload and the hash share a turn's */
	for (;;) {
		int r = 0;
		switch (c->state) {
		case SERVE_HANDSHAKE: r = step_auth(c); break;
		case SERVE_REQUEST: r = step_request(c); break;
		case SERVE_IDENT: r = step_ident(c); break;
		case SERVE_RESPONSE: r = step_response(c); break;
		case SERVE_PAYLOAD: r = step_payload(c, events, &left); break;
		case SERVE_HASH: r = step_hash(c, &left); break;
		case SERVE_TRAILER: r = step_trailer(c); break;
		case SERVE_CLOSE: r = step_close(c); break;
		case SERVE_ACK: r = step_ack(c); break;
		case SERVE_DONE: r = STEP_ENDED; break;
		}
		if (r)
			return r;
		events = 0; /* a new state has not seen them */
	}
}

int64_t serve_deadline(const struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	if (c->state == SERVE_ACK) /* SPEC P-13: one frame, whole, not a byte per timeout */
		return cfg->timeout_ms >= 0 ? c->ack_since_ms + cfg->timeout_ms : 0;
	int64_t idle = cfg->timeout_ms >= 0 ? c->link.progress_ms + cfg->timeout_ms : 0;
	int64_t header = c->state <= SERVE_IDENT && cfg->header_timeout_ms >= 0 /* SPEC T-4: the handshake too */
			 ? c->started_ms + cfg->header_timeout_ms : 0;
	if (!idle || (header && header < idle))
		return header;
	return idle;
}

void serve_expire(struct serve_conn *c)
{
	static const char *const waiting[] = {"the TLS handshake", "the request", "the request's identity",
					      "the receiver to read the response",
					      "the receiver to read the payload", "the hash", "the receiver to read the trailer",
					      "the receiver to read the end of the payload", "the ack", ""};
	zerr_set(&c->err, ZCP_EXIT_NET, c->state == SERVE_HANDSHAKE ? "SSL_do_handshake" : "", c->peer,
		 "timed out waiting for %s", waiting[c->state]);
	ended(c, -1);
}

void serve_abandon(struct serve_conn *c, const char *reason)
{
	zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "%s", reason);
	ended(c, -1);
}

void serve_end(struct serve_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	if (c->job_live)
		xfer_job_free(&c->job);
	c->job_live = false;
	if (c->hash_live)
		fhash_end(&c->hash);
	c->hash_live = false;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	if (c->result < 0 && cfg->raw) /* SPEC P-9: a clean end would look like a whole file */
		net_reset_on_close(c->link.sock);
	tls_conn_end(&c->link.tls);
}

void serve_report_of(const struct serve_conn *c, struct serve_report *rep)
{
	*rep = (struct serve_report){.offset = c->offset, .length = c->length, .seconds = c->seconds,
				     .probe = c->req.flags & WIRE_FLAG_PROBE, .tls = c->link.tls.mode,
				     .path = c->job_live ? c->job.path : c->cfg->path};
	if (c->job_live) {
		rep->sent = c->job.res.moved;
		rep->fell_back = c->job.res.fell_back;
		rep->fallback_err = c->job.res.fallback_err;
	}
}

static void ops_init(void *c, int sock, const char *peer, const void *cfg) { serve_init(c, sock, peer, cfg); }
static int ops_step(void *c, short events, uint64_t budget) { return serve_step(c, events, budget); }
static int64_t ops_deadline(const void *c) { return serve_deadline(c); }
static void ops_expire(void *c) { serve_expire(c); }
static void ops_abandon(void *c, const char *why) { serve_abandon(c, why); }
static void ops_end(void *c) { serve_end(c); }
static int ops_wait_fd(const void *c) { return ((const struct serve_conn *)c)->link.sock; }

static void ops_moved(const void *conn, uint64_t *moved, uint64_t *total)
{
	const struct serve_conn *c = conn;
	*moved = c->job_live ? c->job.res.moved : 0;
	*total = c->length;
}

static int ops_report(const void *conn, struct step_log *l)
{
	const struct serve_conn *c = conn;
	struct serve_report rep;
	serve_report_of(c, &rep);
	*l = (struct step_log){
		.peer = c->peer, .name = c->name ? c->name : "", .offset = rep.offset, .length = rep.length,
		.bytes = rep.sent, .seconds = rep.seconds, .path = rep.path,
		.fallback_err = rep.fell_back ? rep.fallback_err : 0, .err = &c->err, .stats = &c->link.stats,
		.probe = rep.probe, .tls = rep.tls,
	};
	return l->result = c->result < 0 ? (int)c->err.code : 0;
}

/* SPEC S-14: a receiver over the limit hears BUSY; over TLS it could read no
 * plaintext, so it is only closed (T-4). */
static size_t ops_busy(const void *arg, int sock, uint8_t *buf, size_t len)
{
	const struct serve_cfg *cfg = arg;
	(void)sock; /* a receiver hears BUSY whatever it sent */
	if (cfg->tls)
		return 0;
	struct wire_response r = {.status = WIRE_BUSY};
	ssize_t n = wire_encode_response(&r, buf, len);
	return n > 0 ? (size_t)n : 0;
}

const struct step_ops serve_ops = {
	.size = sizeof(struct serve_conn), .init = ops_init, .step = ops_step, .deadline = ops_deadline,
	.expire = ops_expire, .abandon = ops_abandon, .report = ops_report, .end = ops_end,
	.busy = ops_busy, .wait_fd = ops_wait_fd, .moved = ops_moved,
};

int serve_one(int sock, const char *peer, const struct serve_cfg *cfg, struct serve_report *rep,
	      struct xfer_stats *stats, struct zerr *e)
{
	struct serve_conn c;
	serve_init(&c, sock, peer, cfg);
	step_drive(&c, &serve_ops, &c.link.stats, cfg->progress);
	serve_report_of(&c, rep);
	if (stats)
		*stats = c.link.stats;
	if (c.result < 0)
		*e = c.err;
	serve_end(&c);
	return c.result;
}
