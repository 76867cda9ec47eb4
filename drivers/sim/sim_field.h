/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated card field: a tap script (docs/tap-scripts.md) played one
 * step at a time, for the in-process sim: reader and for hardware emulators
 * that run in their own process (the PN532 emulator on a pty).
 *
 *   clock 2026-11-21T07:30:00     set the clock (China Standard Time)
 *   wait 45s                      move the clock on (ms, s, m, h)
 *   tap cards/adult.card          present that card until the tap is done
 *   tap a.card+b.card             two cards in the field at once
 *   idle                          the field stays empty until the driver stops
 *   stop 0003                     the bus is at stop 0003 now (the sim: stop source)
 *   tap cards/adult.card FAULT    with one fault, FAULT = KIND:TARGET[:SW]
 *     TARGET  insXX (the first command with that INS) or apduN (the Nth)
 *     leave-before   the card leaves before the target reaches it
 *     leave-after    the card applies the target, then leaves: no answer
 *     mute           the card stays but never answers the target
 *     sw:TARGET:SW   the card refuses the target with status word SW
 *     garble         the card applies the target; its answer arrives cut short
 *     corrupt        the card applies the target; the last data byte of its
 *                    answer arrives flipped (for DEBIT: a wrong MAC2)
 *   tap cards/adult.card expect=paid debit=yes   read by scenario tests only
 *   scan HEX | scan FILE          a code shown to the QR scanner (its bytes, hex
 *                                 or a file's content), until the validator is done
 *
 * A card file named twice is the same card: its balance and ATC carry over.
 * The field keeps, per tap, how many APDUs the validator sent and whether
 * the fault fired, and each card keeps its own ledger of debits; both can
 * be written to a file (sim_field_write_ledger) so that a test can compare a
 * run through real driver stacks with an in-process run.
 *
 * Driving it: sim_field_next() until SIM_FIELD_END. A tap step puts its
 * card(s) in the field, freshly powered; the driver exchanges APDUs with
 * sim_field_transceive(), the cards leave by a fault or by
 * sim_field_leave() (the passenger takes them away), and the tap is over at
 * sim_field_tap_end() (or the next sim_field_next()). Clock steps are for
 * the caller to apply to whatever clock the validator reads.
 *
 * Not thread-safe: one thread at a time per field. Only simulator builds
 * have it.
 */
#ifndef YKT_SIM_FIELD_H
#define YKT_SIM_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_FIELD_MAX_STEPS 1000000 /* a long bench shift; the array grows as read */
#define SIM_FIELD_MAX_CARDS 64
#define SIM_FIELD_SCAN_MAX  512 /* bytes of one scanned code (the scanner's frame limit) */

struct sim_field;
struct sim_card;

enum sim_field_step_kind {
	SIM_FIELD_TAP = 1,	 /* card(s) entered the field */
	SIM_FIELD_CLOCK_SET,	 /* `clock`: ms is the new time, Unix milliseconds */
	SIM_FIELD_CLOCK_ADVANCE, /* `wait`: ms is how far the clock moves on */
	SIM_FIELD_END,		 /* the script is over (and stays over) */
	SIM_FIELD_IDLE,		 /* `idle`: the field stays empty until the driver stops;
				  * a validator left running for the operator commands */
	SIM_FIELD_SCAN,		 /* `scan`: a code shown to the QR scanner */
	SIM_FIELD_STOP,		 /* `stop CODE`: stop_code is where the vehicle is now;
				  * for the caller's sim: stop source (drivers/stop.h) */
};

struct sim_field_step {
	enum sim_field_step_kind kind;
	int64_t ms;
	int tap_no;	    /* SIM_FIELD_TAP: taps so far, from 1 */
	size_t n_cards;	    /* SIM_FIELD_TAP: 1, or 2 for two cards at once */
	uint16_t stop_code; /* SIM_FIELD_STOP */
	/* SIM_FIELD_SCAN: the code's bytes (owned by the field, valid until
	 * sim_field_free) and their count, 0 to SIM_FIELD_SCAN_MAX */
	const uint8_t *code;
	size_t code_len;
	int scan_no; /* SIM_FIELD_SCAN: scans so far, from 1 */
};

/* Load a tap script and every card it names (paths relative to the
 * script's directory). err (if not NULL) gets a one-line reason naming the
 * file and line. Caller frees with sim_field_free(). Errors: -errno when the
 * script cannot be read, -EINVAL for a line it cannot understand, a card
 * profile's error (YKT_E_CONFIG, -ENOENT), -E2BIG past the limits above,
 * -ENOMEM. */
int sim_field_load(const char *script, struct sim_field **ret_field, char *err, size_t err_len);
void sim_field_free(struct sim_field *f);

/* true when the script has clock or wait steps (its reader then needs a
 * clock the field can move). */
bool sim_field_moves_time(const struct sim_field *f);
/* true when the script has stop steps (its reader then needs a sim: stop
 * source). */
bool sim_field_moves_stop(const struct sim_field *f);

/* true when the script has scan steps (its reader then needs a scanner to
 * hand the codes to). */
bool sim_field_scans(const struct sim_field *f);

/* The next step. An open tap ends first (sim_field_tap_end). A tap step
 * resets its card(s) as a power-up does (a random-UID card draws a new UID)
 * and starts counting the tap's APDUs. */
void sim_field_next(struct sim_field *f, struct sim_field_step *ret_step);

/* The card at slot 0 (or 1, the second card of a two-card tap) while the
 * tap is open, even after it left; NULL otherwise. Owned by the field. */
struct sim_card *sim_field_tap_card(struct sim_field *f, size_t slot);

/* One APDU to the card at slot, with the tap's fault applied to the
 * command it targets (APDUs are counted over the whole tap, both cards).
 * Returns 0 with the R-APDU (data ‖ SW1 SW2) in rapdu; YKT_E_CARD_GONE when
 * no card is at slot or the card(s) left (a leave fault fires here: the
 * cards leave the field); -ETIMEDOUT when the card is mute; -EINVAL when
 * rapdu_cap < 258. */
int sim_field_transceive(struct sim_field *f, size_t slot, const uint8_t *capdu, size_t capdu_len,
			 uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len);

/* The passenger takes the card(s) of the open tap away. */
void sim_field_leave(struct sim_field *f);
/* true when the open tap's card(s) left (a leave fault or sim_field_leave);
 * also true when no tap is open. */
bool sim_field_gone(const struct sim_field *f);

/* The validator is done with the open tap; no-op when none is open. */
void sim_field_tap_end(struct sim_field *f);

/* APDUs sent in the open (or last) tap. */
int sim_field_tap_exchanges(const struct sim_field *f);

/* Cards of the script in the order it first names them; NULL past the end.
 * Owned by the field. */
struct sim_card *sim_field_card(struct sim_field *f, size_t index);

/* Write the ledger: one line per tap played (cards, APDUs sent, whether its
 * fault fired), per card (balance and ATC, first and now), per debit the
 * card applied (card serial, ATC, amount, type, terminal, PSAM serial, time,
 * TAC, MAC2, balance after) and per 1E record, as text (docs/tap-scripts.md).
 * Written to a temporary file and renamed over path. -errno on failure. */
int sim_field_write_ledger(const struct sim_field *f, const char *path);

#endif
