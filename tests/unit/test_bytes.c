/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal/base/bytes.h: big-endian, BCD, hex and China Standard Time. */
#include "bytes.h"

#include "check.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void test_be(void)
{
	const uint8_t in[4] = { 0x12, 0x34, 0x56, 0x78 };
	uint8_t out[4] = { 0 };

	CHECK_INT(ykt_be16(in), 0x1234);
	CHECK_INT(ykt_be24(in), 0x123456);
	CHECK_INT(ykt_be32(in), 0x12345678);
	ykt_put_be32(out, 0x85C);
	CHECK_HEX(out, 4, "0000085C");
	ykt_put_be24(out, 0xABCDEF);
	CHECK_HEX(out, 3, "ABCDEF");
	ykt_put_be16(out, 0xF00D);
	CHECK_HEX(out, 2, "F00D");
	ykt_put_be32(out, 0xFFFFFFFF);
	CHECK_INT(ykt_be32(out), 0xFFFFFFFFu);
}

static void test_bcd_valid(void)
{
	const uint8_t good[] = { 0x00, 0x09, 0x90, 0x99, 0x12 };
	const uint8_t bad_hi[] = { 0x12, 0xA0 };
	const uint8_t bad_lo[] = { 0x12, 0x0F };

	CHECK(ykt_bcd_valid(good, sizeof(good)), "decimal nibbles");
	CHECK(!ykt_bcd_valid(bad_hi, sizeof(bad_hi)), "high nibble A");
	CHECK(!ykt_bcd_valid(bad_lo, sizeof(bad_lo)), "low nibble F");
	CHECK(ykt_bcd_valid(bad_hi, 1), "only the first byte looked at");
	CHECK(ykt_bcd_valid(NULL, 0), "empty is valid");
}

static void test_bcd_decode(void)
{
	uint8_t b[10];
	uint64_t v = 42;

	check_hex("20261121", b, sizeof(b));
	CHECK_INT(ykt_bcd_decode(b, 4, &v), 0);
	CHECK_INT(v, 20261121);
	check_hex("999999999999999999", b, sizeof(b));
	CHECK_INT(ykt_bcd_decode(b, 9, &v), 0);
	CHECK(v == 999999999999999999ULL, "18 digits: %llu", (unsigned long long)v);
	check_hex("00000000000000000001", b, sizeof(b));
	v = 42;
	CHECK_INT(ykt_bcd_decode(b, 10, &v), -EINVAL);
	CHECK_INT(v, 42);
	check_hex("1A", b, sizeof(b));
	CHECK_INT(ykt_bcd_decode(b, 1, &v), -EINVAL);
	CHECK_INT(v, 42);
	CHECK_INT(ykt_bcd_decode(b, 0, &v), 0);
	CHECK_INT(v, 0);
}

static void test_bcd_encode(void)
{
	uint8_t b[9];

	CHECK_INT(ykt_bcd_encode(1234, b, 2), 0);
	CHECK_HEX(b, 2, "1234");
	CHECK_INT(ykt_bcd_encode(7, b, 3), 0);
	CHECK_HEX(b, 3, "000007");
	CHECK_INT(ykt_bcd_encode(0, b, 4), 0);
	CHECK_HEX(b, 4, "00000000");
	CHECK_INT(ykt_bcd_encode(9999, b, 2), 0);
	CHECK_HEX(b, 2, "9999");
	CHECK_INT(ykt_bcd_encode(10000, b, 2), -ERANGE);
	CHECK_INT(ykt_bcd_encode(12345, b, 2), -ERANGE);
	CHECK_INT(ykt_bcd_encode(1, b, 0), -ERANGE);
	CHECK_INT(ykt_bcd_encode(0, b, 0), 0);
	CHECK_INT(ykt_bcd_encode(999999999999999999ULL, b, 9), 0);
	CHECK_HEX(b, 9, "999999999999999999");

	/* encode then decode is the identity over a spread of values */
	for (uint64_t x = 0; x < 100000000; x = x * 3 + 7) {
		uint64_t back = 0;

		CHECK_INT(ykt_bcd_encode(x, b, 5), 0);
		CHECK(ykt_bcd_valid(b, 5), "encoded %llu", (unsigned long long)x);
		CHECK_INT(ykt_bcd_decode(b, 5, &back), 0);
		CHECK(back == x, "round trip %llu -> %llu", (unsigned long long)x,
		      (unsigned long long)back);
	}
}

static void test_hex_encode(void)
{
	const uint8_t b[] = { 0x00, 0xA0, 0x0F, 0xFF, 0x5A };
	char out[11];

	CHECK_INT(ykt_hex_encode(b, 5, out, sizeof(out)), 10);
	CHECK(strcmp(out, "00A00FFF5A") == 0, "got %s", out);
	CHECK_INT(ykt_hex_encode(b, 5, out, 10), -ENOSPC);
	CHECK_INT(ykt_hex_encode(b, 0, out, 1), 0);
	CHECK(out[0] == '\0', "empty string");
	CHECK_INT(ykt_hex_encode(b, 0, out, 0), -ENOSPC);
}

static void test_hex_decode(void)
{
	uint8_t b[8];

	memset(b, 0xEE, sizeof(b));
	CHECK_INT(ykt_hex_decode("0a1B", b, 2), 0);
	CHECK_HEX(b, 2, "0A1B");
	CHECK_INT(ykt_hex_decode("A0 00 00 06", b, 4), 0);
	CHECK_HEX(b, 4, "A0000006");
	CHECK_INT(ykt_hex_decode("  A0  00 ", b, 2), 0);
	CHECK_HEX(b, 2, "A000");
	CHECK_INT(ykt_hex_decode("", b, 0), 0);

	CHECK_INT(ykt_hex_decode("001122", b, 2), -EINVAL); /* too long */
	CHECK_INT(ykt_hex_decode("0011", b, 3), -EINVAL);   /* too short */
	CHECK_INT(ykt_hex_decode("001", b, 2), -EINVAL);    /* odd digits */
	CHECK_INT(ykt_hex_decode("0G", b, 1), -EINVAL);
	CHECK_INT(ykt_hex_decode("0 0", b, 1), -EINVAL); /* space inside a byte */
	CHECK_INT(ykt_hex_decode("0x10", b, 2), -EINVAL);
	CHECK_INT(ykt_hex_decode("00-11", b, 2), -EINVAL);
	CHECK_INT(ykt_hex_decode("\t0011", b, 2), -EINVAL);
	CHECK_INT(ykt_hex_decode("00", b, 300), -EINVAL);
}

static void test_hex_decode_var(void)
{
	uint8_t b[4];

	CHECK_INT(ykt_hex_decode_var("", b, sizeof(b)), 0);
	CHECK_INT(ykt_hex_decode_var("   ", b, sizeof(b)), 0);
	CHECK_INT(ykt_hex_decode_var("DEAD beef", b, sizeof(b)), 4);
	CHECK_HEX(b, 4, "DEADBEEF");
	CHECK_INT(ykt_hex_decode_var("0011223344", b, sizeof(b)), -ENOSPC);
	CHECK_INT(ykt_hex_decode_var("00112", b, sizeof(b)), -EINVAL);
	CHECK_INT(ykt_hex_decode_var("zz", b, sizeof(b)), -EINVAL);
	CHECK_INT(ykt_hex_decode_var("00", b, 0), -ENOSPC);
}

static struct ykt_cst cst(int y, int mo, int d, int h, int mi, int s)
{
	return (struct ykt_cst){ y, mo, d, h, mi, s };
}

#define CHECK_CST(t, y, mo, d, h, mi, s)                                                           \
	CHECK((t).year == (y) && (t).month == (mo) && (t).day == (d) && (t).hour == (h) &&         \
		  (t).minute == (mi) && (t).second == (s),                                         \
	      "got %04d-%02d-%02d %02d:%02d:%02d", (t).year, (t).month, (t).day, (t).hour,         \
	      (t).minute, (t).second)

static void test_cst_known(void)
{
	struct ykt_cst t, u;

	ykt_cst_from_unix(0, &t);
	CHECK_CST(t, 1970, 1, 1, 8, 0, 0);
	ykt_cst_from_unix(-28800, &t);
	CHECK_CST(t, 1970, 1, 1, 0, 0, 0);
	ykt_cst_from_unix(-28801, &t);
	CHECK_CST(t, 1969, 12, 31, 23, 59, 59);

	u = cst(2000, 2, 29, 0, 0, 0);
	CHECK_INT(ykt_cst_to_unix(&u), 951753600);
	ykt_cst_from_unix(951753600, &t);
	CHECK_CST(t, 2000, 2, 29, 0, 0, 0);
	ykt_cst_from_unix(951753600 - 1, &t);
	CHECK_CST(t, 2000, 2, 28, 23, 59, 59);
	ykt_cst_from_unix(951753600 + 86400, &t);
	CHECK_CST(t, 2000, 3, 1, 0, 0, 0);

	/* the Shanghai 1E sample's time, and the demo clock */
	u = cst(2020, 12, 27, 14, 4, 56);
	CHECK_INT(ykt_cst_to_unix(&u), 1609049096);
	u = cst(2026, 11, 21, 7, 30, 0);
	CHECK_INT(ykt_cst_to_unix(&u), 1795217400);
	u = cst(2024, 2, 29, 12, 0, 0);
	CHECK_INT(ykt_cst_to_unix(&u), 1709179200);
	u = cst(1900, 1, 1, 0, 0, 0);
	CHECK_INT(ykt_cst_to_unix(&u), -2209017600LL);
	u = cst(2100, 2, 28, 23, 59, 59);
	CHECK_INT(ykt_cst_to_unix(&u), 4107513599LL);
	ykt_cst_from_unix(4107513599LL + 1, &t);
	CHECK_CST(t, 2100, 3, 1, 0, 0, 0); /* 2100 is not a leap year */
}

/* gmtime_r() of unix + 8 h is an independent oracle for UTC+8 */
static void test_cst_sweep(void)
{
	const int64_t from = -2209017600LL, to = 7258089600LL; /* 1900 .. 2200 */
	int bad = 0;

	for (int64_t s = from; s < to && bad < 10; s += 86400 * 3 + 3607) {
		int64_t offsets[] = { 0, -1, 1 };

		for (size_t i = 0; i < 3; i++) {
			int64_t x = s + offsets[i];
			time_t shifted = (time_t)(x + 8 * 3600);
			struct tm tm;
			struct ykt_cst t;

			ykt_cst_from_unix(x, &t);
			gmtime_r(&shifted, &tm);
			if (t.year != tm.tm_year + 1900 || t.month != tm.tm_mon + 1 ||
			    t.day != tm.tm_mday || t.hour != tm.tm_hour || t.minute != tm.tm_min ||
			    t.second != tm.tm_sec || ykt_cst_to_unix(&t) != x) {
				CHECK(0, "unix %lld -> %04d-%02d-%02d %02d:%02d:%02d", (long long)x,
				      t.year, t.month, t.day, t.hour, t.minute, t.second);
				bad++;
			}
		}
	}
}

/* every leap day from 1904 to 2096 and the century years around them */
static void test_cst_leap_days(void)
{
	for (int y = 1900; y <= 2400; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		struct ykt_cst feb28 = cst(y, 2, 28, 23, 59, 59), t;

		ykt_cst_from_unix(ykt_cst_to_unix(&feb28) + 1, &t);
		if (leap)
			CHECK(t.month == 2 && t.day == 29, "%d: day after 28 Feb is %d-%d", y,
			      t.month, t.day);
		else
			CHECK(t.month == 3 && t.day == 1, "%d: day after 28 Feb is %d-%d", y,
			      t.month, t.day);
		CHECK(t.hour == 0 && t.minute == 0 && t.second == 0, "%d: midnight", y);
	}
}

static void test_bcd7(void)
{
	struct ykt_cst t = cst(2020, 12, 27, 14, 4, 56), back;
	uint8_t b[7];

	ykt_cst_to_bcd7(&t, b);
	CHECK_HEX(b, 7, "20201227140456");
	CHECK_INT(ykt_cst_from_bcd7(b, &back), 0);
	CHECK_CST(back, 2020, 12, 27, 14, 4, 56);

	check_hex("20000229000000", b, 7);
	CHECK_INT(ykt_cst_from_bcd7(b, &back), 0);
	CHECK_CST(back, 2000, 2, 29, 0, 0, 0);
	check_hex("20120229135100", b, 7); /* §5.6 purchase vector */
	CHECK_INT(ykt_cst_from_bcd7(b, &back), 0);
	check_hex("20261231235959", b, 7);
	CHECK_INT(ykt_cst_from_bcd7(b, &back), 0);
	CHECK_CST(back, 2026, 12, 31, 23, 59, 59);

	static const char *const bad[] = {
		"20261332000000",		    /* month 13 */
		"20260001000000",		    /* month 0 */
		"20261100000000",		    /* day 0 */
		"20261132000000",		    /* day 32 */
		"20261131000000",		    /* 31 November */
		"20260229000000",		    /* not a leap year */
		"19000229000000",		    /* century, not a leap year */
		"21000229000000", "20261121240000", /* hour 24 */
		"20261121236000",		    /* minute 60 */
		"20261121235960",		    /* second 60 */
		"2026112123595A",		    /* non-decimal nibble */
		"2A261121000000", "FFFFFFFFFFFFFF",
		"00000000000000", /* the empty record's time is not a time */
		"18991231235959", /* before 1900 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back = cst(1, 1, 1, 1, 1, 1);
		check_hex(bad[i], b, 7);
		CHECK(ykt_cst_from_bcd7(b, &back) == -EINVAL, "%s accepted", bad[i]);
		CHECK(back.year == 1 && back.second == 1, "%s: output written on error", bad[i]);
	}

	/* every CST second that gmtime can give round-trips through BCD */
	for (int64_t s = 946684800; s < 4102444800LL; s += 86400 * 5 + 3599) {
		struct ykt_cst a;

		ykt_cst_from_unix(s, &a);
		ykt_cst_to_bcd7(&a, b);
		CHECK(ykt_cst_from_bcd7(b, &back) == 0 && ykt_cst_to_unix(&back) == s,
		      "bcd7 round trip of %lld", (long long)s);
	}
}

static void test_bcd_date(void)
{
	uint8_t b[4];
	uint32_t d = 7;

	check_hex("20261121", b, 4);
	CHECK_INT(ykt_bcd_date(b, &d), 0);
	CHECK_INT(d, 20261121);
	check_hex("20000229", b, 4);
	CHECK_INT(ykt_bcd_date(b, &d), 0);
	CHECK_INT(d, 20000229);
	check_hex("20991231", b, 4);
	CHECK_INT(ykt_bcd_date(b, &d), 0);

	static const char *const bad[] = { "20261332", "20260230", "20260229", "19000229",
					   "00000000", "FFFFFFFF", "2026112A", "20261100",
					   "20260001", "20260431" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 7;
		check_hex(bad[i], b, 4);
		CHECK(ykt_bcd_date(b, &d) == -EINVAL, "%s accepted", bad[i]);
		CHECK_INT(d, 7);
	}
}

int main(void)
{
	test_be();
	test_bcd_valid();
	test_bcd_decode();
	test_bcd_encode();
	test_hex_encode();
	test_hex_decode();
	test_hex_decode_var();
	test_cst_known();
	test_cst_sweep();
	test_cst_leap_days();
	test_bcd7();
	test_bcd_date();
	return check_result();
}
