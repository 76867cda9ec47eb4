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
struct ykt_validator;

/* Called once per tap after the purchase and before MAC2 verification:
 * this is where the passenger is told. n counts taps from 1. */
typedef void (*ykt_tap_report_cb)(int n, const struct tap_result *res, void *userdata);

/* Open everything the config names. On failure writes a one-line reason.
 * Caller frees with ykt_validator_free(). */
int ykt_validator_new(const struct ykt_config *cfg, struct ykt_validator **ret, char *errbuf,
		      size_t errbuf_len);
void ykt_validator_free(struct ykt_validator *v);

/* Run the reader loop until a finite card source ends or a termination
 * signal. Returns 0 or a negative code. */
int ykt_validator_run(struct ykt_validator *v, ykt_tap_report_cb report, void *userdata);

/* The reader in use (owned by the validator), for tests. */
struct ykt_reader *ykt_validator_reader(struct ykt_validator *v);
/* SAM slot n (1..4) as configured, NULL when none; owned by the validator. */
struct ykt_sam *ykt_validator_sam(struct ykt_validator *v, int slot);

/* Print the standard one-line tap summary ("tap N: paid ...") to out. */
void ykt_tap_print(FILE *out, int n, const struct tap_result *res);

#endif
