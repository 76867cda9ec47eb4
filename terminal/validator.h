/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reader loop: opens the configured devices and store, waits on the
 * event loop, runs a tap for each card, and reports each tap.
 */
#ifndef YKT_VALIDATOR_H
#define YKT_VALIDATOR_H

#include "tap.h"

#include <stdio.h>

struct ykt_config;
struct ykt_screens;
struct ykt_validator;
struct ykt_sam;

/* Called once per tap as soon as its outcome is known, before the record
 * is completed and MAC2 verified: this is where the passenger is told. n
 * counts taps from 1. */
typedef void (*ykt_tap_report_cb)(int n, const struct tap_result *res, void *userdata);

/* Open everything the config names. On failure writes a one-line reason.
 * Caller frees with ykt_validator_free(). */
int ykt_validator_new(const struct ykt_config *cfg, struct ykt_validator **ret, char *errbuf,
		      size_t errbuf_len);
void ykt_validator_free(struct ykt_validator *v);

/* Run the reader loop until a finite card source ends or a termination
 * signal. Returns 0 or a negative code. */
int ykt_validator_run(struct ykt_validator *v, ykt_tap_report_cb report, void *userdata);

/* The reader and SAM slot in use (owned by the validator), for tests and
 * benchmarks. */
struct ykt_reader *ykt_validator_reader(struct ykt_validator *v);
struct ykt_sam *ykt_validator_sam(struct ykt_validator *v); /* the T-Union PSAM's slot */
/* SAM slot n (1..4) as configured, NULL when none. */
struct ykt_sam *ykt_validator_sam_slot(struct ykt_validator *v, int slot);

/* Benchmarks: cb is called at each step boundary of every tap ("present"
 * when the reader reported the card, then tap.c's steps, "complete" and
 * "mac2" after the feedback). NULL turns it off. */
void ykt_validator_on_step(struct ykt_validator *v, ykt_tap_step_cb cb, void *userdata);

/* "adult", "student", "senior", ... for a card type (file 0x15 byte 28);
 * "other" beyond the known ones.  Static text. */
const char *ykt_card_type_name(uint8_t type);
/* Display and outputs (owned by the validator), for tests and benches. */
struct ykt_screens *ykt_validator_screens(struct ykt_validator *v);

/* Print the standard one-line tap summary ("tap N: paid ...") to out. */
void ykt_tap_print(FILE *out, int n, const struct tap_result *res);

#endif
