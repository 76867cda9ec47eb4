/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the record store: the handle, its prepared statements and the
 * helpers the store's .c files share.  Only offline-store/ and its tests
 * include this header; everything else goes through store.h.
 */
#ifndef YKT_STORE_PRIVATE_H
#define YKT_STORE_PRIVATE_H

#include "store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds a record must respect (see docs/store.md). 100000000 fen is one
 * million yuan: far above any card balance, far below int overflow. */
#define STORE_MAX_FEN		100000000
#define STORE_MAX_OVERDRAFT_FEN 0xffffff /* 3 bytes on the card */

/* The counter that hands out device record numbers.  Every kind of record
 * (purchase, event: PSAM swap, card lock, ...) draws from this one counter. */
#define STORE_COUNTER_RECORD_NO "device_record_no"

/* Statements prepared once at open and reused for every tap. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_COUNTER_NEXT,
	STMT_COUNTER_GET,
	STMT_PURCHASE_INSERT,
	STMT_PURCHASE_GET,
	STMT_PURCHASE_ALL,
	STMT_PURCHASE_STATE,
	STMT_PURCHASE_COMPLETE,
	STMT_PURCHASE_GREY,
	STMT_PURCHASE_VOID,
	STMT_PURCHASE_MAC2,
	STMT_PURCHASE_PSAM_SERIAL,
	STMT_PURCHASE_FIND_GREY,
	STMT_PURCHASE_FIND_ATC,
	STMT_PURCHASE_FLAG,
	STMT_PURCHASE_FIND_LAST,
	STMT_LAST_TXN_TIME,
	STMT_COUNTS,
	STMT_ROW_COUNT,
	STMT_DATA_VERSION,
	STMT_WRITE_PROBE,
	STMT_EVENT_INSERT,
	STMT_EVENT_GET,
	STMT_EVENT_ALL,
	STMT_EVENT_COUNTS,
	STMT_QR_INSERT,
	STMT_QR_GET,
	STMT_QR_ALL,
	STMT_QR_COUNTS,
	STMT__COUNT
};

struct store_upload_stmts;

struct ykt_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT__COUNT];
	/* the uplink's statements, prepared at its first use (upload.c): the
	 * reader loop never pays for them */
	struct store_upload_stmts *upload;
	char *dir; /* directory holding the database, for statvfs() */
	struct store_options opts;

	/* a write that failed for a reason the next tap would meet again (disk
	 * full, I/O error): no tap is taken until a probe write succeeds */
	int write_err;
	char write_why[96];

	/* rows in purchase: counted at open, then kept up to date by our own
	 * inserts, and counted again when PRAGMA data_version shows that
	 * another process (ykt sync's purge) committed */
	int64_t n_records;
	int64_t data_version;
	bool n_records_known;
};

/* ---- store.c ---- */

/* Map a SQLite result code to a project code (YKT_E_STORE, _FULL, _DUP,
 * _CORRUPT) and log it with sqlite3_errmsg() under "store".  what names
 * the operation.  When errbuf is not NULL the one-line reason goes there too. */
int store_sqlite_error(sqlite3 *db, int rc, const char *what, char *errbuf, size_t errbuf_len);

/* Step a prepared statement that returns no row, then reset it and clear
 * its bindings.  0 or a mapped error.  A failure the next write would meet
 * again (full, I/O, read-only, corrupt) is remembered in store->write_err. */
int store_step_done(struct ykt_store *store, sqlite3_stmt *stmt, const char *what);

/* Reset a statement and drop its bindings (blobs are bound SQLITE_STATIC). */
void store_stmt_release(sqlite3_stmt *stmt);

/* BEGIN IMMEDIATE: take the write lock now (waiting up to the busy
 * timeout) so the transaction can never fail half-way on a lock. */
int store_tx_begin(struct ykt_store *store);
/* Commit when r == 0, roll back otherwise; returns r or the commit error. */
int store_tx_end(struct ykt_store *store, int r);

/* Wall clock in ms for updated_ms / a missing created_ms. */
int64_t store_now_ms(void);

/* The SQLite connection behind a store, for the store's tests and
 * diagnostics only (checking pragmas, raw inspection).  Not for other
 * modules: they go through store.h. */
sqlite3 *store_db(struct ykt_store *store);

/* ---- migrations.c ---- */

/* Schema version this binary writes (the number of migration steps). */
int store_migrations_latest(void);

/* Refuse a file that is not ours to touch: made by a newer binary
 * (YKT_E_STORE_SCHEMA with "database schema N is newer ..."), or another
 * program's database.  Reads only; run before anything writes. */
int store_check_identity(sqlite3 *db, char *errbuf, size_t errbuf_len);

/* Bring the database to the latest schema, one transaction per step.
 * YKT_E_STORE_SCHEMA when it is newer than this binary or not ours. */
int store_migrate(sqlite3 *db, char *errbuf, size_t errbuf_len);

/* A purchase that goes to the platform (store.h, "Uploading"): complete or
 * grey, or void after having been grey (flag bit 1). */
#define STORE_SQL_UPLOADABLE "(state IN (1, 2) OR (state = 3 AND (flags & 8) <> 0))"

/* ---- purchase_row.c ---- */

/* SQL text of the purchase statements (column lists made from one table so
 * the INSERT, the SELECTs and the row codec can never disagree). */
extern const char store_sql_purchase_insert[];
extern const char store_sql_purchase_get[];
extern const char store_sql_purchase_all[];
/* ?1 after this record number, ?2 at most this many: pending uploadable
 * purchases in record_no order */
extern const char store_sql_purchase_upload[];

/* Bind every column of rec to the INSERT statement, updated_ms last. */
int store_purchase_bind(sqlite3_stmt *stmt, const struct ykt_purchase_record *rec,
			int64_t updated_ms);

/* Read a row of a purchase SELECT into ret (written only on success).
 * YKT_E_STORE_CORRUPT if a value does not fit its field. */
int store_purchase_read(sqlite3_stmt *stmt, struct ykt_purchase_record *ret);

/* ---- purchase.c ---- */

/* Next device record number (purchases and events share the counter),
 * inside the caller's write transaction. */
int store_next_record_no(struct ykt_store *store, int64_t *ret_no);

/* ---- event.c ---- */

extern const char store_sql_event_insert[];
extern const char store_sql_event_get[];
extern const char store_sql_event_all[];
/* ?1 after this record number, ?2 at most this many pending events */
extern const char store_sql_event_upload[];

/* Read a row of an event SELECT into ret (written only on success).
 * YKT_E_STORE_CORRUPT if a value does not fit its field. */
int store_event_read(sqlite3_stmt *stmt, struct ykt_event_record *ret);

/* ---- upload.c ---- */

/* Finalize the uplink's statements (store_close()). */
void store_upload_close(struct ykt_store *store);

/* ---- qr_record.c ---- */

extern const char store_sql_qr_insert[];
extern const char store_sql_qr_get[];
extern const char store_sql_qr_all[];
/* ?1 after this record number, ?2 at most this many pending QR records */
extern const char store_sql_qr_upload[];

/* Read a row of a QR SELECT into ret (written only on success).
 * YKT_E_STORE_CORRUPT if a value does not fit its field. */
int store_qr_read(sqlite3_stmt *stmt, struct ykt_qr_record *ret);

/* ---- purchase_check.c ---- */

/* NULL when rec may be written as an intent, else why not (static text). */
const char *store_purchase_invalid(const struct ykt_purchase_record *rec);

#endif
