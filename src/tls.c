/* tls - the key file, the contexts, a session's handshake and its byte stream. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* SPEC T-6: in user space a read takes in up to this many bytes of records at once
 * (read-ahead: one recv() for four records, not two for each, its header then its
 * body), and a write's records leave together in sends of up to this many (not one
 * send() each): four records of 16 KiB and their most overhead, a 64 KiB chunk. */
#define TLS_USER_BUF (4 * (16384 + 256 + 5))

struct tls_ctx {
	SSL_CTX *ssl;
	bool listener;
	bool have_psk, check_chain;
	struct tls_psk psk;
	int npins; /* SPEC T-10: the server's key must be one of pins[0..npins) */
	uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE];
	char host[256]; /* a connector's peer name, checked against its certificate */
	pthread_mutex_t lock; /* resume: the parts of --streams are threads */
	SSL_SESSION *resume;  /* a connector's last ticketed session, or NULL (SPEC T-9) */
};

/* The value of hex digit c, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static ssize_t refuse(const char **why, const char *text)
{
	*why = text;
	return -1;
}

ssize_t tls_psk_parse(const char *buf, size_t len, bool at_end, struct tls_psk *psk, const char **why)
{
	static const char bom[] = "\xef\xbb\xbf"; /* an editor's UTF-8 byte-order mark */
	size_t i = 0, digits, head = len < 3 ? len : 3;
	if (head && memcmp(buf, bom, head) == 0 && (head == 3 || !at_end)) /* stunnel takes none either */
		return head < 3 ? TLS_NEED_MORE
				: refuse(why, "the file starts with a UTF-8 byte-order mark: save it without one");
	for (; i < len && buf[i] != ':'; i++) {
		unsigned char b = (unsigned char)buf[i];
		if (b == '\n' || b == '\r')
			return refuse(why, i == 0 ? "an empty line" : "no ':' between the identity and the key");
		if (b < 0x20 || b == 0x7f)
			return refuse(why, "the identity holds a control byte");
		if (b > 0x7f)
			return refuse(why, "the identity holds a byte that is not ASCII");
		if (i == TLS_PSK_ID_MAX)
			return refuse(why, "the identity is longer than 128 bytes");
	}
	if (i == len)
		return at_end ? refuse(why, len ? "no ':' between the identity and the key" : "empty")
			      : TLS_NEED_MORE;
	if (i == 0)
		return refuse(why, "the identity is empty");
	memcpy(psk->id, buf, i);
	psk->id[i] = '\0';
	psk->id_len = i;
	const char *hex = buf + i + 1;
	size_t left = len - i - 1;
	for (digits = 0; digits < left && hexval(hex[digits]) >= 0; digits++)
		if (digits == 2 * TLS_PSK_KEY_MAX)
			return refuse(why, "the key is longer than 64 bytes (128 hex digits)");
	size_t end = digits; /* the line's end: "\n", "\r\n", or the input's */
	if (end < left && hex[end] == '\r')
		end++;
	if (end < left && hex[end] != '\n')
		return refuse(why, "the key is not hex digits up to the end of the line");
	if (end == left && !at_end)
		return TLS_NEED_MORE;
	if (end == left && end > digits)
		return refuse(why, "the line ends in '\\r' without '\\n'");
	if (digits % 2)
		return refuse(why, "the key has an odd number of hex digits");
	if (digits < 2 * TLS_PSK_KEY_MIN)
		return refuse(why, "the key is shorter than 32 bytes (64 hex digits): make one with "
			      "openssl rand -hex 32");
	for (size_t k = 0; k < digits / 2; k++)
		psk->key[k] = (uint8_t)(hexval(hex[2 * k]) << 4 | hexval(hex[2 * k + 1]));
	psk->key_len = digits / 2;
	return (ssize_t)(i + 1 + end + (end < left)); /* and the '\n' */
}

int tls_psk_load(const char *path, struct tls_psk *psk, struct zerr *e)
{
	char buf[TLS_PSK_FILE_MAX + 1];
	struct stat st;
	/* O_NONBLOCK: a FIFO must not wait for a writer before it is refused below */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return zerr_sys(e, ZCP_EXIT_FILE, "open", path, errno);
	int r = -1;
	if (fstat(fd, &st) < 0) {
		zerr_sys(e, ZCP_EXIT_FILE, "fstat", path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		zerr_set(e, ZCP_EXIT_FILE, "open", path, "a key file must be a regular file");
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) { /* SPEC T-2: its owner holds the key */
		zerr_set(e, ZCP_EXIT_FILE, "open", path, "owned by uid %u, neither this user nor root: its owner "
			 "may change the key (chown it)", (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) { /* SPEC T-2: as ssh and rsync refuse them */
		zerr_set(e, ZCP_EXIT_FILE, "open", path, "permissions %04o are too open: group or others may use "
			 "the key (chmod 600 it)", (unsigned)(st.st_mode & 07777));
		goto out;
	}
	size_t have = 0;
	for (ssize_t n; have < sizeof buf; have += (size_t)n) {
		n = read(fd, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0) {
			zerr_sys(e, ZCP_EXIT_FILE, "read", path, errno);
			goto out;
		}
		if (n == 0)
			break;
	}
	const char *why = "the file is longer than one line";
	ssize_t used = have > TLS_PSK_FILE_MAX ? -1 : tls_psk_parse(buf, have, true, psk, &why);
	if (used >= 0 && (size_t)used != have)
		why = "more than one line: a key file is one IDENTITY:HEXKEY line", used = -1;
	if (used < 0)
		zerr_set(e, ZCP_EXIT_FILE, "read", path, "not a PSK file (IDENTITY:HEXKEY): %s", why);
	else
		r = 0;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return r;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* One "sha256//BASE64", s[0..len), into pin. Returns 0, or -1. */
static int pin_parse_one(const char *s, size_t len, uint8_t pin[TLS_PIN_SIZE])
{
	static const char prefix[] = "sha256//";
	const size_t plen = sizeof prefix - 1;
	/* 32 bytes: 43 digits of 6 bits (the last holds 2 bits and 4 zeros), then '=' */
	if (len != plen + 44 || memcmp(s, prefix, plen) != 0 || s[plen + 43] != '=')
		return -1;
	s += plen;
	uint32_t acc = 0;
	unsigned bits = 0, n = 0;
	for (int i = 0; i < 43; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			pin[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == TLS_PIN_SIZE && (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

int tls_pin_parse(const char *s, uint8_t pins[TLS_PINS_MAX][TLS_PIN_SIZE])
{
	for (int n = 0;; n++) {
		const char *end = strchr(s, ';');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (n == TLS_PINS_MAX || pin_parse_one(s, len, pins[n]) < 0)
			return -1;
		if (!end)
			return n + 1;
		s = end + 1;
	}
}

bool tls_cfg_wanted(const struct tls_cfg *cfg)
{
	return cfg->psk_file || cfg->cert || cfg->ca || cfg->pin || cfg->client_ca || cfg->system_ca;
}

bool tls_looks_like_record(const uint8_t *buf, size_t len)
{
	return len >= 3 && (buf[0] == 0x15 || buf[0] == 0x16) && buf[1] == 3 && buf[2] <= 4;
}

/* The first OpenSSL error queued, worded, or fallback. Returns whether it was an
 * alert the peer sent. */
static bool openssl_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long code = ERR_get_error();
	const char *r = code ? ERR_reason_error_string(code) : NULL;
	snprintf(buf, len, "%s", r ? r : fallback);
	ERR_clear_error();
	return code && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET;
}

/* SPEC T-2: the PSK as a TLS 1.3 session: TLS_AES_128_GCM_SHA256, as openssl
 * s_client -psk offers it. NULL when OpenSSL has no room. */
static SSL_SESSION *psk_session(SSL *ssl, const struct tls_psk *psk)
{
	static const unsigned char aes128gcmsha256[] = {0x13, 0x01};
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcmsha256);
	SSL_SESSION *s = cipher ? SSL_SESSION_new() : NULL;
	if (s && SSL_SESSION_set1_master_key(s, psk->key, psk->key_len) && SSL_SESSION_set_cipher(s, cipher) &&
	    SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION))
		return s;
	SSL_SESSION_free(s);
	return NULL;
}

static struct tls_ctx *ctx_of(SSL *ssl) { return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)); }

/* A connector offers its PSK (once per handshake; after a retry only for SHA-256:
 * md is then one OpenSSL fetched, never the pointer EVP_sha256() returns). */
static int psk_use(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
	struct tls_ctx *c = ctx_of(ssl);
	*sess = NULL;
	if (md && !EVP_MD_is_a(md, "SHA256"))
		return 1;
	if (!(*sess = psk_session(ssl, &c->psk)))
		return 0;
	*id = (const unsigned char *)c->psk.id;
	*idlen = c->psk.id_len;
	return 1;
}

/* A listener knows one identity; any other finds no key and fails the handshake
 * (noted: OpenSSL would word it as the certificate handshake it falls back to). */
static int psk_find(SSL *ssl, const unsigned char *id, size_t idlen, SSL_SESSION **sess)
{
	struct tls_ctx *c = ctx_of(ssl);
	*sess = NULL;
	if (idlen != c->psk.id_len || memcmp(id, c->psk.id, idlen) != 0) {
		((struct tls_conn *)SSL_get_app_data(ssl))->unknown_psk = true;
		return 1;
	}
	return (*sess = psk_session(ssl, &c->psk)) != NULL;
}

/* SPEC T-3 T-10: a connector checks the chain and the name (--ca) and the key:
 * one of --pin's. */
static int verify_server(X509_STORE_CTX *x, void *arg)
{
	struct tls_ctx *c = arg;
	if (c->check_chain && X509_verify_cert(x) <= 0)
		return 0;
	if (!c->npins)
		return 1;
	uint8_t *der = NULL, digest[SHA256_DIGEST_LENGTH];
	X509 *leaf = X509_STORE_CTX_get0_cert(x);
	int n = leaf ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der) : -1;
	if (n <= 0) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	SHA256(der, (size_t)n, digest);
	OPENSSL_free(der);
	for (int i = 0; i < c->npins; i++)
		if (CRYPTO_memcmp(digest, c->pins[i], sizeof digest) == 0)
			return 1;
	X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* SPEC T-2: a PSK connector's answer to any certificate (there is none when the key is used). */
static int refuse_certificate(X509_STORE_CTX *x, void *arg)
{
	(void)arg;
	X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* SPEC T-9: a connector keeps the newest session a server gave a ticket for. */
static int keep_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_ctx *c = ctx_of(ssl);
	pthread_mutex_lock(&c->lock);
	SSL_SESSION_free(c->resume);
	c->resume = sess;
	pthread_mutex_unlock(&c->lock);
	return 1; /* the reference is ours */
}

/* OpenSSL's call could not use file: why, named by the call (SPEC E-2). Returns -1. */
static int unusable(struct zerr *e, const char *call, const char *file)
{
	char why[200];
	openssl_reason(why, sizeof why, "unusable");
	return zerr_set(e, ZCP_EXIT_FILE, call, file, "%s", access(file, R_OK) == 0 ? why : strerror(errno));
}

/* Loads the certificate files of cfg into c. Returns 0, or -1 with *e set. */
static int load_certs(struct tls_ctx *c, const struct tls_cfg *cfg, struct zerr *e)
{
	if (cfg->cert && SSL_CTX_use_certificate_chain_file(c->ssl, cfg->cert) != 1)
		return unusable(e, "SSL_CTX_use_certificate_chain_file", cfg->cert);
	if (cfg->key && SSL_CTX_use_PrivateKey_file(c->ssl, cfg->key, SSL_FILETYPE_PEM) != 1)
		return unusable(e, "SSL_CTX_use_PrivateKey_file", cfg->key);
	if (cfg->key && SSL_CTX_check_private_key(c->ssl) != 1)
		return unusable(e, "SSL_CTX_check_private_key", cfg->key);
	const char *ca = c->listener ? cfg->client_ca : cfg->ca;
	if (ca && SSL_CTX_load_verify_locations(c->ssl, ca, NULL) != 1)
		return unusable(e, "SSL_CTX_load_verify_locations", ca);
	if (c->listener && cfg->client_ca) { /* SPEC T-3: no certificate of those CAs, no entry */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca);
		if (!names) { /* no CA to name, none to lead to: nobody could get in */
			ERR_clear_error();
			return zerr_set(e, ZCP_EXIT_FILE, "SSL_load_client_CA_file", cfg->client_ca,
					"no CA certificate in the file");
		}
		SSL_CTX_set_client_CA_list(c->ssl, names);
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	bool system = !c->listener && cfg->system_ca && !cfg->ca && !cfg->pin && !cfg->psk_file;
	if (system && SSL_CTX_set_default_verify_paths(c->ssl) != 1) /* SPEC G-9 */
		return zerr_set(e, ZCP_EXIT_FILE, "SSL_CTX_set_default_verify_paths", "", "the system's CA store "
				"cannot be used");
	if (!c->listener && (cfg->ca || cfg->pin || system)) {
		c->check_chain = cfg->ca != NULL || system;
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_cert_verify_callback(c->ssl, verify_server, c);
	}
	return 0;
}

struct tls_ctx *tls_ctx_new(bool listener, const struct tls_cfg *cfg, const char *host, struct zerr *e)
{
	struct tls_ctx *c = OPENSSL_zalloc(sizeof *c);
	if (!c) {
		zerr_sys(e, ZCP_EXIT_SYSTEM, "malloc", "", ENOMEM);
		return NULL;
	}
	c->listener = listener;
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->host, sizeof c->host, "%s", host ? host : "");
	if (cfg->psk_file && tls_psk_load(cfg->psk_file, &c->psk, e) < 0)
		goto fail;
	c->have_psk = cfg->psk_file != NULL;
	if (cfg->pin && (c->npins = tls_pin_parse(cfg->pin, c->pins)) < 0) {
		zerr_set(e, ZCP_EXIT_USAGE, "", "", "--pin '%s': not sha256//BASE64", cfg->pin);
		goto fail;
	}
	c->ssl = SSL_CTX_new(listener ? TLS_server_method() : TLS_client_method());
	if (!c->ssl || !SSL_CTX_set_min_proto_version(c->ssl, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c->ssl, TLS1_3_VERSION)) {
		zerr_set(e, ZCP_EXIT_SYSTEM, "SSL_CTX_new", "", "OpenSSL cannot make a TLS 1.3 context");
		goto fail;
	}
	SSL_CTX_set_app_data(c->ssl, c);
	SSL_CTX_set_options(c->ssl, SSL_OP_ENABLE_KTLS); /* SPEC T-6: the kernel's, where it has it */
	/* a short write returns what went out; a retry may come from a moved buffer */
	SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_default_read_buffer_len(c->ssl, TLS_USER_BUF);
	if (c->have_psk) /* the key is all a later connection needs: no tickets */
		SSL_CTX_set_num_tickets(c->ssl, 0);
	else if (listener)
		SSL_CTX_set_num_tickets(c->ssl, 1); /* SPEC T-9: later parts resume */
	else {
		SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(c->ssl, keep_session);
	}
	if (c->have_psk) { /* SPEC T-2: a suite whose hash is the key's, SHA-256 */
		SSL_CTX_set_ciphersuites(c->ssl, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
		if (listener)
			SSL_CTX_set_psk_find_session_callback(c->ssl, psk_find);
		else {
			SSL_CTX_set_psk_use_session_callback(c->ssl, psk_use);
			/* the key is what authenticates the server: a certificate instead is
			 * a server's that does not know it (T-1: no --ca or --pin with a key) */
			SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
			SSL_CTX_set_cert_verify_callback(c->ssl, refuse_certificate, NULL);
		}
	}
	if (load_certs(c, cfg, e) < 0)
		goto fail;
	return c;
fail:
	tls_ctx_free(c);
	return NULL;
}

bool tls_ctx_listener(const struct tls_ctx *c) { return c->listener; }

void tls_ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ssl);
	SSL_SESSION_free(c->resume);
	pthread_mutex_destroy(&c->lock);
	OPENSSL_clear_free(c, sizeof *c);
}

/* A failed call of t's session as recv()/send() would say it: -1 with errno
 * (EAGAIN and the way to wait), or 0 for the peer's close_notify. */
static ssize_t io_failed(struct tls_conn *t, int ret, bool *wait_out)
{
	int err = SSL_get_error(t->ssl, ret);
	int saved = errno;
	switch (err) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		*wait_out = err == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && saved) {
			errno = saved;
			return -1;
		}
		/* fall through */
	default: /* SPEC T-5: a cut without close_notify, or a bad record, is no end */
		if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			snprintf(t->why, sizeof t->why, "the peer closed without close_notify: truncated");
			ERR_clear_error();
			t->alert = false;
			t->cut = true;
		} else {
			t->alert = openssl_reason(t->why, sizeof t->why, "the TLS stream broke");
		}
		errno = EPROTO;
		return -1;
	}
}

/* SPEC T-6: a read takes what the records read ahead hold too, up to len, so that
 * a chunk is written whole; a failure met after some bytes is the next read's. */
static ssize_t io_read(void *arg, void *buf, size_t len, bool *wait_out)
{
	struct tls_conn *t = arg;
	size_t n, got = 0;
	if (t->deferred) {
		t->deferred = false;
		errno = t->deferred_err;
		return t->deferred_ret;
	}
	do {
		ERR_clear_error();
		errno = 0; /* io_failed trusts errno only when the call set it */
		if (!SSL_read_ex(t->ssl, (uint8_t *)buf + got, len - got, &n)) {
			if (!got)
				return io_failed(t, 0, wait_out);
			bool out;
			int r = (int)io_failed(t, 0, &out);
			if (r == 0 || errno != EAGAIN)
				t->deferred = true, t->deferred_ret = r, t->deferred_err = errno;
			return (ssize_t)got;
		}
		got += n;
	} while (got < len && SSL_has_pending(t->ssl));
	return (ssize_t)got;
}

/* Sends what t's write buffer holds (nothing to do without one). Returns 0, or -1
 * with errno set: EAGAIN when the socket must become writable first. */
static int flush(struct tls_conn *t)
{
	BIO *w = SSL_get_wbio(t->ssl);
	errno = 0;
	if (BIO_flush(w) > 0)
		return 0;
	if (BIO_should_retry(w))
		errno = EAGAIN;
	else if (!errno)
		errno = EIO;
	return -1;
}

/* SPEC T-6: the records of one write leave together, through the buffer; success
 * is said once they are out (tls.h: a retry after EAGAIN). */
static ssize_t io_write(void *arg, const void *buf, size_t len, bool *wait_out)
{
	struct tls_conn *t = arg;
	size_t n, got = 0;
	if (flush(t) < 0) {
		*wait_out = true;
		return -1;
	}
	if (t->accepted) { /* the retry of a write whose records have now left */
		got = t->accepted;
		t->accepted = 0;
		return (ssize_t)got;
	}
	ERR_clear_error();
	errno = 0; /* io_failed trusts errno only when the call set it */
	/* with SSL_MODE_ENABLE_PARTIAL_WRITE each call makes one record */
	while (got < len && SSL_write_ex(t->ssl, (const uint8_t *)buf + got, len - got, &n))
		got += n;
	if (!got)
		return io_failed(t, 0, wait_out);
	ERR_clear_error();
	if (got < len) /* the rest waits for the caller's next write, which flushes first */
		return (ssize_t)got;
	if (flush(t) < 0) {
		t->accepted = errno == EAGAIN ? got : 0;
		*wait_out = true;
		return -1;
	}
	return (ssize_t)got;
}

/* SPEC T-6: a write buffer between the session and its socket, where the kernel
 * does not encrypt; none when OpenSSL has no room (each record then leaves alone). */
static void buffer_writes(struct tls_conn *t)
{
	BIO *b = BIO_new(BIO_f_buffer()), *sock = SSL_get_wbio(t->ssl);
	if (!b || !BIO_set_write_buffer_size(b, TLS_USER_BUF) || !BIO_up_ref(sock)) {
		BIO_free(b);
		ERR_clear_error();
		return;
	}
	SSL_set0_wbio(t->ssl, BIO_push(b, sock)); /* drops the reference it held to sock */
}

/* Bytes of a record already taken from the socket and decrypted, not yet read; 1
 * for a record taken and not yet processed (its size unknown until it is). */
static size_t io_pending(void *arg)
{
	SSL *ssl = ((struct tls_conn *)arg)->ssl;
	int n = SSL_pending(ssl);
	return n > 0 ? (size_t)n : SSL_has_pending(ssl) ? 1 : 0;
}

ssize_t tls_peek(struct tls_conn *t, void *buf, size_t len, bool *wait_out)
{
	size_t n;
	ERR_clear_error();
	errno = 0; /* io_failed trusts errno only when the call set it */
	if (SSL_peek_ex(t->ssl, buf, len, &n))
		return (ssize_t)n;
	return io_failed(t, 0, wait_out);
}

void tls_conn_move(struct tls_conn *to, struct tls_conn *from)
{
	*to = *from;
	to->io.arg = to;
	if (to->ssl)
		SSL_set_app_data(to->ssl, to);
	*from = (struct tls_conn){0};
}

int tls_conn_start(struct tls_conn *t, struct tls_ctx *ctx, int sock)
{
	return tls_conn_start_named(t, ctx, sock, NULL);
}

int tls_conn_start_named(struct tls_conn *t, struct tls_ctx *ctx, int sock, const char *name)
{
	const char *host = name ? name : ctx->host;
	*t = (struct tls_conn){.io = {.read = io_read, .write = io_write, .pending = io_pending, .arg = t}};
	t->ssl = SSL_new(ctx->ssl);
	if (!t->ssl || !SSL_set_fd(t->ssl, sock)) {
		openssl_reason(t->why, sizeof t->why, "out of memory for a TLS session");
		tls_conn_end(t);
		return -1;
	}
	SSL_set_app_data(t->ssl, t); /* psk_find's note */
	if (ctx->listener) {
		SSL_set_accept_state(t->ssl);
		return 0;
	}
	SSL_set_connect_state(t->ssl);
	pthread_mutex_lock(&ctx->lock);
	if (ctx->resume) /* SPEC T-9; one the server no longer takes is a full handshake */
		SSL_set_session(t->ssl, ctx->resume);
	pthread_mutex_unlock(&ctx->lock);
	struct in6_addr a;
	bool ip = inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
	if (!ip && *host)
		SSL_set_tlsext_host_name(t->ssl, host);
	if (ctx->check_chain && (ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host)
				    : !SSL_set1_host(t->ssl, host))) {
		snprintf(t->why, sizeof t->why, "cannot check the name '%.200s'", host);
		tls_conn_end(t);
		return -1;
	}
	return 0;
}

/* The handshake failed: why, in one line. */
static void handshake_failed(struct tls_conn *t)
{
	long v = SSL_get_verify_result(t->ssl);
	if (t->unknown_psk) /* the identity is peer input: not echoed */
		snprintf(t->why, sizeof t->why, "unknown PSK identity: the peer's key file names another");
	else if (v == X509_V_ERR_APPLICATION_VERIFICATION)
		snprintf(t->why, sizeof t->why, "the server's public key matches no --pin");
	else if (v != X509_V_OK)
		snprintf(t->why, sizeof t->why, "certificate verify failed: %s", X509_verify_cert_error_string(v));
	else if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING || !ERR_peek_error())
		snprintf(t->why, sizeof t->why, "the peer closed the connection during the TLS handshake "
			 "(does it speak TLS?)");
	else
		openssl_reason(t->why, sizeof t->why, "the TLS handshake failed");
	ERR_clear_error();
}

enum tls_hs tls_handshake(struct tls_conn *t)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->ktls_send = BIO_get_ktls_send(SSL_get_wbio(t->ssl)) > 0;
		t->ktls_recv = BIO_get_ktls_recv(SSL_get_rbio(t->ssl)) > 0;
		t->mode = t->ktls_send || t->ktls_recv ? "ktls" : "user";
		/* SPEC T-6: not before: records read ahead at the handshake's end would keep
		 * OpenSSL from handing the receive keys to the kernel */
		if (!t->ktls_recv)
			SSL_set_read_ahead(t->ssl, 1);
		t->resumed = SSL_session_reused(t->ssl);
		if (!t->ktls_send)
			buffer_writes(t);
		return TLS_HS_DONE;
	}
	int err = SSL_get_error(t->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return TLS_HS_READ;
	if (err == SSL_ERROR_WANT_WRITE)
		return TLS_HS_WRITE;
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno)
		return TLS_HS_SYS;
	handshake_failed(t);
	return TLS_HS_FAILED;
}

/* The result of tls_close_notify() once the alert is made: whether it left. */
static int notify_sent(struct tls_conn *t)
{
	return flush(t) == 0 ? 1 : errno == EAGAIN ? 0 : -1;
}

int tls_close_notify(struct tls_conn *t)
{
	if (flush(t) < 0) /* the records before it go first */
		return errno == EAGAIN ? 0 : -1;
	ERR_clear_error();
	int r = SSL_shutdown(t->ssl);
	if (r >= 0)
		return notify_sent(t); /* 0: made, the peer's not yet seen; this side waits for nothing */
	bool out = false;
	if (io_failed(t, r, &out) == 0 || (errno == EAGAIN && !out))
		return notify_sent(t); /* a read it wants is the peer's close_notify: not needed */
	return errno == EAGAIN ? 0 : -1;
}

void tls_conn_end(struct tls_conn *t)
{
	/* a session is resumable after a close without close_notify too (SPEC T-9);
	 * a fatal alert has made it unresumable already */
	if (t->ssl && t->mode)
		SSL_set_shutdown(t->ssl, SSL_get_shutdown(t->ssl) | SSL_SENT_SHUTDOWN);
	SSL_free(t->ssl); /* the socket BIO leaves the descriptor open */
	t->ssl = NULL;
}
