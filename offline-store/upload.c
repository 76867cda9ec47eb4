/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the uplink process needs from the store: the records waiting for the
 * platform (purchases, events, QR code records), the platform's per-record answers, the purge of
 * acknowledged records after the retention period, the quarantine of rejected ones and the counts
 * its heartbeat reports.
 *
 * The reader loop shares the database and has a tap budget of a few hundred
 * milliseconds, of which it waits at most its busy timeout (50 ms) for the
 * write lock.  So every write here is one short transaction over a bounded
 * number of rows (STORE_UPLOAD_APPLY_MAX answers, or the caller's prune
 * chunk), and reads never hold a write lock at all (WAL).
 *
 * The statements are prepared the first time the uplink uses them, not at
 * open: the reader loop's handle never pays for them.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

enum upload_stmt {
	UP_PURCHASES,
	UP_EVENTS,
	UP_QR,
	UP_ANSWER_PURCHASE,
	UP_ANSWER_EVENT,
	UP_ANSWER_QR,
	UP_PRUNE_FIND_PURCHASES,
	UP_PRUNE_FIND_EVENTS,
	UP_PRUNE_FIND_QR,
	UP_PRUNE_PURCHASE,
	UP_PRUNE_EVENT,
	UP_PRUNE_QR,
	UP_STATUS_PURCHASES,
	UP_STATUS_EVENTS,
	UP_STATUS_QR,
	UP_PSAMS,
	UP_QUARANTINE,
	UP_RELEASE_PURCHASES,
	UP_RELEASE_EVENTS,
	UP_RELEASE_QR,
	UP__COUNT
};

struct store_upload_stmts {
	sqlite3_stmt *stmt[UP__COUNT];
	bool walking; /* store_upload_foreach() is running */
};

static const char *const upload_sql[UP__COUNT] = {
	[UP_PURCHASES] = store_sql_purchase_upload,
	[UP_EVENTS] = store_sql_event_upload,
	[UP_QR] = store_sql_qr_upload,
	/* only while still pending and still in the state that was sent */
	[UP_ANSWER_PURCHASE] = "UPDATE purchase SET upload_state = ?2, upload_reason = ?3,"
			       " upload_ms = ?4 WHERE record_no = ?1 AND upload_state = 0"
			       " AND state = ?5 AND " STORE_SQL_UPLOADABLE,
	[UP_ANSWER_EVENT] = "UPDATE event SET upload_state = ?2, upload_reason = ?3,"
			    " upload_ms = ?4 WHERE record_no = ?1 AND upload_state = 0",
	[UP_ANSWER_QR] = "UPDATE qr SET upload_state = ?2, upload_reason = ?3,"
			 " upload_ms = ?4 WHERE record_no = ?1 AND upload_state = 0",
	/* found in a read transaction, deleted by number in a short write
	 * transaction that checks again: the scan never holds the write lock.
	 * The newest purchase stays: its time is what the clock is checked
	 * against at every tap. */
	[UP_PRUNE_FIND_PURCHASES] = "SELECT record_no FROM purchase WHERE upload_state IN (1, 2)"
				    " AND upload_ms < ?1"
				    " AND record_no < (SELECT max(record_no) FROM purchase)"
				    " ORDER BY record_no LIMIT ?2",
	[UP_PRUNE_FIND_EVENTS] = "SELECT record_no FROM event WHERE upload_state IN (1, 2)"
				 " AND upload_ms < ?1 ORDER BY record_no LIMIT ?2",
	/* the newest QR record stays too: it counts in the clock check */
	[UP_PRUNE_FIND_QR] = "SELECT record_no FROM qr WHERE upload_state IN (1, 2)"
			     " AND upload_ms < ?1 AND record_no < (SELECT max(record_no) FROM qr)"
			     " ORDER BY record_no LIMIT ?2",
	[UP_PRUNE_PURCHASE] = "DELETE FROM purchase WHERE record_no = ?1 AND upload_state IN (1, 2)"
			      " AND upload_ms < ?2"
			      " AND record_no < (SELECT max(record_no) FROM purchase)",
	[UP_PRUNE_EVENT] = "DELETE FROM event WHERE record_no = ?1 AND upload_state IN (1, 2)"
			   " AND upload_ms < ?2",
	[UP_PRUNE_QR] = "DELETE FROM qr WHERE record_no = ?1 AND upload_state IN (1, 2)"
			" AND upload_ms < ?2 AND record_no < (SELECT max(record_no) FROM qr)",
	[UP_STATUS_PURCHASES] =
	    "SELECT coalesce(sum(upload_state = 0 AND " STORE_SQL_UPLOADABLE "), 0),"
	    " coalesce(sum(upload_state = 0 AND state = 2), 0),"
	    " coalesce(sum(upload_state = 3), 0), coalesce(sum(upload_state IN (1, 2)), 0),"
	    " coalesce(sum(state = 0), 0),"
	    " coalesce(min(CASE WHEN upload_state = 0 AND " STORE_SQL_UPLOADABLE
	    " THEN txn_unix_s END), 0), coalesce(max(txn_unix_s), 0) FROM purchase",
	[UP_STATUS_EVENTS] = "SELECT coalesce(sum(upload_state = 0), 0),"
			     " coalesce(sum(upload_state = 3), 0),"
			     " coalesce(sum(upload_state IN (1, 2)), 0),"
			     " coalesce(min(CASE WHEN upload_state = 0 THEN event_unix_s END), 0)"
			     " FROM event",
	[UP_STATUS_QR] = "SELECT coalesce(sum(upload_state = 0), 0),"
			 " coalesce(sum(upload_state = 3), 0),"
			 " coalesce(sum(upload_state IN (1, 2)), 0),"
			 " coalesce(min(CASE WHEN upload_state = 0 THEN txn_unix_s END), 0)"
			 " FROM qr",
	[UP_PSAMS] = "SELECT psam_terminal_no FROM purchase GROUP BY psam_terminal_no"
		     " ORDER BY max(record_no) DESC LIMIT 4",
	[UP_QUARANTINE] = "SELECT 1, record_no, coalesce(upload_ms, 0), coalesce(upload_reason, '')"
			  " FROM purchase WHERE upload_state = 3"
			  " UNION ALL SELECT 2, record_no, coalesce(upload_ms, 0),"
			  " coalesce(upload_reason, '') FROM event WHERE upload_state = 3"
			  " UNION ALL SELECT 3, record_no, coalesce(upload_ms, 0),"
			  " coalesce(upload_reason, '') FROM qr WHERE upload_state = 3"
			  " ORDER BY 2",
	[UP_RELEASE_PURCHASES] = "UPDATE purchase SET upload_state = 0, upload_reason = NULL"
				 " WHERE upload_state = 3 AND (?1 = 0 OR record_no = ?1)",
	[UP_RELEASE_EVENTS] = "UPDATE event SET upload_state = 0, upload_reason = NULL"
			      " WHERE upload_state = 3 AND (?1 = 0 OR record_no = ?1)",
	[UP_RELEASE_QR] = "UPDATE qr SET upload_state = 0, upload_reason = NULL"
			  " WHERE upload_state = 3 AND (?1 = 0 OR record_no = ?1)",
};

void store_upload_close(struct ykt_store *store)
{
	if (!store->upload)
		return;
	for (int i = 0; i < UP__COUNT; i++)
		sqlite3_finalize(store->upload->stmt[i]);
	free(store->upload);
	store->upload = NULL;
}

static int upload_prepare(struct ykt_store *store)
{
	struct store_upload_stmts *u;

	if (store->upload)
		return 0;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	store->upload = u;
	for (int i = 0; i < UP__COUNT; i++) {
		int rc = sqlite3_prepare_v3(store->db, upload_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &u->stmt[i], NULL);

		if (rc != SQLITE_OK) {
			int r = store_sqlite_error(store->db, rc, "prepare upload", NULL, 0);

			store_upload_close(store);
			return r;
		}
	}
	return 0;
}

static sqlite3_stmt *up_stmt(struct ykt_store *store, enum upload_stmt which)
{
	return store->upload->stmt[which];
}

/* ---- the walk ---- */

/* One side of the merge: a statement and the row it stands on. */
struct walk_side {
	sqlite3_stmt *stmt;
	bool has_row;
	int64_t record_no;
};

static int side_step(struct ykt_store *store, struct walk_side *w, const char *what)
{
	int rc = sqlite3_step(w->stmt);

	w->has_row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlite_error(store->db, rc, what, NULL, 0);
	if (w->has_row)
		w->record_no = sqlite3_column_int64(w->stmt, 0);
	return 0;
}

static int side_start(struct ykt_store *store, struct walk_side *w, enum upload_stmt which,
		      int64_t after, size_t max, const char *what)
{
	w->stmt = up_stmt(store, which);
	sqlite3_bind_int64(w->stmt, 1, after);
	sqlite3_bind_int64(w->stmt, 2, (int64_t)max);
	return side_step(store, w, what);
}

static int emit_purchase(struct ykt_store *store, struct walk_side *w,
			 int (*cb)(const struct store_upload_item *, void *), void *userdata)
{
	struct ykt_purchase_record rec;
	struct store_upload_item item = { .kind = STORE_ITEM_PURCHASE, .purchase = &rec };
	int r = store_purchase_read(w->stmt, &rec);

	if (r < 0)
		return r;
	item.record_no = rec.record_no;
	r = cb(&item, userdata);
	if (r != 0)
		return r;
	return side_step(store, w, "walk pending purchases");
}

static int emit_event(struct ykt_store *store, struct walk_side *w,
		      int (*cb)(const struct store_upload_item *, void *), void *userdata)
{
	/* 4 KiB of body: on the heap rather than on a small stack */
	struct ykt_event_record *ev = malloc(sizeof(*ev));
	struct store_upload_item item = { .kind = STORE_ITEM_EVENT };
	int r;

	if (!ev)
		return -ENOMEM;
	r = store_event_read(w->stmt, ev);
	if (r == 0) {
		item.record_no = ev->record_no;
		item.event = ev;
		r = cb(&item, userdata);
	}
	free(ev);
	if (r != 0)
		return r;
	return side_step(store, w, "walk pending events");
}

static int emit_qr(struct ykt_store *store, struct walk_side *w,
		   int (*cb)(const struct store_upload_item *, void *), void *userdata)
{
	struct ykt_qr_record *rec = malloc(sizeof(*rec)); /* the code: half a KiB */
	struct store_upload_item item = { .kind = STORE_ITEM_QR };
	int r;

	if (!rec)
		return -ENOMEM;
	r = store_qr_read(w->stmt, rec);
	if (r == 0) {
		item.record_no = rec->record_no;
		item.qr = rec;
		r = cb(&item, userdata);
	}
	free(rec);
	if (r != 0)
		return r;
	return side_step(store, w, "walk pending QR records");
}

/* The pending records of each table, merged by record number. */
enum { SIDE_PURCHASES, SIDE_EVENTS, SIDE_QR, N_SIDES };

static const struct walk_table {
	enum upload_stmt stmt;
	const char *what;
	int (*emit)(struct ykt_store *store, struct walk_side *w,
		    int (*cb)(const struct store_upload_item *, void *), void *userdata);
} walk_tables[N_SIDES] = {
	[SIDE_PURCHASES] = { UP_PURCHASES, "walk pending purchases", emit_purchase },
	[SIDE_EVENTS] = { UP_EVENTS, "walk pending events", emit_event },
	[SIDE_QR] = { UP_QR, "walk pending QR records", emit_qr },
};

/* The side whose row has the lowest record number; -1 when all are done. */
static int walk_next(const struct walk_side *sides)
{
	int best = -1;

	for (int i = 0; i < N_SIDES; i++)
		if (sides[i].has_row && (best < 0 || sides[i].record_no < sides[best].record_no))
			best = i;
	return best;
}

static int walk_merge(struct ykt_store *store, struct walk_side *sides, size_t max,
		      int (*cb)(const struct store_upload_item *, void *), void *userdata)
{
	int r = 0, i;

	for (size_t n = 0; r == 0 && n < max && (i = walk_next(sides)) >= 0; n++)
		r = walk_tables[i].emit(store, &sides[i], cb, userdata);
	return r > 0 ? 0 : r;
}

int store_upload_foreach(struct ykt_store *store, int64_t after_record_no, size_t max_records,
			 int (*cb)(const struct store_upload_item *item, void *userdata),
			 void *userdata)
{
	struct walk_side sides[N_SIDES] = { 0 };
	int r;

	if (!store || !cb || max_records == 0 || max_records > INT32_MAX)
		return -EINVAL;
	r = upload_prepare(store);
	if (r < 0)
		return r;
	if (store->upload->walking)
		return -EBUSY;
	store->upload->walking = true;
	/* every side reads in the one read transaction of this connection, so
	 * they see the same snapshot of the file */
	for (int i = 0; r == 0 && i < N_SIDES; i++)
		r = side_start(store, &sides[i], walk_tables[i].stmt, after_record_no, max_records,
			       walk_tables[i].what);
	if (r == 0)
		r = walk_merge(store, sides, max_records, cb, userdata);
	for (int i = 0; i < N_SIDES; i++)
		store_stmt_release(up_stmt(store, walk_tables[i].stmt));
	store->upload->walking = false;
	return r;
}

/* ---- answers ---- */

static bool answer_valid(const struct store_upload_answer *a)
{
	if (a->record_no <= 0)
		return false;
	if (a->verdict != UPLOAD_ACCEPTED && a->verdict != UPLOAD_DUPLICATE &&
	    a->verdict != UPLOAD_REJECTED)
		return false;
	if (a->kind == STORE_ITEM_EVENT || a->kind == STORE_ITEM_QR)
		return true;
	return a->kind == STORE_ITEM_PURCHASE &&
	       (a->sent_state == STORE_COMPLETE || a->sent_state == STORE_GREY ||
		a->sent_state == STORE_VOID);
}

/* The reason as stored: at most STORE_UPLOAD_REASON_MAX bytes, cut on a
 * UTF-8 character boundary, control characters made spaces (one line in
 * logs and exports). */
static void reason_clean(const char *in, char out[STORE_UPLOAD_REASON_MAX + 1])
{
	size_t n = in ? strnlen(in, STORE_UPLOAD_REASON_MAX + 1) : 0;

	if (n > STORE_UPLOAD_REASON_MAX) {
		n = STORE_UPLOAD_REASON_MAX;
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? ' ' : in[i];
	out[n] = '\0';
}

static int apply_one(struct ykt_store *store, struct store_upload_answer *a, int64_t now_ms,
		     size_t *changed)
{
	bool purchase = a->kind == STORE_ITEM_PURCHASE;
	sqlite3_stmt *stmt = up_stmt(store, purchase		       ? UP_ANSWER_PURCHASE
					    : a->kind == STORE_ITEM_QR ? UP_ANSWER_QR
								       : UP_ANSWER_EVENT);
	char reason[STORE_UPLOAD_REASON_MAX + 1];
	int r;

	sqlite3_bind_int64(stmt, 1, a->record_no);
	sqlite3_bind_int(stmt, 2, a->verdict);
	if (a->verdict == UPLOAD_REJECTED) {
		reason_clean(a->reason ? a->reason : "rejected", reason);
		sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(stmt, 4, now_ms);
	if (purchase)
		sqlite3_bind_int(stmt, 5, a->sent_state);
	r = store_step_done(store, stmt, "record the platform's answer");
	if (r == 0) {
		a->applied = sqlite3_changes(store->db) > 0;
		*changed += a->applied;
	}
	return r;
}

int store_upload_apply(struct ykt_store *store, struct store_upload_answer *answers, size_t n,
		       int64_t now_ms, size_t *ret_changed)
{
	size_t changed = 0;
	int r;

	if (!store || (!answers && n) || n > STORE_UPLOAD_APPLY_MAX || now_ms < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!answer_valid(&answers[i]))
			return -EINVAL;
	r = upload_prepare(store);
	if (r < 0 || n == 0)
		goto out;
	r = store_tx_begin(store);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = apply_one(store, &answers[i], now_ms, &changed);
	r = store_tx_end(store, r);
out:
	if (r == 0 && ret_changed)
		*ret_changed = n ? changed : 0;
	return r;
}

/* ---- retention ---- */

/* Up to max numbers of acknowledged records older than before_ms. */
static int prune_find(struct ykt_store *store, enum upload_stmt which, int64_t before_ms,
		      size_t max, int64_t *nos, size_t *n)
{
	sqlite3_stmt *stmt = up_stmt(store, which);
	int rc;

	sqlite3_bind_int64(stmt, 1, before_ms);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while (*n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		nos[(*n)++] = sqlite3_column_int64(stmt, 0);
	store_stmt_release(stmt);
	if (*n < max && rc != SQLITE_DONE)
		return store_sqlite_error(store->db, rc, "find acknowledged records", NULL, 0);
	return 0;
}

static int prune_delete(struct ykt_store *store, enum upload_stmt which, int64_t record_no,
			int64_t before_ms, size_t *deleted)
{
	sqlite3_stmt *stmt = up_stmt(store, which);
	int r;

	sqlite3_bind_int64(stmt, 1, record_no);
	sqlite3_bind_int64(stmt, 2, before_ms);
	r = store_step_done(store, stmt, "prune acknowledged records");
	if (r == 0)
		*deleted += (size_t)sqlite3_changes(store->db);
	return r;
}

/* nos holds the purchases found, then the events, then the QR records:
 * ends[k] is where table k's numbers end. */
static int prune_found(struct ykt_store *store, const int64_t *nos, const size_t ends[3],
		       int64_t before_ms, size_t *deleted)
{
	static const enum upload_stmt del[3] = { UP_PRUNE_PURCHASE, UP_PRUNE_EVENT, UP_PRUNE_QR };
	int r = store_tx_begin(store);

	if (r < 0)
		return r;
	for (size_t i = 0, k = 0; r == 0 && i < ends[2]; i++) {
		while (i >= ends[k])
			k++;
		r = prune_delete(store, del[k], nos[i], before_ms, deleted);
	}
	return store_tx_end(store, r);
}

int store_upload_prune(struct ykt_store *store, int64_t acked_before_ms, size_t max_rows,
		       size_t *ret_deleted)
{
	static const enum upload_stmt find[3] = { UP_PRUNE_FIND_PURCHASES, UP_PRUNE_FIND_EVENTS,
						  UP_PRUNE_FIND_QR };
	size_t n = 0, ends[3], deleted = 0;
	int64_t *nos;
	int r;

	if (!store || !ret_deleted || max_rows == 0 || max_rows > STORE_UPLOAD_PRUNE_MAX)
		return -EINVAL;
	r = upload_prepare(store);
	if (r < 0)
		return r;
	nos = malloc(max_rows * sizeof(*nos));
	if (!nos)
		return -ENOMEM;
	for (int k = 0; k < 3; k++) {
		if (r == 0 && n < max_rows)
			r = prune_find(store, find[k], acked_before_ms, max_rows, nos, &n);
		ends[k] = n;
	}
	if (r == 0 && n > 0)
		r = prune_found(store, nos, ends, acked_before_ms, &deleted);
	free(nos);
	if (r == 0) {
		*ret_deleted = deleted;
		if (deleted)
			log_info("store", "pruned %zu acknowledged records", deleted);
	}
	return r;
}

/* ---- status ---- */

static int status_purchases(struct ykt_store *store, struct store_upload_status *s)
{
	sqlite3_stmt *stmt = up_stmt(store, UP_STATUS_PURCHASES);
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		s->pending_purchases = sqlite3_column_int64(stmt, 0);
		s->pending_grey = sqlite3_column_int64(stmt, 1);
		s->rejected_purchases = sqlite3_column_int64(stmt, 2);
		s->acked_purchases = sqlite3_column_int64(stmt, 3);
		s->intents = sqlite3_column_int64(stmt, 4);
		s->oldest_pending_unix_s = sqlite3_column_int64(stmt, 5);
		s->last_txn_unix_s = sqlite3_column_int64(stmt, 6);
	}
	store_stmt_release(stmt);
	return rc == SQLITE_ROW ? 0 : store_sqlite_error(store->db, rc, "upload status", NULL, 0);
}

static int status_events(struct ykt_store *store, struct store_upload_status *s)
{
	sqlite3_stmt *stmt = up_stmt(store, UP_STATUS_EVENTS);
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		int64_t oldest = sqlite3_column_int64(stmt, 3);

		s->pending_events = sqlite3_column_int64(stmt, 0);
		s->rejected_events = sqlite3_column_int64(stmt, 1);
		s->acked_events = sqlite3_column_int64(stmt, 2);
		if (oldest && (!s->oldest_pending_unix_s || oldest < s->oldest_pending_unix_s))
			s->oldest_pending_unix_s = oldest;
	}
	store_stmt_release(stmt);
	return rc == SQLITE_ROW ? 0 : store_sqlite_error(store->db, rc, "upload status", NULL, 0);
}

static int status_qr(struct ykt_store *store, struct store_upload_status *s)
{
	sqlite3_stmt *stmt = up_stmt(store, UP_STATUS_QR);
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		int64_t oldest = sqlite3_column_int64(stmt, 3);

		s->pending_qr = sqlite3_column_int64(stmt, 0);
		s->rejected_qr = sqlite3_column_int64(stmt, 1);
		s->acked_qr = sqlite3_column_int64(stmt, 2);
		if (oldest && (!s->oldest_pending_unix_s || oldest < s->oldest_pending_unix_s))
			s->oldest_pending_unix_s = oldest;
	}
	store_stmt_release(stmt);
	return rc == SQLITE_ROW ? 0 : store_sqlite_error(store->db, rc, "upload status", NULL, 0);
}

static int status_psams(struct ykt_store *store, struct store_upload_status *s)
{
	sqlite3_stmt *stmt = up_stmt(store, UP_PSAMS);
	int rc;

	while (s->n_psam < 4 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(stmt, 0);

		if (t && sqlite3_column_bytes(stmt, 0) == 12)
			memcpy(s->psam_terminal_nos[s->n_psam++], t, 13);
	}
	store_stmt_release(stmt);
	if (s->n_psam < 4 && rc != SQLITE_DONE)
		return store_sqlite_error(store->db, rc, "PSAM terminal numbers", NULL, 0);
	return 0;
}

static void status_free_space(struct ykt_store *store, struct store_upload_status *s)
{
	struct statvfs vfs;

	if (statvfs(store->dir, &vfs) == 0)
		s->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

int store_upload_status(struct ykt_store *store, struct store_upload_status *ret)
{
	struct store_upload_status s = { 0 };
	int r;

	if (!store || !ret)
		return -EINVAL;
	r = upload_prepare(store);
	if (r == 0)
		r = status_purchases(store, &s);
	if (r == 0)
		r = status_events(store, &s);
	if (r == 0)
		r = status_qr(store, &s);
	if (r == 0)
		r = status_psams(store, &s);
	if (r < 0)
		return r;
	status_free_space(store, &s);
	*ret = s;
	return 0;
}

/* ---- quarantine ---- */

static int quarantine_read(sqlite3_stmt *stmt, struct store_quarantined *q)
{
	const unsigned char *t = sqlite3_column_text(stmt, 3);
	int n = sqlite3_column_bytes(stmt, 3);

	memset(q, 0, sizeof(*q));
	q->kind = (enum store_item_kind)sqlite3_column_int(stmt, 0);
	q->record_no = sqlite3_column_int64(stmt, 1);
	q->upload_ms = sqlite3_column_int64(stmt, 2);
	if (!t || n < 0 || n > STORE_UPLOAD_REASON_MAX)
		return YKT_E_STORE_CORRUPT;
	memcpy(q->reason, t, (size_t)n);
	return 0;
}

int store_quarantine_foreach(struct ykt_store *store,
			     int (*cb)(const struct store_quarantined *q, void *userdata),
			     void *userdata)
{
	struct store_quarantined q;
	sqlite3_stmt *stmt;
	int r, rc = SQLITE_DONE;

	if (!store || !cb)
		return -EINVAL;
	r = upload_prepare(store);
	if (r < 0)
		return r;
	stmt = up_stmt(store, UP_QUARANTINE);
	if (sqlite3_stmt_busy(stmt))
		return -EBUSY;
	while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = quarantine_read(stmt, &q);
		if (r == 0)
			r = cb(&q, userdata);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "walk quarantine", NULL, 0);
	store_stmt_release(stmt);
	return r;
}

int store_quarantine_release(struct ykt_store *store, int64_t record_no, size_t *ret_n)
{
	size_t n = 0;
	int r;

	if (!store || record_no < 0)
		return -EINVAL;
	r = upload_prepare(store);
	if (r < 0)
		return r;
	r = store_tx_begin(store);
	if (r < 0)
		return r;
	for (int i = UP_RELEASE_PURCHASES; r == 0 && i <= UP_RELEASE_QR; i++) {
		sqlite3_stmt *stmt = up_stmt(store, (enum upload_stmt)i);

		sqlite3_bind_int64(stmt, 1, record_no);
		r = store_step_done(store, stmt, "release quarantined records");
		if (r == 0)
			n += (size_t)sqlite3_changes(store->db);
	}
	r = store_tx_end(store, r);
	if (r == 0) {
		if (n)
			log_warn("store",
				 "%zu rejected records released for upload by the operator", n);
		if (ret_n)
			*ret_n = n;
	}
	return r;
}
