/* origin - request head, response head, body, and again: the HTTP state machine. */
#include "origin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsio.h"
#include "ident.h"
#include "mono.h"

/* A head of the fields origin sends (the longest: a 206's) is well under 1 KiB. */
_Static_assert(WIRE_FRAME_MAX >= 1024, "the response head is formatted into link.frame");

#define ETAG_LEN (2 + 2 * WIRE_TAG_SIZE) /* SPEC H-5: the W-15 tag in hex, quoted */

static int ended(struct origin_conn *c, int result)
{
	c->result = result;
	c->state = ORIGIN_DONE;
	return STEP_ENDED;
}

/* SPEC H-8: the connection ends between requests, without a byte of a new one:
 * nothing to log, only the end to say (the close has an idle timeout of its own). */
static int ended_quiet(struct origin_conn *c)
{
	c->quiet = true;
	c->link.progress_ms = mono_ms();
	c->state = ORIGIN_CLOSE;
	return 0;
}

/* The file and the job of the request answered: released (what the log needs of
 * them is kept beside). */
static void release_file(struct origin_conn *c)
{
	if (c->job_live)
		xfer_job_free(&c->job);
	c->job_live = false;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
}

/* What the log says of a request: cleared for the next one once the last was
 * reported (its report() is read between the step that said STEP_REPORT and the next). */
static void fresh(struct origin_conn *c)
{
	if (!c->reported)
		return;
	c->reported = false;
	memset(&c->req, 0, sizeof c->req);
	c->status = 0;
	c->name = "";
	c->offset = c->length = c->bytes = 0;
	c->path = c->cfg->path;
	c->fallback_err = 0;
	c->seconds = 0;
	c->result = 0;
}

/* A receive or send of the connection failed with errno: said, through TLS as such. */
static int net_failed(struct origin_conn *c, enum xfer_sys call)
{
	if (c->link.tls.ssl)
		call = call == XS_RECVFROM ? XS_TLS_READ : XS_TLS_WRITE;
	zerr_sys(&c->err, ZCP_EXIT_NET, xfer_sys_name(call), c->peer, errno);
	step_tls_words(&c->link, &c->err);
	return ended(c, -1);
}

/* Puts the response head h, with the request's status, version and persistence,
 * into c->link.frame to be sent. */
static int respond(struct origin_conn *c, struct http_head *h)
{
	h->status = c->status;
	h->minor = c->req.minor;
	h->close = c->close_after;
	h->date = time(NULL);
	c->link.len = http_head_format(h, (char *)c->link.frame, sizeof c->link.frame);
	c->link.have = 0;
	c->state = ORIGIN_RESPONSE;
	return 0;
}

/* SPEC H-6: an error response (c->err says why): no body, and the end after it. */
static int refuse(struct origin_conn *c, int status)
{
	release_file(c);
	c->status = status;
	c->result = -1;
	c->close_after = true;
	c->length = 0;
	struct http_head h = {.allow = status == 405 ? "GET, HEAD" : NULL};
	return respond(c, &h);
}

/* SPEC H-2 S-12: opens what the target names. Returns the descriptor with what
 * S-1's fstat said in *st (the size and validators come from it), or -1 with
 * c->err and c->status (404; 500 when it is there but cannot be served). */
static int open_file(struct origin_conn *c, struct stat *st)
{
	const struct serve_cfg *cfg = c->cfg;
	const char *path = c->req.path;
	int fd;
	c->name = path;
	if (cfg->file) {
		if (*path && strcmp(path, fsio_base_name(cfg->file)) != 0) {
			c->status = 404;
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "asked for unknown name '%s'", path);
		}
		c->name = fsio_base_name(cfg->file);
		fd = fsio_open_input(cfg->file, st, &c->err);
	} else {
		if (!wire_name_valid(path, strlen(path)) || !*path) {
			c->status = 404;
			return zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "asked for '%s': not a name below the "
					"root", path);
		}
		fd = fsio_open_beneath(cfg->rootfd, path, st, &c->err);
	}
	if (fd < 0)
		c->status = fd == -1 ? 404 : 500;
	return fd < 0 ? -1 : fd;
}

/* SPEC H-5 W-15: the file's identity as a strong entity tag, NUL-terminated. */
static void etag_of(const struct wire_ident *id, char out[ETAG_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	*p++ = '"';
	for (size_t i = 0; i < WIRE_TAG_SIZE; i++) {
		*p++ = hex[id->tag[i] >> 4];
		*p++ = hex[id->tag[i] & 15];
	}
	*p++ = '"';
	*p = '\0';
}

/* SPEC H-5: a conditional GET or HEAD the client's copy already answers. */
static bool not_modified(const struct http_request *q, const char *etag, time_t mtime)
{
	if (*q->if_none_match) /* RFC 9110 13.1.3: If-Modified-Since is then not looked at */
		return http_etag_list_matches(q->if_none_match, etag);
	return q->has_if_modified_since && mtime <= q->if_modified_since;
}

/* SPEC H-4 H-5: the status and the body's range for a GET or HEAD of a file of
 * size bytes, into c (the Content-Range fields into *h). */
static void choose_range(struct origin_conn *c, struct http_head *h, const char *etag, time_t mtime, uint64_t size)
{
	const struct http_request *q = &c->req;
	uint64_t off, len;
	c->status = 200;
	c->offset = 0;
	c->length = size;
	h->length = size;
	if (not_modified(q, etag, mtime)) {
		c->status = 304;
		c->length = 0; /* no body; its Content-Length is the 200's (H-12) */
		return;
	}
	if (q->method != HTTP_GET || q->range.kind == HTTP_RANGE_NONE ||
	    (*q->if_range && !http_if_range_holds(q->if_range, etag)))
		return;
	int status = http_range_resolve(&q->range, size, &off, &len);
	if (status == 200)
		return;
	c->status = status;
	h->size = size; /* in a 206's Content-Range, and a 416's */
	if (status == 416) {
		c->length = h->length = 0;
		return;
	}
	h->has_range = true;
	c->offset = h->first = off;
	c->length = h->length = len;
	h->last = off + len - 1;
}

/* SPEC W-15 E-1: the identity could not be made (no key, or libcrypto out of
 * memory): the system's failure, not the file's. */
static int identity_failed(struct origin_conn *c, int err)
{
	if (err == EAGAIN)
		zerr_set(&c->err, ZCP_EXIT_SYSTEM, "identity", c->name, "no key (no machine id and no random bytes)");
	else
		zerr_sys(&c->err, ZCP_EXIT_SYSTEM, "identity", c->name, err);
	return refuse(c, 500);
}

/* A GET or HEAD, or another method (SPEC H-3): the response prepared, and for a
 * body, its transfer job made (a failure is still a 500). */
static int answer(struct origin_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	if (c->req.method == HTTP_OTHER) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "method %s not allowed", c->req.method_name);
		return refuse(c, 405);
	}
	struct stat st;
	c->file_fd = open_file(c, &st);
	if (c->file_fd < 0)
		return refuse(c, c->status);
	struct wire_ident id;
	if (ident_of(&st, &id) < 0)
		return identity_failed(c, errno);
	char etag[ETAG_LEN + 1];
	etag_of(&id, etag);
	struct http_head h = {.etag = etag, .last_modified = st.st_mtim.tv_sec, .accept_ranges = true};
	choose_range(c, &h, etag, st.st_mtim.tv_sec, (uint64_t)st.st_size);
	if (c->req.method == HTTP_HEAD || c->length == 0) {
		c->length = 0; /* a HEAD says the length of what a GET would carry, and sends none */
		release_file(c);
		return respond(c, &h);
	}
	struct xfer_end src = {.kind = XFER_FILE, .fd = c->file_fd, .off = (off_t)c->offset};
	/* SPEC T-6: where the kernel encrypts, every path writes to the socket itself */
	struct xfer_end dst = {.kind = XFER_SOCKET, .fd = c->link.sock,
			       .io = c->link.tls.ktls_send ? NULL : step_io(&c->link)};
	c->job_live = true;
	if (xfer_job_init(&c->job, &src, &dst, c->length, cfg->path, cfg->chunk, NULL) < 0) {
		xfer_explain(&c->job.res, &src, c->name, &dst, c->peer, &c->err);
		return refuse(c, 500);
	}
	c->path = c->job.path;
	return respond(c, &h);
}

/* A head came whole (n > 0 bytes) or wrong (n < 0, HTTP_ERROR): its bytes taken
 * out of the buffer (what follows is the next request's), and answered. */
static int took_head(struct origin_conn *c, int n)
{
	c->requests++;
	c->close_after = c->requests >= ORIGIN_REQUESTS_MAX;
	c->scanned = 0;
	if (n > 0) {
		memmove(c->in, c->in + n, c->in_len - (size_t)n);
		c->in_len -= (size_t)n;
		c->close_after |= !c->req.keep_alive;
	} else {
		c->req.minor = 1; /* RFC 9110 2.5: our version, whatever the client's was */
	}
	if (c->cfg->tls && !c->link.tls.ssl) { /* SPEC H-11 */
		zerr_set(&c->err, ZCP_EXIT_AUTH, "", c->peer, "plain HTTP request sent to a TLS port");
		return refuse(c, 400);
	}
	if (n < 0) {
		zerr_set(&c->err, ZCP_EXIT_PROTO, "", c->peer, "bad HTTP request (%d): %s", c->req.status,
			 c->req.why);
		return refuse(c, c->req.status);
	}
	return answer(c);
}

/* Whether what is buffered may hold a whole head: an empty line came, or no more
 * fits. The parser reads a head from its start; called at every byte a slow client
 * sends, it would cost the square of the head's length (SPEC H-8's slowloris). */
static bool head_may_be_whole(struct origin_conn *c)
{
	for (size_t i = c->scanned > 2 ? c->scanned - 2 : 0; i + 1 < c->in_len; i++)
		if (c->in[i] == '\n' &&
		    (c->in[i + 1] == '\n' || (c->in[i + 1] == '\r' && i + 2 < c->in_len && c->in[i + 2] == '\n')))
			return true;
	c->scanned = c->in_len;
	return c->in_len == sizeof c->in;
}

/* SPEC H-7: the next head, from what is buffered first (pipelined), then from the
 * socket; no more is read than a head may hold. */
static int step_head(struct origin_conn *c)
{
	fresh(c);
	if (c->winding) /* SPEC H-8: what is not answered yet never will be */
		return ended_quiet(c);
	for (;;) {
		if (head_may_be_whole(c)) {
			int n = http_parse_request(c->in, c->in_len, sizeof c->in, &c->req);
			if (n != HTTP_NEED_MORE)
				return took_head(c, n);
			c->scanned = c->in_len; /* an empty line before the request line: look past it */
		}
		struct xfer_ctx ctx = step_ctx(&c->link);
		struct xfer_op op = xfer_op_sock(true, c->link.sock, step_io(&c->link), c->in + c->in_len, 0);
		uint64_t got;
		int r = xfer_move(&op, sizeof c->in - c->in_len, false, &ctx, &got);
		c->in_len += got;
		step_moved(&c->link, got);
		if (r == XFER_AGAIN)
			return STEP_IN;
		if (r == 0)
			continue;
		if (!c->in_len) /* gone between requests: nothing was asked that is not answered */
			return ended_quiet(c);
		if (r < 0)
			return net_failed(c, XS_RECVFROM);
		zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "the client closed the connection in a request head");
		return ended(c, -1);
	}
}

/* The response is out whole: the next request, or the end (SPEC H-7). */
static int response_done(struct origin_conn *c)
{
	release_file(c);
	if (c->close_after || c->winding) {
		c->state = ORIGIN_CLOSE;
		return 0;
	}
	c->state = ORIGIN_HEAD;
	c->head_since_ms = mono_ms(); /* SPEC H-8 */
	c->reported = true;
	/* what is buffered may be a whole head (and a TLS session may hold decrypted
	 * bytes the socket no longer shows): a step, not a wait for the socket, sees */
	return STEP_REPORT | (c->in_len || c->link.tls.ssl ? STEP_YIELD : STEP_IN);
}

static int step_response(struct origin_conn *c)
{
	/* the head shares its segment with the first body bytes */
	int r = step_write(&c->link, c->job_live ? MSG_MORE : 0);
	if (r == 0)
		return STEP_OUT;
	if (r < 0)
		return net_failed(c, XS_SENDTO);
	if (!c->job_live)
		return response_done(c);
	c->body_start = mono_now();
	c->state = ORIGIN_BODY;
	return 0;
}

/* The body's job stopped for good: a truncated file (SPEC S-2), or the error. */
static int body_failed(struct origin_conn *c)
{
	struct xfer_result *res = &c->job.res;
	const char *file = c->cfg->file ? c->cfg->file : c->name;
	if (res->status == XFER_SHORT)
		zerr_set(&c->err, ZCP_EXIT_FILE, xfer_sys_name(res->call), file,
			 "file truncated at offset %llu (expected %llu bytes)",
			 (unsigned long long)(c->offset + res->moved), (unsigned long long)(c->offset + c->length));
	else
		xfer_explain(res, &c->job.src, file, &c->job.dst, c->peer, &c->err);
	step_tls_words(&c->link, &c->err);
	return ended(c, -1);
}

/* SPEC H-9: the body through the transfer job, at most the turn's budget. */
static int step_body(struct origin_conn *c, uint64_t *left)
{
	struct xfer_ctx ctx = step_ctx(&c->link);
	uint64_t before = c->job.res.moved;
	int r = xfer_job_step(&c->job, *left, &ctx);
	uint64_t moved = c->job.res.moved - before;
	step_moved(&c->link, moved);
	*left -= moved < *left ? moved : *left;
	c->bytes = c->job.res.moved;
	c->path = c->job.path;
	c->fallback_err = c->job.res.fell_back ? c->job.res.fallback_err : 0;
	c->seconds = mono_now() - c->body_start;
	if (r == XFER_MORE) /* still writable; the others first */
		return STEP_YIELD | STEP_OUT;
	if (r == XFER_AGAIN)
		return c->job.wait_in ? STEP_IN : STEP_OUT;
	if (r < 0)
		return body_failed(c);
	return response_done(c);
}

/* SPEC H-6 T-5: the end said (inside TLS too). A response went out: the client may
 * still be reading it while it sends more (pipelined requests, a body), and a close
 * with unread input would reset the rest of the response away: linger. Between
 * requests (quiet) nothing is in flight: what came is dropped and it ends. The
 * response is out: a failure here cannot change what was answered. */
static int step_close(struct origin_conn *c)
{
	if (c->link.tls.ssl && tls_close_notify(&c->link.tls) == 0)
		return STEP_OUT;
	shutdown(c->link.sock, SHUT_WR);
	if (c->quiet) {
		step_drop_input(&c->link);
		return ended(c, c->result);
	}
	c->linger_until_ms = mono_ms() + ORIGIN_LINGER_MS;
	c->state = ORIGIN_LINGER;
	return 0;
}

/* SPEC H-6: what the client sends is read and dropped until it closes (it has read
 * the response, or gone) or the linger time is up. */
static int step_linger(struct origin_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->link.sock, NULL, 1 << 20, MSG_TRUNC | MSG_DONTWAIT);
		c->link.stats.calls[XS_RECVFROM]++;
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return STEP_IN;
		return ended(c, c->result);
	}
}

void origin_init(struct origin_conn *c, int sock, const char *peer, const struct serve_cfg *cfg,
		 struct tls_conn *tls)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->link.sock = sock;
	if (tls)
		tls_conn_move(&c->link.tls, tls);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->file_fd = -1;
	c->head_since_ms = c->link.progress_ms = mono_ms();
	c->name = "";
	c->path = cfg->path;
	c->state = ORIGIN_HEAD;
}

int origin_step(struct origin_conn *c, short events, uint64_t budget)
{
	(void)events; /* each state knows what it waits for */
	uint64_t left = budget;
	for (;;) {
		int r = 0;
		switch (c->state) {
		case ORIGIN_HEAD: r = step_head(c); break;
		case ORIGIN_RESPONSE: r = step_response(c); break;
		case ORIGIN_BODY: r = step_body(c, &left); break;
		case ORIGIN_CLOSE: r = step_close(c); break;
		case ORIGIN_LINGER: r = step_linger(c); break;
		case ORIGIN_DONE: r = STEP_ENDED; break;
		}
		if (r)
			return r;
	}
}

int64_t origin_deadline(const struct origin_conn *c)
{
	const struct serve_cfg *cfg = c->cfg;
	if (c->state == ORIGIN_LINGER)
		return c->linger_until_ms;
	int64_t idle = cfg->timeout_ms >= 0 ? c->link.progress_ms + cfg->timeout_ms : 0;
	int64_t header = c->state == ORIGIN_HEAD && cfg->header_timeout_ms >= 0
			 ? c->head_since_ms + cfg->header_timeout_ms : 0;
	if (!idle || (header && header < idle))
		return header;
	return idle;
}

void origin_expire(struct origin_conn *c)
{
	static const char *const waiting[] = {"", "the client to read the response head",
					      "the client to read the body", "the client to read the end", "", ""};
	if (c->state == ORIGIN_HEAD && !c->in_len) {
		ended_quiet(c);
		return;
	}
	if (c->state == ORIGIN_LINGER) { /* the response was out: it stands */
		ended(c, c->result);
		return;
	}
	if (c->state == ORIGIN_HEAD) { /* SPEC H-8: part of a head came */
		fresh(c);
		c->req.minor = 1;
		zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "timed out waiting for the request head");
		refuse(c, 408);
		c->link.progress_ms = mono_ms(); /* its own idle timeout to go out */
		return;
	}
	zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "timed out waiting for %s", waiting[c->state]);
	ended(c, -1);
}

void origin_wind_down(struct origin_conn *c)
{
	c->winding = true;
}

void origin_abandon(struct origin_conn *c, const char *reason)
{
	if (c->state == ORIGIN_HEAD)
		fresh(c);
	zerr_set(&c->err, ZCP_EXIT_NET, "", c->peer, "%s", reason);
	ended(c, -1);
}

int origin_report(const struct origin_conn *c, struct step_log *l)
{
	*l = (struct step_log){
		.proto = "http", .method = c->req.method_name, .status = c->status, .quiet = c->quiet,
		.peer = c->peer, .name = c->name, .offset = c->offset, .length = c->length, .bytes = c->bytes,
		.seconds = c->seconds, .path = c->path, .fallback_err = c->fallback_err, .tls = c->link.tls.mode,
		.err = &c->err, .stats = &c->link.stats,
	};
	return l->result = c->result < 0 ? (int)c->err.code : 0;
}

void origin_end(struct origin_conn *c)
{
	release_file(c);
	tls_conn_end(&c->link.tls);
}

static void ops_init(void *c, int sock, const char *peer, const void *cfg) { origin_init(c, sock, peer, cfg, NULL); }
static int ops_step(void *c, short events, uint64_t budget) { return origin_step(c, events, budget); }
static int64_t ops_deadline(const void *c) { return origin_deadline(c); }
static void ops_expire(void *c) { origin_expire(c); }
static void ops_abandon(void *c, const char *why) { origin_abandon(c, why); }
static int ops_report(const void *c, struct step_log *l) { return origin_report(c, l); }
static void ops_end(void *c) { origin_end(c); }
static void ops_wind_down(void *c) { origin_wind_down(c); }

/* SPEC H-10: a client over --max-clients hears 503, to come back in a second. */
static size_t ops_busy(const void *arg, int sock, uint8_t *buf, size_t len)
{
	(void)arg;
	(void)sock;
	struct http_head h = {.status = 503, .minor = 1, .close = true, .date = time(NULL), .retry_after = 1};
	return http_head_format(&h, (char *)buf, len);
}

const struct step_ops origin_ops = {
	.size = sizeof(struct origin_conn), .init = ops_init, .step = ops_step, .deadline = ops_deadline,
	.expire = ops_expire, .abandon = ops_abandon, .report = ops_report, .end = ops_end,
	.busy = ops_busy, .wind_down = ops_wind_down,
};
