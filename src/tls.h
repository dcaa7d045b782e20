/* tls - TLS 1.3 for ZCP/1 (SPEC T-1..T-8) through OpenSSL 3: the pre-shared key
 * file, the contexts of a listener and a connector (an external PSK, or
 * certificates: a CA with the host name checked, or a pinned public key), one
 * connection's session with its non-blocking handshake, and the byte stream the
 * transfer layer moves frames and payload through (struct xfer_io). A layer above
 * net and xfer, below frameio and step. Never prints. */
#ifndef ZCP_TLS_H
#define ZCP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xfer.h"
#include "zerr.h"

#define TLS_PSK_ID_MAX 128  /* bytes of an identity */
#define TLS_PSK_KEY_MIN 32  /* bytes of a key: 64 hex digits (SPEC T-2) */
#define TLS_PSK_KEY_MAX 64
#define TLS_PSK_FILE_MAX 1024 /* a key file is one short line */
#define TLS_PIN_SIZE 32     /* a SHA-256 */
#define TLS_PINS_MAX 16     /* pins of one --pin (SPEC T-10) */
#define TLS_NEED_MORE (-2)

/* One pre-shared key: the identity both sides name it by, and the key. */
struct tls_psk {
	char id[TLS_PSK_ID_MAX + 1]; /* NUL-terminated */
	size_t id_len;
	uint8_t key[TLS_PSK_KEY_MAX];
	size_t key_len;
};

/* tls_psk_parse() - parse stunnel's PSK line "IDENTITY:HEXKEY" from buf[0..len)
 * into *psk (SPEC T-2): IDENTITY 1 to 128 printable ASCII bytes without ':',
 * HEXKEY 64 to 128 hex digits (an even count), the line ended by "\n" or "\r\n",
 * or by the end of the input when at_end. Returns the bytes consumed (> 0);
 * TLS_NEED_MORE when buf is a valid start of a line, or of a UTF-8 byte-order
 * mark (refused, once whole, as one), and !at_end; -1 with *why set. Pure: never
 * reads past len, never allocates. */
ssize_t tls_psk_parse(const char *buf, size_t len, bool at_end, struct tls_psk *psk, const char **why);

/* tls_psk_load() - read the key file path (SPEC T-2): refused when it is not a
 * regular file (a FIFO without waiting for a writer), when it is owned by
 * neither the effective user nor root, when group or others have
 * any permission on it (checked with fstat on the opened file) or when it is not
 * exactly one valid line. Returns 0, or -1 with *e set (exit 3). */
int tls_psk_load(const char *path, struct tls_psk *psk, struct zerr *e);

/* tls_pin_parse() - one "sha256//BASE64" (curl's --pinnedpubkey form: the base64
 * of the SHA-256 of the DER SubjectPublicKeyInfo), or up to TLS_PINS_MAX of them
 * separated by ';' (SPEC T-10), into pins[0..n). Returns n (> 0), or -1 for
 * anything else (an empty pin, a space, one too many). Pure. */
int tls_pin_parse(const char *s, uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE]);

/* What one side authenticates with (SPEC T-1): NULL where not given. */
struct tls_cfg {
	const char *psk_file;   /* an external PSK (both roles) */
	const char *cert, *key; /* the listener's certificate, or a connector's client one */
	const char *ca;         /* a connector: the CAs the server's chain must lead to */
	const char *pin;        /* a connector: the server's public key, sha256//BASE64[;...] */
	const char *client_ca;  /* a listener: client certificates required, from these CAs */
	bool system_ca;         /* a connector without --ca or --pin: the system's CA store
				 * (SPEC G-9, https:// URLs) */
};

/* tls_cfg_wanted() - whether cfg asks for TLS at all. */
bool tls_cfg_wanted(const struct tls_cfg *cfg);

struct tls_ctx;

/* tls_ctx_new() - the context every connection of one side starts from: TLS 1.3
 * only, kTLS asked for (SSL_OP_ENABLE_KTLS). host is the name or address a
 * connector dialled, checked against the server's certificate with --ca (NULL for
 * a listener). Returns it, or NULL with *e set (exit 3 for a key, certificate or CA
 * file that cannot be read or used, 2 for a bad pin, 1 for memory). */
struct tls_ctx *tls_ctx_new(bool listener, const struct tls_cfg *cfg, const char *host, struct zerr *e);

/* tls_ctx_listener() - whether ctx is a listener's: its side of the handshake
 * waits for the peer's first words. */
bool tls_ctx_listener(const struct tls_ctx *ctx);

/* tls_ctx_free() - release it (NULL is fine). */
void tls_ctx_free(struct tls_ctx *ctx);

/* One connection's session. Zeroed, it is no TLS at all. Its io behaves as
 * recv()/send() do, but that a write whose records could not all leave says EAGAIN
 * (wait to write) with its bytes taken: as with OpenSSL, the retry passes the same
 * bytes, and returns their count once the records are out (SPEC T-6). */
struct tls_conn {
	struct ssl_st *ssl;  /* NULL: plaintext */
	struct xfer_io io;   /* reads and writes through ssl */
	const char *mode;    /* after the handshake: "ktls" or "user" (SPEC T-6); else NULL */
	bool ktls_send;      /* the kernel encrypts what is written to the socket */
	bool ktls_recv;      /* the kernel decrypts what the socket receives: payload is
			      * spliced from it (struct xfer_end.records) */
	bool resumed;        /* the handshake resumed an earlier session of the context (T-9) */
	bool alert;          /* the stream failed on the peer's alert: it refused the session
			      * (in TLS 1.3 a client hears of a refused certificate only then) */
	bool unknown_psk;    /* a listener: the peer offered a PSK identity not this key's */
	bool cut;            /* a read failed on an end without close_notify (SPEC T-5) */
	bool deferred;       /* a read failed after it had bytes: the next read says so, */
	int deferred_ret;    /* with this result (0: the peer's close_notify; -1: errno */
	int deferred_err;    /* deferred_err) */
	size_t accepted;     /* a write's bytes taken, told by its retry once their records left */
	char why[256];       /* the last failure, worded for a message */
};

/* tls_conn_start() - a session of ctx over sock (non-blocking or with bounded
 * waits) as the listener's or the connector's side, as ctx is. Returns 0, or -1
 * with t->why set. */
int tls_conn_start(struct tls_conn *t, struct tls_ctx *ctx, int sock);

/* tls_conn_start_named() - tls_conn_start() for a connector whose peer is name (sent as
 * SNI, checked against its certificate) rather than the context's host; name NULL:
 * the context's (SPEC G-9: a redirect's host). */
int tls_conn_start_named(struct tls_conn *t, struct tls_ctx *ctx, int sock, const char *name);

/* Results of tls_handshake(). */
enum tls_hs { TLS_HS_DONE, TLS_HS_READ, TLS_HS_WRITE, TLS_HS_FAILED, TLS_HS_SYS };

/* tls_handshake() - go on with the handshake without waiting. Returns TLS_HS_DONE
 * (t->mode then set; in user space, t->io then reads the records already read
 * ahead too and writes through a buffer: SPEC T-6), TLS_HS_READ / TLS_HS_WRITE for what the socket must become
 * first, TLS_HS_FAILED when the peer is not authenticated or does not speak TLS
 * 1.3 (t->why says why in one line), TLS_HS_SYS when the socket failed (errno). */
enum tls_hs tls_handshake(struct tls_conn *t);

/* tls_peek() - up to len bytes of what the peer sent, decrypted, left to be read
 * again (SPEC H-1: what a connection is, seen after the handshake). Returns how
 * many (> 0), 0 at the peer's close_notify, or -1 with errno set (EAGAIN: none
 * yet, *wait_out saying whether the socket must become writable first). */
ssize_t tls_peek(struct tls_conn *t, void *buf, size_t len, bool *wait_out);

/* tls_conn_move() - the session of from, now to's (from left no TLS): a connection
 * handed from one state machine to another keeps its session. */
void tls_conn_move(struct tls_conn *to, struct tls_conn *from);

/* tls_close_notify() - say the end of what this side writes (close_notify), so
 * that the peer can tell the end from a cut, behind the records still buffered.
 * Returns 1 when it is out, 0 when the socket must become writable first, -1 with
 * errno set. */
int tls_close_notify(struct tls_conn *t);

/* tls_conn_end() - release the session; never closes the socket. */
void tls_conn_end(struct tls_conn *t);

/* tls_looks_like_record() - whether buf[0..len) (len >= 3) starts as a TLS record
 * (handshake or alert, version 3.x) does: a TLS peer at a plaintext one. Pure. */
bool tls_looks_like_record(const uint8_t *buf, size_t len);

#endif
