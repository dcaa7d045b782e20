/* Check suite for src/opts.c and the pure address helpers of src/net.c. */
#include "net.h"
#include "opts.h"
#include "listener.h"
#include "testutil.h"

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})
#define ARGC(v) ((int)(sizeof(v) / sizeof(char *)) - 1)

static char err[256];

static int send_args(struct opts_send *o, int argc, char **argv)
{
	err[0] = '\0';
	return opts_parse_send(argc, argv, o, err, sizeof err);
}

static int recv_args(struct opts_recv *o, int argc, char **argv)
{
	err[0] = '\0';
	return opts_parse_recv(argc, argv, o, err, sizeof err);
}

#define SEND(o, ...) send_args(o, ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))
#define RECV(o, ...) recv_args(o, ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))

/* SPEC C-2: default roles, address and paths. */
START_TEST(c2_defaults)
{
	struct opts_send s;
	ck_assert_int_eq(SEND(&s, "f"), 0);
	ck_assert_int_eq(s.c.role, OPTS_LISTEN);
	ck_assert_str_eq(s.c.addr, "127.0.0.1:9000");
	ck_assert_int_eq(s.c.path, XFER_SENDFILE);
	ck_assert_uint_eq(s.c.chunk, 8192);
	ck_assert_uint_eq(s.c.timeout_s, 30);
	ck_assert(!s.srv.count && !s.c.raw && !s.c.quiet && !s.c.verbose);
	ck_assert_str_eq(s.file, "f");
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "--discard"), 0);
	ck_assert_int_eq(r.c.role, OPTS_CONNECT);
	ck_assert_int_eq(r.c.path, XFER_SPLICE);
	ck_assert(r.discard && !r.force && !r.fsync && r.offset == 0 && r.length == 0);
}
END_TEST

/* SPEC C-1: every zcp-send option. */
START_TEST(c1_send_every_flag)
{
	struct opts_send s;
	ck_assert_int_eq(SEND(&s, "-c", "[::1]:7", "-p", "splice", "--chunk", "64K", "--raw",
			      "--timeout", "5", "-q", "file"), 0);
	ck_assert_int_eq(s.c.role, OPTS_CONNECT);
	ck_assert_str_eq(s.c.addr, "[::1]:7");
	ck_assert_int_eq(s.c.path, XFER_SPLICE);
	ck_assert_uint_eq(s.c.chunk, 65536);
	ck_assert(s.c.raw && s.c.quiet && s.srv.count == 1); /* --connect implies one transfer */
	ck_assert_uint_eq(s.c.timeout_s, 5);
	ck_assert_int_eq(SEND(&s, "--listen", "0.0.0.0:0", "--path", "copy", "--once", "-v", "x"), 0);
	ck_assert(s.srv.count == 1 && s.c.verbose && s.c.role == OPTS_LISTEN && s.c.path == XFER_COPY);
	ck_assert_int_eq(SEND(&s, "--connect=localhost:1", "--path=sendfile", "x"), 0);
	ck_assert_int_eq(s.c.path, XFER_SENDFILE);
}
END_TEST

/* SPEC C-1 S-13 S-14 S-15 S-16: the server's options and their defaults. */
START_TEST(c1_send_server_options)
{
	struct opts_send s;
	ck_assert_int_eq(SEND(&s, "f"), 0);
	ck_assert_uint_eq(s.srv.max_chunk, 2u << 20);
	ck_assert_uint_eq(s.srv.max_clients, 1024);
	ck_assert_uint_eq(s.header_timeout_s, 10);
	ck_assert_uint_eq(s.srv.drain_s, 10);
	ck_assert_uint_eq(s.workers, 1);
	ck_assert_uint_eq(s.srv.count, 0);
	ck_assert_uint_eq(s.notsent_lowat, 1u << 20);
	ck_assert_ptr_null(s.root);
	ck_assert(!s.no_http); /* SPEC H-1: HTTP is answered unless turned off */
	ck_assert_int_eq(SEND(&s, "--root", "/srv", "--max-chunk", "512K", "--max-clients", "7",
			      "--header-timeout", "3", "--drain", "0", "--workers", "2",
			      "--notsent-lowat", "0", "--no-http"), 0);
	ck_assert(s.no_http);
	ck_assert_str_eq(s.root, "/srv");
	ck_assert_ptr_null(s.file);
	ck_assert_uint_eq(s.srv.max_chunk, 512u << 10);
	ck_assert_uint_eq(s.srv.max_clients, 7);
	ck_assert_uint_eq(s.header_timeout_s, 3);
	ck_assert_uint_eq(s.srv.drain_s, 0);
	ck_assert_uint_eq(s.workers, 2);
	ck_assert_uint_eq(s.notsent_lowat, 0);
	ck_assert_int_eq(SEND(&s, "--count", "5", "f"), 0);
	ck_assert_uint_eq(s.srv.count, 5);
	ck_assert_int_eq(SEND(&s, "--once", "f"), 0);
	ck_assert_uint_eq(s.srv.count, 1);
	ck_assert_int_eq(SEND(&s, "--workers", "auto", "f"), 0);
	ck_assert_uint_ge(s.workers, 1);
	ck_assert_uint_eq(s.workers, (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
}
END_TEST

/* SPEC R-16: zcp-recv --listen takes the server's options too. */
START_TEST(r16_recv_server_options)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/"), 0);
	ck_assert(!r.srv.given);
	ck_assert_uint_eq(r.srv.max_clients, 1024);
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/", "--count", "3", "--max-clients", "9",
			      "--max-chunk", "1M", "--drain", "2"), 0);
	ck_assert(r.srv.given);
	ck_assert_uint_eq(r.srv.count, 3);
	ck_assert_uint_eq(r.srv.max_clients, 9);
	ck_assert_uint_eq(r.srv.max_chunk, 1u << 20);
	ck_assert_uint_eq(r.srv.drain_s, 2);
}
END_TEST

/* SPEC R-16 P-13: a push receiver's --header-timeout, a server option. */
START_TEST(p13_recv_header_timeout)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/"), 0);
	ck_assert_uint_eq(r.header_timeout_s, 10);
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/", "--header-timeout", "0"), 0);
	ck_assert_uint_eq(r.header_timeout_s, 0);
	ck_assert(r.srv.given);
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/", "--header-timeout", "3"), 0);
	ck_assert_uint_eq(r.header_timeout_s, 3);
	ck_assert_int_eq(RECV(&r, "-o", "d/", "--header-timeout", "3"), -1); /* a server option */
	ck_assert_ptr_nonnull(strstr(opts_usage_recv(), "--header-timeout"));
}
END_TEST

/* SPEC C-1: every zcp-recv option. */
START_TEST(c1_recv_every_flag)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-p", "copy", "-o", "out", "--offset", "1M",
			      "--length", "3", "--force", "--fsync", "--chunk", "1", "--timeout", "0",
			      "-v"), 0);
	ck_assert_int_eq(r.c.role, OPTS_LISTEN);
	ck_assert_int_eq(r.c.path, XFER_COPY);
	ck_assert_str_eq(r.output, "out");
	ck_assert_uint_eq(r.offset, 1048576);
	ck_assert_uint_eq(r.length, 3);
	ck_assert(r.force && r.fsync && r.c.verbose);
	ck_assert_uint_eq(r.c.chunk, 1);
	ck_assert_uint_eq(r.c.timeout_s, 0);
	ck_assert_int_eq(RECV(&r, "--output", "-", "--raw", "--quiet"), 0);
	ck_assert_str_eq(r.output, "-");
	ck_assert(r.c.raw && r.c.quiet);
}
END_TEST

/* SPEC C-6: help and version stop parsing and need nothing else. */
START_TEST(c6_help_version)
{
	struct opts_send s;
	struct opts_recv r;
	ck_assert_int_eq(SEND(&s, "--help"), 0);
	ck_assert_int_eq(s.c.action, OPTS_HELP);
	ck_assert_int_eq(SEND(&s, "-V"), 0);
	ck_assert_int_eq(s.c.action, OPTS_VERSION);
	ck_assert_int_eq(RECV(&r, "-h"), 0);
	ck_assert_int_eq(r.c.action, OPTS_HELP);
	ck_assert_int_eq(RECV(&r, "--version"), 0);
	ck_assert_int_eq(r.c.action, OPTS_VERSION);
	ck_assert_ptr_nonnull(strstr(opts_usage_send(), "--once"));
	ck_assert_ptr_nonnull(strstr(opts_usage_recv(), "--discard"));
}
END_TEST

struct size_case {
	const char *s;
	int ok;
	uint64_t v;
};

static const struct size_case sizes[] = {
	{"0", 1, 0}, {"1", 1, 1}, {"8K", 1, 8192}, {"8k", 1, 8192}, {"3M", 1, 3ull << 20},
	{"2G", 1, 2ull << 30}, {"1t", 1, 1ull << 40}, {"16777215T", 1, 16777215ull << 40},
	{"18446744073709551615", 1, UINT64_MAX}, {"007", 1, 7},
	{"18446744073709551616", 0, 0}, {"16777216T", 0, 0}, {"17179869184G", 0, 0},
	{"", 0, 0}, {"-1", 0, 0}, {"+1", 0, 0}, {" 1", 0, 0}, {"1 ", 0, 0}, {"1KB", 0, 0},
	{"1E", 0, 0}, {"K", 0, 0}, {"1.5M", 0, 0}, {"0x10", 0, 0}, {"1MK", 0, 0},
};

/* SPEC C-3: sizes, suffixes and overflow. */
START_TEST(c3_sizes)
{
	const struct size_case *c = &sizes[_i];
	uint64_t v = 12345;
	const char *why = NULL;
	int r = opts_parse_size(c->s, 0, UINT64_MAX, &v, &why);
	if (c->ok) {
		ck_assert_msg(r == 0, "'%s' refused: %s", c->s, why);
		ck_assert_uint_eq(v, c->v);
	} else {
		ck_assert_msg(r == -1, "'%s' accepted as %llu", c->s, (unsigned long long)v);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(v, 12345);
	}
}
END_TEST

/* SPEC C-3: the bounds of --chunk, --timeout, --offset, --length. */
START_TEST(c3_bounds)
{
	struct opts_send s;
	struct opts_recv r;
	ck_assert_int_eq(SEND(&s, "--chunk", "64M", "f"), 0);
	ck_assert_int_eq(SEND(&s, "--chunk", "67108865", "f"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--chunk"));
	ck_assert_int_eq(SEND(&s, "--chunk", "0", "f"), -1);
	ck_assert_int_eq(SEND(&s, "--timeout", "86400", "f"), 0);
	ck_assert_int_eq(SEND(&s, "--timeout", "86401", "f"), -1);
	ck_assert_int_eq(SEND(&s, "--timeout", "1K", "f"), -1);
	ck_assert_int_eq(RECV(&r, "--discard", "--offset", "9223372036854775807"), 0);
	ck_assert_int_eq(RECV(&r, "--discard", "--offset", "8589934592G"), -1);
	ck_assert_int_eq(RECV(&r, "--discard", "--length", "8388607T"), 0);
	ck_assert_int_eq(RECV(&r, "--discard", "--length", "8388608T"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--length"));
}
END_TEST

struct conflict {
	int send;
	const char *argv[8];
	const char *needle; /* expected in the message */
};

static const struct conflict conflicts[] = {
	{1, {"-l", "a:1", "-c", "b:2", "f"}, "conflict"},
	{1, {"-c", "b:2", "--listen", "a:1", "f"}, "conflict"},
	{1, {"-l", "a:1", "-l", "b:2", "f"}, "twice"},
	{1, {"--once", "--once", "f"}, "twice"},
	{1, {"--chunk", "1", "--chunk", "2", "f"}, "twice"},
	{1, {"f", "g"}, "unexpected"},
	{1, {"-q", "-v", "f"}, "conflict"},
	{1, {"--bogus", "f"}, "unknown option"},
	{1, {"-x", "f"}, "unknown option"},
	{1, {"-p", "mmap", "f"}, "unknown path"},
	{1, {"--chunk", "f"}, "--chunk"},
	{1, {"-l"}, "needs an argument"},
	{1, {"--discard", "f"}, "unknown option"},
	{0, {"-o", "x", "--discard"}, "conflict"},
	{0, {"-v"}, "need -o"},
	{0, {"--discard", "extra"}, "unexpected"},
	{0, {"--discard", "--raw", "--offset", "1"}, "--raw"},
	{0, {"--discard", "--raw", "--length", "1"}, "--raw"},
	{0, {"--discard", "-p", "sendfile"}, "unknown path"},
	{0, {"--discard", "--once"}, "need --listen"},
	{0, {"-l", "h:0", "-o", "d/", "--once", "--count", "2"}, "--once and --count conflict"},
	{0, {"-o", ""}, "non-empty"},
	{0, {"--discard", "--force", "--force"}, "twice"},
	{0, {"--discard", "-c", "h:0"}, "port 0"},
	{0, {"--discard", "-c", "::1:80"}, "brackets"},
	{0, {"--discard", "-c", "host"}, "HOST:PORT"},
	{0, {"--discard", "-c", "host:65536"}, "port"},
	{0, {"--discard", "-c", "host:"}, "port"},
	{0, {"--discard", "-c", ":80"}, "empty host"},
	{0, {"--discard", "-c", "[::1]80"}, "[IPV6]:PORT"},
	{0, {"--discard", "-c", "h:8x"}, "port"},
};

/* Parses the NULL-terminated list as zcp-send's (send) or zcp-recv's arguments. */
static int parse_list(int send, const char *const *list)
{
	char *argv[10] = {"prog"};
	int argc = 1;
	for (int i = 0; list[i]; i++)
		argv[argc++] = (char *)list[i];
	struct opts_send s;
	struct opts_recv r;
	return send ? send_args(&s, argc, argv) : recv_args(&r, argc, argv);
}

/* SPEC C-5 C-4: conflicts and bad values are refused with a reason. */
START_TEST(c5_conflicts)
{
	const struct conflict *c = &conflicts[_i];
	ck_assert_int_eq(parse_list(c->send, c->argv), -1);
	ck_assert_msg(strstr(err, c->needle), "message '%s' lacks '%s'", err, c->needle);
}
END_TEST

struct msg_case {
	int send;
	const char *argv[8];
	const char *msg; /* the whole expected message */
};

static const struct msg_case messages[] = {
	{0, {"--discard", "--raw=1"}, "option '--raw' doesn't allow an argument"},
	{0, {"--discard", "--force=yes"}, "option '--force' doesn't allow an argument"},
	{1, {"--quiet=1", "f"}, "option '--quiet' doesn't allow an argument"},
	{1, {"--help=1"}, "option '--help' doesn't allow an argument"},
	{1, {"--once=", "f"}, "option '--once' doesn't allow an argument"},
	{1, {"-p", "copy", "-p", "copy", "f"}, "option '-p' given twice"},
	{1, {"--path", "copy", "--path=splice", "f"}, "option '--path' given twice"},
	{1, {"--path", "copy", "-p", "splice", "f"}, "option '-p' given twice"},
	{0, {"--discard", "--offset", "1", "--offset=2"}, "option '--offset' given twice"},
	{1, {"--bogus", "f"}, "unknown option '--bogus'"},
	{1, {"--bogus=3", "f"}, "unknown option '--bogus'"},
	{1, {"-x", "f"}, "unknown option '-x'"},
	{1, {"--once", "-xq", "f"}, "unknown option '-x'"},
	{1, {"--once", "-qx", "f"}, "unknown option '-x'"},
	{1, {"--once", "-ql"}, "option '-l' needs an argument"},
	{1, {"--ver", "f"}, "option '--ver' is ambiguous"},
	{1, {"--chunk"}, "option '--chunk' needs an argument"},
	{1, {"-l"}, "option '-l' needs an argument"},
	{0, {"--discard", "--raw", "--offset", "0"}, "--raw conflicts with --offset and --length"},
	{0, {"--discard", "--raw", "--length", "0"}, "--raw conflicts with --offset and --length"},
	{0, {"--discard", "--raw", "--name", "a"}, "--raw conflicts with --name"},
	{0, {"--discard", "--offset", "9223372036854775807", "--length", "1"},
	 "--offset + --length exceeds 2^63-1"},
	{0, {"--discard", "--offset", "4611686018427387904", "--length", "4611686018427387904"},
	 "--offset + --length exceeds 2^63-1"},
	{0, {"--discard", "--name", "/etc/passwd"},
	 "--name '/etc/passwd': not a relative path (no empty, . or .. part, no leading /, at most 1024 bytes)"},
	{0, {"--discard", "--name", "a/../b"},
	 "--name 'a/../b': not a relative path (no empty, . or .. part, no leading /, at most 1024 bytes)"},
	{0, {"--discard", "--name", ""},
	 "--name '': not a relative path (no empty, . or .. part, no leading /, at most 1024 bytes)"},
	{0, {"--discard", "--max-size", "1X"}, "--max-size '1X': trailing characters"},
	{1, {"--root", "/srv", "f"}, "--root conflicts with FILE"},
	{1, {"--root", "/srv", "--raw"}, "--root conflicts with --raw"},
	{1, {"--root", "/srv", "-c", "h:1"}, "--root needs --listen"},
	{1, {"--once", "--count", "2", "f"}, "--once and --count conflict"},
	{1, {"--count", "0", "f"}, "--count '0': too small (1 to 2^63-1)"},
	{1, {"--workers", "2", "--count", "2", "f"}, "--count and --once need --workers 1"},
	{1, {"--workers", "2", "-c", "h:1", "f"}, "--workers needs --listen"},
	{1, {"--no-http", "-c", "h:1", "f"}, "--no-http needs --listen"},
	{1, {"--workers", "0", "f"}, "--workers '0': too small (1 to 256, or auto)"},
	{1, {"--max-clients", "0", "f"}, "--max-clients '0': too small (1 to 1000000)"},
	{1, {"--max-chunk", "0", "f"}, "--max-chunk '0': too small (4K to 1T)"},
	{1, {"--header-timeout", "x", "f"}, "--header-timeout 'x': not a number (0 to 86400 seconds)"},
	{1, {"--drain", "86401", "f"}, "--drain '86401': too large (0 to 86400 seconds)"},
};

/* SPEC C-8 C-5 W-10: each refusal names the option as the user typed it. */
START_TEST(c8_messages)
{
	const struct msg_case *c = &messages[_i];
	ck_assert_int_eq(parse_list(c->send, c->argv), -1);
	ck_assert_str_eq(err, c->msg);
}
END_TEST

/* SPEC W-10 C-5: the largest range that fits is accepted. */
START_TEST(w10_range_fits)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "--discard", "--offset", "9223372036854775806", "--length", "1"), 0);
	ck_assert_int_eq(RECV(&r, "--discard", "--offset", "9223372036854775807"), 0);
	ck_assert_int_eq(RECV(&r, "--discard", "--offset", "9223372036854775807", "--length", "0"), 0);
}
END_TEST

/* SPEC R-12 R-13: --max-size and --name are parsed and kept. */
START_TEST(r12_max_size_and_name)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "--discard"), 0);
	ck_assert_uint_eq(r.max_size, 0); /* no limit, as curl's --max-filesize 0 */
	ck_assert_ptr_null(r.name);
	ck_assert_int_eq(RECV(&r, "-o", "d/", "--max-size", "10M", "--name", "data.bin"), 0);
	ck_assert_uint_eq(r.max_size, 10u << 20);
	ck_assert_str_eq(r.name, "data.bin");
	ck_assert_int_eq(RECV(&r, "--discard", "--max-size", "1"), 0);
	ck_assert_uint_eq(r.max_size, 1);
	ck_assert_int_eq(RECV(&r, "--raw", "-o", "x", "--max-size", "1K"), 0); /* raw: a cap on bytes */
}
END_TEST

/* SPEC C-5: parsing twice in one process gives the same answer (getopt reset). */
START_TEST(c5_reparse)
{
	struct opts_send s;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(SEND(&s, "-p", "copy", "--bogus", "f"), -1);
		ck_assert_int_eq(SEND(&s, "-p", "copy", "f"), 0);
		ck_assert_int_eq(s.c.path, XFER_COPY);
	}
}
END_TEST

struct addr_case {
	const char *s, *host, *port;
};

static const struct addr_case addrs[] = {
	{"127.0.0.1:9000", "127.0.0.1", "9000"}, {"[::1]:0", "::1", "0"},
	{"localhost:65535", "localhost", "65535"}, {"[fe80::1%lo]:80", "fe80::1%lo", "80"},
};

/* SPEC C-4: HOST:PORT forms and net_port(). */
START_TEST(c4_addresses)
{
	const struct addr_case *c = &addrs[_i];
	char host[64], port[8];
	const char *why;
	ck_assert_int_eq(net_split_addr(c->s, host, sizeof host, port, sizeof port, &why), 0);
	ck_assert_str_eq(host, c->host);
	ck_assert_str_eq(port, c->port);
	ck_assert_int_eq(net_port(c->s), atoi(c->port));
	ck_assert_int_eq(net_port("nope"), -1);
	ck_assert_int_eq(net_split_addr(c->s, host, 3, port, sizeof port, &why), -1);
}
END_TEST

#define PIN "sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* SPEC T-1: every TLS option, on the side it belongs to. */
/* SPEC T-6: over TLS the copy buffer is 64 KiB unless --chunk says otherwise (an
 * 8 KiB buffer makes half-full records and twice the calls); plaintext keeps 8 KiB. */
START_TEST(t6_tls_copy_buffer_default)
{
	struct opts_send s;
	struct opts_recv r;
	ck_assert_int_eq(SEND(&s, "--psk-file", "k", "f"), 0);
	ck_assert_uint_eq(s.c.chunk, 64u << 10);
	ck_assert_int_eq(RECV(&r, "--ca", "ca.pem", "-o", "x"), 0);
	ck_assert_uint_eq(r.c.chunk, 64u << 10);
	ck_assert_int_eq(SEND(&s, "--psk-file", "k", "--chunk", "8K", "f"), 0);
	ck_assert_uint_eq(s.c.chunk, 8u << 10);
	ck_assert_int_eq(SEND(&s, "f"), 0);
	ck_assert_uint_eq(s.c.chunk, 8u << 10);
}
END_TEST

START_TEST(t1_tls_options)
{
	struct opts_send s;
	struct opts_recv r;
	ck_assert_int_eq(SEND(&s, "--psk-file", "k", "f"), 0);
	ck_assert_str_eq(s.c.tls.psk_file, "k");
	ck_assert_int_eq(SEND(&s, "--cert", "c.pem", "--key", "k.pem", "--client-ca", "ca.pem", "f"), 0);
	ck_assert_str_eq(s.c.tls.cert, "c.pem");
	ck_assert_str_eq(s.c.tls.key, "k.pem");
	ck_assert_str_eq(s.c.tls.client_ca, "ca.pem");
	ck_assert_int_eq(RECV(&r, "--ca", "ca.pem", "--pin", PIN, "--cert", "c", "--key", "k", "-o", "x"), 0);
	ck_assert_str_eq(r.c.tls.ca, "ca.pem");
	ck_assert_str_eq(r.c.tls.pin, PIN);
	ck_assert_int_eq(SEND(&s, "-l", "0.0.0.0:1", "--insecure", "f"), 0);
	ck_assert(s.c.insecure);
	ck_assert_int_eq(SEND(&s, "f"), 0);
	ck_assert(!tls_cfg_wanted(&s.c.tls) && !s.c.insecure);
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "--psk-file", "k", "-o", "d/"), 0);
	ck_assert_int_eq(SEND(&s, "-c", "h:1", "--pin", PIN, "--raw", "f"), 0);
	ck_assert_int_eq(SEND(&s, "-c", "h:1", "--pin", PIN ";" PIN, "f"), 0); /* SPEC T-10 */
	ck_assert_str_eq(s.c.tls.pin, PIN ";" PIN);
}
END_TEST

static const struct { bool send; const char *args[12]; const char *says; } tls_refusals[] = {
	{true, {"--cert", "c", "f"}, "--cert and --key go together"},
	{true, {"--key", "k", "f"}, "--cert and --key go together"},
	{true, {"--psk-file", "k", "--cert", "c", "--key", "k", "f"}, "authenticate one way"},
	{false, {"--psk-file", "k", "--ca", "c", "-o", "x"}, "authenticate one way"},
	{false, {"--psk-file", "k", "--pin", PIN, "-o", "x"}, "authenticate one way"},
	{true, {"--insecure", "--psk-file", "k", "f"}, "--insecure is plaintext"},
	{true, {"-c", "h:1", "--insecure", "f"}, "--insecure needs --listen"},
	{true, {"--ca", "c", "f"}, "they need --connect"},
	{false, {"-l", "h:1", "--pin", PIN, "-o", "x"}, "they need --connect"},
	{true, {"--client-ca", "c", "f"}, "--client-ca needs --cert"},
	{false, {"--client-ca", "c", "-o", "x"}, "--client-ca needs --listen"},
	{false, {"--cert", "c", "--key", "k", "-o", "x"}, "it needs --ca or --pin"},
	{false, {"--pin", "sha256//abc", "-o", "x"}, "not sha256//BASE64"},
	{true, {"-c", "h:1", "--pin", "md5//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "f"}, "not sha256//BASE64"},
	{true, {"--psk-file", "a", "--psk-file", "b", "f"}, "given twice"},
	{false, {"-c", "h:1", "--pin", PIN ";", "-o", "x"}, "not sha256//BASE64"}, /* SPEC T-10 */
};

/* SPEC T-1 T-8: what does not make one way to authenticate is refused, said. */
START_TEST(t1_tls_refusals)
{
	char *argv[14] = {"prog"};
	int argc = 1;
	for (; tls_refusals[_i].args[argc - 1]; argc++)
		argv[argc] = (char *)tls_refusals[_i].args[argc - 1];
	argv[argc] = NULL;
	struct opts_send s;
	struct opts_recv r;
	int got = tls_refusals[_i].send ? send_args(&s, argc, argv) : recv_args(&r, argc, argv);
	ck_assert_int_eq(got, -1);
	ck_assert_msg(strstr(err, tls_refusals[_i].says), "%s", err);
}
END_TEST

/* SPEC P-10 S-13 S-15: an option's seconds as the milliseconds a wait takes, in
 * one place; 0 is "none" where it means no limit (-1), and 0 for --drain. */
START_TEST(p10_seconds_as_ms)
{
	ck_assert_int_eq(opts_ms(0, -1), -1);
	ck_assert_int_eq(opts_ms(0, 0), 0);
	ck_assert_int_eq(opts_ms(7, -1), 7000);
	ck_assert_int_eq(opts_ms(OPTS_TIMEOUT_MAX, -1), (int)OPTS_TIMEOUT_MAX * 1000);
	struct opts_send s;
	ck_assert_int_eq(SEND(&s, "--timeout", "0", "f"), 0);
	ck_assert_int_eq(opts_timeout_ms(&s.c), -1);
	ck_assert_int_eq(SEND(&s, "--timeout", "3", "f"), 0);
	ck_assert_int_eq(opts_timeout_ms(&s.c), 3000);
}
END_TEST

/* SPEC S-13..S-15 R-16: the server part of both programs' options, one listener_cfg. */
START_TEST(s15_server_options_as_cfg)
{
	struct opts_recv r;
	ck_assert_int_eq(RECV(&r, "-l", "127.0.0.1:0", "-o", "d/", "--count", "3", "--max-clients", "9",
			      "--max-chunk", "1M", "--drain", "2"), 0);
	struct listener_cfg c = listener_cfg_of(&r.srv);
	ck_assert_uint_eq(c.count, 3);
	ck_assert_uint_eq(c.max_clients, 9);
	ck_assert_uint_eq(c.max_chunk, 1u << 20);
	ck_assert_int_eq(c.drain_ms, 2000);
	ck_assert_ptr_null(c.kind);
	struct opts_send s;
	ck_assert_int_eq(SEND(&s, "--drain", "0", "f"), 0);
	c = listener_cfg_of(&s.srv);
	ck_assert_int_eq(c.drain_ms, 0);
	ck_assert_uint_eq(c.max_clients, OPTS_MAX_CLIENTS_DEFAULT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, c2_defaults);
	tcase_add_test(tc, c1_send_every_flag);
	tcase_add_test(tc, c1_recv_every_flag);
	tcase_add_test(tc, c1_send_server_options);
	tcase_add_test(tc, r16_recv_server_options);
	tcase_add_test(tc, p13_recv_header_timeout);
	tcase_add_test(tc, c6_help_version);
	tcase_add_loop_test(tc, c3_sizes, 0, (int)(sizeof sizes / sizeof sizes[0]));
	tcase_add_test(tc, c3_bounds);
	tcase_add_loop_test(tc, c5_conflicts, 0, (int)(sizeof conflicts / sizeof conflicts[0]));
	tcase_add_test(tc, c5_reparse);
	tcase_add_loop_test(tc, c8_messages, 0, (int)(sizeof messages / sizeof messages[0]));
	tcase_add_test(tc, w10_range_fits);
	tcase_add_test(tc, r12_max_size_and_name);
	tcase_add_loop_test(tc, c4_addresses, 0, (int)(sizeof addrs / sizeof addrs[0]));
	tcase_add_test(tc, t1_tls_options);
	tcase_add_test(tc, t6_tls_copy_buffer_default);
	tcase_add_loop_test(tc, t1_tls_refusals, 0, (int)(sizeof tls_refusals / sizeof tls_refusals[0]));
	tcase_add_test(tc, p10_seconds_as_ms);
	tcase_add_test(tc, s15_server_options_as_cfg);
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
