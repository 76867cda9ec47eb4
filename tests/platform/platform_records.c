/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The platform's record book: what it does with a batch of records, as
 * docs/uplink-protocol.md says a platform must.
 *
 *   - every field of every record is checked (the request is hostile);
 *   - a record must carry the device id of the certificate it came with;
 *   - a complete purchase's TAC must recompute with the issuer's key;
 *   - purchases are keyed on PSAM terminal number + PSAM serial, events on
 *     device id + record number; the same record again is a duplicate, a
 *     grey record completed (or voided) by the terminal is updated, and
 *     anything else under a key already taken is refused as a conflict;
 *   - what is accepted is stored with how many times it was accepted, so a
 *     test can see that every record was taken exactly once.
 */
#include "platform_private.h"

#include "bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RECORDS 5000

enum book_stmt {
	B_BEGIN,
	B_COMMIT,
	B_ROLLBACK,
	B_PURCHASE_BY_KEY,
	B_PURCHASE_BY_NO,
	B_PURCHASE_INSERT,
	B_PURCHASE_UPDATE,
	B_PURCHASE_DUP,
	B_EVENT_GET,
	B_EVENT_INSERT,
	B_EVENT_DUP,
	B_REJECTED,
	B_HEARTBEAT,
	B__COUNT
};

static const char schema[] =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = NORMAL;"
    "CREATE TABLE IF NOT EXISTS purchase ("
    " psam_terminal_no TEXT NOT NULL, psam_serial INTEGER NOT NULL,"
    " device_id TEXT NOT NULL, record_no INTEGER NOT NULL, state TEXT NOT NULL,"
    " card_serial TEXT NOT NULL, init_atc INTEGER NOT NULL, amount_fen INTEGER NOT NULL,"
    " trans_type INTEGER NOT NULL, txn_time TEXT NOT NULL, tac TEXT, tac_verified INTEGER,"
    " accepted_count INTEGER NOT NULL, duplicate_count INTEGER NOT NULL DEFAULT 0,"
    " received_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, record TEXT NOT NULL,"
    " PRIMARY KEY (psam_terminal_no, psam_serial), UNIQUE (device_id, record_no));"
    "CREATE TABLE IF NOT EXISTS event ("
    " device_id TEXT NOT NULL, record_no INTEGER NOT NULL, kind TEXT NOT NULL,"
    " event_time TEXT NOT NULL, body TEXT NOT NULL, accepted_count INTEGER NOT NULL,"
    " duplicate_count INTEGER NOT NULL DEFAULT 0, received_ms INTEGER NOT NULL,"
    " PRIMARY KEY (device_id, record_no));"
    "CREATE TABLE IF NOT EXISTS rejected ("
    " device_id TEXT NOT NULL, record_no INTEGER, reason TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS heartbeat ("
    " device_id TEXT NOT NULL, received_ms INTEGER NOT NULL, body TEXT NOT NULL);";

static const char *const book_sql[B__COUNT] = {
	[B_BEGIN] = "BEGIN IMMEDIATE",
	[B_COMMIT] = "COMMIT",
	[B_ROLLBACK] = "ROLLBACK",
	[B_PURCHASE_BY_KEY] = "SELECT device_id, record_no, state, tac FROM purchase"
			      " WHERE psam_terminal_no = ?1 AND psam_serial = ?2",
	[B_PURCHASE_BY_NO] =
	    "SELECT 1 FROM purchase WHERE device_id = ?1 AND record_no = ?2"
	    " UNION ALL SELECT 1 FROM event WHERE device_id = ?1 AND record_no = ?2",
	[B_PURCHASE_INSERT] =
	    "INSERT INTO purchase (psam_terminal_no, psam_serial, device_id,"
	    " record_no, state, card_serial, init_atc, amount_fen, trans_type,"
	    " txn_time, tac, tac_verified, accepted_count, received_ms, updated_ms,"
	    " record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1,"
	    " ?13, ?13, ?14)",
	[B_PURCHASE_UPDATE] = "UPDATE purchase SET state = ?3, tac = ?4, tac_verified = ?5,"
			      " accepted_count = accepted_count + 1, updated_ms = ?6, record = ?7"
			      " WHERE psam_terminal_no = ?1 AND psam_serial = ?2",
	[B_PURCHASE_DUP] = "UPDATE purchase SET duplicate_count = duplicate_count + 1"
			   " WHERE psam_terminal_no = ?1 AND psam_serial = ?2",
	[B_EVENT_GET] = "SELECT kind, event_time, body FROM event"
			" WHERE device_id = ?1 AND record_no = ?2",
	[B_EVENT_INSERT] = "INSERT INTO event (device_id, record_no, kind, event_time, body,"
			   " accepted_count, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
	[B_EVENT_DUP] = "UPDATE event SET duplicate_count = duplicate_count + 1"
			" WHERE device_id = ?1 AND record_no = ?2",
	[B_REJECTED] = "INSERT INTO rejected (device_id, record_no, reason, received_ms, record)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[B_HEARTBEAT] = "INSERT INTO heartbeat (device_id, received_ms, body) VALUES (?1, ?2, ?3)",
};

struct platform_book {
	sqlite3 *db;
	sqlite3_stmt *stmt[B__COUNT];
	struct platform_keys *keys;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int platform_book_open(const char *db_path, const char *keys_path, struct platform_book **ret,
		       char *errbuf, size_t errbuf_len)
{
	struct platform_book *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	rc = platform_keys_load(keys_path, &b->keys, errbuf, errbuf_len);
	if (rc < 0) {
		free(b);
		return rc;
	}
	rc = sqlite3_open(db_path, &b->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(b->db, schema, NULL, NULL, NULL);
	for (int i = 0; rc == SQLITE_OK && i < B__COUNT; i++)
		rc = sqlite3_prepare_v2(b->db, book_sql[i], -1, &b->stmt[i], NULL);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errbuf_len, "%s: %s", db_path, sqlite3_errmsg(b->db));
		platform_book_close(b);
		return -EIO;
	}
	*ret = b;
	return 0;
}

void platform_book_close(struct platform_book *b)
{
	if (!b)
		return;
	for (int i = 0; i < B__COUNT; i++)
		sqlite3_finalize(b->stmt[i]);
	sqlite3_close(b->db);
	platform_keys_free(b->keys);
	free(b);
}

static int step_done(struct platform_book *b, enum book_stmt which)
{
	sqlite3_stmt *s = b->stmt[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- fields: hostile JSON to checked values ---- */

struct fields {
	struct json_object *o;
	const char *bad; /* the first field out of form */
};

static const char *f_str(struct fields *f, const char *key, size_t min, size_t max,
			 const char *charset)
{
	struct json_object *v;
	const char *s;
	size_t n;

	if (f->bad)
		return NULL;
	if (!json_object_object_get_ex(f->o, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		f->bad = key;
		return NULL;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n < min || n > max || strlen(s) != n || (charset && strspn(s, charset) != n)) {
		f->bad = key;
		return NULL;
	}
	return s;
}

static int64_t f_int(struct fields *f, const char *key, int64_t min, int64_t max)
{
	struct json_object *v;
	int64_t x;

	if (f->bad)
		return 0;
	if (!json_object_object_get_ex(f->o, key, &v) || !json_object_is_type(v, json_type_int)) {
		f->bad = key;
		return 0;
	}
	x = json_object_get_int64(v);
	if (x < min || x > max)
		f->bad = key;
	return x;
}

#define HEX "0123456789ABCDEF"
#define DIG "0123456789"

struct purchase {
	int64_t record_no;
	const char *device_id, *state, *card_serial, *issuer_id, *psam_terminal_no, *txn_time;
	const char *tac;
	int64_t init_atc, amount_fen, trans_type, psam_serial, key_index, algorithm_id;
};

static bool valid_time(const char *t)
{
	struct ykt_cst c;
	uint8_t bcd[7];

	return t && ykt_hex_decode(t, bcd, 7) == 0 && ykt_cst_from_bcd7(bcd, &c) == 0;
}

static const char *purchase_fields(struct json_object *o, struct purchase *p)
{
	struct fields f = { .o = o };

	p->record_no = f_int(&f, "record_no", 1, INT64_MAX);
	p->device_id = f_str(&f, "device_id", 1, 32, NULL);
	p->state = f_str(&f, "state", 4, 8, "abcdefghijklmnopqrstuvwxyz");
	p->card_serial = f_str(&f, "card_serial", 20, 20, HEX);
	p->issuer_id = f_str(&f, "issuer_id", 16, 16, HEX);
	f_str(&f, "card_city", 0, 4, HEX);
	f_int(&f, "card_type", 0, 255);
	p->init_atc = f_int(&f, "init_atc", 0, 65535);
	f_int(&f, "balance_before_fen", 0, 100000000);
	f_int(&f, "overdraft_limit_fen", 0, 0xffffff);
	f_int(&f, "key_version", 0, 255);
	p->key_index = f_int(&f, "key_index", 0, 255);
	p->algorithm_id = f_int(&f, "algorithm_id", 0, 255);
	p->trans_type = f_int(&f, "trans_type", 6, 9);
	p->amount_fen = f_int(&f, "amount_fen", 0, 100000000);
	f_int(&f, "nominal_fen", 0, 100000000);
	f_int(&f, "discount_fen", 0, 100000000);
	p->psam_terminal_no = f_str(&f, "psam_terminal_no", 12, 12, DIG);
	p->psam_serial = f_int(&f, "psam_serial", 0, UINT32_MAX);
	p->txn_time = f_str(&f, "txn_time", 14, 14, DIG);
	if (!f.bad && strcmp(p->state, "complete") == 0) {
		p->tac = f_str(&f, "tac", 8, 8, HEX);
		f_str(&f, "mac2", 8, 8, HEX);
		f_int(&f, "balance_after_fen", 0, 100000000);
	}
	if (!f.bad && p->trans_type != 6 && p->trans_type != 9)
		f.bad = "trans_type";
	if (!f.bad && !valid_time(p->txn_time))
		f.bad = "txn_time";
	if (!f.bad && strcmp(p->state, "complete") && strcmp(p->state, "grey") &&
	    strcmp(p->state, "void"))
		f.bad = "state";
	return f.bad;
}

/* ---- one record ---- */

struct verdict {
	const char *status; /* accepted, duplicate, rejected */
	char reason[200];
};

static int reject(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reject(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	v->status = "rejected";
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static bool tac_ok(struct platform_book *b, const struct purchase *p, struct platform_answer *a,
		   struct verdict *v)
{
	uint8_t tac[4], sent[4];
	int r = platform_tac(b->keys, (uint8_t)p->key_index, (uint8_t)p->algorithm_id, p->issuer_id,
			     p->card_serial, (uint32_t)p->amount_fen, (uint8_t)p->trans_type,
			     p->psam_terminal_no, (uint32_t)p->psam_serial, p->txn_time, tac);

	if (r == -ENOENT) {
		reject(v, "unknown-key: no issuer key for this key index and algorithm");
		return false;
	}
	if (r < 0 || ykt_hex_decode(p->tac, sent, 4) < 0 || memcmp(tac, sent, 4) != 0) {
		a->tac_failed++;
		reject(v, "tac-mismatch: the TAC does not verify with the issuer key");
		return false;
	}
	a->tac_verified++;
	return true;
}

static void bind_key(sqlite3_stmt *s, const struct purchase *p)
{
	sqlite3_bind_text(s, 1, p->psam_terminal_no, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, p->psam_serial);
}

static int purchase_insert(struct platform_book *b, const struct purchase *p, const char *text)
{
	sqlite3_stmt *s = b->stmt[B_PURCHASE_INSERT];
	bool complete = strcmp(p->state, "complete") == 0;

	bind_key(s, p);
	sqlite3_bind_text(s, 3, p->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, p->record_no);
	sqlite3_bind_text(s, 5, p->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->card_serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, p->init_atc);
	sqlite3_bind_int64(s, 8, p->amount_fen);
	sqlite3_bind_int64(s, 9, p->trans_type);
	sqlite3_bind_text(s, 10, p->txn_time, -1, SQLITE_STATIC);
	if (complete) {
		sqlite3_bind_text(s, 11, p->tac, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 12, 1);
	}
	sqlite3_bind_int64(s, 13, now_ms());
	sqlite3_bind_text(s, 14, text, -1, SQLITE_STATIC);
	return step_done(b, B_PURCHASE_INSERT);
}

static int purchase_update(struct platform_book *b, const struct purchase *p, const char *text)
{
	sqlite3_stmt *s = b->stmt[B_PURCHASE_UPDATE];
	bool complete = strcmp(p->state, "complete") == 0;

	bind_key(s, p);
	sqlite3_bind_text(s, 3, p->state, -1, SQLITE_STATIC);
	if (complete) {
		sqlite3_bind_text(s, 4, p->tac, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, 1);
	}
	sqlite3_bind_int64(s, 6, now_ms());
	sqlite3_bind_text(s, 7, text, -1, SQLITE_STATIC);
	return step_done(b, B_PURCHASE_UPDATE);
}

static bool number_taken(struct platform_book *b, const char *device_id, int64_t record_no)
{
	sqlite3_stmt *s = b->stmt[B_PURCHASE_BY_NO];
	bool taken;

	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, record_no);
	taken = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return taken;
}

/* What is stored under the PSAM key of p, if anything. */
struct held {
	bool found;
	char device_id[64], state[16], tac[16];
	int64_t record_no;
};

static void copy_col(sqlite3_stmt *s, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void purchase_held(struct platform_book *b, const struct purchase *p, struct held *h)
{
	sqlite3_stmt *s = b->stmt[B_PURCHASE_BY_KEY];

	memset(h, 0, sizeof(*h));
	bind_key(s, p);
	if (sqlite3_step(s) == SQLITE_ROW) {
		h->found = true;
		copy_col(s, 0, h->device_id, sizeof(h->device_id));
		h->record_no = sqlite3_column_int64(s, 1);
		copy_col(s, 2, h->state, sizeof(h->state));
		copy_col(s, 3, h->tac, sizeof(h->tac));
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void duplicate(struct platform_book *b, const struct purchase *p, struct verdict *v)
{
	sqlite3_stmt *s = b->stmt[B_PURCHASE_DUP];

	bind_key(s, p);
	step_done(b, B_PURCHASE_DUP);
	v->status = "duplicate";
}

/* A record under a key the platform already holds, from the same record. */
static int purchase_again(struct platform_book *b, const struct purchase *p, const struct held *h,
			  const char *text, struct platform_answer *a, struct verdict *v)
{
	bool complete = strcmp(p->state, "complete") == 0;

	if (strcmp(h->state, p->state) == 0) {
		if (complete && strcmp(h->tac, p->tac) != 0)
			reject(v, "conflict: another TAC for a purchase already cleared");
		else
			duplicate(b, p, v);
		return 0;
	}
	/* only a grey record may still change: recovery completed it, or
	 * proved that no debit happened */
	if (strcmp(h->state, "grey") != 0 || strcmp(p->state, "grey") == 0) {
		reject(v, "state-regression: the platform holds this purchase as %s", h->state);
		return 0;
	}
	if (complete && !tac_ok(b, p, a, v))
		return 0;
	if (purchase_update(b, p, text) < 0)
		reject(v, "storage: the platform could not store the record");
	else
		v->status = "accepted";
	return 0;
}

static int purchase_record(struct platform_book *b, const char *device_id, struct json_object *o,
			   const char *text, struct platform_answer *a, struct verdict *v)
{
	struct purchase p = { 0 };
	const char *bad = purchase_fields(o, &p);
	struct held h;

	if (bad)
		return reject(v, "invalid: field %s", bad);
	if (strcmp(p.device_id, device_id) != 0)
		return reject(v, "device-mismatch: record of another device");
	purchase_held(b, &p, &h);
	if (h.found && (strcmp(h.device_id, p.device_id) != 0 || h.record_no != p.record_no))
		return reject(v,
			      "conflict: PSAM terminal number and serial held by another record");
	if (h.found)
		return purchase_again(b, &p, &h, text, a, v);
	if (number_taken(b, p.device_id, p.record_no))
		return reject(v, "conflict: record number already used by another record");
	if (strcmp(p.state, "complete") == 0 && !tac_ok(b, &p, a, v))
		return 0;
	if (purchase_insert(b, &p, text) < 0)
		return reject(v, "storage: the platform could not store the record");
	v->status = "accepted";
	return 0;
}

static void event_store(struct platform_book *b, const char *device_id, int64_t no,
			const char *kind, const char *time, const char *body, struct verdict *v)
{
	sqlite3_stmt *s = b->stmt[B_EVENT_INSERT];

	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, no);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, time, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now_ms());
	if (step_done(b, B_EVENT_INSERT) < 0)
		reject(v, "storage: the platform could not store the record");
	else
		v->status = "accepted";
}

/* 1 same event held, 0 none, -1 another one under that number */
static int event_held(struct platform_book *b, const char *device_id, int64_t no, const char *kind,
		      const char *time, const char *body)
{
	sqlite3_stmt *s = b->stmt[B_EVENT_GET];
	int r = 0;

	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, no);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *t = (const char *)sqlite3_column_text(s, 1);
		const char *bd = (const char *)sqlite3_column_text(s, 2);

		r = k && t && bd && !strcmp(k, kind) && !strcmp(t, time) && !strcmp(bd, body) ? 1
											      : -1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return r;
}

static int event_record(struct platform_book *b, const char *device_id, struct json_object *o,
			struct verdict *v)
{
	struct fields f = { .o = o };
	struct json_object *body = NULL;
	int64_t no = f_int(&f, "record_no", 1, INT64_MAX);
	const char *dev = f_str(&f, "device_id", 1, 32, NULL);
	const char *kind = f_str(&f, "kind", 1, 24, "abcdefghijklmnopqrstuvwxyz0123456789-");
	const char *time = f_str(&f, "event_time", 14, 14, DIG);
	const char *text;
	int held;

	if (!f.bad && (!json_object_object_get_ex(o, "body", &body) ||
		       !json_object_is_type(body, json_type_object)))
		f.bad = "body";
	if (!f.bad && !valid_time(time))
		f.bad = "event_time";
	if (f.bad)
		return reject(v, "invalid: field %s", f.bad);
	if (strcmp(dev, device_id) != 0)
		return reject(v, "device-mismatch: record of another device");
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	held = event_held(b, device_id, no, kind, time, text);
	if (held < 0)
		return reject(v, "conflict: record number already used by another record");
	if (held > 0) {
		sqlite3_bind_text(b->stmt[B_EVENT_DUP], 1, device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(b->stmt[B_EVENT_DUP], 2, no);
		step_done(b, B_EVENT_DUP);
		v->status = "duplicate";
		return 0;
	}
	if (number_taken(b, device_id, no))
		return reject(v, "conflict: record number already used by another record");
	event_store(b, device_id, no, kind, time, text, v);
	return 0;
}

static void log_rejection(struct platform_book *b, const char *device_id, int64_t no,
			  const char *reason, const char *text)
{
	sqlite3_stmt *s = b->stmt[B_REJECTED];

	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	if (no > 0)
		sqlite3_bind_int64(s, 2, no);
	sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms());
	sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
	step_done(b, B_REJECTED);
}

/* The result object of one record; NULL when the record has no usable
 * record_no (nothing to answer it by). */
static struct json_object *one_record(struct platform_book *b, const char *device_id,
				      struct json_object *rec, struct platform_answer *a)
{
	struct verdict v = { 0 };
	struct json_object *res, *type, *no;
	const char *t, *text;

	if (!json_object_is_type(rec, json_type_object) ||
	    !json_object_object_get_ex(rec, "record_no", &no) ||
	    !json_object_is_type(no, json_type_int) || json_object_get_int64(no) <= 0)
		return NULL;
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
	t = json_object_object_get_ex(rec, "type", &type) ? json_object_get_string(type) : "";
	if (t && strcmp(t, "purchase") == 0)
		purchase_record(b, device_id, rec, text, a, &v);
	else if (t && strcmp(t, "event") == 0)
		event_record(b, device_id, rec, &v);
	else
		reject(&v, "invalid: field %s", "type");
	res = json_object_new_object();
	json_object_object_add(res, "record_no", json_object_new_int64(json_object_get_int64(no)));
	json_object_object_add(res, "status", json_object_new_string(v.status));
	if (strcmp(v.status, "rejected") == 0) {
		a->rejected++;
		json_object_object_add(res, "reason", json_object_new_string(v.reason));
		log_rejection(b, device_id, json_object_get_int64(no), v.reason, text);
	} else if (strcmp(v.status, "accepted") == 0) {
		a->accepted++;
	} else {
		a->duplicates++;
	}
	return res;
}

static void refuse(struct platform_answer *a, int status, const char *error, const char *message)
{
	a->status = status;
	snprintf(a->error, sizeof(a->error), "%s", error);
	snprintf(a->message, sizeof(a->message), "%s", message);
}

/* The envelope: 0 and the records array, or the answer is a refusal. */
static int envelope(struct json_object *root, const char *device_id, struct json_object **records,
		    struct platform_answer *a)
{
	struct json_object *v;

	if (!root || !json_object_is_type(root, json_type_object)) {
		refuse(a, 400, "bad-json", "the body is not a JSON object");
		return -1;
	}
	if (!json_object_object_get_ex(root, "protocol", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1) {
		refuse(a, 400, "unsupported-protocol", "this platform speaks protocol 1");
		return -1;
	}
	if (!json_object_object_get_ex(root, "device_id", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), device_id) != 0) {
		refuse(a, 403, "device-mismatch", "device_id is not the certificate's subject");
		return -1;
	}
	if (!json_object_object_get_ex(root, "records", records) ||
	    !json_object_is_type(*records, json_type_array)) {
		refuse(a, 400, "bad-json", "no records array");
		return -1;
	}
	if (json_object_array_length(*records) > MAX_RECORDS) {
		refuse(a, 413, "too-many-records", "at most 5000 records per batch");
		return -1;
	}
	return 0;
}

static struct json_object *parse(const char *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *root = NULL;

	if (tok && len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, body, (int)len);
	if (root && json_tokener_get_parse_end(tok) != len) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

void platform_book_records(struct platform_book *b, const char *device_id, const char *body,
			   size_t len, struct platform_answer *ret)
{
	struct json_object *root = parse(body, len), *records, *results;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (envelope(root, device_id, &records, ret) < 0) {
		json_object_put(root);
		return;
	}
	results = json_object_new_array();
	n = json_object_array_length(records);
	step_done(b, B_BEGIN);
	for (size_t i = 0; i < n; i++) {
		struct json_object *res =
		    one_record(b, device_id, json_object_array_get_idx(records, i), ret);

		if (res)
			json_object_array_add(results, res);
	}
	if (step_done(b, B_COMMIT) < 0) {
		step_done(b, B_ROLLBACK);
		json_object_put(results);
		refuse(ret, 500, "storage", "the platform could not commit the batch");
	} else {
		ret->status = 200;
		ret->results = results;
	}
	json_object_put(root);
}

void platform_book_heartbeat(struct platform_book *b, const char *device_id, const char *body,
			     size_t len, struct platform_answer *ret)
{
	struct json_object *root = parse(body, len), *v;
	sqlite3_stmt *s = b->stmt[B_HEARTBEAT];

	memset(ret, 0, sizeof(*ret));
	if (!root || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "device_id", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), device_id) != 0) {
		refuse(ret, root ? 403 : 400, root ? "device-mismatch" : "bad-json",
		       "a heartbeat of this certificate's device is expected");
		json_object_put(root);
		return;
	}
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_ms());
	sqlite3_bind_text(s, 3, body, (int)len, SQLITE_STATIC);
	ret->status = step_done(b, B_HEARTBEAT) == 0 ? 200 : 500;
	json_object_put(root);
}
