/* wire - ZCP/1 frame encoding and parsing; layouts in SPEC.md W-2..W-4. */
#include "wire.h"

#include <string.h>

static const uint8_t MAGIC_REQUEST[4] = {'Z', 'C', 'Q', '1'};
static const uint8_t MAGIC_RESPONSE[4] = {'Z', 'C', 'R', '1'};
static const uint8_t MAGIC_ACK[4] = {'Z', 'C', 'A', '1'};
static const uint8_t MAGIC_IDENT[4] = {'Z', 'C', 'I', '1'};
static const uint8_t MAGIC_TRAILER[4] = {'Z', 'C', 'T', '1'};

/* SPEC W-8: one component: 1..ZCP_NAME_MAX bytes, no NUL, not "." or "..". */
static int component_valid(const uint8_t *c, size_t len)
{
	if (len == 0 || len > ZCP_NAME_MAX || memchr(c, '\0', len))
		return 0;
	return !((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'));
}

/* SPEC W-8: a relative path of valid components, at most ZCP_PATH_MAX bytes. */
static int name_valid(const uint8_t *name, size_t len, int required)
{
	if (len > ZCP_PATH_MAX || (required && len == 0))
		return 0;
	for (size_t at = 0; at < len;) {
		const uint8_t *slash = memchr(name + at, '/', len - at);
		size_t end = slash ? (size_t)(slash - name) : len;
		if (!component_valid(name + at, end - at) || end + 1 == len)
			return 0; /* an empty component: leading, doubled or trailing '/' */
		at = end + 1;
	}
	return 1;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

bool wire_name_valid(const char *name, size_t len)
{
	return name_valid((const uint8_t *)name, len, 0);
}

/* The name after a fixed header of `fixed` bytes (SPEC W-8): returns the frame's
 * total size, WIRE_NEED_MORE or WIRE_E_NAME. name_len over the limit is refused
 * before the name is waited for. */
static ssize_t name_part(const uint8_t *buf, size_t len, size_t fixed, int required)
{
	uint16_t name_len = get16(buf + 6);
	if (name_len > ZCP_PATH_MAX)
		return WIRE_E_NAME;
	if (len < fixed + name_len)
		return WIRE_NEED_MORE;
	if (!name_valid(buf + fixed, name_len, required))
		return WIRE_E_NAME;
	return (ssize_t)(fixed + name_len);
}

static void copy_name(char *dst, uint16_t *dst_len, const uint8_t *buf, size_t fixed)
{
	*dst_len = get16(buf + 6);
	memcpy(dst, buf + fixed, *dst_len);
	dst[*dst_len] = '\0';
}

/* Common prefix of every frame: magic, version. */
static int check_head(const uint8_t *buf, const uint8_t magic[4])
{
	if (memcmp(buf, magic, 4) != 0)
		return WIRE_E_MAGIC;
	if (buf[4] != ZCP_VERSION)
		return WIRE_E_VERSION;
	return 0;
}

static int request_fields_valid(uint8_t flags, uint64_t offset, uint64_t length)
{
	if (flags & ~WIRE_FLAGS_ALL)
		return WIRE_E_RESERVED;
	if (offset > WIRE_OFF_MAX || length > WIRE_OFF_MAX || length > WIRE_OFF_MAX - offset)
		return WIRE_E_RANGE;
	return 0;
}

static int response_fields_valid(uint8_t status, uint64_t size, uint64_t offset, uint64_t length)
{
	if (status > WIRE_TLS_REQUIRED)
		return WIRE_E_STATUS;
	if (size > WIRE_OFF_MAX || offset > size || length > size - offset)
		return WIRE_E_RANGE;
	if (status != WIRE_OK && length != 0)
		return WIRE_E_RANGE;
	return 0;
}

int wire_response_answers(const struct wire_request *q, const struct wire_response *r)
{
	if (r->offset != q->offset || q->offset > r->file_size)
		return WIRE_E_RANGE;
	uint64_t left = r->file_size - q->offset;
	uint64_t want = q->length == 0 || q->length > left ? left : q->length;
	if (r->length != want)
		return WIRE_E_RANGE;
	if (q->name_len && (r->name_len != q->name_len || memcmp(r->name, q->name, q->name_len)))
		return WIRE_E_NAME;
	return 0;
}

size_t wire_frame_size(enum wire_frame t, const uint8_t *buf, size_t len)
{
	size_t fixed = t == WIRE_REQUEST ? WIRE_REQUEST_FIXED : t == WIRE_RESPONSE ? WIRE_RESPONSE_FIXED
		     : t == WIRE_ACK ? WIRE_ACK_SIZE : t == WIRE_IDENT ? WIRE_IDENT_SIZE : WIRE_TRAILER_SIZE;
	if ((t != WIRE_REQUEST && t != WIRE_RESPONSE) || len < fixed)
		return fixed;
	return fixed + get16(buf + 6);
}

ssize_t wire_parse_request(const uint8_t *buf, size_t len, struct wire_request *out)
{
	if (len < WIRE_REQUEST_FIXED)
		return WIRE_NEED_MORE;
	int e = check_head(buf, MAGIC_REQUEST);
	if (e)
		return e;
	uint64_t offset = get64(buf + 8), length = get64(buf + 16);
	if ((e = request_fields_valid(buf[5], offset, length)))
		return e;
	ssize_t n = name_part(buf, len, WIRE_REQUEST_FIXED, 0);
	if (n < 0)
		return n;
	out->flags = buf[5];
	out->offset = offset;
	out->length = length;
	copy_name(out->name, &out->name_len, buf, WIRE_REQUEST_FIXED);
	return n;
}

ssize_t wire_parse_response(const uint8_t *buf, size_t len, struct wire_response *out)
{
	if (len < WIRE_RESPONSE_FIXED)
		return WIRE_NEED_MORE;
	int e = check_head(buf, MAGIC_RESPONSE);
	if (e)
		return e;
	uint8_t status = buf[5];
	uint64_t size = get64(buf + 8), offset = get64(buf + 16), length = get64(buf + 24);
	if ((e = response_fields_valid(status, size, offset, length)))
		return e;
	ssize_t n = name_part(buf, len, WIRE_RESPONSE_FIXED, status == WIRE_OK);
	if (n < 0)
		return n;
	out->status = status;
	out->file_size = size;
	out->offset = offset;
	out->length = length;
	copy_name(out->name, &out->name_len, buf, WIRE_RESPONSE_FIXED);
	return n;
}

ssize_t wire_parse_ack(const uint8_t *buf, size_t len, struct wire_ack *out)
{
	if (len < WIRE_ACK_SIZE)
		return WIRE_NEED_MORE;
	int e = check_head(buf, MAGIC_ACK);
	if (e)
		return e;
	if (buf[5] > WIRE_ACK_PROTOCOL)
		return WIRE_E_STATUS;
	if (get16(buf + 6) != 0)
		return WIRE_E_RESERVED;
	uint64_t received = get64(buf + 8);
	if (received > WIRE_OFF_MAX)
		return WIRE_E_RANGE;
	out->status = buf[5];
	out->received = received;
	return WIRE_ACK_SIZE;
}

/* SPEC W-17: a fixed frame of size bytes whose bytes 5..7 are reserved. */
static int fixed_head(const uint8_t *buf, size_t len, const uint8_t magic[4], size_t size)
{
	if (len < size)
		return WIRE_NEED_MORE;
	int e = check_head(buf, magic);
	if (e)
		return e;
	return buf[5] || buf[6] || buf[7] ? WIRE_E_RESERVED : 0;
}

/* SPEC W-15: version 2; the size, the tag, then 8 reserved zero bytes. */
ssize_t wire_parse_ident(const uint8_t *buf, size_t len, struct wire_ident *out)
{
	if (len < WIRE_IDENT_SIZE)
		return WIRE_NEED_MORE;
	if (memcmp(buf, MAGIC_IDENT, 4) != 0)
		return WIRE_E_MAGIC;
	if (buf[4] != WIRE_IDENT_VERSION)
		return WIRE_E_VERSION;
	if (buf[5] || buf[6] || buf[7] || get64(buf + 32))
		return WIRE_E_RESERVED;
	uint64_t size = get64(buf + 8);
	if (size > WIRE_OFF_MAX)
		return WIRE_E_RANGE;
	out->size = size;
	memcpy(out->tag, buf + 16, WIRE_TAG_SIZE);
	return WIRE_IDENT_SIZE;
}

ssize_t wire_parse_trailer(const uint8_t *buf, size_t len, struct wire_trailer *out)
{
	int e = fixed_head(buf, len, MAGIC_TRAILER, WIRE_TRAILER_SIZE);
	if (e)
		return e;
	memcpy(out->hash, buf + 8, WIRE_HASH_SIZE);
	return WIRE_TRAILER_SIZE;
}

ssize_t wire_parse(enum wire_frame t, const uint8_t *buf, size_t len, void *out)
{
	switch (t) {
	case WIRE_REQUEST: return wire_parse_request(buf, len, out);
	case WIRE_RESPONSE: return wire_parse_response(buf, len, out);
	case WIRE_ACK: return wire_parse_ack(buf, len, out);
	case WIRE_IDENT: return wire_parse_ident(buf, len, out);
	case WIRE_TRAILER: return wire_parse_trailer(buf, len, out);
	}
	return WIRE_E_MAGIC; /* no frame type of ZCP/1 has this magic */
}

/* Writes magic, version, byte 5 and name_len; the caller fills the rest. */
static void put_head(uint8_t *out, const uint8_t magic[4], uint8_t b5, uint16_t name_len)
{
	memcpy(out, magic, 4);
	out[4] = ZCP_VERSION;
	out[5] = b5;
	put16(out + 6, name_len);
}

ssize_t wire_encode_request(const struct wire_request *r, uint8_t *out, size_t cap)
{
	int e = request_fields_valid(r->flags, r->offset, r->length);
	if (e)
		return e;
	if (!name_valid((const uint8_t *)r->name, r->name_len, 0))
		return WIRE_E_NAME;
	if (cap < (size_t)WIRE_REQUEST_FIXED + r->name_len)
		return WIRE_NEED_MORE;
	put_head(out, MAGIC_REQUEST, r->flags, r->name_len);
	put64(out + 8, r->offset);
	put64(out + 16, r->length);
	memcpy(out + WIRE_REQUEST_FIXED, r->name, r->name_len);
	return WIRE_REQUEST_FIXED + r->name_len;
}

ssize_t wire_encode_response(const struct wire_response *r, uint8_t *out, size_t cap)
{
	int e = response_fields_valid(r->status, r->file_size, r->offset, r->length);
	if (e)
		return e;
	if (!name_valid((const uint8_t *)r->name, r->name_len, r->status == WIRE_OK))
		return WIRE_E_NAME;
	if (cap < (size_t)WIRE_RESPONSE_FIXED + r->name_len)
		return WIRE_NEED_MORE;
	put_head(out, MAGIC_RESPONSE, r->status, r->name_len);
	put64(out + 8, r->file_size);
	put64(out + 16, r->offset);
	put64(out + 24, r->length);
	memcpy(out + WIRE_RESPONSE_FIXED, r->name, r->name_len);
	return WIRE_RESPONSE_FIXED + r->name_len;
}

ssize_t wire_encode_ack(const struct wire_ack *a, uint8_t *out, size_t cap)
{
	if (a->status > WIRE_ACK_PROTOCOL)
		return WIRE_E_STATUS;
	if (a->received > WIRE_OFF_MAX)
		return WIRE_E_RANGE;
	if (cap < WIRE_ACK_SIZE)
		return WIRE_NEED_MORE;
	put_head(out, MAGIC_ACK, a->status, 0);
	put64(out + 8, a->received);
	return WIRE_ACK_SIZE;
}

ssize_t wire_encode_ident(const struct wire_ident *d, uint8_t *out, size_t cap)
{
	if (d->size > WIRE_OFF_MAX)
		return WIRE_E_RANGE;
	if (cap < WIRE_IDENT_SIZE)
		return WIRE_NEED_MORE;
	put_head(out, MAGIC_IDENT, 0, 0);
	out[4] = WIRE_IDENT_VERSION;
	put64(out + 8, d->size);
	memcpy(out + 16, d->tag, WIRE_TAG_SIZE);
	put64(out + 32, 0);
	return WIRE_IDENT_SIZE;
}

ssize_t wire_encode_trailer(const struct wire_trailer *t, uint8_t *out, size_t cap)
{
	if (cap < WIRE_TRAILER_SIZE)
		return WIRE_NEED_MORE;
	put_head(out, MAGIC_TRAILER, 0, 0);
	memcpy(out + 8, t->hash, WIRE_HASH_SIZE);
	return WIRE_TRAILER_SIZE;
}

const char *wire_strerror(int code)
{
	switch (code) {
	case WIRE_NEED_MORE: return "incomplete frame";
	case WIRE_E_MAGIC: return "bad magic";
	case WIRE_E_VERSION: return "unsupported version";
	case WIRE_E_RESERVED: return "reserved bits set";
	case WIRE_E_NAME: return "invalid name";
	case WIRE_E_STATUS: return "unknown status";
	case WIRE_E_RANGE: return "offset or length out of range";
	default: return "unknown frame error";
	}
}

const char *wire_status_name(int status)
{
	static const char *const names[] = {"OK", "BAD_REQUEST", "BAD_VERSION",
					    "NOT_FOUND", "BAD_RANGE", "SERVER_ERROR", "BUSY", "CHANGED",
					    "TLS_REQUIRED"};
	return status >= 0 && status <= WIRE_TLS_REQUIRED ? names[status] : "?";
}

const char *wire_ack_status_name(int status)
{
	static const char *const names[] = {"OK", "SHORT", "LOCAL_ERROR", "PROTOCOL"};
	return status >= 0 && status <= WIRE_ACK_PROTOCOL ? names[status] : "?";
}
