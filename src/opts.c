/* opts - getopt_long based parsing for both programs; SPEC.md section C. */
#include "opts.h"

#include "net.h"
#include "wire.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
	OPT_CHUNK = 256, OPT_RAW, OPT_TIMEOUT, OPT_ONCE, OPT_DISCARD,
	OPT_OFFSET, OPT_LENGTH, OPT_FORCE, OPT_FSYNC, OPT_MAX_SIZE, OPT_NAME, OPT_ROOT,
	OPT_MAX_CHUNK, OPT_MAX_CLIENTS, OPT_HEADER_TIMEOUT, OPT_COUNT, OPT_DRAIN, OPT_WORKERS,
	OPT_NOTSENT_LOWAT, OPT_STREAMS, OPT_VERIFY, OPT_RESUME, OPT_RESTART, OPT_PROGRESS,
	OPT_PSK_FILE, OPT_CERT, OPT_KEY, OPT_CA, OPT_PIN, OPT_CLIENT_CA, OPT_INSECURE, OPT_NO_HTTP, OPT_SHA256, OPT_N
};

#define COMMON_LONGOPTS                                        \
	{"listen", required_argument, NULL, 'l'},              \
	{"connect", required_argument, NULL, 'c'},             \
	{"path", required_argument, NULL, 'p'},                \
	{"chunk", required_argument, NULL, OPT_CHUNK},         \
	{"raw", no_argument, NULL, OPT_RAW},                   \
	{"timeout", required_argument, NULL, OPT_TIMEOUT},     \
	{"quiet", no_argument, NULL, 'q'},                     \
	{"progress", no_argument, NULL, OPT_PROGRESS},         \
	{"verbose", no_argument, NULL, 'v'},                   \
	{"help", no_argument, NULL, 'h'},                      \
	{"version", no_argument, NULL, 'V'},                   \
	{"psk-file", required_argument, NULL, OPT_PSK_FILE},   \
	{"cert", required_argument, NULL, OPT_CERT},           \
	{"key", required_argument, NULL, OPT_KEY},             \
	{"ca", required_argument, NULL, OPT_CA},               \
	{"pin", required_argument, NULL, OPT_PIN},             \
	{"client-ca", required_argument, NULL, OPT_CLIENT_CA}, \
	{"insecure", no_argument, NULL, OPT_INSECURE}

#define SERVER_LONGOPTS                                        \
	{"once", no_argument, NULL, OPT_ONCE},                 \
	{"count", required_argument, NULL, OPT_COUNT},         \
	{"max-clients", required_argument, NULL, OPT_MAX_CLIENTS}, \
	{"max-chunk", required_argument, NULL, OPT_MAX_CHUNK}, \
	{"drain", required_argument, NULL, OPT_DRAIN}

static const struct option send_longopts[] = {
	COMMON_LONGOPTS,
	SERVER_LONGOPTS,
	{"root", required_argument, NULL, OPT_ROOT},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"notsent-lowat", required_argument, NULL, OPT_NOTSENT_LOWAT},
	{"no-http", no_argument, NULL, OPT_NO_HTTP},
	{"streams", required_argument, NULL, OPT_STREAMS}, /* refused with the reason (SPEC R-18) */
	{NULL, 0, NULL, 0},
};

static const struct option recv_longopts[] = {
	COMMON_LONGOPTS,
	SERVER_LONGOPTS,
	{"output", required_argument, NULL, 'o'},
	{"discard", no_argument, NULL, OPT_DISCARD},
	{"offset", required_argument, NULL, OPT_OFFSET},
	{"length", required_argument, NULL, OPT_LENGTH},
	{"force", no_argument, NULL, OPT_FORCE},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"max-size", required_argument, NULL, OPT_MAX_SIZE},
	{"name", required_argument, NULL, OPT_NAME},
	{"streams", required_argument, NULL, OPT_STREAMS},
	{"verify", no_argument, NULL, OPT_VERIFY},
	{"resume", no_argument, NULL, OPT_RESUME},
	{"restart", no_argument, NULL, OPT_RESTART},
	{"sha256", required_argument, NULL, OPT_SHA256},
	{NULL, 0, NULL, 0},
};

static int reject(char *err, size_t len, const char *fmt, ...)
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

int opts_ms(uint32_t s, int none_ms)
{
	return s ? (int)s * 1000 : none_ms;
}

int opts_timeout_ms(const struct opts_common *c)
{
	return opts_ms(c->timeout_s, -1);
}

static void common_defaults(struct opts_common *c, enum opts_role role, enum xfer_path path)
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
static int parse_common(int opt, const char *name, const char *arg, int is_send,
			struct opts_common *c, int *role_set, char *err, size_t len)
{
	uint64_t v;
	const char *why;
	switch (opt) {
	case 'l':
	case 'c':
		if (*role_set == opt)
			return reject(err, len, "option '%s' given twice", name);
		if (*role_set)
			return reject(err, len, "--listen and --connect conflict");
		*role_set = opt;
		c->role = opt == 'l' ? OPTS_LISTEN : OPTS_CONNECT;
		if (opt == 'c' && !is_send && (!strncasecmp(arg, "http://", 7) || !strncasecmp(arg, "https://", 8)))
			c->url = arg; /* SPEC G-1 */
		else
			c->addr = arg;
		return 1;
	case 'p':
		if (!strcmp(arg, "copy"))
			c->path = XFER_COPY;
		else if (!strcmp(arg, "splice"))
			c->path = XFER_SPLICE;
		else if (is_send && !strcmp(arg, "sendfile"))
			c->path = XFER_SENDFILE;
		else
			return reject(err, len, "unknown path '%s' (use %s)", arg,
				    is_send ? "copy, sendfile or splice" : "copy or splice");
		return 1;
	case OPT_CHUNK:
		if (opts_parse_size(arg, 1, OPTS_CHUNK_MAX, &v, &why))
			return reject(err, len, "--chunk '%s': %s (1 to 64M)", arg, why);
		c->chunk = (uint32_t)v;
		return 1;
	case OPT_TIMEOUT:
		if (parse_uint(arg, 0, 0, OPTS_TIMEOUT_MAX, &v, &why))
			return reject(err, len, "--timeout '%s': %s (0 to 86400 seconds)", arg, why);
		c->timeout_s = (uint32_t)v;
		return 1;
	case OPT_RAW: c->raw = true; return 1;
	case 'q': c->quiet = true; return 1;
	case OPT_PROGRESS: c->progress = true; return 1;
	case 'v': c->verbose = true; return 1;
	case 'h': c->action = OPTS_HELP; return 1;
	case 'V': c->action = OPTS_VERSION; return 1;
	case OPT_PSK_FILE: c->tls.psk_file = arg; return 1;
	case OPT_CERT: c->tls.cert = arg; return 1;
	case OPT_KEY: c->tls.key = arg; return 1;
	case OPT_CA: c->tls.ca = arg; return 1;
	case OPT_PIN: {
		uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE];
		if (tls_pin_parse(arg, pins) < 0) /* SPEC T-10 */
			return reject(err, len, "--pin '%s': not sha256//BASE64 (the base64 of the SHA-256 of the "
				      "server's public key), or up to %d of them separated by ';'", arg, TLS_PINS_MAX);
		c->tls.pin = arg;
		return 1;
	}
	case OPT_CLIENT_CA: c->tls.client_ca = arg; return 1;
	case OPT_INSECURE: c->insecure = true; return 1;
	default: return 0;
	}
}

/* SPEC T-1 T-8: one way to authenticate, each option on the side it belongs to. */
static int check_tls(const struct opts_common *c, char *err, size_t len)
{
	const struct tls_cfg *t = &c->tls;
	bool listener = c->role == OPTS_LISTEN;
	if (!t->cert != !t->key)
		return reject(err, len, "--cert and --key go together");
	if (t->psk_file && (t->cert || t->ca || t->pin || t->client_ca))
		return reject(err, len, "--psk-file conflicts with --cert, --ca, --pin and --client-ca: "
			      "authenticate one way");
	if (c->insecure && tls_cfg_wanted(t))
		return reject(err, len, "--insecure is plaintext: it conflicts with --psk-file and certificates");
	if (c->insecure && !listener)
		return reject(err, len, "--insecure needs --listen");
	if (listener && (t->ca || t->pin))
		return reject(err, len, "--ca and --pin check a server: they need --connect (a listener "
			      "checks clients with --client-ca)");
	if (listener && t->client_ca && !t->cert)
		return reject(err, len, "--client-ca needs --cert and --key");
	if (!listener && t->client_ca)
		return reject(err, len, "--client-ca needs --listen (a connector checks the server with --ca or --pin)");
	if (!listener && t->cert && !t->ca && !t->pin)
		return reject(err, len, "--cert with --connect is a client certificate: it needs --ca or --pin "
			      "to check the server");
	return 0;
}

/* Words what getopt_long refused in the text the user typed (SPEC C-8): a long
 * option with an argument it does not take, an ambiguous abbreviation, an unknown
 * option, a missing argument. Returns -1. */
static int refusal(int opt, const char *arg, const struct option *longopts, char *err, size_t len)
{
	if (!arg || strncmp(arg, "--", 2) != 0)
		return reject(err, len, opt == ':' ? "option '-%c' needs an argument"
						   : "unknown option '-%c'", optopt);
	const char *word = arg + 2;
	size_t n = strcspn(word, "=");
	if (opt == ':')
		return reject(err, len, "option '--%.*s' needs an argument", (int)n, word);
	const struct option *match = NULL;
	int prefixes = 0;
	for (const struct option *lo = longopts; lo->name; lo++) {
		if (strncmp(lo->name, word, n) != 0)
			continue;
		if (lo->name[n] == '\0') {
			match = lo, prefixes = 1;
			break;
		}
		match = lo, prefixes++;
	}
	if (prefixes > 1)
		return reject(err, len, "option '--%.*s' is ambiguous", (int)n, word);
	if (match && word[n] == '=')
		return reject(err, len, "option '--%s' doesn't allow an argument", match->name);
	return reject(err, len, "unknown option '--%.*s'", (int)n, word);
}

/* Runs getopt_long over argv; calls own() for options parse_common does not know.
 * Enforces "an option given twice" (seen[] tells the caller which were given) and
 * reports refused options (SPEC C-5, C-8). */
static int parse_loop(int argc, char **argv, const char *shortopts, const struct option *longopts,
		      int is_send, struct opts_common *c, void *o, unsigned char seen[OPT_N],
		      int (*own)(int, const char *, void *, char *, size_t), char *err, size_t len)
{
	int role_set = 0, opt, li, before;
	memset(seen, 0, OPT_N);
	optind = 0; /* glibc: full reinitialisation, so parsing can be repeated */
	opterr = 0;
	while (li = -1, before = optind, (opt = getopt_long(argc, argv, shortopts, longopts, &li)) != -1) {
		/* a long option always moves optind past itself; a short one inside a
		 * cluster does not, and argv[optind - 1] is then an older argument */
		if (opt == '?' || opt == ':')
			return refusal(opt, optind > before ? argv[optind - 1] : NULL, longopts, err, len);
		char name[40];
		if (li >= 0)
			snprintf(name, sizeof name, "--%s", longopts[li].name);
		else
			snprintf(name, sizeof name, "-%c", opt);
		if (opt >= 0 && opt < OPT_N && opt != 'l' && opt != 'c' && seen[opt]++)
			return reject(err, len, "option '%s' given twice", name);
		int r = parse_common(opt, name, optarg, is_send, c, &role_set, err, len);
		if (r < 0)
			return -1;
		if (r == 0 && own(opt, optarg, o, err, len) < 0)
			return -1;
	}
	if (c->quiet && c->verbose)
		return reject(err, len, "-q and -v conflict");
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	if (!c->url && net_split_addr(c->addr, host, sizeof host, port, sizeof port, &why) < 0)
		return reject(err, len, "address '%s': %s", c->addr, why);
	if (c->role == OPTS_CONNECT && net_port(c->addr) == 0)
		return reject(err, len, "address '%s': port 0 only with --listen", c->addr);
	if (!seen[OPT_CHUNK] && tls_cfg_wanted(&c->tls)) /* SPEC T-6: whole 16 KiB records, fewer calls */
		c->chunk = OPTS_TLS_CHUNK_DEFAULT;
	return check_tls(c, err, len);
}

/* A whole number within [min, max] for option name; 0 or -1 with err written. */
static int number(const char *name, const char *arg, uint64_t min, uint64_t max, const char *range,
		  uint64_t *out, char *err, size_t len)
{
	const char *why;
	if (parse_uint(arg, 0, min, max, out, &why))
		return reject(err, len, "--%s '%s': %s (%s)", name, arg, why, range);
	return 0;
}

/* Handles an option of a serving program (struct opts_server). Returns 1 if
 * handled, 0 if not one of them, -1 on error. */
static int parse_server(int opt, const char *arg, struct opts_server *srv, char *err, size_t len)
{
	uint64_t v = 0;
	const char *why;
	int r = 0;
	switch (opt) {
	case OPT_ONCE: srv->count = 1; break;
	case OPT_MAX_CHUNK:
		if (opts_parse_size(arg, 4096, 1ull << 40, &v, &why))
			return reject(err, len, "--max-chunk '%s': %s (4K to 1T)", arg, why);
		srv->max_chunk = v;
		break;
	case OPT_MAX_CLIENTS:
		r = number("max-clients", arg, 1, 1000000, "1 to 1000000", &v, err, len);
		srv->max_clients = (uint32_t)v;
		srv->max_clients_given = true;
		break;
	case OPT_DRAIN:
		r = number("drain", arg, 0, OPTS_TIMEOUT_MAX, "0 to 86400 seconds", &v, err, len);
		srv->drain_s = (uint32_t)v;
		break;
	case OPT_COUNT:
		r = number("count", arg, 1, INT64_MAX, "1 to 2^63-1", &v, err, len);
		srv->count = v;
		break;
	default: return 0;
	}
	srv->given = true;
	return r < 0 ? -1 : 1;
}

static void server_defaults(struct opts_server *srv)
{
	srv->max_chunk = OPTS_MAX_CHUNK_DEFAULT;
	srv->max_clients = OPTS_MAX_CLIENTS_DEFAULT;
	srv->drain_s = OPTS_DRAIN_DEFAULT;
}

static int send_own(int opt, const char *arg, void *p, char *err, size_t len)
{
	struct opts_send *o = p;
	uint64_t v = 0;
	const char *why;
	int r = parse_server(opt, arg, &o->srv, err, len);
	if (r)
		return r < 0 ? -1 : 0;
	switch (opt) {
	case OPT_ROOT: o->root = arg; return 0;
	case OPT_NO_HTTP: o->no_http = true; return 0;
	case OPT_NOTSENT_LOWAT:
		if (opts_parse_size(arg, 0, INT32_MAX, &v, &why))
			return reject(err, len, "--notsent-lowat '%s': %s (0 to 2G-1)", arg, why);
		o->notsent_lowat = (uint32_t)v;
		return 0;
	case OPT_HEADER_TIMEOUT:
		r = number("header-timeout", arg, 0, OPTS_TIMEOUT_MAX, "0 to 86400 seconds", &v, err, len);
		o->header_timeout_s = (uint32_t)v;
		return r;
	case OPT_WORKERS:
		if (!strcmp(arg, "auto")) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			o->workers = n > 0 && n <= 256 ? (uint32_t)n : 1;
			return 0;
		}
		r = number("workers", arg, 1, 256, "1 to 256, or auto", &v, err, len);
		o->workers = (uint32_t)v;
		return r;
	case OPT_STREAMS:
		return reject(err, len, "--streams is zcp-recv's: a push is one connection (fetch in "
			      "parallel with zcp-recv --streams N from a listening zcp-send)");
	default: return reject(err, len, "internal: unhandled option %d", opt);
	}
}

int opts_parse_send(int argc, char **argv, struct opts_send *o, char *err, size_t len)
{
	unsigned char seen[OPT_N];
	memset(o, 0, sizeof *o);
	common_defaults(&o->c, OPTS_LISTEN, XFER_SENDFILE);
	server_defaults(&o->srv);
	o->header_timeout_s = OPTS_HEADER_TIMEOUT_DEFAULT;
	o->workers = 1;
	o->notsent_lowat = OPTS_NOTSENT_LOWAT_DEFAULT;
	if (parse_loop(argc, argv, ":l:c:p:qvhV", send_longopts, 1, &o->c, o, seen, send_own, err, len))
		return -1;
	if (o->c.action != OPTS_RUN)
		return 0;
	if (optind + 1 < argc)
		return reject(err, len, "unexpected argument '%s'", argv[optind + 1]);
	if (o->root && optind < argc)
		return reject(err, len, "--root conflicts with FILE");
	if (!o->root && optind >= argc)
		return reject(err, len, "missing FILE");
	o->file = o->root ? NULL : argv[optind];
	if (o->root && o->c.raw)
		return reject(err, len, "--root conflicts with --raw");
	if (o->root && o->c.role == OPTS_CONNECT)
		return reject(err, len, "--root needs --listen");
	if (seen[OPT_ONCE] && seen[OPT_COUNT])
		return reject(err, len, "--once and --count conflict");
	if (o->workers > 1 && o->c.role == OPTS_CONNECT)
		return reject(err, len, "--workers needs --listen");
	if (o->no_http && o->c.role == OPTS_CONNECT)
		return reject(err, len, "--no-http needs --listen");
	if (o->workers > 1 && o->srv.count)
		return reject(err, len, "--count and --once need --workers 1");
	if (o->c.role == OPTS_CONNECT)
		o->srv.count = 1;
	return 0;
}

static int recv_own(int opt, const char *arg, void *p, char *err, size_t len)
{
	struct opts_recv *o = p;
	const char *why;
	int r = parse_server(opt, arg, &o->srv, err, len);
	if (r)
		return r < 0 ? -1 : 0;
	switch (opt) {
	case 'o': o->output = arg; return 0;
	case OPT_DISCARD: o->discard = true; return 0;
	case OPT_FORCE: o->force = true; return 0;
	case OPT_FSYNC: o->fsync = true; return 0;
	case OPT_VERIFY: o->verify = true; return 0;
	case OPT_RESUME: o->resume = true; return 0;
	case OPT_RESTART: o->restart = true; return 0;
	case OPT_SHA256: /* SPEC G-12: 64 hex digits */
		for (size_t i = 0; i < sizeof o->sha256; i++) {
			unsigned v;
			char pair[3] = {arg[2 * i], arg[2 * i] ? arg[2 * i + 1] : 0, 0};
			if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]) ||
			    sscanf(pair, "%2x", &v) != 1)
				return reject(err, len, "--sha256 '%s': not 64 hex digits", arg);
			o->sha256[i] = (uint8_t)v;
		}
		if (arg[2 * sizeof o->sha256])
			return reject(err, len, "--sha256 '%s': not 64 hex digits", arg);
		o->has_sha256 = true;
		return 0;
	case OPT_OFFSET:
	case OPT_LENGTH:
	case OPT_MAX_SIZE: {
		uint64_t *v = opt == OPT_OFFSET ? &o->offset : opt == OPT_LENGTH ? &o->length : &o->max_size;
		if (opts_parse_size(arg, 0, INT64_MAX, v, &why))
			return reject(err, len, "--%s '%s': %s", opt == OPT_OFFSET ? "offset"
				      : opt == OPT_LENGTH ? "length" : "max-size", arg, why);
		return 0;
	}
	case OPT_NAME:
		if (!*arg || !wire_name_valid(arg, strlen(arg)))
			return reject(err, len, "--name '%s': not a relative path (no empty, . or .. part, "
				      "no leading /, at most 1024 bytes)", arg);
		o->name = arg;
		return 0;
	case OPT_HEADER_TIMEOUT: { /* a server option (SPEC R-16, P-13) */
		uint64_t v;
		int r = number("header-timeout", arg, 0, OPTS_TIMEOUT_MAX, "0 to 86400 seconds", &v, err, len);
		o->header_timeout_s = (uint32_t)v;
		o->srv.given = true;
		return r;
	}
	case OPT_STREAMS: {
		uint64_t v;
		int r = number("streams", arg, 1, OPTS_STREAMS_MAX, "1 to 64", &v, err, len);
		o->streams = (unsigned)v;
		return r;
	}
	default: return reject(err, len, "internal: unhandled option %d", opt);
	}
}

int opts_parse_recv(int argc, char **argv, struct opts_recv *o, char *err, size_t len)
{
	unsigned char seen[OPT_N];
	memset(o, 0, sizeof *o);
	common_defaults(&o->c, OPTS_CONNECT, XFER_SPLICE);
	server_defaults(&o->srv);
	o->header_timeout_s = OPTS_HEADER_TIMEOUT_DEFAULT;
	o->streams = 1;
	if (parse_loop(argc, argv, ":l:c:p:o:qvhV", recv_longopts, 0, &o->c, o, seen, recv_own, err, len))
		return -1;
	if (o->c.action != OPTS_RUN)
		return 0;
	if (optind < argc)
		return reject(err, len, "unexpected argument '%s'", argv[optind]);
	if (o->output && o->discard)
		return reject(err, len, "-o and --discard conflict");
	if (!o->output && !o->discard)
		return reject(err, len, "need -o PATH or --discard");
	if (o->c.raw && (seen[OPT_OFFSET] || seen[OPT_LENGTH])) /* a given 0 is still given */
		return reject(err, len, "--raw conflicts with --offset and --length");
	if (o->c.raw && o->name)
		return reject(err, len, "--raw conflicts with --name");
	if (o->c.url && (o->c.raw || o->name || o->verify)) /* SPEC G-1 */
		return reject(err, len, "-c URL conflicts with --raw, --name and --verify (ZCP/1's)");
	if (o->has_sha256 && (!o->c.url || !o->output || !strcmp(o->output, "-")))
		return reject(err, len, "--sha256 reads back what it stored: it needs -c URL "
			      "and -o FILE or -o DIR/"); /* SPEC G-12 */
	if (o->length > WIRE_OFF_MAX - o->offset) /* SPEC W-10, before connecting */
		return reject(err, len, "--offset + --length exceeds 2^63-1");
	if (o->output && o->output[0] == '\0')
		return reject(err, len, "-o needs a non-empty PATH");
	if (seen[OPT_ONCE] && seen[OPT_COUNT])
		return reject(err, len, "--once and --count conflict");
	if (o->streams > 1 && o->c.role == OPTS_LISTEN) /* SPEC R-18 */
		return reject(err, len, "--streams needs --connect: a push is one connection");
	if (o->streams > 1 && o->c.raw)
		return reject(err, len, "--raw conflicts with --streams: a raw stream has no ranges");
	if (o->streams > 1 && o->output && !strcmp(o->output, "-"))
		return reject(err, len, "-o - takes one stream: parts are written at their offsets");
	bool stored = o->output && strcmp(o->output, "-"); /* a file or a directory to read back */
	if (o->verify && (!stored || o->c.raw)) /* SPEC R-19 */
		return reject(err, len, "--verify reads back what it stored: it needs -o FILE or -o DIR/ "
			      "(not --discard, -o - or --raw)");
	if (o->restart)
		o->resume = true; /* SPEC R-20: --restart is --resume without the old partial */
	if (o->resume && (!stored || o->c.raw || o->c.role == OPTS_LISTEN || seen[OPT_OFFSET] || seen[OPT_LENGTH]))
		return reject(err, len, "--resume needs --connect and -o FILE, the whole file "
			      "(not --listen, --raw, --offset or --length)");
	if (o->resume && o->streams > 1 && o->verify) /* each part's hash would start at 0 (W-17) */
		return reject(err, len, "--resume with --streams cannot --verify yet: use one of them");
	if (o->srv.given && o->c.role != OPTS_LISTEN) /* a directory is checked by the main */
		return reject(err, len, "--once, --count, --max-clients, --max-chunk, --drain and "
			      "--header-timeout need --listen");
	return 0;
}

/* The TLS options' help, the same for both programs (SPEC T-1). */
#define USAGE_TLS \
	"TLS 1.3 (both roles; a listener beyond loopback needs one, or --insecure):\n" \
	"      --psk-file FILE      pre-shared key: one line IDENTITY:HEXKEY, mode 600\n" \
	"                           (make one: printf 'zcp:%s\\n' \"$(openssl rand -hex 32)\")\n" \
	"      --cert FILE          this side's certificate chain (PEM), with --key\n" \
	"      --key FILE           its private key (PEM)\n" \
	"      --ca FILE            with --connect: the CAs the server's chain and name are checked against\n" \
	"      --pin sha256//BASE64 with --connect: the server's public key (as curl --pinnedpubkey);\n" \
	"                           several, separated by ';': any one of them\n" \
	"      --client-ca FILE     with --listen: require client certificates of these CAs\n" \
	"      --insecure           with --listen: plaintext on any address (protected mode off)\n"

const char *opts_usage_send(void)
{
	return "Usage: zcp-send [OPTIONS] FILE\n"
	       "       zcp-send [OPTIONS] --root DIR\n"
	       "Serve FILE, or the files below DIR, to every receiver that connects (default),\n"
	       "or push FILE to a receiver, over TCP (protocol ZCP/1).\n\n"
	       "  -l, --listen HOST:PORT   serve receivers, many at once, from one event loop\n"
	       "                           (default role, default address " OPTS_DEFAULT_ADDR ")\n"
	       "  -c, --connect HOST:PORT  push FILE to a listening zcp-recv (one transfer)\n"
	       "      --root DIR           serve any regular file below DIR that a request names\n"
	       "  -p, --path PATH          copy, sendfile or splice (default sendfile)\n"
	       "      --chunk SIZE         copy-path buffer size, 1 to 64M (default 8K, over\n"
	       "                           TLS 64K)\n"
	       "      --once               serve one transfer, then exit with its status\n"
	       "      --count N            serve N transfers, then exit (0, or the first failure's)\n"
	       "      --max-clients N      connections at once, all workers together; more hear\n"
	       "                           BUSY (default 1024)\n"
	       "      --max-chunk SIZE     bytes a connection moves per turn (default 2M)\n"
	       "      --header-timeout SECONDS  the whole request within this (default 10, 0 = none)\n"
	       "      --drain SECONDS      on SIGINT/SIGTERM, let transfers finish this long\n"
	       "                           (default 10); a second signal ends at once\n"
	       "      --workers N|auto     N event loops in N processes sharing one listening\n"
	       "                           socket (default 1, auto = online CPUs); one that\n"
	       "                           dies is replaced\n"
	       "      --notsent-lowat SIZE unsent bytes queued per connection (default 1M, 0 = kernel's)\n"
	       "      --no-http            answer ZCP/1 only (by default a listener also answers\n"
	       "                           HTTP/1.1 GET and HEAD: curl, wget, aria2, web seeds)\n"
	       "      --raw                no framing: write the file's bytes and close\n"
	       "      --timeout SECONDS    give up on a peer that makes no progress this long\n"
	       "                           (default 30, 0 = never)\n"
	       USAGE_TLS
	       "  -q, --quiet              print errors only (no line per transfer, no progress)\n"
	       "      --progress           show a push's progress even when stderr is not a terminal\n"
	       "  -v, --verbose            add the system calls made to each transfer's line\n"
	       "  -h, --help               show this help\n"
	       "  -V, --version            show the version\n\n"
	       "SIZE takes a K, M, G or T suffix (powers of 1024).\n"
	       "Exit: 0 ok, 1 system, 2 usage, 3 file, 4 network, 5 protocol, 6 peer failure,\n"
	       "      8 authentication (TLS).\n";
}

const char *opts_usage_recv(void)
{
	return "Usage: zcp-recv [OPTIONS] (-o PATH | --discard)\n"
	       "Fetch a file from zcp-send (default) or accept one it pushes (protocol ZCP/1).\n\n"
	       "  -c, --connect HOST:PORT  fetch from a serving zcp-send\n"
	       "                           (default role, default address " OPTS_DEFAULT_ADDR ")\n"
	       "  -c, --connect URL        fetch an http:// or https:// URL from any HTTP server\n"
	       "      --sha256 HEX         with a URL: the stored file's SHA-256 must be HEX\n"
	       "  -l, --listen HOST:PORT   wait for one zcp-send --connect; with -o DIR/,\n"
	       "                           take every push into DIR, many at once\n"
	       "  -p, --path PATH          copy or splice (default splice)\n"
	       "  -o, --output PATH        a file, an existing directory (name from the\n"
	       "                           sender), a FIFO or device, or - for standard output\n"
	       "      --discard            read the data and throw it away\n"
	       "      --name NAME          ask for NAME; the sender must serve that name\n"
	       "      --offset SIZE        first byte to fetch (default 0)\n"
	       "      --length SIZE        bytes to fetch (default 0 = to the end)\n"
	       "      --max-size SIZE      refuse a file larger than SIZE (default 0 = no limit)\n"
	       "      --force              replace an existing output file (in a directory:\n"
	       "                           only the file named with --name)\n"
	       "      --fsync              fsync the file and its directory before success\n"
	       "      --chunk SIZE         copy-path buffer size, 1 to 64M (default 8K, over\n"
	       "                           TLS 64K)\n"
	       "      --raw                no framing: read to end of stream\n"
	       "      --timeout SECONDS    limit on each wait for the peer, and for an output\n"
	       "                           that is a pipe, FIFO or socket (default 30, 0 = none)\n"
	       "      --streams N          fetch over N connections at once, each part at its\n"
	       "                           own offset of the output (1 to 64, default 1)\n"
	       "      --verify             check the sender's XXH3-128 of what it served against\n"
	       "                           what was stored, before the commit\n"
	       "      --resume             keep an interrupted transfer's partial file and, next\n"
	       "                           time, fetch only the rest (if the source is unchanged)\n"
	       "      --restart            --resume, but drop any partial file and start over\n"
	       "With --listen -o DIR/ only:\n"
	       "      --once               take one push, then exit with its status\n"
	       "      --count N            take N pushes, then exit (0, or the first failure's)\n"
	       "      --max-clients N      pushes at once; more are closed (default 1024)\n"
	       "      --max-chunk SIZE     bytes a push moves per turn (default 2M)\n"
	       "      --drain SECONDS      on SIGINT/SIGTERM, let pushes finish this long\n"
	       "                           (default 10); a second signal ends at once\n"
	       "      --header-timeout SECONDS  a push's response header whole within this,\n"
	       "                           and its trailer (default 10, 0 = none)\n"
	       USAGE_TLS
	       "  -q, --quiet              print errors only (no summary, no progress)\n"
	       "      --progress           show progress even when stderr is not a terminal\n"
	       "  -v, --verbose            print a report with syscall counts after the transfer\n"
	       "  -h, --help               show this help\n"
	       "  -V, --version            show the version\n\n"
	       "SIZE takes a K, M, G or T suffix (powers of 1024).\n"
	       "Exit: 0 ok, 1 system, 2 usage, 3 file, 4 network, 5 protocol, 6 peer failure,\n"
	       "      7 busy (another zcp-recv is resuming the output), 8 authentication (TLS).\n";
}
