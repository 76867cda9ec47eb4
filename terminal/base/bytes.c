/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bytes.h"

#include <ctype.h>
#include <errno.h>

#define CST_OFFSET_S (8 * 3600)

bool ykt_bcd_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] >> 4) > 9 || (p[i] & 0x0f) > 9)
			return false;
	return true;
}

int ykt_bcd_decode(const uint8_t *p, size_t n, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (n > 9 || !ykt_bcd_valid(p, n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		v = v * 100 + (uint64_t)(p[i] >> 4) * 10 + (p[i] & 0x0f);
	*ret_value = v;
	return 0;
}

int ykt_bcd_encode(uint64_t value, uint8_t *p, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		p[i] = (uint8_t)((value % 10) | ((value / 10 % 10) << 4));
		value /= 100;
	}
	return value ? -ERANGE : 0;
}

int ykt_hex_encode(const uint8_t *p, size_t n, char *out, size_t out_cap)
{
	static const char digits[] = "0123456789ABCDEF";

	if (out_cap < 2 * n + 1)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
	return (int)(2 * n);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)toupper((unsigned char)c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ykt_hex_decode_var(const char *text, uint8_t *out, size_t out_cap)
{
	size_t n = 0;

	while (*text) {
		int hi, lo;

		if (*text == ' ') {
			text++;
			continue;
		}
		hi = hex_nibble(text[0]);
		lo = hi < 0 ? -1 : hex_nibble(text[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (n == out_cap)
			return -ENOSPC;
		out[n++] = (uint8_t)(hi << 4 | lo);
		text += 2;
	}
	return (int)n;
}

int ykt_hex_decode(const char *text, uint8_t *out, size_t n)
{
	uint8_t tmp[256];
	int len;

	if (n > sizeof(tmp))
		return -EINVAL;
	len = ykt_hex_decode_var(text, tmp, n + 1 <= sizeof(tmp) ? n + 1 : n);
	if (len < 0 || (size_t)len != n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[i];
	return 0;
}

/* days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
 * civil-from-days inverse), so no time zone or libc state is involved */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void ykt_cst_from_unix(int64_t unix_s, struct ykt_cst *ret)
{
	int64_t local = unix_s + CST_OFFSET_S;
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t secs = local - days * 86400;

	civil_from_days(days, &ret->year, &ret->month, &ret->day);
	ret->hour = (int)(secs / 3600);
	ret->minute = (int)(secs / 60 % 60);
	ret->second = (int)(secs % 60);
}

int64_t ykt_cst_to_unix(const struct ykt_cst *t)
{
	return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
	       t->minute * 60 + t->second - CST_OFFSET_S;
}

void ykt_cst_to_bcd7(const struct ykt_cst *t, uint8_t out[7])
{
	ykt_bcd_encode((uint64_t)t->year, out, 2);
	ykt_bcd_encode((uint64_t)t->month, out + 2, 1);
	ykt_bcd_encode((uint64_t)t->day, out + 3, 1);
	ykt_bcd_encode((uint64_t)t->hour, out + 4, 1);
	ykt_bcd_encode((uint64_t)t->minute, out + 5, 1);
	ykt_bcd_encode((uint64_t)t->second, out + 6, 1);
}

static bool date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return true;
}

int ykt_cst_from_bcd7(const uint8_t in[7], struct ykt_cst *ret)
{
	uint64_t y, mo, d, h, mi, s;

	if (ykt_bcd_decode(in, 2, &y) || ykt_bcd_decode(in + 2, 1, &mo) ||
	    ykt_bcd_decode(in + 3, 1, &d) || ykt_bcd_decode(in + 4, 1, &h) ||
	    ykt_bcd_decode(in + 5, 1, &mi) || ykt_bcd_decode(in + 6, 1, &s))
		return -EINVAL;
	if (!date_valid((int)y, (int)mo, (int)d) || h > 23 || mi > 59 || s > 59)
		return -EINVAL;
	*ret = (struct ykt_cst){ (int)y, (int)mo, (int)d, (int)h, (int)mi, (int)s };
	return 0;
}

int ykt_bcd_date(const uint8_t in[4], uint32_t *ret_yyyymmdd)
{
	uint64_t v;

	if (ykt_bcd_decode(in, 4, &v))
		return -EINVAL;
	if (!date_valid((int)(v / 10000), (int)(v / 100 % 100), (int)(v % 100)))
		return -EINVAL;
	*ret_yyyymmdd = (uint32_t)v;
	return 0;
}
