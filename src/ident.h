/* ident - the opaque identity of a file (SPEC W-15): its size and a keyed hash
 * (HMAC-SHA256, truncated) of what fstat says about it, so that a peer can compare
 * identities for equality but learns neither device nor inode numbers. Never prints. */
#ifndef ZCP_IDENT_H
#define ZCP_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "wire.h"

/* ident_of() - the identity of the file st describes: st_size, and a tag over its
 * device, inode, size, modification and change times (ns) under this machine's key.
 * The first call derives the key from /etc/machine-id (ident_use_key_from). Thread-safe.
 * Returns 0, or -1 with errno set: EAGAIN when there is no key (no machine id and
 * no random bytes), ENOMEM when libcrypto fails. */
int ident_of(const struct stat *st, struct wire_ident *id);

#define IDENT_MAC_HEX 64 /* HMAC-SHA256 in hex */

/* ident_mac() - the HMAC-SHA256 of buf[0..len) under the key of ident_of(), as
 * IDENT_MAC_HEX lowercase hex digits and a NUL: a check of a text that only this
 * machine can make (SPEC R-20's records; never 40 bytes long, so never an identity's
 * fields). Thread-safe. Returns 0, or -1 with errno set as ident_of(). */
int ident_mac(const void *buf, size_t len, char hex[IDENT_MAC_HEX + 1]);

/* ident_init() - derive the key now, from /etc/machine-id or at random (as the
 * first ident_of() would): before fork(), so that every process of a sender
 * gives a file the same identity. Thread-safe. */
void ident_init(void);

/* ident_use_key_from() - derive the key from the machine id in the file at path,
 * as systemd's sd_id128_get_machine_app_specific() does (HMAC-SHA256 keyed by the
 * machine id over a fixed application id): the same on every run on one machine,
 * unknown to the network. Without a well-formed machine id (32 lowercase hex digits)
 * the key is random (RAND_bytes), for this process only. Returns true when the machine id gave the key.
 * For tests and the first ident_of(); not to be called while others hash. */
bool ident_use_key_from(const char *path);

#endif
