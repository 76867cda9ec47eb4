/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Record states: INTENT -> COMPLETE, INTENT -> GREY -> COMPLETE, INTENT or
 * GREY -> VOID, every move the store must refuse; the MAC2 verdict; the
 * PSAM serial of an intent corrected before DEBIT. */
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

static const uint8_t tac[4] = { 0x11, 0x22, 0x33, 0x44 }, mac2[4] = { 0x55, 0x66, 0x77, 0x88 };

static int add(struct ykt_store *s, unsigned n)
{
	struct ykt_purchase_record rec;

	test_record(&rec, n);
	return store_intent_add(s, &rec) == 0 ? (int)rec.record_no : -1;
}

static int intent_to_complete(const char *dir)
{
	static const uint8_t other[4] = { 9, 9, 9, 9 };
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_COMPLETE);
	CHECK_INT(got.balance_after_fen, 4800);
	CHECK(got.has_tac && !memcmp(got.tac, tac, 4) && !memcmp(got.mac2, mac2, 4));
	/* a second completion must not rewrite what the card answered */
	CHECK_INT(store_purchase_complete(s, 1, other, other, 1), -EALREADY);
	CHECK_INT(store_purchase_grey(s, 1), -EINVAL);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_COMPLETE);
	CHECK_INT(got.balance_after_fen, 4800);
	CHECK(!memcmp(got.tac, tac, 4));
	store_close(s);
	return 0;
}

static int intent_grey_complete(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(store_purchase_grey(s, 1), 0);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_GREY);
	CHECK_INT(got.has_tac, 0);
	CHECK_INT(store_purchase_grey(s, 1), -EALREADY);
	/* MAC2 cannot be judged before the TAC and MAC2 are known */
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_OK), -EINVAL);
	/* recovery (805A) when the card comes back */
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_COMPLETE);
	CHECK(got.has_tac && !memcmp(got.mac2, mac2, 4));
	store_close(s);
	return 0;
}

static int void_moves(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(add(s, 2), 2);
	CHECK_INT(add(s, 3), 3);
	/* DEBIT refused: intent -> void */
	CHECK_INT(store_purchase_void(s, 1), 0);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_VOID);
	CHECK_INT(store_purchase_void(s, 1), -EALREADY);
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), -EINVAL);
	CHECK_INT(store_purchase_grey(s, 1), -EINVAL);
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_OK), -EINVAL);
	/* recovery proved no debit: grey -> void */
	CHECK_INT(store_purchase_grey(s, 2), 0);
	CHECK_INT(store_purchase_void(s, 2), 0);
	/* a debit happened: never void */
	CHECK_INT(store_purchase_complete(s, 3, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_void(s, 3), -EINVAL);
	CHECK_INT(store_purchase_get(s, 3, &got), 0);
	CHECK_INT(got.state, STORE_COMPLETE);
	CHECK_INT(store_purchase_void(s, 99), -ENOENT);
	store_close(s);
	return 0;
}

/* The card was not debited, so it comes back with the same INIT ATC: the
 * retry must be recordable once (and only once) the first try is void. */
static int retry_after_void(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record first, retry;
	struct store_counts c;

	CHECK(s);
	test_record(&first, 1);
	CHECK_INT(store_intent_add(s, &first), 0);
	test_record(&retry, 2);
	memcpy(retry.card_serial, first.card_serial, sizeof(retry.card_serial));
	retry.init_atc = first.init_atc; /* fresh PSAM serial, same card ATC */
	CHECK_INT(store_intent_add(s, &retry), YKT_E_STORE_DUP);
	CHECK_INT(store_purchase_void(s, first.record_no), 0);
	CHECK_INT(store_intent_add(s, &retry), 0);
	CHECK_INT(retry.record_no, 2);
	/* the PSAM key stays unique even against void records */
	test_record(&retry, 3);
	retry.psam_serial = first.psam_serial;
	CHECK_INT(store_intent_add(s, &retry), YKT_E_STORE_DUP);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 2);
	CHECK_INT(c.intent, 1);
	CHECK_INT(c.pending_upload, 1); /* a void record is not uploaded */
	store_close(s);
	return 0;
}

static int missing_record(const char *dir)
{
	struct ykt_store *s = test_open(dir);

	CHECK(s);
	CHECK_INT(store_purchase_complete(s, 99, tac, mac2, 0), -ENOENT);
	CHECK_INT(store_purchase_grey(s, 99), -ENOENT);
	CHECK_INT(store_purchase_mac2(s, 99, MAC2_OK), -ENOENT);
	/* the store still works after refused changes (no transaction left open) */
	CHECK_INT(add(s, 1), 1);
	store_close(s);
	return 0;
}

static int bad_arguments(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(store_purchase_complete(s, 1, NULL, mac2, 0), -EINVAL);
	CHECK_INT(store_purchase_complete(s, 1, tac, NULL, 0), -EINVAL);
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, -1), -EINVAL);
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 100000001), -EINVAL);
	CHECK_INT(store_purchase_complete(s, 0, tac, mac2, 0), -EINVAL);
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_UNCHECKED), -EINVAL);
	CHECK_INT(store_purchase_mac2(s, 1, (enum store_mac2_status)7), -EINVAL);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_INTENT);
	store_close(s);
	return 0;
}

static int mac2_verdicts(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(add(s, 2), 2);
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_OK), -EINVAL); /* still an intent */
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_complete(s, 2, tac, mac2, 4800), 0);

	CHECK_INT(store_purchase_mac2(s, 1, MAC2_OK), 0);
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_OK), 0); /* a repeat is harmless */
	CHECK_INT(store_purchase_mac2(s, 1, MAC2_FAILED), -EALREADY);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.mac2_status, MAC2_OK);
	CHECK_INT(got.flags & STORE_FLAG_MAC2_FAILED, 0);

	/* the card was debited all the same: the record stays, flagged */
	CHECK_INT(store_purchase_mac2(s, 2, MAC2_FAILED), 0);
	CHECK_INT(store_purchase_mac2(s, 2, MAC2_OK), -EALREADY);
	CHECK_INT(store_purchase_get(s, 2, &got), 0);
	CHECK_INT(got.mac2_status, MAC2_FAILED);
	CHECK_INT(got.flags & STORE_FLAG_MAC2_FAILED, STORE_FLAG_MAC2_FAILED);
	CHECK_INT(got.state, STORE_COMPLETE);
	store_close(s);
	return 0;
}

/* The PSAM was gone before MAC2 could be verified: the record stands,
 * flagged, with no verdict; a record with a verdict is not flagged. */
static int mac2_unchecked(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1);
	CHECK_INT(add(s, 2), 2);
	CHECK_INT(store_purchase_mac2_unchecked(s, 1), -EINVAL); /* still an intent */
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_complete(s, 2, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_mac2_unchecked(s, 1), 0);
	CHECK_INT(store_purchase_mac2_unchecked(s, 1), 0); /* a repeat is harmless */
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.mac2_status, MAC2_UNCHECKED);
	CHECK_INT(got.flags, STORE_FLAG_MAC2_UNCHECKED);
	CHECK_INT(got.state, STORE_COMPLETE);

	CHECK_INT(store_purchase_mac2(s, 2, MAC2_OK), 0);
	CHECK_INT(store_purchase_mac2_unchecked(s, 2), -EALREADY);
	CHECK_INT(store_purchase_get(s, 2, &got), 0);
	CHECK_INT(got.flags, 0);
	CHECK_INT(store_purchase_mac2_unchecked(s, 99), -ENOENT);
	store_close(s);
	return 0;
}

/* An intent written with a guessed PSAM serial: corrected while it is an
 * intent, never once DEBIT's outcome is recorded, never onto a serial
 * another record holds. */
static int psam_serial_fix(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record got;

	CHECK(s);
	CHECK_INT(add(s, 1), 1); /* serial 7001 */
	CHECK_INT(add(s, 2), 2); /* serial 7002 */
	CHECK_INT(store_intent_set_psam_serial(s, 2, 7001), YKT_E_STORE_DUP);
	CHECK_INT(store_intent_set_psam_serial(s, 2, 7010), 0);
	CHECK_INT(store_purchase_get(s, 2, &got), 0);
	CHECK_INT(got.psam_serial, 7010);
	CHECK_INT(got.state, STORE_INTENT);
	/* the old serial is free again */
	CHECK_INT(store_intent_set_psam_serial(s, 1, 7002), 0);
	CHECK_INT(store_purchase_complete(s, 1, tac, mac2, 4800), 0);
	CHECK_INT(store_intent_set_psam_serial(s, 1, 7020), -EINVAL);
	CHECK_INT(store_purchase_grey(s, 2), 0);
	CHECK_INT(store_intent_set_psam_serial(s, 2, 7021), -EINVAL);
	CHECK_INT(store_purchase_get(s, 2, &got), 0);
	CHECK_INT(got.psam_serial, 7010);
	CHECK_INT(store_intent_set_psam_serial(s, 99, 7030), -ENOENT);
	CHECK_INT(store_intent_set_psam_serial(NULL, 2, 7030), -EINVAL);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "intent_to_complete", intent_to_complete },
		{ "intent_grey_complete", intent_grey_complete },
		{ "void_moves", void_moves },
		{ "retry_after_void", retry_after_void },
		{ "missing_record", missing_record },
		{ "bad_arguments", bad_arguments },
		{ "mac2_verdicts", mac2_verdicts },
		{ "mac2_unchecked", mac2_unchecked },
		{ "psam_serial_fix", psam_serial_fix },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
