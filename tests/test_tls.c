/* Check suite for src/tls.c: the key file, pins, and real TLS 1.3 handshakes of
 * both sides over a socketpair (PSK and certificates), then bytes through xfer. */
#include <ctype.h>
#include <stdarg.h>

#include "fetch.h"
#include "opts.h"
#include "report.h"
#include "serve.h"
#include "testutil.h"
#include "tls.h"

#include <openssl/ssl.h>

/* A fault in the guard page arrives as SIGSEGV, which Check reports. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "handle_segv=0"; }

#define KEY64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* Parses text (copied to end at a guard page) whole, at_end as given. */
static ssize_t parse(const char *text, bool at_end, struct tls_psk *psk, const char **why)
{
	void *map;
	size_t maplen, len = strlen(text);
	const char *g = (const char *)tu_guarded(text, len, &map, &maplen);
	*why = NULL;
	ssize_t r = tls_psk_parse(g, len, at_end, psk, why);
	tu_unguard(map, maplen);
	return r;
}

/* SPEC T-2: stunnel's line, with "\n", "\r\n" or none at the end. */
START_TEST(t2_psk_line_parses)
{
	struct tls_psk p;
	const char *why;
	ck_assert_int_eq(parse("zcp:" KEY64 "\n", false, &p, &why), 4 + 64 + 1);
	ck_assert_str_eq(p.id, "zcp");
	ck_assert_uint_eq(p.id_len, 3);
	ck_assert_uint_eq(p.key_len, 32);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(p.key[i], i);
	ck_assert_int_eq(parse("a b:" KEY64 "\r\n", false, &p, &why), 4 + 64 + 2);
	ck_assert_str_eq(p.id, "a b");
	ck_assert_int_eq(parse("id:" KEY64 KEY64, true, &p, &why), 3 + 128);
	ck_assert_uint_eq(p.key_len, 64);
	ck_assert_int_eq(parse("x:" KEY64 "\nmore", true, &p, &why), 2 + 64 + 1); /* the line only */
}
END_TEST

/* SPEC T-2: every prefix of a valid line needs more (never reads past it), and
 * the same bytes at the end of the input are refused unless whole. */
START_TEST(t2_psk_prefixes_need_more)
{
	const char *line = "zcp:" KEY64 "\n";
	struct tls_psk p;
	const char *why;
	char buf[200];
	for (size_t n = 0; n < strlen(line); n++) {
		memcpy(buf, line, n);
		buf[n] = '\0';
		ck_assert_int_eq(parse(buf, false, &p, &why), TLS_NEED_MORE);
		ssize_t r = parse(buf, true, &p, &why);
		if (n == strlen(line) - 1)
			ck_assert_int_eq(r, (ssize_t)n);
		else
			ck_assert_msg(r == -1 && why, "prefix %zu at the end", n);
	}
}
END_TEST

/* words: what the refusal must say, where it is worded for the case (SPEC T-2) */
static const struct { const char *text, *why, *words; } bad_lines[] = {
	{":" KEY64 "\n", "empty identity", NULL},
	{"zcp" KEY64 "\n", "no ':'", "no ':' between the identity and the key"},
	{"zcp:" KEY64 "0\n", "odd digits", NULL},
	{"zcp:" KEY64 "zz\n", "not hex", NULL},
	{"zcp:0011\n", "short key (2 bytes)", NULL},
	{"zcp:" "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e" "\n", "31 bytes", NULL},
	{"zcp:" KEY64 KEY64 "00\n", "65 bytes", NULL},
	{"z\tcp:" KEY64 "\n", "control byte in the identity", "the identity holds a control byte"},
	{"z\xc3\xa9:" KEY64 "\n", "UTF-8 in the identity", "the identity holds a byte that is not ASCII"},
	/* an editor's (Windows Notepad's) mark is not called a control byte */
	{"\xef\xbb\xbfzcp:" KEY64 "\n", "a byte-order mark", "starts with a UTF-8 byte-order mark"},
	{"zcp:" KEY64 " \n", "space after the key", NULL},
	{"zcp:" KEY64 "\r", "CR without LF at the end", NULL},
	{"\n", "empty line", "an empty line"},
	{"", "empty file", NULL},
};

/* SPEC T-2: what is not one valid line is refused, with a reason. */
START_TEST(t2_psk_bad_lines)
{
	struct tls_psk p;
	const char *why;
	ck_assert_msg(parse(bad_lines[_i].text, true, &p, &why) == -1 && why && *why, "%s", bad_lines[_i].why);
	const char *words = bad_lines[_i].words;
	ck_assert_msg(!words || strstr(why, words), "%s: '%s', not '%s'", bad_lines[_i].why, why, words);
}
END_TEST

/* SPEC T-2: a start of a byte-order mark needs more before it is worded as one. */
START_TEST(t2_psk_bom_prefix_needs_more)
{
	struct tls_psk p;
	const char *why;
	ck_assert_int_eq(parse("\xef", false, &p, &why), TLS_NEED_MORE);
	ck_assert_int_eq(parse("\xef\xbb", false, &p, &why), TLS_NEED_MORE);
	ck_assert_int_eq(parse("\xef\xbb\xbf", false, &p, &why), -1);
	ck_assert_int_eq(parse("\xef\xbbz", false, &p, &why), -1);
	ck_assert_int_eq(parse("\xef\xbb", true, &p, &why), -1); /* not a whole one */
	ck_assert_str_eq(why, "the identity holds a byte that is not ASCII");
}
END_TEST

/* SPEC T-2: an identity of 128 bytes is taken, 129 refused before the key. */
START_TEST(t2_psk_identity_bound)
{
	char line[400];
	struct tls_psk p;
	const char *why;
	memset(line, 'i', 128);
	snprintf(line + 128, sizeof line - 128, ":%s\n", KEY64);
	ck_assert_int_eq(parse(line, true, &p, &why), 128 + 1 + 64 + 1);
	memset(line, 'i', 129);
	line[129] = '\0';
	ck_assert_int_eq(parse(line, false, &p, &why), -1);
}
END_TEST

static const char *dir;
static char path[512];

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) { tu_rmtree(dir); }

static const char *key_file(const char *name, const char *text, mode_t mode)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

/* SPEC T-2: a key file for the owner only loads; group or others' permissions,
 * a second line, a directory and a missing file are refused, exit 3, naming it. */
START_TEST(t2_psk_file_permissions)
{
	struct tls_psk p;
	struct zerr e;
	ck_assert_int_eq(tls_psk_load(key_file("k", "zcp:" KEY64 "\n", 0600), &p, &e), 0);
	ck_assert_uint_eq(p.key_len, 32);
	ck_assert_int_eq(tls_psk_load(key_file("k", "zcp:" KEY64 "\n", 0400), &p, &e), 0);
	static const mode_t loose[] = {0640, 0604, 0620, 0602, 0610, 0601};
	for (unsigned i = 0; i < sizeof loose / sizeof *loose; i++) {
		const char *f = key_file("k", "zcp:" KEY64 "\n", loose[i]);
		ck_assert_int_eq(tls_psk_load(f, &p, &e), -1);
		ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
		ck_assert_str_eq(e.object, f);
		ck_assert_ptr_nonnull(strstr(e.reason, "chmod 600"));
	}
	ck_assert_int_eq(tls_psk_load(key_file("k", "zcp:" KEY64 "\nb:" KEY64 "\n", 0600), &p, &e), -1);
	ck_assert_int_eq(tls_psk_load(key_file("k", "zcp:00\n", 0600), &p, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_int_eq(tls_psk_load(dir, &p, &e), -1);
	snprintf(path, sizeof path, "%s/none", dir);
	ck_assert_int_eq(tls_psk_load(path, &p, &e), -1);
	ck_assert_str_eq(e.call, "open");
}
END_TEST

/* SPEC T-2: a FIFO as the key file is refused at once (open does not wait for a
 * writer; alarm bounds the wait this once was), exit 3, naming it. */
START_TEST(t2_psk_file_fifo)
{
	struct tls_psk p;
	struct zerr e;
	snprintf(path, sizeof path, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(5);
	ck_assert_int_eq(tls_psk_load(path, &p, &e), -1);
	alarm(0);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, path);
	ck_assert_ptr_nonnull(strstr(e.reason, "regular file"));
}
END_TEST

/* SPEC T-2: a key file owned by another user (not root) is refused, exit 3, as ssh
 * and rsync refuse one: its owner holds the key. Root's own file loads. */
START_TEST(t2_psk_file_owner)
{
	struct tls_psk p;
	struct zerr e;
	const char *f = key_file("k", "zcp:" KEY64 "\n", 0600);
	if (geteuid() != 0)
		return; /* only root can give a file away (the e2e run here is root) */
	ck_assert_int_eq(chown(f, 65534, 65534), 0);
	ck_assert_int_eq(tls_psk_load(f, &p, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, f);
	ck_assert_msg(strstr(e.reason, "owned by uid 65534"), "%s", e.reason);
	ck_assert_int_eq(chown(f, 0, 0), 0);
	ck_assert_int_eq(tls_psk_load(f, &p, &e), 0);
}
END_TEST

/* SPEC T-3: curl's pin form. */
START_TEST(t3_pin_parse)
{
	uint8_t pin[TLS_PINS_MAX][TLS_PIN_SIZE];
	/* base64 of 32 bytes 0..31 */
	ck_assert_int_eq(tls_pin_parse("sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", pin), 1);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(pin[0][i], i);
	ck_assert_int_eq(tls_pin_parse("sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", pin), -1);
	ck_assert_int_eq(tls_pin_parse("sha1//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", pin), -1);
	ck_assert_int_eq(tls_pin_parse("sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=", pin), -1);
	ck_assert_int_eq(tls_pin_parse("sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=A", pin), -1);
	ck_assert_int_eq(tls_pin_parse("", pin), -1);
}
END_TEST

/* SPEC T-10: several pins separated by ';' (curl's --pinnedpubkey), up to
 * TLS_PINS_MAX; an empty one, a space or one too many refuses the list. */
START_TEST(t10_pin_list_parse)
{
	static const char a[] = "sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	static const char b[] = "sha256////////////////////////////////////////////8=";
	uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE];
	char list[TLS_PINS_MAX * (sizeof a) + 64];
	snprintf(list, sizeof list, "%s;%s", a, b);
	ck_assert_int_eq(tls_pin_parse(list, pins), 2);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(pins[0][i], i);
	for (unsigned i = 0; i < 31; i++)
		ck_assert_uint_eq(pins[1][i], 0xff);
	static const char *const bad[] = {"%s;", ";%s", "%s;;%s", "%s; %s", "%s;sha1//x"};
	for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(list, sizeof list, bad[i], a, a);
		ck_assert_msg(tls_pin_parse(list, pins) == -1, "%s", list);
	}
	size_t at = 0;
	for (int n = 1; n <= TLS_PINS_MAX + 1; n++) {
		at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", n > 1 ? ";" : "", n % 2 ? a : b);
		ck_assert_int_eq(tls_pin_parse(list, pins), n <= TLS_PINS_MAX ? n : -1);
	}
	ck_assert_uint_eq(pins[TLS_PINS_MAX - 1][0], 0xff);
}
END_TEST

/* SPEC T-7: a TLS record's start is told from a ZCP/1 frame's. */
START_TEST(t7_record_sniff)
{
	ck_assert(tls_looks_like_record((const uint8_t *)"\x16\x03\x01", 3));
	ck_assert(tls_looks_like_record((const uint8_t *)"\x15\x03\x03", 3));
	ck_assert(!tls_looks_like_record((const uint8_t *)"ZCR1", 4));
	ck_assert(!tls_looks_like_record((const uint8_t *)"\x16\x02\x01", 3));
}
END_TEST

/* SPEC T-8: a plaintext listener beyond loopback is refused, saying how to make a
 * key; loopback, a key or --insecure let it start. */
START_TEST(t8_protected_mode)
{
	struct opts_common c = {0};
	struct zerr e;
	char bound[NET_ADDR_MAX];
	int any = net_listen("0.0.0.0:0", bound, sizeof bound, &e);
	ck_assert_int_ge(any, 0);
	ck_assert_int_eq(report_protected("zcp-send", &c, false, any, bound, "fetch", &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_USAGE);
	ck_assert_str_eq(e.call, "listen"); /* SPEC E-2: the listen refused */
	ck_assert_str_eq(e.object, bound);
	ck_assert_ptr_nonnull(strstr(e.reason, "openssl rand -hex 32"));
	ck_assert_int_eq(report_protected("zcp-send", &c, true, any, bound, "fetch", &e), 0);
	c.insecure = true;
	ck_assert_int_eq(report_protected("zcp-send", &c, false, any, bound, "fetch", &e), 0);
	c.insecure = false;
	int lo = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lo, 0);
	ck_assert_int_eq(report_protected("zcp-send", &c, false, lo, bound, "fetch", &e), 0);
	close(lo);
	close(any);
	int lo6 = net_listen("[::1]:0", bound, sizeof bound, &e);
	if (lo6 >= 0) { /* where IPv6 is there */
		ck_assert_int_eq(report_protected("zcp-send", &c, false, lo6, bound, "fetch", &e), 0);
		close(lo6);
	}
}
END_TEST

/* --- handshakes over a socketpair: both sides in this process, stepped in turn */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* A self-signed certificate NAME.pem / NAME.key for subject alt name san. */
static void make_cert(const char *name, const char *san)
{
	sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	   "-subj /CN=%s -addext subjectAltName=%s -keyout %s.key -out %s.pem 2>/dev/null",
	   dir, name, san, name, name);
}

static char f1[512], f2[512], f3[512];
static const char *in_dir(char *buf, const char *name)
{
	snprintf(buf, 512, "%s/%s", dir, name);
	return buf;
}

struct pair {
	struct tls_ctx *lctx, *cctx;
	struct tls_conn l, c;
	int sv[2];
	enum tls_hs lr, cr;
};

/* Runs both handshakes to their ends. */
static void handshake(struct pair *p, const struct tls_cfg *lcfg, const struct tls_cfg *ccfg, const char *host)
{
	struct zerr e;
	memset(p, 0, sizeof *p);
	p->lctx = tls_ctx_new(true, lcfg, NULL, &e);
	ck_assert_msg(p->lctx != NULL, "%s", e.reason);
	p->cctx = tls_ctx_new(false, ccfg, host, &e);
	ck_assert_msg(p->cctx != NULL, "%s", e.reason);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv), 0);
	ck_assert_int_eq(tls_conn_start(&p->l, p->lctx, p->sv[0]), 0);
	ck_assert_int_eq(tls_conn_start(&p->c, p->cctx, p->sv[1]), 0);
	p->lr = p->cr = TLS_HS_READ;
	for (int turns = 0; turns < 100; turns++) {
		if (p->cr == TLS_HS_READ || p->cr == TLS_HS_WRITE)
			p->cr = tls_handshake(&p->c);
		if (p->lr == TLS_HS_READ || p->lr == TLS_HS_WRITE)
			p->lr = tls_handshake(&p->l);
		bool lgo = p->lr == TLS_HS_READ || p->lr == TLS_HS_WRITE;
		bool cgo = p->cr == TLS_HS_READ || p->cr == TLS_HS_WRITE;
		if (!lgo && !cgo)
			return;
		if (!lgo && p->lr != TLS_HS_DONE) /* the other side hears nothing more */
			shutdown(p->sv[0], SHUT_RDWR);
		if (!cgo && p->cr != TLS_HS_DONE)
			shutdown(p->sv[1], SHUT_RDWR);
	}
	ck_abort_msg("handshake did not end");
}

static void pair_end(struct pair *p)
{
	tls_conn_end(&p->l);
	tls_conn_end(&p->c);
	tls_ctx_free(p->lctx);
	tls_ctx_free(p->cctx);
	close(p->sv[0]);
	close(p->sv[1]);
}

/* Bytes through both sessions with xfer, both ways, and the end said. */
static void exchange(struct pair *p)
{
	struct xfer_ctx ctx = {.timeout_ms = 5000};
	uint8_t out[100000], in[100000];
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = tu_byte(i);
	/* one side writes while the other reads, in turns: nowait */
	ctx.nowait = true;
	uint64_t sent = 0, got = 0, n;
	for (int turns = 0; got < sizeof in && turns < 10000; turns++) {
		struct xfer_op w = xfer_op_sock(false, p->sv[0], &p->l.io, out + sent, 0);
		int r = xfer_move(&w, sizeof out - sent, true, &ctx, &n);
		ck_assert(r == 0 || r == XFER_AGAIN);
		sent += n;
		struct xfer_op rd = xfer_op_sock(true, p->sv[1], &p->c.io, in + got, 0);
		r = xfer_move(&rd, sizeof in - got, true, &ctx, &n);
		ck_assert(r == 0 || r == XFER_AGAIN);
		got += n;
	}
	ck_assert_uint_eq(got, sizeof in);
	ck_assert_mem_eq(in, out, sizeof in);
	ck_assert_int_eq(tls_close_notify(&p->l), 1);
	struct xfer_op rd = xfer_op_sock(true, p->sv[1], &p->c.io, in, 0);
	ck_assert_int_eq(xfer_move(&rd, 1, false, &ctx, &n), XFER_EOF); /* the end, not a cut */
	struct xfer_op w = xfer_op_sock(false, p->sv[1], &p->c.io, out, 0); /* the other way still goes */
	ck_assert_int_eq(xfer_move(&w, 16, true, &ctx, &n), 0);
	rd = xfer_op_sock(true, p->sv[0], &p->l.io, in, 0);
	ck_assert_int_eq(xfer_move(&rd, 16, true, &ctx, &n), 0);
	ck_assert_mem_eq(in, out, 16);
}

/* SPEC T-2 T-6: the same key on both sides: TLS 1.3, in user space where the kernel
 * has no kTLS (where it has: either, said), bytes go both ways. */
START_TEST(t2_psk_handshake)
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct pair p;
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	ck_assert_msg(p.lr == TLS_HS_DONE, "%s", p.l.why);
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert(!strcmp(p.l.mode, "user") || (tu_ktls_kernel() && !strcmp(p.l.mode, "ktls")));
	exchange(&p);
	pair_end(&p);
}
END_TEST

/* SPEC T-2: another key, or another identity, fails both sides. */
START_TEST(t2_psk_wrong_key)
{
	struct tls_cfg a = {.psk_file = in_dir(f1, "a")}, b = {.psk_file = in_dir(f2, "b")};
	key_file("a", "zcp:" KEY64 "\n", 0600);
	key_file("b", "zcp:ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
	struct pair p;
	handshake(&p, &a, &b, "127.0.0.1");
	ck_assert_int_eq(p.lr, TLS_HS_FAILED);
	ck_assert_int_ne(p.cr, TLS_HS_DONE);
	ck_assert(*p.l.why);
	pair_end(&p);
	key_file("b", "other:" KEY64 "\n", 0600);
	handshake(&p, &a, &b, "127.0.0.1");
	ck_assert_int_eq(p.lr, TLS_HS_FAILED);
	ck_assert_int_ne(p.cr, TLS_HS_DONE);
	ck_assert_msg(strstr(p.l.why, "unknown PSK identity"), "%s", p.l.why); /* not the fallback's words */
	pair_end(&p);
}
END_TEST

/* SPEC T-5: a stream cut without close_notify is no end, and is said so. */
START_TEST(t5_cut_without_close_notify)
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct pair p;
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert_int_eq(shutdown(p.sv[0], SHUT_WR), 0); /* the listener's TCP end, no close_notify */
	uint8_t buf[16];
	bool out = false;
	ssize_t n;
	for (int i = 0; (n = p.c.io.read(p.c.io.arg, buf, sizeof buf, &out)) < 0 && errno == EAGAIN && i < 100; i++)
		;
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_str_eq(p.c.why, "the peer closed without close_notify: truncated");
	ck_assert(!p.c.alert);
	pair_end(&p);
}
END_TEST

/* SPEC T-3: a CA and the host name: the right one passes, another CA or another
 * name fails the connector, which says why. */
START_TEST(t3_cert_ca_and_host)
{
	make_cert("srv", "IP:127.0.0.1,DNS:localhost");
	make_cert("other", "IP:127.0.0.1");
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key")};
	struct tls_cfg c = {.ca = in_dir(f3, "srv.pem")};
	struct pair p;
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert_int_eq(p.lr, TLS_HS_DONE);
	exchange(&p);
	pair_end(&p);
	handshake(&p, &l, &c, "localhost");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	pair_end(&p);
	handshake(&p, &l, &c, "10.1.2.3"); /* not the certificate's address */
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_msg(strstr(p.c.why, "mismatch"), "%s", p.c.why);
	pair_end(&p);
	c.ca = in_dir(f3, "other.pem");
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_msg(strstr(p.c.why, "certificate"), "%s", p.c.why);
	ck_assert_int_ne(p.lr, TLS_HS_DONE);
	pair_end(&p);
}
END_TEST

/* SPEC T-3: a pin of the server's key passes without a CA; another key's fails. */
START_TEST(t3_cert_pin)
{
	make_cert("srv", "IP:127.0.0.1");
	make_cert("other", "IP:127.0.0.1");
	char pin[200], other[200];
	FILE *f;
	sh("cd '%s' && for n in srv other; do printf 'sha256//%%s' \"$(openssl x509 -in $n.pem -pubkey -noout | "
	   "openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)\" >$n.pin; done", dir);
	ck_assert_ptr_nonnull(f = fopen(in_dir(f1, "srv.pin"), "r"));
	ck_assert_ptr_nonnull(fgets(pin, sizeof pin, f));
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(in_dir(f1, "other.pin"), "r"));
	ck_assert_ptr_nonnull(fgets(other, sizeof other, f));
	fclose(f);
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key")};
	struct tls_cfg c = {.pin = pin};
	struct pair p;
	handshake(&p, &l, &c, "example.org");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	pair_end(&p);
	c.pin = other;
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_msg(strstr(p.c.why, "--pin"), "%s", p.c.why);
	pair_end(&p);
	/* SPEC T-10: any one pin of a list lets the server in, wherever it stands */
	char list[3 * 200];
	snprintf(list, sizeof list, "%s;%s;%s", other, pin, other);
	c.pin = list;
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	pair_end(&p);
	snprintf(list, sizeof list, "%s;%s", other, other);
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_msg(strstr(p.c.why, "matches no --pin"), "%s", p.c.why);
	pair_end(&p);
}
END_TEST

/* SPEC T-3: a listener with --client-ca takes a client certificate of that CA and
 * refuses a connector without one. */
START_TEST(t3_client_cert_required)
{
	make_cert("srv", "IP:127.0.0.1");
	make_cert("cli", "DNS:client");
	char a[512], b[512];
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key"),
			    .client_ca = in_dir(f3, "cli.pem")};
	struct tls_cfg c = {.ca = in_dir(a, "srv.pem")};
	struct pair p;
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.lr, TLS_HS_FAILED);
	pair_end(&p);
	c.cert = in_dir(a, "cli.pem");
	c.key = in_dir(b, "cli.key");
	c.ca = in_dir(path, "srv.pem");
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.lr, TLS_HS_DONE);
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	exchange(&p);
	pair_end(&p);
}
END_TEST

/* A PSK listener's context, and a new non-blocking socketpair in sv. */
static struct tls_ctx *psk_listener(int sv[2])
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct zerr e;
	struct tls_ctx *ctx = tls_ctx_new(true, &cfg, NULL, &e);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	return ctx;
}

/* SPEC T-7: plaintext at a TLS listener fails its handshake, with a reason. */
START_TEST(t7_plaintext_at_listener)
{
	int sv[2];
	struct tls_ctx *ctx = psk_listener(sv);
	struct tls_conn t = {0};
	ck_assert_int_eq(tls_conn_start(&t, ctx, sv[0]), 0);
	ck_assert_int_eq(tls_handshake(&t), TLS_HS_READ);
	ck_assert_int_eq(write(sv[1], "ZCQ1\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24), 24);
	ck_assert_int_eq(tls_handshake(&t), TLS_HS_FAILED);
	ck_assert(*t.why);
	tls_conn_end(&t);
	tls_ctx_free(ctx);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC T-4: a TLS sender whose peer connected and sent nothing waits for it:
 * one step returns STEP_IN after one look at the socket, not a loop of looks
 * (alarm bounds the busy loop this once was). */
START_TEST(t4_silent_peer_waits)
{
	int sv[2];
	struct tls_ctx *ctx = psk_listener(sv);
	struct serve_cfg scfg = {.file = "none", .rootfd = -1, .path = XFER_COPY, .chunk = 8192,
				 .timeout_ms = 5000, .header_timeout_ms = 5000, .tls = ctx};
	struct serve_conn c;
	serve_init(&c, sv[0], "peer", &scfg);
	alarm(5);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(serve_step(&c, 0, 1 << 20), STEP_IN);
	alarm(0);
	ck_assert_int_eq(c.state, SERVE_HANDSHAKE);
	ck_assert_uint_eq(c.link.stats.calls[XS_RECVFROM], 3);
	serve_end(&c);
	tls_ctx_free(ctx);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC T-2 T-3: files OpenSSL cannot use are refused when the context is made. */
START_TEST(t3_bad_files)
{
	struct zerr e;
	struct tls_cfg c = {.ca = in_dir(f1, "none.pem")};
	ck_assert_ptr_null(tls_ctx_new(false, &c, "h", &e));
	ck_assert(*e.reason);
	key_file("bad.pem", "not a certificate\n", 0600);
	struct tls_cfg l = {.cert = in_dir(f1, "bad.pem"), .key = in_dir(f2, "bad.pem")};
	ck_assert_ptr_null(tls_ctx_new(true, &l, NULL, &e));
	struct tls_cfg k = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0644)};
	ck_assert_ptr_null(tls_ctx_new(true, &k, NULL, &e));
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
}
END_TEST

/* SPEC T-3: a --client-ca file with no CA certificate in it (a CRL alone, which
 * the verify store takes) is refused when the context is made, exit 3, naming it. */
START_TEST(t3_client_ca_without_certificates)
{
	make_cert("srv", "IP:127.0.0.1");
	sh("cd '%s' && touch index.txt && printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\n"
	   "default_md=sha256\\ndefault_crl_days=1\\n' >c.cnf && openssl ca -gencrl -config c.cnf "
	   "-keyfile srv.key -cert srv.pem -out crl.pem 2>/dev/null", dir);
	char a[512];
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key"), .client_ca = in_dir(a, "crl.pem")};
	struct zerr e;
	ck_assert_ptr_null(tls_ctx_new(true, &l, NULL, &e));
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, a);
	ck_assert_msg(strstr(e.reason, "no CA certificate"), "%s", e.reason);
	ck_assert_str_eq(e.call, "SSL_load_client_CA_file"); /* SPEC E-2 */
}
END_TEST

/* SPEC T-2 T-3 E-2: every file refused when the context is made names the call
 * that refused it: open (not a regular file, loose), read (not one line), or the
 * OpenSSL call that could not use it. */
START_TEST(t1_refusals_name_the_call)
{
	make_cert("srv", "IP:127.0.0.1");
	make_cert("other", "IP:127.0.0.1");
	key_file("bad.pem", "not a certificate\n", 0600);
	key_file("loose", "zcp:" KEY64 "\n", 0640);
	key_file("short", "zcp:00\n", 0600);
	sh("cd '%s' && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null", dir);
	char f[8][512]; /* each case's own names */
	const struct {
		bool listener;
		struct tls_cfg cfg;
		const char *call;
	} cases[] = {
		{true, {.psk_file = in_dir(f[0], "loose")}, "open"},
		{true, {.psk_file = dir}, "open"},
		{true, {.psk_file = in_dir(f[1], "short")}, "read"},
		{false, {.ca = in_dir(f[2], "none.pem")}, "SSL_CTX_load_verify_locations"},
		{true, {.cert = in_dir(f[3], "bad.pem"), .key = in_dir(f[4], "srv.key")}, "SSL_CTX_use_certificate_chain_file"},
		{true, {.cert = in_dir(f[5], "srv.pem"), .key = in_dir(f[3], "bad.pem")}, "SSL_CTX_use_PrivateKey_file"},
		{true, {.cert = in_dir(f[5], "srv.pem"), .key = in_dir(f[6], "other.key")}, "SSL_CTX_use_PrivateKey_file"},
		/* a key of another type goes in its own slot: the check finds the certificate keyless */
		{true, {.cert = in_dir(f[5], "srv.pem"), .key = in_dir(f[7], "rsa.key")}, "SSL_CTX_check_private_key"},
	};
	struct zerr e;
	for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tls_ctx *c = tls_ctx_new(cases[i].listener, &cases[i].cfg, "h", &e);
		ck_assert_msg(!c, "case %u made a context", i);
		ck_assert_msg(strcmp(e.call, cases[i].call) == 0, "case %u: '%s' %s: %s", i, e.call, e.object, e.reason);
	}
}
END_TEST

/* Runs the handshakes of p (its contexts made already) on a new socketpair. */
static void handshake_again(struct pair *p)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv), 0);
	ck_assert_int_eq(tls_conn_start(&p->l, p->lctx, p->sv[0]), 0);
	ck_assert_int_eq(tls_conn_start(&p->c, p->cctx, p->sv[1]), 0);
	p->lr = p->cr = TLS_HS_READ;
	for (int turns = 0; turns < 100 && (p->lr > TLS_HS_DONE || p->cr > TLS_HS_DONE); turns++) {
		if (p->cr == TLS_HS_READ || p->cr == TLS_HS_WRITE)
			p->cr = tls_handshake(&p->c);
		if (p->lr == TLS_HS_READ || p->lr == TLS_HS_WRITE)
			p->lr = tls_handshake(&p->l);
	}
	ck_assert_int_eq(p->lr, TLS_HS_DONE);
	ck_assert_int_eq(p->cr, TLS_HS_DONE);
}

/* SPEC T-9: a connector's later connections resume the session of an earlier one
 * (a TLS 1.3 ticket): no second certificate handshake; still checked, still TLS. */
START_TEST(t9_session_resumed)
{
	make_cert("srv", "IP:127.0.0.1");
	char a[512], b[512], c[512];
	struct tls_cfg l = {.cert = in_dir(a, "srv.pem"), .key = in_dir(b, "srv.key")};
	struct tls_cfg cc = {.ca = in_dir(c, "srv.pem")};
	struct pair p;
	handshake(&p, &l, &cc, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert(!p.c.resumed);
	exchange(&p); /* the ticket comes with the first bytes read */
	for (int i = 0; i < 2; i++) {
		tls_conn_end(&p.l);
		tls_conn_end(&p.c);
		close(p.sv[0]);
		close(p.sv[1]);
		handshake_again(&p);
		ck_assert_msg(p.c.resumed && p.l.resumed, "connection %d", i + 2);
		exchange(&p);
	}
	pair_end(&p);
}
END_TEST

/* --- whole transfers: serve_one in a child, fetch_one here, over TCP loopback */

static char src_path[600], out_path[600];

/* serve_one of src_path over sv[1] with TLS of lcfg in a child: exits 0 or the
 * zerr code; a line "tls PATH" on fd 3 of the child's stdout says what it used. */
static pid_t tls_server(int sv[2], const struct tls_cfg *lcfg, enum xfer_path path, bool raw, int report_fd)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	close(sv[0]);
	struct zerr e;
	struct tls_ctx *ctx = tls_ctx_new(true, lcfg, NULL, &e);
	if (!ctx)
		tu_exit(100);
	struct serve_cfg cfg = {.file = src_path, .rootfd = -1, .path = path, .chunk = 8192, .raw = raw,
				.timeout_ms = 5000, .header_timeout_ms = 5000, .tls = ctx};
	struct serve_report rep;
	int r = serve_one(sv[1], "peer", &cfg, &rep, NULL, &e);
	dprintf(report_fd, "%s %s %s\n", rep.tls ? rep.tls : "none", xfer_path_name(rep.path), r ? e.reason : "ok");
	tls_ctx_free(ctx);
	tu_exit(r == 0 ? 0 : (int)e.code);
}

struct outcome {
	int fetch, serve;           /* 0 or exit codes */
	struct fetch_report rep;
	struct zerr e;
	char served[300];           /* the server's line */
};

static void tls_transfer(const struct tls_cfg *lcfg, const struct tls_cfg *ccfg, enum xfer_path sp,
			 enum xfer_path rp, bool raw, struct outcome *o)
{
	int sv[2], rp_fd[2];
	tu_tcp_pair(sv);
	ck_assert_int_eq(pipe(rp_fd), 0);
	pid_t pid = tls_server(sv, lcfg, sp, raw, rp_fd[1]);
	close(sv[1]);
	close(rp_fd[1]);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, FSIO_FORCE, &o->e), 0);
	struct tls_ctx *ctx = ccfg ? tls_ctx_new(false, ccfg, "127.0.0.1", &o->e) : NULL;
	ck_assert(!ccfg || ctx);
	struct fetch_cfg cfg = {.path = rp, .chunk = 8192, .raw = raw, .timeout_ms = 5000, .tls = ctx};
	o->fetch = fetch_one(sv[0], "peer", &cfg, &out, &o->rep, NULL, &o->e) == 0 ? 0 : (int)o->e.code;
	close(sv[0]);
	o->serve = tu_child_status(pid);
	ssize_t n = read(rp_fd[0], o->served, sizeof o->served - 1);
	o->served[n > 0 ? n : 0] = '\0';
	close(rp_fd[0]);
	tls_ctx_free(ctx);
}

static void transfer_setup(void)
{
	setup();
	snprintf(src_path, sizeof src_path, "%s/data.bin", dir);
	snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
	signal(SIGPIPE, SIG_IGN);
}

static const enum xfer_path send_paths[] = {XFER_COPY, XFER_SENDFILE, XFER_SPLICE};
static const enum xfer_path recv_paths[] = {XFER_COPY, XFER_SPLICE};

/* SPEC T-6: whether a side of a TLS transfer (the sender, or the receiver) that asked for
 * path asked may say it ran with tls on path, where the kernel has kTLS or not and OpenSSL
 * gives it receive keys (3.2 on) or not. Without kTLS: exactly "user" on the copy path.
 * With it, OpenSSL may have kept the keys (the same), or the kernel took them: a sender
 * then moves the payload on the path asked; a receiver splices on it where it took the
 * receive keys, and else reads on the copy path, "ktls" for its send keys. The end-to-end
 * suites ask the same of tls_said (tests/tls-mode.sh). */
static bool said_on(bool ktls, bool rx_keys, bool sender, const char *tls, const char *path,
		    enum xfer_path asked)
{
	bool user_copy = tls && !strcmp(tls, "user") && !strcmp(path, "copy");
	if (!ktls || user_copy)
		return user_copy;
	if (!tls || strcmp(tls, "ktls") != 0)
		return false;
	if (!strcmp(path, xfer_path_name(asked)) && (sender || rx_keys))
		return true;
	return !sender && !strcmp(path, "copy");
}

/* said_here() - said_on() for this machine's kernel and OpenSSL. */
static bool said_here(bool sender, const char *tls, const char *path, enum xfer_path asked)
{
	return said_on(tu_ktls_kernel(), OpenSSL_version_num() >= 0x30200000L, sender, tls, path, asked);
}

/* check_said() - both sides of o say what this machine allows with sp and rp asked, and
 * the sender ended well. */
static void check_said(const struct outcome *o, enum xfer_path sp, enum xfer_path rp)
{
	char tls[16], path[16], result[16];
	ck_assert_msg(said_here(false, o->rep.tls, xfer_path_name(o->rep.path), rp), "receiver: tls %s path %s",
		      o->rep.tls ? o->rep.tls : "none", xfer_path_name(o->rep.path));
	ck_assert_msg(sscanf(o->served, "%15s %15s %15s", tls, path, result) == 3 &&
		      said_here(true, tls, path, sp) && !strcmp(result, "ok"), "sender: %s", o->served);
}

/* SPEC T-6: said_on() takes what may be said, on a kernel without kTLS and with it
 * (OpenSSL 3.0 and 3.2), and refuses the rest. */
START_TEST(t6_said_patterns)
{
	const enum xfer_path C = XFER_COPY, F = XFER_SENDFILE, S = XFER_SPLICE;
	/* no kTLS: user space and the copy path, whatever was asked */
	ck_assert(said_on(false, false, true, "user", "copy", F));
	ck_assert(!said_on(false, false, true, "ktls", "sendfile", F));
	ck_assert(!said_on(false, false, true, "ktls", "copy", F));
	ck_assert(!said_on(false, false, true, "user", "sendfile", F));
	ck_assert(!said_on(false, true, false, "ktls", "splice", S));
	ck_assert(!said_on(false, true, false, "ktls", "copy", S));
	ck_assert(!said_on(false, false, false, NULL, "copy", S));
	/* kTLS, OpenSSL 3.0: a sender's keys or none; a receiver reads through SSL_read */
	ck_assert(said_on(true, false, true, "user", "copy", F));
	ck_assert(said_on(true, false, true, "ktls", "sendfile", F));
	ck_assert(said_on(true, false, true, "ktls", "copy", C));
	ck_assert(!said_on(true, false, true, "ktls", "copy", F));
	ck_assert(!said_on(true, false, true, "ktls", "splice", F));
	ck_assert(!said_on(true, false, true, "user", "sendfile", F));
	ck_assert(said_on(true, false, false, "ktls", "copy", S));
	ck_assert(said_on(true, false, false, "user", "copy", S));
	ck_assert(!said_on(true, false, false, "ktls", "splice", S));
	ck_assert(!said_on(true, false, false, "user", "splice", S));
	/* kTLS, OpenSSL 3.2: a receiver splices where the kernel took its receive keys */
	ck_assert(said_on(true, true, false, "ktls", "splice", S));
	ck_assert(said_on(true, true, false, "ktls", "copy", S));
	ck_assert(!said_on(true, true, false, "ktls", "splice", C));
	ck_assert(!said_on(true, true, false, "user", "splice", S));
	ck_assert(said_on(true, true, true, "ktls", "splice", S));
}
END_TEST

/* SPEC T-5 T-6: a PSK transfer on every path pair, framed and raw, arrives byte
 * for byte; each side says the path and TLS this machine allows (without kTLS: user
 * space, the copy path). */
START_TEST(t5_psk_transfer_every_path)
{
	const uint64_t size = (3 << 20) + 11;
	tu_make_file(src_path, size);
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct outcome o;
	bool raw = _i >= 6;
	tls_transfer(&cfg, &cfg, send_paths[_i % 6 / 2], recv_paths[_i % 2], raw, &o);
	ck_assert_msg(o.fetch == 0, "fetch: %s %s", o.e.call, o.e.reason);
	ck_assert_msg(o.serve == 0, "serve: %s", o.served);
	tu_check_file(out_path, 0, size);
	check_said(&o, send_paths[_i % 6 / 2], recv_paths[_i % 2]);
}
END_TEST

/* SPEC T-4: with another key neither side gets a byte: exit 8 on both, and the
 * sender opened no file (a missing one would be exit 3). */
START_TEST(t4_wrong_key_opens_nothing)
{
	struct tls_cfg a = {.psk_file = in_dir(f1, "a")}, b = {.psk_file = in_dir(f2, "b")};
	key_file("a", "zcp:" KEY64 "\n", 0600);
	key_file("b", "zcp:ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
	struct outcome o;
	tls_transfer(&a, &b, XFER_SENDFILE, XFER_SPLICE, _i, &o); /* src_path does not exist */
	ck_assert_int_eq(o.fetch, ZCP_EXIT_AUTH);
	ck_assert_str_eq(o.e.call, "SSL_do_handshake");
	ck_assert_int_eq(o.serve, ZCP_EXIT_AUTH);
	ck_assert_msg(strncmp(o.served, "none ", 5) == 0, "%s", o.served);
	ck_assert_int_eq(access(out_path, F_OK), -1);
}
END_TEST

/* SPEC T-7: a plaintext receiver at a TLS sender and a TLS receiver at a
 * plaintext sender: exit 8 on both sides, each saying what the other spoke. */
START_TEST(t7_plaintext_and_tls_mixed)
{
	tu_make_file(src_path, 1000);
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)}, none = {0};
	struct outcome o;
	tls_transfer(&cfg, NULL, XFER_SENDFILE, XFER_SPLICE, false, &o);
	ck_assert_int_eq(o.serve, ZCP_EXIT_AUTH);
	ck_assert_msg(o.fetch == ZCP_EXIT_AUTH && strstr(o.e.reason, "TLS"), "%d %s", o.fetch, o.e.reason);
	int sv[2], rp_fd[2];
	tu_tcp_pair(sv);
	ck_assert_int_eq(pipe(rp_fd), 0);
	pid_t pid = fork();
	if (pid == 0) { /* a plaintext sender */
		close(sv[0]);
		struct serve_cfg sc = {.file = src_path, .rootfd = -1, .path = XFER_SENDFILE, .chunk = 8192,
				       .timeout_ms = 5000, .header_timeout_ms = 5000};
		struct serve_report rep;
		struct zerr e;
		int r = serve_one(sv[1], "peer", &sc, &rep, NULL, &e);
		dprintf(rp_fd[1], "%s", r ? e.reason : "ok");
		tu_exit(r == 0 ? 0 : (int)e.code);
	}
	close(sv[1]);
	close(rp_fd[1]);
	struct zerr e;
	struct tls_ctx *ctx = tls_ctx_new(false, &cfg, "127.0.0.1", &e);
	struct fsio_out out;
	ck_assert_int_eq(fsio_out_init(&out, out_path, FSIO_FORCE, &e), 0);
	struct fetch_cfg fc = {.path = XFER_SPLICE, .chunk = 8192, .timeout_ms = 5000, .tls = ctx};
	int r = fetch_one(sv[0], "peer", &fc, &out, &o.rep, NULL, &e);
	close(sv[0]);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_AUTH);
	ck_assert_int_eq(tu_child_status(pid), ZCP_EXIT_AUTH);
	ssize_t n = read(rp_fd[0], o.served, sizeof o.served - 1);
	o.served[n > 0 ? n : 0] = '\0';
	ck_assert_msg(strstr(o.served, "TLS"), "%s", o.served);
	close(rp_fd[0]);
	tls_ctx_free(ctx);
	(void)none;
}
END_TEST

/* SPEC T-3 T-5: a certificate transfer (the connector checks the CA and the
 * address) arrives byte for byte. */
START_TEST(t5_cert_transfer)
{
	const uint64_t size = 1 << 20;
	tu_make_file(src_path, size);
	make_cert("srv", "IP:127.0.0.1");
	char a[512], b[512], c[512];
	struct tls_cfg l = {.cert = in_dir(a, "srv.pem"), .key = in_dir(b, "srv.key")};
	struct tls_cfg cc = {.ca = in_dir(c, "srv.pem")};
	struct outcome o;
	tls_transfer(&l, &cc, XFER_SENDFILE, XFER_SPLICE, false, &o);
	ck_assert_msg(o.fetch == 0, "fetch: %s %s", o.e.call, o.e.reason);
	ck_assert_int_eq(o.serve, 0);
	tu_check_file(out_path, 0, size);
	check_said(&o, XFER_SENDFILE, XFER_SPLICE);
}
END_TEST

/* --- faults: files that fail to read, sockets that are full or gone */

/* SPEC T-2: upper-case hex digits are a key's too; a key file whose read fails is
 * refused, exit 3, naming the read (/proc/self/mem: the owner's only, and its
 * offset 0 is not mapped, so reading it fails with EIO). */
START_TEST(t2_psk_upper_hex_and_read_error)
{
	struct tls_psk p;
	struct zerr e;
	char upper[] = "zcp:" KEY64 "\n";
	for (char *c = upper + 4; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	ck_assert_int_eq(tls_psk_load(key_file("k", upper, 0600), &p, &e), 0);
	ck_assert_uint_eq(p.key_len, 32);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(p.key[i], i);
	ck_assert_int_eq(tls_psk_load("/proc/self/mem", &p, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.call, "read");
	ck_assert_str_eq(e.object, "/proc/self/mem");
	ck_assert_str_eq(e.reason, strerror(EIO));
}
END_TEST

/* SPEC T-1 T-3: a --pin not of curl's form is a usage error (2) when the context
 * is made; any TLS option asks for TLS, none asks for none; a context knows its side. */
START_TEST(t3_pin_refused_and_cfg_wanted)
{
	struct zerr e;
	struct tls_cfg c = {.pin = "sha256//short="};
	ck_assert_ptr_null(tls_ctx_new(false, &c, "h", &e));
	ck_assert_int_eq(e.code, ZCP_EXIT_USAGE);
	ck_assert_str_eq(e.reason, "--pin 'sha256//short=': not sha256//BASE64");
	ck_assert(tls_cfg_wanted(&c));
	ck_assert(!tls_cfg_wanted(&(struct tls_cfg){0}));
	ck_assert(tls_cfg_wanted(&(struct tls_cfg){.psk_file = "k"}));
	ck_assert(tls_cfg_wanted(&(struct tls_cfg){.cert = "c"}));
	ck_assert(tls_cfg_wanted(&(struct tls_cfg){.ca = "c"}));
	ck_assert(tls_cfg_wanted(&(struct tls_cfg){.client_ca = "c"}));
	ck_assert(!tls_cfg_wanted(&(struct tls_cfg){.key = "k"})); /* a key alone: no certificate to use it */
	struct tls_cfg k = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct tls_ctx *l = tls_ctx_new(true, &k, NULL, &e), *n = tls_ctx_new(false, &k, "h", &e);
	ck_assert(l && n);
	ck_assert(tls_ctx_listener(l));
	ck_assert(!tls_ctx_listener(n));
	tls_ctx_free(l);
	tls_ctx_free(n);
}
END_TEST

/* SPEC T-3: a key that is not the certificate's is refused, exit 3, naming the key. */
START_TEST(t3_key_not_the_certificates)
{
	make_cert("srv", "IP:127.0.0.1");
	make_cert("other", "IP:127.0.0.1");
	struct zerr e;
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "other.key")};
	ck_assert_ptr_null(tls_ctx_new(true, &l, NULL, &e));
	ck_assert_int_eq(e.code, ZCP_EXIT_FILE);
	ck_assert_str_eq(e.object, f2);
	ck_assert_msg(strstr(e.reason, "mismatch"), "%s", e.reason);
}
END_TEST

/* Makes a pair's contexts and starts both sessions on a new socketpair. */
static void start_pair(struct pair *p, const struct tls_cfg *lcfg, const struct tls_cfg *ccfg)
{
	struct zerr e;
	memset(p, 0, sizeof *p);
	ck_assert_ptr_nonnull(p->lctx = tls_ctx_new(true, lcfg, NULL, &e));
	ck_assert_ptr_nonnull(p->cctx = tls_ctx_new(false, ccfg, "127.0.0.1", &e));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv), 0);
	ck_assert_int_eq(tls_conn_start(&p->l, p->lctx, p->sv[0]), 0);
	ck_assert_int_eq(tls_conn_start(&p->c, p->cctx, p->sv[1]), 0);
}

/* start_pair() with the same key on both sides. */
static void psk_pair(struct pair *p)
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	start_pair(p, &cfg, &cfg);
}

/* Steps both handshakes of p, started already, in turns until neither waits. */
static void step_both(struct pair *p)
{
	p->lr = p->cr = TLS_HS_READ;
	for (int turns = 0; turns < 100; turns++) {
		bool cgo = p->cr == TLS_HS_READ || p->cr == TLS_HS_WRITE;
		bool lgo = p->lr == TLS_HS_READ || p->lr == TLS_HS_WRITE;
		if (!cgo && !lgo)
			return;
		if (cgo)
			p->cr = tls_handshake(&p->c);
		if (lgo)
			p->lr = tls_handshake(&p->l);
	}
	ck_abort_msg("handshake did not end");
}

/* Writes junk to fd until it would block; returns the bytes written. */
static size_t fill(int fd)
{
	static const char junk[4096];
	size_t n = 0;
	for (ssize_t w; (w = send(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0;)
		n += (size_t)w;
	ck_assert_int_eq(errno, EAGAIN);
	return n;
}

/* Reads n bytes of junk from fd, which are there already. */
static void drain(int fd, size_t n)
{
	char buf[4096];
	for (ssize_t r; n && (r = recv(fd, buf, n < sizeof buf ? n : sizeof buf, MSG_DONTWAIT)) > 0;)
		n -= (size_t)r;
	ck_assert_uint_eq(n, 0);
}

/* SPEC T-4: a handshake whose socket is full waits to write (it never blocks) and
 * goes on once there is room; one whose peer is gone fails as the socket did. */
START_TEST(t4_handshake_full_socket_and_peer_gone)
{
	signal(SIGPIPE, SIG_IGN);
	struct pair p;
	psk_pair(&p);
	size_t junk = fill(p.sv[1]);
	ck_assert_int_eq(tls_handshake(&p.c), TLS_HS_WRITE);
	ck_assert_int_eq(tls_handshake(&p.c), TLS_HS_WRITE);
	drain(p.sv[0], junk);
	step_both(&p);
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert_int_eq(p.lr, TLS_HS_DONE);
	pair_end(&p);
	psk_pair(&p);
	close(p.sv[0]);
	p.sv[0] = socket(AF_UNIX, SOCK_STREAM, 0); /* pair_end closes it */
	ck_assert_int_eq(tls_handshake(&p.c), TLS_HS_SYS);
	ck_assert_int_eq(errno, EPIPE);
	pair_end(&p);
}
END_TEST

/* SPEC T-5 P-10: after the handshake a session's I/O says what recv()/send() would:
 * EAGAIN and which way to wait, the socket's own error, EPROTO for a cut without
 * close_notify; its close_notify waits for room, and fails once the peer is gone. */
START_TEST(t5_session_io_waits_and_fails)
{
	signal(SIGPIPE, SIG_IGN);
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct pair p;
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert_int_eq(p.lr, TLS_HS_DONE);
	char buf[4096] = {0};
	bool out = true;
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, buf, sizeof buf, &out), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(!out);
	ssize_t w;
	for (int i = 0; (w = p.c.io.write(p.c.io.arg, buf, sizeof buf, &out)) > 0; i++)
		ck_assert_int_lt(i, 100000);
	ck_assert_int_eq(w, -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(out);
	ck_assert_int_eq(tls_close_notify(&p.c), 0); /* no room for it yet */
	ck_assert_int_eq(tls_close_notify(&p.l), 1);
	close(p.sv[0]);
	p.sv[0] = socket(AF_UNIX, SOCK_STREAM, 0); /* pair_end closes it */
	ck_assert_int_eq(tls_close_notify(&p.c), -1);
	pair_end(&p);
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	ck_assert_int_eq(tls_close_notify(&p.c), 1);
	ck_assert_int_eq(tls_close_notify(&p.c), 1); /* the peer's close_notify is not awaited */
	close(p.sv[0]); /* unread: a reset */
	p.sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, buf, sizeof buf, &out), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	pair_end(&p);
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	close(p.sv[0]); /* no close_notify: a cut */
	p.sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, buf, sizeof buf, &out), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_msg(*p.c.why, "no reason given");
	ck_assert(!p.c.alert);
	pair_end(&p);
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	close(p.sv[0]);
	p.sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(p.c.io.write(p.c.io.arg, buf, sizeof buf, &out), -1);
	ck_assert_int_eq(errno, EPIPE);
	pair_end(&p);
}
END_TEST

/* SPEC T-6: a record read in part leaves the rest with the session, which says how
 * much (a kTLS receive socket is spliced only when it holds none); kTLS in either
 * direction is "ktls", and the receive side only where the kernel took its keys. */
START_TEST(t6_pending_and_receive_keys)
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct pair p;
	handshake(&p, &cfg, &cfg, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_DONE);
	ck_assert_int_eq(p.lr, TLS_HS_DONE);
	ck_assert(!strcmp(p.c.mode, p.c.ktls_send || p.c.ktls_recv ? "ktls" : "user"));
	ck_assert_ptr_nonnull(p.c.io.pending);
	ck_assert_uint_eq(p.c.io.pending(p.c.io.arg), 0);
	char buf[100] = {0};
	bool out;
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, buf, sizeof buf, &out), 100);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, buf, 30, &out), 30);
	ck_assert_uint_eq(p.c.io.pending(p.c.io.arg), 70);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, buf, sizeof buf, &out), 70);
	ck_assert_uint_eq(p.c.io.pending(p.c.io.arg), 0);
	pair_end(&p);
}
END_TEST

/* Counts the writes (or reads) of a session's socket BIO, seen by bio_count(). */
static int bio_calls;
static long bio_count(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		      size_t *processed)
{
	(void)b, (void)argp, (void)len, (void)argi, (void)argl, (void)processed;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) || oper == (BIO_CB_WRITE | BIO_CB_RETURN))
		bio_calls++;
	return ret;
}

/* Counts from now on the calls of t's socket (the BIO under its buffering). */
static void count_socket_calls(struct tls_conn *t, bool reads)
{
	BIO *b = BIO_find_type(reads ? SSL_get_rbio(t->ssl) : SSL_get_wbio(t->ssl), BIO_TYPE_SOCKET);
	ck_assert_ptr_nonnull(b);
	BIO_set_callback_ex(b, bio_count);
	bio_calls = 0;
}

/* Four whole records' worth of bytes, as a 64 KiB chunk is. */
static uint8_t four[4 * 16384], back[sizeof four];

/* A PSK pair past its handshakes, and four[] filled from seed. */
static void four_pair(struct pair *p, size_t seed)
{
	struct tls_cfg cfg = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	handshake(p, &cfg, &cfg, "127.0.0.1");
	for (size_t i = 0; i < sizeof four; i++)
		four[i] = tu_byte(i + seed);
}

/* Reads what the client of p is sent until n bytes are in back[]. */
static void read_back(struct pair *p, size_t n)
{
	struct xfer_ctx ctx = {.timeout_ms = 5000};
	uint64_t got;
	struct xfer_op rd = xfer_op_sock(true, p->sv[1], &p->c.io, back, 0);
	ck_assert_int_eq(xfer_move(&rd, n, true, &ctx, &got), 0);
	ck_assert_mem_eq(back, four, n);
}

/* SPEC T-6: in user space a read takes the records already read ahead, up to its
 * length: a 64 KiB read of four records sent at once is one read, and one recv()
 * (not two for each record: its header, then its body). */
START_TEST(t6_read_takes_records_read_ahead)
{
	struct pair p;
	four_pair(&p, 0);
	struct xfer_ctx ctx = {.timeout_ms = 5000};
	uint64_t n;
	struct xfer_op w = xfer_op_sock(false, p.sv[0], &p.l.io, four, 0);
	ck_assert_int_eq(xfer_move(&w, sizeof four, true, &ctx, &n), 0);
	count_socket_calls(&p.c, true);
	bool out;
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, back, sizeof back, &out), (ssize_t)sizeof back);
	ck_assert_mem_eq(back, four, sizeof four);
	ck_assert_int_le(bio_calls, 2);
	pair_end(&p);
}
END_TEST

/* SPEC T-6 T-5: a read that has bytes keeps a failure met after them for the next
 * read: a record, then the start of one cut without close_notify, is the record, then
 * the cut (EPROTO, "truncated"). */
START_TEST(t6_read_keeps_a_failure_for_the_next)
{
	struct pair p;
	four_pair(&p, 5);
	bool out;
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, four, 16384, &out), 16384);
	static const uint8_t start[] = {0x17, 0x03, 0x03, 0x40, 0x11, 0x00, 0x01};
	ck_assert_int_eq(send(p.sv[0], start, sizeof start, MSG_NOSIGNAL), (ssize_t)sizeof start);
	ck_assert_int_eq(shutdown(p.sv[0], SHUT_WR), 0);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, back, sizeof back, &out), 16384);
	ck_assert_mem_eq(back, four, 16384);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, back, sizeof back, &out), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert(p.c.cut);
	ck_assert_str_eq(p.c.why, "the peer closed without close_notify: truncated");
	pair_end(&p);
}
END_TEST

/* SPEC T-6: in user space a write's records leave together: a 64 KiB write is one
 * send(), not one for each 16 KiB record. */
START_TEST(t6_write_sends_records_together)
{
	struct pair p;
	four_pair(&p, 7);
	count_socket_calls(&p.l, false);
	bool out;
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, four, sizeof four, &out), (ssize_t)sizeof four);
	ck_assert_int_eq(bio_calls, 1);
	read_back(&p, sizeof four);
	pair_end(&p);
}
END_TEST

/* SPEC T-6 P-10: a write whose records cannot leave yet says EAGAIN (wait to write);
 * its retry with the same bytes says them all written once they are out, and none
 * goes twice; a close_notify waits behind such records, and the peer then reads them
 * and the end, not a cut. */
START_TEST(t6_write_waits_for_its_records)
{
	struct pair p;
	four_pair(&p, 3);
	size_t junk = fill(p.sv[0]);
	bool out = false;
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, four, sizeof four, &out), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(out);
	drain(p.sv[1], junk);
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, four, sizeof four, &out), (ssize_t)sizeof four);
	read_back(&p, sizeof four);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, back, sizeof back, &out), -1); /* nothing twice */
	ck_assert_int_eq(errno, EAGAIN);
	junk = fill(p.sv[0]);
	ck_assert_int_eq(p.l.io.write(p.l.io.arg, four, sizeof four, &out), -1);
	ck_assert_int_eq(tls_close_notify(&p.l), 0); /* behind the records, which cannot leave */
	drain(p.sv[1], junk);
	ck_assert_int_eq(tls_close_notify(&p.l), 1);
	read_back(&p, sizeof four);
	ck_assert_int_eq(p.c.io.read(p.c.io.arg, back, 1, &out), 0); /* the end, not a cut */
	pair_end(&p);
}
END_TEST

/* SPEC T-2: a server that asks again (HelloRetryRequest: it takes only P-256,
 * while the first hello's key share is X25519's) for a SHA-256 suite is offered the
 * key the second time too, as openssl s_client -psk does: the handshake succeeds. */
START_TEST(t2_psk_offered_again_after_retry)
{
	struct pair p;
	psk_pair(&p);
	ck_assert(SSL_set1_groups_list(p.c.ssl, "X25519:P-256"));
	ck_assert(SSL_set1_groups_list(p.l.ssl, "P-256"));
	step_both(&p);
	ck_assert_msg(p.lr == TLS_HS_DONE, "%s", p.l.why);
	ck_assert_msg(p.cr == TLS_HS_DONE, "%s", p.c.why);
	exchange(&p);
	pair_end(&p);
}
END_TEST

/* SPEC T-2 T-4: a connector with only a key is authenticated by nothing else: a
 * server that does not know the key and shows a certificate instead is refused. */
START_TEST(t2_psk_connector_refuses_certificate)
{
	make_cert("srv", "IP:127.0.0.1");
	struct tls_cfg l = {.cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key")};
	struct tls_cfg c = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600)};
	struct pair p;
	handshake(&p, &l, &c, "127.0.0.1");
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_msg(strstr(p.c.why, "certificate"), "%s", p.c.why);
	ck_assert_int_ne(p.lr, TLS_HS_DONE);
	pair_end(&p);
}
END_TEST

/* SPEC T-2: the key is a SHA-256 one: to a server that asks again for a SHA-384
 * suite (HelloRetryRequest) it is not offered; that server's certificate is then
 * refused like any other. */
START_TEST(t2_psk_not_offered_for_sha384)
{
	make_cert("srv", "IP:127.0.0.1");
	struct tls_cfg l = {.psk_file = key_file("k", "zcp:" KEY64 "\n", 0600),
			    .cert = in_dir(f1, "srv.pem"), .key = in_dir(f2, "srv.key")};
	struct tls_cfg c = {.psk_file = l.psk_file};
	struct pair p;
	start_pair(&p, &l, &c);
	ck_assert(SSL_set_ciphersuites(p.c.ssl, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"));
	ck_assert(SSL_set1_groups_list(p.c.ssl, "X25519:P-256"));
	ck_assert(SSL_set_ciphersuites(p.l.ssl, "TLS_AES_256_GCM_SHA384"));
	ck_assert(SSL_set1_groups_list(p.l.ssl, "P-256"));
	step_both(&p);
	ck_assert_int_eq(p.cr, TLS_HS_FAILED);
	ck_assert_str_eq(p.c.why, "certificate verify failed: certificate rejected");
	ck_assert_int_ne(p.lr, TLS_HS_DONE);
	pair_end(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("psk");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t2_psk_line_parses);
	tcase_add_test(tc, t2_psk_prefixes_need_more);
	tcase_add_loop_test(tc, t2_psk_bad_lines, 0, (int)(sizeof bad_lines / sizeof *bad_lines));
	tcase_add_test(tc, t2_psk_bom_prefix_needs_more);
	tcase_add_test(tc, t2_psk_identity_bound);
	tcase_add_test(tc, t2_psk_file_permissions);
	tcase_add_test(tc, t2_psk_file_fifo);
	tcase_add_test(tc, t2_psk_file_owner);
	tcase_add_test(tc, t3_pin_parse);
	tcase_add_test(tc, t10_pin_list_parse);
	tcase_add_test(tc, t7_record_sniff);
	tcase_add_test(tc, t8_protected_mode);
	tcase_add_test(tc, t6_said_patterns);
	suite_add_tcase(s, tc);
	TCase *hs = tcase_create("handshake");
	tcase_add_checked_fixture(hs, setup, teardown);
	tcase_set_timeout(hs, 60);
	tcase_add_test(hs, t2_psk_handshake);
	tcase_add_test(hs, t2_psk_wrong_key);
	tcase_add_test(hs, t5_cut_without_close_notify);
	tcase_add_test(hs, t3_cert_ca_and_host);
	tcase_add_test(hs, t3_cert_pin);
	tcase_add_test(hs, t3_client_cert_required);
	tcase_add_test(hs, t7_plaintext_at_listener);
	tcase_add_test(hs, t4_silent_peer_waits);
	tcase_add_test(hs, t3_bad_files);
	tcase_add_test(hs, t3_client_ca_without_certificates);
	tcase_add_test(hs, t1_refusals_name_the_call);
	tcase_add_test(hs, t9_session_resumed);
	suite_add_tcase(s, hs);
	TCase *tr = tcase_create("transfer");
	tcase_add_checked_fixture(tr, transfer_setup, teardown);
	tcase_set_timeout(tr, 60);
	tcase_add_loop_test(tr, t5_psk_transfer_every_path, 0, 12);
	tcase_add_loop_test(tr, t4_wrong_key_opens_nothing, 0, 2);
	tcase_add_test(tr, t7_plaintext_and_tls_mixed);
	tcase_add_test(tr, t5_cert_transfer);
	suite_add_tcase(s, tr);
	TCase *tf = tcase_create("faults");
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, t2_psk_upper_hex_and_read_error);
	tcase_add_test(tf, t3_pin_refused_and_cfg_wanted);
	tcase_add_test(tf, t3_key_not_the_certificates);
	tcase_add_test(tf, t4_handshake_full_socket_and_peer_gone);
	tcase_add_test(tf, t5_session_io_waits_and_fails);
	tcase_add_test(tf, t6_pending_and_receive_keys);
	tcase_add_test(tf, t2_psk_offered_again_after_retry);
	tcase_add_test(tf, t2_psk_connector_refuses_certificate);
	tcase_add_test(tf, t2_psk_not_offered_for_sha384);
	tcase_add_test(tf, t6_read_takes_records_read_ahead);
	tcase_add_test(tf, t6_read_keeps_a_failure_for_the_next);
	tcase_add_test(tf, t6_write_sends_records_together);
	tcase_add_test(tf, t6_write_waits_for_its_records);
	suite_add_tcase(s, tf);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
