/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated card field (drivers/sim/sim_field) played into a vpcd slot:
 * what a PC/SC contactless reader shows pcscd. A runner thread takes the
 * tap script step by step:
 *   clock, wait   written to a file: clock the validator reads (clock =
 *                 file:PATH), as Unix milliseconds
 *   tap           the card connects to vpcd (enters the field); it answers
 *                 the reader's GET DATA (FF CA 00 00 00: UID ‖ 90 00) and
 *                 the validator's APDUs through the field, faults included;
 *                 the tap is over when the validator powers the card down
 *                 (its disconnect: vpcd's 00 after at least one APDU), or
 *                 when a fault takes the card away; then the card leaves
 *                 and the runner waits until pcscd has seen the slot empty,
 *                 as a real card takes longer to go than pcscd's poll
 *   two cards     a reader in single-card mode activates neither: nothing
 *                 is shown, the tap is over at once
 * Faults a vpcd cannot carry: a mute card (no answer) is a card that
 * leaves; vpcd has no reader time-out to report.
 */
#ifndef YKT_EMU_VPCD_FIELD_H
#define YKT_EMU_VPCD_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vpcd_field;
struct sim_field;

/* Called in the runner thread before a tap's card(s) arrive (tap_no from 1),
 * and once more with tap_no 0 at the end of the script. */
typedef void (*vpcd_field_hook)(void *userdata, int tap_no);

/* The script on vpcd port `port`, whose slot pcscd names `reader`; clock
 * steps go to clock_path. Caller frees with vpcd_field_free(). */
int vpcd_field_new(uint16_t port, const char *reader, const char *script, const char *clock_path,
		   struct vpcd_field **ret, char *err, size_t err_len);
void vpcd_field_free(struct vpcd_field *f);

/* Play the script in the runner thread; hook (may be NULL) as above. */
int vpcd_field_start(struct vpcd_field *f, vpcd_field_hook hook, void *userdata);
/* Wait for the runner; 0 when the script played to its end. */
int vpcd_field_join(struct vpcd_field *f);

/* Once joined: the field (ledger, cards). Owned by f. */
struct sim_field *vpcd_field_sim(struct vpcd_field *f);

#endif
