/* Check suite for src/wire.c: frame layout, validation, incremental parsing. */
#include "testutil.h"
#include "wire.h"

/* Let a fault in the guard page arrive as SIGSEGV, which Check reports,
 * instead of ASan's own exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "handle_segv=0"; }

static struct wire_request req(uint64_t off, uint64_t len, const char *name)
{
	struct wire_request r = {.offset = off, .length = len, .name_len = (uint16_t)strlen(name)};
	memcpy(r.name, name, r.name_len);
	return r;
}

static struct wire_response resp(uint8_t st, uint64_t size, uint64_t off, uint64_t len,
				 const char *name)
{
	struct wire_response r = {.status = st, .file_size = size, .offset = off, .length = len,
				  .name_len = (uint16_t)strlen(name)};
	memcpy(r.name, name, r.name_len);
	return r;
}

/* SPEC W-1 W-2: the request layout byte by byte, as the table in SPEC.md gives it. */
START_TEST(w2_request_layout)
{
	struct wire_request r = req(0x0102030405060708ull, 0x1112131415161718ull, "ab");
	uint8_t buf[64];
	ck_assert_int_eq(wire_encode_request(&r, buf, sizeof buf), 26);
	const uint8_t want[26] = {'Z', 'C', 'Q', '1', 1, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8,
				  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 'a', 'b'};
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

/* SPEC W-1 W-3: the response layout. */
START_TEST(w3_response_layout)
{
	struct wire_response r = resp(WIRE_OK, 0x100, 0x10, 0x20, "f");
	uint8_t buf[64];
	ck_assert_int_eq(wire_encode_response(&r, buf, sizeof buf), 33);
	const uint8_t want[33] = {'Z', 'C', 'R', '1', 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0,
				  0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 'f'};
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

/* SPEC W-1 W-4: the ack layout. */
START_TEST(w4_ack_layout)
{
	struct wire_ack a = {.status = WIRE_ACK_SHORT, .received = 0xabcdef};
	uint8_t buf[16];
	ck_assert_int_eq(wire_encode_ack(&a, buf, sizeof buf), 16);
	const uint8_t want[16] = {'Z', 'C', 'A', '1', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef};
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

static const char *const names[] = {"", "a", "data.bin", "..x", ".hidden", "x..y"};
static const uint64_t edges[] = {0, 1, 0x7ffff000, 0xffffffffull, WIRE_OFF_MAX};

/* SPEC W-13: request round trip over names and edge values. */
START_TEST(w13_request_roundtrip)
{
	const char *name = names[_i % 6];
	uint64_t off = edges[_i / 6 % 5];
	uint64_t len = off == WIRE_OFF_MAX ? 0 : edges[_i / 30] > WIRE_OFF_MAX - off ? 1 : edges[_i / 30];
	struct wire_request in = req(off, len, name), out;
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_request(&in, buf, sizeof buf);
	ck_assert_int_eq(n, WIRE_REQUEST_FIXED + (ssize_t)strlen(name));
	memset(&out, 0xff, sizeof out);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n, &out), n);
	ck_assert_uint_eq(out.offset, off);
	ck_assert_uint_eq(out.length, len);
	ck_assert_uint_eq(out.flags, 0);
	ck_assert_str_eq(out.name, name);
}
END_TEST

/* SPEC W-14: the PROBE flag is the one request flag there is; it round-trips. */
START_TEST(w14_probe_flag_roundtrip)
{
	struct wire_request in = req(5, 10, "a/b"), out;
	in.flags = WIRE_FLAG_PROBE;
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_request(&in, buf, sizeof buf);
	ck_assert_int_eq(n, WIRE_REQUEST_FIXED + 3);
	ck_assert_uint_eq(buf[5], 0x01);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n, &out), n);
	ck_assert_uint_eq(out.flags, WIRE_FLAG_PROBE);
	ck_assert_uint_eq(out.offset, 5);
	ck_assert_uint_eq(out.length, 10);
}
END_TEST

/* SPEC W-15 W-17: identity and trailer frames round-trip; their reserved bytes,
 * magic and version (2 for the identity) are checked; they are fixed-size for the
 * reader; an identity's size is an off_t. */
START_TEST(w15_w17_ident_and_trailer_frames)
{
	uint8_t buf[WIRE_IDENT_SIZE];
	struct wire_ident d = {.size = WIRE_OFF_MAX}, d2;
	for (int i = 0; i < WIRE_TAG_SIZE; i++)
		d.tag[i] = (uint8_t)(0xf0 - i);
	ck_assert_int_eq(wire_encode_ident(&d, buf, WIRE_IDENT_SIZE - 1), WIRE_NEED_MORE);
	ck_assert_int_eq(wire_encode_ident(&d, buf, sizeof buf), WIRE_IDENT_SIZE);
	ck_assert_int_eq(memcmp(buf, "ZCI1\2\0\0\0\x7f\xff\xff\xff\xff\xff\xff\xff", 16), 0);
	ck_assert_int_eq(memcmp(buf + 16, d.tag, WIRE_TAG_SIZE), 0);
	ck_assert_int_eq(memcmp(buf + 32, "\0\0\0\0\0\0\0\0", 8), 0);
	ck_assert_int_eq(wire_parse_ident(buf, WIRE_IDENT_SIZE - 1, &d2), WIRE_NEED_MORE);
	ck_assert_int_eq(wire_parse(WIRE_IDENT, buf, sizeof buf, &d2), WIRE_IDENT_SIZE);
	ck_assert_int_eq(memcmp(&d, &d2, sizeof d), 0);
	ck_assert_uint_eq(wire_frame_size(WIRE_IDENT, buf, 3), WIRE_IDENT_SIZE);
	buf[7] = 1;
	ck_assert_int_eq(wire_parse_ident(buf, sizeof buf, &d2), WIRE_E_RESERVED);
	buf[7] = 0, buf[39] = 1;
	ck_assert_int_eq(wire_parse_ident(buf, sizeof buf, &d2), WIRE_E_RESERVED);
	buf[39] = 0, buf[4] = 1; /* version 1 held device and inode numbers: refused */
	ck_assert_int_eq(wire_parse_ident(buf, sizeof buf, &d2), WIRE_E_VERSION);
	buf[4] = 2, buf[8] = 0x80;
	ck_assert_int_eq(wire_parse_ident(buf, sizeof buf, &d2), WIRE_E_RANGE);
	d.size = WIRE_OFF_MAX + 1;
	ck_assert_int_eq(wire_encode_ident(&d, buf, sizeof buf), WIRE_E_RANGE);
	buf[8] = 0x7f, buf[3] = '2';
	ck_assert_int_eq(wire_parse_ident(buf, sizeof buf, &d2), WIRE_E_MAGIC);

	struct wire_trailer t, t2;
	for (int i = 0; i < WIRE_HASH_SIZE; i++)
		t.hash[i] = (uint8_t)(255 - i);
	ck_assert_int_eq(wire_encode_trailer(&t, buf, WIRE_TRAILER_SIZE - 1), WIRE_NEED_MORE);
	ck_assert_int_eq(wire_encode_trailer(&t, buf, sizeof buf), WIRE_TRAILER_SIZE);
	ck_assert_int_eq(memcmp(buf, "ZCT1\1\0\0\0", 8), 0);
	ck_assert_int_eq(wire_parse(WIRE_TRAILER, buf, WIRE_TRAILER_SIZE, &t2), WIRE_TRAILER_SIZE);
	ck_assert_int_eq(memcmp(t.hash, t2.hash, WIRE_HASH_SIZE), 0);
	ck_assert_uint_eq(wire_frame_size(WIRE_TRAILER, buf, 0), WIRE_TRAILER_SIZE);
	buf[4] = 2;
	ck_assert_int_eq(wire_parse_trailer(buf, WIRE_TRAILER_SIZE, &t2), WIRE_E_VERSION);
	buf[4] = 1, buf[5] = 1;
	ck_assert_int_eq(wire_parse_trailer(buf, WIRE_TRAILER_SIZE, &t2), WIRE_E_RESERVED);
	ck_assert_str_eq(wire_status_name(WIRE_CHANGED), "CHANGED");
	struct wire_request q = req(0, 0, "");
	q.flags = WIRE_FLAG_IDENT | WIRE_FLAG_IF_IDENT | WIRE_FLAG_VERIFY;
	uint8_t qb[WIRE_FRAME_MAX];
	ck_assert_int_eq(wire_encode_request(&q, qb, sizeof qb), WIRE_REQUEST_FIXED);
	ck_assert_int_eq(wire_parse_request(qb, WIRE_REQUEST_FIXED, &q), WIRE_REQUEST_FIXED);
	ck_assert_uint_eq(q.flags, 0x0e);
}
END_TEST

/* SPEC W-13 W-9: response round trip over every status and edge sizes. */
START_TEST(w13_response_roundtrip)
{
	uint8_t st = (uint8_t)(_i % 6);
	uint64_t size = edges[_i / 6 % 5];
	uint64_t off = st == WIRE_OK ? size / 3 : 0, len = st == WIRE_OK ? size - off : 0;
	const char *name = st == WIRE_OK ? "data.bin" : names[_i / 6 % 6];
	struct wire_response in = resp(st, size, off, len, name), out;
	uint8_t buf[WIRE_FRAME_MAX];
	ssize_t n = wire_encode_response(&in, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_parse_response(buf, (size_t)n, &out), n);
	ck_assert_uint_eq(out.status, st);
	ck_assert_uint_eq(out.file_size, size);
	ck_assert_uint_eq(out.offset, off);
	ck_assert_uint_eq(out.length, len);
	ck_assert_str_eq(out.name, name);
}
END_TEST

/* SPEC W-13 W-11: ack round trip over every status. */
START_TEST(w13_ack_roundtrip)
{
	struct wire_ack in = {.status = (uint8_t)(_i % 4), .received = edges[_i / 4]}, out;
	uint8_t buf[WIRE_ACK_SIZE];
	ck_assert_int_eq(wire_encode_ack(&in, buf, sizeof buf), WIRE_ACK_SIZE);
	ck_assert_int_eq(wire_parse_ack(buf, sizeof buf, &out), WIRE_ACK_SIZE);
	ck_assert_uint_eq(out.status, in.status);
	ck_assert_uint_eq(out.received, in.received);
}
END_TEST

static size_t good_request(uint8_t *buf)
{
	struct wire_request r = req(5, 10, "name");
	return (size_t)wire_encode_request(&r, buf, WIRE_FRAME_MAX);
}

static size_t good_response(uint8_t *buf)
{
	struct wire_response r = resp(WIRE_OK, 100, 5, 10, "name");
	return (size_t)wire_encode_response(&r, buf, WIRE_FRAME_MAX);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* One corruption of a valid frame and the error it must give. */
struct corrupt {
	enum wire_frame frame;
	size_t at;       /* byte to change */
	uint8_t value;
	int want;
};

static const struct corrupt corruptions[] = {
	{WIRE_REQUEST, 0, 'X', WIRE_E_MAGIC},     /* SPEC W-5 */
	{WIRE_REQUEST, 3, '2', WIRE_E_MAGIC},
	{WIRE_REQUEST, 4, 2, WIRE_E_VERSION},     /* SPEC W-6 */
	{WIRE_REQUEST, 4, 0, WIRE_E_VERSION},
	{WIRE_REQUEST, 5, 0x80, WIRE_E_RESERVED}, /* SPEC W-7 */
	{WIRE_REQUEST, 5, 0x10, WIRE_E_RESERVED}, /* the bit after VERIFY */
	{WIRE_REQUEST, 5, 0x1f, WIRE_E_RESERVED},
	{WIRE_REQUEST, 8, 0x80, WIRE_E_RANGE},    /* SPEC W-10: offset >= 2^63 */
	{WIRE_REQUEST, 16, 0x80, WIRE_E_RANGE},   /* length >= 2^63 */
	{WIRE_REQUEST, 6, 5, WIRE_E_NAME},        /* SPEC W-8: name_len over 1024 */
	{WIRE_REQUEST, 24, '/', WIRE_E_NAME},
	{WIRE_REQUEST, 25, 0, WIRE_E_NAME},
	{WIRE_RESPONSE, 1, 'Q', WIRE_E_MAGIC},
	{WIRE_RESPONSE, 4, 9, WIRE_E_VERSION},
	{WIRE_RESPONSE, 5, 9, WIRE_E_STATUS},     /* SPEC W-9 W-16 T-7: the first past TLS_REQUIRED */
	{WIRE_RESPONSE, 5, 0xff, WIRE_E_STATUS},
	{WIRE_RESPONSE, 5, WIRE_NOT_FOUND, WIRE_E_RANGE}, /* non-OK with a length */
	{WIRE_RESPONSE, 15, 0, WIRE_E_RANGE},     /* size 0 < offset + length */
	{WIRE_RESPONSE, 31, 96, WIRE_E_RANGE},    /* offset + length > size */
	{WIRE_RESPONSE, 8, 0x80, WIRE_E_RANGE},   /* size >= 2^63 */
	{WIRE_RESPONSE, 7, 0, WIRE_E_NAME},       /* OK needs a name */
	{WIRE_RESPONSE, 6, 0xff, WIRE_E_NAME},
	{WIRE_RESPONSE, 32, '/', WIRE_E_NAME},    /* a leading '/' */
	{WIRE_ACK, 2, 'R', WIRE_E_MAGIC},
	{WIRE_ACK, 4, 3, WIRE_E_VERSION},
	{WIRE_ACK, 5, 4, WIRE_E_STATUS},          /* SPEC W-11 */
	{WIRE_ACK, 6, 1, WIRE_E_RESERVED},
	{WIRE_ACK, 7, 1, WIRE_E_RESERVED},
	{WIRE_ACK, 8, 0x80, WIRE_E_RANGE},
};

static ssize_t parse_any(enum wire_frame t, const uint8_t *buf, size_t len)
{
	union { struct wire_request q; struct wire_response r; struct wire_ack a; } f;
	return wire_parse(t, buf, len, &f);
}

static size_t good_frame(enum wire_frame t, uint8_t *buf)
{
	if (t == WIRE_REQUEST)
		return good_request(buf);
	if (t == WIRE_RESPONSE)
		return good_response(buf);
	struct wire_ack a = {.status = 0, .received = 10};
	return (size_t)wire_encode_ack(&a, buf, WIRE_FRAME_MAX);
}

/* SPEC W-5 W-6 W-7 W-8 W-9 W-10 W-11: every invalid field is refused with its code. */
START_TEST(w5_invalid_fields)
{
	const struct corrupt *c = &corruptions[_i];
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = good_frame(c->frame, buf);
	ck_assert_int_gt(parse_any(c->frame, buf, len), 0); /* the frame was valid before */
	buf[c->at] = c->value;
	ck_assert_int_eq(parse_any(c->frame, buf, len), c->want);
}
END_TEST

/* SPEC W-8: "." and ".." are not names; a request may have an empty one. */
START_TEST(w8_dot_names)
{
	const char *bad[] = {".", ".."};
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request r = req(0, 0, bad[_i]);
	ck_assert_int_eq(wire_encode_request(&r, buf, sizeof buf), WIRE_E_NAME);
	r = req(0, 0, "");
	ssize_t n = wire_encode_request(&r, buf, sizeof buf);
	memcpy(buf + 6, "\0\2..", 4);  /* patch in ".." */
	memcpy(buf + 24, bad[_i], strlen(bad[_i]));
	buf[7] = (uint8_t)strlen(bad[_i]);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n + strlen(bad[_i]), &r), WIRE_E_NAME);
}
END_TEST

/* SPEC W-8: 1024 bytes is the longest name; 1025 is refused from the header alone. */
START_TEST(w8_name_max)
{
	struct wire_request r = {.name_len = ZCP_PATH_MAX};
	for (int i = 0; i < ZCP_PATH_MAX; i++) /* components of 127 bytes and a '/' */
		r.name[i] = i % 128 == 126 ? '/' : 'n';
	uint8_t buf[WIRE_FRAME_MAX + 8];
	ssize_t n = wire_encode_request(&r, buf, sizeof buf);
	ck_assert_int_eq(n, WIRE_REQUEST_FIXED + ZCP_PATH_MAX);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n, &r), n);
	buf[6] = 4;
	buf[7] = 1; /* 1025 */
	ck_assert_int_eq(wire_parse_request(buf, WIRE_REQUEST_FIXED, &r), WIRE_E_NAME);
	r.name_len = ZCP_PATH_MAX + 1;
	ck_assert_int_eq(wire_encode_request(&r, buf, sizeof buf), WIRE_E_NAME);
}
END_TEST

struct path_case {
	const char *name;
	bool ok;
};

static const struct path_case path_cases[] = {
	{"data.bin", true}, {"sub/dir/file.bin", true}, {"..a", true}, {"a..", true},
	{".hidden/x", true}, {"a b/c d", true},
	{"/etc/passwd", false}, {"a/", false}, {"a//b", false}, {"./a", false}, {"a/./b", false},
	{"a/../b", false}, {"../x", false}, {"a/..", false}, {".", false}, {"..", false}, {"/", false},
};

/* SPEC W-8: names are relative paths: '/'-separated components, none empty, "."
 * or "..", no leading or trailing '/'; in requests and responses alike. */
START_TEST(w8_relative_paths)
{
	const struct path_case *c = &path_cases[_i];
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request q = req(0, 0, c->name);
	struct wire_response r = {.status = WIRE_OK, .file_size = 1, .length = 1,
				  .name_len = (uint16_t)strlen(c->name)};
	memcpy(r.name, c->name, r.name_len);
	ck_assert_int_eq(wire_name_valid(c->name, strlen(c->name)), c->ok);
	ssize_t n = wire_encode_request(&q, buf, sizeof buf);
	ck_assert_int_eq(n > 0, c->ok);
	ck_assert_int_eq(wire_encode_response(&r, buf, sizeof buf) > 0, c->ok);
	/* the parser agrees, on bytes the encoder would not write */
	q = req(0, 0, "");
	n = wire_encode_request(&q, buf, sizeof buf);
	size_t len = strlen(c->name);
	buf[6] = (uint8_t)(len >> 8);
	buf[7] = (uint8_t)len;
	memcpy(buf + WIRE_REQUEST_FIXED, c->name, len);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n + len, &q) > 0, c->ok);
}
END_TEST

/* SPEC W-8: a component is at most 255 bytes (NAME_MAX) and holds no NUL. */
START_TEST(w8_component_limits)
{
	char name[600];
	memset(name, 'c', sizeof name);
	memcpy(name, "dir/", 4);
	ck_assert(wire_name_valid(name, 4 + 255));
	ck_assert(!wire_name_valid(name, 4 + 256));
	memcpy(name + 4 + 255, "/x", 2);
	ck_assert(wire_name_valid(name, 4 + 255 + 2));
	ck_assert(!wire_name_valid("a\0b", 3));
}
END_TEST

/* SPEC W-9: BUSY is a response status without payload. */
START_TEST(w9_busy_status)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_response r = {.status = WIRE_BUSY};
	ssize_t n = wire_encode_response(&r, buf, sizeof buf);
	ck_assert_int_eq(n, WIRE_RESPONSE_FIXED);
	struct wire_response out;
	ck_assert_int_eq(wire_parse_response(buf, (size_t)n, &out), n);
	ck_assert_int_eq(out.status, WIRE_BUSY);
	ck_assert_str_eq(wire_status_name(WIRE_BUSY), "BUSY");
	buf[5] = WIRE_TLS_REQUIRED + 1;
	ck_assert_int_eq(wire_parse_response(buf, (size_t)n, &out), WIRE_E_STATUS);
}
END_TEST

/* SPEC W-10: offset + length past 2^63-1 is refused. */
START_TEST(w10_request_sum_overflow)
{
	struct wire_request r = req(WIRE_OFF_MAX, 1, "");
	uint8_t buf[WIRE_FRAME_MAX];
	ck_assert_int_eq(wire_encode_request(&r, buf, sizeof buf), WIRE_E_RANGE);
	r = req(1, 1, "");
	ssize_t n = wire_encode_request(&r, buf, sizeof buf);
	put64(buf + 8, WIRE_OFF_MAX - 5);
	put64(buf + 16, 6);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n, &r), WIRE_E_RANGE);
	put64(buf + 16, 5);
	ck_assert_int_eq(wire_parse_request(buf, (size_t)n, &r), n);
}
END_TEST

/* SPEC W-13: encoders refuse what the parser refuses, and a too-small buffer. */
START_TEST(w13_encoders_refuse)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request rq = req(0, 0, "a//b");
	ck_assert_int_eq(wire_encode_request(&rq, buf, sizeof buf), WIRE_E_NAME);
	rq = req(0, 0, "");
	rq.flags = WIRE_FLAGS_ALL + 1;
	ck_assert_int_eq(wire_encode_request(&rq, buf, sizeof buf), WIRE_E_RESERVED);
	rq.flags = 0;
	ck_assert_int_eq(wire_encode_request(&rq, buf, 23), WIRE_NEED_MORE);
	struct wire_response rs = resp(WIRE_OK, 10, 0, 10, "");
	ck_assert_int_eq(wire_encode_response(&rs, buf, sizeof buf), WIRE_E_NAME);
	rs = resp(WIRE_TLS_REQUIRED + 1, 0, 0, 0, "");
	ck_assert_int_eq(wire_encode_response(&rs, buf, sizeof buf), WIRE_E_STATUS);
	rs = resp(WIRE_OK, 10, 5, 6, "x");
	ck_assert_int_eq(wire_encode_response(&rs, buf, sizeof buf), WIRE_E_RANGE);
	struct wire_ack a = {.status = 4};
	ck_assert_int_eq(wire_encode_ack(&a, buf, sizeof buf), WIRE_E_STATUS);
	a = (struct wire_ack){.received = WIRE_OFF_MAX + 1};
	ck_assert_int_eq(wire_encode_ack(&a, buf, sizeof buf), WIRE_E_RANGE);
	a.received = 0;
	ck_assert_int_eq(wire_encode_ack(&a, buf, 15), WIRE_NEED_MORE);
}
END_TEST

/* SPEC W-12: every proper prefix of every frame is "need more", and the whole
 * frame parses the same with trailing bytes after it. */
START_TEST(w12_need_more_every_split)
{
	enum wire_frame t = (enum wire_frame)_i;
	uint8_t buf[WIRE_FRAME_MAX + 16];
	size_t len = good_frame(t, buf);
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_eq(parse_any(t, buf, cut), WIRE_NEED_MORE);
	memset(buf + len, 0xee, 16);
	ck_assert_int_eq(parse_any(t, buf, len + 16), (ssize_t)len);
}
END_TEST

/* SPEC W-12: no parse reads past its input: each prefix ends at a PROT_NONE page. */
START_TEST(w12_guard_page)
{
	enum wire_frame t = (enum wire_frame)_i;
	uint8_t frame[WIRE_FRAME_MAX];
	size_t len = good_frame(t, frame);
	for (size_t cut = 0; cut <= len; cut++) {
		void *map;
		size_t maplen;
		uint8_t *p = tu_guarded(frame, cut, &map, &maplen);
		ssize_t r = parse_any(t, p, cut);
		ck_assert_int_eq(r, cut == len ? (ssize_t)len : WIRE_NEED_MORE);
		size_t fixed = wire_frame_size(t, p, 0);
		ck_assert_uint_eq(wire_frame_size(t, p, cut), cut < fixed ? fixed : len);
		tu_unguard(map, maplen);
	}
}
END_TEST

/* The guard itself must work: reading one byte past the copy must crash. */
START_TEST(w12_guard_page_traps)
{
	void *map;
	size_t maplen;
	volatile uint8_t *p = tu_guarded("abc", 3, &map, &maplen);
	(void)p[3];
}
END_TEST

/* SPEC W-12: frame_size is the fixed size until the header is complete. */
START_TEST(w12_frame_size)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = good_request(buf);
	ck_assert_uint_eq(wire_frame_size(WIRE_REQUEST, buf, 0), WIRE_REQUEST_FIXED);
	ck_assert_uint_eq(wire_frame_size(WIRE_REQUEST, buf, WIRE_REQUEST_FIXED - 1), WIRE_REQUEST_FIXED);
	ck_assert_uint_eq(wire_frame_size(WIRE_REQUEST, buf, WIRE_REQUEST_FIXED), len);
	ck_assert_uint_eq(wire_frame_size(WIRE_ACK, buf, 0), WIRE_ACK_SIZE);
	len = good_response(buf);
	ck_assert_uint_eq(wire_frame_size(WIRE_RESPONSE, buf, 31), WIRE_RESPONSE_FIXED);
	ck_assert_uint_eq(wire_frame_size(WIRE_RESPONSE, buf, len), len);
}
END_TEST

/* SPEC W-12: a failed parse leaves *out untouched. */
START_TEST(w12_out_untouched_on_error)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = good_request(buf);
	buf[0] = 'X';
	struct wire_request r, copy;
	memset(&r, 0x5a, sizeof r);
	copy = r;
	ck_assert_int_eq(wire_parse_request(buf, len, &r), WIRE_E_MAGIC);
	ck_assert_mem_eq(&r, &copy, sizeof r);
}
END_TEST

START_TEST(names_and_strings)
{
	ck_assert_str_eq(wire_status_name(WIRE_NOT_FOUND), "NOT_FOUND");
	ck_assert_str_eq(wire_status_name(99), "?");
	ck_assert_str_eq(wire_ack_status_name(WIRE_ACK_LOCAL_ERROR), "LOCAL_ERROR");
	ck_assert_str_eq(wire_ack_status_name(-1), "?");
	ck_assert_str_eq(wire_strerror(WIRE_E_VERSION), "unsupported version");
	ck_assert_str_eq(wire_strerror(-99), "unknown frame error");
}
END_TEST

struct answer_case {
	uint64_t q_off, q_len;  /* asked */
	const char *q_name;
	uint64_t size, off, len; /* answered */
	const char *name;
	int want;               /* 0 or the WIRE_E_* code */
};

static const struct answer_case answers[] = {
	{100, 10, "", 1000, 100, 10, "f", 0},
	{100, 10, "", 105, 100, 5, "f", 0},             /* fewer bytes left than asked */
	{100, 10, "", 100, 100, 0, "f", 0},             /* offset == size: empty range */
	{0, 0, "", 50, 0, 50, "f", 0},                  /* to the end */
	{0, 0, "", 0, 0, 0, "f", 0},
	{100, 10, "", 1000, 0, 10, "f", WIRE_E_RANGE},  /* another offset */
	{100, 10, "", 1000, 101, 10, "f", WIRE_E_RANGE},
	{100, 10, "", 1000, 100, 20, "f", WIRE_E_RANGE}, /* longer than asked */
	{100, 10, "", 1000, 100, 5, "f", WIRE_E_RANGE},  /* shorter than the file allows */
	{0, 0, "", 50, 0, 40, "f", WIRE_E_RANGE},        /* not to the end */
	{0, 0, "", 50, 0, 0, "f", WIRE_E_RANGE},
	{5, 0, "", 4, 4, 0, "f", WIRE_E_RANGE},          /* an offset past the end is BAD_RANGE */
	{0, 0, "data.bin", 9, 0, 9, "data.bin", 0},
	{0, 0, "data.bin", 9, 0, 9, "other.bin", WIRE_E_NAME}, /* SPEC R-13 */
	{0, 0, "data.bin", 9, 0, 9, "data.bi", WIRE_E_NAME},
};

/* SPEC R-11 R-13: a response OK answers the request or is a protocol error. */
START_TEST(r11_response_answers_request)
{
	const struct answer_case *c = &answers[_i];
	struct wire_request q = {.offset = c->q_off, .length = c->q_len,
				 .name_len = (uint16_t)strlen(c->q_name)};
	memcpy(q.name, c->q_name, q.name_len + 1);
	struct wire_response r = {.status = WIRE_OK, .file_size = c->size, .offset = c->off,
				  .length = c->len, .name_len = (uint16_t)strlen(c->name)};
	memcpy(r.name, c->name, r.name_len + 1);
	ck_assert_int_eq(wire_response_answers(&q, &r), c->want);
}
END_TEST

/* SPEC W-12: wire_parse() knows three frame types and no other; the encoders ask
 * for room rather than write past cap; every code has its words. */
START_TEST(w12_dispatch_room_and_words)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_request rq = {.offset = 5, .name_len = 3, .name = "abc"};
	ssize_t n = wire_encode_request(&rq, buf, sizeof buf);
	ck_assert_int_eq(n, WIRE_REQUEST_FIXED + 3);
	struct wire_request out;
	ck_assert_int_eq(wire_parse((enum wire_frame)7, buf, (size_t)n, &out), WIRE_E_MAGIC);
	ck_assert_int_eq(wire_encode_request(&rq, buf, WIRE_REQUEST_FIXED + 2), WIRE_NEED_MORE);
	ck_assert_str_eq(wire_strerror(WIRE_NEED_MORE), "incomplete frame");
	ck_assert_str_eq(wire_strerror(-99), "unknown frame error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("frames");
	tcase_add_test(tc, w2_request_layout);
	tcase_add_test(tc, w3_response_layout);
	tcase_add_test(tc, w4_ack_layout);
	tcase_add_loop_test(tc, w13_request_roundtrip, 0, 6 * 5 * 5);
	tcase_add_test(tc, w14_probe_flag_roundtrip);
	tcase_add_test(tc, w15_w17_ident_and_trailer_frames);
	tcase_add_loop_test(tc, w13_response_roundtrip, 0, 6 * 5);
	tcase_add_loop_test(tc, w13_ack_roundtrip, 0, 4 * 5);
	tcase_add_loop_test(tc, w5_invalid_fields, 0, (int)(sizeof corruptions / sizeof corruptions[0]));
	tcase_add_loop_test(tc, w8_dot_names, 0, 2);
	tcase_add_test(tc, w8_name_max);
	tcase_add_loop_test(tc, w8_relative_paths, 0, (int)(sizeof path_cases / sizeof path_cases[0]));
	tcase_add_test(tc, w8_component_limits);
	tcase_add_test(tc, w9_busy_status);
	tcase_add_test(tc, w10_request_sum_overflow);
	tcase_add_test(tc, w13_encoders_refuse);
	tcase_add_loop_test(tc, w12_need_more_every_split, 0, 3);
	tcase_add_loop_test(tc, w12_guard_page, 0, 3);
	tcase_add_test_raise_signal(tc, w12_guard_page_traps, SIGSEGV);
	tcase_add_test(tc, w12_frame_size);
	tcase_add_test(tc, w12_out_untouched_on_error);
	tcase_add_test(tc, names_and_strings);
	tcase_add_test(tc, w12_dispatch_room_and_words);
	tcase_add_loop_test(tc, r11_response_answers_request, 0, (int)(sizeof answers / sizeof answers[0]));
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
