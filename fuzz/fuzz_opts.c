/* fuzz_opts.c - the command-line parsers of both programs (SPEC C-1..C-6).
 * Input: byte 0 picks zcp-send (even) or zcp-recv (odd); the rest is argv, NUL-separated.
 * A successful parse must give a configuration within the documented constraints,
 * and parsing the same argv again must give the same answer (getopt state reset). */
#include <string.h>

#include "fuzz.h"
#include "net.h"
#include "opts.h"
#include "wire.h"

#define MAX_ARGS 32

static void check_common(const struct opts_common *c)
{
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	FUZZ_ASSERT(c->role == OPTS_LISTEN || c->role == OPTS_CONNECT);
	FUZZ_ASSERT(c->path <= XFER_SPLICE);
	FUZZ_ASSERT(c->chunk >= 1 && c->chunk <= OPTS_CHUNK_MAX);
	FUZZ_ASSERT(c->timeout_s <= OPTS_TIMEOUT_MAX);
	FUZZ_ASSERT(!(c->quiet && c->verbose));
	FUZZ_ASSERT(net_split_addr(c->addr, host, sizeof host, port, sizeof port, &why) == 0);
	FUZZ_ASSERT(c->role == OPTS_LISTEN || net_port(c->addr) > 0);
	/* SPEC T-1 T-8: one way to authenticate, on its side */
	const struct tls_cfg *t = &c->tls;
	uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE];
	FUZZ_ASSERT(!t->cert == !t->key);
	FUZZ_ASSERT(!(t->psk_file && (t->cert || t->ca || t->pin || t->client_ca)));
	FUZZ_ASSERT(!(c->insecure && (tls_cfg_wanted(t) || c->role != OPTS_LISTEN)));
	FUZZ_ASSERT(c->role == OPTS_CONNECT ? !t->client_ca && (!t->cert || t->ca || t->pin)
					    : !t->ca && !t->pin && (!t->client_ca || t->cert));
	FUZZ_ASSERT(!t->pin || tls_pin_parse(t->pin, pins) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	int is_send = !(data[0] & 1);
	char *text = malloc(size + 1), *argv[MAX_ARGS + 2];
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	int argc = 0;
	argv[argc++] = is_send ? "zcp-send" : "zcp-recv";
	for (char *p = text; p < text + size - 1 && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	char *copy[MAX_ARGS + 2], err[256], err2[256];
	memcpy(copy, argv, sizeof argv); /* getopt permutes argv */
	if (is_send) {
		struct opts_send o, again;
		int r = opts_parse_send(argc, argv, &o, err, sizeof err);
		FUZZ_ASSERT(opts_parse_send(argc, copy, &again, err2, sizeof err2) == r);
		if (r == 0 && o.c.action == OPTS_RUN) {
			check_common(&o.c);

			FUZZ_ASSERT(o.c.role == OPTS_LISTEN || o.srv.count == 1);
			FUZZ_ASSERT((o.file != NULL) != (o.root != NULL));
			FUZZ_ASSERT(o.workers >= 1 && (o.workers == 1 || !o.srv.count));
			FUZZ_ASSERT(o.srv.max_clients >= 1 && o.srv.max_chunk >= 4096);
		}
		FUZZ_ASSERT(r == 0 || (err[0] && strlen(err) < sizeof err));
	} else {
		struct opts_recv o, again;
		int r = opts_parse_recv(argc, argv, &o, err, sizeof err);
		FUZZ_ASSERT(opts_parse_recv(argc, copy, &again, err2, sizeof err2) == r);
		if (r == 0 && o.c.action == OPTS_RUN) {
			check_common(&o.c);
			FUZZ_ASSERT(o.c.path != XFER_SENDFILE);
			FUZZ_ASSERT((o.output != NULL) != o.discard);
			FUZZ_ASSERT(!o.output || o.output[0]);
			FUZZ_ASSERT(o.offset <= INT64_MAX && o.length <= INT64_MAX);
			FUZZ_ASSERT(!o.c.raw || (o.offset == 0 && o.length == 0 && !o.name));
			FUZZ_ASSERT(o.length <= WIRE_OFF_MAX - o.offset); /* SPEC W-10 at parse time */
			FUZZ_ASSERT(!o.name || (o.name[0] && wire_name_valid(o.name, strlen(o.name))));
			FUZZ_ASSERT(o.max_size <= INT64_MAX);
		}
		FUZZ_ASSERT(r == 0 || (err[0] && strlen(err) < sizeof err));
	}
	free(text);
	return 0;
}
