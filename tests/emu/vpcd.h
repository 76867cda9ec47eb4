/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A virtual card plugged into vsmartcard's vpcd, the pcscd reader driver
 * that stands in for a reader slot: vpcd listens on a TCP port per slot,
 * and the card connects to it. Connecting is inserting the card; closing
 * is pulling it out.
 *
 * Every message, both ways, is a 2-byte big-endian length and a payload.
 * From vpcd, one byte is a control (00 power off, 01 power on, 02 reset,
 * 04 ATR: only 04 is answered, and it may come at any time: pcscd asks for
 * the ATR at each of its presence polls); more bytes are a C-APDU, answered
 * with the R-APDU.  vpcd sends the length and the payload in two writes
 * without TCP_NODELAY, so every receive here re-arms TCP_QUICKACK, or each
 * exchange waits for a delayed ACK (about 40 ms).
 *
 * Each vpcd object serves its connection in its own thread.  A card that is
 * in when pcscd goes away (the connection drops) stays in: it connects
 * again as soon as a vpcd listens on the port.
 */
#ifndef YKT_EMU_VPCD_H
#define YKT_EMU_VPCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vpcd_control { VPCD_POWER_OFF = 0, VPCD_POWER_ON = 1, VPCD_RESET = 2 };

/* What the card does with a C-APDU */
enum vpcd_reply {
	VPCD_REPLY = 0, /* send the R-APDU written */
	VPCD_LEAVE = 1, /* leave the slot now, unanswered (the card left the field) */
};

struct vpcd_card_ops {
	/* power on, reset or off (not answered) */
	void (*control)(void *userdata, enum vpcd_control ctl);
	/* the ATR, whenever vpcd asks; returns its length */
	size_t (*atr)(void *userdata, uint8_t *atr, size_t cap);
	/* one C-APDU: write the R-APDU (data and status word) */
	enum vpcd_reply (*apdu)(void *userdata, const uint8_t *capdu, size_t capdu_len,
				uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len);
};

struct vpcd;

/* A card for the vpcd slot on 127.0.0.1:port, not inserted yet. The ops
 * are called from the vpcd's thread. Caller frees with vpcd_free(). */
int vpcd_new(uint16_t port, const struct vpcd_card_ops *ops, void *userdata,
	     struct vpcd **ret_vpcd);
void vpcd_free(struct vpcd *v);

/* Insert: connect (retrying while nothing listens yet); returns once
 * connected, or -ETIMEDOUT after timeout_ms. */
int vpcd_insert(struct vpcd *v, int timeout_ms);
/* Pull out: returns once the connection is closed. */
void vpcd_remove(struct vpcd *v);
bool vpcd_inserted(struct vpcd *v);
/* Connections made so far (insertions, and reconnections after pcscd came
 * back). */
unsigned vpcd_connections(struct vpcd *v);

#endif
