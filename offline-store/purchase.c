/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Purchase records: the intent written before DEBIT, its completion, grey
 * or void mark afterwards, the MAC2 verdict, and reading them back.
 *
 * Every write is one short BEGIN IMMEDIATE ... COMMIT transaction; with
 * synchronous=FULL the COMMIT returns once the WAL is on stable storage.
 * State changes read the current state inside the same transaction, so
 * the error returned for a refused change is the true reason.
 */
#include "store_private.h"

#include "cardno.h"
#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

/* Next device record number, inside the caller's write transaction so a
 * rolled-back insert does not consume it, and never below a number once
 * handed out even if rows are deleted later. */
int store_next_record_no(struct ykt_store *store, int64_t *ret_no)
{
	sqlite3_stmt *get = store->stmt[STMT_COUNTER_GET];
	int64_t no;
	int r, rc;

	r = store_step_done(store, store->stmt[STMT_COUNTER_NEXT], "next record number");
	if (r < 0)
		return r;
	if (sqlite3_changes(store->db) != 1) {
		log_err("store", "record number counter missing");
		return YKT_E_STORE_CORRUPT;
	}
	rc = sqlite3_step(get);
	no = rc == SQLITE_ROW ? sqlite3_column_int64(get, 0) : 0;
	store_stmt_release(get);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "read record number", NULL, 0);
	*ret_no = no;
	return 0;
}

static int insert_row(struct ykt_store *store, const struct ykt_purchase_record *row)
{
	sqlite3_stmt *stmt = store->stmt[STMT_PURCHASE_INSERT];
	int rc = store_purchase_bind(stmt, row, row->created_ms);

	if (rc != SQLITE_OK) {
		store_stmt_release(stmt);
		return store_sqlite_error(store->db, rc, "bind intent", NULL, 0);
	}
	return store_step_done(store, stmt, "insert intent");
}

/* The stored form of a new intent: what the caller may not decide. */
static void intent_normalise(struct ykt_purchase_record *row)
{
	row->state = STORE_INTENT;
	row->upload_state = UPLOAD_PENDING;
	row->mac2_status = MAC2_UNCHECKED;
	row->flags &= ~(STORE_FLAG_MAC2_FAILED | STORE_FLAG_MAC2_UNCHECKED | STORE_FLAG_WAS_GREY);
	row->has_tac = false;
	memset(row->tac, 0, sizeof(row->tac));
	memset(row->mac2, 0, sizeof(row->mac2));
	row->balance_after_fen = -1;
	if (!row->has_capp_1e)
		memset(row->capp_1e, 0, sizeof(row->capp_1e));
	if (!row->has_capp_1a)
		memset(row->capp_1a, 0, sizeof(row->capp_1a));
	if (row->created_ms == 0)
		row->created_ms = store_now_ms();
}

static void log_duplicate(const struct ykt_purchase_record *row)
{
	char masked[YKT_CARDNO_LEN + 1];

	ykt_cardno_mask(row->card_serial, 0, masked);
	log_warn("store", "intent refused: card %s ATC %u or PSAM %s serial %u already stored",
		 masked, row->init_atc, row->psam_terminal_no, row->psam_serial);
}

int store_intent_add(struct ykt_store *store, struct ykt_purchase_record *rec)
{
	struct ykt_purchase_record row;
	const char *why;
	int r;

	if (!store || !rec)
		return -EINVAL;
	why = store_purchase_invalid(rec);
	if (why) {
		log_warn("store", "intent refused: %s", why);
		return -EINVAL;
	}
	row = *rec;
	intent_normalise(&row);
	r = store_tx_begin(store);
	if (r < 0)
		return r;
	r = store_next_record_no(store, &row.record_no);
	if (r == 0)
		r = insert_row(store, &row);
	r = store_tx_end(store, r);
	if (r == YKT_E_STORE_DUP)
		log_duplicate(&row);
	if (r < 0)
		return r;
	store->n_records++; /* our own commit does not move data_version */
	*rec = row;
	return 0;
}

/* Begin a write transaction and read the record's state in it; on error
 * the transaction is already rolled back. */
static int begin_on_record(struct ykt_store *store, int64_t record_no, int *ret_state,
			   int *ret_mac2)
{
	sqlite3_stmt *stmt = store->stmt[STMT_PURCHASE_STATE];
	int state = 0, mac2 = 0, r, rc;

	r = store_tx_begin(store);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, record_no);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		state = sqlite3_column_int(stmt, 0);
		mac2 = sqlite3_column_int(stmt, 1);
	}
	store_stmt_release(stmt);
	if (rc == SQLITE_DONE)
		r = -ENOENT;
	else if (rc != SQLITE_ROW)
		r = store_sqlite_error(store->db, rc, "read record state", NULL, 0);
	if (r < 0)
		return store_tx_end(store, r);
	*ret_state = state;
	*ret_mac2 = mac2;
	return 0;
}

/* Run a bound UPDATE that must change exactly the one record. */
static int update_one(struct ykt_store *store, sqlite3_stmt *stmt, const char *what)
{
	int r = store_step_done(store, stmt, what);

	if (r == 0 && sqlite3_changes(store->db) != 1) {
		log_err("store", "%s: record changed under us", what);
		r = YKT_E_STORE;
	}
	return r;
}

static bool fen_ok(int64_t v)
{
	return v >= 0 && v <= STORE_MAX_FEN;
}

int store_purchase_complete(struct ykt_store *store, int64_t record_no, const uint8_t tac[4],
			    const uint8_t mac2[4], int64_t balance_after_fen)
{
	sqlite3_stmt *stmt;
	int state, mac2_status, r;

	if (!store || !tac || !mac2 || record_no <= 0 || !fen_ok(balance_after_fen))
		return -EINVAL;
	r = begin_on_record(store, record_no, &state, &mac2_status);
	if (r < 0)
		return r;
	/* a grey record is completed by recovery (805A) when the card returns */
	if (state == STORE_COMPLETE)
		r = -EALREADY;
	else if (state != STORE_INTENT && state != STORE_GREY)
		r = -EINVAL;
	if (r == 0) {
		stmt = store->stmt[STMT_PURCHASE_COMPLETE];
		sqlite3_bind_int64(stmt, 1, record_no);
		sqlite3_bind_blob(stmt, 2, tac, 4, SQLITE_STATIC);
		sqlite3_bind_blob(stmt, 3, mac2, 4, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 4, balance_after_fen);
		sqlite3_bind_int64(stmt, 5, store_now_ms());
		r = update_one(store, stmt, "complete purchase");
	}
	return store_tx_end(store, r);
}

int store_intent_set_psam_serial(struct ykt_store *store, int64_t record_no, uint32_t psam_serial)
{
	sqlite3_stmt *stmt;
	int state, mac2_status, r;

	if (!store || record_no <= 0)
		return -EINVAL;
	r = begin_on_record(store, record_no, &state, &mac2_status);
	if (r < 0)
		return r;
	/* once DEBIT went out the TAC covers the serial sent: never rewritten */
	if (state != STORE_INTENT)
		r = -EINVAL;
	if (r == 0) {
		stmt = store->stmt[STMT_PURCHASE_PSAM_SERIAL];
		sqlite3_bind_int64(stmt, 1, record_no);
		sqlite3_bind_int64(stmt, 2, psam_serial);
		sqlite3_bind_int64(stmt, 3, store_now_ms());
		r = update_one(store, stmt, "correct PSAM serial");
	}
	return store_tx_end(store, r);
}

/* Move a record to state `to` through a timestamp-only UPDATE: -EALREADY
 * when it is there already, -EINVAL from a state outside from_mask. */
static int set_state(struct ykt_store *store, int64_t record_no, int to, unsigned from_mask,
		     enum store_stmt which, const char *what)
{
	sqlite3_stmt *stmt;
	int state, mac2_status, r;

	if (!store || record_no <= 0)
		return -EINVAL;
	r = begin_on_record(store, record_no, &state, &mac2_status);
	if (r < 0)
		return r;
	if (state == to)
		r = -EALREADY;
	else if (state < 0 || state > 31 || !(from_mask & (1u << state)))
		r = -EINVAL;
	if (r == 0) {
		stmt = store->stmt[which];
		sqlite3_bind_int64(stmt, 1, record_no);
		sqlite3_bind_int64(stmt, 2, store_now_ms());
		r = update_one(store, stmt, what);
	}
	return store_tx_end(store, r);
}

int store_purchase_grey(struct ykt_store *store, int64_t record_no)
{
	/* a known outcome (complete, void) never becomes unknown */
	return set_state(store, record_no, STORE_GREY, 1u << STORE_INTENT, STMT_PURCHASE_GREY,
			 "mark purchase grey");
}

int store_purchase_void(struct ykt_store *store, int64_t record_no)
{
	/* never from complete: the card was debited, the record must be cleared */
	return set_state(store, record_no, STORE_VOID, 1u << STORE_INTENT | 1u << STORE_GREY,
			 STMT_PURCHASE_VOID, "void purchase");
}

/* Write a MAC2 status and OR flag bits into a complete record that has no
 * verdict yet. */
static int mac2_update(struct ykt_store *store, int64_t record_no, enum store_mac2_status status,
		       uint32_t flags)
{
	sqlite3_stmt *stmt;
	int state, old, r;

	r = begin_on_record(store, record_no, &state, &old);
	if (r < 0)
		return r;
	/* MAC2 exists only once DEBIT answered; a verdict, once given, stands
	 * (the same verdict again is a harmless repeat) */
	if (state != STORE_COMPLETE)
		r = -EINVAL;
	else if (old != MAC2_UNCHECKED)
		r = old == (int)status ? 0 : -EALREADY;
	if (r == 0 && old == MAC2_UNCHECKED) {
		stmt = store->stmt[STMT_PURCHASE_MAC2];
		sqlite3_bind_int64(stmt, 1, record_no);
		sqlite3_bind_int(stmt, 2, (int)status);
		sqlite3_bind_int64(stmt, 3, flags);
		sqlite3_bind_int64(stmt, 4, store_now_ms());
		r = update_one(store, stmt, "record MAC2 verdict");
	}
	return store_tx_end(store, r);
}

int store_purchase_flag(struct ykt_store *store, int64_t record_no, uint32_t flags)
{
	sqlite3_stmt *stmt;
	int state, mac2_status, r;

	if (!store || record_no <= 0)
		return -EINVAL;
	r = begin_on_record(store, record_no, &state, &mac2_status);
	if (r < 0)
		return r;
	stmt = store->stmt[STMT_PURCHASE_FLAG];
	sqlite3_bind_int64(stmt, 1, record_no);
	sqlite3_bind_int64(stmt, 2, flags);
	sqlite3_bind_int64(stmt, 3, store_now_ms());
	r = update_one(store, stmt, "flag purchase");
	return store_tx_end(store, r);
}

int store_purchase_mac2(struct ykt_store *store, int64_t record_no, enum store_mac2_status status)
{
	if (!store || record_no <= 0 || (status != MAC2_OK && status != MAC2_FAILED))
		return -EINVAL;
	return mac2_update(store, record_no, status,
			   status == MAC2_FAILED ? STORE_FLAG_MAC2_FAILED : 0);
}

int store_purchase_mac2_unchecked(struct ykt_store *store, int64_t record_no)
{
	if (!store || record_no <= 0)
		return -EINVAL;
	return mac2_update(store, record_no, MAC2_UNCHECKED, STORE_FLAG_MAC2_UNCHECKED);
}

int store_purchase_get(struct ykt_store *store, int64_t record_no, struct ykt_purchase_record *ret)
{
	sqlite3_stmt *stmt;
	struct ykt_purchase_record rec;
	int r = 0, rc;

	if (!store || !ret)
		return -EINVAL;
	stmt = store->stmt[STMT_PURCHASE_GET];
	sqlite3_bind_int64(stmt, 1, record_no);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		r = store_purchase_read(stmt, &rec);
	else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_sqlite_error(store->db, rc, "read purchase", NULL, 0);
	store_stmt_release(stmt);
	if (r < 0)
		return r;
	*ret = rec;
	return 0;
}

int store_purchase_foreach(struct ykt_store *store,
			   int (*cb)(const struct ykt_purchase_record *rec, void *userdata),
			   void *userdata)
{
	struct ykt_purchase_record rec;
	sqlite3_stmt *stmt;
	int r = 0, rc = SQLITE_DONE;

	if (!store || !cb)
		return -EINVAL;
	stmt = store->stmt[STMT_PURCHASE_ALL];
	/* the walk owns this statement until it ends: a nested walk from the
	 * callback would reset it under our feet */
	if (sqlite3_stmt_busy(stmt))
		return -EBUSY;
	while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = store_purchase_read(stmt, &rec);
		if (r == 0)
			r = cb(&rec, userdata);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sqlite_error(store->db, rc, "walk purchases", NULL, 0);
	store_stmt_release(stmt);
	return r;
}

/* The record a card-and-time query names, read whole; -ENOENT for none. */
static int find_one(struct ykt_store *store, enum store_stmt which, const char *card_serial,
		    int64_t since_unix_s, struct ykt_purchase_record *ret)
{
	sqlite3_stmt *stmt;
	int64_t record_no = 0;
	int rc;

	if (!store || !card_serial || !ret)
		return -EINVAL;
	stmt = store->stmt[which];
	sqlite3_bind_text(stmt, 1, card_serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, since_unix_s);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		record_no = sqlite3_column_int64(stmt, 0);
	store_stmt_release(stmt);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "find a record of the card", NULL, 0);
	return store_purchase_get(store, record_no, ret);
}

int store_purchase_find_atc(struct ykt_store *store, const char *card_serial, uint16_t init_atc,
			    struct ykt_purchase_record *ret)
{
	sqlite3_stmt *stmt;
	int64_t record_no = 0;
	int rc;

	if (!store || !card_serial || !ret)
		return -EINVAL;
	stmt = store->stmt[STMT_PURCHASE_FIND_ATC];
	sqlite3_bind_text(stmt, 1, card_serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, init_atc);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		record_no = sqlite3_column_int64(stmt, 0);
	store_stmt_release(stmt);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "find record by ATC", NULL, 0);
	return store_purchase_get(store, record_no, ret);
}

int store_purchase_find_grey(struct ykt_store *store, const char *card_serial, int64_t since_unix_s,
			     struct ykt_purchase_record *ret)
{
	return find_one(store, STMT_PURCHASE_FIND_GREY, card_serial, since_unix_s, ret);
}

int store_purchase_find_last(struct ykt_store *store, const char *card_serial, int64_t since_unix_s,
			     struct ykt_purchase_record *ret)
{
	return find_one(store, STMT_PURCHASE_FIND_LAST, card_serial, since_unix_s, ret);
}
