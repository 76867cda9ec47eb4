/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The platform's record book: what it does with a batch of records, as
 * docs/uplink-protocol.md says a platform must.
 *
 *   - every field of every record is checked (the request is hostile);
 *   - a record must carry the device id of the certificate it came with;
 *   - a complete purchase's TAC must recompute with the issuer's key;
 *   - a charged QR code's three SM2 signatures must verify with the test
 *     root key, at the record's time and for its amount (terminal/qr.c);
 *     refused codes are filed without charge;
 *   - purchases are keyed on PSAM terminal number + PSAM serial, events and
 *     QR records on device id + record number, and a QR code is charged
 *     once whatever the device; the same record again is a duplicate, a
 *     grey record completed (or voided) by the terminal is updated, and
 *     anything else under a key already taken is refused as a conflict;
 *   - what is accepted is stored with how many times it was accepted, so a
 *     test can see that every record was taken exactly once.
 */
#include "platform_private.h"

#include "bytes.h"
#include "clock.h"
#include "qr.h"

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
	B_QR_GET,
	B_QR_BY_CODE,
	B_QR_INSERT,
	B_QR_DUP,
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
    "CREATE TABLE IF NOT EXISTS qr ("
    " device_id TEXT NOT NULL, record_no INTEGER NOT NULL, verdict TEXT NOT NULL,"
    " code_sha256 TEXT NOT NULL, amount_fen INTEGER NOT NULL, txn_time TEXT NOT NULL,"
    " chain_verified INTEGER NOT NULL, accepted_count INTEGER NOT NULL,"
    " duplicate_count INTEGER NOT NULL DEFAULT 0, received_ms INTEGER NOT NULL,"
    " record TEXT NOT NULL, PRIMARY KEY (device_id, record_no));"
    "CREATE UNIQUE INDEX IF NOT EXISTS qr_charged ON qr (code_sha256) WHERE verdict = 'ok';"
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
	    " UNION ALL SELECT 1 FROM event WHERE device_id = ?1 AND record_no = ?2"
	    " UNION ALL SELECT 1 FROM qr WHERE device_id = ?1 AND record_no = ?2",
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
	[B_QR_GET] = "SELECT verdict, code_sha256 FROM qr WHERE device_id = ?1 AND record_no = ?2",
	[B_QR_BY_CODE] = "SELECT device_id, record_no FROM qr WHERE code_sha256 = ?1"
			 " AND verdict = 'ok'",
	[B_QR_INSERT] = "INSERT INTO qr (device_id, record_no, verdict, code_sha256, amount_fen,"
			" txn_time, chain_verified, accepted_count, received_ms, record)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
	[B_QR_DUP] = "UPDATE qr SET duplicate_count = duplicate_count + 1"
		     " WHERE device_id = ?1 AND record_no = ?2",
	[B_REJECTED] = "INSERT INTO rejected (device_id, record_no, reason, received_ms, record)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[B_HEARTBEAT] = "INSERT INTO heartbeat (device_id, received_ms, body) VALUES (?1, ?2, ?3)",
};

#define QR_ROOTS_MAX 16

struct platform_book {
	sqlite3 *db;
	sqlite3_stmt *stmt[B__COUNT];
	struct platform_keys *keys;
	struct qr_root_key qr_roots[QR_ROOTS_MAX];
	size_t n_qr_roots;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One root key line: VERSION INDEX EXPIRY KEY (hex), as [qr] root_key. */
static int qr_root_line(const char *line, struct qr_root_key *k)
{
	char ver[8], idx[8], expiry[32], key[200];
	int n = 0, len;

	memset(k, 0, sizeof(*k));
	if (sscanf(line, "%7s %7s %31s %199s %n", ver, idx, expiry, key, &n) != 4 || line[n] ||
	    ykt_hex_decode(ver, &k->version, 1) < 0 || ykt_hex_decode(idx, &k->index, 1) < 0 ||
	    ykt_parse_cst_iso(expiry, &k->expiry_utc) < 0)
		return -EINVAL;
	len = ykt_hex_decode_var(key, k->pubkey, sizeof(k->pubkey));
	if (len != 33 && len != 65)
		return -EINVAL;
	k->pubkey_len = (uint8_t)len;
	return qr_root_key_check(k);
}

static int qr_roots_load(struct platform_book *b, const char *path, char *errbuf, size_t errbuf_len)
{
	char line[300];
	FILE *f;
	int r = 0, no = 0;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(errbuf, errbuf_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (r == 0 && fgets(line, sizeof(line), f)) {
		no++;
		line[strcspn(line, "#\r\n")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		if (b->n_qr_roots == QR_ROOTS_MAX ||
		    qr_root_line(line, &b->qr_roots[b->n_qr_roots]))
			r = -EINVAL;
		else
			b->n_qr_roots++;
	}
	fclose(f);
	if (r < 0)
		snprintf(errbuf, errbuf_len, "%s:%d: not VERSION INDEX EXPIRY KEY", path, no);
	return r;
}

int platform_book_open(const char *db_path, const char *keys_path, const char *qr_roots_path,
		       struct platform_book **ret, char *errbuf, size_t errbuf_len)
{
	struct platform_book *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	rc = platform_keys_load(keys_path, &b->keys, errbuf, errbuf_len);
	if (rc == 0)
		rc = qr_roots_load(b, qr_roots_path, errbuf, errbuf_len);
	if (rc < 0) {
		platform_keys_free(b->keys);
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

/* ---- QR codes ---- */

struct qr_rec {
	int64_t record_no, amount_fen, nominal_fen, discount_fen, account_type, version;
	const char *device_id, *verdict, *code_hex, *sha_hex, *user_account, *txn_time;
	uint8_t code[QR_MAX_LEN];
	size_t code_len;
	struct qr_code parsed;
};

static const char *qr_fields(struct json_object *o, struct qr_rec *q)
{
	struct fields f = { .o = o };
	char why[128];
	uint8_t sha[32], got[32];
	char acct[21];
	int n;

	q->record_no = f_int(&f, "record_no", 1, INT64_MAX);
	q->device_id = f_str(&f, "device_id", 1, 32, NULL);
	q->verdict = f_str(&f, "verdict", 1, 24, "abcdefghijklmnopqrstuvwxyz-");
	q->code_hex = f_str(&f, "code", 2, 2 * QR_MAX_LEN, HEX);
	q->sha_hex = f_str(&f, "code_sha256", 64, 64, HEX);
	q->version = f_int(&f, "version", 0, 255);
	q->user_account = f_str(&f, "user_account", 20, 20, HEX);
	q->account_type = f_int(&f, "account_type", 0, 255);
	f_int(&f, "card_type", 0, 255);
	q->amount_fen = f_int(&f, "amount_fen", 0, 100000000);
	q->nominal_fen = f_int(&f, "nominal_fen", 0, 100000000);
	q->discount_fen = f_int(&f, "discount_fen", 0, 100000000);
	q->txn_time = f_str(&f, "txn_time", 14, 14, DIG);
	if (f.bad)
		return f.bad;
	if (!valid_time(q->txn_time))
		return "txn_time";
	n = ykt_hex_decode_var(q->code_hex, q->code, sizeof(q->code));
	if (n <= 0 || qr_parse(q->code, (size_t)n, &q->parsed, why, sizeof(why)) < 0)
		return "code";
	q->code_len = (size_t)n;
	qr_code_sha256(q->code, q->code_len, got);
	if (ykt_hex_decode(q->sha_hex, sha, 32) < 0 || memcmp(sha, got, 32) != 0)
		return "code_sha256";
	ykt_hex_encode(q->parsed.user_account, 10, acct, sizeof(acct));
	if (q->version != q->parsed.version || strcmp(acct, q->user_account) != 0 ||
	    q->account_type != q->parsed.account_type)
		return "user_account"; /* not what the code says */
	if (strcmp(q->verdict, "ok") == 0 ? q->discount_fen != q->nominal_fen - q->amount_fen
					  : q->amount_fen != 0)
		return "amount_fen";
	return NULL;
}

/* A charged code: its chain and times at the record's time, for its amount.
 * The validator's own policy choices (test accounts, its phone-clock
 * tolerance up to an hour) are not second-guessed. */
static bool qr_chain_ok(struct platform_book *b, const struct qr_rec *q, struct platform_answer *a,
			struct verdict *v)
{
	struct qr_policy policy = { .future_tolerance_s = 3600,
				    .fare_fen = (uint32_t)q->amount_fen,
				    .accept_test_accounts = true };
	struct ykt_cst c;
	uint8_t bcd[7];
	enum qr_verdict got;

	ykt_hex_decode(q->txn_time, bcd, 7);
	ykt_cst_from_bcd7(bcd, &c);
	policy.now_utc = ykt_cst_to_unix(&c);
	got = qr_verify(q->code, &q->parsed, b->qr_roots, b->n_qr_roots, &policy);
	if (got != QR_OK) {
		a->qr_failed++;
		reject(v, "qr-chain: %s", qr_verdict_key(got));
		return false;
	}
	a->qr_verified++;
	return true;
}

static int qr_held(struct platform_book *b, const struct qr_rec *q)
{
	sqlite3_stmt *s = b->stmt[B_QR_GET];
	int r = 0;

	sqlite3_bind_text(s, 1, q->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q->record_no);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *verdict = (const char *)sqlite3_column_text(s, 0);
		const char *sha = (const char *)sqlite3_column_text(s, 1);

		r = verdict && sha && !strcmp(verdict, q->verdict) && !strcmp(sha, q->sha_hex) ? 1
											       : -1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return r;
}

/* true when the code is held as charged already, by "DEVICE NO" (out). */
static bool qr_charged_by(struct platform_book *b, const struct qr_rec *q, char *out, size_t cap)
{
	sqlite3_stmt *s = b->stmt[B_QR_BY_CODE];
	bool found;

	sqlite3_bind_text(s, 1, q->sha_hex, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found)
		snprintf(out, cap, "%.40s %lld", (const char *)sqlite3_column_text(s, 0),
			 (long long)sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

static void qr_insert(struct platform_book *b, const struct qr_rec *q, bool verified,
		      const char *text, struct verdict *v)
{
	sqlite3_stmt *s = b->stmt[B_QR_INSERT];

	sqlite3_bind_text(s, 1, q->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q->record_no);
	sqlite3_bind_text(s, 3, q->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, q->sha_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, q->amount_fen);
	sqlite3_bind_text(s, 6, q->txn_time, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, verified);
	sqlite3_bind_int64(s, 8, now_ms());
	sqlite3_bind_text(s, 9, text, -1, SQLITE_STATIC);
	if (step_done(b, B_QR_INSERT) < 0)
		reject(v, "storage: the platform could not store the record");
	else
		v->status = "accepted";
}

static int qr_record(struct platform_book *b, const char *device_id, struct json_object *o,
		     const char *text, struct platform_answer *a, struct verdict *v)
{
	struct qr_rec *q = calloc(1, sizeof(*q));
	bool charged;
	char by[64];
	const char *bad;
	int held;

	if (!q)
		return reject(v, "storage: out of memory");
	bad = qr_fields(o, q);
	charged = !bad && strcmp(q->verdict, "ok") == 0;
	if (bad)
		reject(v, "invalid: field %s", bad);
	else if (strcmp(q->device_id, device_id) != 0)
		reject(v, "device-mismatch: record of another device");
	else if ((held = qr_held(b, q)) > 0)
		v->status = "duplicate";
	else if (held < 0)
		reject(v, "conflict: record number already used by another record");
	else if (number_taken(b, q->device_id, q->record_no))
		reject(v, "conflict: record number already used by another record");
	else if (charged && qr_charged_by(b, q, by, sizeof(by)))
		reject(v, "conflict: code already charged by %s", by);
	else if (!charged || qr_chain_ok(b, q, a, v))
		qr_insert(b, q, charged, text, v);
	if (v->status && strcmp(v->status, "duplicate") == 0) {
		sqlite3_bind_text(b->stmt[B_QR_DUP], 1, q->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(b->stmt[B_QR_DUP], 2, q->record_no);
		step_done(b, B_QR_DUP);
	}
	free(q);
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
	else if (t && strcmp(t, "qr") == 0)
		qr_record(b, device_id, rec, text, a, &v);
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
