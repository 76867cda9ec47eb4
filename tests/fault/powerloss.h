/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The power-loss harness (test_powerloss.c): it holds the simulated cards,
 * their ledger of debits and the PSAM, serves them to a validator process
 * (powerloss-validator) over the remote: drivers, cuts that process again
 * and again (SIGKILL from outside at random moments and APDUs, or a planned
 * cut at a store write point inside it, through the powercut VFS), starts it
 * again on the same database, and at the end compares every card's ledger
 * with the store's records.
 *
 *   pl_setup.c   the work directory, card profiles, tap script, config
 *   pl_serve.c   one validator run: start it, serve the field and the PSAM, kill it
 *   pl_check.c   the cards' ledger and the invariants (lost, duplicated, phantom)
 */
#ifndef YKT_POWERLOSS_H
#define YKT_POWERLOSS_H

#include "powercut_vfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_CARDS 48 /* under SIM_FIELD_MAX_CARDS; each returns well within the grey window */

struct sim_field;
struct sim_psam;
struct sim_card;

/* One debit a card applied, as the card recorded it. */
struct pl_debit {
	uint16_t atc;
	uint32_t amount_fen;
	uint8_t trans_type;
	uint8_t tac[4];
	int records; /* records the store holds for it (set by the check) */
};

/* A card's whole ledger: the simulated card keeps only its last 256 debits,
 * so the harness copies each one as it happens. */
struct pl_card {
	struct sim_card *card; /* owned by the field */
	char serial[21];
	uint16_t first_atc, next_atc;
	struct pl_debit *debits; /* debits[i].atc == first_atc + i */
	size_t n_debits, cap;
};

/* How the next validator run ends. */
enum pl_kill {
	PL_KILL_STORE,	 /* a planned cut at a store write point (inside it) */
	PL_KILL_APDU,	 /* SIGKILL on the Nth card or PSAM command from tap K on */
	PL_KILL_TIMER,	 /* SIGKILL at a random moment during tap K or after */
	PL_KILL_STARTUP, /* SIGKILL at a random moment while it starts */
	PL_KILL__COUNT
};

struct pl_plan {
	enum pl_kill kill;
	enum pc_mode mode;    /* PC_CACHE: a kill is a power cut */
	struct pc_plan store; /* PL_KILL_STORE */
	int tap;	      /* PL_KILL_APDU, _TIMER: from this tap of the run (1-based) */
	int apdu;	      /* PL_KILL_APDU: the Nth command from that tap on */
	bool after;	      /* PL_KILL_APDU: the card or PSAM applies it, no answer */
	int64_t delay_us;     /* PL_KILL_TIMER, _STARTUP */
	bool compound;	      /* purchase mode of this run */
	int fare_fen;
	bool psam_jumps; /* another user of the PSAM takes serials between taps */
};

struct pl {
	/* files */
	char dir[128], db[192], sock[192], clock[192], script[192], conf[192], report[192],
	    log[192], cards_dir[192];
	const char *data_dir, *child;
	/* the field outside the validator */
	struct sim_field *field;
	struct sim_psam *psam;
	struct pl_card cards[PL_CARDS];
	int listen_fd;
	uint64_t rng;
	/* progress */
	long taps, cuts, runs, target_taps, target_cuts;
	long cuts_by_kind[PL_KILL__COUNT], power_cuts;
	bool field_over; /* the script ran out, or the targets were met */
	bool stop;	 /* targets met: the next NEXT answers END */
	bool last_clean; /* the last run ended by itself at the field's END */
	int64_t clock_ms;
	int64_t tap_ns_avg, start_ns_avg;
	/* the planned store cuts: tries and hits per operation, point, cut */
	int tries[PC_OP__COUNT][PC_POINT__COUNT][PC_CUT__COUNT];
	int hits[PC_OP__COUNT][PC_POINT__COUNT][PC_CUT__COUNT];
	int other_point[PC_OP__COUNT][PC_POINT__COUNT][PC_CUT__COUNT];
};

uint64_t pl_random(struct pl *h);
/* 0 .. n-1 */
int pl_below(struct pl *h, int n);

/* pl_setup.c */
int pl_setup(struct pl *h, long script_taps);
int pl_write_config(struct pl *h, const struct pl_plan *plan);
int pl_set_clock(struct pl *h, int64_t unix_ms);
void pl_cleanup(struct pl *h, bool keep);

/* pl_serve.c: one run of the validator, until it is killed or the field
 * answered END. 0, -1 when the validator failed in a way no cut explains
 * (its log says why), -ENOSYS when this kernel cannot watch a process. */
int pl_run(struct pl *h, const struct pl_plan *plan);

/* pl_check.c */
int pl_ledger_collect(struct pl *h, struct sim_card *card);
struct pl_card *pl_card_of(struct pl *h, const struct sim_card *card);

struct pl_verdict {
	long lost, duplicated, phantom;
	long complete, grey, grey_not_debited, voids, intents_left, debits;
};
int pl_check(struct pl *h, struct pl_verdict *ret);

#endif
