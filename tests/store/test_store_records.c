/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Records: every field round-trips, record numbers rise and are never
 * reused, duplicates are refused without a trace, counts and walks. */
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

/* Every field at an edge: full-length strings, maximum integers, bytes
 * >= 0x80 in free text, NUL bytes inside blobs. */
static void edge_record(struct ykt_purchase_record *r)
{
	test_record(r, 9);
	memset(r->device_id, 'D', sizeof(r->device_id) - 1);
	snprintf(r->card_serial, sizeof(r->card_serial), "0123456789ABCDEF0F1E");
	snprintf(r->issuer_id, sizeof(r->issuer_id), "FEDCBA9876543210");
	snprintf(r->card_city, sizeof(r->card_city), "9999");
	r->card_type = 0xff;
	r->init_atc = 0xffff;
	r->balance_before_fen = 100000000;
	r->overdraft_limit_fen = 0xffffff;
	r->key_version = 0xfe;
	r->key_index = 0xfd;
	r->algorithm_id = 0xfc;
	r->flags = 0xfffffff0u; /* bits 0-3 (MAC2 failed, grey unproven, MAC2 unchecked,
				   was grey) are the store's and the tap's to set */
	r->trans_type = 0x09;
	r->amount_fen = 100000000;
	r->nominal_fen = 99999999;
	r->discount_fen = 12345;
	snprintf(r->psam_terminal_no, sizeof(r->psam_terminal_no), "999999999999");
	r->psam_serial = 0xffffffffu;
	r->industry = 0x01;
	memcpy(r->line, "L1234567", 9);
	memcpy(r->direction, "DOWNWARD", 9);
	snprintf(r->vehicle, sizeof(r->vehicle),
		 "\xe7\xb2\xa4"
		 "A12345-ABCDEF"); /* 粤A... */
	memcpy(r->station, "S7654321", 9);
	memcpy(r->operator_code, "OPERATOR", 9);
	r->has_capp_1e = true;
	for (size_t i = 0; i < sizeof(r->capp_1e); i++)
		r->capp_1e[i] = (uint8_t)(i * 37); /* starts with 0x00 */
	r->has_capp_1a = true;
	for (size_t i = 0; i < sizeof(r->capp_1a); i++)
		r->capp_1a[i] = (uint8_t)(i * 41);
	r->capp_1a[0] = 0x27; /* a 27xx record */
	r->capp_1a[5] = 0x00;
	r->created_ms = 1795217400123;
}

static int round_trip(const char *dir)
{
	static const uint8_t tac[4] = { 0xde, 0xad, 0x00, 0xef },
			     mac2[4] = { 0x00, 0x11, 0x22, 0x33 };
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec, want, got;
	char path[512], hex[128];

	CHECK(s);
	edge_record(&rec);
	want = rec;
	CHECK_INT(store_intent_add(s, &rec), 0);
	want.record_no = 1;
	want.state = STORE_INTENT;
	CHECK(test_record_equal(&rec, &want)); /* rec now says what was stored */
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK(test_record_equal(&got, &want));

	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 99999800), 0);
	want.state = STORE_COMPLETE;
	want.has_tac = true;
	memcpy(want.tac, tac, 4);
	memcpy(want.mac2, mac2, 4);
	want.balance_after_fen = 99999800;
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK(test_record_equal(&got, &want));
	store_close(s);

	/* stored as the types the platform export expects */
	test_db_path(dir, path);
	CHECK_INT(raw_text(path, "SELECT hex(tac) || typeof(tac) FROM purchase", hex, sizeof(hex)),
		  0);
	CHECK_STR(hex, "DEAD00EFblob");
	CHECK_INT(raw_int(path, "SELECT length(capp_1e) FROM purchase"), 48);
	CHECK_INT(raw_int(path, "SELECT length(capp_1a) FROM purchase"), 128);
	CHECK_INT(raw_int(path, "SELECT psam_serial FROM purchase"), 0xffffffffLL);
	return 0;
}

/* Normalisation: what the store decides is not taken from the caller. */
static int intent_normalised(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec, got;

	CHECK(s);
	test_record(&rec, 1);
	rec.record_no = 777;
	rec.state = STORE_COMPLETE;
	rec.upload_state = UPLOAD_ACCEPTED;
	rec.mac2_status = MAC2_OK;
	rec.flags = STORE_FLAG_MAC2_FAILED | STORE_FLAG_MAC2_UNCHECKED | STORE_FLAG_WAS_GREY;
	rec.has_tac = true;
	rec.tac[0] = 1;
	rec.balance_after_fen = 4800;
	rec.created_ms = 0; /* filled in from the wall clock */
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(store_purchase_get(s, rec.record_no, &got), 0);
	CHECK(test_record_equal(&got, &rec));
	CHECK_INT(got.record_no, 1);
	CHECK_INT(got.state, STORE_INTENT);
	CHECK_INT(got.upload_state, UPLOAD_PENDING);
	CHECK_INT(got.mac2_status, MAC2_UNCHECKED);
	CHECK_INT(got.flags, 0);
	CHECK_INT(got.has_tac, 0);
	CHECK_INT(got.tac[0], 0);
	CHECK_INT(got.balance_after_fen, -1);
	CHECK(got.created_ms > 1600000000000LL);
	store_close(s);
	return 0;
}

static int add(struct ykt_store *s, unsigned n, int64_t *ret_no)
{
	struct ykt_purchase_record rec;
	int r;

	test_record(&rec, n);
	r = store_intent_add(s, &rec);
	if (r == 0)
		*ret_no = rec.record_no;
	return r;
}

static int numbers_never_reused(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	char path[512];
	int64_t no = 0;

	CHECK(s);
	test_db_path(dir, path);
	for (unsigned n = 1; n <= 3; n++) {
		CHECK_INT(add(s, n, &no), 0);
		CHECK_INT(no, n);
	}
	/* rows removed behind the store's back (the upload purge, a fault) */
	CHECK_INT(raw_exec(path, "DELETE FROM purchase WHERE record_no >= 2"), 0);
	CHECK_INT(add(s, 4, &no), 0);
	CHECK_INT(no, 4);
	CHECK_INT(raw_exec(path, "DELETE FROM purchase"), 0);
	CHECK_INT(add(s, 5, &no), 0);
	CHECK_INT(no, 5);
	store_close(s);

	s = test_open(dir);
	CHECK(s);
	CHECK_INT(add(s, 6, &no), 0);
	CHECK_INT(no, 6);
	store_close(s);

	/* even a counter set back (old backup) cannot hand out a stored number */
	CHECK_INT(raw_exec(path, "UPDATE counter SET value = 1"), 0);
	s = test_open(dir);
	CHECK(s);
	CHECK_INT(add(s, 7, &no), 0);
	CHECK_INT(no, 7);
	store_close(s);
	return 0;
}

/* A refused duplicate changes nothing: no row, no record number used, the
 * first record intact, the caller's record untouched. */
static int refused_cleanly(struct ykt_store *s, struct ykt_purchase_record *dup,
			   const struct ykt_purchase_record *first)
{
	struct ykt_purchase_record before = *dup, got;
	struct store_counts c;
	int64_t no;

	CHECK_INT(store_intent_add(s, dup), YKT_E_STORE_DUP);
	CHECK(test_record_equal(dup, &before));
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 1);
	CHECK_INT(store_purchase_get(s, first->record_no, &got), 0);
	CHECK(test_record_equal(&got, first));
	CHECK_INT(add(s, 50, &no), 0);
	CHECK_INT(no, first->record_no + 1);
	return 0;
}

static int duplicate_card_atc(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record first, dup;

	CHECK(s);
	test_record(&first, 1);
	CHECK_INT(store_intent_add(s, &first), 0);
	test_record(&dup, 2);
	memcpy(dup.card_serial, first.card_serial, sizeof(dup.card_serial));
	dup.init_atc = first.init_atc;
	dup.record_no = -5;
	CHECK_INT(refused_cleanly(s, &dup, &first), 0);
	store_close(s);
	return 0;
}

static int duplicate_psam_serial(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record first, dup;

	CHECK(s);
	test_record(&first, 1);
	CHECK_INT(store_intent_add(s, &first), 0);
	test_record(&dup, 2);
	dup.psam_serial = first.psam_serial;
	CHECK_INT(refused_cleanly(s, &dup, &first), 0);
	store_close(s);
	return 0;
}

struct walk {
	int64_t last_no;
	int calls, stop_at;
};

static int walk_cb(const struct ykt_purchase_record *rec, void *userdata)
{
	struct walk *w = userdata;

	if (rec->record_no <= w->last_no)
		return -100; /* out of order */
	w->last_no = rec->record_no;
	w->calls++;
	return w->calls == w->stop_at ? 42 : 0;
}

static int counts_and_walk(const char *dir)
{
	static const uint8_t tac[4] = { 1, 2, 3, 4 }, mac2[4] = { 5, 6, 7, 8 };
	struct ykt_store *s = test_open(dir);
	struct walk w = { 0, 0, 0 };
	struct store_counts c;
	int64_t no;

	CHECK(s);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total + c.intent + c.complete + c.grey + c.pending_upload, 0);
	CHECK_INT(store_purchase_foreach(s, walk_cb, &w), 0);
	CHECK_INT(w.calls, 0);
	for (unsigned n = 1; n <= 6; n++)
		CHECK_INT(add(s, n, &no), 0);
	CHECK_INT(store_purchase_grey(s, 2), 0);
	CHECK_INT(store_purchase_grey(s, 3), 0);
	CHECK_INT(store_purchase_complete(s, 3, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_complete(s, 4, tac, mac2, 4800), 0);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 6);
	CHECK_INT(c.intent, 3);
	CHECK_INT(c.complete, 2);
	CHECK_INT(c.grey, 1);
	CHECK_INT(c.pending_upload, 6);

	CHECK_INT(store_purchase_foreach(s, walk_cb, &w), 0);
	CHECK_INT(w.calls, 6);
	w = (struct walk){ 0, 0, 3 };
	CHECK_INT(store_purchase_foreach(s, walk_cb, &w), 42);
	CHECK_INT(w.calls, 3);
	/* a stopped walk leaves the store usable, and walks again from the start */
	w = (struct walk){ 0, 0, 0 };
	CHECK_INT(store_purchase_foreach(s, walk_cb, &w), 0);
	CHECK_INT(w.calls, 6);
	store_close(s);
	return 0;
}

static int grey_cb(const struct ykt_purchase_record *rec, void *userdata)
{
	return store_purchase_grey(userdata, rec->record_no);
}

/* The walk is read by `ykt sync`, which marks records as it goes. */
static int walk_and_write(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_counts c;
	int64_t no;

	CHECK(s);
	for (unsigned n = 1; n <= 4; n++)
		CHECK_INT(add(s, n, &no), 0);
	CHECK_INT(store_purchase_foreach(s, grey_cb, s), 0);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.grey, 4);
	/* a second walk: every grey call now answers -EALREADY, which stops it */
	CHECK_INT(store_purchase_foreach(s, grey_cb, s), -EALREADY);
	CHECK_INT(add(s, 5, &no), 0);
	store_close(s);
	return 0;
}

static int nested_cb(const struct ykt_purchase_record *rec, void *userdata)
{
	return store_purchase_foreach(userdata, nested_cb, userdata);
}

static int walk_nested(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	int64_t no;

	CHECK(s);
	CHECK_INT(add(s, 1, &no), 0);
	CHECK_INT(store_purchase_foreach(s, nested_cb, s), -EBUSY);
	store_close(s);
	return 0;
}

static int last_txn_time(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record late, early;
	int64_t t = -1;

	CHECK(s);
	CHECK_INT(store_last_txn_time(s, &t), 0);
	CHECK_INT(t, 0);
	test_record(&late, 30);
	test_record(&early, 2);
	CHECK_INT(store_intent_add(s, &late), 0);
	CHECK_INT(store_intent_add(s, &early), 0);
	CHECK_INT(store_last_txn_time(s, &t), 0);
	CHECK_INT(t, late.txn_unix_s);
	store_close(s);
	return 0;
}

/* The newest complete purchase of a card in a time window: what the
 * repeat-tap check asks the store when the card carries no history. */
static int find_last(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record a, b, c, other, got;
	static const uint8_t tac[4] = { 1, 2, 3, 4 };

	CHECK(s);
	test_record(&a, 1);
	test_record(&b, 3);
	snprintf(b.card_serial, sizeof(b.card_serial), "%s", a.card_serial);
	test_record(&c, 5);
	snprintf(c.card_serial, sizeof(c.card_serial), "%s", a.card_serial);
	test_record(&other, 7);
	CHECK_INT(store_intent_add(s, &a), 0);
	CHECK_INT(store_intent_add(s, &b), 0);
	CHECK_INT(store_intent_add(s, &c), 0);
	CHECK_INT(store_intent_add(s, &other), 0);
	CHECK_INT(store_purchase_find_last(s, a.card_serial, 0, &got), -ENOENT); /* intents */
	CHECK_INT(store_purchase_complete(s, a.record_no, tac, tac, 4800), 0);
	CHECK_INT(store_purchase_complete(s, b.record_no, tac, tac, 4800), 0);
	CHECK_INT(store_purchase_complete(s, other.record_no, tac, tac, 4800), 0);
	/* c stays an intent: only complete purchases count */
	CHECK_INT(store_purchase_find_last(s, a.card_serial, 0, &got), 0);
	CHECK_INT(got.record_no, b.record_no);
	CHECK_INT(store_purchase_find_last(s, a.card_serial, b.txn_unix_s, &got), 0);
	CHECK_INT(store_purchase_find_last(s, a.card_serial, b.txn_unix_s + 1, &got), -ENOENT);
	CHECK_INT(store_purchase_find_last(s, "00000000000000000000", 0, &got), -ENOENT);
	store_close(s);
	return 0;
}

static int get_missing(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	memset(&got, 0x5a, sizeof(got));
	CHECK_INT(store_purchase_get(s, 1, &got), -ENOENT);
	CHECK_INT(got.record_no, 0x5a5a5a5a5a5a5a5aLL);
	CHECK_INT(store_purchase_get(s, -1, &got), -ENOENT);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "round_trip", round_trip },
		{ "intent_normalised", intent_normalised },
		{ "numbers_never_reused", numbers_never_reused },
		{ "duplicate_card_atc", duplicate_card_atc },
		{ "duplicate_psam_serial", duplicate_psam_serial },
		{ "counts_and_walk", counts_and_walk },
		{ "walk_and_write", walk_and_write },
		{ "walk_nested", walk_nested },
		{ "last_txn_time", last_txn_time },
		{ "get_missing", get_missing },
		{ "find_last", find_last },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
