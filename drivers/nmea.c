/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NMEA 0183 positions: $--RMC and $--GGA, any talker (GP, GN, BD, GL).
 *
 *   $GPRMC,hhmmss.ss,A,ddmm.mmmm,N,dddmm.mmmm,E,speed,course,ddmmyy,,,A*hh
 *   $GPGGA,hhmmss.ss,ddmm.mmmm,N,dddmm.mmmm,E,q,sats,hdop,alt,M,,M,,*hh
 *
 * The checksum (XOR of the characters between '$' and '*', two hex
 * digits) is required.  A receiver without a fix sends empty position
 * fields with status V (RMC) or quality 0 (GGA): that is a valid sentence
 * saying "no fix", not an error.
 */
#include "stop.h"

#include <errno.h>
#include <string.h>

#define NMEA_MAX_FIELDS 20
#define NMEA_MAX_LEN	128 /* the standard says 82; some receivers send more */

struct field {
	const char *p;
	size_t n;
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The body between '$' and '*' after the checksum is checked. */
static int body_of(const char *line, size_t len, const char **ret, size_t *ret_len)
{
	const char *star;
	unsigned sum = 0;
	int hi, lo;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < 4 || len > NMEA_MAX_LEN || line[0] != '$')
		return -EBADMSG;
	star = memchr(line, '*', len);
	if (!star || (size_t)(star - line) + 3 != len)
		return -EBADMSG;
	for (const char *c = line + 1; c < star; c++) {
		if (*c < 0x20 || *c > 0x7E)
			return -EBADMSG;
		sum ^= (unsigned char)*c;
	}
	hi = hex_digit(star[1]);
	lo = hex_digit(star[2]);
	if (hi < 0 || lo < 0 || (unsigned)(hi << 4 | lo) != sum)
		return -EBADMSG;
	*ret = line + 1;
	*ret_len = (size_t)(star - line) - 1;
	return 0;
}

static size_t split(const char *body, size_t len, struct field *f, size_t max)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len && n < max; i++) {
		if (i == len || body[i] == ',') {
			f[n].p = body + start;
			f[n].n = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* ddmm.mmmm (deg_digits 2) or dddmm.mmmm (3) and a hemisphere letter into
 * degrees x 10^6. */
static int coordinate(const struct field *v, const struct field *hemi, size_t deg_digits,
		      char positive, char negative, int32_t *ret)
{
	int64_t deg = 0, min_micro = 0, scale = 1000000;
	size_t i;

	if (v->n < deg_digits + 2 || hemi->n != 1)
		return -EBADMSG;
	for (i = 0; i < deg_digits + 2; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -EBADMSG;
		if (i < deg_digits)
			deg = deg * 10 + (v->p[i] - '0');
		else
			min_micro = min_micro * 10 + (v->p[i] - '0');
	}
	min_micro *= 1000000;
	if (i < v->n && v->p[i++] != '.')
		return -EBADMSG;
	for (; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -EBADMSG;
		scale /= 10;
		min_micro += (v->p[i] - '0') * scale; /* digits past the 6th count for 0 */
	}
	if (min_micro >= 60 * INT64_C(1000000) || deg > (deg_digits == 2 ? 90 : 180))
		return -EBADMSG;
	deg = deg * 1000000 + min_micro / 60;
	if (deg > (deg_digits == 2 ? 90000000 : 180000000))
		return -EBADMSG;
	if (hemi->p[0] != positive && hemi->p[0] != negative)
		return -EBADMSG;
	*ret = (int32_t)(hemi->p[0] == negative ? -deg : deg);
	return 0;
}

static int position(const struct field *f, struct nmea_fix *ret)
{
	int r = coordinate(&f[0], &f[1], 2, 'N', 'S', &ret->lat_e6);

	return r < 0 ? r : coordinate(&f[2], &f[3], 3, 'E', 'W', &ret->lon_e6);
}

int nmea_parse(const char *line, size_t len, struct nmea_fix *ret)
{
	struct field f[NMEA_MAX_FIELDS];
	struct nmea_fix fix = { 0 };
	const char *body;
	size_t body_len, n;
	int r = body_of(line, len, &body, &body_len);

	if (r < 0)
		return r;
	n = split(body, body_len, f, NMEA_MAX_FIELDS);
	if (f[0].n != 5)
		return -EBADMSG;
	if (memcmp(f[0].p + 2, "RMC", 3) == 0) {
		if (n < 7 || f[2].n != 1 || (f[2].p[0] != 'A' && f[2].p[0] != 'V'))
			return -EBADMSG;
		fix.valid = f[2].p[0] == 'A';
		r = fix.valid ? position(&f[3], &fix) : 0;
	} else if (memcmp(f[0].p + 2, "GGA", 3) == 0) {
		if (n < 7 || f[6].n != 1 || f[6].p[0] < '0' || f[6].p[0] > '9')
			return -EBADMSG;
		fix.valid = f[6].p[0] != '0';
		r = fix.valid ? position(&f[2], &fix) : 0;
	} else {
		return -ENOMSG;
	}
	if (r < 0)
		return r;
	*ret = fix;
	return 0;
}
