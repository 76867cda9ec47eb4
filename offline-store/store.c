/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record store handle: opening (pragmas, integrity check, migrations,
 * prepared statements), the health check the reader loop runs before every
 * tap, and the read-only summaries.  Purchase writes live in purchase.c.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BUSY_TIMEOUT_MS 50
/* After a checkpoint the WAL file is cut back to this size, so that one
 * long read by `ykt sync` does not leave megabytes behind on a small disk. */
#define WAL_SIZE_LIMIT		"4194304"

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	/* max() with the highest stored number: even a counter row restored
	 * from an old backup can never hand out a number twice */
	[STMT_COUNTER_NEXT] = "UPDATE counter SET value = max(value,"
			      " (SELECT coalesce(max(record_no), 0) FROM purchase),"
			      " (SELECT coalesce(max(record_no), 0) FROM event),"
			      " (SELECT coalesce(max(record_no), 0) FROM qr)) + 1"
			      " WHERE name = '" STORE_COUNTER_RECORD_NO "'",
	[STMT_COUNTER_GET] = "SELECT value FROM counter WHERE name = '" STORE_COUNTER_RECORD_NO "'",
	[STMT_PURCHASE_INSERT] = store_sql_purchase_insert,
	[STMT_PURCHASE_GET] = store_sql_purchase_get,
	[STMT_PURCHASE_ALL] = store_sql_purchase_all,
	[STMT_PURCHASE_STATE] = "SELECT state, mac2_status FROM purchase WHERE record_no = ?1",
	/* a grey record the platform already holds goes again, complete */
	[STMT_PURCHASE_COMPLETE] = "UPDATE purchase SET state = 1, tac = ?2, mac2 = ?3,"
				   " balance_after_fen = ?4, updated_ms = ?5,"
				   " upload_state = 0, upload_reason = NULL"
				   " WHERE record_no = ?1 AND state IN (0, 2)",
	[STMT_PURCHASE_GREY] = "UPDATE purchase SET state = 2, flags = flags | 8, updated_ms = ?2"
			       " WHERE record_no = ?1 AND state = 0",
	/* a voided grey record goes (again) to the platform, which may hold
	 * its grey form: the right-hand sides read the row before the change */
	[STMT_PURCHASE_VOID] = "UPDATE purchase SET state = 3, updated_ms = ?2,"
			       " upload_state = CASE state WHEN 2 THEN 0 ELSE upload_state END,"
			       " upload_reason = CASE state WHEN 2 THEN NULL ELSE upload_reason END"
			       " WHERE record_no = ?1 AND state IN (0, 2)",
	[STMT_PURCHASE_MAC2] = "UPDATE purchase SET mac2_status = ?2, flags = flags | ?3,"
			       " updated_ms = ?4 WHERE record_no = ?1 AND state = 1",
	[STMT_PURCHASE_PSAM_SERIAL] = "UPDATE purchase SET psam_serial = ?2, updated_ms = ?3"
				      " WHERE record_no = ?1 AND state = 0",
	/* served by the unique index on (card_serial, init_atc); an intent
	 * met at run time is a grey mark that could not be written */
	[STMT_PURCHASE_FIND_GREY] = "SELECT record_no FROM purchase WHERE card_serial = ?1"
				    " AND state IN (0, 2) AND txn_unix_s >= ?2"
				    " ORDER BY record_no DESC LIMIT 1",
	/* the partial unique index itself: same WHERE */
	[STMT_PURCHASE_FIND_ATC] = "SELECT record_no FROM purchase WHERE card_serial = ?1"
				   " AND init_atc = ?2 AND state <> 3",
	[STMT_PURCHASE_FLAG] = "UPDATE purchase SET flags = flags | ?2, updated_ms = ?3"
			       " WHERE record_no = ?1",
	/* served by the index on txn_unix_s: only the window's records */
	[STMT_PURCHASE_FIND_LAST] = "SELECT record_no FROM purchase WHERE txn_unix_s >= ?2"
				    " AND card_serial = ?1 AND state = 1"
				    " ORDER BY txn_unix_s DESC, record_no DESC LIMIT 1",
	[STMT_LAST_TXN_TIME] = "SELECT max((SELECT coalesce(max(txn_unix_s), 0) FROM purchase),"
			       " (SELECT coalesce(max(txn_unix_s), 0) FROM qr))",
	[STMT_COUNTS] = "SELECT count(*), coalesce(sum(state = 0), 0), coalesce(sum(state = 1), 0),"
			" coalesce(sum(state = 2), 0),"
			" coalesce(sum(upload_state = 0 AND (state <> 3 OR (flags & 8) <> 0)), 0)"
			" FROM purchase",
	/* what taps add: purchases and QR codes (events are few) */
	[STMT_ROW_COUNT] = "SELECT (SELECT count(*) FROM purchase) + (SELECT count(*) FROM qr)",
	[STMT_DATA_VERSION] = "PRAGMA data_version",
	/* after a failed write: can the file take a (tiny) transaction again? */
	[STMT_WRITE_PROBE] = "INSERT OR REPLACE INTO meta (key, value)"
			     " VALUES ('write_probe_unix_ms', ?1)",
	[STMT_EVENT_INSERT] = store_sql_event_insert,
	[STMT_EVENT_GET] = store_sql_event_get,
	[STMT_EVENT_ALL] = store_sql_event_all,
	[STMT_EVENT_COUNTS] = "SELECT count(*), coalesce(sum(upload_state = 0), 0) FROM event",
	[STMT_QR_INSERT] = store_sql_qr_insert,
	[STMT_QR_GET] = store_sql_qr_get,
	[STMT_QR_ALL] = store_sql_qr_all,
	[STMT_QR_COUNTS] =
	    "SELECT coalesce(sum(verdict = 'ok'), 0), coalesce(sum(verdict <> 'ok'), 0),"
	    " coalesce(sum(upload_state = 0), 0) FROM qr",
};

int store_sqlite_error(sqlite3 *db, int rc, const char *what, char *errbuf, size_t errbuf_len)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int err = YKT_E_STORE;

	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		err = YKT_E_STORE_DUP;
	else if ((rc & 0xff) == SQLITE_FULL)
		err = YKT_E_STORE_FULL;
	else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		err = YKT_E_STORE_CORRUPT;
	/* a duplicate is an answer about the data, not a failing store; the
	 * caller logs it with the keys */
	if (err == YKT_E_STORE_DUP)
		log_debug("store", "%s: %s", what, msg);
	else
		log_err("store", "%s: %s (sqlite %d)", what, msg, rc);
	if (errbuf && errbuf_len)
		snprintf(errbuf, errbuf_len, "%s: %s", what, msg);
	return err;
}

void store_stmt_release(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* Failures that say the file cannot take writes now, rather than something
 * about this one statement (a constraint, a lock held for a moment). */
static bool write_failure_sticks(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		return true;
	default:
		return false;
	}
}

int store_step_done(struct ykt_store *store, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt), err;

	store_stmt_release(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	err = store_sqlite_error(store->db, rc, what, NULL, 0);
	if (write_failure_sticks(rc) && !store->write_err) {
		store->write_err = err;
		snprintf(store->write_why, sizeof(store->write_why), "%s: %s", what,
			 sqlite3_errstr(rc));
	}
	return err;
}

int store_tx_begin(struct ykt_store *store)
{
	return store_step_done(store, store->stmt[STMT_BEGIN], "begin");
}

int store_tx_end(struct ykt_store *store, int r)
{
	if (r == 0)
		r = store_step_done(store, store->stmt[STMT_COMMIT], "commit");
	/* a failed COMMIT (disk full, I/O error) may leave the transaction
	 * open: roll back whatever is still there */
	if (r != 0 && !sqlite3_get_autocommit(store->db))
		store_step_done(store, store->stmt[STMT_ROLLBACK], "rollback");
	return r;
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3 *store_db(struct ykt_store *store)
{
	return store ? store->db : NULL;
}

int store_schema_version(void)
{
	return store_migrations_latest();
}

static int open_fail(char *errbuf, size_t errbuf_len, int err, const char *msg)
{
	log_err("store", "%s", msg);
	if (errbuf && errbuf_len)
		snprintf(errbuf, errbuf_len, "%s", msg);
	return err;
}

static int open_db(struct ykt_store *s, const char *path, int busy_timeout_ms, char *errbuf,
		   size_t errbuf_len)
{
	/* NOMUTEX: a handle belongs to one thread (store.h), so SQLite's own
	 * locking would only cost time on every call */
	int rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
		return store_sqlite_error(s->db, rc, "open", errbuf, errbuf_len);
	sqlite3_extended_result_codes(s->db, 1);
	/* no SQL may rewrite the schema behind SQLite's back */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	rc = sqlite3_busy_timeout(s->db, busy_timeout_ms);
	if (rc != SQLITE_OK)
		return store_sqlite_error(s->db, rc, "busy timeout", errbuf, errbuf_len);
	/* a write-protected file is opened read-only without an error */
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return open_fail(errbuf, errbuf_len, YKT_E_STORE, "database is read-only");
	return 0;
}

/* First column of the first row as text into out (open time only). */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t out_cap, char *errbuf,
		      size_t errbuf_len)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);

		snprintf(out, out_cap, "%s", text ? (const char *)text : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_OK)
		return store_sqlite_error(db, rc, sql, errbuf, errbuf_len);
	return 0;
}

static int exec_pragma(sqlite3 *db, const char *sql, char *errbuf, size_t errbuf_len)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_sqlite_error(db, rc, sql, errbuf, errbuf_len);
	return 0;
}

static int apply_pragmas(sqlite3 *db, char *errbuf, size_t errbuf_len)
{
	char mode[16];
	int r;

	/* WAL: the reader loop and `ykt sync` read and write at the same time
	 * without blocking each other's readers.  The pragma answers with the
	 * mode in force, which stays the old one if WAL is impossible here. */
	r = query_text(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode), errbuf, errbuf_len);
	if (r < 0)
		return r;
	if (strcmp(mode, "wal") != 0)
		return open_fail(errbuf, errbuf_len, YKT_E_STORE,
				 "cannot put database in WAL mode");
	/* FULL: in WAL mode NORMAL may lose the last commits on power loss;
	 * an intent must survive it or the card could be charged unrecorded */
	r = exec_pragma(db, "PRAGMA synchronous = FULL", errbuf, errbuf_len);
	if (r == 0)
		r = exec_pragma(db, "PRAGMA foreign_keys = ON", errbuf, errbuf_len);
	if (r == 0)
		r = exec_pragma(db, "PRAGMA journal_size_limit = " WAL_SIZE_LIMIT, errbuf,
				errbuf_len);
	return r;
}

/* PRAGMA quick_check answers one row "ok", or rows naming the damage. */
static int check_integrity(sqlite3 *db, char *errbuf, size_t errbuf_len)
{
	char verdict[200];
	int r = query_text(db, "PRAGMA quick_check", verdict, sizeof(verdict), errbuf, errbuf_len);

	if (r < 0)
		return r;
	if (strcmp(verdict, "ok") != 0) {
		static const char banner[] = "*** in database main ***";
		char msg[256], *first = verdict;

		/* the verdict spans lines: the log and errbuf get the first
		 * finding on one line (a display has room for little more) */
		if (strncmp(first, banner, sizeof(banner) - 1) == 0)
			first += strspn(first + sizeof(banner) - 1, "\r\n") + sizeof(banner) - 1;
		first[strcspn(first, "\r\n")] = '\0';
		snprintf(msg, sizeof(msg), "database failed its integrity check: %s", first);
		return open_fail(errbuf, errbuf_len, YKT_E_STORE_CORRUPT, msg);
	}
	return 0;
}

int store_check_integrity(struct ykt_store *store, char *errbuf, size_t errbuf_len)
{
	if (!store)
		return -EINVAL;
	return check_integrity(store->db, errbuf, errbuf_len);
}

int store_file_schema(struct ykt_store *store, int *ret_version)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (!store || !ret_version)
		return -EINVAL;
	rc = sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ret_version = sqlite3_column_int(stmt, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_OK ? 0 : store_sqlite_error(store->db, rc, "schema version", NULL, 0);
}

static int prepare_all(struct ykt_store *s, char *errbuf, size_t errbuf_len)
{
	for (int i = 0; i < STMT__COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);

		if (rc != SQLITE_OK)
			return store_sqlite_error(s->db, rc, "prepare", errbuf, errbuf_len);
	}
	return 0;
}

/* The directory is where free space matters: the WAL and its index grow
 * next to the database file. */
static int remember_dir(struct ykt_store *s)
{
	const char *file = sqlite3_db_filename(s->db, "main");
	char *copy = strdup(file && *file ? file : ".");

	if (!copy)
		return -ENOMEM;
	s->dir = strdup(dirname(copy));
	free(copy);
	return s->dir ? 0 : -ENOMEM;
}

/* Read-only: an existing file at the schema this binary writes, opened so
 * that nothing is created, migrated or written (PRAGMA query_only), for
 * the operator commands that only look. */
static int open_readonly_steps(struct ykt_store *s, const char *path, int busy_timeout_ms,
			       char *errbuf, size_t errbuf_len)
{
	char msg[160];
	int rc, have = -1;

	if (access(path, F_OK) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		return open_fail(errbuf, errbuf_len, -errno, msg);
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_error(s->db, rc, "open", errbuf, errbuf_len);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_timeout_ms);
	rc = exec_pragma(s->db, "PRAGMA query_only = 1", errbuf, errbuf_len);
	if (rc == 0)
		rc = store_check_identity(s->db, errbuf, errbuf_len);
	if (rc == 0)
		rc = store_file_schema(s, &have);
	if (rc == 0 && have != store_migrations_latest()) {
		if (have == 0)
			snprintf(msg, sizeof(msg),
				 "database is empty (the validator sets it up at "
				 "start)");
		else
			snprintf(msg, sizeof(msg),
				 "database schema %d is older than this program's %d (the "
				 "validator migrates it at start)",
				 have, store_migrations_latest());
		return open_fail(errbuf, errbuf_len, YKT_E_STORE_SCHEMA, msg);
	}
	if (rc == 0)
		rc = prepare_all(s, errbuf, errbuf_len);
	if (rc == 0)
		rc = remember_dir(s);
	return rc;
}

static int open_steps(struct ykt_store *s, const char *path, int busy_timeout_ms, char *errbuf,
		      size_t errbuf_len)
{
	int r = open_db(s, path, busy_timeout_ms, errbuf, errbuf_len);

	/* before any pragma writes to the file: a newer or foreign database
	 * is left exactly as found */
	if (r == 0)
		r = store_check_identity(s->db, errbuf, errbuf_len);
	if (r == 0)
		r = apply_pragmas(s->db, errbuf, errbuf_len);
	if (r == 0)
		r = check_integrity(s->db, errbuf, errbuf_len);
	if (r == 0)
		r = store_migrate(s->db, errbuf, errbuf_len);
	if (r == 0)
		r = prepare_all(s, errbuf, errbuf_len);
	if (r == 0)
		r = remember_dir(s);
	return r;
}

int store_open(const char *path, const struct store_options *opts, struct ykt_store **ret_store,
	       char *errbuf, size_t errbuf_len)
{
	int busy_ms =
	    opts && opts->busy_timeout_ms ? opts->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
	struct ykt_store *s;
	int r;

	if (errbuf && errbuf_len)
		errbuf[0] = '\0';
	if (!path || !*path || !ret_store || busy_ms < 0)
		return open_fail(errbuf, errbuf_len, -EINVAL, "invalid store_open() arguments");
	s = calloc(1, sizeof(*s));
	if (!s)
		return open_fail(errbuf, errbuf_len, -ENOMEM, "out of memory");
	if (opts)
		s->opts = *opts;
	if (s->opts.read_only)
		r = open_readonly_steps(s, path, busy_ms, errbuf, errbuf_len);
	else
		r = open_steps(s, path, busy_ms, errbuf, errbuf_len);
	if (r == 0 && opts && opts->lazy_commits && !opts->read_only)
		r = exec_pragma(s->db, "PRAGMA synchronous = NORMAL", errbuf, errbuf_len);
	if (r < 0) {
		if (r == -ENOMEM)
			open_fail(errbuf, errbuf_len, r, "out of memory");
		/* a file we refuse (damaged, newer, not ours) stays exactly as
		 * found, its WAL included, for whoever repairs or upgrades it */
		if (s->db)
			sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		store_close(s);
		return r;
	}
	*ret_store = s;
	return 0;
}

int store_set_lazy_commits(struct ykt_store *store, bool lazy)
{
	if (!store || sqlite3_db_readonly(store->db, "main") == 1)
		return -EINVAL;
	return exec_pragma(
	    store->db, lazy ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", NULL, 0);
}

void store_close(struct ykt_store *store)
{
	if (!store)
		return;
	for (int i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(store->stmt[i]);
	store_upload_close(store);
	/* the last connection to close checkpoints and removes the WAL */
	sqlite3_close(store->db);
	free(store->dir);
	free(store);
}

static int statvfs_free(const char *dir, uint64_t *ret_bytes, void *userdata)
{
	struct statvfs vfs;

	if (statvfs(dir, &vfs) < 0)
		return -errno;
	/* f_bavail: what an unprivileged writer may still use */
	*ret_bytes = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	return 0;
}

static void health_fail(struct store_health *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void health_fail(struct store_health *h, int err, const char *fmt, ...)
{
	va_list ap;

	h->err = err;
	h->warn = false;
	va_start(ap, fmt);
	vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
	va_end(ap);
}

static void health_warn(struct store_health *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void health_warn(struct store_health *h, const char *fmt, ...)
{
	va_list ap;

	if (h->warn)
		return; /* the first warning is the one shown */
	h->warn = true;
	va_start(ap, fmt);
	vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
	va_end(ap);
}

static int check_free_space(struct ykt_store *store, struct store_health *h)
{
	const struct store_options *o = &store->opts;
	int r = o->free_space ? o->free_space(store->dir, &h->free_bytes, o->free_space_data)
			      : statvfs_free(store->dir, &h->free_bytes, NULL);

	if (r < 0) {
		log_err("store", "free space of %s: %s", store->dir, strerror(-r));
		health_fail(h, r == -ENOMEM ? r : YKT_E_STORE, "free space unknown: %s",
			    strerror(-r));
		return h->err;
	}
	if (h->free_bytes < o->min_free_bytes) {
		health_fail(h, YKT_E_STORE_FULL, "disk full: %llu KiB free, %llu KiB needed",
			    (unsigned long long)h->free_bytes / 1024,
			    (unsigned long long)o->min_free_bytes / 1024);
		return h->err;
	}
	if (h->free_bytes < o->warn_free_bytes)
		health_warn(h, "disk nearly full: %llu KiB free",
			    (unsigned long long)h->free_bytes / 1024);
	return 0;
}

/* One statement that answers one integer row. */
static int step_int(struct ykt_store *store, enum store_stmt which, const char *what, int64_t *ret)
{
	sqlite3_stmt *stmt = store->stmt[which];
	int rc = sqlite3_step(stmt);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;

	store_stmt_release(stmt);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, what, NULL, 0);
	*ret = v;
	return 0;
}

static int refresh_record_count(struct ykt_store *store)
{
	int64_t version = 0;
	int r = step_int(store, STMT_DATA_VERSION, "data version", &version);

	if (r < 0)
		return r;
	if (store->n_records_known && version == store->data_version)
		return 0;
	r = step_int(store, STMT_ROW_COUNT, "count records", &store->n_records);
	store->n_records_known = r == 0;
	store->data_version = version;
	return r;
}

static int check_record_count(struct ykt_store *store, struct store_health *h)
{
	const struct store_options *o = &store->opts;
	int r;

	if (!o->max_records && !o->warn_records)
		return 0;
	r = refresh_record_count(store);
	if (r < 0) {
		health_fail(h, r, "store does not answer: %s", ykt_strerror(r));
		return r;
	}
	h->records = store->n_records;
	if (o->max_records && h->records >= o->max_records) {
		health_fail(h, YKT_E_STORE_FULL, "%lld records stored, limit %lld",
			    (long long)h->records, (long long)o->max_records);
		return h->err;
	}
	if (o->warn_records && h->records >= o->warn_records)
		health_warn(h, "%lld records stored, warning at %lld", (long long)h->records,
			    (long long)o->warn_records);
	return 0;
}

/* After a failed write: one tiny transaction tells whether the file takes
 * writes again (space freed, the card's I/O error gone). */
static int probe_write(struct ykt_store *store, struct store_health *h)
{
	sqlite3_stmt *stmt = store->stmt[STMT_WRITE_PROBE];
	int err = store->write_err, r;

	store->write_err = 0;
	r = store_tx_begin(store);
	if (r == 0) {
		sqlite3_bind_int64(stmt, 1, store_now_ms());
		r = store_step_done(store, stmt, "write probe");
		r = store_tx_end(store, r);
	}
	if (r == 0) {
		log_info("store", "writes work again (after: %s)", store->write_why);
		return 0;
	}
	if (!store->write_err) /* busy, not the file: keep the first reason */
		store->write_err = err;
	health_fail(h, store->write_err, "writes fail: %s", store->write_why);
	return h->err;
}

/* a real read through SQLite: proves the file and its locks answer */
static int check_read(struct ykt_store *store, struct store_health *h)
{
	sqlite3_stmt *stmt = store->stmt[STMT_COUNTER_GET];
	int rc = sqlite3_step(stmt), r;

	store_stmt_release(stmt);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		log_err("store", "record number counter missing");
		health_fail(h, YKT_E_STORE_CORRUPT, "record number counter missing");
		return h->err;
	}
	r = store_sqlite_error(store->db, rc, "health check", NULL, 0);
	health_fail(h, r, "store does not answer: %s", sqlite3_errstr(rc));
	return r;
}

/* The checks in order; the first failing one gives the reason. */
static void health_checks(struct ykt_store *store, struct store_health *h)
{
	if (store->write_err && probe_write(store, h) < 0)
		return;
	if (check_free_space(store, h) < 0)
		return;
	if (sqlite3_db_readonly(store->db, "main") != 0) {
		log_err("store", "database is read-only");
		health_fail(h, YKT_E_STORE, "database is read-only");
		return;
	}
	if (check_read(store, h) < 0)
		return;
	check_record_count(store, h);
}

int store_health(struct ykt_store *store, struct store_health *ret)
{
	struct store_health h = { 0 };

	if (!store || !ret)
		return -EINVAL;
	health_checks(store, &h);
	*ret = h;
	return h.err;
}

int store_check_can_record(struct ykt_store *store)
{
	struct store_health h;

	return store_health(store, &h);
}

int store_last_txn_time(struct ykt_store *store, int64_t *ret_unix_s)
{
	sqlite3_stmt *stmt;
	int64_t v;
	int rc;

	if (!store || !ret_unix_s)
		return -EINVAL;
	stmt = store->stmt[STMT_LAST_TXN_TIME];
	rc = sqlite3_step(stmt);
	v = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	store_stmt_release(stmt);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "last transaction time", NULL, 0);
	*ret_unix_s = v;
	return 0;
}

int store_count(struct ykt_store *store, struct store_counts *ret)
{
	struct store_counts c;
	sqlite3_stmt *stmt;
	int rc;

	if (!store || !ret)
		return -EINVAL;
	stmt = store->stmt[STMT_COUNTS];
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		c = (struct store_counts){
			.total = sqlite3_column_int64(stmt, 0),
			.intent = sqlite3_column_int64(stmt, 1),
			.complete = sqlite3_column_int64(stmt, 2),
			.grey = sqlite3_column_int64(stmt, 3),
			.pending_upload = sqlite3_column_int64(stmt, 4),
		};
	store_stmt_release(stmt);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "count", NULL, 0);
	stmt = store->stmt[STMT_EVENT_COUNTS];
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		c.events = sqlite3_column_int64(stmt, 0);
		c.events_pending_upload = sqlite3_column_int64(stmt, 1);
	}
	store_stmt_release(stmt);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "count events", NULL, 0);
	stmt = store->stmt[STMT_QR_COUNTS];
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		c.qr_charged = sqlite3_column_int64(stmt, 0);
		c.qr_refused = sqlite3_column_int64(stmt, 1);
		c.qr_pending_upload = sqlite3_column_int64(stmt, 2);
	}
	store_stmt_release(stmt);
	if (rc != SQLITE_ROW)
		return store_sqlite_error(store->db, rc, "count QR records", NULL, 0);
	*ret = c;
	return 0;
}
