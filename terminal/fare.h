/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fare rules: what a tap costs and what it writes on the card, decided
 * from the parameters in force (fare table, card-type rules, device
 * settings; docs/parameters.md), the configuration, where the validator is
 * and what the card says about its recent trips (the 0x1A record 2701 or
 * 2702 and the newest 0x1E records).  docs/fares.md explains every rule.
 *
 *   flat         one fare per ride, 0x1E type 06
 *   metro        entry: a compound purchase of 0 writing 2701 (entered) and
 *                0x1E type 03; exit: the station-matrix fare (+ overstay),
 *                2701 (exited) and 0x1E type 04
 *   bus segment  tap-on: 2702 (boarded, with the marked amount) and 0x1E 03
 *                for 0; tap-off: the stop-matrix fare, 2702 (alighted) and
 *                0x1E 04; a tap-on while a trip on another bus is still
 *                open charges that trip's marked amount
 *
 * This file does no I/O: the tap reads the card and the store, calls
 * fare_plan() to learn what to read and fare_decide() to price it, then
 * checks the balance the card reports (fare_balance_ok()).  Everything from
 * the card is hostile: odd records are judged by the rules, never trusted
 * to index anything.
 */
#ifndef YKT_FARE_H
#define YKT_FARE_H

#include "card.h"
#include "outcome.h"
#include "params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many 0x1E records a tap reads at most (each is one card exchange):
 * the daily counts of free rides and caps see at most this many of today's
 * records. */
#define FARE_HISTORY_MAX 10

/* The repeat window of a metro gate or a bus tap-on when the card-type rule
 * gives none: a second tap at the same station this soon is the same
 * passenger tapping twice (BJYKT's 120 s). */
#define FARE_SAME_PLACE_S 120

enum fare_mode { FARE_MODE_FLAT, FARE_MODE_METRO, FARE_MODE_BUS_SEGMENT };

/* A metro gate's role ([device] gate); BOTH decides by the card's 2701. */
enum fare_gate { FARE_GATE_BOTH, FARE_GATE_ENTRY, FARE_GATE_EXIT };

/* What the tap does with the card. */
enum fare_action {
	FARE_SINGLE, /* flat fare */
	FARE_ENTRY,  /* metro entry */
	FARE_EXIT,   /* metro exit */
	FARE_BOARD,  /* bus tap-on */
	FARE_ALIGHT, /* bus tap-off */
};

/* Where and when the tap happens. */
struct fare_place {
	int64_t now_s;
	uint8_t datetime[7]; /* now, BCD, China Standard Time */
	uint8_t industry;
	uint16_t line, operator_code;
	bool has_station;   /* bus: the stop source knows the current stop */
	uint16_t station;   /* metro station or bus stop code */
	uint8_t vehicle[8]; /* ASCII, zero padded */
	uint8_t terminal_no[6];
	uint8_t city[2];	/* acquirer city (BCD) */
	uint8_t institution[8]; /* acquirer institution */
	bool direction_up;
	enum fare_gate gate;
	enum ykt_degraded degraded;
};

/* What the rules are made of. */
struct fare_setup {
	const struct ykt_fare_table *table; /* NULL: the configuration's flat fare */
	const struct ykt_card_rules *rules; /* NULL: the configuration's charge percent */
	int64_t config_fare_fen;
	const uint8_t *config_percent; /* [256], by card type */
	int64_t max_fare_fen;	       /* a fare above it is refused (sanity cap) */
};

/* The card, as far as it was read. */
struct fare_card {
	uint8_t card_type;
	bool local; /* file 0x17 city is [purchase] local_city */
	bool has_trip;
	struct card_trip trip; /* the 0x1A record the mode needs */
	size_t n_hist;
	struct card_rec1e hist[FARE_HISTORY_MAX]; /* newest first */
	int64_t last_here_s; /* the store's newest purchase of this card here; -1 none */
};

/* What fare_plan() asks the tap to read before fare_decide(). */
struct fare_plan {
	enum fare_mode mode;
	uint8_t trip_record; /* 0x1A record number to read, 0 none */
	size_t hist_min; /* read at least this many 0x1E records (fewer if the card has fewer) */
	bool hist_today; /* then go on while they are today's, up to FARE_HISTORY_MAX */
	bool store_last; /* look the card's last purchase here up in the store */
	bool needs_capp; /* a compound purchase is required (1A/1E written) */
	struct ykt_card_rule rule; /* the rule that applies to this card */
};

struct fare_decision {
	bool refused;
	enum tap_outcome outcome; /* when refused */
	int err;		  /* when refused: the error behind it, for logs */
	const char *why;	  /* the rule that decided, for logs (static) */
	enum fare_action action;
	int64_t nominal_fen, amount_fen;
	uint32_t flags; /* STORE_FLAG_* */
	bool transfer;
	uint8_t rec1e_type; /* REC1E_* */
	bool has_trip;	    /* write this 0x1A record */
	struct card_trip trip;
	/* the balance after paying must still cover this much (metro: the
	 * lowest fare from the entry station; bus: the marked amount) */
	int64_t keep_fen;
	/* and may not go below this (the minimum balance, or minus the
	 * overdraft the card type may use) */
	int64_t floor_fen;
	bool overdraft_capped; /* floor from the rule's overdraft_fen */
	uint32_t overdraft_fen;
};

/* The mode the parameters in force call for. */
enum fare_mode fare_mode_of(const struct fare_setup *setup);

/* The card-type rule that applies to this card: its own, or the default
 * for an out-of-town card under local_only (unless interconnect_discounts);
 * without rules in force, one made of the configuration's charge percent. */
void fare_rule(const struct fare_setup *setup, uint8_t card_type, bool local,
	       struct ykt_card_rule *ret);

/* What to read from the card (and the store) for this card type. */
void fare_plan(const struct fare_setup *setup, uint8_t card_type, bool local,
	       struct fare_plan *ret);

/* Price the tap.  ret is always filled: refused with an outcome, or the
 * amount and what to write.  Pure: no I/O, deterministic. */
void fare_decide(const struct fare_setup *setup, const struct fare_place *place,
		 const struct fare_card *card, struct fare_decision *ret);

/* After INITIALIZE: true when the card's balance pays the decision and
 * keeps what the rules want kept.  balance_fen and overdraft_limit_fen are
 * INITIALIZE's answer (the balance there includes the usable overdraft). */
bool fare_balance_ok(const struct fare_decision *d, int64_t balance_fen,
		     int64_t overdraft_limit_fen);

/* amount x percent, to the nearest fen, halves up */
int64_t fare_percent(int64_t fen, unsigned percent);

#endif
