/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Byte-level helpers for card and PSAM data: big-endian integers, BCD,
 * hex text, and the China Standard Time date-time that feeds MAC1, DEBIT,
 * the TAC and the record.
 */
#ifndef YKT_BYTES_H
#define YKT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline uint16_t ykt_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ykt_be24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static inline uint32_t ykt_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void ykt_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ykt_put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void ykt_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* true when every nibble of the n bytes is 0..9 */
bool ykt_bcd_valid(const uint8_t *p, size_t n);

/* Decode n BCD bytes (at most 9) into ret_value. -EINVAL on a non-decimal
 * nibble. */
int ykt_bcd_decode(const uint8_t *p, size_t n, uint64_t *ret_value);

/* Encode value into n BCD bytes, most significant first. -ERANGE if it does
 * not fit. */
int ykt_bcd_encode(uint64_t value, uint8_t *p, size_t n);

/* Upper-case hex of n bytes into out (capacity out_cap, needs 2n+1).
 * Returns the string length or -ENOSPC. */
int ykt_hex_encode(const uint8_t *p, size_t n, char *out, size_t out_cap);

/* Parse exactly n bytes of hex text (spaces allowed between bytes).
 * -EINVAL on odd digits, a non-hex character, or a length other than n. */
int ykt_hex_decode(const char *text, uint8_t *out, size_t n);

/* Parse hex text of any length up to out_cap bytes; returns the byte count or
 * -EINVAL / -ENOSPC. */
int ykt_hex_decode_var(const char *text, uint8_t *out, size_t out_cap);

/* China Standard Time (UTC+8) broken-down date-time, whatever the system zone. */
struct ykt_cst {
	int year, month, day, hour, minute, second;
};

void ykt_cst_from_unix(int64_t unix_s, struct ykt_cst *ret);
int64_t ykt_cst_to_unix(const struct ykt_cst *t);
/* 7 BCD bytes YYYYMMDDhhmmss */
void ykt_cst_to_bcd7(const struct ykt_cst *t, uint8_t out[7]);
/* Parse YYYYMMDDhhmmss BCD, checking every field's range. -EINVAL otherwise. */
int ykt_cst_from_bcd7(const uint8_t in[7], struct ykt_cst *ret);
/* 4 BCD bytes YYYYMMDD as the integer 20261121; -EINVAL unless a real date. */
int ykt_bcd_date(const uint8_t in[4], uint32_t *ret_yyyymmdd);

#endif
