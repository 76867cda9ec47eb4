/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card number, in one canonical form everywhere: the 10-byte
 * application serial of file 0x15 as 20 upper-case hex digits.  Cards are
 * identified by it, never by UID (phones present random UIDs).
 */
#ifndef YKT_CARDNO_H
#define YKT_CARDNO_H

#include <stddef.h>
#include <stdint.h>

#define YKT_CARDNO_LEN 20

void ykt_cardno_from_serial(const uint8_t serial[10], char out[YKT_CARDNO_LEN + 1]);

/* For logs and listings: "1000************2345" unless unmasked output was
 * asked for (ykt_log_set_unmasked or force_unmasked).  out needs 21 bytes. */
void ykt_cardno_mask(const char *cardno, int force_unmasked, char out[YKT_CARDNO_LEN + 1]);

#endif
