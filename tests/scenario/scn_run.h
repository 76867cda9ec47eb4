/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a scenario file (scn.h) against the validator: scn_run.c. */
#ifndef YKT_SCN_RUN_H
#define YKT_SCN_RUN_H

#include <stdint.h>

struct scn_result {
	int taps, paid;
	int64_t stored_fen;  /* the amounts of the complete records */
	int64_t charged_fen; /* what the cards' ledgers say they paid */
};

/* Run the scenario at path with the data directory (tests/data) and the
 * issuer's key file for TAC checks; every failed expectation is a CHECK
 * failure (check.h) naming the file and line.  0 when all held. */
int scn_run(const char *scenario, const char *data_dir, const char *keyfile,
	    struct scn_result *ret);

#endif
