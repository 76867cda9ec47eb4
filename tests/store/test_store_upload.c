/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the uplink asks of the store: the walk over uploadable records
 * (purchases and events merged, never an intent or a plain void), the
 * platform's answers (guarded by the state that was sent), grey records
 * that go again once completed or voided, the quarantine, the purge after
 * the retention period, and the status counts. */
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t tac[4] = { 1, 2, 3, 4 }, mac2[4] = { 5, 6, 7, 8 };

#define MAX_SEEN 64

struct seen {
	size_t n;
	int64_t record_no[MAX_SEEN];
	int kind[MAX_SEEN];
	int state[MAX_SEEN]; /* purchases: the state walked */
	size_t stop_after;   /* 0: never stop */
};

static int collect(const struct store_upload_item *item, void *userdata)
{
	struct seen *s = userdata;

	if (s->n == MAX_SEEN)
		return -ENOSPC;
	s->record_no[s->n] = item->record_no;
	s->kind[s->n] = item->kind;
	s->state[s->n] = item->purchase ? item->purchase->state : -1;
	if (item->kind == STORE_ITEM_PURCHASE && item->purchase->record_no != item->record_no)
		return -EINVAL;
	if (item->kind == STORE_ITEM_EVENT && item->event->record_no != item->record_no)
		return -EINVAL;
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 1 : 0;
}

static int add_event(struct ykt_store *s, int64_t *ret_no)
{
	struct ykt_event_record ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.device_id, sizeof(ev.device_id), "BUS-0815-V1");
	snprintf(ev.kind, sizeof(ev.kind), "psam-swap");
	snprintf(ev.event_time, sizeof(ev.event_time), "20261121073500");
	ev.event_unix_s = 1795217700;
	snprintf(ev.body, sizeof(ev.body), "{\"old\":\"000000000001\",\"new\":\"000000000002\"}");
	if (store_event_add(s, &ev) < 0)
		return -1;
	*ret_no = ev.record_no;
	return 0;
}

/* record n in the given state (intent, complete, grey, void-from-intent) */
static int add_purchase(struct ykt_store *s, unsigned n, int state, int64_t *ret_no)
{
	struct ykt_purchase_record rec;
	int r;

	test_record(&rec, n);
	r = store_intent_add(s, &rec);
	if (r == 0 && state == STORE_COMPLETE)
		r = store_purchase_complete(s, rec.record_no, tac, mac2, 4800);
	if (r == 0 && state == STORE_GREY)
		r = store_purchase_grey(s, rec.record_no);
	if (r == 0 && state == STORE_VOID)
		r = store_purchase_void(s, rec.record_no);
	*ret_no = rec.record_no;
	return r;
}

static struct store_upload_answer answer(int kind, int64_t no, int state, int verdict)
{
	return (struct store_upload_answer){
		.kind = kind, .record_no = no, .sent_state = state, .verdict = verdict
	};
}

/* 1 complete, 2 intent, 3 event, 4 grey, 5 void (never grey), 6 event,
 * 7 complete */
static int setup_mix(struct ykt_store *s, int64_t no[8])
{
	static const int states[8] = { 0,	   STORE_COMPLETE, STORE_INTENT, -1,
				       STORE_GREY, STORE_VOID,	   -1,		 STORE_COMPLETE };

	for (unsigned i = 1; i <= 7; i++) {
		int r =
		    states[i] < 0 ? add_event(s, &no[i]) : add_purchase(s, i, states[i], &no[i]);

		if (r < 0 || no[i] != (int64_t)i)
			return -1;
	}
	return 0;
}

static int walk_order(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct seen seen = { 0 };
	int64_t no[8];

	CHECK(s);
	CHECK_INT(setup_mix(s, no), 0);
	CHECK_INT(store_upload_foreach(s, 0, 100, collect, &seen), 0);
	/* no intent (2), no void that never was grey (5) */
	CHECK_INT(seen.n, 5);
	CHECK_INT(seen.record_no[0], 1);
	CHECK_INT(seen.kind[0], STORE_ITEM_PURCHASE);
	CHECK_INT(seen.state[0], STORE_COMPLETE);
	CHECK_INT(seen.record_no[1], 3);
	CHECK_INT(seen.kind[1], STORE_ITEM_EVENT);
	CHECK_INT(seen.record_no[2], 4);
	CHECK_INT(seen.state[2], STORE_GREY);
	CHECK_INT(seen.record_no[3], 6);
	CHECK_INT(seen.record_no[4], 7);

	/* after a cursor, at most n, a callback that stops */
	seen = (struct seen){ 0 };
	CHECK_INT(store_upload_foreach(s, 3, 2, collect, &seen), 0);
	CHECK_INT(seen.n, 2);
	CHECK_INT(seen.record_no[0], 4);
	CHECK_INT(seen.record_no[1], 6);
	seen = (struct seen){ .stop_after = 1 };
	CHECK_INT(store_upload_foreach(s, 0, 100, collect, &seen), 0);
	CHECK_INT(seen.n, 1);
	CHECK_INT(store_upload_foreach(s, 0, 0, collect, &seen), -EINVAL);
	store_close(s);
	return 0;
}

static int nested_walk(const struct store_upload_item *item, void *userdata)
{
	struct ykt_store *s = userdata;
	struct seen seen = { 0 };

	return store_upload_foreach(s, 0, 10, collect, &seen) == -EBUSY ? 1 : -EINVAL;
}

static int walk_nested(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	int64_t no;

	CHECK(s);
	CHECK_INT(add_purchase(s, 1, STORE_COMPLETE, &no), 0);
	CHECK_INT(store_upload_foreach(s, 0, 10, nested_walk, s), 0);
	store_close(s);
	return 0;
}

static int answers_applied(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a[4];
	struct ykt_purchase_record rec;
	struct ykt_event_record ev;
	struct seen seen = { 0 };
	struct store_counts c;
	size_t changed = 99;
	int64_t no[8];

	CHECK(s);
	CHECK_INT(setup_mix(s, no), 0);
	a[0] = answer(STORE_ITEM_PURCHASE, 1, STORE_COMPLETE, UPLOAD_ACCEPTED);
	a[1] = answer(STORE_ITEM_EVENT, 3, 0, UPLOAD_DUPLICATE);
	a[2] = answer(STORE_ITEM_PURCHASE, 4, STORE_GREY, UPLOAD_ACCEPTED);
	a[3] = answer(STORE_ITEM_PURCHASE, 7, STORE_COMPLETE, UPLOAD_REJECTED);
	a[3].reason = "tac-mismatch: TAC does not verify";
	CHECK_INT(store_upload_apply(s, a, 4, 1795300000000, &changed), 0);
	CHECK_INT(changed, 4);
	CHECK(a[0].applied && a[1].applied && a[2].applied && a[3].applied);
	CHECK_INT(store_purchase_get(s, 1, &rec), 0);
	CHECK_INT(rec.upload_state, UPLOAD_ACCEPTED);
	CHECK_INT(store_event_get(s, 3, &ev), 0);
	CHECK_INT(ev.upload_state, UPLOAD_DUPLICATE);
	CHECK_INT(store_purchase_get(s, 7, &rec), 0);
	CHECK_INT(rec.upload_state, UPLOAD_REJECTED);

	/* only event 6 is left; the rejected record is not picked up again */
	CHECK_INT(store_upload_foreach(s, 0, 100, collect, &seen), 0);
	CHECK_INT(seen.n, 1);
	CHECK_INT(seen.record_no[0], 6);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.pending_upload, 1); /* the intent: it will go once finished */
	CHECK_INT(c.events_pending_upload, 1);

	/* the same answers again change nothing (only pending records move) */
	CHECK_INT(store_upload_apply(s, a, 4, 1795300001000, &changed), 0);
	CHECK_INT(changed, 0);
	CHECK(!a[0].applied && !a[1].applied && !a[2].applied && !a[3].applied);
	CHECK_INT(raw_int(test_db_path(dir, (char[512]){ 0 }),
			  "SELECT upload_ms FROM purchase WHERE record_no = 1"),
		  1795300000000);
	store_close(s);
	return 0;
}

static int answers_refused(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a;
	struct ykt_purchase_record rec;
	size_t changed = 99;
	int64_t no[8];

	CHECK(s);
	CHECK_INT(setup_mix(s, no), 0);
	a = answer(STORE_ITEM_PURCHASE, 1, STORE_COMPLETE, UPLOAD_PENDING);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), -EINVAL);
	a = answer(STORE_ITEM_PURCHASE, 1, STORE_INTENT, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), -EINVAL);
	a = answer(7, 1, STORE_COMPLETE, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), -EINVAL);
	a = answer(STORE_ITEM_PURCHASE, 0, STORE_COMPLETE, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), -EINVAL);
	a = answer(STORE_ITEM_PURCHASE, 1, STORE_COMPLETE, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, STORE_UPLOAD_APPLY_MAX + 1, 1, &changed), -EINVAL);

	/* answers for records that are not uploadable change nothing: the
	 * intent (2) and the plain void (5), whatever state the answer claims */
	a = answer(STORE_ITEM_PURCHASE, 2, STORE_GREY, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), 0);
	CHECK_INT(changed, 0);
	a = answer(STORE_ITEM_PURCHASE, 5, STORE_VOID, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), 0);
	CHECK_INT(changed, 0);
	/* nor one claiming another state than the stored one, nor an event
	 * answer for a purchase number */
	a = answer(STORE_ITEM_PURCHASE, 1, STORE_GREY, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), 0);
	CHECK_INT(changed, 0);
	a = answer(STORE_ITEM_EVENT, 1, 0, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1, &changed), 0);
	CHECK_INT(changed, 0);
	CHECK_INT(store_purchase_get(s, 1, &rec), 0);
	CHECK_INT(rec.upload_state, UPLOAD_PENDING);
	store_close(s);
	return 0;
}

/* The grey form was acknowledged; recovery completes it: it goes again. */
static int grey_completed_goes_again(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a;
	struct ykt_purchase_record rec;
	struct seen seen = { 0 };
	size_t changed = 0;
	int64_t no;

	CHECK(s);
	CHECK_INT(add_purchase(s, 1, STORE_GREY, &no), 0);
	a = answer(STORE_ITEM_PURCHASE, no, STORE_GREY, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1000, &changed), 0);
	CHECK_INT(changed, 1);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.n, 0);

	CHECK_INT(store_purchase_complete(s, no, tac, mac2, 4800), 0);
	CHECK_INT(store_purchase_get(s, no, &rec), 0);
	CHECK_INT(rec.upload_state, UPLOAD_PENDING);
	CHECK_INT(rec.flags & STORE_FLAG_WAS_GREY, STORE_FLAG_WAS_GREY);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.n, 1);
	CHECK_INT(seen.state[0], STORE_COMPLETE);
	a = answer(STORE_ITEM_PURCHASE, no, STORE_COMPLETE, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 2000, &changed), 0);
	CHECK_INT(changed, 1);
	store_close(s);
	return 0;
}

/* Completed while its grey form was on the way: the late answer for the
 * grey form must not mark the complete record as delivered. */
static int grey_completed_in_flight(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a;
	struct ykt_purchase_record rec;
	struct seen seen = { 0 };
	size_t changed = 99;
	int64_t no;

	CHECK(s);
	CHECK_INT(add_purchase(s, 1, STORE_GREY, &no), 0);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.state[0], STORE_GREY);
	CHECK_INT(store_purchase_complete(s, no, tac, mac2, 4800), 0);
	a = answer(STORE_ITEM_PURCHASE, no, STORE_GREY, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 1000, &changed), 0);
	CHECK_INT(changed, 0);
	CHECK_INT(store_purchase_get(s, no, &rec), 0);
	CHECK_INT(rec.state, STORE_COMPLETE);
	CHECK_INT(rec.upload_state, UPLOAD_PENDING);
	store_close(s);
	return 0;
}

/* Recovery proves no debit happened to an acknowledged grey record: the
 * void goes to the platform, which holds the grey form. */
static int grey_voided_goes_again(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a;
	struct seen seen = { 0 };
	struct store_counts c;
	size_t changed = 0;
	int64_t no;

	CHECK(s);
	CHECK_INT(add_purchase(s, 1, STORE_GREY, &no), 0);
	a = answer(STORE_ITEM_PURCHASE, no, STORE_GREY, UPLOAD_DUPLICATE);
	CHECK_INT(store_upload_apply(s, &a, 1, 1000, &changed), 0);
	CHECK_INT(store_purchase_void(s, no), 0);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.pending_upload, 1);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.n, 1);
	CHECK_INT(seen.state[0], STORE_VOID);
	a = answer(STORE_ITEM_PURCHASE, no, STORE_VOID, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, &a, 1, 2000, &changed), 0);
	CHECK_INT(changed, 1);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.pending_upload, 0);
	store_close(s);
	return 0;
}

struct quarantine_seen {
	size_t n;
	int64_t record_no[4];
	char reason[4][STORE_UPLOAD_REASON_MAX + 1];
};

static int collect_quarantine(const struct store_quarantined *q, void *userdata)
{
	struct quarantine_seen *s = userdata;

	if (s->n == 4)
		return -ENOSPC;
	s->record_no[s->n] = q->record_no;
	memcpy(s->reason[s->n], q->reason, sizeof(q->reason));
	s->n++;
	return 0;
}

static int quarantine(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a[2];
	struct quarantine_seen q = { 0 };
	struct seen seen = { 0 };
	char long_reason[400];
	size_t changed = 0, released = 0;
	int64_t p, e;

	CHECK(s);
	CHECK_INT(add_purchase(s, 1, STORE_COMPLETE, &p), 0);
	CHECK_INT(add_event(s, &e), 0);
	/* 99 'x', then 2-byte characters (é) across the 200-byte cut, and a
	 * newline that must not reach a log line */
	memset(long_reason, 'x', 99);
	long_reason[99] = '\n';
	for (int i = 0; i < 100; i++)
		memcpy(long_reason + 100 + 2 * i, "\xc3\xa9", 2);
	long_reason[300] = '\0';
	a[0] = answer(STORE_ITEM_PURCHASE, p, STORE_COMPLETE, UPLOAD_REJECTED);
	a[0].reason = long_reason;
	a[1] = answer(STORE_ITEM_EVENT, e, 0, UPLOAD_REJECTED);
	CHECK_INT(store_upload_apply(s, a, 2, 1000, &changed), 0);
	CHECK_INT(store_quarantine_foreach(s, collect_quarantine, &q), 0);
	CHECK_INT(q.n, 2);
	CHECK_INT(q.record_no[0], p);
	CHECK_INT(strlen(q.reason[0]), 200);
	CHECK_INT(q.reason[0][99], ' ');
	CHECK_INT(q.reason[0][198], '\xc3'); /* ends on a whole character */
	CHECK_STR(q.reason[1], "rejected");

	/* kept, counted, never deleted by the purge */
	CHECK_INT(store_upload_prune(s, INT64_MAX, 100, &changed), 0);
	CHECK_INT(changed, 0);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.n, 0);

	/* the operator sends one again */
	CHECK_INT(store_quarantine_release(s, e, &released), 0);
	CHECK_INT(released, 1);
	CHECK_INT(store_upload_foreach(s, 0, 10, collect, &seen), 0);
	CHECK_INT(seen.n, 1);
	CHECK_INT(seen.record_no[0], e);
	CHECK_INT(store_quarantine_release(s, 0, &released), 0);
	CHECK_INT(released, 1);
	store_close(s);
	return 0;
}

static int prune(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct store_upload_answer a[4];
	struct ykt_purchase_record rec;
	size_t changed = 0, deleted = 99;
	char path[512];
	int64_t no[6], e;

	CHECK(s);
	test_db_path(dir, path);
	for (unsigned i = 1; i <= 4; i++)
		CHECK_INT(add_purchase(s, i, STORE_COMPLETE, &no[i]), 0);
	CHECK_INT(add_event(s, &e), 0);
	/* 1 acked long ago, 2 acked lately, 3 pending, 4 (newest) acked long ago */
	a[0] = answer(STORE_ITEM_PURCHASE, no[1], STORE_COMPLETE, UPLOAD_ACCEPTED);
	a[1] = answer(STORE_ITEM_PURCHASE, no[4], STORE_COMPLETE, UPLOAD_DUPLICATE);
	a[2] = answer(STORE_ITEM_EVENT, e, 0, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, a, 3, 1000, &changed), 0);
	a[0] = answer(STORE_ITEM_PURCHASE, no[2], STORE_COMPLETE, UPLOAD_ACCEPTED);
	CHECK_INT(store_upload_apply(s, a, 1, 5000, &changed), 0);

	CHECK_INT(store_upload_prune(s, 1000, 100, &deleted), 0);
	CHECK_INT(deleted, 0); /* strictly before */
	CHECK_INT(store_upload_prune(s, 2000, 1, &deleted), 0);
	CHECK_INT(deleted, 1);
	CHECK_INT(store_purchase_get(s, no[1], &rec), -ENOENT);
	CHECK_INT(store_upload_prune(s, 2000, 100, &deleted), 0);
	CHECK_INT(deleted, 1); /* the event; the newest purchase stays */
	CHECK_INT(store_purchase_get(s, no[4], &rec), 0);
	CHECK_INT(store_purchase_get(s, no[2], &rec), 0);
	CHECK_INT(store_purchase_get(s, no[3], &rec), 0);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM event"), 0);

	/* numbers keep rising after the purge */
	CHECK_INT(add_purchase(s, 9, STORE_INTENT, &no[5]), 0);
	CHECK_INT(no[5], e + 1);
	CHECK_INT(store_upload_prune(s, 2000, 0, &deleted), -EINVAL);
	store_close(s);
	return 0;
}

static int status(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;
	struct store_upload_answer a[2];
	struct store_upload_status st;
	size_t changed;
	int64_t no[8];

	CHECK(s);
	CHECK_INT(store_upload_status(s, &st), 0);
	CHECK_INT(st.pending_purchases + st.pending_events + st.n_psam + st.last_txn_unix_s, 0);
	CHECK_INT(setup_mix(s, no), 0);
	/* a second PSAM, newest */
	test_record(&rec, 8);
	snprintf(rec.psam_terminal_no, sizeof(rec.psam_terminal_no), "310400000999");
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(store_purchase_complete(s, rec.record_no, tac, mac2, 4800), 0);
	a[0] = answer(STORE_ITEM_PURCHASE, 1, STORE_COMPLETE, UPLOAD_ACCEPTED);
	a[1] = answer(STORE_ITEM_EVENT, 3, 0, UPLOAD_REJECTED);
	CHECK_INT(store_upload_apply(s, a, 2, 1000, &changed), 0);

	CHECK_INT(store_upload_status(s, &st), 0);
	CHECK_INT(st.pending_purchases, 3); /* 4 grey, 7 and 8 complete */
	CHECK_INT(st.pending_grey, 1);
	CHECK_INT(st.pending_events, 1);
	CHECK_INT(st.rejected_purchases, 0);
	CHECK_INT(st.rejected_events, 1);
	CHECK_INT(st.acked_purchases, 1);
	CHECK_INT(st.intents, 1);
	test_record(&rec, 4);
	CHECK_INT(st.oldest_pending_unix_s, rec.txn_unix_s);
	test_record(&rec, 8);
	CHECK_INT(st.last_txn_unix_s, rec.txn_unix_s);
	CHECK_INT(st.n_psam, 2);
	CHECK_STR(st.psam_terminal_nos[0], "310400000999");
	CHECK_STR(st.psam_terminal_nos[1], "310400000815");
	CHECK(st.free_bytes > 0);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "walk_order", walk_order },
		{ "walk_nested", walk_nested },
		{ "answers_applied", answers_applied },
		{ "answers_refused", answers_refused },
		{ "grey_completed_goes_again", grey_completed_goes_again },
		{ "grey_completed_in_flight", grey_completed_in_flight },
		{ "grey_voided_goes_again", grey_voided_goes_again },
		{ "quarantine", quarantine },
		{ "prune", prune },
		{ "status", status },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
