/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated PN532: the commands libnfc 1.8.0 sends (docs/drivers.md),
 * answered the way the chip answers them, with a simulated card field
 * (sim_field) in front of its antenna.
 *
 * The passenger is part of the emulation: a tap's cards stay in the field
 * until the validator is done with them, which the chip sees as a presence
 * check (an R(NAK) through InCommunicateThru) that does not follow a card's
 * silence, or an InRelease / InDeselect; the cards then leave. The tap is
 * over when the host looks for cards again, and the next poll finds the next
 * tap's cards, after the clock steps in between were written to the clock
 * file. So a whole tap script plays without anyone at the reader.
 */
#ifndef YKT_PN532_CHIP_H
#define YKT_PN532_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pn532_frame.h"

struct sim_field;

struct pn532_options {
	const char *clock_path;	 /* file: clock the validator reads; NULL: none */
	int64_t clock_start_ms;	 /* its value before the script sets it */
	const char *ledger_path; /* written when the script ends; NULL: none */
	int stall_tap;		 /* before presenting this tap (from 1) the chip */
	int64_t stall_ms;	 /* ... stops answering for this long; 0: never */
	size_t chunk;		 /* longest InDataExchange answer before MI chaining */
	FILE *notify;		 /* "tap N", "stall N", "end" lines; NULL: none */
};

struct pn532_chip;

/* The chip owns neither field nor options' strings. Caller frees with
 * pn532_chip_free(). -ENOMEM. */
int pn532_chip_new(struct sim_field *field, const struct pn532_options *opts,
		   struct pn532_chip **ret_chip);
void pn532_chip_free(struct pn532_chip *chip);

/* Bytes from the host. Whatever the chip answers is appended to out (at
 * most out_cap bytes in all; *out_len is updated). Nothing is answered
 * while the chip is stalled. now_ns: monotonic time. */
void pn532_chip_input(struct pn532_chip *chip, const uint8_t *in, size_t len, int64_t now_ns,
		      uint8_t *out, size_t out_cap, size_t *out_len);

/* Time passes: a waiting InAutoPoll answers when its polls are over, a
 * stall ends (the chip then behaves as freshly powered). */
void pn532_chip_tick(struct pn532_chip *chip, int64_t now_ns, uint8_t *out, size_t out_cap,
		     size_t *out_len);

/* End a stall now (the chip comes back freshly powered). */
void pn532_chip_resume(struct pn532_chip *chip);

/* When pn532_chip_tick() has something to do next (monotonic ns), or -1. */
int64_t pn532_chip_next_deadline(const struct pn532_chip *chip);

/* true once the script is over and its last tap finished. */
bool pn532_chip_ended(const struct pn532_chip *chip);

/* Print every frame in and out (hex) to this stream; NULL: off. */
void pn532_chip_trace(struct pn532_chip *chip, FILE *trace);

#endif
