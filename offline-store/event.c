/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event records: PSAM swaps, card locks and whatever else the platform
 * must hear about besides purchases.  Each is one durable insert that takes
 * the next device record number; the body is a JSON object SQLite itself
 * validates (json_valid in the table's CHECK), so a malformed body can
 * never be stored and never reach the platform.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EVENT_COLUMNS                                                                              \
	"record_no, device_id, kind, event_time, event_unix_s, body, upload_state, created_ms"

const char store_sql_event_insert[] =
    "INSERT INTO event (" EVENT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)";
const char store_sql_event_get[] = "SELECT " EVENT_COLUMNS " FROM event WHERE record_no = ?1";
/* ?1 NULL: every kind */
const char store_sql_event_all[] = "SELECT " EVENT_COLUMNS " FROM event"
				   " WHERE ?1 IS NULL OR kind = ?1 ORDER BY record_no";
const char store_sql_event_upload[] = "SELECT " EVENT_COLUMNS " FROM event"
				      " WHERE upload_state = 0 AND record_no > ?1"
				      " ORDER BY record_no LIMIT ?2";

static bool all_of(const char *s, size_t len, const char *set)
{
	return strspn(s, set) == len;
}

static const char *event_invalid(const struct ykt_event_record *ev)
{
	size_t kind_len = strnlen(ev->kind, sizeof(ev->kind));
	size_t dev_len = strnlen(ev->device_id, sizeof(ev->device_id));

	if (kind_len == 0 || kind_len > STORE_EVENT_KIND_MAX ||
	    !all_of(ev->kind, kind_len, "abcdefghijklmnopqrstuvwxyz0123456789-"))
		return "kind must be 1-24 lower-case letters, digits or '-'";
	if (dev_len == 0 || dev_len >= sizeof(ev->device_id))
		return "device id must be 1-32 bytes";
	if (strnlen(ev->event_time, sizeof(ev->event_time)) != 14 ||
	    !all_of(ev->event_time, 14, "0123456789"))
		return "event time must be YYYYMMDDhhmmss";
	if (strnlen(ev->body, sizeof(ev->body)) > STORE_EVENT_BODY_MAX)
		return "body longer than 4096 bytes";
	return NULL;
}

int store_event_add(struct ykt_store *store, struct ykt_event_record *ev)
{
	const char *why;
	sqlite3_stmt *stmt;
	int64_t no = 0;
	int r, rc;

	if (!store || !ev)
		return -EINVAL;
	why = event_invalid(ev);
	if (why) {
		log_err("store", "event refused: %s", why);
		return -EINVAL;
	}
	if (ev->created_ms == 0)
		ev->created_ms = store_now_ms();
	r = store_tx_begin(store);
	if (r < 0)
		return r;
	r = store_next_record_no(store, &no);
	if (r == 0) {
		stmt = store->stmt[STMT_EVENT_INSERT];
		sqlite3_bind_int64(stmt, 1, no);
		sqlite3_bind_text(stmt, 2, ev->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, ev->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, ev->event_time, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 5, ev->event_unix_s);
		sqlite3_bind_text(stmt, 6, ev->body, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, ev->created_ms);
		rc = sqlite3_step(stmt);
		/* the CHECK on the body is the JSON validator */
		if (rc == SQLITE_CONSTRAINT_CHECK) {
			log_err("store", "event refused: body is not a JSON object");
			r = -EINVAL;
		} else if (rc != SQLITE_DONE) {
			r = store_sqlite_error(store->db, rc, "insert event", NULL, 0);
		}
		store_stmt_release(stmt);
	}
	r = store_tx_end(store, r);
	if (r == 0) {
		ev->record_no = no;
		ev->upload_state = UPLOAD_PENDING;
	}
	return r;
}

static int copy_text(sqlite3_stmt *stmt, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	int n = sqlite3_column_bytes(stmt, col);

	if (!t || n < 0 || (size_t)n >= cap)
		return YKT_E_STORE_CORRUPT;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

int store_event_read(sqlite3_stmt *stmt, struct ykt_event_record *ret)
{
	struct ykt_event_record ev = { 0 };
	int r;

	ev.record_no = sqlite3_column_int64(stmt, 0);
	r = copy_text(stmt, 1, ev.device_id, sizeof(ev.device_id));
	if (r == 0)
		r = copy_text(stmt, 2, ev.kind, sizeof(ev.kind));
	if (r == 0)
		r = copy_text(stmt, 3, ev.event_time, sizeof(ev.event_time));
	ev.event_unix_s = sqlite3_column_int64(stmt, 4);
	if (r == 0)
		r = copy_text(stmt, 5, ev.body, sizeof(ev.body));
	ev.upload_state = sqlite3_column_int(stmt, 6);
	ev.created_ms = sqlite3_column_int64(stmt, 7);
	if (r < 0) {
		log_err("store", "event %lld does not fit its record", (long long)ev.record_no);
		return r;
	}
	*ret = ev;
	return 0;
}

int store_event_get(struct ykt_store *store, int64_t record_no, struct ykt_event_record *ret)
{
	sqlite3_stmt *stmt;
	int r = -ENOENT, rc;

	if (!store || !ret)
		return -EINVAL;
	stmt = store->stmt[STMT_EVENT_GET];
	sqlite3_bind_int64(stmt, 1, record_no);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		r = store_event_read(stmt, ret);
	else if (rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "read event", NULL, 0);
	store_stmt_release(stmt);
	return r;
}

int store_event_foreach(struct ykt_store *store, const char *kind,
			int (*cb)(const struct ykt_event_record *ev, void *userdata),
			void *userdata)
{
	struct ykt_event_record ev;
	sqlite3_stmt *stmt;
	int r = 0, rc = SQLITE_DONE;

	if (!store || !cb)
		return -EINVAL;
	stmt = store->stmt[STMT_EVENT_ALL];
	if (sqlite3_stmt_busy(stmt))
		return -EBUSY;
	if (kind)
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = store_event_read(stmt, &ev);
		if (r == 0)
			r = cb(&ev, userdata);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "walk events", NULL, 0);
	store_stmt_release(stmt);
	return r;
}
