/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QR code records: one durable insert per code decided on, taking the next
 * device record number.  One column table drives the INSERT, the SELECTs
 * and the row codec, as for purchases (purchase_row.c), so a field is never
 * bound at one position and read from another.  The table's CHECKs hold
 * the same bounds as qr_invalid() below: a record out of form can be
 * neither written nor read back as valid.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum qcol_kind { Q_TEXT, Q_U8, Q_U16, Q_U32, Q_I64, Q_INT, Q_CODE, Q_HASH };

#define Q_OFF(f) offsetof(struct ykt_qr_record, f)

#define QR_COLUMNS(X)                                                                              \
	X(record_no, Q_I64)                                                                        \
	X(device_id, Q_TEXT)                                                                       \
	X(verdict, Q_TEXT)                                                                         \
	X(code, Q_CODE)                                                                            \
	X(code_sha256, Q_HASH)                                                                     \
	X(version, Q_U8)                                                                           \
	X(ca_index, Q_U8)                                                                          \
	X(issuer_id, Q_TEXT)                                                                       \
	X(user_account, Q_TEXT)                                                                    \
	X(payment_account, Q_TEXT)                                                                 \
	X(institution, Q_TEXT)                                                                     \
	X(platform, Q_TEXT)                                                                        \
	X(account_type, Q_U8)                                                                      \
	X(single_limit_fen, Q_U32)                                                                 \
	X(generated_utc, Q_I64)                                                                    \
	X(validity_s, Q_U16)                                                                       \
	X(card_type, Q_U8)                                                                         \
	X(nominal_fen, Q_I64)                                                                      \
	X(amount_fen, Q_I64)                                                                       \
	X(discount_fen, Q_I64)                                                                     \
	X(txn_time, Q_TEXT)                                                                        \
	X(txn_unix_s, Q_I64)                                                                       \
	X(industry, Q_U8)                                                                          \
	X(line, Q_TEXT)                                                                            \
	X(direction, Q_TEXT)                                                                       \
	X(vehicle, Q_TEXT)                                                                         \
	X(station, Q_TEXT)                                                                         \
	X(operator_code, Q_TEXT)                                                                   \
	X(upload_state, Q_INT)                                                                     \
	X(created_ms, Q_I64)

struct qr_col {
	enum qcol_kind kind;
	size_t offset, size;
};

#define Q_ENTRY(name, kind) { kind, Q_OFF(name), sizeof(((struct ykt_qr_record *)0)->name) },
static const struct qr_col qr_cols[] = { QR_COLUMNS(Q_ENTRY) };
#define N_QCOLS ((int)(sizeof(qr_cols) / sizeof(qr_cols[0])))

#define Q_NAME(name, kind) #name ","
#define Q_NAMES		   QR_COLUMNS(Q_NAME) "upload_ms"

/* 30 columns, then upload_ms: NULL until the platform answers */
const char store_sql_qr_insert[] =
    "INSERT INTO qr (" Q_NAMES ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, NULL)";
const char store_sql_qr_get[] = "SELECT " Q_NAMES " FROM qr WHERE record_no = ?1";
/* ?1 < 0: every record; else charged ones since ?1 */
const char store_sql_qr_all[] = "SELECT " Q_NAMES " FROM qr WHERE ?1 < 0"
				" OR (verdict = 'ok' AND txn_unix_s >= ?1) ORDER BY record_no";

const char store_sql_qr_upload[] = "SELECT " Q_NAMES " FROM qr WHERE upload_state = 0"
				   " AND record_no > ?1 ORDER BY record_no LIMIT ?2";

_Static_assert(sizeof(qr_cols) / sizeof(qr_cols[0]) == 30, "the INSERT binds 30 columns");

/* ---- validation ---- */

static bool text_of(const char *s, size_t size, size_t len, const char *set)
{
	size_t n = strnlen(s, size);

	return n < size && (len == SIZE_MAX ? true : n == len) && strspn(s, set) == n;
}

#define HEX_UPPER "0123456789ABCDEF"

static bool fen_ok(int64_t v)
{
	return v >= 0 && v <= STORE_MAX_FEN;
}

static bool terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

static const char *qr_invalid_place(const struct ykt_qr_record *r)
{
	if (!terminated(r->line, sizeof(r->line)) ||
	    !terminated(r->direction, sizeof(r->direction)) ||
	    !terminated(r->vehicle, sizeof(r->vehicle)) ||
	    !terminated(r->station, sizeof(r->station)) ||
	    !terminated(r->operator_code, sizeof(r->operator_code)))
		return "a place field is not terminated";
	return NULL;
}

/* NULL when r may be written, else why not (static text) */
static const char *qr_invalid(const struct ykt_qr_record *r)
{
	size_t dev = strnlen(r->device_id, sizeof(r->device_id));

	if (dev == 0 || dev == sizeof(r->device_id))
		return "device id must be 1-32 bytes";
	if (!text_of(r->verdict, sizeof(r->verdict), SIZE_MAX, "abcdefghijklmnopqrstuvwxyz-") ||
	    !r->verdict[0])
		return "verdict must be 1-24 lower-case letters or '-'";
	if (r->code_len < 1 || r->code_len > STORE_QR_CODE_MAX)
		return "code must be 1-512 bytes";
	if (!text_of(r->issuer_id, sizeof(r->issuer_id), 8, HEX_UPPER) ||
	    !text_of(r->user_account, sizeof(r->user_account), 20, HEX_UPPER) ||
	    !text_of(r->payment_account, sizeof(r->payment_account), 32, HEX_UPPER) ||
	    !text_of(r->institution, sizeof(r->institution), 8, HEX_UPPER) ||
	    !text_of(r->platform, sizeof(r->platform), 8, HEX_UPPER))
		return "an account field is not upper-case hex of its length";
	if (r->single_limit_fen > 0xffffff || r->generated_utc < 0 ||
	    r->generated_utc > 0xffffffffLL)
		return "limit or generation time out of range";
	if (!fen_ok(r->nominal_fen) || !fen_ok(r->amount_fen) || !fen_ok(r->discount_fen))
		return "an amount out of range";
	if (strcmp(r->verdict, "ok") != 0 && (r->amount_fen || r->discount_fen))
		return "a refused code charges nothing";
	if (!text_of(r->txn_time, sizeof(r->txn_time), 14, "0123456789"))
		return "transaction time must be YYYYMMDDhhmmss";
	return qr_invalid_place(r);
}

/* ---- the row codec ---- */

static void bind_col(sqlite3_stmt *stmt, int i, const struct qr_col *c,
		     const struct ykt_qr_record *r)
{
	const char *p = (const char *)r + c->offset;

	switch (c->kind) {
	case Q_TEXT:
		sqlite3_bind_text(stmt, i, p, -1, SQLITE_STATIC);
		break;
	case Q_U8:
		sqlite3_bind_int(stmt, i, *(const uint8_t *)p);
		break;
	case Q_U16:
		sqlite3_bind_int(stmt, i, *(const uint16_t *)p);
		break;
	case Q_U32:
		sqlite3_bind_int64(stmt, i, *(const uint32_t *)p);
		break;
	case Q_I64:
		sqlite3_bind_int64(stmt, i, *(const int64_t *)p);
		break;
	case Q_INT:
		sqlite3_bind_int(stmt, i, *(const int *)p);
		break;
	case Q_CODE:
		sqlite3_bind_blob(stmt, i, r->code, (int)r->code_len, SQLITE_STATIC);
		break;
	case Q_HASH:
		sqlite3_bind_blob(stmt, i, r->code_sha256, 32, SQLITE_STATIC);
		break;
	}
}

static int read_text(sqlite3_stmt *stmt, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);

	if (!t || n < 0 || (size_t)n >= cap)
		return YKT_E_STORE_CORRUPT;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

static int read_blob(sqlite3_stmt *stmt, int i, uint8_t *out, size_t min, size_t cap,
		     size_t *ret_len)
{
	const void *b = sqlite3_column_blob(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);

	if (!b || n < 0 || (size_t)n < min || (size_t)n > cap)
		return YKT_E_STORE_CORRUPT;
	memcpy(out, b, (size_t)n);
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}

/* Integers are range-checked by the table's CHECKs; a value that still
 * does not fit its field is a damaged file. */
static int read_int(sqlite3_stmt *stmt, int i, const struct qr_col *c, char *p)
{
	int64_t v = sqlite3_column_int64(stmt, i);

	if (c->kind == Q_U8 && (v < 0 || v > UINT8_MAX))
		return YKT_E_STORE_CORRUPT;
	if (c->kind == Q_U16 && (v < 0 || v > UINT16_MAX))
		return YKT_E_STORE_CORRUPT;
	if (c->kind == Q_U32 && (v < 0 || v > UINT32_MAX))
		return YKT_E_STORE_CORRUPT;
	if (c->kind == Q_U8)
		*(uint8_t *)p = (uint8_t)v;
	else if (c->kind == Q_U16)
		*(uint16_t *)p = (uint16_t)v;
	else if (c->kind == Q_U32)
		*(uint32_t *)p = (uint32_t)v;
	else if (c->kind == Q_INT)
		*(int *)p = (int)v;
	else
		*(int64_t *)p = v;
	return 0;
}

int store_qr_read(sqlite3_stmt *stmt, struct ykt_qr_record *ret)
{
	struct ykt_qr_record r = { 0 };
	int rc = 0;

	for (int i = 0; rc == 0 && i < N_QCOLS; i++) {
		const struct qr_col *c = &qr_cols[i];
		char *p = (char *)&r + c->offset;

		if (c->kind == Q_TEXT)
			rc = read_text(stmt, i, p, c->size);
		else if (c->kind == Q_CODE)
			rc = read_blob(stmt, i, r.code, 1, sizeof(r.code), &r.code_len);
		else if (c->kind == Q_HASH)
			rc = read_blob(stmt, i, r.code_sha256, 32, 32, NULL);
		else
			rc = read_int(stmt, i, c, p);
	}
	if (rc < 0) {
		log_err("store", "QR record %lld does not fit its record",
			(long long)sqlite3_column_int64(stmt, 0));
		return rc;
	}
	*ret = r;
	return 0;
}

/* ---- the API ---- */

static int qr_insert(struct ykt_store *store, const struct ykt_qr_record *r)
{
	sqlite3_stmt *stmt = store->stmt[STMT_QR_INSERT];

	for (int i = 0; i < N_QCOLS; i++)
		bind_col(stmt, i + 1, &qr_cols[i], r);
	/* a failure the file keeps (full, I/O) is remembered for store_health */
	return store_step_done(store, stmt, "insert QR record");
}

int store_qr_add(struct ykt_store *store, struct ykt_qr_record *rec)
{
	struct ykt_qr_record row;
	const char *why;
	int r;

	if (!store || !rec)
		return -EINVAL;
	why = qr_invalid(rec);
	if (why) {
		log_err("store", "QR record refused: %s", why);
		return -EINVAL;
	}
	row = *rec;
	row.upload_state = UPLOAD_PENDING;
	if (row.created_ms == 0)
		row.created_ms = store_now_ms();
	r = store_tx_begin(store);
	if (r < 0)
		return r;
	r = store_next_record_no(store, &row.record_no);
	if (r == 0)
		r = qr_insert(store, &row);
	r = store_tx_end(store, r);
	if (r == YKT_E_STORE_DUP)
		log_warn("store", "QR code already charged on this device: not charged again");
	if (r < 0)
		return r;
	store->n_records++; /* our own commit does not move data_version */
	*rec = row;
	return 0;
}

int store_qr_get(struct ykt_store *store, int64_t record_no, struct ykt_qr_record *ret)
{
	sqlite3_stmt *stmt;
	int r = -ENOENT, rc;

	if (!store || !ret)
		return -EINVAL;
	stmt = store->stmt[STMT_QR_GET];
	sqlite3_bind_int64(stmt, 1, record_no);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		r = store_qr_read(stmt, ret);
	else if (rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "read QR record", NULL, 0);
	store_stmt_release(stmt);
	return r;
}

int store_qr_foreach(struct ykt_store *store, int64_t charged_since,
		     int (*cb)(const struct ykt_qr_record *rec, void *userdata), void *userdata)
{
	struct ykt_qr_record rec;
	sqlite3_stmt *stmt;
	int r = 0, rc = SQLITE_DONE;

	if (!store || !cb)
		return -EINVAL;
	stmt = store->stmt[STMT_QR_ALL];
	if (sqlite3_stmt_busy(stmt))
		return -EBUSY;
	sqlite3_bind_int64(stmt, 1, charged_since);
	while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = store_qr_read(stmt, &rec);
		if (r == 0)
			r = cb(&rec, userdata);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "walk QR records", NULL, 0);
	store_stmt_release(stmt);
	return r;
}
