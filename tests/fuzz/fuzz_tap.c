/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: a whole tap (terminal/tap.c) against a card that
 * answers anything.  The reader is this file (ykt_reader_transceive()
 * answers from the fuzz input, feed.h; when the input ends the card has
 * left); the PSAM is terminal/psam.c over a slot here that answers like a
 * good PSAM; the store is the real one, in a temporary directory, holding a
 * grey record for one card so that recovery (805A) is reached too.
 *
 * The PSAM computes MAC1 on its own thread (psam_mac1_begin), as in the
 * validator, so the slot here answers from that thread.
 *
 * The first input byte picks simple or compound, PPSE or direct SELECT.
 * Besides not crashing, every run must keep the invariants:
 *   - DEBIT is sent only with exactly one intent on disk, for this tap;
 *   - after the tap and its completion (ykt_tap_finish) no intent is left
 *     (complete, grey or void);
 *   - a paid tap charged the configured fare and never more;
 *   - the refusal of a card never is "paid".
 */
#include "config.h"
#include "feed.h"
#include "log.h"
#include "psam.h"
#include "reader.h"
#include "sam.h"
#include "store.h"
#include "store_private.h"
#include "tap.h"
#include "bytes.h"
#include "clock.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-tap: invariant broken: %s\n", #cond);                \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FARE_FEN    200
#define GREY_SERIAL "10001000000000070001" /* tests/scenario/tear/a.card */

static struct feed card;
static struct ykt_tap_env env;
static struct ykt_config cfg;
static int debits_sent;
static uint32_t psam_serial = 5000;

/* ---- the card: whatever the input says ---- */

static int64_t intents(void)
{
	struct store_counts c;

	MUST(store_count(env.store, &c) == 0);
	return c.intent;
}

int ykt_reader_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	MUST(capdu_len >= 4 && capdu_len <= 261);
	if (capdu[1] == 0x54) {
		/* no debit without a durable intent record */
		MUST(intents() == 1);
		debits_sent++;
	}
	return feed_next(&card, rapdu, rapdu_cap, ret_rapdu_len) < 0 ? YKT_E_CARD_GONE : 0;
}

/* ---- the PSAM slot: a good PSAM (MAC1 answered on the PSAM's thread) ---- */

/* the slot cannot tell whether a card is in it: psam.c then learns it
 * from the commands, as with a reader without a presence switch */
int ykt_sam_presence(struct ykt_sam *s, uint32_t *ret_insertions)
{
	return -EOPNOTSUPP;
}

int ykt_sam_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	static const uint8_t good_atr[] = { 0x3B, 0x6C, 0x00, 0x00 };

	memcpy(atr, good_atr, sizeof(good_atr));
	*ret_atr_len = sizeof(good_atr);
	return 0;
}

static void answer(uint8_t *out, size_t *len, const char *hex)
{
	size_t n = strlen(hex) / 2;

	ykt_hex_decode(hex, out, n);
	*len = n;
}

int ykt_sam_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		     size_t rapdu_cap, size_t *ret_rapdu_len)
{
	uint8_t ins = capdu[1], p1 = capdu[2];

	if (ins == 0xB0 && p1 == 0x95)
		answer(rapdu, ret_rapdu_len, "0000000000000001A0019000");
	else if (ins == 0xB0 && p1 == 0x96)
		answer(rapdu, ret_rapdu_len, "0011223344559000");
	else if (ins == 0xB0 && p1 == 0x97)
		answer(rapdu, ret_rapdu_len, "019000");
	else if (ins == 0x70) {
		/* terminal serial ‖ MAC1: a new serial each time, as a PSAM does */
		ykt_put_be32(rapdu, ++psam_serial);
		memset(rapdu + 4, 0xA5, 4);
		rapdu[8] = 0x90, rapdu[9] = 0x00;
		*ret_rapdu_len = 10;
	} else
		answer(rapdu, ret_rapdu_len, "9000");
	return 0;
}

/* ---- the set-up ---- */

static void config_defaults(void)
{
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.device_id, sizeof(cfg.device_id), "FUZZ-01");
	cfg.industry = 0x02;
	cfg.capp_fallback = true;
	cfg.fare_fen = FARE_FEN;
	cfg.max_fare_fen = 10000;
	cfg.max_balance_fen = 100000;
	cfg.clock_tolerance_s = 300;
	cfg.grey_window_s = 600;
	memset(cfg.charge_percent, 100, sizeof(cfg.charge_percent));
	memcpy(cfg.acquirer_city, "\x10\x00", 2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	static char dir[256], path[300];
	struct store_options opts = { 0 };

	ykt_log_set_level(YKT_LOG_ERR);
	snprintf(dir, sizeof(dir), "%s/ykt-fuzz-tap-XXXXXX", base);
	MUST(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/records.db", dir);
	MUST(store_open(path, &opts, &env.store, NULL, 0) == 0);
	/* the files go when the process does; the open handle keeps them */
	unlink(path);
	rmdir(dir);
	MUST(ykt_clock_new("sim:2026-11-21T09:00:00", &env.clock) == 0);
	MUST(psam_new(NULL, PSAM_DF_MOT, &env.psam) == 0 && psam_start(env.psam) == 0);
	config_defaults();
	env.cfg = &cfg;
	env.clock_floor_unix_s = 0;
	return 0;
}

/* A torn purchase of card GREY_SERIAL a minute ago, at INIT ATC 100. */
static void seed_grey(void)
{
	struct ykt_purchase_record rec = { 0 };
	int64_t now = ykt_clock_now_s(env.clock) - 60;
	struct ykt_cst t;

	snprintf(rec.device_id, sizeof(rec.device_id), "FUZZ-01");
	snprintf(rec.card_serial, sizeof(rec.card_serial), GREY_SERIAL);
	rec.init_atc = 100;
	rec.balance_before_fen = 5000;
	rec.trans_type = 0x09;
	rec.amount_fen = rec.nominal_fen = FARE_FEN;
	snprintf(rec.psam_terminal_no, sizeof(rec.psam_terminal_no), "001122334455");
	rec.psam_serial = 1;
	rec.txn_unix_s = now;
	ykt_cst_from_unix(now, &t);
	snprintf(rec.txn_time, sizeof(rec.txn_time), "%04d%02d%02d%02d%02d%02d", t.year, t.month,
		 t.day, t.hour, t.minute, t.second);
	MUST(store_intent_add(env.store, &rec) == 0);
	MUST(store_purchase_grey(env.store, rec.record_no) == 0);
}

static void check_result(const struct tap_result *res)
{
	MUST((unsigned)res->outcome < TAP_OUTCOME_COUNT);
	MUST(intents() == 0);
	if (res->outcome == TAP_PAID) {
		MUST(res->amount_fen == FARE_FEN && res->amount_fen <= cfg.max_fare_fen);
		MUST(res->record_no > 0);
		MUST(res->recovered || debits_sent == 1);
	} else {
		MUST(!res->recovered);
	}
	MUST(debits_sent <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tap_result res;

	if (size < 1)
		return 0;
	MUST(sqlite3_exec(store_db(env.store), "DELETE FROM purchase", NULL, NULL, NULL) ==
	     SQLITE_OK);
	seed_grey();
	cfg.mode = data[0] & 1 ? PURCHASE_COMPOUND : PURCHASE_SIMPLE;
	cfg.select = data[0] & 2 ? SELECT_DIRECT : SELECT_PPSE;
	card = (struct feed){ data + 1, size - 1 };
	debits_sent = 0;
	if (!psam_ready(env.psam))
		MUST(psam_start(env.psam) == 0);
	ykt_tap_run(&env, &res);
	/* FUZZ_TAP_SHOW=1 ./fuzz-tap corpus/tap/seed-*: what each input did */
	if (getenv("FUZZ_TAP_SHOW"))
		fprintf(stderr, "fuzz-tap: %s%s record %lld, %d DEBIT sent\n",
			tap_outcome_text(res.outcome)->key, res.recovered ? " (recovered)" : "",
			(long long)res.record_no, debits_sent);
	ykt_tap_finish(&env, &res);
	check_result(&res);
	return 0;
}
