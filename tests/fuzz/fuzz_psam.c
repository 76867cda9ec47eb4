/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the PSAM command set (terminal/psam.c) against any
 * answers a slot can deliver: start-up (ATR, MF, files 0x15/0x16, DF 8011,
 * file 0x17), MAC1 (8070, with T=0 61xx / GET RESPONSE) and MAC2 (8072).
 * The slot is this file: psam.c is built in with ykt_sam_reset() and
 * ykt_sam_transmit() answering from the fuzz input (feed.h).
 */
#include "feed.h"
#include "psam.h"
#include "sam.h"
#include "bytes.h"
#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct feed slot;

/* the slot cannot tell whether a card is in it: psam.c then learns it
 * from the commands, as with a reader without a presence switch */
int ykt_sam_presence(struct ykt_sam *s, uint32_t *ret_insertions)
{
	return -EOPNOTSUPP;
}

int ykt_sam_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	return feed_next(&slot, atr, atr_cap, ret_atr_len) < 0 ? YKT_E_SAM_ABSENT : 0;
}

int ykt_sam_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		     size_t rapdu_cap, size_t *ret_rapdu_len)
{
	/* the slot's own checks: an answer never outgrows the caller's buffer */
	MUST(capdu_len >= 4 && capdu_len <= 261);
	return feed_next(&slot, rapdu, rapdu_cap, ret_rapdu_len) < 0 ? -ETIMEDOUT : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ykt_log_set_level(YKT_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct psam_mac1_input in = { .atc = 100, .amount_fen = 200, .trans_type = 9 };
	static const uint8_t mac2[4] = { 1, 2, 3, 4 };
	struct ykt_psam *p = NULL;
	uint8_t mac1[4];
	uint32_t serial = 0;

	slot = (struct feed){ data, size };
	/* the slot pointer is never looked at: this file is the slot */
	if (psam_new((struct ykt_sam *)&slot, PSAM_DF_MOT, &p) < 0)
		return 0;
	if (psam_start(p) == 0) {
		MUST(psam_ready(p) && ykt_bcd_valid(psam_terminal_no(p), 6));
		if (psam_mac1(p, &in, &serial, mac1) == 0)
			MUST(psam_ready(p));
		psam_verify_mac2(p, mac2);
	} else {
		MUST(!psam_ready(p));
	}
	psam_free(p);
	return 0;
}
