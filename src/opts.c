/* opts - getopt_long based parsing for both programs; SPEC.md section C. */
#include "opts.h"

#include "net.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_CHUNK = 256, OPT_RAW, OPT_TIMEOUT, OPT_ONCE, OPT_DISCARD,
	OPT_OFFSET, OPT_LENGTH, OPT_FORCE, OPT_FSYNC, OPT_COUNT
};

#define COMMON_LONGOPTS                                        \
	{"listen", required_argument, NULL, 'l'},              \
	{"connect", required_argument, NULL, 'c'},             \
	{"path", required_argument, NULL, 'p'},                \
	{"chunk", required_argument, NULL, OPT_CHUNK},         \
	{"raw", no_argument, NULL, OPT_RAW},                   \
	{"timeout", required_argument, NULL, OPT_TIMEOUT},     \
	{"quiet", no_argument, NULL, 'q'},                     \
	{"verbose", no_argument, NULL, 'v'},                   \
	{"help", no_argument, NULL, 'h'},                      \
	{"version", no_argument, NULL, 'V'}

static const struct option send_longopts[] = {
	COMMON_LONGOPTS,
	{"once", no_argument, NULL, OPT_ONCE},
	{NULL, 0, NULL, 0},
};

static const struct option recv_longopts[] = {
	COMMON_LONGOPTS,
	{"output", required_argument, NULL, 'o'},
	{"discard", no_argument, NULL, OPT_DISCARD},
	{"offset", required_argument, NULL, OPT_OFFSET},
	{"length", required_argument, NULL, OPT_LENGTH},
	{"force", no_argument, NULL, OPT_FORCE},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{NULL, 0, NULL, 0},
};

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_uint(const char *s, int suffixes, uint64_t min, uint64_t max,
		      uint64_t *out, const char **why)
{
	uint64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9') {
		*why = "not a number";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	static const char units[] = "KMGT";
	const char *u = *p ? memchr(units, toupper((unsigned char)*p), 4) : NULL;
	if (*p && (!suffixes || !u || p[1] != '\0')) {
		*why = "trailing characters";
		return -1;
	}
	if (u) {
		unsigned shift = 10u * (unsigned)(u - units + 1);
		if (v > (UINT64_MAX >> shift)) {
			*why = "too large";
			return -1;
		}
		v <<= shift;
	}
	if (v < min || v > max) {
		*why = v < min ? "too small" : "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int opts_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	return parse_uint(s, 1, min, max, out, why);
}

const char *opts_path_name(enum opts_path p)
{
	return p == OPTS_PATH_COPY ? "copy" : p == OPTS_PATH_SENDFILE ? "sendfile" : "splice";
}

static void common_defaults(struct opts_common *c, enum opts_role role, enum opts_path path)
{
	memset(c, 0, sizeof *c);
	c->action = OPTS_RUN;
	c->role = role;
	c->addr = OPTS_DEFAULT_ADDR;
	c->path = path;
	c->chunk = OPTS_CHUNK_DEFAULT;
	c->timeout_s = OPTS_TIMEOUT_DEFAULT;
}

/* Handles an option both programs share. Returns 1 if handled, 0 if not ours, -1 on error. */
static int parse_common(int opt, const char *arg, int is_send, struct opts_common *c,
			int *role_set, char *err, size_t len)
{
	uint64_t v;
	const char *why;
	switch (opt) {
	case 'l':
	case 'c':
		if (*role_set)
			return fail(err, len, *role_set == opt ? "option '-%c' given twice"
							   : "--listen and --connect conflict", opt);
		*role_set = opt;
		c->role = opt == 'l' ? OPTS_LISTEN : OPTS_CONNECT;
		c->addr = arg;
		return 1;
	case 'p':
		if (!strcmp(arg, "copy"))
			c->path = OPTS_PATH_COPY;
		else if (!strcmp(arg, "splice"))
			c->path = OPTS_PATH_SPLICE;
		else if (is_send && !strcmp(arg, "sendfile"))
			c->path = OPTS_PATH_SENDFILE;
		else
			return fail(err, len, "unknown path '%s' (use %s)", arg,
				    is_send ? "copy, sendfile or splice" : "copy or splice");
		return 1;
	case OPT_CHUNK:
		if (opts_parse_size(arg, 1, OPTS_CHUNK_MAX, &v, &why))
			return fail(err, len, "--chunk '%s': %s (1 to 64M)", arg, why);
		c->chunk = (uint32_t)v;
		return 1;
	case OPT_TIMEOUT:
		if (parse_uint(arg, 0, 0, OPTS_TIMEOUT_MAX, &v, &why))
			return fail(err, len, "--timeout '%s': %s (0 to 86400 seconds)", arg, why);
		c->timeout_s = (uint32_t)v;
		return 1;
	case OPT_RAW: c->raw = true; return 1;
	case 'q': c->quiet = true; return 1;
	case 'v': c->verbose = true; return 1;
	case 'h': c->action = OPTS_HELP; return 1;
	case 'V': c->action = OPTS_VERSION; return 1;
	default: return 0;
	}
}

/* Runs getopt_long over argv; calls own() for options parse_common does not know.
 * Enforces "an option given twice" and reports unknown options (SPEC C-5). */
static int parse_loop(int argc, char **argv, const char *shortopts, const struct option *longopts,
		      int is_send, struct opts_common *c, void *o,
		      int (*own)(int, const char *, void *, char *, size_t), char *err, size_t len)
{
	unsigned char seen[OPT_COUNT] = {0};
	int role_set = 0, opt;
	optind = 0; /* glibc: full reinitialisation, so parsing can be repeated */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == '?') {
			if (optopt)
				return fail(err, len, "unknown option '-%c'", optopt);
			return fail(err, len, "unknown option '%s'", argv[optind - 1]);
		}
		if (opt == ':')
			return fail(err, len, "option '%s' needs an argument", argv[optind - 1]);
		if (opt >= 0 && opt < OPT_COUNT && opt != 'l' && opt != 'c' && seen[opt]++)
			return fail(err, len, "option '%s' given twice", argv[optind - 1]);
		int r = parse_common(opt, optarg, is_send, c, &role_set, err, len);
		if (r < 0)
			return -1;
		if (r == 0 && own(opt, optarg, o, err, len) < 0)
			return -1;
	}
	if (c->quiet && c->verbose)
		return fail(err, len, "-q and -v conflict");
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	if (net_split_addr(c->addr, host, sizeof host, port, sizeof port, &why) < 0)
		return fail(err, len, "address '%s': %s", c->addr, why);
	if (c->role == OPTS_CONNECT && net_port(c->addr) == 0)
		return fail(err, len, "address '%s': port 0 only with --listen", c->addr);
	return 0;
}

static int send_own(int opt, const char *arg, void *p, char *err, size_t len)
{
	struct opts_send *o = p;
	(void)arg;
	if (opt == OPT_ONCE) {
		o->once = true;
		return 0;
	}
	return fail(err, len, "internal: unhandled option %d", opt);
}

int opts_parse_send(int argc, char **argv, struct opts_send *o, char *err, size_t len)
{
	memset(o, 0, sizeof *o);
	common_defaults(&o->c, OPTS_LISTEN, OPTS_PATH_SENDFILE);
	if (parse_loop(argc, argv, ":l:c:p:qvhV", send_longopts, 1, &o->c, o, send_own, err, len))
		return -1;
	if (o->c.action != OPTS_RUN)
		return 0;
	if (optind >= argc)
		return fail(err, len, "missing FILE");
	if (optind + 1 < argc)
		return fail(err, len, "unexpected argument '%s'", argv[optind + 1]);
	o->file = argv[optind];
	if (o->c.role == OPTS_CONNECT)
		o->once = true;
	return 0;
}

static int recv_own(int opt, const char *arg, void *p, char *err, size_t len)
{
	struct opts_recv *o = p;
	const char *why;
	switch (opt) {
	case 'o': o->output = arg; return 0;
	case OPT_DISCARD: o->discard = true; return 0;
	case OPT_FORCE: o->force = true; return 0;
	case OPT_FSYNC: o->fsync = true; return 0;
	case OPT_OFFSET:
	case OPT_LENGTH:
		if (opts_parse_size(arg, 0, INT64_MAX, opt == OPT_OFFSET ? &o->offset : &o->length, &why))
			return fail(err, len, "--%s '%s': %s", opt == OPT_OFFSET ? "offset" : "length",
				    arg, why);
		return 0;
	default: return fail(err, len, "internal: unhandled option %d", opt);
	}
}

int opts_parse_recv(int argc, char **argv, struct opts_recv *o, char *err, size_t len)
{
	memset(o, 0, sizeof *o);
	common_defaults(&o->c, OPTS_CONNECT, OPTS_PATH_SPLICE);
	if (parse_loop(argc, argv, ":l:c:p:o:qvhV", recv_longopts, 0, &o->c, o, recv_own, err, len))
		return -1;
	if (o->c.action != OPTS_RUN)
		return 0;
	if (optind < argc)
		return fail(err, len, "unexpected argument '%s'", argv[optind]);
	if (o->output && o->discard)
		return fail(err, len, "-o and --discard conflict");
	if (!o->output && !o->discard)
		return fail(err, len, "need -o PATH or --discard");
	if (o->c.raw && (o->offset || o->length))
		return fail(err, len, "--raw conflicts with --offset and --length");
	if (o->output && o->output[0] == '\0')
		return fail(err, len, "-o needs a non-empty PATH");
	return 0;
}

const char *opts_usage_send(void)
{
	return "Usage: zcp-send [OPTIONS] FILE\n"
	       "Serve FILE (default) or push it to a receiver over TCP (protocol ZCP/1).\n\n"
	       "  -l, --listen HOST:PORT   serve FILE to each receiver that connects\n"
	       "                           (default role, default address " OPTS_DEFAULT_ADDR ")\n"
	       "  -c, --connect HOST:PORT  push FILE to a listening zcp-recv (one transfer)\n"
	       "  -p, --path PATH          copy, sendfile or splice (default sendfile)\n"
	       "      --chunk SIZE         copy-path buffer size, 1 to 64M (default 8K)\n"
	       "      --once               serve one transfer, then exit with its status\n"
	       "      --raw                no framing: write the file's bytes and close\n"
	       "      --timeout SECONDS    limit on each wait for the peer (default 30, 0 = none)\n"
	       "  -q, --quiet              print errors only\n"
	       "  -v, --verbose            print a report with syscall counts after each transfer\n"
	       "  -h, --help               show this help\n"
	       "  -V, --version            show the version\n\n"
	       "SIZE takes a K, M, G or T suffix (powers of 1024).\n"
	       "Exit: 0 ok, 1 system, 2 usage, 3 file, 4 network, 5 protocol, 6 peer failure.\n";
}

const char *opts_usage_recv(void)
{
	return "Usage: zcp-recv [OPTIONS] (-o PATH | --discard)\n"
	       "Fetch a file from zcp-send (default) or accept one it pushes (protocol ZCP/1).\n\n"
	       "  -c, --connect HOST:PORT  fetch from a serving zcp-send\n"
	       "                           (default role, default address " OPTS_DEFAULT_ADDR ")\n"
	       "  -l, --listen HOST:PORT   wait for one zcp-send --connect\n"
	       "  -p, --path PATH          copy or splice (default splice)\n"
	       "  -o, --output PATH        a file, an existing directory (name from the\n"
	       "                           sender) or - for standard output\n"
	       "      --discard            read the data and throw it away\n"
	       "      --offset SIZE        first byte to fetch (default 0)\n"
	       "      --length SIZE        bytes to fetch (default 0 = to the end)\n"
	       "      --force              replace an existing output file\n"
	       "      --fsync              fsync the file and its directory before success\n"
	       "      --chunk SIZE         copy-path buffer size, 1 to 64M (default 8K)\n"
	       "      --raw                no framing: read to end of stream\n"
	       "      --timeout SECONDS    limit on each wait for the peer (default 30, 0 = none)\n"
	       "  -q, --quiet              print errors only\n"
	       "  -v, --verbose            print a report with syscall counts after the transfer\n"
	       "  -h, --help               show this help\n"
	       "  -V, --version            show the version\n\n"
	       "SIZE takes a K, M, G or T suffix (powers of 1024).\n"
	       "Exit: 0 ok, 1 system, 2 usage, 3 file, 4 network, 5 protocol, 6 peer failure.\n";
}
