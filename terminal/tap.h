/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One tap: a T-Union flat-fare purchase (simple 06 or compound 09) as a
 * small state machine that reads like the standard's sequence:
 *
 *   SELECT (PPSE or direct) → files 0x15, 0x17 → checks → lists (a
 *   blacklisted card is locked) → the card's trip record and history as
 *   the fare rules need them → fare (terminal/fare.c) → INITIALIZE →
 *   MAC1 (PSAM) ∥ [UPDATE CAPP DATA CACHE 1A, 1E] + durable intent
 *   record → DEBIT
 *
 * The PSAM computes MAC1 on a thread of its own while the card takes the
 * CAPP update and the intent is written with the serial MAC1 is expected
 * to return; no DEBIT before the intent holds the serial MAC1 did return.
 * After the passenger has been told, the record is completed and MAC2 is
 * verified by the PSAM (ykt_tap_finish).
 * One China Standard Time timestamp feeds MAC1, DEBIT, the TAC and the
 * record.  Cards are identified by application serial, never by UID.
 */
#ifndef YKT_TAP_H
#define YKT_TAP_H

#include "outcome.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_config;
struct ykt_reader;
struct ykt_psam;
struct ykt_store;
struct ykt_clock;
struct ykt_params;
struct ykt_stop;
struct ykt_stop_tracker;

/* Called on the loop thread as a tap passes each step boundary: the step
 * just done and the monotonic time; for benchmarks, NULL otherwise. */
typedef void (*ykt_tap_step_cb)(const char *step, int64_t at_ns, void *userdata);

struct tap_result;

struct ykt_tap_env {
	const struct ykt_config *cfg;
	struct ykt_reader *reader;
	struct ykt_psam *psam;
	struct ykt_store *store;
	struct ykt_clock *clock;
	int64_t clock_floor_unix_s; /* the build date: a clock before it is wrong */
	ykt_tap_step_cb on_step;    /* optional */
	void *on_step_data;
	/* optional: a paid tap's record has just been completed (durable);
	 * a gate may open now */
	void (*on_durable)(const struct tap_result *res, void *userdata);
	void *on_durable_data;
	struct ykt_params *params; /* parameter packages; NULL: none configured */
	/* where a bus is along its line (drivers/stop.h); NULL: [device] station */
	struct ykt_stop *stops;
	struct ykt_stop_tracker *stop_tracker; /* with stops: the last stop matched */
};

struct tap_result {
	enum tap_outcome outcome;
	int err;     /* the error behind a refusal, 0 if none */
	uint16_t sw; /* the card's status word behind a refusal, 0 if none */
	char card_serial[21];
	uint8_t card_type;
	uint8_t trans_type;
	int64_t nominal_fen, amount_fen;
	int64_t balance_fen;  /* after the purchase, or as read; -1 unknown */
	int64_t record_no;    /* -1 when no record was written */
	uint8_t tac[4];	      /* for the record, completed after feedback */
	uint8_t mac2[4];      /* for the record and the PSAM check after feedback */
	int64_t elapsed_us;   /* card present to the outcome known; -1 unmeasured */
	int64_t model_us;     /* the link model's time for the same exchanges; -1 none */
	bool recovered;	      /* a torn purchase completed by GET TRANSACTION PROVE */
	bool transfer;	      /* the fare rules gave a transfer discount */
	uint32_t fare_flags;  /* STORE_FLAG_* of the fare rules (docs/fares.md) */
	const char *fare_why; /* the rule that decided (static text, for logs); NULL none */
	char reason[128];     /* out of service: why; otherwise a warning, or empty */
	/* a QR code rather than a card (terminal/qr_tap.h): its version (80,
	 * 81; 0 for a card); card_serial then holds the user account (20 hex)
	 * and card_type the card type whose discount applied */
	uint8_t qr_version;
};

/* 0 when the validator can take a tap now (store writable with room to
 * spare, PSAM ready, clock trustworthy); otherwise a negative code and a
 * one-line reason in why. On 0, why holds a warning (a store threshold
 * crossed) or is empty. No card is touched. */
int ykt_tap_ready(const struct ykt_tap_env *env, char *why, size_t why_len);

/* Run one purchase with the card now in the field, up to the moment its
 * outcome is known: the passenger is told next, then ykt_tap_finish().
 * Never debits without a durable intent record, nor with a clock it does
 * not trust: the timestamp the tap uses is checked again before the first
 * APDU. */
void ykt_tap_run(const struct ykt_tap_env *env, struct tap_result *ret);

/* After feedback: a paid purchase's record is completed (TAC, MAC2, balance
 * after; durable on return), then MAC2 is verified (ykt_tap_verify_mac2).
 * Returns the first error, which never undoes the purchase. */
int ykt_tap_finish(const struct ykt_tap_env *env, const struct tap_result *res);

/* After feedback: the PSAM verifies MAC2 and the record keeps its verdict. A
 * failed check never undoes the record: the card was debited. */
int ykt_tap_verify_mac2(const struct ykt_tap_env *env, const struct tap_result *res);

#endif
