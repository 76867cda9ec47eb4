/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the tap reads and writes beyond the purchase itself, through one
 * card exchange function the tap lends (its own, with the 6Cxx retry):
 *
 *   - the fare rules' view of the card: the 0x1A record of the mode and the
 *     newest 0x1E records (fare_plan() says which);
 *   - locking a blacklisted card (reference/jtt978.md §4.5): GET CHALLENGE
 *     from the card, the MAC from the PSAM (801A / 80FA), APPLICATION
 *     BLOCK to the card, and a "card-lock" event in the store.
 */
#ifndef YKT_RISK_H
#define YKT_RISK_H

#include "apdu.h"
#include "card.h"
#include "fare.h"

#include <stdbool.h>
#include <stdint.h>

struct ykt_psam;
struct ykt_store;

/* One card exchange: 0 with the answer in *ret, or the reader's error
 * (YKT_E_CARD_GONE, a time-out, YKT_E_CARD_FORMAT). */
typedef int (*ykt_card_xchg)(void *ctx, const struct apdu *a, struct rapdu *ret);

/* Read what plan asks for into ret (ret->card_type and ->local are the
 * caller's).  today: the tap's CST date, 4 BCD bytes.  0; an exchange
 * error; YKT_E_CARD_SW or YKT_E_CARD_FORMAT (*ret_sw says which status
 * word) when the card answers a record it must have with something else.
 * 0x1E records the card does not have yet (6A83) end the reading. */
int ykt_fare_read_card(ykt_card_xchg xchg, void *ctx, const struct fare_plan *plan,
		       const uint8_t today[4], struct fare_card *ret, uint16_t *ret_sw);

struct ykt_lock_result {
	bool locked;	  /* the card answered 9000 to APPLICATION BLOCK */
	const char *step; /* where it stopped: "challenge", "psam", "block", "done" */
	uint16_t sw;	  /* the last status word of that step (card or PSAM), 0 none */
	int err;	  /* the error of that step, 0 none */
};

/* Lock the card now in the field.  Never throws the tap off: the result
 * says how far it went; the caller refuses the card whatever happened. */
void ykt_risk_lock_card(ykt_card_xchg xchg, void *ctx, struct ykt_psam *psam,
			const struct card_file15 *f15, bool permanent, struct ykt_lock_result *ret);

/* The "card-lock" event (docs/store.md): card serial, issuer, the blacklist
 * version that listed it, temporary or permanent, the result. */
int ykt_risk_lock_event(struct ykt_store *store, const char *device_id, int64_t now_s,
			const char *card_serial, const uint8_t issuer_id[8], uint32_t list_version,
			bool permanent, const struct ykt_lock_result *r);

#endif
