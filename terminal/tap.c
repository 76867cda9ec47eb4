/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tap.h"

#include "apdu.h"
#include "bytes.h"
#include "card.h"
#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "params.h"
#include "psam.h"
#include "reader.h"
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
	uint8_t tac[4];

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

/* The platform's lists (parameter packages), in field order: the
 * interconnect whitelist by issuer + city for interconnect cards from
 * elsewhere, then the blacklist by application serial.  Locking a
 * blacklisted card (APPLICATION BLOCK) is the fare rules' business. */
static int step_lists(struct tap *t)
{
	bool local = memcmp(t->f17.city, t->cfg->local_city, 2) == 0;

	if (!t->params)
		return TAP_CONTINUE;
	if (t->f17.interconnect != 0 && !local &&
	    ykt_params_whitelisted(t->params, t->f15.issuer_id, t->f17.city) == 0)
		return tap_end(t, TAP_NON_INTERCONNECT, YKT_E_NOT_WHITELISTED, 0);
	if (ykt_params_blacklisted(t->params, t->f15.app_serial))
		return tap_end(t, TAP_BLOCKED, YKT_E_BLACKLISTED, 0);
	return TAP_CONTINUE;
}

static int step_fare(struct tap *t)
{
	struct tap_result *res = t->res;
	int64_t pct = t->cfg->charge_percent[t->f15.card_type];

	res->nominal_fen = t->cfg->fare_fen;
	/* round to the nearest fen, halves up, in integers */
	res->amount_fen = (res->nominal_fen * pct + 50) / 100;
	res->trans_type = t->cfg->mode == PURCHASE_COMPOUND ? TRANS_CAPP : TRANS_PURCHASE;
	if (res->amount_fen < 0 || res->amount_fen > t->cfg->max_fare_fen)
		return tap_end(t, TAP_OUT_OF_SERVICE, YKT_E_LIMIT, 0);
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
	    t->cfg->capp_fallback) {
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
	/* the card's own check is the authority; this one guards against a
	 * card that would go below zero without an overdraft */
	if ((int64_t)t->init.balance_fen + t->init.overdraft_limit_fen < t->res->amount_fen)
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

static int step_capp_cache(struct tap *t)
{
	const struct ykt_config *cfg = t->cfg;
	struct card_rec1e rec = {
		.type = TRANS_PURCHASE, /* 06: EP single purchase */
		.industry = cfg->industry,
		.line = cfg->line,
		.station = cfg->station,
		.operator_code = cfg->operator_code,
		.amount_fen = (uint32_t)t->res->amount_fen,
		.balance_fen = (uint32_t)((int64_t)t->init.balance_fen - t->res->amount_fen),
	};
	struct apdu a;
	struct rapdu r;
	int rc;

	if (t->res->trans_type != TRANS_CAPP)
		return TAP_CONTINUE;
	if ((int64_t)t->init.balance_fen < t->res->amount_fen)
		rec.balance_fen = 0; /* into overdraft: the purse shows zero */
	memcpy(rec.terminal_no, psam_terminal_no(t->env->psam), 6);
	memcpy(rec.datetime, t->datetime, 7);
	memcpy(rec.acquirer_city, cfg->acquirer_city, 2);
	memcpy(rec.acquirer_institution, cfg->acquirer_institution, 8);
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
	rec->industry = cfg->industry;
	snprintf(rec->line, sizeof(rec->line), "%04X", cfg->line);
	snprintf(rec->station, sizeof(rec->station), "%04X", cfg->station);
	snprintf(rec->operator_code, sizeof(rec->operator_code), "%04X", cfg->operator_code);
	snprintf(rec->direction, sizeof(rec->direction), "%s", cfg->direction);
	snprintf(rec->vehicle, sizeof(rec->vehicle), "%s", cfg->vehicle);
	rec->has_capp_1e = t->has_1e;
	memcpy(rec->capp_1e, t->rec1e, sizeof(rec->capp_1e));
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
	int64_t after = (int64_t)t->init.balance_fen - t->res->amount_fen;

	/* into the overdraft: the purse shows zero, as the 1E record says (a
	 * negative balance would be refused by the store, leaving the record
	 * an intent) */
	t->res->balance_fen = after < 0 ? 0 : after;
	memcpy(t->res->tac, t->tac, 4);
	return tap_end(t, TAP_PAID, 0, 0);
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
