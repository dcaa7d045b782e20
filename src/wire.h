/* wire - ZCP/1 frames (SPEC.md section W): encoders and a pure, incremental parser.
 * Nothing here does I/O, allocates or keeps state between calls. */
#ifndef ZCP_WIRE_H
#define ZCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZCP_VERSION 1
#define ZCP_RELEASE "0.1.0" /* the programs' release: --version, HTTP's Server field */
#define ZCP_NAME_MAX 255   /* one component of a name (NAME_MAX) */
#define ZCP_PATH_MAX 1024  /* a whole name: components joined by '/' (SPEC W-8) */
#define WIRE_REQUEST_FIXED 24
#define WIRE_RESPONSE_FIXED 32
#define WIRE_ACK_SIZE 16
#define WIRE_IDENT_SIZE 40   /* SPEC W-15 */
#define WIRE_IDENT_VERSION 2 /* the identity frame's own version (W-15) */
#define WIRE_TAG_SIZE 16     /* the identity's opaque tag (W-15) */
#define WIRE_TRAILER_SIZE 24 /* SPEC W-17 */
#define WIRE_HASH_SIZE 16    /* XXH3-128, canonical (big-endian) form */
/* The largest frame, with room for an identity frame sent in the same buffer. */
#define WIRE_FRAME_MAX (WIRE_RESPONSE_FIXED + ZCP_PATH_MAX + WIRE_IDENT_SIZE)
#define WIRE_OFF_MAX UINT64_C(0x7fffffffffffffff)

/* Parser results other than "bytes consumed" (> 0). */
enum wire_result {
	WIRE_NEED_MORE = -1,
	WIRE_E_MAGIC = -2,
	WIRE_E_VERSION = -3,
	WIRE_E_RESERVED = -4,
	WIRE_E_NAME = -5,
	WIRE_E_STATUS = -6,
	WIRE_E_RANGE = -7,
};

enum wire_frame { WIRE_REQUEST, WIRE_RESPONSE, WIRE_ACK, WIRE_IDENT, WIRE_TRAILER };

enum wire_status {
	WIRE_OK = 0,
	WIRE_BAD_REQUEST = 1,
	WIRE_BAD_VERSION = 2,
	WIRE_NOT_FOUND = 3,
	WIRE_BAD_RANGE = 4,
	WIRE_SERVER_ERROR = 5,
	WIRE_BUSY = 6,
	WIRE_CHANGED = 7, /* SPEC W-16: the file is not the one the request's identity names */
	WIRE_TLS_REQUIRED = 8, /* SPEC T-7: a plaintext request to a sender that requires TLS */
};

enum wire_ack_status {
	WIRE_ACK_OK = 0,
	WIRE_ACK_SHORT = 1,
	WIRE_ACK_LOCAL_ERROR = 2,
	WIRE_ACK_PROTOCOL = 3,
};

/* Request flags (SPEC W-2, W-14); every other bit is reserved (W-7). */
#define WIRE_FLAG_PROBE 0x01    /* the response only: no payload, no ack (W-14) */
#define WIRE_FLAG_IDENT 0x02    /* an identity frame follows a response OK (W-15) */
#define WIRE_FLAG_IF_IDENT 0x04 /* an identity frame follows this request: serve only
				 * that file, else CHANGED (W-16) */
#define WIRE_FLAG_VERIFY 0x08   /* a trailer with the hash follows the payload (W-17) */
#define WIRE_FLAGS_ALL 0x0f

struct wire_request {
	uint8_t flags;        /* WIRE_FLAG_* */
	uint64_t offset;
	uint64_t length; /* 0 = to the end */
	uint16_t name_len;
	char name[ZCP_PATH_MAX + 1]; /* NUL-terminated copy for convenience */
};

struct wire_response {
	uint8_t status;
	uint64_t file_size;
	uint64_t offset;
	uint64_t length;
	uint16_t name_len;
	char name[ZCP_PATH_MAX + 1];
};

struct wire_ack {
	uint8_t status;
	uint64_t received;
};

/* SPEC W-15: what a file is, like an HTTP strong validator (an ETag): the size,
 * which the receiver may check, and an opaque tag that only the sender can make
 * (ident_of) and the receiver only compares for equality. No padding: it is
 * compared with memcmp. */
struct wire_ident {
	uint64_t size;
	uint8_t tag[WIRE_TAG_SIZE];
};

struct wire_trailer {
	uint8_t hash[WIRE_HASH_SIZE];
};

/* wire_name_valid() - whether name[0..len) is a valid name of SPEC W-8: a relative
 * path of at most ZCP_PATH_MAX bytes whose '/'-separated components are non-empty,
 * not "." or "..", at most ZCP_NAME_MAX bytes, without NUL (the empty name included:
 * whether one is required depends on the frame). */
bool wire_name_valid(const char *name, size_t len);

/* wire_parse_request() / _response() / _ack() - parse one frame from buf[0..len).
 * Returns the bytes the frame occupies (> 0) and fills *out; WIRE_NEED_MORE when
 * len is shorter than the frame; or a negative WIRE_E_* code (SPEC W-5..W-12).
 * Never reads at or past buf + len; *out is written only on success. */
ssize_t wire_parse_request(const uint8_t *buf, size_t len, struct wire_request *out);
ssize_t wire_parse_response(const uint8_t *buf, size_t len, struct wire_response *out);
ssize_t wire_parse_ack(const uint8_t *buf, size_t len, struct wire_ack *out);
ssize_t wire_parse_ident(const uint8_t *buf, size_t len, struct wire_ident *out);
ssize_t wire_parse_trailer(const uint8_t *buf, size_t len, struct wire_trailer *out);

/* wire_parse() - the parser for frame type t; out points to the matching struct
 * (wire_request, _response, _ack, _ident or _trailer). Same contract as above. */
ssize_t wire_parse(enum wire_frame t, const uint8_t *buf, size_t len, void *out);

/* wire_response_answers() - whether r, a response OK, answers request q (SPEC R-11,
 * it echoes q's offset, its length is min(q's length, file_size - offset)
 * (file_size - offset when q's length is 0), and when q named a file, r names the
 * same. Returns 0, WIRE_E_RANGE or WIRE_E_NAME. Pure. */
int wire_response_answers(const struct wire_request *q, const struct wire_response *r);

/* wire_frame_size() - total bytes of the frame of type t that starts at buf,
 * as far as buf[0..len) tells: the fixed size until the fixed header is complete,
 * then fixed size + name_len. Lets a reader fetch exactly one frame (SPEC X-5). */
size_t wire_frame_size(enum wire_frame t, const uint8_t *buf, size_t len);

/* wire_encode_request() / _response() / _ack() - write the frame into out[0..cap).
 * Returns the bytes written, or a negative WIRE_E_* code if the frame is invalid
 * (the same checks as the parser, SPEC W-13), or WIRE_NEED_MORE if cap is too small.
 * The name is taken from name[0..name_len). */
ssize_t wire_encode_request(const struct wire_request *r, uint8_t *out, size_t cap);
ssize_t wire_encode_response(const struct wire_response *r, uint8_t *out, size_t cap);
ssize_t wire_encode_ack(const struct wire_ack *a, uint8_t *out, size_t cap);
ssize_t wire_encode_ident(const struct wire_ident *d, uint8_t *out, size_t cap);
ssize_t wire_encode_trailer(const struct wire_trailer *t, uint8_t *out, size_t cap);

/* wire_strerror() - a short English phrase for a WIRE_E_* code. */
const char *wire_strerror(int code);
/* wire_status_name() / wire_ack_status_name() - "OK", "NOT_FOUND", ...; "?" if unknown. */
const char *wire_status_name(int status);
const char *wire_ack_status_name(int status);

#endif
