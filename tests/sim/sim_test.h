/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the simulator tests: APDUs from hex text, exchanges that
 * split data and status word, and one whole purchase through the simulated
 * card and PSAM the way a validator runs it.
 */
#ifndef YKT_SIM_TEST_H
#define YKT_SIM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "sim.h"

#define CHECK_SW(got, want, what)                                                                  \
	CHECK((got) == (want), "%s: SW %04X, expected %04X", what, (unsigned)(got),                \
	      (unsigned)(want))

/* One exchange; data/ret_len may be NULL. Returns SW1SW2, or 0 when the
 * transmit function itself failed or the answer was malformed. */
uint16_t t_card_raw(struct sim_card *c, const uint8_t *apdu, size_t len, uint8_t *data,
		    size_t *ret_len);
uint16_t t_card(struct sim_card *c, const char *hex, uint8_t *data, size_t *ret_len);
uint16_t t_psam_raw(struct sim_psam *p, const uint8_t *apdu, size_t len, uint8_t *data,
		    size_t *ret_len);
uint16_t t_psam(struct sim_psam *p, const char *hex, uint8_t *data, size_t *ret_len);
/* A case-4 PSAM command: follow 61xx with GET RESPONSE. */
uint16_t t_psam_t0(struct sim_psam *p, const uint8_t *apdu, size_t len, uint8_t *data,
		   size_t *ret_len);

/* Paths under the data directory given as argv[1]. */
const char *t_path(const char *datadir, const char *rel, char *buf, size_t cap);

/* A purchase as a validator runs it (card selected, PSAM in DF 8011). */
struct t_purchase {
	/* in */
	uint8_t type; /* 0x06 purchase, 0x09 CAPP purchase */
	uint32_t amount_fen;
	uint8_t datetime[7];
	const uint8_t *rec1e; /* 48 bytes for 80DC F0, or NULL */
	const uint8_t *rec1a; /* 128 bytes for 80DC D0, or NULL */
	bool corrupt_mac1;
	bool skip_debit;    /* stop after 80DC (the card "leaves") */
	const uint8_t *aid; /* SELECT this AID (aid_len bytes); NULL: A000000632010105 */
	size_t aid_len;
	bool force_alg; /* put alg_id into 8070 byte 19 instead of INIT's */
	uint8_t alg_id;
	/* out */
	uint8_t file15[30];
	uint8_t terminal_no[6];
	uint8_t init[15]; /* balance4 atc2 overdraft3 kv alg random4 */
	uint32_t serial;
	uint8_t mac1[4];
	uint8_t tac[4], mac2[4];
	uint16_t sw_init, sw_mac1, sw_1a, sw_1e, sw_debit, sw_mac2;
};

/* Runs SELECT EP, PSAM DF 8011 + files, INIT, 8070, 80DC, DEBIT, 8072,
 * recording every SW. Returns 0 when each step answered 9000 (61xx for
 * 8070), -1 at the first step that did not (later steps not run). */
int t_run_purchase(struct sim_card *card, struct sim_psam *psam, struct t_purchase *p);

#endif
