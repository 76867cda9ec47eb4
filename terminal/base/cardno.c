/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cardno.h"

#include "bytes.h"
#include "log.h"

#include <string.h>

void ykt_cardno_from_serial(const uint8_t serial[10], char out[YKT_CARDNO_LEN + 1])
{
	ykt_hex_encode(serial, 10, out, YKT_CARDNO_LEN + 1);
}

void ykt_cardno_mask(const char *cardno, int force_unmasked, char out[YKT_CARDNO_LEN + 1])
{
	size_t n = strnlen(cardno, YKT_CARDNO_LEN);

	memcpy(out, cardno, n);
	out[n] = '\0';
	if (force_unmasked || ykt_log_unmasked() || n <= 8)
		return;
	for (size_t i = 4; i < n - 4; i++)
		out[i] = '*';
}
