/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The purchase row codec: one table lists every column with the field of
 * struct ykt_purchase_record it maps to.  The INSERT and SELECT texts are
 * made from the same list at compile time, so a field can never be bound at
 * one position and read back from another, and no SQL is assembled at run
 * time.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum col_kind {
	COL_TEXT, /* char array, NUL-terminated */
	COL_INT,  /* int */
	COL_U8,
	COL_U16,
	COL_U32,
	COL_I64,
	COL_BLOB, /* uint8_t array, present when its bool flag is set */
};

#define REC_OFF(f) offsetof(struct ykt_purchase_record, f)
#define NO_FLAG	   SIZE_MAX

/* name, kind, presence flag.  Order is the column order of the statements;
 * updated_ms (not in the struct) always follows as the last column. */
#define PURCHASE_COLUMNS(X)                                                                        \
	X(record_no, COL_I64, NO_FLAG)                                                             \
	X(device_id, COL_TEXT, NO_FLAG)                                                            \
	X(state, COL_INT, NO_FLAG)                                                                 \
	X(upload_state, COL_INT, NO_FLAG)                                                          \
	X(mac2_status, COL_INT, NO_FLAG)                                                           \
	X(flags, COL_U32, NO_FLAG)                                                                 \
	X(card_serial, COL_TEXT, NO_FLAG)                                                          \
	X(issuer_id, COL_TEXT, NO_FLAG)                                                            \
	X(card_city, COL_TEXT, NO_FLAG)                                                            \
	X(card_type, COL_U8, NO_FLAG)                                                              \
	X(init_atc, COL_U16, NO_FLAG)                                                              \
	X(balance_before_fen, COL_I64, NO_FLAG)                                                    \
	X(balance_after_fen, COL_I64, NO_FLAG)                                                     \
	X(overdraft_limit_fen, COL_U32, NO_FLAG)                                                   \
	X(key_version, COL_U8, NO_FLAG)                                                            \
	X(key_index, COL_U8, NO_FLAG)                                                              \
	X(algorithm_id, COL_U8, NO_FLAG)                                                           \
	X(trans_type, COL_U8, NO_FLAG)                                                             \
	X(amount_fen, COL_I64, NO_FLAG)                                                            \
	X(nominal_fen, COL_I64, NO_FLAG)                                                           \
	X(discount_fen, COL_I64, NO_FLAG)                                                          \
	X(psam_terminal_no, COL_TEXT, NO_FLAG)                                                     \
	X(psam_serial, COL_U32, NO_FLAG)                                                           \
	X(txn_time, COL_TEXT, NO_FLAG)                                                             \
	X(txn_unix_s, COL_I64, NO_FLAG)                                                            \
	X(tac, COL_BLOB, REC_OFF(has_tac))                                                         \
	X(mac2, COL_BLOB, REC_OFF(has_tac))                                                        \
	X(industry, COL_U8, NO_FLAG)                                                               \
	X(line, COL_TEXT, NO_FLAG)                                                                 \
	X(direction, COL_TEXT, NO_FLAG)                                                            \
	X(vehicle, COL_TEXT, NO_FLAG)                                                              \
	X(station, COL_TEXT, NO_FLAG)                                                              \
	X(operator_code, COL_TEXT, NO_FLAG)                                                        \
	X(capp_1e, COL_BLOB, REC_OFF(has_capp_1e))                                                 \
	X(capp_1a, COL_BLOB, REC_OFF(has_capp_1a))                                                 \
	X(created_ms, COL_I64, NO_FLAG)

struct purchase_col {
	const char *name;
	enum col_kind kind;
	size_t offset, size, flag_offset;
};

#define COL_ENTRY(name, kind, flag)                                                                \
	{ #name, kind, REC_OFF(name), sizeof(((struct ykt_purchase_record *)0)->name), flag },
static const struct purchase_col purchase_cols[] = { PURCHASE_COLUMNS(COL_ENTRY) };
#define N_COLS ((int)(sizeof(purchase_cols) / sizeof(purchase_cols[0])))

#define COL_NAME(name, kind, flag)  #name ", "
#define COL_PARAM(name, kind, flag) "?, "

const char store_sql_purchase_insert[] = "INSERT INTO purchase (" PURCHASE_COLUMNS(
    COL_NAME) "updated_ms) VALUES (" PURCHASE_COLUMNS(COL_PARAM) "?)";
const char store_sql_purchase_get[] =
    "SELECT " PURCHASE_COLUMNS(COL_NAME) "updated_ms FROM purchase WHERE record_no = ?1";
const char store_sql_purchase_all[] =
    "SELECT " PURCHASE_COLUMNS(COL_NAME) "updated_ms FROM purchase ORDER BY record_no";
/* served by the index on upload_state (record_no is its rowid) */
const char store_sql_purchase_upload[] = "SELECT " PURCHASE_COLUMNS(
    COL_NAME) "updated_ms FROM purchase"
	      " WHERE upload_state = 0 AND record_no > ?1 AND " STORE_SQL_UPLOADABLE
	      " ORDER BY record_no LIMIT ?2";

static int64_t col_get_int(const void *field, enum col_kind kind)
{
	switch (kind) {
	case COL_INT:
		return *(const int *)field;
	case COL_U8:
		return *(const uint8_t *)field;
	case COL_U16:
		return *(const uint16_t *)field;
	case COL_U32:
		return *(const uint32_t *)field;
	default:
		return *(const int64_t *)field;
	}
}

static int bind_col(sqlite3_stmt *stmt, int idx, const struct purchase_col *c,
		    const struct ykt_purchase_record *rec)
{
	const char *field = (const char *)rec + c->offset;

	if (c->kind == COL_TEXT)
		return sqlite3_bind_text(stmt, idx, field, -1, SQLITE_STATIC);
	if (c->kind != COL_BLOB)
		return sqlite3_bind_int64(stmt, idx, col_get_int(field, c->kind));
	if (!*((const bool *)((const char *)rec + c->flag_offset)))
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_blob(stmt, idx, field, (int)c->size, SQLITE_STATIC);
}

int store_purchase_bind(sqlite3_stmt *stmt, const struct ykt_purchase_record *rec,
			int64_t updated_ms)
{
	for (int i = 0; i < N_COLS; i++) {
		int rc = bind_col(stmt, i + 1, &purchase_cols[i], rec);

		if (rc != SQLITE_OK)
			return rc;
	}
	return sqlite3_bind_int64(stmt, N_COLS + 1, updated_ms);
}

/* Store an integer column into its field if it fits the field's type. */
static bool col_put_int(void *field, enum col_kind kind, sqlite3_int64 v)
{
	switch (kind) {
	case COL_INT:
		if (v < INT32_MIN || v > INT32_MAX)
			return false;
		*(int *)field = (int)v;
		return true;
	case COL_U8:
		if (v < 0 || v > UINT8_MAX)
			return false;
		*(uint8_t *)field = (uint8_t)v;
		return true;
	case COL_U16:
		if (v < 0 || v > UINT16_MAX)
			return false;
		*(uint16_t *)field = (uint16_t)v;
		return true;
	case COL_U32:
		if (v < 0 || v > UINT32_MAX)
			return false;
		*(uint32_t *)field = (uint32_t)v;
		return true;
	default:
		*(int64_t *)field = v;
		return true;
	}
}

static bool col_put_text(char *field, size_t cap, sqlite3_stmt *stmt, int i)
{
	const unsigned char *text = sqlite3_column_text(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);

	if (!text || n < 0 || (size_t)n >= cap || memchr(text, '\0', (size_t)n))
		return false;
	memcpy(field, text, (size_t)n);
	field[n] = '\0';
	return true;
}

static bool col_put_blob(struct ykt_purchase_record *rec, const struct purchase_col *c,
			 sqlite3_stmt *stmt, int i)
{
	const void *blob = sqlite3_column_blob(stmt, i);

	/* NULL leaves the field zeroed and its flag clear */
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return true;
	if (!blob || sqlite3_column_bytes(stmt, i) != (int)c->size)
		return false;
	memcpy((char *)rec + c->offset, blob, c->size);
	*(bool *)((char *)rec + c->flag_offset) = true;
	return true;
}

static bool read_col(struct ykt_purchase_record *rec, const struct purchase_col *c,
		     sqlite3_stmt *stmt, int i)
{
	int type = sqlite3_column_type(stmt, i);

	switch (c->kind) {
	case COL_TEXT:
		return type == SQLITE_TEXT &&
		       col_put_text((char *)rec + c->offset, c->size, stmt, i);
	case COL_BLOB:
		return (type == SQLITE_NULL || type == SQLITE_BLOB) &&
		       col_put_blob(rec, c, stmt, i);
	default:
		return type == SQLITE_INTEGER &&
		       col_put_int((char *)rec + c->offset, c->kind, sqlite3_column_int64(stmt, i));
	}
}

int store_purchase_read(sqlite3_stmt *stmt, struct ykt_purchase_record *ret)
{
	struct ykt_purchase_record rec;

	/* The file could have been altered behind our back: every value is
	 * checked against its field before it is trusted. */
	memset(&rec, 0, sizeof(rec));
	if (sqlite3_column_count(stmt) < N_COLS)
		return YKT_E_STORE;
	for (int i = 0; i < N_COLS; i++) {
		if (!read_col(&rec, &purchase_cols[i], stmt, i)) {
			log_err("store", "purchase %lld: stored %s does not fit its field",
				(long long)sqlite3_column_int64(stmt, 0), purchase_cols[i].name);
			return YKT_E_STORE_CORRUPT;
		}
	}
	*ret = rec;
	return 0;
}
