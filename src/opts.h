/* opts - command lines of zcp-send and zcp-recv (SPEC.md section C).
 * Parsing never prints and never exits: it fills a struct or an error text. */
#ifndef ZCP_OPTS_H
#define ZCP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"
#include "xfer.h"

#define OPTS_CHUNK_DEFAULT 8192u
#define OPTS_TLS_CHUNK_DEFAULT (64u << 10) /* over TLS (SPEC T-6) */
#define OPTS_CHUNK_MAX (64u << 20)
#define OPTS_TIMEOUT_DEFAULT 30u
#define OPTS_TIMEOUT_MAX 86400u
#define OPTS_DEFAULT_ADDR "127.0.0.1:9000"

enum opts_role { OPTS_LISTEN, OPTS_CONNECT };
enum opts_action { OPTS_RUN, OPTS_HELP, OPTS_VERSION };

struct opts_common {
	enum opts_action action;
	enum opts_role role;
	const char *addr; /* HOST:PORT, points into argv or OPTS_DEFAULT_ADDR */
	const char *url;  /* zcp-recv -c http:// or https:// URL (SPEC G-1), or NULL; addr
			   * is then the caller's to set from it */
	enum xfer_path path;
	uint32_t chunk;
	uint32_t timeout_s; /* 0 = wait forever */
	bool raw, quiet, verbose;
	bool progress;      /* --progress: drawn even when stderr is not a terminal (SPEC C-10) */
	struct tls_cfg tls; /* --psk-file, --cert, --key, --ca, --pin, --client-ca (SPEC T-1) */
	bool insecure;      /* --insecure: a plaintext listener on any address (SPEC T-8) */
};

#define OPTS_MAX_CHUNK_DEFAULT (2u << 20)
#define OPTS_MAX_CLIENTS_DEFAULT 1024u
#define OPTS_HEADER_TIMEOUT_DEFAULT 10u
#define OPTS_DRAIN_DEFAULT 10u
#define OPTS_NOTSENT_LOWAT_DEFAULT (1u << 20)
#define OPTS_STREAMS_MAX 64u

/* The options of a program serving many connections (SPEC S-7, S-13..S-15, R-16). */
struct opts_server {
	uint64_t count;            /* transfers before exiting; 0 = no limit (--once = 1) */
	uint64_t max_chunk;        /* SPEC S-13 */
	uint32_t max_clients;      /* SPEC S-14 */
	uint32_t drain_s;          /* SPEC S-15 */
	bool given;                /* any of them was given on the command line */
	bool max_clients_given;    /* --max-clients was (SPEC C-11: too many is an error) */
};

struct opts_send {
	struct opts_common c;
	struct opts_server srv;
	const char *file;          /* NULL with root */
	const char *root;          /* --root DIR (SPEC S-12) */
	uint32_t header_timeout_s; /* SPEC S-13; 0 = none */
	uint32_t workers;          /* SPEC S-16 */
	uint32_t notsent_lowat;    /* SPEC S-13; 0 = the kernel's */
	bool no_http;              /* --no-http: ZCP/1 only, no HTTP/1.1 (SPEC H-1) */
};

struct opts_recv {
	struct opts_common c;
	struct opts_server srv;    /* with --listen into a directory (SPEC R-16) */
	uint32_t header_timeout_s; /* there: a push's header whole within this (P-13); 0 = none */
	const char *output; /* NULL with discard; "-" for stdout */
	bool discard, force, fsync;
	uint64_t offset, length;
	uint64_t max_size;  /* refuse more payload than this (SPEC R-12); 0 = no limit */
	const char *name;   /* --name: asked for and required in the response (SPEC R-13), or NULL */
	unsigned streams;   /* --streams: connections at once (SPEC R-18), 1 ... OPTS_STREAMS_MAX */
	bool verify;        /* --verify: the trailer hash checked (SPEC R-19) */
	bool resume;        /* --resume (or --restart): the partial file kept (SPEC R-20) */
	bool restart;       /* --restart: an existing partial dropped first */
	bool has_sha256;    /* --sha256 HEX: the stored file's SHA-256 must be sha256 (SPEC G-12) */
	uint8_t sha256[32];
};

/* opts_parse_size() - parse SIZE (digits, optional K/M/G/T suffix, SPEC C-3)
 * bounded to [min, max]. Returns 0 and sets *out, or -1 with *why set. */
int opts_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* opts_parse_send() / opts_parse_recv() - parse argv into *o.
 * Returns 0 on success (check o->c.action), or -1 with a one-line reason
 * written to err[0..errlen). Uses getopt_long: resets optind itself. */
int opts_parse_send(int argc, char **argv, struct opts_send *o, char *err, size_t errlen);
int opts_parse_recv(int argc, char **argv, struct opts_recv *o, char *err, size_t errlen);

/* opts_usage_send() / opts_usage_recv() - the --help text. */
const char *opts_usage_send(void);
const char *opts_usage_recv(void);

/* opts_ms() - an option's s seconds (at most OPTS_TIMEOUT_MAX) as the milliseconds
 * every wait takes; 0 seconds gives none_ms (-1 where 0 means no limit). Pure. */
int opts_ms(uint32_t s, int none_ms);

/* opts_timeout_ms() - the --timeout as xfer_ctx wants it: milliseconds, -1 = forever. */
int opts_timeout_ms(const struct opts_common *c);

#endif
