/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcsc: SAM slot — a PSAM in a PC/SC reader slot (a CCID contact slot or
 * one SIM-size slot of a multi-slot reader), through pcscd.
 *
 *   pcsc:#N                      the Nth reader pcscd lists (from 0)
 *   pcsc:NAME                    by name: exact, else the first reader whose
 *                                name starts with NAME
 *   ...,protocol=t0|t1|any       default any: what the ATR offers
 *   ...,share=exclusive|shared   default exclusive: no other application can
 *                                reset the PSAM under the validator
 *
 * A watch thread (its own PC/SC context) posts YKT_EV_SAM_INSERTED and
 * YKT_EV_SAM_REMOVED; commands go through another context from the loop
 * thread.  A reset reconnects the handle with a power cycle, which also
 * brings it back after the PSAM was removed and inserted again or pcscd
 * restarted.  T=0: a 6Cxx answer to a case-2 command is sent again with Le
 * = xx here (transport level); 61xx GET RESPONSE is terminal/psam.c's.
 */
#include "sam.h"

#include "clock.h"
#include "loop.h"
#include "pcsc.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

struct pcsc_slot {
	struct pcsc_card *card;
	struct pcsc_watch *watch;
};

static void slot_on_change(void *userdata, enum pcsc_change change,
			   const struct pcsc_watch_state *state)
{
	struct ykt_sam *s = userdata;
	const struct ykt_sam_env *env = ykt_sam_env(s);
	struct ykt_event ev = {
		.type = change == PCSC_CARD_ARRIVED ? YKT_EV_SAM_INSERTED : YKT_EV_SAM_REMOVED,
		.source = env->source,
	};

	if (!env->loop)
		return;
	while (ykt_loop_post(env->loop, &ev) == -ENOSPC)
		ykt_sleep_ns(1000000); /* the loop drains its queue */
}

static int slot_open(struct ykt_sam *s, const char *args)
{
	struct pcsc_slot *slot = ykt_sam_priv(s);
	struct pcsc_spec spec = { .share = PCSC_SHARE_EXCLUSIVE };
	char err[200];
	int r = pcsc_spec_parse(args, &spec, err, sizeof(err));

	if (r < 0) {
		ykt_sam_set_error(s, "%s", err);
		return r;
	}
	r = pcsc_card_new(&spec, &slot->card);
	if (r == 0)
		r = pcsc_watch_new(&spec, false, slot_on_change, s, &slot->watch);
	if (r < 0)
		pcsc_card_free(slot->card);
	return r;
}

static void slot_close(struct ykt_sam *s)
{
	struct pcsc_slot *slot = ykt_sam_priv(s);

	pcsc_watch_free(slot->watch);
	pcsc_card_disconnect(slot->card, true);
	pcsc_card_free(slot->card);
}

/* No card, or no pcscd or reader (then the watch reports the removal). */
static int slot_err(int r)
{
	if (r == -ENOMEDIUM || r == -ENODEV)
		return YKT_E_SAM_ABSENT;
	return r;
}

static int slot_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	struct pcsc_slot *slot = ykt_sam_priv(s);

	return slot_err(pcsc_card_connect(slot->card, true, atr, atr_cap, ret_atr_len));
}

/* T=0 case 2 (CLA INS P1 P2 Le): 6Cxx means "send again with Le = xx". */
static bool t0_wrong_le(struct pcsc_slot *slot, size_t capdu_len, const uint8_t *rapdu,
			size_t rapdu_len)
{
	return pcsc_card_protocol(slot->card) == 0 && capdu_len == 5 && rapdu_len == 2 &&
	       rapdu[0] == 0x6C;
}

static int slot_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			 size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct pcsc_slot *slot = ykt_sam_priv(s);
	uint8_t again[5];
	int r = pcsc_card_transmit(slot->card, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);

	if (r == 0 && t0_wrong_le(slot, capdu_len, rapdu, *ret_rapdu_len)) {
		memcpy(again, capdu, 4);
		again[4] = rapdu[1];
		r = pcsc_card_transmit(slot->card, again, sizeof(again), rapdu, rapdu_cap,
				       ret_rapdu_len);
	}
	return slot_err(r);
}

static int slot_start(struct ykt_sam *s)
{
	return 0; /* the watch posts from open on */
}

static int slot_presence(struct ykt_sam *s, uint32_t *ret_insertions)
{
	struct pcsc_slot *slot = ykt_sam_priv(s);
	struct pcsc_watch_state st;

	pcsc_watch_get(slot->watch, &st);
	*ret_insertions = st.insertions;
	return st.present;
}

const struct ykt_sam_ops ykt_sam_pcsc_ops = {
	.scheme = "pcsc",
	.priv_size = sizeof(struct pcsc_slot),
	.open = slot_open,
	.close = slot_close,
	.reset = slot_reset,
	.transmit = slot_transmit,
	.start = slot_start,
	.presence = slot_presence,
};
