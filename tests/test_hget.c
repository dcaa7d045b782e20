/* Check suite for src/hget.c: hget_one() on one end of a socketpair whose other end
 * holds a scripted response (written before the call, then closed for writing),
 * into a file in a temporary directory (SPEC G). */
#include <sys/socket.h>

#include "fsio.h"
#include "hget.h"
#include "httpc.h"
#include "testutil.h"

static char dir[256], out_path[300];
static struct httpc_url url;
static char sent[4096]; /* the request hget_one() sent, by run() */

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	const char *why;
	const char *u = "http://127.0.0.1:8080/f.bin";
	ck_assert_int_eq(httpc_url_parse(u, strlen(u), NULL, &url, &why), 0);
}

static void teardown(void) { tu_rmtree(dir); }

/* hget_one() of cfg (its url set here) against response[0..len). */
static int run(struct fetch_cfg *cfg, const char *response, size_t len, struct fetch_report *rep,
	       struct zerr *e)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], response, len), (ssize_t)len);
	shutdown(sv[1], SHUT_WR);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, e), 0);
	cfg->url = &url;
	cfg->chunk = 4096;
	cfg->timeout_ms = 5000;
	int r = hget_one(sv[0], "peer", cfg, &out, rep, NULL, e);
	ssize_t n = recv(sv[1], sent, sizeof sent - 1, MSG_DONTWAIT);
	sent[n > 0 ? n : 0] = '\0';
	close(sv[0]);
	close(sv[1]);
	return r;
}

/* The stored file, or "" when there is none. */
static const char *stored(void)
{
	static char buf[256];
	FILE *f = fopen(out_path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

struct row {
	const char *response;
	int result;          /* 0, or the exit code */
	const char *body;    /* stored, or the words of the error */
	enum xfer_path path;
};

/* SPEC G-3..G-6: each response read whole from one buffer, body bytes read with the head
 * included. */
static const struct row rows[] = {
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, "hello", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, "hello", XFER_SPLICE},
	{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 0, "hi", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", 0, "abcde",
	 XFER_SPLICE},
	{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhello", ZCP_EXIT_PROTO,
	 "more than its Content-Length", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello", ZCP_EXIT_PROTO, "closed after 5 of 9", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", ZCP_EXIT_PROTO,
	 "closed before the last chunk", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n", ZCP_EXIT_PROTO, "a bad chunked body",
	 XFER_COPY},
	{"HTTP/1.1 200 OK\r\nContent-Len", ZCP_EXIT_PROTO, "before the response head ended", XFER_COPY},
	{"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", ZCP_EXIT_PEER, "answered 500", XFER_COPY},
	{"HTTP/1.1 200 OK\r\n\r\nhello", ZCP_EXIT_PROTO, "neither Content-Length", XFER_COPY},
	{"HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-4/5\r\nContent-Length: 5\r\n\r\nhello", ZCP_EXIT_PROTO,
	 "206 to a request for the whole file", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", ZCP_EXIT_PROTO,
	 "Content-Encoding", XFER_COPY},
	/* SPEC G-12: a whole 200's Content-Digest (its content is the representation) */
	{"HTTP/1.1 200 OK\r\nContent-Digest: sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:\r\n"
	 "Content-Length: 5\r\n\r\nhello", 0, "hello", XFER_COPY},
	{"HTTP/1.1 200 OK\r\nContent-Digest: sha-256=:C2F5s4qXArPmtxUYgDFiPQnNxNFzxqz+4nMhDqKB4ag=:\r\n"
	 "Content-Length: 5\r\n\r\nhello", ZCP_EXIT_PROTO, "not the server's Content-Digest", XFER_COPY},
};

START_TEST(g3_responses) /* SPEC G-3 G-4 G-5 G-6 G-12 */
{
	const struct row *w = &rows[_i];
	struct fetch_cfg cfg = {.path = w->path};
	struct fetch_report rep;
	struct zerr e = {0};
	int r = run(&cfg, w->response, strlen(w->response), &rep, &e);
	if (!w->result) {
		ck_assert_msg(r == 0, "row %d: %s", _i, e.reason);
		ck_assert_str_eq(stored(), w->body);
		ck_assert_uint_eq(rep.received, strlen(w->body));
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(e.code, w->result);
		ck_assert_msg(strstr(e.reason, w->body), "row %d: %s", _i, e.reason);
		ck_assert_str_eq(stored(), "");
	}
}
END_TEST

START_TEST(g4_interim_bounded) /* SPEC G-4: a server that answers only 1xx heads ends */
{
	char resp[2048] = "";
	for (int i = 0; i <= HGET_INTERIM_MAX; i++)
		strcat(resp, "HTTP/1.1 102 Processing\r\n\r\n");
	strcat(resp, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	struct fetch_cfg cfg = {.path = XFER_COPY};
	struct fetch_report rep;
	struct zerr e;
	ck_assert_int_eq(run(&cfg, resp, strlen(resp), &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PROTO);
	ck_assert_msg(strstr(e.reason, "interim"), "%s", e.reason);
	ck_assert_str_eq(stored(), "");
}
END_TEST

START_TEST(g10_probe) /* SPEC G-10 G-11: the probe's 206 says the whole; a 200 says no ranges */
{
	struct fetch_cfg cfg = {.path = XFER_COPY, .probe = true, .resume = {.want_ident = true}};
	struct fetch_report rep;
	struct zerr e;
	const char *r206 = "HTTP/1.1 206 P\r\nETag: \"a\"\r\nContent-Range: bytes 0-0/1000\r\nContent-Length: 1\r\n\r\nx";
	ck_assert_int_eq(run(&cfg, r206, strlen(r206), &rep, &e), 0);
	ck_assert_uint_eq(rep.resp.length, 1000);
	ck_assert_uint_eq(rep.resp.file_size, 1000);
	ck_assert_uint_eq(rep.ident.size, 1000);
	ck_assert(!rep.no_ranges);
	ck_assert_str_eq(stored(), "");
	struct wire_ident first = rep.ident;
	const char *other = "HTTP/1.1 206 P\r\nETag: \"b\"\r\nContent-Range: bytes 0-0/1000\r\nContent-Length: 1\r\n\r\nx";
	ck_assert_int_eq(run(&cfg, other, strlen(other), &rep, &e), 0);
	ck_assert(memcmp(&first, &rep.ident, sizeof first) != 0); /* another ETag, another file */
	const char *r200 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ck_assert_int_eq(run(&cfg, r200, strlen(r200), &rep, &e), -1);
	ck_assert(rep.no_ranges);
}
END_TEST

START_TEST(g11_changed) /* SPEC G-11: another identity is CHANGED, nothing stored */
{
	struct wire_ident id = {.size = 5};
	struct fetch_cfg cfg = {.path = XFER_COPY, .offset = 2, .resume = {.want_ident = true, .if_ident = &id}};
	struct fetch_report rep;
	struct zerr e;
	const char *r206 = "HTTP/1.1 206 P\r\nContent-Range: bytes 2-4/5\r\nContent-Length: 3\r\n\r\nllo";
	ck_assert_int_eq(run(&cfg, r206, strlen(r206), &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_int_eq(rep.resp.status, WIRE_CHANGED);
	const char *r200 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ck_assert_int_eq(run(&cfg, r200, strlen(r200), &rep, &e), -1);
	ck_assert_int_eq(rep.resp.status, WIRE_CHANGED);
	ck_assert_str_eq(stored(), "");
}
END_TEST

/* SPEC G-10 F-4: a part names the probe's validator in If-Range and as a precondition
 * (a strong ETag in If-Match, a date in If-Unmodified-Since); a 412 to it is CHANGED,
 * one to a request without one a status like another */
#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"
static const struct precondition {
	const char *validator, *sent, *unsent, *reason;
} preconditions[] = {
	{"\"v1\"", "\r\nIf-Range: \"v1\"\r\nIf-Match: \"v1\"\r\nConnection", "If-Unmodified-Since",
	 "the file changed on the server (412 to If-Match)"},
	{DATE, "\r\nIf-Range: " DATE "\r\nIf-Unmodified-Since: " DATE "\r\nConnection", "If-Match",
	 "the file changed on the server (412 to If-Unmodified-Since)"},
	{NULL, "\r\nRange: bytes=2-4\r\nConnection", "If-", "the server answered 412"},
};

START_TEST(g10_part_preconditions)
{
	const struct precondition *w = &preconditions[_i];
	struct wire_ident id = {.size = 5};
	struct fetch_cfg cfg = {.path = XFER_COPY, .part = true, .offset = 2, .length = 3, .if_range = w->validator,
				.resume = {.want_ident = true, .if_ident = w->validator ? &id : NULL}};
	struct fetch_report rep;
	struct zerr e;
	const char *r412 = "HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\n\r\n";
	ck_assert_int_eq(run(&cfg, r412, strlen(r412), &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_int_eq(rep.resp.status, w->validator ? WIRE_CHANGED : WIRE_OK);
	ck_assert_str_eq(e.reason, w->reason);
	ck_assert_msg(strstr(sent, w->sent), "%s", sent);
	ck_assert_msg(!strstr(sent, w->unsent), "%s", sent);
}
END_TEST

/* SPEC G-10 G-8: a part asks the URL it is given (the probe's final one) and follows no
 * redirect: another server is never asked mid-transfer */
START_TEST(g10_part_no_redirect)
{
	struct httpc_url final;
	const char *why, *u = "http://127.0.0.1:8080/final.bin";
	ck_assert_int_eq(httpc_url_parse(u, strlen(u), NULL, &final, &why), 0);
	struct fetch_cfg cfg = {.path = XFER_COPY, .part = true, .offset = 2, .length = 3, .ask = &final};
	struct fetch_report rep;
	struct zerr e;
	const char *r302 = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\nContent-Length: 0\r\n\r\n";
	ck_assert_int_eq(run(&cfg, r302, strlen(r302), &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_msg(strstr(e.reason, "answered 302"), "%s", e.reason);
	ck_assert_msg(!strncmp(sent, "GET /final.bin HTTP/1.1\r\n", 25), "%s", sent);
}
END_TEST

/* SPEC G-10: the probe tells the URL that answered it, after its redirects */
START_TEST(g10_probe_landed)
{
	struct httpc_url landed;
	memset(&landed, 0, sizeof landed);
	struct fetch_cfg cfg = {.path = XFER_COPY, .probe = true, .landed = &landed, .resume = {.want_ident = true}};
	struct fetch_report rep;
	struct zerr e;
	const char *r206 = "HTTP/1.1 206 P\r\nETag: \"a\"\r\nContent-Range: bytes 0-0/1000\r\nContent-Length: 1\r\n\r\nx";
	ck_assert_int_eq(run(&cfg, r206, strlen(r206), &rep, &e), 0);
	ck_assert_str_eq(landed.target, "/f.bin");
	ck_assert_uint_eq(landed.port, 8080);
}
END_TEST

/* The SHA-256 of "hello" (sha256sum). */
static const uint8_t HELLO_SHA256[32] = {
	0x2c, 0xf2, 0x4d, 0xba, 0x5f, 0xb0, 0xa3, 0x0e, 0x26, 0xe8, 0x3b, 0x2a, 0xc5, 0xb9, 0xe2, 0x9e,
	0x1b, 0x16, 0x1e, 0x5c, 0x1f, 0xa7, 0x42, 0x5e, 0x73, 0x04, 0x33, 0x62, 0x93, 0x8b, 0x98, 0x24};

static void count_ticks(void *arg, uint64_t moved, uint64_t total)
{
	(void)moved;
	(void)total;
	++*(unsigned *)arg;
}

/* SPEC G-12 X-8: the read-back is a state of its own, a bounded step at a time (at
 * most the progress's `every` bytes, so that a driver gets the turn back), each
 * pread counted in the stats -v prints. */
START_TEST(g12_readback_steps_counted)
{
	unsigned ticks = 0;
	struct step_progress pg = {.every = 2, .tick = count_ticks, .arg = &ticks};
	struct fetch_cfg cfg = {.path = XFER_COPY, .sha256 = HELLO_SHA256, .progress = &pg};
	struct fetch_report rep;
	struct xfer_stats st = {0};
	struct zerr e;
	int sv[2];
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], resp, strlen(resp)), (ssize_t)strlen(resp));
	shutdown(sv[1], SHUT_WR);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, 0, &e), 0);
	cfg.url = &url;
	cfg.chunk = 4096;
	cfg.timeout_ms = 5000;
	ck_assert_msg(hget_one(sv[0], "peer", &cfg, &out, &rep, &st, &e) == 0, "%s", e.reason);
	close(sv[0]);
	close(sv[1]);
	ck_assert_str_eq(stored(), "hello");
	ck_assert_uint_eq(st.calls[XS_PREAD], 3); /* 2 + 2 + 1 bytes */
	ck_assert_uint_ge(ticks, 3);
}
END_TEST

/* SPEC G-10 G-12: a part whose answer carries a Repr-Digest other than the probe's is
 * of another version of the file (its validator may not say so): CHANGED, before a
 * byte is stored. */
START_TEST(g10_part_repr_digest_changed)
{
	struct wire_ident id;
	const char *probe = "HTTP/1.1 206 P\r\nETag: \"a\"\r\nContent-Range: bytes 0-0/5\r\nContent-Length: 1\r\n\r\nh";
	struct fetch_cfg pc = {.path = XFER_COPY, .probe = true, .resume = {.want_ident = true}};
	struct fetch_report rep;
	struct zerr e;
	ck_assert_int_eq(run(&pc, probe, strlen(probe), &rep, &e), 0);
	id = rep.ident;
	struct fetch_cfg cfg = {.path = XFER_COPY, .part = true, .offset = 1, .length = 4, .repr_digest = HELLO_SHA256,
				.resume = {.want_ident = true, .if_ident = &id}};
	const char *part = "HTTP/1.1 206 P\r\nETag: \"a\"\r\n"
			   "Repr-Digest: sha-256=:C2F5s4qXArPmtxUYgDFiPQnNxNFzxqz+4nMhDqKB4ag=:\r\n"
			   "Content-Range: bytes 1-4/5\r\nContent-Length: 4\r\n\r\nallo";
	ck_assert_int_eq(run(&cfg, part, strlen(part), &rep, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_PEER);
	ck_assert_int_eq(rep.resp.status, WIRE_CHANGED);
	ck_assert_msg(strstr(e.reason, "Repr-Digest"), "%s", e.reason);
	ck_assert_str_eq(stored(), "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hget");
	TCase *tc = tcase_create("hget");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, g3_responses, 0, (int)(sizeof rows / sizeof rows[0]));
	tcase_add_test(tc, g4_interim_bounded);
	tcase_add_test(tc, g10_probe);
	tcase_add_test(tc, g11_changed);
	tcase_add_loop_test(tc, g10_part_preconditions, 0, (int)(sizeof preconditions / sizeof preconditions[0]));
	tcase_add_test(tc, g10_part_no_redirect);
	tcase_add_test(tc, g10_probe_landed);
	tcase_add_test(tc, g12_readback_steps_counted);
	tcase_add_test(tc, g10_part_repr_digest_changed);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
