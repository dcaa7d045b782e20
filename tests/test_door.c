/* Check suite for the door (SPEC H-1, H-10, H-11): one listener, both protocols,
 * chosen by the first bytes, with real sockets, the real loop and both real kinds. */
#include <netinet/in.h>
#include <sys/stat.h>

#include "door.h"
#include "listener.h"
#include "testutil.h"

struct pick_case {
	const char *bytes;
	size_t n;
	bool http;
};

/* SPEC H-1: as many bytes of "ZCQ1" as came, or a first byte that is not an
 * upper-case letter, are ZCP/1; an upper-case letter otherwise is HTTP. */
static const struct pick_case pick_cases[] = {
	{"ZCQ1\x01", 5, false}, {"Z", 1, false}, {"ZC", 2, false}, {"ZCQ", 3, false},
	{"\x16\x03\x01", 3, false}, {"get ", 4, false}, {"\0", 1, false}, {"\r\n", 2, false},
	{"GET ", 4, true}, {"HEAD", 4, true}, {"G", 1, true}, {"ZX", 2, true}, {"ZCQ2", 4, true},
	{"PRI ", 4, true},
};

START_TEST(h1_pick_by_first_bytes)
{
	const struct pick_case *c = &pick_cases[_i];
	const struct step_ops *want = c->http ? &origin_ops : &serve_ops;
	ck_assert_msg(door_pick((const uint8_t *)c->bytes, c->n) == want, "case %d", _i);
}
END_TEST

/* --- the door in the real loop */

struct seen {
	int result, status;
	bool busy, http;
	uint64_t bytes;
};

static struct seen seen[8];
static unsigned nseen;
static int lfd;
static char bound[NET_ADDR_MAX], dir[256], path[300];
static volatile sig_atomic_t stop;
static struct listener_cfg cfg;
static struct serve_cfg sc;

static void log_record(void *arg, const struct step_log *l)
{
	(void)arg;
	ck_assert_uint_lt(nseen, 8);
	seen[nseen++] = (struct seen){.result = l->result, .status = l->status, .busy = l->busy,
				      .http = l->proto != NULL, .bytes = l->bytes};
}

static void setup(void)
{
	struct zerr e;
	signal(SIGPIPE, SIG_IGN);
	lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lfd, 0);
	nseen = 0;
	stop = 0;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/data.bin", dir);
	tu_make_file(path, 100);
	sc = (struct serve_cfg){.file = path, .rootfd = -1, .path = XFER_COPY, .chunk = 65536,
				.timeout_ms = 5000, .header_timeout_ms = 5000};
	cfg = (struct listener_cfg){.kind = &door_ops, .kind_arg = &sc, .max_chunk = 1 << 20,
				  .max_clients = 8, .drain_ms = 5000, .count = 1, .log = log_record,
				  .stop = &stop};
}

static void teardown(void)
{
	if (lfd >= 0)
		close(lfd);
	tu_rmtree(dir);
}

/* A client that sends its request and says it will send no more (as a client
 * that reads to the close does), so that the server's linger (H-6) ends at once. */
static int client_done(const void *text, size_t n)
{
	int fd = tu_client(bound, text, n);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	return fd;
}

/* Everything the server sends until it closes (bounded waits), NUL-terminated. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t at = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ssize_t k = recv(fd, buf + at, cap - 1 - at, 0);
		if (k <= 0)
			break;
		at += (size_t)k;
		ck_assert_uint_lt(at, cap - 1);
	}
	buf[at] = '\0';
	close(fd);
	return at;
}

static void run(void)
{
	struct zerr e;
	ck_assert_int_ge(listener_run(lfd, &cfg, &e), 0);
}

/* SPEC H-1: a ZCP/1 request through the door is served as ZCP/1. */
START_TEST(h1_zcp_request_served_as_zcp)
{
	uint8_t frames[WIRE_FRAME_MAX];
	struct wire_request q = {0};
	ssize_t n = wire_encode_request(&q, frames, sizeof frames);
	struct wire_ack ok = {.status = WIRE_ACK_OK, .received = 100};
	n += wire_encode_ack(&ok, frames + n, sizeof frames - (size_t)n);
	int a = tu_client(bound, frames, (size_t)n);
	run();
	char got[512];
	ck_assert_uint_eq(read_all(a, got, sizeof got), WIRE_RESPONSE_FIXED + 8 + 100);
	struct wire_response resp;
	ck_assert_int_eq(wire_parse_response((uint8_t *)got, WIRE_RESPONSE_FIXED + 8, &resp),
			 WIRE_RESPONSE_FIXED + 8);
	ck_assert_uint_eq(resp.length, 100);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(!seen[0].http);
	ck_assert_int_eq(seen[0].result, 0);
}
END_TEST

/* SPEC H-1 H-9: an HTTP request through the door is answered in HTTP, the whole file
 * after the head, logged as an HTTP transfer. */
START_TEST(h1_http_request_answered_in_http)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	int a = client_done(req, sizeof req - 1);
	run();
	char got[4096];
	size_t n = read_all(a, got, sizeof got);
	ck_assert_msg(!strncmp(got, "HTTP/1.1 200 ", 13), "'%s'", got);
	char *body = strstr(got, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	body += 4;
	ck_assert_uint_eq(n - (size_t)(body - got), 100);
	for (unsigned i = 0; i < 100; i++)
		ck_assert_uint_eq((uint8_t)body[i], tu_byte(i));
	ck_assert_uint_eq(nseen, 1);
	ck_assert(seen[0].http);
	ck_assert_int_eq(seen[0].status, 200);
	ck_assert_int_eq(seen[0].result, 0);
}
END_TEST

/* SPEC H-11: plaintext HTTP at a TLS listener hears 400 in plaintext; nothing is
 * served, and it is logged an authentication failure. */
START_TEST(h11_plain_http_at_a_tls_listener_hears_400)
{
	char key[320];
	snprintf(key, sizeof key, "%s/k.psk", dir);
	FILE *f = fopen(key, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "zcp:%s\n", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	fclose(f);
	chmod(key, 0600);
	struct zerr e;
	struct tls_cfg tc = {.psk_file = key};
	sc.tls = tls_ctx_new(true, &tc, NULL, &e);
	ck_assert_ptr_nonnull(sc.tls);
	static const char req[] = "GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	int a = client_done(req, sizeof req - 1);
	run();
	char got[4096];
	read_all(a, got, sizeof got);
	ck_assert_msg(!strncmp(got, "HTTP/1.1 400 ", 13), "'%s'", got);
	ck_assert_ptr_null(strstr(got, "\r\n\r\n") ? strstr(strstr(got, "\r\n\r\n") + 4, "\x07") : NULL);
	ck_assert_uint_eq(nseen, 1);
	ck_assert(seen[0].http);
	ck_assert_int_eq(seen[0].status, 400);
	ck_assert_int_eq(seen[0].result, ZCP_EXIT_AUTH);
	ck_assert_uint_eq(seen[0].bytes, 0);
	tls_ctx_free(sc.tls);
}
END_TEST

static void stop_after_busy(void *arg, const struct step_log *l)
{
	log_record(arg, l);
	if (l->busy)
		stop = SIGTERM;
}

/* SPEC H-10: one client holds the only place (*held, it sends nothing); another,
 * whose n bytes of text are there at its accept, is refused busy. Returns its
 * socket, for what it heard. */
static int refused_busy(const void *text, size_t n, int *held)
{
	*held = tu_client(bound, "", 0);
	int b = tu_client(bound, text, n);
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	cfg.max_clients = 1;
	cfg.count = 0;
	cfg.drain_ms = 0;
	cfg.log = stop_after_busy;
	run();
	return b;
}

/* SPEC H-10: over --max-clients an HTTP client whose request is there hears 503 with
 * Retry-After: 1, Content-Length: 0 and Connection: close. */
START_TEST(h10_busy_http_hears_503)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int a, b = refused_busy(req, sizeof req - 1, &a);
	char got[1024];
	read_all(b, got, sizeof got);
	ck_assert_msg(!strncmp(got, "HTTP/1.1 503 ", 13), "'%s'", got);
	ck_assert_ptr_nonnull(strstr(got, "\r\nRetry-After: 1\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Length: 0\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: close\r\n"));
	close(a);
	ck_assert(seen[0].busy);
}
END_TEST

/* SPEC H-10 S-14: over --max-clients a ZCP/1 receiver whose request is there hears
 * BUSY, not HTTP's 503. */
START_TEST(h10_busy_zcp_hears_busy)
{
	uint8_t frame[WIRE_FRAME_MAX];
	struct wire_request q = {0};
	ssize_t n = wire_encode_request(&q, frame, sizeof frame);
	ck_assert_int_gt(n, 0);
	int a, b = refused_busy(frame, (size_t)n, &a);
	char got[512];
	size_t len = read_all(b, got, sizeof got);
	struct wire_response resp;
	ck_assert_int_gt(wire_parse_response((uint8_t *)got, len, &resp), 0);
	ck_assert_int_eq(resp.status, WIRE_BUSY);
	close(a);
	ck_assert(seen[0].busy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("door");
	TCase *tc = tcase_create("pick");
	tcase_add_loop_test(tc, h1_pick_by_first_bytes, 0, (int)(sizeof pick_cases / sizeof pick_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, h1_zcp_request_served_as_zcp);
	tcase_add_test(tc, h1_http_request_answered_in_http);
	tcase_add_test(tc, h11_plain_http_at_a_tls_listener_hears_400);
	tcase_add_test(tc, h10_busy_http_hears_503);
	tcase_add_test(tc, h10_busy_zcp_hears_busy);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
