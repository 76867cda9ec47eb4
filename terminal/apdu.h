/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ISO 7816-4 command and response APDUs (short form), built through a struct
 * and parsed with every length checked, and the status words that matter to
 * a T-Union validator, named.
 */
#ifndef YKT_APDU_H
#define YKT_APDU_H

#include <stddef.h>
#include <stdint.h>

#define APDU_MAX_DATA 255
#define APDU_MAX_CMD  (5 + APDU_MAX_DATA + 1)
#define APDU_MAX_RESP (256 + 2)

/* Named status words (reference/jtt978.md §3.1) */
enum apdu_sw {
	SW_OK = 0x9000,
	SW_WRONG_LENGTH = 0x6700,
	SW_FILE_INVALIDATED = 0x6283, /* application temporarily blocked */
	SW_FCI_FORMAT = 0x6284,	      /* treated as blocked */
	SW_STATE_NOT_MATCHED = 0x6901,
	SW_SECURITY_STATUS = 0x6982,
	SW_CONDITIONS = 0x6985,
	SW_FUNC_NOT_SUPPORTED = 0x6A81, /* also: application locked */
	SW_FILE_NOT_FOUND = 0x6A82,
	SW_RECORD_NOT_FOUND = 0x6A83,
	SW_WRONG_P1P2 = 0x6A86,
	SW_MAC_INVALID = 0x9302,
	SW_APP_LOCKED = 0x9303,
	SW_INSUFFICIENT = 0x9401,
	SW_ATC_MAX = 0x9402,
	SW_KEY_INDEX = 0x9403,
	SW_NO_MAC = 0x9406,
};

#define SW1_MORE_DATA 0x61 /* T=0: GET RESPONSE with Le = SW2 */
#define SW1_WRONG_LE  0x6C /* re-issue with Le = SW2 */

struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc; /* 0..255 */
	int le;	   /* -1: no Le; 0..256 (256 encoded as 00) */
};

struct rapdu {
	uint8_t data[256];
	size_t len;
	uint16_t sw;
};

/* Serialise; -EINVAL for out-of-range lengths, -ENOSPC when cap is short. */
int apdu_encode(const struct apdu *a, uint8_t *out, size_t cap, size_t *ret_len);

/* Split a raw answer into data and status word. -EBADMSG if shorter than 2
 * bytes or longer than 258. */
int rapdu_parse(const uint8_t *raw, size_t len, struct rapdu *ret);

/* "9401 insufficient balance" style text for logs */
const char *apdu_sw_text(uint16_t sw);

#endif
