/* Check suite for the HTTP origin (SPEC H-2..H-9, H-11, H-12) with real sockets
 * and files, no mocks: the origin drives one connection of a loopback TCP pair in
 * a child process (its driver is a small poll() loop, below, that also hands each
 * report() back through a pipe), and the test is the client, reading with bounded
 * waits. A byte on a control pipe winds the connection down (a stop). */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "listener.h"
#include "mono.h"
#include "origin.h"
#include "testutil.h"

#define WAIT_MS 10000 /* no client wait is longer (a test that would hang fails) */

/* One report() as the origin's driver saw it. */
struct rec {
	bool report; /* said with STEP_REPORT: the connection went on */
	bool quiet;
	int status, result;
	char method[16], name[64], reason[200];
	uint64_t offset, length, bytes;
	char tls[8];
	enum xfer_path path;
};

struct run {
	pid_t pid;
	int sock;        /* the client's end */
	int logs;        /* the reports go into this file (a pipe could fill) */
	int ctl;         /* a byte here winds the connection down */
	const struct xfer_io *io; /* the client's TLS stream, or NULL */
	char buf[1 << 16];
	size_t len;      /* bytes of buf not yet taken */
};

static const char *dir;
static char file[512];
#define FILE_SIZE 10000

static void setup(void)
{
	dir = tu_tmpdir();
	snprintf(file, sizeof file, "%s/data.bin", dir);
	tu_make_file(file, FILE_SIZE);
}

static void teardown(void) { tu_rmtree(dir); }

static struct serve_cfg file_cfg(void)
{
	return (struct serve_cfg){.file = file, .rootfd = -1, .path = XFER_SENDFILE, .chunk = 8192,
				  .timeout_ms = 5000, .header_timeout_ms = 5000};
}

static void put_rec(const struct origin_conn *c, int logs, bool report)
{
	struct step_log l;
	struct rec r = {.report = report};
	r.result = origin_report(c, &l);
	r.quiet = l.quiet;
	r.status = l.status;
	r.offset = l.offset, r.length = l.length, r.bytes = l.bytes;
	r.path = l.path;
	snprintf(r.method, sizeof r.method, "%.15s", l.method ? l.method : "");
	snprintf(r.name, sizeof r.name, "%.63s", l.name);
	snprintf(r.reason, sizeof r.reason, "%.199s", r.result ? l.err->reason : "");
	snprintf(r.tls, sizeof r.tls, "%s", l.tls ? l.tls : "");
	ck_assert_str_eq(l.proto, "http");
	if (write(logs, &r, sizeof r) != sizeof r)
		tu_exit(99);
}

/* The driver: steps c, waits in poll() for its socket (and ctl) up to its
 * deadline, reports each transfer that ended; to the connection's end. */
static void drive(struct origin_conn *c, int ctl, int logs, uint64_t budget)
{
	for (;;) {
		int want = origin_step(c, 0, budget);
		if (want & (STEP_REPORT | STEP_ENDED))
			put_rec(c, logs, want & STEP_REPORT);
		if (want & STEP_ENDED)
			return;
		struct pollfd p[2] = {{.fd = c->link.sock, .events = (short)((want & STEP_IN ? POLLIN : 0) |
									      (want & STEP_OUT ? POLLOUT : 0))},
				      {.fd = ctl, .events = POLLIN}};
		int64_t deadline = origin_deadline(c);
		int64_t left = deadline ? deadline - mono_ms() : -1;
		int n = 0;
		if (want & STEP_YIELD) /* stepped again at once, but a stop is looked for */
			poll(p, 2, 0);
		else if (!deadline || left > 0)
			n = poll(p, 2, (int)left);
		if (n == 0 && !(want & STEP_YIELD))
			origin_expire(c);
		if (p[1].revents) {
			char b;
			ck_assert_int_eq(read(ctl, &b, 1), 1);
			ctl = -1; /* once */
			origin_wind_down(c);
		}
	}
}

/* The origin's child: cfg on a fresh connection (tls, when not NULL, a listener's
 * context: the handshake is made first and its session handed over). */
static void start_tls(struct run *r, const struct serve_cfg *cfg, struct tls_ctx *tls, uint64_t budget)
{
	int sv[2], ctl[2];
	tu_tcp_pair(sv);
	r->logs = open(dir, O_TMPFILE | O_RDWR, 0600);
	ck_assert_int_ge(r->logs, 0);
	ck_assert_int_eq(pipe(ctl), 0);
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		close(sv[0]);
		close(ctl[1]);
		struct origin_conn *c = malloc(sizeof *c);
		struct step_link hs = {.sock = sv[1]};
		struct zerr e;
		int w;
		while (tls && (w = step_handshake(&hs, tls, "client", &e)) > 0) {
			struct pollfd p = {.fd = sv[1], .events = w == STEP_IN ? POLLIN : POLLOUT};
			if (poll(&p, 1, WAIT_MS) != 1)
				tu_exit(98);
		}
		if (tls && w < 0)
			tu_exit(97);
		origin_init(c, sv[1], "client", cfg, tls ? &hs.tls : NULL);
		drive(c, ctl[0], r->logs, budget);
		origin_end(c);
		free(c);
		tu_exit(0);
	}
	close(sv[1]);
	close(ctl[0]);
	r->sock = sv[0], r->ctl = ctl[1];
	r->io = NULL;
	r->len = 0;
}

static void start(struct run *r, const struct serve_cfg *cfg) { start_tls(r, cfg, NULL, 1 << 20); }

/* The reports, in order, once the origin's child ended (0 expected). Returns how
 * many. SPEC H-6: its end was no reset (what the client sent was dropped first). */
static int collect(struct run *r, struct rec *recs, int max)
{
	int n = 0, err = -1;
	socklen_t len = sizeof err;
	struct rec one;
	if (r->sock >= 0) /* done asking: a server lingering after its last answer (H-6) ends now */
		shutdown(r->sock, SHUT_WR);
	ck_assert_int_eq(tu_child_status(r->pid), 0);
	if (r->sock >= 0) { /* not closed by the client */
		ck_assert_int_eq(getsockopt(r->sock, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		ck_assert_msg(err == 0, "the connection was reset: %s", strerror(err));
		close(r->sock);
	}
	for (; pread(r->logs, &one, sizeof one, (off_t)(n * sizeof one)) == sizeof one; n++)
		if (n < max)
			recs[n] = one;
	close(r->logs);
	close(r->ctl);
	return n;
}

static void put(struct run *r, const char *text)
{
	struct xfer_ctx ctx = {.timeout_ms = WAIT_MS};
	struct xfer_op op = xfer_op_sock(false, r->sock, r->io, (void *)text, MSG_NOSIGNAL);
	uint64_t n;
	ck_assert_int_eq(xfer_move(&op, strlen(text), true, &ctx, &n), 0);
}

/* More bytes into r->buf. Returns how many came (0: the end of the stream). */
static size_t more(struct run *r)
{
	struct xfer_ctx ctx = {.timeout_ms = WAIT_MS};
	struct xfer_op op = xfer_op_sock(true, r->sock, r->io, r->buf + r->len, 0);
	uint64_t n;
	ck_assert_uint_lt(r->len, sizeof r->buf);
	int rc = xfer_move(&op, sizeof r->buf - r->len, false, &ctx, &n);
	ck_assert_msg(rc == 0 || rc == XFER_EOF, "client read: %s", strerror(errno));
	r->len += n;
	return (size_t)n;
}

static void take(struct run *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

/* One response as the client read it. */
struct resp {
	int status;
	char head[2048];
	uint64_t body;   /* bytes of the body read */
	bool body_ok;    /* they are the file's, from the expected offset */
};

/* The value of field name in the response's head ("" when absent). */
static const char *field(const struct resp *p, const char *name)
{
	static char v[256];
	char key[64];
	snprintf(key, sizeof key, "\r\n%s:", name);
	const char *at = strcasestr(p->head, key);
	v[0] = '\0';
	if (!at)
		return v;
	at += strlen(key);
	at += strspn(at, " ");
	size_t n = strcspn(at, "\r");
	snprintf(v, sizeof v, "%.*s", (int)(n < sizeof v ? n : sizeof v - 1), at);
	return v;
}

/* Reads the next response: its head, then (not for HEAD, nor 304) Content-Length
 * body bytes, checked against the file from offset from. Returns 0, or -1 at the
 * end of the stream before a head. */
static int response(struct run *r, bool head_only, uint64_t from, struct resp *p)
{
	char *end;
	memset(p, 0, sizeof *p);
	while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4)))
		if (!more(r)) {
			ck_assert_uint_eq(r->len, 0);
			return -1;
		}
	size_t hl = (size_t)(end - r->buf) + 4;
	ck_assert_uint_lt(hl, sizeof p->head);
	memcpy(p->head, r->buf, hl);
	take(r, hl);
	ck_assert_int_eq(sscanf(p->head, "HTTP/1.%*1[01] %d ", &p->status), 1);
	uint64_t want = strtoull(field(p, "Content-Length"), NULL, 10);
	if (head_only || p->status == 304)
		want = 0;
	p->body_ok = true;
	while (p->body < want) {
		if (!r->len)
			ck_assert_uint_gt(more(r), 0);
		size_t n = r->len < want - p->body ? r->len : (size_t)(want - p->body);
		for (size_t i = 0; i < n; i++)
			p->body_ok &= (uint8_t)r->buf[i] == tu_byte(from + p->body + i);
		p->body += n;
		take(r, n);
	}
	return 0;
}

/* The connection ends here: nothing more than the end of the stream comes. */
static void expect_end(struct run *r)
{
	while (more(r))
		;
	ck_assert_uint_eq(r->len, 0);
}

/* A connection started with cfg, and requests sent on it at once. */
static void begin(struct run *r, const struct serve_cfg *cfg, const char *requests)
{
	start(r, cfg);
	put(r, requests);
}

/* The next response, which must have status (see response()). */
static void expect(struct run *r, bool head_only, uint64_t from, int status, struct resp *p)
{
	ck_assert_int_eq(response(r, head_only, from, p), 0);
	ck_assert_msg(p->status == status, "status %d, not %d", p->status, status);
}

/* The client hangs up (when asked) and sees the end; the reports (collect()). */
static int finish(struct run *r, bool hang_up, struct rec *recs, int max)
{
	if (hang_up)
		shutdown(r->sock, SHUT_WR); /* gone between requests: a quiet end */
	expect_end(r);
	return collect(r, recs, max);
}

#define GET(target) "GET " target " HTTP/1.1\r\nHost: h\r\n\r\n"

/* SPEC H-2 H-9 H-12: a single-file sender serves its file as /NAME: 200 with the
 * whole file, the H-12 fields, kept alive, on each transfer path (X-1..X-5); the
 * report is one http transfer. */
START_TEST(h9_get_whole_file)
{
	static const enum xfer_path paths[] = {XFER_SENDFILE, XFER_COPY, XFER_SPLICE};
	struct serve_cfg cfg = file_cfg();
	cfg.path = paths[_i];
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, GET("/data.bin"));
	expect(&r, false, 0, 200, &p);
	ck_assert_uint_eq(p.body, FILE_SIZE);
	ck_assert(p.body_ok);
	ck_assert_str_eq(field(&p, "Content-Length"), "10000");
	ck_assert_str_eq(field(&p, "Content-Type"), "application/octet-stream");
	ck_assert_str_eq(field(&p, "Accept-Ranges"), "bytes");
	ck_assert_uint_eq(strlen(field(&p, "Date")), HTTP_DATE_LEN);
	ck_assert_uint_eq(strncmp(field(&p, "Server"), "zcp/", 4), 0);
	ck_assert_str_ne(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, true, recs, 4), 2);
	ck_assert(recs[0].report);
	ck_assert_int_eq(recs[0].status, 200);
	ck_assert_int_eq(recs[0].result, 0);
	ck_assert_str_eq(recs[0].method, "GET");
	ck_assert_str_eq(recs[0].name, "data.bin");
	ck_assert_uint_eq(recs[0].length, FILE_SIZE);
	ck_assert_uint_eq(recs[0].bytes, FILE_SIZE);
	ck_assert_int_eq(recs[0].path, paths[_i]);
	ck_assert(!recs[1].report && recs[1].quiet);
}
END_TEST

/* SPEC H-2: "/" and "/NAME" of a single-file sender are its file; any other name is
 * 404, which (H-6) closes the connection, a failure in the log. */
START_TEST(h2_single_file_targets)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, GET("/") GET("/data.bin?x=1") GET("/other.bin") GET("/data.bin"));
	expect(&r, false, 0, 200, &p);
	ck_assert(p.body_ok && p.body == FILE_SIZE);
	expect(&r, false, 0, 200, &p);
	expect(&r, false, 0, 404, &p);
	ck_assert_str_eq(field(&p, "Content-Length"), "0");
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 4), 3);
	ck_assert_int_eq(recs[2].status, 404);
	ck_assert_int_eq(recs[2].result, ZCP_EXIT_PROTO);
	ck_assert_str_eq(recs[2].name, "other.bin");
	ck_assert(!recs[2].report && !recs[2].quiet);
}
END_TEST

/* SPEC H-2 S-12: a root sender: the decoded path below the root; "/", names that
 * leave it, directories and FIFOs are 404. */
static const struct {
	const char *target;
	int status;
} root_cases[] = {
	{"/sub/data.bin", 200}, {"/sub%2Fdata.bin", 200}, {"/sub/d%61ta.bin?q=/../x", 200},
	{"/", 404}, {"/sub", 404}, {"/sub/", 404}, {"/../data.bin", 404}, {"/sub/../sub/data.bin", 404},
	{"/fifo", 404}, {"/missing", 404}, {"/escape/data.bin", 404},
};

START_TEST(h2_root_targets)
{
	char sub[600], fifo[600], link[600];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof sub, "%s/sub/data.bin", dir);
	tu_make_file(sub, FILE_SIZE);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	snprintf(link, sizeof link, "%s/escape", dir);
	ck_assert_int_eq(symlink("/", link), 0);
	struct serve_cfg cfg = file_cfg();
	cfg.file = NULL;
	cfg.rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct run r;
	struct resp p;
	struct rec recs[2];
	char req[300];
	start(&r, &cfg);
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", root_cases[_i].target);
	put(&r, req);
	ck_assert_int_eq(response(&r, false, 0, &p), 0);
	ck_assert_msg(p.status == root_cases[_i].status, "%s: %d", root_cases[_i].target, p.status);
	if (p.status == 200)
		ck_assert(p.body_ok && p.body == FILE_SIZE);
	ck_assert_int_eq(finish(&r, false, recs, 2), 1);
	ck_assert_int_eq(recs[0].status, root_cases[_i].status);
	ck_assert_int_eq(recs[0].result != 0, root_cases[_i].status != 200);
	close(cfg.rootfd);
}
END_TEST

/* SPEC H-3: HEAD says what a GET would (its Content-Length), sends no body, and the
 * connection goes on (the next response is read right after the head). */
START_TEST(h3_head)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, "HEAD /data.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n" GET("/data.bin"));
	expect(&r, true, 0, 200, &p); /* SPEC H-4: HEAD ignores Range */
	ck_assert_str_eq(field(&p, "Content-Length"), "10000");
	ck_assert_str_ne(field(&p, "ETag"), "");
	expect(&r, false, 0, 200, &p);
	ck_assert(p.body_ok && p.body == FILE_SIZE);
	ck_assert_int_eq(finish(&r, true, recs, 4), 3);
	ck_assert_str_eq(recs[0].method, "HEAD");
	ck_assert_int_eq(recs[0].result, 0);
	ck_assert_uint_eq(recs[0].bytes, 0);
}
END_TEST

/* SPEC H-3 H-6: another method is 405 with Allow, and the end. */
START_TEST(h3_method_not_allowed)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[2];
	begin(&r, &cfg, "DELETE /data.bin HTTP/1.1\r\nHost: h\r\n\r\n" GET("/data.bin"));
	expect(&r, false, 0, 405, &p);
	ck_assert_str_eq(field(&p, "Allow"), "GET, HEAD");
	ck_assert_str_eq(field(&p, "Content-Length"), "0");
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 2), 1);
	ck_assert_int_eq(recs[0].status, 405);
	ck_assert_str_eq(recs[0].method, "DELETE");
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_PROTO);
}
END_TEST

/* SPEC H-3 H-6: what the parser refuses is answered with its status, no body, the
 * end; what the client sent after it is dropped first, so the answer is not reset away. */
static const struct {
	const char *head;
	int status;
} refused[] = {
	{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
	{"GET / HTTP/1.1\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", 400},
	{"GET /%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
};

START_TEST(h6_refused_requests)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[2];
	static char sent[30000]; /* the head and more, in one write: all there before the answer */
	int n = snprintf(sent, sizeof sent, "%s", refused[_i].head);
	memset(sent + n, 'x', sizeof sent - (size_t)n - 1);
	begin(&r, &cfg, sent);
	expect(&r, false, 0, refused[_i].status, &p);
	ck_assert_str_eq(field(&p, "Content-Length"), "0");
	ck_assert_str_eq(field(&p, "Connection"), "close");
	expect_end(&r); /* not a reset */
	ck_assert_int_eq(collect(&r, recs, 2), 1);
	ck_assert_int_eq(recs[0].status, refused[_i].status);
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_PROTO);
}
END_TEST

/* SPEC H-6: a head over HTTP_HEAD_MAX is 431 (the buffer never holds more). */
START_TEST(h6_head_too_large)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[2];
	static char big[HTTP_HEAD_MAX + 200];
	int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(big + n, 'a', sizeof big - (size_t)n - 1);
	begin(&r, &cfg, big);
	expect(&r, false, 0, 431, &p);
	ck_assert_int_eq(finish(&r, false, recs, 2), 1);
	ck_assert_int_eq(recs[0].status, 431);
}
END_TEST

/* SPEC H-4: one range is 206 with Content-Range, cut to the size; several are the
 * whole (200); another unit, bad syntax or a number past 2^63-1 is ignored (200);
 * what cannot be satisfied is 416 with bytes STAR/SIZE, and the connection goes on. */
static const struct {
	const char *range;
	int status;
	uint64_t first, len;
	const char *content_range;
} range_cases[] = {
	{"bytes=0-99", 206, 0, 100, "bytes 0-99/10000"},
	{"bytes=9000-", 206, 9000, 1000, "bytes 9000-9999/10000"},
	{"bytes=-10", 206, 9990, 10, "bytes 9990-9999/10000"},
	{"bytes=5-999999", 206, 5, 9995, "bytes 5-9999/10000"},
	{"bytes=0-1,5-6", 200, 0, FILE_SIZE, ""},
	{"items=0-1", 200, 0, FILE_SIZE, ""},
	{"bytes=x-1", 200, 0, FILE_SIZE, ""},
	{"bytes=99999999999999999999-", 200, 0, FILE_SIZE, ""},
	{"bytes=10000-", 416, 0, 0, "bytes */10000"},
	{"bytes=-0", 416, 0, 0, "bytes */10000"},
};

START_TEST(h4_ranges)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	char req[300];
	start(&r, &cfg);
	snprintf(req, sizeof req, "GET /data.bin HTTP/1.1\r\nHost: h\r\nRange: %s\r\n\r\n" GET("/data.bin"),
		 range_cases[_i].range);
	put(&r, req);
	expect(&r, false, range_cases[_i].first, range_cases[_i].status, &p);
	ck_assert_uint_eq(p.body, range_cases[_i].len);
	ck_assert(p.body_ok);
	ck_assert_str_eq(field(&p, "Content-Range"), range_cases[_i].content_range);
	ck_assert_str_ne(field(&p, "Connection"), "close");
	ck_assert_int_eq(response(&r, false, 0, &p), 0); /* kept alive */
	ck_assert_int_eq(p.status, 200);
	ck_assert_int_eq(finish(&r, true, recs, 4), 3);
	ck_assert_int_eq(recs[0].status, range_cases[_i].status);
	ck_assert_int_eq(recs[0].result, 0);
	ck_assert_uint_eq(recs[0].offset, range_cases[_i].first);
	ck_assert_uint_eq(recs[0].bytes, range_cases[_i].len);
}
END_TEST

/* SPEC H-4: any range of an empty file cannot be satisfied; a GET of it is 200, empty. */
START_TEST(h4_empty_file)
{
	tu_make_file(file, 0);
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-\r\n\r\n" GET("/"));
	expect(&r, false, 0, 416, &p);
	ck_assert_str_eq(field(&p, "Content-Range"), "bytes */0");
	expect(&r, false, 0, 200, &p);
	ck_assert_str_eq(field(&p, "Content-Length"), "0");
	ck_assert_int_eq(finish(&r, true, recs, 4), 3);
}
END_TEST

/* The ETag and Last-Modified a plain GET gives (copied into etag and lm). */
static void validators(struct run *r, char *etag, char *lm)
{
	struct resp p;
	put(r, GET("/data.bin"));
	ck_assert_int_eq(response(r, false, 0, &p), 0);
	ck_assert_int_eq(p.status, 200);
	strcpy(etag, field(&p, "ETag"));
	strcpy(lm, field(&p, "Last-Modified"));
}

/* SPEC H-5: the ETag is the W-15 tag, 32 hex digits quoted, and strong; If-None-Match
 * (weak comparison, "*") and If-Modified-Since at or after Last-Modified are 304 with
 * the validators and no body; If-None-Match wins over If-Modified-Since. */
START_TEST(h5_not_modified)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[12];
	char etag[256], lm[256], req[1000];
	start(&r, &cfg);
	validators(&r, etag, lm);
	ck_assert_uint_eq(strlen(etag), 34);
	ck_assert_int_eq(etag[0], '"');
	ck_assert_uint_eq(strspn(etag + 1, "0123456789abcdef"), 32);
	ck_assert_uint_eq(strlen(lm), HTTP_DATE_LEN);
	const char *conds[][2] = {
		{"If-None-Match", etag}, {"If-None-Match", "*"}, {"If-None-Match", "\"x\", W/%s"},
		{"If-Modified-Since", lm}, {"If-None-Match", "\"other\""}, {"If-Modified-Since", "Thu, 01 Jan 1970 00:00:01 GMT"},
	};
	static const int want[] = {304, 304, 304, 304, 200, 200};
	char weak[300];
	snprintf(weak, sizeof weak, "\"x\", W/%s", etag);
	conds[2][1] = weak;
	for (int i = 0; i < 6; i++) {
		snprintf(req, sizeof req, "GET /data.bin HTTP/1.1\r\nHost: h\r\n%s: %s\r\n\r\n", conds[i][0], conds[i][1]);
		put(&r, req);
		ck_assert_int_eq(response(&r, false, 0, &p), 0);
		ck_assert_msg(p.status == want[i], "%s: %s: %d", conds[i][0], conds[i][1], p.status);
		ck_assert_str_eq(field(&p, "ETag"), etag);
		ck_assert_str_eq(field(&p, "Last-Modified"), lm);
		ck_assert_str_eq(field(&p, "Content-Length"), "10000"); /* a 304's is the 200's (H-12) */
		if (p.status == 200)
			ck_assert(p.body_ok && p.body == FILE_SIZE);
	}
	snprintf(req, sizeof req, "GET /data.bin HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n"
		 "If-Modified-Since: %s\r\n\r\n", lm);
	put(&r, req);
	expect(&r, false, 0, 200, &p);
	ck_assert_int_eq(finish(&r, true, recs, 12), 9);
	ck_assert_int_eq(recs[1].status, 304);
	ck_assert_int_eq(recs[1].result, 0);
	ck_assert_uint_eq(recs[1].bytes, 0);
}
END_TEST

/* SPEC H-5: If-Range keeps the Range when it names this file by its strong ETag;
 * a date never does (two versions in one second share it), nor a weak or stale tag:
 * the whole file is the answer (200). */
START_TEST(h5_if_range)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[8];
	char etag[256], lm[256], req[1000], weak[300];
	start(&r, &cfg);
	validators(&r, etag, lm);
	snprintf(weak, sizeof weak, "W/%s", etag);
	const char *ifr[] = {etag, lm, "\"stale\"", weak, "Thu, 01 Jan 1970 00:00:01 GMT"};
	static const int want[] = {206, 200, 200, 200, 200};
	for (int i = 0; i < 5; i++) {
		snprintf(req, sizeof req, "GET /data.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=100-199\r\n"
			 "If-Range: %s\r\n\r\n", ifr[i]);
		put(&r, req);
		ck_assert_int_eq(response(&r, false, want[i] == 206 ? 100 : 0, &p), 0);
		ck_assert_msg(p.status == want[i], "If-Range %s: %d", ifr[i], p.status);
		ck_assert(p.body_ok);
		ck_assert_uint_eq(p.body, want[i] == 206 ? 100 : FILE_SIZE);
	}
	ck_assert_int_eq(finish(&r, true, recs, 8), 7);
}
END_TEST

/* SPEC H-7: three requests in one write are answered in order, each reported as it
 * ends, the connection kept. */
START_TEST(h7_pipelined_three)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[5];
	begin(&r, &cfg, "GET /data.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n"
		"HEAD /data.bin HTTP/1.1\r\nHost: h\r\n\r\n"
		"GET /data.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=-5\r\n\r\n");
	ck_assert_int_eq(response(&r, false, 0, &p), 0);
	ck_assert(p.status == 206 && p.body == 10 && p.body_ok);
	expect(&r, true, 0, 200, &p);
	ck_assert_int_eq(response(&r, false, FILE_SIZE - 5, &p), 0);
	ck_assert(p.status == 206 && p.body == 5 && p.body_ok);
	ck_assert_int_eq(finish(&r, true, recs, 5), 4);
	ck_assert(recs[0].report && recs[1].report && recs[2].report);
	ck_assert_str_eq(recs[1].method, "HEAD");
	ck_assert_uint_eq(recs[2].offset, FILE_SIZE - 5);
	ck_assert(recs[3].quiet);
}
END_TEST

/* SPEC H-7: at most ORIGIN_REQUESTS_MAX requests a connection: the last of them says
 * Connection: close, and what came after it is not answered. */
START_TEST(h7_request_cap)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	static struct rec recs[ORIGIN_REQUESTS_MAX + 2];
	static char all[(ORIGIN_REQUESTS_MAX + 1) * 32]; /* one more than the cap, sent at once */
	const char *one = "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n";
	for (int i = 0; i <= ORIGIN_REQUESTS_MAX; i++)
		memcpy(all + i * strlen(one), one, strlen(one));
	begin(&r, &cfg, all);
	for (int i = 0; i < ORIGIN_REQUESTS_MAX; i++) {
		ck_assert_msg(response(&r, true, 0, &p) == 0, "response %d", i);
		ck_assert_int_eq(p.status, 200);
		ck_assert_int_eq(strcmp(field(&p, "Connection"), "close") == 0, i == ORIGIN_REQUESTS_MAX - 1);
	}
	expect_end(&r);
	int n = collect(&r, recs, ORIGIN_REQUESTS_MAX + 2);
	ck_assert_int_eq(n, ORIGIN_REQUESTS_MAX);
	ck_assert(recs[ORIGIN_REQUESTS_MAX - 2].report);
	ck_assert(!recs[ORIGIN_REQUESTS_MAX - 1].report && recs[ORIGIN_REQUESTS_MAX - 1].result == 0);
}
END_TEST

/* SPEC H-7: Connection: close is honoured; HTTP/1.0 is kept only with keep-alive. */
START_TEST(h7_persistence)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.0\r\n\r\n" GET("/"));
	expect(&r, true, 0, 200, &p);
	ck_assert_int_eq(strcasecmp(field(&p, "Connection"), "keep-alive"), 0);
	ck_assert_int_eq(response(&r, true, 0, &p), 0);
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 4), 2);
	ck_assert(recs[0].report && !recs[1].report && !recs[1].quiet);

	begin(&r, &cfg, "HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" GET("/"));
	ck_assert_int_eq(response(&r, true, 0, &p), 0);
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 4), 1);
	ck_assert_int_eq(recs[0].result, 0);
}
END_TEST

/* A header timeout of 300 ms, and an idle one longer than a client waits: only the
 * first can end what the H-8 tests see end. */
static struct serve_cfg header_cfg(void)
{
	struct serve_cfg cfg = file_cfg();
	cfg.header_timeout_ms = 300;
	cfg.timeout_ms = 60000;
	return cfg;
}

/* SPEC H-8: a kept-alive connection with no byte of a new request when the header
 * timeout (counted from the end of the response) passes is closed, quiet. */
START_TEST(h8_idle_keepalive_deadline)
{
	struct serve_cfg cfg = header_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, GET("/"));
	expect(&r, false, 0, 200, &p);
	int64_t answered = mono_ms();
	expect_end(&r);
	ck_assert_int_ge(mono_ms() - answered, cfg.header_timeout_ms - 20); /* the clocks' rounding */
	ck_assert_int_eq(collect(&r, recs, 4), 2);
	ck_assert(recs[0].report && recs[0].status == 200);
	ck_assert(recs[1].quiet && recs[1].result == 0);
}
END_TEST

/* SPEC H-8 H-6: part of a head at the header deadline is answered 408, and the end. */
START_TEST(h8_partial_head_408)
{
	struct serve_cfg cfg = header_cfg();
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, GET("/") "GET / HTTP/1.1\r\nHo");
	expect(&r, false, 0, 200, &p);
	expect(&r, false, 0, 408, &p);
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_str_eq(field(&p, "Content-Length"), "0");
	ck_assert_int_eq(finish(&r, false, recs, 4), 2);
	ck_assert(!recs[1].report && !recs[1].quiet);
	ck_assert_int_eq(recs[1].status, 408);
	ck_assert_int_eq(recs[1].result, ZCP_EXIT_NET);
}
END_TEST

/* SPEC H-8: winding down (a stop) ends an idle kept-alive connection at once, quiet. */
START_TEST(h8_wind_down_idle)
{
	struct serve_cfg cfg = file_cfg();
	cfg.header_timeout_ms = cfg.timeout_ms = 60000; /* longer than a client waits */
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, GET("/"));
	ck_assert_int_eq(response(&r, false, 0, &p), 0);
	ck_assert_int_eq(write(r.ctl, "x", 1), 1);
	ck_assert_int_eq(finish(&r, false, recs, 4), 2);
	ck_assert(recs[1].quiet);
}
END_TEST

/* A file of size zero bytes, more than the sockets hold: its path. */
static const char *sparse_file(uint64_t size)
{
	static char big[600];
	snprintf(big, sizeof big, "%s/big", dir);
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return big;
}

/* SPEC H-8: a response in flight at a stop goes out whole, and the connection ends
 * after it (its head said keep-alive; the next request is not answered). */
START_TEST(h8_wind_down_in_flight)
{
	uint64_t size = 64 << 20;
	struct serve_cfg cfg = file_cfg();
	cfg.file = sparse_file(size);
	struct run r;
	struct resp p;
	struct rec recs[4];
	begin(&r, &cfg, "GET / HTTP/1.1\r\nHost: h\r\n\r\n" GET("/"));
	while (!memmem(r.buf, r.len, "\r\n\r\n", 4))
		ck_assert_uint_gt(more(&r), 0);
	ck_assert_int_eq(write(r.ctl, "x", 1), 1);
	ck_assert_int_eq(response(&r, true, 0, &p), 0); /* its head */
	ck_assert_str_ne(field(&p, "Connection"), "close");
	uint64_t body = 0;
	while (body < size) {
		if (!r.len)
			ck_assert_uint_gt(more(&r), 0);
		body += r.len;
		r.len = 0;
	}
	ck_assert_uint_eq(body, size);
	ck_assert_int_eq(finish(&r, false, recs, 4), 1);
	ck_assert(!recs[0].report && !recs[0].quiet);
	ck_assert_int_eq(recs[0].result, 0);
	ck_assert_uint_eq(recs[0].bytes, size);
}
END_TEST

/* An origin of the test file in this process on a TCP pair sv (sv[0] the client's),
 * its send buffer large, that requests were sent to and are there to be read. */
static struct origin_conn *asked(int sv[2], const char *requests)
{
	static struct serve_cfg cfg;
	cfg = file_cfg();
	tu_tcp_pair(sv);
	int big = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	struct origin_conn *c = malloc(sizeof *c);
	ck_assert_ptr_nonnull(c);
	origin_init(c, sv[1], "client", &cfg, NULL);
	ck_assert_int_eq(write(sv[0], requests, strlen(requests)), (ssize_t)strlen(requests));
	struct pollfd pin = {.fd = sv[1], .events = POLLIN};
	ck_assert_int_eq(poll(&pin, 1, WAIT_MS), 1);
	return c;
}

static void done_with(struct origin_conn *c, int sv[2])
{
	origin_end(c);
	free(c);
	close(sv[0]);
	close(sv[1]);
}

/* SPEC H-9 P-11: a step moves at most about its budget of the body, and yields. */
START_TEST(h9_budget_per_step)
{
	int sv[2];
	struct origin_conn *c = asked(sv, GET("/"));
	int want = origin_step(c, 0, 4096);
	ck_assert_int_eq(want, STEP_YIELD | STEP_OUT);
	ck_assert_uint_eq(c->bytes, 4096);
	want = origin_step(c, 0, 4096);
	ck_assert_uint_eq(c->bytes, 8192);
	want = origin_step(c, 0, 1 << 20);
	ck_assert_int_eq(want, STEP_REPORT | STEP_IN);
	ck_assert_uint_eq(c->bytes, FILE_SIZE);
	done_with(c, sv);
}
END_TEST

/* SPEC S-2 H-9: a file cut short while its body goes out ends the transfer, a file
 * error naming where (the client learns it from the short body and the close). */
START_TEST(h9_file_truncated_mid_body)
{
	int sv[2];
	struct origin_conn *c = asked(sv, GET("/"));
	ck_assert_int_eq(origin_step(c, 0, 4096), STEP_YIELD | STEP_OUT);
	ck_assert_int_eq(truncate(file, 5000), 0);
	ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_ENDED);
	struct step_log l;
	ck_assert_int_eq(origin_report(c, &l), ZCP_EXIT_FILE);
	ck_assert_uint_eq(l.bytes, 5000);
	ck_assert_int_eq(l.status, 200);
	ck_assert_ptr_nonnull(strstr(l.err->reason, "truncated at offset 5000"));
	done_with(c, sv);
}
END_TEST

/* SPEC H-8: at a stop (or --count reached) a request not yet answered is not: the
 * part of a head buffered, or a whole one pipelined, the connection ends quietly. */
START_TEST(h8_wind_down_unanswered)
{
	int sv[2];
	struct origin_conn *c = asked(sv, _i ? GET("/") GET("/") : GET("/") "GET / HT");
	ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_REPORT | STEP_YIELD);
	if (!_i)
		ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_IN);
	origin_wind_down(c);
	ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_ENDED);
	struct step_log l;
	ck_assert_int_eq(origin_report(c, &l), 0);
	ck_assert(l.quiet);
	done_with(c, sv);
}
END_TEST

/* SPEC H-9 E-2: a client that resets the connection in the middle of a head, or
 * before its answer went out, ends it failed (exit 4), naming the call. */
START_TEST(h9_client_reset)
{
	int sv[2];
	struct origin_conn *c = asked(sv, _i ? GET("/") "GET / HT" : GET("/"));
	if (_i) { /* the first is answered; the second is part of a head */
		ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_REPORT | STEP_YIELD);
		ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_IN);
	}
	struct linger hard = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
	close(sv[0]);
	sv[0] = open("/dev/null", O_RDONLY); /* done_with() closes it */
	ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_ENDED);
	struct step_log l;
	ck_assert_int_eq(origin_report(c, &l), ZCP_EXIT_NET);
	ck_assert_str_eq(l.err->call, _i ? "recvfrom" : "sendto");
	done_with(c, sv);
}
END_TEST

/* SPEC H-7: a response head the socket has no room for waits for it (STEP_OUT). */
START_TEST(h7_head_waits_for_room)
{
	int sv[2];
	struct origin_conn *c = asked(sv, GET("/"));
	tu_fill_socket(sv[1]);
	ck_assert_int_eq(origin_step(c, 0, 1 << 20), STEP_OUT);
	ck_assert_int_eq(c->state, ORIGIN_RESPONSE);
	done_with(c, sv);
}
END_TEST

/* SPEC S-15: a connection abandoned (a drain that ran out) ends failed, saying why. */
START_TEST(h8_abandoned)
{
	int sv[2];
	struct origin_conn *c = asked(sv, "GET / HT");
	ck_assert_int_eq(origin_step(c, 0, 4096), STEP_IN);
	origin_abandon(c, "stopped: the drain time ran out");
	ck_assert_int_eq(origin_step(c, 0, 4096), STEP_ENDED);
	struct step_log l;
	ck_assert_int_eq(origin_report(c, &l), ZCP_EXIT_NET);
	ck_assert(!l.quiet);
	ck_assert_str_eq(l.err->reason, "stopped: the drain time ran out");
	done_with(c, sv);
}
END_TEST

/* SPEC H-9 P-10: a client gone in the middle of a body, and one that stops reading
 * it for --timeout, end the transfer failed (exit 4), reported with what went out. */
START_TEST(h9_client_gone_mid_body)
{
	struct serve_cfg cfg = file_cfg();
	cfg.file = sparse_file(64 << 20);
	cfg.timeout_ms = _i ? 300 : 60000;
	struct run r;
	struct resp p;
	struct rec recs[2];
	begin(&r, &cfg, GET("/"));
	while (!memmem(r.buf, r.len, "\r\n\r\n", 4))
		ck_assert_uint_gt(more(&r), 0);
	expect(&r, true, 0, 200, &p);
	if (!_i) { /* gone, its unread bytes resetting the connection */
		close(r.sock);
		r.sock = -1;
	}
	ck_assert_int_eq(collect(&r, recs, 2), 1);
	ck_assert(!recs[0].report);
	ck_assert_int_eq(recs[0].status, 200);
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_NET);
	ck_assert_uint_lt(recs[0].bytes, 64 << 20);
	if (_i)
		ck_assert_str_eq(recs[0].reason, "timed out waiting for the client to read the body");
}
END_TEST

/* SPEC H-8: a client that closes in the middle of a head: a transfer that failed. */
START_TEST(h8_closed_in_head)
{
	struct serve_cfg cfg = file_cfg();
	struct run r;
	struct rec recs[2];
	begin(&r, &cfg, "GET / HTTP/1.1\r\nHo");
	ck_assert_int_eq(finish(&r, true, recs, 2), 1);
	ck_assert(!recs[0].quiet);
	ck_assert_int_eq(recs[0].status, 0);
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_NET);
}
END_TEST

/* SPEC H-6: a file that is there but cannot be served is 500. */
START_TEST(h6_server_error)
{
	struct serve_cfg cfg = file_cfg();
	cfg.file = "/proc/self/stat"; /* size 0 with content: not served (S-9) */
	struct run r;
	struct resp p;
	struct rec recs[2];
	begin(&r, &cfg, GET("/"));
	expect(&r, false, 0, 500, &p);
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 2), 1);
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_FILE);
}
END_TEST

static int logged[8], nlogged; /* the statuses the listener logged */

static void log_status(void *arg, const struct step_log *l)
{
	(void)arg;
	ck_assert(!l->quiet);
	ck_assert_int_lt(nlogged, 8);
	logged[nlogged++] = l->status;
}

/* SPEC H-9 S-7: origin_ops through the listener: with --count 3, five pipelined
 * requests on one connection are three transfers logged (each as it ends, the
 * connection kept), then the connection is wound down, quietly (the other two not
 * answered), and the loop returns. */
START_TEST(h9_listener_counts_requests)
{
	struct serve_cfg sc = file_cfg();
	struct zerr e;
	char bound[NET_ADDR_MAX], peer[NET_ADDR_MAX];
	int lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lfd, 0);
	struct run r = {.sock = net_connect(bound, WAIT_MS, peer, sizeof peer, &e), .pid = -1};
	ck_assert_int_ge(r.sock, 0);
	put(&r, GET("/") GET("/") GET("/") GET("/") GET("/"));
	static volatile sig_atomic_t stop;
	struct listener_cfg lc = {.kind = &origin_ops, .kind_arg = &sc, .max_chunk = 1 << 20, .max_clients = 4,
				  .count = 3, .drain_ms = 10000, .log = log_status, .stop = &stop};
	nlogged = 0;
	ck_assert_int_eq(listener_run(lfd, &lc, &e), 0);
	ck_assert_int_eq(nlogged, 3);
	struct resp p;
	for (int i = 0; i < 3; i++) {
		expect(&r, false, 0, 200, &p);
		ck_assert_str_ne(field(&p, "Connection"), "close");
		ck_assert(logged[i] == 200 && p.body_ok && p.body == FILE_SIZE);
	}
	expect_end(&r);
	close(r.sock);
	close(lfd);
}
END_TEST

#define KEY64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct tls_ctx *psk_ctx(bool listener)
{
	char path[600];
	snprintf(path, sizeof path, "%s/key", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "zcp:" KEY64 "\n", 69), 69);
	close(fd);
	struct tls_cfg tc = {.psk_file = path};
	struct zerr e;
	struct tls_ctx *ctx = tls_ctx_new(listener, &tc, listener ? NULL : "h", &e);
	ck_assert_msg(ctx != NULL, "%s", e.reason);
	return ctx;
}

/* SPEC H-11: a plaintext request at a TLS port is 400, nothing opened (a missing file
 * would be 404), the end; the log says an authentication failure. */
START_TEST(h11_plain_http_at_tls_port)
{
	struct serve_cfg cfg = file_cfg();
	cfg.file = "/nonexistent/file";
	cfg.tls = psk_ctx(true);
	struct run r;
	struct resp p;
	struct rec recs[2];
	begin(&r, &cfg, GET("/"));
	expect(&r, false, 0, 400, &p);
	ck_assert_str_eq(field(&p, "Connection"), "close");
	ck_assert_int_eq(finish(&r, false, recs, 2), 1);
	ck_assert_int_eq(recs[0].result, ZCP_EXIT_AUTH);
	ck_assert_str_eq(recs[0].reason, "plain HTTP request sent to a TLS port");
	tls_ctx_free(cfg.tls);
}
END_TEST

/* SPEC H-11: a session whose handshake was made before the origin took the
 * connection carries the requests and responses (two, kept alive); the log says tls. */
START_TEST(h11_https_adopted_session)
{
	struct serve_cfg cfg = file_cfg();
	cfg.tls = psk_ctx(true);
	struct tls_ctx *client = psk_ctx(false);
	struct run r;
	struct resp p;
	struct rec recs[4];
	struct tls_conn t;
	start_tls(&r, &cfg, cfg.tls, 1 << 20);
	ck_assert_int_eq(tls_conn_start(&t, client, r.sock), 0);
	enum tls_hs hs;
	while ((hs = tls_handshake(&t)) == TLS_HS_READ || hs == TLS_HS_WRITE) {
		struct pollfd pw = {.fd = r.sock, .events = hs == TLS_HS_READ ? POLLIN : POLLOUT};
		ck_assert_int_eq(poll(&pw, 1, WAIT_MS), 1);
	}
	ck_assert_int_eq(hs, TLS_HS_DONE);
	r.io = &t.io;
	put(&r, "GET /data.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n" GET("/"));
	ck_assert_int_eq(response(&r, false, 10, &p), 0);
	ck_assert(p.status == 206 && p.body == 10 && p.body_ok);
	ck_assert_int_eq(response(&r, false, 0, &p), 0);
	ck_assert(p.status == 200 && p.body == FILE_SIZE && p.body_ok);
	tls_close_notify(&t);
	ck_assert_int_eq(finish(&r, false, recs, 4), 3);
	ck_assert(strcmp(recs[0].tls, "user") == 0 || strcmp(recs[0].tls, "ktls") == 0);
	ck_assert(recs[2].quiet);
	tls_conn_end(&t);
	tls_ctx_free(client);
	tls_ctx_free(cfg.tls);
}
END_TEST

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a client write to a closed connection fails, not kills */
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, h9_get_whole_file, 0, 3);
	tcase_add_test(tc, h2_single_file_targets);
	tcase_add_loop_test(tc, h2_root_targets, 0, sizeof root_cases / sizeof root_cases[0]);
	tcase_add_test(tc, h3_head);
	tcase_add_test(tc, h3_method_not_allowed);
	tcase_add_loop_test(tc, h6_refused_requests, 0, sizeof refused / sizeof refused[0]);
	tcase_add_test(tc, h6_head_too_large);
	tcase_add_test(tc, h6_server_error);
	tcase_add_loop_test(tc, h4_ranges, 0, sizeof range_cases / sizeof range_cases[0]);
	tcase_add_test(tc, h4_empty_file);
	tcase_add_test(tc, h5_not_modified);
	tcase_add_test(tc, h5_if_range);
	tcase_add_test(tc, h7_pipelined_three);
	tcase_add_test(tc, h7_request_cap);
	tcase_add_test(tc, h7_persistence);
	tcase_add_test(tc, h8_idle_keepalive_deadline);
	tcase_add_test(tc, h8_partial_head_408);
	tcase_add_test(tc, h8_wind_down_idle);
	tcase_add_test(tc, h8_wind_down_in_flight);
	tcase_add_test(tc, h9_budget_per_step);
	tcase_add_test(tc, h9_listener_counts_requests);
	tcase_add_test(tc, h9_file_truncated_mid_body);
	tcase_add_loop_test(tc, h9_client_gone_mid_body, 0, 2);
	tcase_add_test(tc, h8_abandoned);
	tcase_add_loop_test(tc, h9_client_reset, 0, 2);
	tcase_add_test(tc, h7_head_waits_for_room);
	tcase_add_loop_test(tc, h8_wind_down_unanswered, 0, 2);
	tcase_add_test(tc, h8_closed_in_head);
	tcase_add_test(tc, h11_plain_http_at_tls_port);
	tcase_add_test(tc, h11_https_adopted_session);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
