/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tap.h"

#include "apdu.h"
#include "bytes.h"
#include "card.h"
#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "fare.h"
#include "log.h"
#include "params.h"
#include "psam.h"
#include "reader.h"
#include "risk.h"
#include "stop.h"
#include "stops.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Everything one tap learns, in the order it learns it. */
struct tap {
	const struct ykt_tap_env *env;
	const struct ykt_config *cfg;
	struct tap_result *res;
	/* the parameters in force, held for the whole tap (NULL: none) */
	struct ykt_params_snapshot *params;

	int64_t now_s;
	struct ykt_cst now;
	uint8_t datetime[7];

	struct card_file15 f15;
	struct card_file17 f17;
	struct card_init_resp init;
	struct psam_mac1_input mac1_in;
	bool mac1_pending;	  /* MAC1 in flight on the PSAM's thread */
	uint32_t terminal_serial; /* predicted while MAC1 runs, then the PSAM's */
	uint8_t mac1[4];
	bool has_1e;
	uint8_t rec1e[CARD_REC1E_LEN];
	bool has_1a;
	uint8_t rec1a[CARD_REC1A_LEN];
	uint8_t tac[4];

	/* the fare rules (terminal/fare.c), and where the validator is: the
	 * configuration, overridden by a device-settings package */
	const char *vehicle, *direction;
	struct fare_setup setup;
	struct fare_place place;
	struct fare_plan plan;
	struct fare_card fcard;
	struct fare_decision fare;

	bool has_grey; /* this card left an earlier purchase grey */
	struct ykt_purchase_record grey;
};

static void tap_trace(const struct ykt_tap_env *env, const char *step)
{
	if (env->on_step)
		env->on_step(step, ykt_monotonic_ns(), env->on_step_data);
}

/* A step returns 0 to go on, 1 when the tap ended (outcome set). */
#define TAP_CONTINUE 0
#define TAP_END	     1

static int tap_end(struct tap *t, enum tap_outcome outcome, int err, uint16_t sw)
{
	t->res->outcome = outcome;
	t->res->err = err;
	t->res->sw = sw;
	return TAP_END;
}

/* The store failed in the middle of a tap: out of service, and why. */
static int tap_store_failed(struct tap *t, int err)
{
	snprintf(t->res->reason, sizeof(t->res->reason), "store: %s", ykt_strerror(err));
	return tap_end(t, TAP_OUT_OF_SERVICE, err, 0);
}

/* This card still owes an answer for a torn purchase: whatever stopped
 * this tap, the passenger is asked for the same card again (请重刷). */
static int tap_ask_again(struct tap *t, int err)
{
	const struct ykt_purchase_record *g = &t->grey;

	t->res->record_no = g->record_no;
	t->res->trans_type = g->trans_type;
	t->res->amount_fen = g->amount_fen;
	t->res->nominal_fen = g->nominal_fen;
	t->res->balance_fen = -1;
	return tap_end(t, TAP_GREY, err, 0);
}

/* One card exchange; a 6Cxx answer (wrong Le) is re-issued once with the
 * length the card asked for. */
static int tap_card(struct tap *t, const struct apdu *a, struct rapdu *ret)
{
	struct apdu retry = *a;
	uint8_t cmd[APDU_MAX_CMD], resp[APDU_MAX_RESP];
	size_t cmd_len, resp_len;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		r = apdu_encode(&retry, cmd, sizeof(cmd), &cmd_len);
		if (r == 0)
			r = ykt_reader_transceive(t->env->reader, cmd, cmd_len, resp, sizeof(resp),
						  &resp_len);
		if (r < 0)
			return r;
		if (rapdu_parse(resp, resp_len, ret) < 0)
			return YKT_E_CARD_FORMAT;
		if ((ret->sw >> 8) != SW1_WRONG_LE || retry.le < 0)
			return 0;
		retry.le = (ret->sw & 0xff) ? (ret->sw & 0xff) : 256;
	}
	return 0;
}

/* A failed exchange ends the tap: the card left, or answered garbage. */
static int tap_card_failed(struct tap *t, int err)
{
	if (t->has_grey)
		return tap_ask_again(t, err);
	if (err == YKT_E_CARD_GONE)
		return tap_end(t, TAP_CARD_REMOVED, err, 0);
	return tap_end(t, TAP_CARD_ERROR, err, 0);
}

static bool sw_means_blocked(uint16_t sw)
{
	return sw == SW_FILE_INVALIDATED || sw == SW_FCI_FORMAT || sw == SW_APP_LOCKED ||
	       sw == SW_FUNC_NOT_SUPPORTED;
}

/* PPSE first when configured; phones and wearables list a 16-byte AID that
 * starts with the T-Union AID. Falls back to the plain AID. */
static void tap_choose_aid(struct tap *t, uint8_t aid[16], size_t *aid_len)
{
	struct apdu a;
	struct rapdu r;

	memcpy(aid, tunion_ep_aid, TUNION_AID_LEN);
	*aid_len = TUNION_AID_LEN;
	if (t->cfg->select != SELECT_PPSE)
		return;
	card_cmd_select_ppse(&a);
	if (tap_card(t, &a, &r) == 0 && r.sw == SW_OK &&
	    card_parse_ppse(r.data, r.len, aid, aid_len) == 0)
		return;
	memcpy(aid, tunion_ep_aid, TUNION_AID_LEN);
	*aid_len = TUNION_AID_LEN;
}

/* The clock a tap would use is trusted: not before the build date (or the
 * configured floor), and not earlier than the newest record by more than
 * clock_tolerance_s (a clock that jumped back would sign purchases with a
 * wrong time). */
static int tap_clock_valid(const struct ykt_tap_env *env, int64_t now_s, char *why, size_t why_len)
{
	int64_t last = 0;
	int rc = store_last_txn_time(env->store, &last);

	if (rc < 0) {
		snprintf(why, why_len, "store: %s", ykt_strerror(rc));
		return rc;
	}
	if (now_s < env->clock_floor_unix_s) {
		snprintf(why, why_len, "clock not valid (before the build date)");
		return YKT_E_CLOCK;
	}
	if (now_s + env->cfg->clock_tolerance_s < last) {
		snprintf(why, why_len, "clock not valid (%llds before the last record)",
			 (long long)(last - now_s));
		return YKT_E_CLOCK;
	}
	return 0;
}

/* Before the first APDU: the timestamp this tap signs with is trusted. */
static int step_clock(struct tap *t)
{
	int rc = tap_clock_valid(t->env, t->now_s, t->res->reason, sizeof(t->res->reason));

	if (rc < 0)
		return tap_end(t, TAP_OUT_OF_SERVICE, rc, 0);
	return TAP_CONTINUE;
}

static int step_select(struct tap *t)
{
	uint8_t aid[16], f15[CARD_FILE15_LEN];
	size_t aid_len;
	bool has_f15;
	struct apdu a;
	struct rapdu r;
	int rc;

	tap_choose_aid(t, aid, &aid_len);
	card_cmd_select_aid(&a, aid, aid_len);
	rc = tap_card(t, &a, &r);
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (sw_means_blocked(r.sw))
		return tap_end(t, TAP_BLOCKED, YKT_E_CARD_SW, r.sw);
	if (r.sw != SW_OK)
		return tap_end(t, TAP_NOT_TUNION, YKT_E_NO_APP, r.sw);
	rc = card_parse_fci(r.data, r.len, f15, &has_f15);
	if (rc == 0 && !has_f15) {
		card_cmd_read_binary(&a, CARD_SFI_PUBLIC, CARD_FILE15_LEN);
		rc = tap_card(t, &a, &r);
		if (rc < 0)
			return tap_card_failed(t, rc);
		if (r.sw != SW_OK || r.len != CARD_FILE15_LEN)
			return tap_end(t, TAP_CARD_ERROR, YKT_E_CARD_SW, r.sw);
		memcpy(f15, r.data, CARD_FILE15_LEN);
	}
	if (rc == 0)
		rc = card_parse_file15(f15, CARD_FILE15_LEN, &t->f15);
	if (rc < 0)
		return tap_end(t, TAP_CARD_ERROR, rc, 0);
	ykt_cardno_from_serial(t->f15.app_serial, t->res->card_serial);
	t->res->card_type = t->f15.card_type;
	return TAP_CONTINUE;
}

static int step_read_manage(struct tap *t)
{
	struct apdu a;
	struct rapdu r;
	int rc;

	card_cmd_read_binary(&a, CARD_SFI_MANAGE, CARD_FILE17_LEN);
	rc = tap_card(t, &a, &r);
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (r.sw != SW_OK)
		return tap_end(t, TAP_CARD_ERROR, YKT_E_CARD_SW, r.sw);
	rc = card_parse_file17(r.data, r.len, &t->f17);
	if (rc < 0)
		return tap_end(t, TAP_CARD_ERROR, rc, 0);
	return TAP_CONTINUE;
}

/* The card returned after a torn purchase: GET TRANSACTION PROVE (805A)
 * with the INIT ATC + 1 answers MAC2 and TAC if that debit happened. */
static int tap_recovered(struct tap *t, const uint8_t mac2[4], const uint8_t tac[4])
{
	const struct ykt_purchase_record *g = &t->grey;
	int64_t after = g->balance_before_fen - g->amount_fen;
	int rc;

	if (after < 0)
		after = 0; /* into the overdraft: the purse shows zero */
	rc = store_purchase_complete(t->env->store, g->record_no, tac, mac2, after);
	if (rc < 0)
		return tap_store_failed(t, rc);
	log_info("tap", "record %lld recovered by GET TRANSACTION PROVE", (long long)g->record_no);
	t->res->recovered = true;
	t->res->record_no = g->record_no;
	t->res->trans_type = g->trans_type;
	t->res->amount_fen = g->amount_fen;
	t->res->nominal_fen = g->nominal_fen;
	t->res->balance_fen = after;
	memcpy(t->res->mac2, mac2, 4);
	return tap_end(t, TAP_PAID, 0, 0);
}

/* A grey record of this card, recent enough and written by this device
 * (a store carried over from another device keeps its greys for the
 * platform). -ENOENT when there is none to recover. */
static int tap_find_grey(struct tap *t)
{
	int64_t since = t->now_s - t->cfg->grey_window_s;
	int rc = store_purchase_find_grey(t->env->store, t->res->card_serial, since, &t->grey);

	if (rc == 0 && strcmp(t->grey.device_id, t->cfg->device_id) != 0)
		return -ENOENT;
	return rc;
}

static int step_recover(struct tap *t)
{
	uint8_t buf[2], mac2[4], tac[4];
	struct apdu a;
	struct rapdu r;
	int rc = tap_find_grey(t);

	if (rc == -ENOENT)
		return TAP_CONTINUE;
	if (rc < 0)
		return tap_store_failed(t, rc);
	t->has_grey = true;
	card_cmd_get_trans_prove(&a, buf, t->grey.trans_type, (uint16_t)(t->grey.init_atc + 1));
	rc = tap_card(t, &a, &r);
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (r.sw == SW_OK && card_parse_prove(r.data, r.len, mac2, tac) == 0)
		return tap_recovered(t, mac2, tac);
	/* a proof that arrived damaged proves nothing either way: ask again */
	if (r.sw == SW_OK)
		return tap_ask_again(t, YKT_E_CARD_FORMAT);
	/* the card has no proof for that ATC: only a fresh INITIALIZE can tell */
	return TAP_CONTINUE;
}

/* The card's ATC from this INITIALIZE is the INIT ATC of a record of ours
 * that is not void: if grey (or an intent), that DEBIT never happened (the
 * ATC moves only when a debit commits), so the record becomes void and the
 * ATC is free for this purchase, inside the grey window or not.  If it is
 * complete, the card's counter went back: a copied or replayed card. */
static int tap_void_unmoved(struct tap *t)
{
	struct ykt_purchase_record same;
	int rc = store_purchase_find_atc(t->env->store, t->res->card_serial, t->init.atc, &same);

	if (rc == -ENOENT)
		return TAP_CONTINUE;
	if (rc < 0)
		return tap_store_failed(t, rc);
	if (same.state == STORE_COMPLETE) {
		log_err("tap", "card ATC %u already has complete record %lld: refused", t->init.atc,
			(long long)same.record_no);
		return tap_end(t, TAP_CARD_ERROR, YKT_E_STORE_DUP, 0);
	}
	rc = store_purchase_void(t->env->store, same.record_no);
	if (rc < 0 && rc != -EALREADY)
		return tap_store_failed(t, rc);
	log_info("tap", "record %lld void: the card's ATC is still %u, it was not debited",
		 (long long)same.record_no, t->init.atc);
	if (t->has_grey && t->grey.record_no == same.record_no)
		t->has_grey = false;
	return TAP_CONTINUE;
}

/* After INITIALIZE, with a grey purchase of this card in the window: an
 * unmoved ATC voided it above; a moved ATC without a proof means it stays
 * grey, flagged for the platform, and this tap charges nothing. */
static int tap_settle_grey(struct tap *t)
{
	int rc = tap_void_unmoved(t);

	if (rc != TAP_CONTINUE || !t->has_grey)
		return rc;
	log_warn("tap", "record %lld stays grey: card ATC %u, torn purchase at %u, no proof",
		 (long long)t->grey.record_no, t->init.atc, t->grey.init_atc);
	rc = store_purchase_flag(t->env->store, t->grey.record_no, STORE_FLAG_GREY_UNPROVEN);
	if (rc < 0)
		return tap_store_failed(t, rc);
	t->res->record_no = t->grey.record_no;
	return tap_end(t, TAP_GREY_PENDING, 0, 0);
}

static int step_check(struct tap *t)
{
	uint32_t today = (uint32_t)(t->now.year * 10000 + t->now.month * 100 + t->now.day);
	const struct ykt_config *cfg = t->cfg;

	if (t->f15.app_version == 0x00)
		return tap_end(t, TAP_NOT_ENABLED, 0, 0);
	if (today < t->f15.start_date)
		return tap_end(t, TAP_NOT_YET_VALID, 0, 0);
	if (today > t->f15.expiry_date)
		return tap_end(t, TAP_EXPIRED, 0, 0);
	if (cfg->refuse_non_interconnect && t->f17.interconnect == 0 &&
	    memcmp(t->f17.city, cfg->local_city, 2) != 0)
		return tap_end(t, TAP_NON_INTERCONNECT, 0, 0);
	return TAP_CONTINUE;
}

/* One card exchange for terminal/risk.c: the tap's own, with its retry. */
static int tap_xchg(void *ctx, const struct apdu *a, struct rapdu *ret)
{
	return tap_card(ctx, a, ret);
}

/* A blacklisted card is locked (APPLICATION BLOCK with the PSAM's MAC) and
 * the lock recorded, as field practice does; refused whatever the lock
 * did: the card may have left, or refuse the block. */
static int tap_blacklisted(struct tap *t)
{
	const struct ykt_config *cfg = t->cfg;
	struct ykt_lock_result lr = { .step = "off" };
	char masked[YKT_CARDNO_LEN + 1];
	int rc;

	ykt_cardno_mask(t->res->card_serial, 0, masked);
	if (!cfg->lock_blacklisted) {
		log_warn("tap", "card %s is blacklisted (not locked: lock_blacklisted = no)",
			 masked);
		return tap_end(t, TAP_BLACKLISTED, YKT_E_BLACKLISTED, 0);
	}
	ykt_risk_lock_card(tap_xchg, t, t->env->psam, &t->f15, cfg->lock_permanent, &lr);
	log_warn("tap", "card %s is blacklisted: %s (%s, SW %04X)", masked,
		 lr.locked ? "locked" : "lock failed", lr.step, lr.sw);
	rc = ykt_risk_lock_event(
	    t->env->store, cfg->device_id, t->now_s, t->res->card_serial, t->f15.issuer_id,
	    ykt_params_snapshot_version(t->params, YKT_PARAM_BLACKLIST), cfg->lock_permanent, &lr);
	if (rc < 0)
		log_err("tap", "card-lock event not stored: %s", ykt_strerror(rc));
	return tap_end(t, TAP_BLACKLISTED, YKT_E_BLACKLISTED, lr.locked ? 0 : lr.sw);
}

/* The platform's lists (parameter packages), in field order: the
 * interconnect whitelist by issuer + city for interconnect cards from
 * elsewhere, then the blacklist by application serial. */
static int step_lists(struct tap *t)
{
	bool local = memcmp(t->f17.city, t->cfg->local_city, 2) == 0;

	if (!t->params)
		return TAP_CONTINUE;
	if (t->f17.interconnect != 0 && !local &&
	    ykt_params_whitelisted(t->params, t->f15.issuer_id, t->f17.city) == 0)
		return tap_end(t, TAP_NON_INTERCONNECT, YKT_E_NOT_WHITELISTED, 0);
	if (ykt_params_blacklisted(t->params, t->f15.app_serial))
		return tap_blacklisted(t);
	return TAP_CONTINUE;
}

/* What the fare rules need from the card (its trip record, its newest
 * 0x1E records) and, for cards without a history, from the store. */
static int step_history(struct tap *t)
{
	bool local = memcmp(t->f17.city, t->cfg->local_city, 2) == 0;
	struct ykt_purchase_record last;
	uint16_t sw = 0;
	int rc;

	t->fcard.card_type = t->f15.card_type;
	t->fcard.local = local;
	t->fcard.last_here_s = -1;
	fare_plan(&t->setup, t->f15.card_type, local, &t->plan);
	if (t->plan.store_last &&
	    store_purchase_find_last(t->env->store, t->res->card_serial,
				     t->now_s - t->plan.rule.repeat_window_s, &last) == 0)
		t->fcard.last_here_s = last.txn_unix_s;
	rc = ykt_fare_read_card(tap_xchg, t, &t->plan, t->datetime, &t->fcard, &sw);
	if (rc == YKT_E_CARD_SW || rc == YKT_E_CARD_FORMAT)
		return tap_end(t, TAP_CARD_ERROR, rc, sw);
	return rc < 0 ? tap_card_failed(t, rc) : TAP_CONTINUE;
}

static int step_fare(struct tap *t)
{
	struct tap_result *res = t->res;
	const struct fare_decision *d = &t->fare;

	fare_decide(&t->setup, &t->place, &t->fcard, &t->fare);
	res->fare_why = d->why;
	if (d->refused) {
		log_info("tap", "refused by the fare rules: %s", d->why);
		return tap_end(t, d->outcome, d->err, 0);
	}
	res->nominal_fen = d->nominal_fen;
	res->amount_fen = d->amount_fen;
	res->transfer = d->transfer;
	res->fare_flags = d->flags;
	/* the 0x1A and 0x1E records of metro and segmented-bus trips need the
	 * compound purchase */
	res->trans_type =
	    t->plan.needs_capp || t->cfg->mode == PURCHASE_COMPOUND ? TRANS_CAPP : TRANS_PURCHASE;
	return TAP_CONTINUE;
}

/* A card without the CAPP cache (older EP-only personalisations) refuses
 * INITIALIZE FOR CAPP PURCHASE; the flat fare then goes as a simple purchase. */
static bool sw_means_no_capp(uint16_t sw)
{
	return sw == SW_FUNC_NOT_SUPPORTED || sw == SW_WRONG_P1P2 || sw == 0x6D00;
}

static int tap_initialize(struct tap *t, struct rapdu *r)
{
	uint8_t buf[11];
	struct apdu a;

	card_cmd_init_purchase(&a, buf, t->res->trans_type, psam_key_index(t->env->psam),
			       (uint32_t)t->res->amount_fen, psam_terminal_no(t->env->psam));
	return tap_card(t, &a, r);
}

static int step_init(struct tap *t)
{
	struct rapdu r;
	int rc = tap_initialize(t, &r);

	if (rc == 0 && t->res->trans_type == TRANS_CAPP && sw_means_no_capp(r.sw) &&
	    t->cfg->capp_fallback && !t->plan.needs_capp) {
		t->res->trans_type = TRANS_PURCHASE;
		rc = tap_initialize(t, &r);
	}
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (r.sw == SW_INSUFFICIENT)
		return tap_end(t, TAP_INSUFFICIENT, YKT_E_CARD_SW, r.sw);
	if (r.sw != SW_OK && t->has_grey)
		return tap_ask_again(t, YKT_E_CARD_SW);
	if (r.sw != SW_OK)
		return tap_end(t, TAP_CARD_ERROR, YKT_E_CARD_SW, r.sw);
	rc = card_parse_init(r.data, r.len, &t->init);
	if (rc < 0)
		return tap_card_failed(t, rc);
	t->res->balance_fen = t->init.balance_fen;
	if (tap_settle_grey(t) == TAP_END)
		return TAP_END;
	if (t->init.balance_fen > (uint64_t)t->cfg->max_balance_fen)
		return tap_end(t, TAP_CARD_ERROR, YKT_E_LIMIT, 0);
	/* the card's own check (9401) is the authority on what it can pay; the
	 * rules add what must stay on it (minimum balance, the fare still to
	 * come on a metro or bus trip, the card type's overdraft) */
	if (!fare_balance_ok(&t->fare, t->init.balance_fen, t->init.overdraft_limit_fen))
		return tap_end(t, TAP_INSUFFICIENT, 0, 0);
	return TAP_CONTINUE;
}

static void tap_mac1_input(struct tap *t, struct psam_mac1_input *in)
{
	*in = (struct psam_mac1_input){
		.atc = t->init.atc,
		.amount_fen = (uint32_t)t->res->amount_fen,
		.trans_type = t->res->trans_type,
		.key_version = t->init.key_version,
		.algorithm_id = t->init.algorithm_id,
	};
	memcpy(in->random, t->init.random, 4);
	memcpy(in->datetime, t->datetime, 7);
	memcpy(in->app_serial_low8, t->f15.app_serial + 2, 8);
	memcpy(in->issuer_id, t->f15.issuer_id, 8);
}

/* MAC1 goes to the PSAM's own thread: the card's CAPP update and the
 * intent's write need nothing from it and run meanwhile. */
static int step_mac1(struct tap *t)
{
	tap_mac1_input(t, &t->mac1_in);
	t->mac1_pending = psam_mac1_begin(t->env->psam, &t->mac1_in) == 0;
	return TAP_CONTINUE;
}

static int tap_mac1_failed(struct tap *t, int rc)
{
	log_err("tap", "PSAM MAC1 failed: %s (SW %04X)", ykt_strerror(rc),
		psam_last_sw(t->env->psam));
	/* an intent written with the predicted serial: no DEBIT will follow */
	if (t->res->record_no >= 0)
		store_purchase_void(t->env->store, t->res->record_no);
	if (rc != YKT_E_SAM_SW) {
		snprintf(t->res->reason, sizeof(t->res->reason), "PSAM: %s", ykt_strerror(rc));
		return tap_end(t, TAP_OUT_OF_SERVICE, rc, 0);
	}
	return tap_end(t, TAP_CARD_ERROR, rc, psam_last_sw(t->env->psam));
}

static int tap_mac1_end(struct tap *t)
{
	if (!t->mac1_pending)
		return YKT_E_SAM_NOT_READY;
	t->mac1_pending = false;
	return psam_mac1_end(t->env->psam, &t->terminal_serial, t->mac1);
}

/* The purse after this purchase: INITIALIZE's balance includes the usable
 * overdraft (the purse is that minus the limit, as SH computes it); into
 * the overdraft, the purse shows zero. */
static int64_t tap_purse_after(const struct tap *t)
{
	int64_t after =
	    (int64_t)t->init.balance_fen - t->init.overdraft_limit_fen - t->res->amount_fen;

	return after > 0 ? after : 0;
}

/* The trip record the fare rules decided on, with what only INITIALIZE
 * told: the flow number (the card's ATC of this transaction, BCD) and the
 * balance at a metro entry. */
static int tap_update_trip(struct tap *t)
{
	struct card_trip trip = t->fare.trip;
	int64_t purse = (int64_t)t->init.balance_fen - t->init.overdraft_limit_fen;
	struct apdu a;
	struct rapdu r;
	int rc;

	if (!t->fare.has_trip)
		return TAP_CONTINUE;
	ykt_bcd_encode(t->init.atc, trip.flow, sizeof(trip.flow));
	if (t->fare.action == FARE_ENTRY)
		trip.in_balance_fen =
		    purse > t->res->amount_fen ? (uint32_t)(purse - t->res->amount_fen) : 0;
	card_build_trip(&trip, t->rec1a);
	card_cmd_update_capp_1a(&a, t->rec1a);
	rc = tap_card(t, &a, &r);
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (r.sw != SW_OK)
		return tap_end(t, TAP_CARD_ERROR, YKT_E_CARD_SW, r.sw);
	t->has_1a = true;
	return TAP_CONTINUE;
}

static int step_capp_cache(struct tap *t)
{
	const struct fare_place *place = &t->place;
	struct card_rec1e rec = {
		.type = t->fare.rec1e_type,
		.industry = place->industry,
		.line = place->line,
		.station = place->station,
		.operator_code = place->operator_code,
		.amount_fen = (uint32_t)t->res->amount_fen,
		.balance_fen = (uint32_t)tap_purse_after(t),
	};
	struct apdu a;
	struct rapdu r;
	int rc;

	if (t->res->trans_type != TRANS_CAPP)
		return TAP_CONTINUE;
	if (tap_update_trip(t) == TAP_END)
		return TAP_END;
	memcpy(rec.terminal_no, psam_terminal_no(t->env->psam), 6);
	memcpy(rec.datetime, t->datetime, 7);
	memcpy(rec.acquirer_city, place->city, 2);
	memcpy(rec.acquirer_institution, place->institution, 8);
	card_build_rec1e(&rec, t->rec1e);
	card_cmd_update_capp_1e(&a, t->rec1e);
	rc = tap_card(t, &a, &r);
	if (rc < 0)
		return tap_card_failed(t, rc);
	if (r.sw != SW_OK)
		return tap_end(t, TAP_CARD_ERROR, YKT_E_CARD_SW, r.sw);
	t->has_1e = true;
	return TAP_CONTINUE;
}

static void tap_fill_record(struct tap *t, struct ykt_purchase_record *rec)
{
	const struct ykt_config *cfg = t->cfg;
	const struct tap_result *res = t->res;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->device_id, sizeof(rec->device_id), "%s", cfg->device_id);
	memcpy(rec->card_serial, res->card_serial, sizeof(rec->card_serial));
	ykt_hex_encode(t->f15.issuer_id, 8, rec->issuer_id, sizeof(rec->issuer_id));
	ykt_hex_encode(t->f17.city, 2, rec->card_city, sizeof(rec->card_city));
	rec->card_type = t->f15.card_type;
	rec->init_atc = t->init.atc;
	rec->balance_before_fen = t->init.balance_fen;
	rec->balance_after_fen = -1;
	rec->overdraft_limit_fen = t->init.overdraft_limit_fen;
	rec->key_version = t->init.key_version;
	rec->key_index = psam_key_index(t->env->psam);
	rec->algorithm_id = t->init.algorithm_id;
	rec->trans_type = res->trans_type;
	rec->amount_fen = res->amount_fen;
	rec->nominal_fen = res->nominal_fen;
	rec->discount_fen = res->nominal_fen - res->amount_fen;
	ykt_hex_encode(psam_terminal_no(t->env->psam), 6, rec->psam_terminal_no,
		       sizeof(rec->psam_terminal_no));
	rec->psam_serial = t->terminal_serial;
	ykt_hex_encode(t->datetime, 7, rec->txn_time, sizeof(rec->txn_time));
	rec->txn_unix_s = t->now_s;
	rec->industry = t->place.industry;
	snprintf(rec->line, sizeof(rec->line), "%04X", t->place.line);
	snprintf(rec->station, sizeof(rec->station), "%04X", t->place.station);
	snprintf(rec->operator_code, sizeof(rec->operator_code), "%04X", t->place.operator_code);
	snprintf(rec->direction, sizeof(rec->direction), "%s", t->direction);
	snprintf(rec->vehicle, sizeof(rec->vehicle), "%s", t->vehicle);
	rec->flags = res->fare_flags;
	rec->has_capp_1e = t->has_1e;
	memcpy(rec->capp_1e, t->rec1e, sizeof(rec->capp_1e));
	rec->has_capp_1a = t->has_1a;
	memcpy(rec->capp_1a, t->rec1a, sizeof(rec->capp_1a));
	rec->created_ms = ykt_clock_now_ms(t->env->clock);
}

static int tap_intent_add(struct tap *t)
{
	struct ykt_purchase_record rec;
	int rc;

	tap_fill_record(t, &rec);
	rc = store_intent_add(t->env->store, &rec);
	if (rc == 0)
		t->res->record_no = rec.record_no;
	return rc;
}

static int tap_intent_failed(struct tap *t, int rc)
{
	char masked[YKT_CARDNO_LEN + 1];

	ykt_cardno_mask(t->res->card_serial, 0, masked);
	log_err("tap", "no intent record for card %s ATC %u: %s; not debiting", masked, t->init.atc,
		ykt_strerror(rc));
	if (t->res->record_no >= 0)
		store_purchase_void(t->env->store, t->res->record_no);
	/* -EINVAL: what the card gave us does not make a valid record;
	 * a duplicate key: a card or PSAM counter seen before */
	if (rc == -EINVAL || rc == YKT_E_STORE_DUP)
		return tap_end(t, TAP_CARD_ERROR, rc, 0);
	return tap_store_failed(t, rc);
}

/* The durable intent: everything the TAC covers, on disk before DEBIT.
 * Written while the PSAM computes MAC1, with the serial MAC1 is expected to
 * return; without a guess, or when the guess is taken, after MAC1. */
static int step_intent(struct tap *t)
{
	int rc;

	if (!t->mac1_pending || !psam_mac1_predicted(t->env->psam, &t->terminal_serial))
		return TAP_CONTINUE;
	rc = tap_intent_add(t);
	if (rc == YKT_E_STORE_DUP)
		return TAP_CONTINUE; /* step_mac1_wait writes it with the real serial */
	return rc < 0 ? tap_intent_failed(t, rc) : TAP_CONTINUE;
}

/* The intent must hold the serial the PSAM gave: write it now, or correct
 * a wrong guess. */
static int tap_intent_serial(struct tap *t, uint32_t predicted)
{
	if (t->res->record_no < 0)
		return tap_intent_add(t);
	if (t->terminal_serial == predicted)
		return 0;
	log_info("tap", "PSAM serial %u, not the expected %u: intent corrected", t->terminal_serial,
		 predicted);
	return store_intent_set_psam_serial(t->env->store, t->res->record_no, t->terminal_serial);
}

/* MAC1's answer, and the intent made to match it. A serial the store
 * already holds (an intent whose MAC1 failed or was cut by a power cut,
 * written with a guess the PSAM never gave) cannot take a second record:
 * the PSAM is asked once more, for the next serial. The card's session
 * allows it: the serial enters its session key only at DEBIT. */
static int step_mac1_wait(struct tap *t)
{
	uint32_t predicted = t->terminal_serial;
	int rc = tap_mac1_end(t);

	for (int attempt = 0; rc == 0; attempt++) {
		rc = tap_intent_serial(t, predicted);
		if (rc != YKT_E_STORE_DUP || attempt > 0)
			return rc < 0 ? tap_intent_failed(t, rc) : TAP_CONTINUE;
		rc = psam_mac1(t->env->psam, &t->mac1_in, &t->terminal_serial, t->mac1);
	}
	return tap_mac1_failed(t, rc);
}

/* The PSAM that computed MAC1 must still be in its slot: one pulled out (or
 * swapped) now could never verify this purchase's MAC2, so the card is not
 * debited and the intent is void. The slot's own state; no command sent. */
static int tap_psam_gone(struct tap *t)
{
	log_err("tap", "the PSAM left its slot after MAC1: not debiting");
	store_purchase_void(t->env->store, t->res->record_no);
	return tap_end(t, TAP_OUT_OF_SERVICE, YKT_E_SAM_ABSENT, 0);
}

/* DEBIT: once sent, its outcome is either known (TAC and MAC2, or a status
 * word refusing it) or unknown (no answer): the intent then stays grey. */
static int step_debit(struct tap *t)
{
	struct ykt_store *store = t->env->store;
	uint8_t buf[15];
	struct apdu a;
	struct rapdu r;
	int rc;

	if (!psam_present(t->env->psam))
		return tap_psam_gone(t);
	card_cmd_debit(&a, buf, t->terminal_serial, t->datetime, t->mac1);
	rc = tap_card(t, &a, &r);
	if (rc == 0 && r.sw == SW_OK)
		rc = card_parse_debit(r.data, r.len, t->tac, t->res->mac2);
	if (rc < 0) {
		/* if this write fails the record stays an intent, which recovery
		 * treats as grey, and the failed write stops the next taps */
		if (store_purchase_grey(store, t->res->record_no) < 0)
			log_err("tap", "record %lld left an intent", (long long)t->res->record_no);
		t->res->balance_fen = -1; /* unknown until the card comes back */
		return tap_end(t, TAP_GREY, rc, 0);
	}
	if (r.sw != SW_OK) {
		/* refused: nothing was debited, the intent is void (if this write
		 * fails, the next tap of the card voids it by its unmoved ATC) */
		store_purchase_void(store, t->res->record_no);
		return tap_end(t, r.sw == SW_INSUFFICIENT ? TAP_INSUFFICIENT : TAP_CARD_ERROR,
			       YKT_E_CARD_SW, r.sw);
	}
	return TAP_CONTINUE;
}

/* The card paid: the passenger is told now, the record completed right
 * after (ykt_tap_finish), off the critical path. The intent already holds
 * all the TAC covers; a power cut before the completion leaves it grey,
 * as it would during a completion made before the feedback. */
static int step_paid(struct tap *t)
{
	t->res->balance_fen = tap_purse_after(t);
	memcpy(t->res->tac, t->tac, 4);
	return tap_end(t, TAP_PAID, 0, 0);
}

/* The current stop or station: a stop source's reading on the fare table
 * (a bus; a test device playing many gates), else [device] station. */
static void tap_station(struct tap *t, uint16_t configured)
{
	const struct ykt_fare_table *ft = t->setup.table;
	struct fare_place *p = &t->place;
	struct ykt_stop_reading r;
	uint16_t code;

	p->station = configured;
	p->has_station = true;
	if (!t->env->stops || !ft || ft->type == YKT_FARE_FLAT)
		return;
	p->has_station = false;
	if (ykt_stop_read(t->env->stops, &r) < 0)
		return;
	if (ft->type == YKT_FARE_METRO && r.kind != YKT_STOP_CODE)
		return;
	if (ykt_stop_resolve(t->env->stop_tracker, ft, &r, p->direction_up, &code) == 0) {
		p->station = code;
		p->has_station = true;
	}
}

/* The rules in force and where the validator is, once per tap. */
static void tap_setup(struct tap *t)
{
	const struct ykt_config *cfg = t->cfg;
	const struct ykt_device_settings *ds = ykt_params_device_settings(t->params);
	const struct ykt_fare_table *ft = ykt_params_fare_table(t->params);
	struct fare_place *p = &t->place;

	t->setup = (struct fare_setup){ .rules = ykt_params_card_rules(t->params),
					.config_fare_fen = cfg->fare_fen,
					.config_percent = cfg->charge_percent,
					.max_fare_fen = cfg->max_fare_fen };
	t->vehicle = ds && ds->has_vehicle ? ds->vehicle : cfg->vehicle;
	t->direction = ds && ds->has_direction ? ds->direction : cfg->direction;
	*p = (struct fare_place){
		.now_s = t->now_s,
		.industry = cfg->industry,
		.line = ds && ds->has_line ? ds->line : cfg->line,
		.operator_code = ds && ds->has_operator ? ds->operator_code : cfg->operator_code,
		.direction_up = strcmp(t->direction, "down") != 0,
		.gate = (enum fare_gate)cfg->gate,
		.degraded =
		    ds && ds->has_degraded ? ds->degraded : (enum ykt_degraded)cfg->degraded,
	};
	memcpy(p->datetime, t->datetime, 7);
	/* the card's vehicle field: 8 ASCII bytes, zero padded, cut at 8 */
	memcpy(p->vehicle, t->vehicle, strnlen(t->vehicle, sizeof(p->vehicle)));
	memcpy(p->terminal_no, psam_terminal_no(t->env->psam), 6);
	memcpy(p->city, cfg->acquirer_city, 2);
	memcpy(p->institution, cfg->acquirer_institution, 8);
	/* a table made for another line does not price this one */
	if (ft && ft->has_line && ft->line != p->line) {
		log_warn("tap", "fare table for line %04X, this is line %04X: not used", ft->line,
			 p->line);
		ft = NULL;
	}
	t->setup.table = ft;
	tap_station(t, ds && ds->has_station ? ds->station : cfg->station);
}

static const struct tap_step {
	const char *name;
	int (*run)(struct tap *t);
} tap_steps[] = {
	{ "clock", step_clock },
	{ "select", step_select },
	{ "read-0x17", step_read_manage },
	{ "recover", step_recover },
	{ "check", step_check },
	{ "lists", step_lists },
	{ "history", step_history },
	{ "fare", step_fare },
	{ "initialize", step_init },
	{ "mac1", step_mac1 },
	{ "capp-cache", step_capp_cache },
	{ "intent", step_intent },
	{ "mac1-wait", step_mac1_wait },
	{ "debit", step_debit },
	{ "paid", step_paid },
};

void ykt_tap_run(const struct ykt_tap_env *env, struct tap_result *ret)
{
	struct tap t = { .env = env, .cfg = env->cfg, .res = ret };

	memset(ret, 0, sizeof(*ret));
	ret->balance_fen = -1;
	ret->record_no = -1;
	t.now_s = ykt_clock_now_s(env->clock);
	ykt_cst_from_unix(t.now_s, &t.now);
	ykt_cst_to_bcd7(&t.now, t.datetime);
	tap_trace(env, "start");
	t.params = ykt_params_acquire(env->params, t.now_s);
	tap_setup(&t);
	for (size_t i = 0; i < sizeof(tap_steps) / sizeof(tap_steps[0]); i++) {
		int end = tap_steps[i].run(&t);

		tap_trace(env, tap_steps[i].name);
		if (end == TAP_END) {
			log_debug("tap", "ended at %s: %s", tap_steps[i].name,
				  tap_outcome_text(ret->outcome)->key);
			break;
		}
	}
	/* a tap that ended while the PSAM worked (card gone during the CAPP
	 * update): the PSAM is not left mid-command */
	if (t.mac1_pending)
		tap_mac1_end(&t);
	ykt_params_snapshot_unref(t.params);
}

int ykt_tap_finish(const struct ykt_tap_env *env, const struct tap_result *res)
{
	int rc = 0, r;

	if (res->outcome == TAP_PAID && res->record_no >= 0 && !res->recovered) {
		rc = store_purchase_complete(env->store, res->record_no, res->tac, res->mac2,
					     res->balance_fen);
		/* the debit happened and the intent holds what the TAC covers;
		 * the record stays an intent and is reported, never lost */
		if (rc < 0)
			log_err("tap", "record %lld not completed: %s", (long long)res->record_no,
				ykt_strerror(rc));
		else if (env->on_durable)
			env->on_durable(res, env->on_durable_data);
		tap_trace(env, "complete");
	}
	r = ykt_tap_verify_mac2(env, res);
	tap_trace(env, "mac2");
	return rc < 0 ? rc : r;
}

/* The PSAM is gone or does not answer: the card gave its TAC, so the
 * record stands, flagged for the check that cannot happen. */
static int tap_mac2_unchecked(const struct ykt_tap_env *env, const struct tap_result *res, int err)
{
	log_warn("tap", "record %lld: MAC2 not verified (%s); kept and flagged",
		 (long long)res->record_no, ykt_strerror(err));
	store_purchase_mac2_unchecked(env->store, res->record_no);
	return err;
}

int ykt_tap_verify_mac2(const struct ykt_tap_env *env, const struct tap_result *res)
{
	int rc;

	/* a recovered purchase's PSAM session is long gone: nothing to check */
	if (res->outcome != TAP_PAID || res->record_no < 0 || res->recovered)
		return 0;
	/* another PSAM in the slot would refuse a MAC2 it never saw */
	if (!psam_present(env->psam))
		return tap_mac2_unchecked(env, res, YKT_E_SAM_ABSENT);
	rc = psam_verify_mac2(env->psam, res->mac2);
	if (rc == YKT_E_SAM_SW) {
		log_warn("tap",
			 "record %lld: MAC2 rejected by the PSAM (SW %04X); kept and flagged",
			 (long long)res->record_no, psam_last_sw(env->psam));
		store_purchase_mac2(env->store, res->record_no, MAC2_FAILED);
		return rc;
	}
	if (rc < 0)
		return tap_mac2_unchecked(env, res, rc);
	return store_purchase_mac2(env->store, res->record_no, MAC2_OK);
}

int ykt_tap_ready(const struct ykt_tap_env *env, char *why, size_t why_len)
{
	struct store_health health;
	int rc = store_health(env->store, &health);

	if (rc < 0) {
		snprintf(why, why_len, "store: %s", health.reason);
		return rc;
	}
	if (!psam_present(env->psam)) {
		snprintf(why, why_len, "no working PSAM");
		return YKT_E_SAM_NOT_READY;
	}
	rc = tap_clock_valid(env, ykt_clock_now_s(env->clock), why, why_len);
	if (rc < 0)
		return rc;
	snprintf(why, why_len, "%s%s", health.warn ? "store: " : "", health.reason);
	return 0;
}
