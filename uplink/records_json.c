/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The records and the platform's answers in JSON (json-c), as
 * docs/uplink-protocol.md defines them.  Encoding is straight from the
 * store's structs; decoding treats the answer as hostile: types, ranges
 * and lengths are checked, and a result that does not match a record of the
 * batch is ignored rather than trusted.
 */
#include "uplink_private.h"

#include "bytes.h"
#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keys are string constants added once each: no copy, no lookup */
#define ADD_FLAGS (JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT)

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_object_add_ex(o, key, v, ADD_FLAGS) == 0 ? 0 : -ENOMEM;
}

static int add_str(struct json_object *o, const char *key, const char *v)
{
	return add(o, key, json_object_new_string(v));
}

static int add_int(struct json_object *o, const char *key, int64_t v)
{
	return add(o, key, json_object_new_int64(v));
}

static int add_hex(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 48 + 1];

	if (ykt_hex_encode(p, n, hex, sizeof(hex)) < 0)
		return -EINVAL;
	return add_str(o, key, hex);
}

static const char *state_name(int state)
{
	switch (state) {
	case STORE_COMPLETE:
		return "complete";
	case STORE_GREY:
		return "grey";
	case STORE_VOID:
		return "void";
	default:
		return NULL;
	}
}

static const char *mac2_name(int status)
{
	return status == MAC2_OK ? "ok" : status == MAC2_FAILED ? "failed" : "unchecked";
}

/* The card, and what the card and the PSAM computed (the TAC covers amount,
 * type, PSAM terminal number, PSAM serial and date-time). */
static int add_card(struct json_object *o, const struct ykt_purchase_record *r)
{
	int e = 0;

	e |= add_str(o, "card_serial", r->card_serial);
	e |= add_str(o, "issuer_id", r->issuer_id);
	e |= add_str(o, "card_city", r->card_city);
	e |= add_int(o, "card_type", r->card_type);
	e |= add_int(o, "init_atc", r->init_atc);
	e |= add_int(o, "balance_before_fen", r->balance_before_fen);
	if (r->state == STORE_COMPLETE)
		e |= add_int(o, "balance_after_fen", r->balance_after_fen);
	e |= add_int(o, "overdraft_limit_fen", r->overdraft_limit_fen);
	e |= add_int(o, "key_version", r->key_version);
	e |= add_int(o, "key_index", r->key_index);
	e |= add_int(o, "algorithm_id", r->algorithm_id);
	return e ? -ENOMEM : 0;
}

static int add_transaction(struct json_object *o, const struct ykt_purchase_record *r)
{
	int e = 0;

	e |= add_int(o, "trans_type", r->trans_type);
	e |= add_int(o, "amount_fen", r->amount_fen);
	e |= add_int(o, "nominal_fen", r->nominal_fen);
	e |= add_int(o, "discount_fen", r->discount_fen);
	e |= add_str(o, "psam_terminal_no", r->psam_terminal_no);
	e |= add_int(o, "psam_serial", r->psam_serial);
	e |= add_str(o, "txn_time", r->txn_time);
	if (r->has_tac) {
		e |= add_hex(o, "tac", r->tac, 4);
		e |= add_hex(o, "mac2", r->mac2, 4);
		e |= add_str(o, "mac2_status", mac2_name(r->mac2_status));
	}
	e |= add(o, "was_grey", json_object_new_boolean((r->flags & STORE_FLAG_WAS_GREY) != 0));
	return e ? -ENOMEM : 0;
}

static int add_place(struct json_object *o, const struct ykt_purchase_record *r)
{
	int e = 0;

	e |= add_int(o, "industry", r->industry);
	e |= add_str(o, "line", r->line);
	e |= add_str(o, "direction", r->direction);
	e |= add_str(o, "vehicle", r->vehicle);
	e |= add_str(o, "station", r->station);
	e |= add_str(o, "operator_code", r->operator_code);
	if (r->has_capp_1e)
		e |= add_hex(o, "capp_1e", r->capp_1e, sizeof(r->capp_1e));
	e |= add_int(o, "created_ms", r->created_ms);
	return e ? -ENOMEM : 0;
}

static int purchase_json(const struct ykt_purchase_record *r, struct json_object *o)
{
	const char *state = state_name(r->state);
	int e = 0;

	if (!state)
		return -EINVAL; /* an intent is never uploaded */
	e |= add_str(o, "type", "purchase");
	e |= add_int(o, "record_no", r->record_no);
	e |= add_str(o, "device_id", r->device_id);
	e |= add_str(o, "state", state);
	if (e)
		return -ENOMEM;
	e = add_card(o, r);
	if (e == 0)
		e = add_transaction(o, r);
	if (e == 0)
		e = add_place(o, r);
	return e;
}

static int event_json(const struct ykt_event_record *ev, struct json_object *o)
{
	struct json_object *body;
	enum json_tokener_error jerr = json_tokener_success;
	int e = 0;

	/* the store checked the body; parse it again rather than paste text
	 * into the batch, so a damaged file cannot break the batch's JSON */
	body = json_tokener_parse_verbose(ev->body, &jerr);
	if (!body || !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		log_err("uplink", "event %lld: body is not a JSON object",
			(long long)ev->record_no);
		return YKT_E_PARSE;
	}
	e |= add_str(o, "type", "event");
	e |= add_int(o, "record_no", ev->record_no);
	e |= add_str(o, "device_id", ev->device_id);
	e |= add_str(o, "kind", ev->kind);
	e |= add_str(o, "event_time", ev->event_time);
	e |= add_int(o, "created_ms", ev->created_ms);
	e |= add(o, "body", body);
	return e ? -ENOMEM : 0;
}

/* A QR code record: the full code for clearing (hex), the validator's
 * verdict, the fare, and what it read from the code (docs/uplink-protocol.md). */
static int qr_code_json(const struct ykt_qr_record *q, struct json_object *o)
{
	char *hex = malloc(2 * q->code_len + 1);
	int e = hex ? 0 : -ENOMEM;

	if (e == 0 && ykt_hex_encode(q->code, q->code_len, hex, 2 * q->code_len + 1) < 0)
		e = -EINVAL;
	if (e == 0)
		e = add_str(o, "code", hex);
	free(hex);
	if (e == 0)
		e = add_hex(o, "code_sha256", q->code_sha256, 32);
	return e;
}

static int qr_json(const struct ykt_qr_record *q, struct json_object *o)
{
	int e = 0;

	e |= add_str(o, "type", "qr");
	e |= add_int(o, "record_no", q->record_no);
	e |= add_str(o, "device_id", q->device_id);
	e |= add_str(o, "verdict", q->verdict);
	e |= add_int(o, "version", q->version);
	e |= add_str(o, "user_account", q->user_account);
	e |= add_str(o, "payment_account", q->payment_account);
	e |= add_int(o, "account_type", q->account_type);
	e |= add_int(o, "card_type", q->card_type);
	e |= add_int(o, "amount_fen", q->amount_fen);
	e |= add_int(o, "nominal_fen", q->nominal_fen);
	e |= add_int(o, "discount_fen", q->discount_fen);
	e |= add_str(o, "txn_time", q->txn_time);
	e |= add_int(o, "industry", q->industry);
	e |= add_str(o, "line", q->line);
	e |= add_str(o, "direction", q->direction);
	e |= add_str(o, "vehicle", q->vehicle);
	e |= add_str(o, "station", q->station);
	e |= add_str(o, "operator_code", q->operator_code);
	e |= add_int(o, "created_ms", q->created_ms);
	if (e)
		return -ENOMEM;
	return qr_code_json(q, o);
}

int uplink_json_record(const struct store_upload_item *item, struct json_object **ret)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	if (item->kind == STORE_ITEM_PURCHASE && item->purchase)
		r = purchase_json(item->purchase, o);
	else if (item->kind == STORE_ITEM_EVENT && item->event)
		r = event_json(item->event, o);
	else if (item->kind == STORE_ITEM_QR && item->qr)
		r = qr_json(item->qr, o);
	else
		r = -EINVAL;
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

/* ---- answers ---- */

/* An object parsed from at most len bytes, depth-limited; NULL otherwise. */
static struct json_object *parse_object(const char *body, size_t len, char *why, size_t why_len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *root = NULL;

	if (!tok)
		return NULL;
	if (len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, body, (int)len);
	/* the whole answer must be one complete value */
	if (root && json_tokener_get_parse_end(tok) != len) {
		json_object_put(root);
		root = NULL;
	}
	if (!root)
		snprintf(why, why_len, "answer is not JSON (%s)",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, why_len, "answer is not a JSON object");
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

static int verdict_of(const char *status)
{
	if (strcmp(status, "accepted") == 0)
		return UPLOAD_ACCEPTED;
	if (strcmp(status, "duplicate") == 0)
		return UPLOAD_DUPLICATE;
	if (strcmp(status, "rejected") == 0)
		return UPLOAD_REJECTED;
	return -1;
}

static const struct uplink_sent *find_sent(const struct uplink_sent *sent, size_t n, int64_t no)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sent[mid].record_no == no)
			return &sent[mid];
		if (sent[mid].record_no < no)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *string_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool int_field(struct json_object *o, const char *key, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

/* One result into an answer; false when it is to be ignored. */
static bool result_answer(struct json_object *res, const struct uplink_sent *sent, size_t n_sent,
			  bool *answered, struct store_upload_answer *a)
{
	const struct uplink_sent *s;
	const char *status;
	int64_t no;
	int verdict;

	if (!json_object_is_type(res, json_type_object) || !int_field(res, "record_no", &no))
		return false;
	status = string_field(res, "status");
	verdict = status ? verdict_of(status) : -1;
	s = find_sent(sent, n_sent, no);
	if (verdict < 0 || !s || answered[s - sent])
		return false;
	answered[s - sent] = true;
	*a = (struct store_upload_answer){
		.kind = s->kind,
		.record_no = no,
		.sent_state = s->state,
		.verdict = verdict,
		.reason = verdict == UPLOAD_REJECTED ? string_field(res, "reason") : NULL,
	};
	return true;
}

static int results_array(struct json_object *root, struct json_object **ret, char *why,
			 size_t why_len)
{
	int64_t protocol = 0;

	if (!int_field(root, "protocol", &protocol) || protocol != UPLINK_PROTOCOL) {
		snprintf(why, why_len, "answer is not protocol %d", UPLINK_PROTOCOL);
		return YKT_E_PROTOCOL;
	}
	if (!json_object_object_get_ex(root, "results", ret) ||
	    !json_object_is_type(*ret, json_type_array)) {
		snprintf(why, why_len, "answer has no results array");
		return YKT_E_PROTOCOL;
	}
	return 0;
}

int uplink_parse_results(const char *body, size_t len, const struct uplink_sent *sent,
			 size_t n_sent, struct uplink_answers *ret, char *why, size_t why_len)
{
	struct uplink_answers a = { 0 };
	struct json_object *results;
	bool *answered;
	size_t n_res;
	int r;

	a.root = parse_object(body, len, why, why_len);
	if (!a.root)
		return YKT_E_PROTOCOL;
	r = results_array(a.root, &results, why, why_len);
	n_res = r == 0 ? json_object_array_length(results) : 0;
	a.answer = calloc(n_sent ? n_sent : 1, sizeof(*a.answer));
	answered = calloc(n_sent ? n_sent : 1, sizeof(*answered));
	if (r == 0 && (!a.answer || !answered))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n_res; i++) {
		if (result_answer(json_object_array_get_idx(results, i), sent, n_sent, answered,
				  &a.answer[a.n]))
			a.n++;
		else
			a.ignored++;
	}
	free(answered);
	if (r < 0) {
		uplink_answers_free(&a);
		return r;
	}
	*ret = a;
	return 0;
}

void uplink_answers_free(struct uplink_answers *a)
{
	json_object_put(a->root);
	free(a->answer);
	*a = (struct uplink_answers){ 0 };
}

void uplink_parse_error(const char *body, size_t len, char *out, size_t cap)
{
	char why[128];
	struct json_object *root = parse_object(body, len, why, sizeof(why));
	const char *code = root ? string_field(root, "error") : NULL;
	const char *msg = root ? string_field(root, "message") : NULL;

	out[0] = '\0';
	if (code)
		snprintf(out, cap, "%.60s%s%.120s", code, msg ? ": " : "", msg ? msg : "");
	/* one line whatever the platform sent */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	json_object_put(root);
}
