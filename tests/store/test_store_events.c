/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event records (PSAM swap, card lock, ...): one record-number sequence
 * with purchases, JSON bodies checked by the store, the walk by kind; and
 * the upgrade of a schema-1 database with records in every state. */
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *schema1_fixture;

static void test_event(struct ykt_event_record *ev, const char *kind, const char *body)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->device_id, sizeof(ev->device_id), "BUS-0815-V1");
	snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	snprintf(ev->event_time, sizeof(ev->event_time), "20261121073500");
	ev->event_unix_s = 1795217700;
	snprintf(ev->body, sizeof(ev->body), "%s", body);
}

static int shared_counter(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;
	struct ykt_event_record ev, got;
	struct store_counts c;

	CHECK(s);
	test_record(&rec, 1);
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(rec.record_no, 1);
	test_event(&ev, "psam-swap", "{\"old\":\"000000000001\",\"new\":\"000000000002\"}");
	CHECK_INT(store_event_add(s, &ev), 0);
	CHECK_INT(ev.record_no, 2);
	test_record(&rec, 2);
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(rec.record_no, 3);

	CHECK_INT(store_event_get(s, 2, &got), 0);
	CHECK_STR(got.kind, "psam-swap");
	CHECK_STR(got.device_id, "BUS-0815-V1");
	CHECK_STR(got.event_time, "20261121073500");
	CHECK_INT(got.event_unix_s, 1795217700);
	CHECK_STR(got.body, ev.body);
	CHECK_INT(got.upload_state, UPLOAD_PENDING);
	CHECK_INT(store_event_get(s, 1, &got), -ENOENT);

	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 2);
	CHECK_INT(c.events, 1);
	CHECK_INT(c.events_pending_upload, 1);
	store_close(s);
	return 0;
}

static int bad_events(const char *dir)
{
	static const char *const bodies[] = { "", "[1,2]", "{\"a\":", "42", "{\"a\":1}}" };
	struct ykt_store *s = test_open(dir);
	struct ykt_event_record ev;
	struct store_counts c;
	char big[STORE_EVENT_BODY_MAX + 1];

	CHECK(s);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		test_event(&ev, "psam-swap", bodies[i]);
		CHECK_INT(store_event_add(s, &ev), -EINVAL);
	}
	test_event(&ev, "PSAM swap", "{}");
	CHECK_INT(store_event_add(s, &ev), -EINVAL);
	test_event(&ev, "", "{}");
	CHECK_INT(store_event_add(s, &ev), -EINVAL);
	test_event(&ev, "psam-swap", "{}");
	snprintf(ev.event_time, sizeof(ev.event_time), "2026112107350x");
	CHECK_INT(store_event_add(s, &ev), -EINVAL);
	test_event(&ev, "psam-swap", "{}");
	ev.device_id[0] = '\0';
	CHECK_INT(store_event_add(s, &ev), -EINVAL);
	/* a body of exactly the maximum is fine */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[STORE_EVENT_BODY_MAX - 1] = '}';
	big[STORE_EVENT_BODY_MAX] = '\0';
	test_event(&ev, "psam-swap", big);
	CHECK_INT(store_event_add(s, &ev), 0);
	/* refused events took no record number */
	CHECK_INT(ev.record_no, 1);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.events, 1);
	store_close(s);
	return 0;
}

struct walk {
	int n;
	int64_t last;
	char kinds[8][STORE_EVENT_KIND_MAX + 1];
};

static int walk_cb(const struct ykt_event_record *ev, void *userdata)
{
	struct walk *w = userdata;

	if (ev->record_no <= w->last || w->n >= 8)
		return -1;
	w->last = ev->record_no;
	snprintf(w->kinds[w->n++], sizeof(w->kinds[0]), "%s", ev->kind);
	return 0;
}

static int walk_by_kind(const char *dir)
{
	static const char *const kinds[] = { "psam-swap", "card-lock", "psam-swap", "card-lock",
					     "psam-swap" };
	struct ykt_store *s = test_open(dir);
	struct ykt_event_record ev;
	struct walk w = { 0 };

	CHECK(s);
	for (size_t i = 0; i < 5; i++) {
		test_event(&ev, kinds[i], "{\"n\":1}");
		CHECK_INT(store_event_add(s, &ev), 0);
	}
	CHECK_INT(store_event_foreach(s, NULL, walk_cb, &w), 0);
	CHECK_INT(w.n, 5);
	memset(&w, 0, sizeof(w));
	CHECK_INT(store_event_foreach(s, "card-lock", walk_cb, &w), 0);
	CHECK_INT(w.n, 2);
	CHECK_STR(w.kinds[0], "card-lock");
	CHECK_STR(w.kinds[1], "card-lock");
	memset(&w, 0, sizeof(w));
	CHECK_INT(store_event_foreach(s, "qr", walk_cb, &w), 0);
	CHECK_INT(w.n, 0);
	store_close(s);
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int r = 0;

	if (!in || !out)
		r = -1;
	while (r == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			r = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		r = -1;
	return r;
}

/* tests/data/store/schema1.db was written by the schema-1 store with
 * test_record(n) for n = 1..5: an intent, a complete record with MAC2 ok,
 * a grey one, a void one, a complete one whose MAC2 failed. */
static int upgrade_from_schema1(const char *dir)
{
	static const int want_state[] = { STORE_INTENT, STORE_COMPLETE, STORE_GREY, STORE_VOID,
					  STORE_COMPLETE };
	static const int want_mac2[] = { MAC2_UNCHECKED, MAC2_OK, MAC2_UNCHECKED, MAC2_UNCHECKED,
					 MAC2_FAILED };
	struct ykt_purchase_record got, want;
	struct ykt_event_record ev;
	struct ykt_store *s;
	char path[512];

	test_db_path(dir, path);
	CHECK(schema1_fixture);
	CHECK_INT(copy_file(schema1_fixture, path), 0);
	CHECK_INT(raw_int(path, "PRAGMA user_version"), 1);
	s = test_open(dir);
	CHECK(s);
	CHECK_INT(raw_int(path, "PRAGMA user_version"), store_schema_version());
	for (unsigned n = 1; n <= 5; n++) {
		CHECK_INT(store_purchase_get(s, n, &got), 0);
		test_record(&want, n);
		CHECK_STR(got.card_serial, want.card_serial);
		CHECK_INT(got.init_atc, want.init_atc);
		CHECK_INT(got.amount_fen, want.amount_fen);
		CHECK_STR(got.txn_time, want.txn_time);
		CHECK_INT(got.state, want_state[n - 1]);
		CHECK_INT(got.mac2_status, want_mac2[n - 1]);
		CHECK_INT(got.upload_state, UPLOAD_PENDING);
	}
	CHECK_INT(got.flags & STORE_FLAG_MAC2_FAILED, STORE_FLAG_MAC2_FAILED);
	/* the grey record can still be recovered after the upgrade */
	{
		static const uint8_t tac[4] = { 1, 2, 3, 4 }, mac2[4] = { 5, 6, 7, 8 };

		CHECK_INT(store_purchase_complete(s, 3, tac, mac2, 4700), 0);
	}
	/* new records continue the old numbering */
	test_event(&ev, "psam-swap", "{}");
	CHECK_INT(store_event_add(s, &ev), 0);
	CHECK_INT(ev.record_no, 6);
	store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct store_test tests[] = {
		{ "shared_counter", shared_counter },
		{ "bad_events", bad_events },
		{ "walk_by_kind", walk_by_kind },
		{ "upgrade_from_schema1", upgrade_from_schema1 },
	};

	schema1_fixture = argc > 1 ? argv[1] : NULL;
	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
