/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One scanned QR code, from its bytes to its outcome.  See qr_tap.h. */
#include "qr_tap.h"

#include "bytes.h"
#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "fare.h"
#include "log.h"
#include "params.h"
#include "qr.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A code is remembered as long as any code can be valid: the longest
 * validity field 12 can state, and the phone clock's tolerance. */
#define QR_REPLAY_TTL_S (65535 + 3600)

struct ykt_qr_tap {
	struct qr_guard guard;
};

/* What one scan learns, in the order it learns it. */
struct qr_scan {
	const struct ykt_tap_env *env;
	const struct ykt_config *cfg;
	const uint8_t *buf;
	size_t len;
	struct qr_code code;
	int64_t now_s;
	struct ykt_params_snapshot *snap; /* the parameters in force for this scan */
	struct tap_result *res;
};

static const enum tap_outcome verdict_outcomes[QR__VERDICT_COUNT] = {
	[QR_OK] = TAP_PAID,
	[QR_MALFORMED] = TAP_QR_INVALID,
	[QR_UNKNOWN_ROOT] = TAP_QR_UNKNOWN_ROOT,
	[QR_ROOT_EXPIRED] = TAP_QR_ROOT_EXPIRED,
	[QR_BAD_CERT_SIG] = TAP_QR_BAD_CERT,
	[QR_CERT_EXPIRED] = TAP_QR_CERT_EXPIRED,
	[QR_BAD_ISSUER_SIG] = TAP_QR_BAD_ACCOUNT,
	[QR_AUTH_EXPIRED] = TAP_QR_AUTH_EXPIRED,
	[QR_BAD_USER_SIG] = TAP_QR_BAD_SIGNATURE,
	[QR_CODE_EXPIRED] = TAP_QR_EXPIRED,
	[QR_CODE_FUTURE] = TAP_QR_FUTURE,
	[QR_OVER_LIMIT] = TAP_QR_OVER_LIMIT,
	[QR_ACCOUNT_REFUSED] = TAP_QR_ACCOUNT_REFUSED,
	[QR_BOUNCE] = TAP_QR_BOUNCE,
	[QR_REPLAYED] = TAP_QR_REPLAYED,
	[QR_REPEAT_ACCOUNT] = TAP_QR_REPEAT_ACCOUNT,
};

enum tap_outcome ykt_qr_outcome(enum qr_verdict v)
{
	return (unsigned)v < QR__VERDICT_COUNT ? verdict_outcomes[v] : TAP_QR_INVALID;
}

static void qr_trace(const struct ykt_tap_env *env, const char *step)
{
	if (env->on_step)
		env->on_step(step, ykt_monotonic_ns(), env->on_step_data);
}

/* ---- the guard at start ---- */

static int guard_load(const struct ykt_qr_record *rec, void *userdata)
{
	struct qr_guard *g = userdata;
	struct qr_code c;

	if (qr_parse(rec->code, rec->code_len, &c, NULL, 0) == 0)
		qr_guard_commit(g, rec->code, rec->code_len, &c, rec->txn_unix_s);
	return 0;
}

int ykt_qr_tap_new(const struct ykt_tap_env *env, struct ykt_qr_tap **ret)
{
	const struct ykt_config *cfg = env->cfg;
	struct ykt_qr_tap *q = calloc(1, sizeof(*q));
	int64_t now = ykt_clock_now_s(env->clock);
	int r;

	if (!q)
		return -ENOMEM;
	qr_guard_init(&q->guard, cfg->qr_bounce_s, cfg->qr_repeat_window_s, QR_REPLAY_TTL_S);
	r = store_qr_foreach(env->store, now - QR_REPLAY_TTL_S, guard_load, &q->guard);
	if (r < 0) {
		free(q);
		return r;
	}
	*ret = q;
	return 0;
}

void ykt_qr_tap_free(struct ykt_qr_tap *q)
{
	free(q);
}

/* ---- one scan ---- */

static void scan_end(struct qr_scan *s, enum tap_outcome outcome, int err)
{
	s->res->outcome = outcome;
	s->res->err = err;
}

/* The fare rules in force (docs/fares.md) for the card type the account
 * type maps to ([qr_account_types]): the flat fare of the fare table (or
 * [purchase] fare_fen) at the card-type rule's percent (or
 * [charge_percent]).  A local code (version 81) gets local-only discounts,
 * an interconnect one (80) as an out-of-town card.  Codes carry no trip on
 * a card: under a metro or segmented-bus table they are not served.
 * 0 go on; 1 the scan ends here (outcome set); -EPERM the card-type rule
 * refuses the type. */
static int scan_fare(struct qr_scan *s)
{
	const struct ykt_config *cfg = s->cfg;
	const struct ykt_device_settings *ds = ykt_params_device_settings(s->snap);
	uint16_t line = ds && ds->has_line ? ds->line : cfg->line;
	struct fare_setup setup = { .table = ykt_params_fare_table(s->snap),
				    .rules = ykt_params_card_rules(s->snap),
				    .config_fare_fen = cfg->fare_fen,
				    .config_percent = cfg->charge_percent,
				    .max_fare_fen = cfg->max_fare_fen };
	struct tap_result *res = s->res;
	struct ykt_card_rule rule;

	if (setup.table && setup.table->has_line && setup.table->line != line)
		setup.table = NULL; /* a table for another line: as a card's tap does */
	if (fare_mode_of(&setup) != FARE_MODE_FLAT) {
		log_info("qr", "code refused: QR codes are served under flat fares only");
		scan_end(s, TAP_QR_NOT_SERVED, -EOPNOTSUPP);
		return 1;
	}
	res->card_type = cfg->qr_card_type[s->code.account_type];
	fare_rule(&setup, res->card_type, s->code.version == QR_VERSION_LOCAL, &rule);
	res->nominal_fen = setup.table ? setup.table->flat_fen : cfg->fare_fen;
	res->amount_fen = rule.accept ? fare_percent(res->nominal_fen, rule.charge_percent) : 0;
	if (res->amount_fen < 0 || res->amount_fen > cfg->max_fare_fen) {
		snprintf(res->reason, sizeof(res->reason), "fare above max_fare_fen");
		scan_end(s, TAP_OUT_OF_SERVICE, YKT_E_LIMIT);
		return 1;
	}
	return rule.accept ? 0 : -EPERM;
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (ykt_hex_encode(p, n, out, cap) < 0 && cap)
		out[0] = '\0';
}

static void fill_record(const struct qr_scan *s, enum qr_verdict v, struct ykt_qr_record *rec)
{
	const struct ykt_config *cfg = s->cfg;
	const struct qr_code *c = &s->code;
	const struct tap_result *res = s->res;
	struct ykt_cst t;
	uint8_t bcd[7];

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->device_id, sizeof(rec->device_id), "%s", cfg->device_id);
	snprintf(rec->verdict, sizeof(rec->verdict), "%s", qr_verdict_key(v));
	memcpy(rec->code, s->buf, s->len);
	rec->code_len = s->len;
	qr_code_sha256(s->buf, s->len, rec->code_sha256);
	rec->version = c->version;
	rec->ca_index = c->ca_index;
	hex_of(c->issuer_id, 4, rec->issuer_id, sizeof(rec->issuer_id));
	hex_of(c->user_account, 10, rec->user_account, sizeof(rec->user_account));
	hex_of(c->payment_account, 16, rec->payment_account, sizeof(rec->payment_account));
	hex_of(c->institution, 4, rec->institution, sizeof(rec->institution));
	hex_of(c->platform, 4, rec->platform, sizeof(rec->platform));
	rec->account_type = c->account_type;
	rec->single_limit_fen = c->single_limit_fen;
	rec->generated_utc = c->generated_utc;
	rec->validity_s = c->validity_s;
	rec->card_type = res->card_type;
	rec->nominal_fen = res->nominal_fen;
	rec->amount_fen = v == QR_OK ? res->amount_fen : 0;
	rec->discount_fen = v == QR_OK ? res->nominal_fen - res->amount_fen : 0;
	ykt_cst_from_unix(s->now_s, &t);
	ykt_cst_to_bcd7(&t, bcd);
	hex_of(bcd, 7, rec->txn_time, sizeof(rec->txn_time));
	rec->txn_unix_s = s->now_s;
	rec->industry = cfg->industry;
	snprintf(rec->line, sizeof(rec->line), "%04X", cfg->line);
	snprintf(rec->station, sizeof(rec->station), "%04X", cfg->station);
	snprintf(rec->operator_code, sizeof(rec->operator_code), "%04X", cfg->operator_code);
	snprintf(rec->direction, sizeof(rec->direction), "%s", cfg->direction);
	snprintf(rec->vehicle, sizeof(rec->vehicle), "%s", cfg->vehicle);
	rec->created_ms = ykt_clock_now_ms(s->env->clock);
}

static int scan_record(struct qr_scan *s, enum qr_verdict v)
{
	struct ykt_qr_record rec;
	int r;

	fill_record(s, v, &rec);
	r = store_qr_add(s->env->store, &rec);
	if (r == 0)
		s->res->record_no = rec.record_no;
	return r;
}

/* A refusal is recorded for the platform's sake; a store that cannot take
 * it costs the record, never the refusal. */
static void scan_refuse(struct qr_scan *s, enum qr_verdict v)
{
	char masked[YKT_CARDNO_LEN + 1];
	int r = scan_record(s, v);

	ykt_cardno_mask(s->res->card_serial, 0, masked);
	log_info("qr", "code %02X of account %s refused: %s", s->code.version, masked,
		 qr_verdict_key(v));
	if (r < 0)
		log_err("qr", "refused code not recorded: %s", ykt_strerror(r));
	s->res->amount_fen = 0;
	scan_end(s, ykt_qr_outcome(v), 0);
}

/* Charged: durable first, then remembered by the guard.  A code the store
 * already holds as charged (the guard forgot it: a restart past its 256
 * codes) is a replay. */
static void scan_charge(struct ykt_qr_tap *q, struct qr_scan *s)
{
	int r = scan_record(s, QR_OK);

	if (r == YKT_E_STORE_DUP) {
		scan_refuse(s, QR_REPLAYED);
		return;
	}
	if (r < 0) {
		log_err("qr", "code not recorded: %s; not charged", ykt_strerror(r));
		snprintf(s->res->reason, sizeof(s->res->reason), "store: %s", ykt_strerror(r));
		s->res->amount_fen = 0;
		scan_end(s, r == -EINVAL ? TAP_QR_INVALID : TAP_OUT_OF_SERVICE, r);
		return;
	}
	qr_guard_commit(&q->guard, s->buf, s->len, &s->code, s->now_s);
	scan_end(s, TAP_PAID, 0);
}

/* The root keys in force: a qr-root-keys parameter package when one is in
 * force (it replaces the configuration's keys as a whole), else [qr]
 * root_key.  Into out (CONFIG_QR_ROOTS_MAX or YKT_QR_ROOT_KEYS_MAX). */
static size_t scan_roots(const struct qr_scan *s, const struct ykt_params_snapshot *snap,
			 struct qr_root_key *out)
{
	const struct ykt_qr_root_keys *pk = ykt_params_qr_root_keys(snap);

	if (!pk) {
		memcpy(out, s->cfg->qr_roots, s->cfg->n_qr_roots * sizeof(*out));
		return s->cfg->n_qr_roots;
	}
	for (size_t i = 0; i < pk->n; i++) {
		out[i] = (struct qr_root_key){ .version = pk->keys[i].version,
					       .index = pk->keys[i].index,
					       .pubkey_len = pk->keys[i].pubkey_len,
					       .expiry_utc = pk->keys[i].expiry_unix_s };
		memcpy(out[i].pubkey, pk->keys[i].pubkey, pk->keys[i].pubkey_len);
	}
	return pk->n;
}

static enum qr_verdict scan_verify(struct ykt_qr_tap *q, struct qr_scan *s, enum qr_verdict guard)
{
	const struct ykt_config *cfg = s->cfg;
	struct qr_policy policy = {
		.now_utc = s->now_s,
		.future_tolerance_s = cfg->qr_future_tolerance_s,
		.fare_fen = (uint32_t)s->res->amount_fen,
		.accept_test_accounts = cfg->qr_accept_test_accounts,
	};
	struct qr_root_key roots[YKT_QR_ROOT_KEYS_MAX > CONFIG_QR_ROOTS_MAX ? YKT_QR_ROOT_KEYS_MAX
									    : CONFIG_QR_ROOTS_MAX];
	enum qr_verdict v;
	size_t n;

	/* the very bytes of a charged code: nothing to verify again */
	if (guard == QR_REPLAYED)
		return QR_REPLAYED;
	n = scan_roots(s, s->snap, roots);
	v = qr_verify(s->buf, &s->code, roots, n, &policy);
	qr_trace(s->env, "qr-verify");
	/* the account's repeat window counts only for a code proven its own */
	return v == QR_OK ? guard : v;
}

/* After parse and the guard: the fare, the chain, the record. */
static void scan_decide(struct ykt_qr_tap *q, struct qr_scan *s, enum qr_verdict guard)
{
	enum qr_verdict v;
	int r = scan_fare(s);

	if (r > 0)
		return; /* not served here, or the fare is out of bounds */
	/* the card-type rule refuses the type the account maps to */
	v = r == -EPERM ? QR_ACCOUNT_REFUSED : scan_verify(q, s, guard);
	if (v == QR_OK)
		scan_charge(q, s);
	else
		scan_refuse(s, v);
	qr_trace(s->env, "qr-record");
}

void ykt_qr_tap_run(struct ykt_qr_tap *q, const struct ykt_tap_env *env, const uint8_t *code,
		    size_t len, struct tap_result *res)
{
	struct qr_scan s = { .env = env, .cfg = env->cfg, .buf = code, .len = len, .res = res };
	enum qr_verdict guard;
	char why[128];

	memset(res, 0, sizeof(*res));
	res->balance_fen = res->record_no = -1;
	s.now_s = ykt_clock_now_s(env->clock);
	if (qr_parse(code, len, &s.code, why, sizeof(why)) < 0) {
		log_info("qr", "code refused: %s", len ? why : "unreadable scan");
		scan_end(&s, TAP_QR_INVALID, YKT_E_PARSE);
		return;
	}
	qr_trace(env, "qr-parse");
	res->qr_version = s.code.version;
	ykt_cardno_from_serial(s.code.user_account, res->card_serial);
	guard = qr_guard_check(&q->guard, code, len, &s.code, s.now_s);
	if (guard == QR_BOUNCE) {
		log_debug("qr", "the same code again within %d s: ignored", s.cfg->qr_bounce_s);
		scan_end(&s, TAP_QR_BOUNCE, 0);
		return;
	}
	s.snap = ykt_params_acquire(env->params, s.now_s);
	scan_decide(q, &s, guard);
	ykt_params_snapshot_unref(s.snap);
}
