/* ident - the identity of a file as an opaque, keyed tag (SPEC W-15). */
#include "ident.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* Fixed for zcp's identities: another application's key from the same machine
 * id is another key (the role of systemd's app id). */
static const uint8_t APP_ID[16] = {0x6b, 0x1e, 0x59, 0x0c, 0xd2, 0x4f, 0x47, 0x83,
				   0x9a, 0x21, 0x7e, 0x35, 0xc0, 0x88, 0x14, 0xf6};
static uint8_t key[32];
static bool have_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The 16 bytes of a machine id file (32 lowercase hex digits, a newline); false
 * if it is not one ("uninitialized" early in a boot is not). */
static bool read_machine_id(const char *path, uint8_t id[16])
{
	char text[40];
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	if (n < 32 || (n > 32 && (n != 33 || text[32] != '\n')))
		return false;
	for (int i = 0; i < 16; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Sets key from the machine id at path, else at random; have_key says whether
 * there is one at all. Returns true when the machine id gave it. */
static bool derive(const char *path)
{
	uint8_t id[16];
	unsigned len = sizeof key;
	if (read_machine_id(path, id) && HMAC(EVP_sha256(), id, sizeof id, APP_ID, sizeof APP_ID, key, &len)) {
		have_key = true;
		return true;
	}
	have_key = RAND_bytes(key, sizeof key) == 1; /* this process's own */
	return false;
}

static void default_key(void) { derive("/etc/machine-id"); }

void ident_init(void) { pthread_once(&once, default_key); }

bool ident_use_key_from(const char *path)
{
	ident_init(); /* so that it never overrides this one later */
	return derive(path);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t ns_of(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec; }

/* HMAC-SHA256 of buf[0..len) under the key into md. Returns 0, or -1 with errno set. */
static int keyed(const void *buf, size_t len, uint8_t md[EVP_MAX_MD_SIZE])
{
	ident_init();
	if (!have_key) { /* no machine id and no random bytes: nothing to key with */
		errno = EAGAIN;
		return -1;
	}
	unsigned n = EVP_MAX_MD_SIZE;
	if (!HMAC(EVP_sha256(), key, sizeof key, buf, len, md, &n)) {
		errno = ENOMEM; /* libcrypto's only plausible failure here */
		return -1;
	}
	return 0;
}

int ident_mac(const void *buf, size_t len, char hex[IDENT_MAC_HEX + 1])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	if (keyed(buf, len, md) < 0)
		return -1;
	for (int i = 0; i < IDENT_MAC_HEX / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int ident_of(const struct stat *st, struct wire_ident *id)
{
	uint8_t fields[40], md[EVP_MAX_MD_SIZE];
	put64(fields, (uint64_t)st->st_dev);
	put64(fields + 8, (uint64_t)st->st_ino);
	put64(fields + 16, (uint64_t)st->st_size);
	put64(fields + 24, ns_of(st->st_mtim));
	put64(fields + 32, ns_of(st->st_ctim)); /* no user can set it: a rewrite with its mtime put back shows */
	if (keyed(fields, sizeof fields, md) < 0)
		return -1;
	id->size = (uint64_t)st->st_size;
	memcpy(id->tag, md, WIRE_TAG_SIZE);
	return 0;
}
