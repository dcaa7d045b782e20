/* gen-corpus.c - write the seed corpora from the encoders: valid frames of every
 * status, edge values (0, max, one past a limit) and command lines using every option.
 * Usage: gen-corpus DIR   (writes DIR/{request,response,ack,stream,opts,http,httpc}/seed-NNN) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire.h"

static const char *root;

static void emit(const char *target, const void *data, size_t len)
{
	static unsigned serial;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s/seed-%03u", root, target, serial++);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A frame for the stream target: type byte, split count, splits, then the bytes. */
static void emit_stream(enum wire_frame t, const uint8_t *frame, size_t len)
{
	static const uint8_t splits[][4] = {{0}, {1, 1}, {2, 24, 3}, {3, 5, 0, 30}};
	for (unsigned s = 0; s < 4; s++) {
		uint8_t buf[WIRE_FRAME_MAX + 8];
		size_t k = splits[s][0];
		buf[0] = (uint8_t)t;
		buf[1] = (uint8_t)k;
		memcpy(buf + 2, splits[s] + 1, k);
		memcpy(buf + 2 + k, frame, len);
		emit("stream", buf, 2 + k + len);
	}
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void requests(void)
{
	static const char *const names[] = {"", "data.bin", "a", ".x"};
	static const uint64_t edges[] = {0, 1, 0x7ffff000, WIRE_OFF_MAX};
	uint8_t buf[WIRE_FRAME_MAX];
	for (unsigned i = 0; i < 4; i++) {
		struct wire_request r = {.offset = edges[i], .length = i == 3 ? 0 : edges[3 - i] / 2,
					 .name_len = (uint16_t)strlen(names[i])};
		memcpy(r.name, names[i], r.name_len);
		ssize_t n = wire_encode_request(&r, buf, sizeof buf);
		emit("request", buf, (size_t)n);
		emit_stream(WIRE_REQUEST, buf, (size_t)n);
	}
	struct wire_request r = {.name_len = ZCP_PATH_MAX};
	memset(r.name, 'n', ZCP_PATH_MAX); /* the longest path: 255 255 255 254 1, '/' between */
	r.name[255] = r.name[511] = r.name[767] = r.name[1022] = '/';
	ssize_t n = wire_encode_request(&r, buf, sizeof buf);
	emit("request", buf, (size_t)n);
	emit_stream(WIRE_REQUEST, buf, (size_t)n);
	buf[7] = ZCP_PATH_MAX % 256 + 1;      /* name_len 1025: one past */
	emit("request", buf, (size_t)n);
	/* SPEC W-8, S-12: paths, and names that would leave a root (the encoder refuses
	 * them: written over a valid name of the same length) */
	static const char *const paths[] = {"sub/dir/file.bin", "../x", "a/../../x", "/etc/passwd",
					    "a//b", "./a", "a/", "a#b", "n/.."};
	for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		size_t len = strlen(paths[i]);
		r = (struct wire_request){.name_len = (uint16_t)len};
		memset(r.name, 'n', len);
		n = wire_encode_request(&r, buf, sizeof buf);
		memcpy(buf + WIRE_REQUEST_FIXED, paths[i], len);
		char *nul = memchr(buf + WIRE_REQUEST_FIXED, '#', len);
		if (nul) /* a NUL inside */
			*nul = 0;
		emit("request", buf, (size_t)n);
	}
	r = (struct wire_request){0};
	n = wire_encode_request(&r, buf, sizeof buf);
	put64(buf + 8, WIRE_OFF_MAX + 1);     /* offset one past */
	emit("request", buf, (size_t)n);
	buf[5] = WIRE_FLAG_PROBE << 1;        /* a reserved flag */
	emit("request", buf, (size_t)n);
	r = (struct wire_request){.flags = WIRE_FLAG_PROBE, .offset = 10, .length = 1 << 20, .name_len = 8};
	memcpy(r.name, "data.bin", 8);        /* SPEC W-14: a probe */
	n = wire_encode_request(&r, buf, sizeof buf);
	emit("request", buf, (size_t)n);
	emit_stream(WIRE_REQUEST, buf, (size_t)n);
}

static void responses(void)
{
	uint8_t buf[WIRE_FRAME_MAX];
	for (uint8_t st = 0; st <= WIRE_TLS_REQUIRED + 1; st++) {
		struct wire_response r = {.status = st, .file_size = 1000, .offset = st ? 0 : 10,
					  .length = st ? 0 : 990, .name_len = 12};
		memcpy(r.name, "sub/data.bin", 12);
		ssize_t n = wire_encode_response(&r, buf, sizeof buf);
		if (n < 0) { /* one past BUSY: written by hand from status 0 */
			r.status = 0;
			n = wire_encode_response(&r, buf, sizeof buf);
			buf[5] = st;
		}
		emit("response", buf, (size_t)n);
		emit_stream(WIRE_RESPONSE, buf, (size_t)n);
	}
	struct wire_response r = {.status = WIRE_OK, .file_size = WIRE_OFF_MAX, .offset = 0,
				  .length = WIRE_OFF_MAX, .name_len = 1, .name = "x"};
	ssize_t n = wire_encode_response(&r, buf, sizeof buf);
	emit("response", buf, (size_t)n);
	put64(buf + 24, WIRE_OFF_MAX + 1);    /* length one past the size */
	emit("response", buf, (size_t)n);
}

static void acks(void)
{
	uint8_t buf[WIRE_ACK_SIZE];
	for (uint8_t st = 0; st <= WIRE_ACK_PROTOCOL; st++) {
		struct wire_ack a = {.status = st, .received = st ? 12345 : WIRE_OFF_MAX};
		wire_encode_ack(&a, buf, sizeof buf);
		emit("ack", buf, sizeof buf);
		emit_stream(WIRE_ACK, buf, sizeof buf);
	}
	buf[5] = WIRE_ACK_PROTOCOL + 1;
	emit("ack", buf, sizeof buf);
	buf[5] = 0;
	buf[7] = 1;                           /* reserved */
	emit("ack", buf, sizeof buf);
}

/* SPEC W-15 W-17: identity and trailer frames, valid and with a reserved byte set. */
static void idents_and_trailers(void)
{
	uint8_t buf[WIRE_IDENT_SIZE];
	struct wire_ident d = {.size = 1 << 30, .tag = {0x5e, 0x3a, 0x91, 0x07, 0xc4, 0x2d, 0x88, 0x19,
							0xf0, 0x6b, 0x34, 0xa2, 0x7d, 0x0e, 0xb5, 0x41}};
	wire_encode_ident(&d, buf, sizeof buf);
	emit_stream(WIRE_IDENT, buf, WIRE_IDENT_SIZE);
	buf[6] = 1;
	emit_stream(WIRE_IDENT, buf, WIRE_IDENT_SIZE);
	struct wire_trailer t;
	for (unsigned i = 0; i < WIRE_HASH_SIZE; i++)
		t.hash[i] = (uint8_t)(i * 17 + 3);
	wire_encode_trailer(&t, buf, sizeof buf);
	emit_stream(WIRE_TRAILER, buf, WIRE_TRAILER_SIZE);
	buf[4] = 2;
	emit_stream(WIRE_TRAILER, buf, WIRE_TRAILER_SIZE);
}

/* Command lines: byte 0 = 0 for zcp-send, 1 for zcp-recv; NUL-separated argv. */
static void opts(void)
{
#define LINE(s) {s, sizeof(s) - 1}
	static const struct { const char *text; size_t len; } lines[] = {
		LINE("\0data.bin"),
		LINE("\0-l\0[::1]:0\0-p\0splice\0--chunk\00064K\0--once\0-v\0data.bin"),
		LINE("\0--connect\0host:9000\0--path=copy\0--raw\0--timeout\00030\0-q\0f"),
		LINE("\0--listen=0.0.0.0:9000\0--path\0sendfile\0--help"),
		LINE("\0-V"),
		LINE("\0--chunk\00064M\0f\0g"),
		LINE("\1--discard"),
		LINE("\1-c\000127.0.0.1:9000\0-o\0out\0--offset\0001G\0--length\0001T\0--force\0--fsync"),
		LINE("\1-l\0localhost:0\0--output=-\0-p\0copy\0--chunk\0001\0--raw\0--quiet"),
		LINE("\1-o\0x\0--discard"),
		LINE("\1--discard\0--offset\0009223372036854775808"),
		LINE("\1--discard\0-c\0[fe80::1%lo]:65535\0--timeout\00086400\0--verbose\0--version"),
		LINE("\1-o\0dir/\0--name\0data.bin\0--max-size\00010M\0--force"),
		LINE("\1--discard\0--raw=1\0--offset\0000\0-p\0copy\0-p\0copy"),
		LINE("\1--discard\0--offset\0009223372036854775807\0--length\0001"),
		LINE("\0-l\000127.0.0.1:0\0--root\0/srv\0--workers\0auto\0--max-clients\0001\0--max-chunk\0002M"
		     "\0--header-timeout\0005\0--drain\0000\0--notsent-lowat\0000"),
		LINE("\0--listen\0[::1]:0\0--count\0003\0--max-clients=1024\0--timeout=0\0data.bin"),
		LINE("\0--root\0dir\0--workers\0002\0--once"),
		LINE("\1-l\0localhost:0\0-o\0dir/\0--count\000200\0--max-clients\00064\0--drain\0001"),
		LINE("\1-c\0h:1\0--name\0sub/dir/f.bin\0-o\0dir/\0--max-chunk\00064K"),
		LINE("\1--streams\0008\0-o\0out\0-p\0copy\0--offset\0001M"),
		LINE("\1--streams\00065\0-o\0-"),
		LINE("\0--streams\0002\0-c\0h:1\0f"),
		LINE("\0-l\0000.0.0.0:0\0--psk-file\0key\0--raw\0f"),
		LINE("\0--cert\0c.pem\0--key\0k.pem\0--client-ca\0ca.pem\0--root\0d"),
		LINE("\0-l\0[::]:0\0--insecure\0f"),
		LINE("\1--ca\0ca.pem\0--pin\0sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\0-o\0x"),
		LINE("\1--psk-file\0k\0--cert\0c\0--key\0k\0--discard"),
		LINE("\1-c\0h:1\0--cert\0c\0--key\0k\0--pin\0sha256//x\0--streams\0004\0-o\0x"),
	};
#undef LINE
	for (unsigned i = 0; i < sizeof lines / sizeof lines[0]; i++)
		emit("opts", lines[i].text, lines[i].len);
}

/* HTTP request heads (SPEC H-2..H-6): what curl, wget and aria2 send, every Range
 * and validator form, and each refusal the parser knows. */
static void http(void)
{
	static const char *const heads[] = {
		"GET /data.bin HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
		"GET /f HTTP/1.1\r\nUser-Agent: Wget/1.21.4\r\nAccept: */*\r\nAccept-Encoding: identity\r\n"
		"Host: h:9000\r\nConnection: Keep-Alive\r\nRange: bytes=1000-\r\n\r\n",
		"GET /f HTTP/1.1\r\nUser-Agent: aria2/1.37.0\r\nAccept: */*\r\nHost: h\r\nPragma: no-cache\r\n"
		"Cache-Control: no-cache\r\nRange: bytes=0-1048575\r\n\r\n",
		"HEAD / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\n\r\n",
		"GET /a%2Fb%20c+d?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET http://h:1/x/y HTTP/1.1\r\nHost: h:1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-500\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0,-1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=9223372036854775807-\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=18446744073709551616-\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: items=0-1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n"
		"If-Range: \"0123456789abcdef0123456789abcdef\"\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: W/\"x\", \"0123456789abcdef0123456789abcdef\"\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET /%00 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\n\nGET / HTTP/1.1\nHost: h\n\n",
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"DELETE /f HTTP/1.1\r\nHost: h\r\n\r\n",
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	for (unsigned i = 0; i < sizeof heads / sizeof heads[0]; i++)
		emit("http", heads[i], strlen(heads[i]));
	/* at the limits: a target of 4097 bytes (414), a head of 8193 (431) */
	static char big[8300];
	int n = snprintf(big, sizeof big, "GET /");
	memset(big + n, 'a', 4096);
	n += 4096;
	n += snprintf(big + n, sizeof big - (size_t)n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	emit("http", big, (size_t)n);
	n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ");
	memset(big + n, 'p', 8193 - 4 - (size_t)n);
	memcpy(big + 8193 - 4, "\r\n\r\n", 4);
	emit("http", big, 8193);
}

/* SPEC F: the HTTP client's parsers. Byte 0 picks the parser (0 head, 1 chunked,
 * 2 URL), byte 1 the knob (head limit, split seed, base and range bits). */
static void httpc(void)
{
#define SEED(p, k, s) {p, k, s, sizeof(s) - 1}
	static const struct { uint8_t parser, knob; const char *text; size_t len; } seeds[] = {
		SEED(0, 0, "HTTP/1.1 206 Partial Content\r\nContent-Length: 100\r\n"
			   "Content-Range: bytes 100-199/1000\r\nETag: \"5e3a\"\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nAccept-Ranges: bytes\r\n"
			   "Connection: keep-alive\r\n"
			   "Repr-Digest: sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:\r\n\r\nbody"),
		SEED(0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"),
		SEED(0, 0, "HTTP/1.0 416 Range Not Satisfiable\nContent-Range: bytes */0\nRetry-After: 5\n\n"),
		SEED(0, 0, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 302 Found\r\nLocation: ../x y\r\nETag: W/\"a\"\r\n"
			   "Last-Modified: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n"
			   "Content-Digest: sha-512=:YQ==:, sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:;p=1\r\n"
			   "Last-Modified: Sun Nov  6 08:49:37 1994\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 206 OK\r\nContent-Range: bytes 5-4/10\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n"),
		SEED(0, 0, "HTTP/1.1 200 O\rK\r\n\r\n"),
		SEED(0, 4, "HTTP/1.1 200 OK\r\nX-Long: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n\r\n"),
		SEED(1, 3, "5\r\nhello\r\n1A;name=\"v;x\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX: y\r\n\r\nNEXT"),
		SEED(1, 7, "7FFFFFFFFFFFFFFF\r\nab"),
		SEED(1, 1, "8000000000000000\r\n"),
		SEED(1, 2, "5\r\nhelloX\r\n"),
		SEED(1, 9, "0;ext\r\nRepr-Digest: sha-256=:x:\r\n\r\n"),
		SEED(2, 0, "http://example.com:8080/a/../b%20c/d.iso?x=1#frag"),
		SEED(2, 0, "HTTPS://[FE80::1%25lo]:8443/f"),
		SEED(2, 0, "http://h/caf\xc3\xa9 \"<>\\^`{|}%zz"),
		SEED(2, 0, "file:///etc/passwd"),
		SEED(2, 4, "http://user@h/x"),
		SEED(2, 1, "../../g?y#s"),
		SEED(2, 1, "//other:81/x"),
		SEED(2, 3, "?q"),
		SEED(2, 3, "/%2e%2e/a%2Fb"),
	};
#undef SEED
	for (unsigned i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		uint8_t buf[1024];
		buf[0] = seeds[i].parser;
		buf[1] = seeds[i].knob;
		memcpy(buf + 2, seeds[i].text, seeds[i].len);
		emit("httpc", buf, 2 + seeds[i].len);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-corpus DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		perror(root);
		return 1;
	}
	requests();
	idents_and_trailers();
	responses();
	acks();
	opts();
	http();
	httpc();
	return 0;
}
