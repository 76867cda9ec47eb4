/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QR code records: every field back as written, one record-number
 * sequence with purchases and events, a code charged at most once (but
 * refused any number of times), refused codes charge nothing, fields out of
 * form refused by the store and by the table, the walk of charged codes for
 * the scan guard, counts, and the clock check's latest time. */
#include "bytes.h"
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795217400 /* 2026-11-21 07:30:00 CST */

static void test_qr(struct ykt_qr_record *r, unsigned n, const char *verdict)
{
	struct ykt_cst t;
	uint8_t bcd[7];

	memset(r, 0, sizeof(*r));
	snprintf(r->device_id, sizeof(r->device_id), "BUS-0815-V1");
	snprintf(r->verdict, sizeof(r->verdict), "%s", verdict);
	r->code_len = 332 + n % 33;
	for (size_t i = 0; i < r->code_len; i++)
		r->code[i] = (uint8_t)(n * 13 + i);
	r->code[0] = 0x80;
	for (size_t i = 0; i < 32; i++)
		r->code_sha256[i] = (uint8_t)(n + i);
	r->version = 0x80;
	r->ca_index = 1;
	snprintf(r->issuer_id, sizeof(r->issuer_id), "31000001");
	snprintf(r->user_account, sizeof(r->user_account), "621700001234567890%02u", n % 100);
	snprintf(r->payment_account, sizeof(r->payment_account),
		 "62170000000000000000000012345678");
	snprintf(r->institution, sizeof(r->institution), "10000001");
	snprintf(r->platform, sizeof(r->platform), "20000002");
	r->account_type = 0x02;
	r->single_limit_fen = 5000;
	r->generated_utc = T0 - 8 * 3600 + n * 60 - 5;
	r->validity_s = 60;
	r->card_type = 0x02;
	r->nominal_fen = 200;
	r->amount_fen = strcmp(verdict, "ok") == 0 ? 100 : 0;
	r->discount_fen = strcmp(verdict, "ok") == 0 ? 100 : 0;
	r->txn_unix_s = T0 + n * 60;
	ykt_cst_from_unix(r->txn_unix_s, &t);
	ykt_cst_to_bcd7(&t, bcd);
	ykt_hex_encode(bcd, 7, r->txn_time, sizeof(r->txn_time));
	r->industry = 0x02;
	snprintf(r->line, sizeof(r->line), "0029");
	snprintf(r->direction, sizeof(r->direction), "up");
	snprintf(r->vehicle, sizeof(r->vehicle), "00032845");
	snprintf(r->station, sizeof(r->station), "0000");
	snprintf(r->operator_code, sizeof(r->operator_code), "0001");
}

static int same_qr(const struct ykt_qr_record *a, const struct ykt_qr_record *b)
{
	CHECK_INT(a->record_no, b->record_no);
	CHECK_STR(a->device_id, b->device_id);
	CHECK_STR(a->verdict, b->verdict);
	CHECK_INT(a->code_len, b->code_len);
	CHECK(!memcmp(a->code, b->code, a->code_len));
	CHECK(!memcmp(a->code_sha256, b->code_sha256, 32));
	CHECK_INT(a->version, b->version);
	CHECK_INT(a->ca_index, b->ca_index);
	CHECK_STR(a->issuer_id, b->issuer_id);
	CHECK_STR(a->user_account, b->user_account);
	CHECK_STR(a->payment_account, b->payment_account);
	CHECK_STR(a->institution, b->institution);
	CHECK_STR(a->platform, b->platform);
	CHECK_INT(a->account_type, b->account_type);
	CHECK_INT(a->single_limit_fen, b->single_limit_fen);
	CHECK_INT(a->generated_utc, b->generated_utc);
	CHECK_INT(a->validity_s, b->validity_s);
	CHECK_INT(a->card_type, b->card_type);
	CHECK_INT(a->nominal_fen, b->nominal_fen);
	CHECK_INT(a->amount_fen, b->amount_fen);
	CHECK_INT(a->discount_fen, b->discount_fen);
	CHECK_STR(a->txn_time, b->txn_time);
	CHECK_INT(a->txn_unix_s, b->txn_unix_s);
	CHECK_INT(a->industry, b->industry);
	CHECK_STR(a->line, b->line);
	CHECK_STR(a->direction, b->direction);
	CHECK_STR(a->vehicle, b->vehicle);
	CHECK_STR(a->station, b->station);
	CHECK_STR(a->operator_code, b->operator_code);
	CHECK_INT(a->upload_state, b->upload_state);
	CHECK_INT(a->created_ms, b->created_ms);
	return 0;
}

static int round_trip_and_counter(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record p;
	struct ykt_qr_record q, got;
	struct store_counts c;
	int64_t last = 0;

	CHECK(s);
	test_record(&p, 1);
	CHECK_INT(store_intent_add(s, &p), 0);
	test_qr(&q, 1, "ok");
	q.code_len = STORE_QR_CODE_MAX;
	CHECK_INT(store_qr_add(s, &q), 0);
	CHECK_INT(q.record_no, 2);
	CHECK_INT(q.upload_state, UPLOAD_PENDING);
	CHECK(q.created_ms > 0);
	CHECK_INT(store_qr_get(s, 2, &got), 0);
	CHECK_INT(same_qr(&got, &q), 0);
	CHECK_INT(store_qr_get(s, 1, &got), -ENOENT);

	test_qr(&q, 2, "code-expired");
	CHECK_INT(store_qr_add(s, &q), 0);
	CHECK_INT(q.record_no, 3);
	CHECK_INT(store_qr_get(s, 3, &got), 0);
	CHECK_INT(same_qr(&got, &q), 0);
	test_record(&p, 2);
	CHECK_INT(store_intent_add(s, &p), 0);
	CHECK_INT(p.record_no, 4);

	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 2);
	CHECK_INT(c.qr_charged, 1);
	CHECK_INT(c.qr_refused, 1);
	CHECK_INT(c.qr_pending_upload, 2);
	/* the newest QR record is later than every purchase */
	test_qr(&q, 30, "ok");
	CHECK_INT(store_qr_add(s, &q), 0);
	CHECK_INT(store_last_txn_time(s, &last), 0);
	CHECK_INT(last, T0 + 30 * 60);
	store_close(s);
	return 0;
}

static int charged_once(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_qr_record q, again;
	struct store_counts c;

	CHECK(s);
	test_qr(&q, 3, "ok");
	CHECK_INT(store_qr_add(s, &q), 0);
	again = q;
	again.txn_unix_s += 60;
	CHECK_INT(store_qr_add(s, &again), YKT_E_STORE_DUP);
	/* the same code refused (a replay) is recorded every time */
	snprintf(again.verdict, sizeof(again.verdict), "replayed");
	again.amount_fen = again.discount_fen = 0;
	CHECK_INT(store_qr_add(s, &again), 0);
	CHECK_INT(store_qr_add(s, &again), 0);
	CHECK_INT(again.record_no, 3); /* the refused duplicate took no number */
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.qr_charged, 1);
	CHECK_INT(c.qr_refused, 2);
	store_close(s);
	return 0;
}

static int out_of_form(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_qr_record q;
	char path[512];

	CHECK(s);
	test_qr(&q, 4, "bad-user-sig");
	q.amount_fen = 1;
	CHECK_INT(store_qr_add(s, &q), -EINVAL); /* a refused code charges nothing */
	test_qr(&q, 4, "Bad");
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	q.code_len = 0;
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	q.code_len = STORE_QR_CODE_MAX + 1;
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	q.user_account[3] = 'g';
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	q.payment_account[31] = '\0';
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	q.single_limit_fen = 0x1000000;
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	q.amount_fen = -1;
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	memcpy(q.txn_time, "2026112107300X", 14);
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	test_qr(&q, 4, "ok");
	memset(q.device_id, 'D', sizeof(q.device_id));
	CHECK_INT(store_qr_add(s, &q), -EINVAL);
	store_close(s);

	/* the table itself refuses what the code would: a refusal with an
	 * amount, written behind the store's back */
	test_db_path(dir, path);
	CHECK(raw_exec(path, "INSERT INTO qr (record_no, device_id, verdict, code, code_sha256,"
			     " version, ca_index, issuer_id, user_account, payment_account,"
			     " institution, platform, account_type, single_limit_fen,"
			     " generated_utc, validity_s, card_type, nominal_fen, amount_fen,"
			     " discount_fen, txn_time, txn_unix_s, industry, line, direction,"
			     " vehicle, station, operator_code, upload_state, created_ms)"
			     " VALUES (9, 'D', 'replayed', x'80', zeroblob(32), 128, 1,"
			     " '31000001', '62170000123456789001',"
			     " '62170000000000000000000012345678', '10000001', '20000002', 0,"
			     " 5000, 0, 60, 1, 200, 200, 0, '20261121073000', 0, 2, '', '',"
			     " '', '', '', 0, 1)") != 0);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM qr"), 0);
	return 0;
}

struct walk {
	int64_t no[8];
	size_t n;
};

static int collect(const struct ykt_qr_record *rec, void *userdata)
{
	struct walk *w = userdata;

	if (w->n < 8)
		w->no[w->n++] = rec->record_no;
	return 0;
}

static int walk_charged_since(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_qr_record q;
	struct walk all = { 0 }, recent = { 0 };

	CHECK(s);
	for (unsigned n = 10; n < 16; n++) {
		test_qr(&q, n, n % 3 == 0 ? "repeat-account" : "ok");
		CHECK_INT(store_qr_add(s, &q), 0);
	}
	CHECK_INT(store_qr_foreach(s, -1, collect, &all), 0);
	CHECK_INT(all.n, 6);
	CHECK_INT(all.no[0], 1);
	CHECK_INT(all.no[5], 6);
	/* charged since n = 13: 13 (ok), 14, 15 is refused (15 % 3 == 0) */
	CHECK_INT(store_qr_foreach(s, T0 + 13 * 60, collect, &recent), 0);
	CHECK_INT(recent.n, 2);
	CHECK_INT(recent.no[0], 4);
	CHECK_INT(recent.no[1], 5);
	store_close(s);
	return 0;
}

/* QR rows take room as purchases do: they count towards max_records */
static int rows_count(const char *dir)
{
	struct store_options o = { .max_records = 2 };
	struct ykt_purchase_record p;
	struct ykt_store *s = NULL;
	struct ykt_qr_record q;
	struct store_health h;
	char path[512];

	test_db_path(dir, path);
	CHECK_INT(store_open(path, &o, &s, NULL, 0), 0);
	test_record(&p, 1);
	CHECK_INT(store_intent_add(s, &p), 0);
	CHECK_INT(store_health(s, &h), 0);
	test_qr(&q, 5, "ok");
	CHECK_INT(store_qr_add(s, &q), 0);
	CHECK_INT(store_health(s, &h), YKT_E_STORE_FULL);
	CHECK_INT(h.records, 2);
	store_close(s);
	return 0;
}

/* ---- upload (ykt sync) ---- */

struct walked {
	int64_t no[16];
	int kind[16];
	size_t n;
};

static int walk_cb(const struct store_upload_item *item, void *userdata)
{
	struct walked *w = userdata;

	if (w->n == 16)
		return -ENOSPC;
	if (item->kind == STORE_ITEM_QR && (!item->qr || item->qr->record_no != item->record_no))
		return -EINVAL;
	w->no[w->n] = item->record_no;
	w->kind[w->n++] = item->kind;
	return 0;
}

static int quarantined(const struct store_quarantined *q, void *userdata)
{
	struct walked *w = userdata;

	if (w->n < 16) {
		w->no[w->n] = q->record_no;
		w->kind[w->n++] = q->kind;
	}
	return strncmp(q->reason, "qr-chain: bad-user-sig", 22) == 0 ? 0 : -EINVAL;
}

/* QR records walk with purchases and events in record order, take the
 * platform's answers, go to quarantine and back, are pruned once
 * acknowledged (never the newest), and count in the upload status. */
static int upload(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a[3];
	struct store_upload_status st;
	struct ykt_purchase_record p;
	struct walked w = { 0 }, q = { 0 };
	struct ykt_qr_record r;
	size_t changed = 0, n = 0;

	CHECK(s);
	test_qr(&r, 1, "ok"); /* 1 */
	CHECK_INT(store_qr_add(s, &r), 0);
	test_record(&p, 1); /* 2: an intent, not uploadable */
	CHECK_INT(store_intent_add(s, &p), 0);
	CHECK_INT(store_purchase_complete(s, p.record_no, (const uint8_t *)"\1\2\3\4",
					  (const uint8_t *)"\5\6\7\10", 4800),
		  0);
	test_qr(&r, 2, "code-expired"); /* 3 */
	CHECK_INT(store_qr_add(s, &r), 0);
	test_qr(&r, 3, "ok"); /* 4 */
	CHECK_INT(store_qr_add(s, &r), 0);
	CHECK_INT(store_upload_foreach(s, 0, 10, walk_cb, &w), 0);
	CHECK_INT(w.n, 4);
	CHECK(w.no[0] == 1 && w.kind[0] == STORE_ITEM_QR && w.no[1] == 2 &&
	      w.kind[1] == STORE_ITEM_PURCHASE && w.no[2] == 3 && w.kind[2] == STORE_ITEM_QR &&
	      w.no[3] == 4);
	CHECK_INT(store_upload_status(s, &st), 0);
	CHECK_INT(st.pending_qr, 3);
	CHECK_INT(st.pending_purchases, 1);

	a[0] = (struct store_upload_answer){ .kind = STORE_ITEM_QR,
					     .record_no = 1,
					     .verdict = UPLOAD_ACCEPTED };
	a[1] = (struct store_upload_answer){ .kind = STORE_ITEM_QR,
					     .record_no = 3,
					     .verdict = UPLOAD_DUPLICATE };
	a[2] = (struct store_upload_answer){ .kind = STORE_ITEM_QR,
					     .record_no = 4,
					     .verdict = UPLOAD_REJECTED,
					     .reason = "qr-chain: bad-user-sig" };
	CHECK_INT(store_upload_apply(s, a, 3, 1000, &changed), 0);
	CHECK_INT(changed, 3);
	memset(&w, 0, sizeof(w));
	CHECK_INT(store_upload_foreach(s, 0, 10, walk_cb, &w), 0);
	CHECK(w.n == 1 && w.no[0] == 2); /* only the purchase is left */
	CHECK_INT(store_quarantine_foreach(s, quarantined, &q), 0);
	CHECK(q.n == 1 && q.no[0] == 4 && q.kind[0] == STORE_ITEM_QR);
	CHECK_INT(store_upload_status(s, &st), 0);
	CHECK(st.pending_qr == 0 && st.rejected_qr == 1 && st.acked_qr == 2);

	/* acknowledged QR records go after the retention, except the newest QR
	 * record (4 is rejected: never pruned; 3 is the newest acknowledged
	 * one, but not the newest QR record, so it goes too) */
	CHECK_INT(store_upload_prune(s, 2000, 100, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_qr_get(s, 1, &r), -ENOENT);
	CHECK_INT(store_qr_get(s, 4, &r), 0);
	/* released by the operator, it goes again */
	CHECK_INT(store_quarantine_release(s, 4, &n), 0);
	CHECK_INT(n, 1);
	memset(&w, 0, sizeof(w));
	CHECK_INT(store_upload_foreach(s, 0, 10, walk_cb, &w), 0);
	CHECK(w.n == 2 && w.no[1] == 4);
	store_close(s);
	return 0;
}

/* The newest QR record is kept by the prune: its time counts in the clock
 * check. */
static int prune_keeps_newest(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a = { .kind = STORE_ITEM_QR, .verdict = UPLOAD_ACCEPTED };
	struct ykt_qr_record r;
	size_t n = 0;

	CHECK(s);
	for (unsigned i = 1; i <= 2; i++) {
		test_qr(&r, i, "ok");
		CHECK_INT(store_qr_add(s, &r), 0);
		a.record_no = r.record_no;
		CHECK_INT(store_upload_apply(s, &a, 1, 1000, NULL), 0);
	}
	CHECK_INT(store_upload_prune(s, 2000, 100, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_qr_get(s, 2, &r), 0);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "round_trip_and_counter", round_trip_and_counter },
		{ "charged_once", charged_once },
		{ "out_of_form", out_of_form },
		{ "walk_charged_since", walk_charged_since },
		{ "rows_count", rows_count },
		{ "upload", upload },
		{ "prune_keeps_newest", prune_keeps_newest },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
