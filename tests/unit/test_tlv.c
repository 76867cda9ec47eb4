/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal/tlv.h: BER-TLV as FCIs use it, including hostile lengths. */
#include "tlv.h"

#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_simple(void)
{
	uint8_t b[16];
	size_t n = check_hex("84 02 A0 00 87 01 02 50 00", b, sizeof(b)), pos = 0;
	struct tlv t;

	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0x84);
	CHECK_INT(t.len, 2);
	CHECK(t.value == b + 2, "value points into the buffer");
	CHECK_INT(pos, 4);
	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0x87);
	CHECK_INT(t.len, 1);
	CHECK_INT(t.value[0], 0x02);
	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0x50);
	CHECK_INT(t.len, 0);
	CHECK_INT(pos, n);
	CHECK_INT(tlv_next(b, n, &pos, &t), -ENODATA);
	CHECK_INT(pos, n);
	pos = 0;
	CHECK_INT(tlv_next(b, 0, &pos, &t), -ENODATA);
}

static void test_two_byte_tags(void)
{
	uint8_t b[16];
	size_t n = check_hex("9F08 01 02 BF0C 02 61 00 5F2D 00", b, sizeof(b)), pos = 0;
	struct tlv t;

	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0x9F08);
	CHECK_INT(t.len, 1);
	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0xBF0C);
	CHECK_INT(t.len, 2);
	CHECK_INT(tlv_next(b, n, &pos, &t), 0);
	CHECK_INT(t.tag, 0x5F2D);
	CHECK_INT(tlv_find(b, n, 0xBF0C, &t), 0);
	CHECK_INT(t.value[0], 0x61);
	CHECK_INT(tlv_find(b, n, 0x9F0C, &t), -ENOENT);
	CHECK_INT(tlv_find(b, n, 0xBF, &t), -ENOENT); /* a 2-byte tag is not its first byte */

	/* tag cut after its first byte; three-byte tags are not used by cards */
	n = check_hex("9F", b, sizeof(b));
	pos = 0;
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	CHECK_INT(pos, 0);
	n = check_hex("9F 81 01 01 00", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("9F0C", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
}

static void test_lengths(void)
{
	uint8_t b[300];
	size_t n, pos;
	struct tlv t;

	/* 0x81 long form */
	memset(b, 0x5A, sizeof(b));
	b[0] = 0x9F;
	b[1] = 0x0C;
	b[2] = 0x81;
	b[3] = 200;
	pos = 0;
	CHECK_INT(tlv_next(b, 4 + 200, &pos, &t), 0);
	CHECK_INT(t.tag, 0x9F0C);
	CHECK_INT(t.len, 200);
	CHECK(t.value == b + 4, "long-form value offset");
	CHECK_INT(pos, 204);
	pos = 0;
	CHECK_INT(tlv_next(b, 4 + 199, &pos, &t), -EBADMSG); /* one short */
	CHECK_INT(pos, 0);
	b[3] = 0x30; /* non-minimal but well defined */
	pos = 0;
	CHECK_INT(tlv_next(b, 4 + 0x30, &pos, &t), 0);
	CHECK_INT(t.len, 0x30);

	/* 0x81 with nothing after it, 0x82 and longer, 0x80 indefinite */
	n = check_hex("84 81", b, sizeof(b));
	pos = 0;
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84 82 00 01 00", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84 80 00 00", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84 FF", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);

	/* lengths running past the buffer */
	n = check_hex("84 05 01 02 03 04", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84 7F 01", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84", b, sizeof(b));
	CHECK_INT(tlv_next(b, n, &pos, &t), -EBADMSG);
	n = check_hex("84 01 AA 87 02 01", b, sizeof(b));
	CHECK_INT(tlv_find(b, n, 0x84, &t), 0);
	CHECK_INT(tlv_find(b, n, 0x87, &t), -EBADMSG);
	CHECK_INT(tlv_find(b, n, 0x50, &t), -EBADMSG);
}

static void test_nested(void)
{
	uint8_t b[64];
	size_t n =
	    check_hex("6F 10 84 02 A0 00 A5 0A 9F08 01 02 BF0C 03 61 01 00 90 00", b, sizeof(b));
	struct tlv t6f, ta5, t, inner;

	CHECK_INT(tlv_find(b, 18, 0x6F, &t6f), 0);
	CHECK_INT(t6f.len, 16);
	CHECK_INT(tlv_find(t6f.value, t6f.len, 0xA5, &ta5), 0);
	CHECK_INT(ta5.len, 10);
	CHECK_INT(tlv_find(ta5.value, ta5.len, 0x9F08, &t), 0);
	CHECK_INT(t.value[0], 0x02);
	CHECK_INT(tlv_find(ta5.value, ta5.len, 0xBF0C, &t), 0);
	CHECK_INT(tlv_find(t.value, t.len, 0x61, &inner), 0);
	CHECK_INT(inner.len, 1);
	/* inner tags are not seen from the outer level */
	CHECK_INT(tlv_find(b, 18, 0x9F08, &t), -ENOENT);
	CHECK_INT(tlv_find(b, 18, 0xA5, &t), -ENOENT);
	/* the trailing 9000 read as TLV is a tag 90 of length 0 */
	CHECK_INT(tlv_find(b, n, 0x90, &t), 0);
	CHECK_INT(t.len, 0);

	/* an inner length larger than its parent's value */
	n = check_hex("6F 06 A5 05 9F08 01 02 00 00", b, sizeof(b));
	CHECK_INT(tlv_find(b, n, 0x6F, &t6f), 0);
	CHECK_INT(tlv_find(t6f.value, t6f.len, 0xA5, &ta5), -EBADMSG);
}

/* random bytes: tlv_next either fails or returns a value inside the buffer
 * and moves forward (exact-size heap copies so ASan sees any over-read) */
static void test_random(void)
{
	uint64_t seed = 20261121;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(check_rand(&seed) % 300), pos = 0, last = 0;
		uint8_t *buf = malloc(len ? len : 1);
		struct tlv t;
		int r, steps = 0;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)check_rand(&seed);
		if (len && iter % 2)
			buf[0] = (uint8_t)(iter % 3 ? 0x6F : 0x9F);
		while ((r = tlv_next(buf, len, &pos, &t)) == 0) {
			if (t.value < buf || t.value + t.len > buf + len || pos <= last ||
			    pos > len) {
				CHECK(0, "iteration %d: bad TLV at %zu", iter, last);
				break;
			}
			last = pos;
			steps++;
		}
		CHECK(r == 0 || r == -ENODATA || r == -EBADMSG, "iteration %d: %d", iter, r);
		CHECK(steps <= 150, "iteration %d: %d elements", iter, steps);
		for (uint16_t tag = 0; tag < 4; tag++) {
			uint16_t tags[] = { 0x6F, 0xA5, 0x9F0C, 0xBF0C };

			r = tlv_find(buf, len, tags[tag], &t);
			CHECK(r == 0 || r == -ENOENT || r == -EBADMSG, "find: %d", r);
			if (r == 0)
				CHECK(t.value >= buf && t.value + t.len <= buf + len,
				      "find bounds");
		}
		free(buf);
	}
}

int main(void)
{
	test_simple();
	test_two_byte_tags();
	test_lengths();
	test_nested();
	test_random();
	return check_result();
}
