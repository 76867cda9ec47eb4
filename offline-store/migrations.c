/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Schema migrations.  PRAGMA user_version is the schema version; step n
 * (migrations[n - 1]) brings a database from version n - 1 to n inside one
 * transaction, so a power cut leaves either the old or the new schema.
 * A released step is never edited: later versions append steps.  Each step
 * sets user_version itself (a constant in its text) because PRAGMA values
 * cannot be bound, and SQL is never assembled at run time.
 */
#include "store_private.h"

#include "log.h"
#include "ykt_error.h"

#include <stdio.h>
#include <string.h>

/* 0x594b5431, "YKT1": marks the file as a ykt-validator record store.
 * Decimal because it is pasted into the migration text. */
#define STORE_APPLICATION_ID 1498108977
#define STR_(x)		     #x
#define STR(x)		     STR_(x)

/* clang-format off */
static const char migration_1[] =
	"PRAGMA application_id = " STR(STORE_APPLICATION_ID) ";"
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL);"
	"INSERT INTO meta (key, value) VALUES"
	" ('schema_1', 'purchase records; device record counter'),"
	" ('schema_1_applied_unix_s', strftime('%s', 'now'));"
	"CREATE TABLE counter ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" value INTEGER NOT NULL CHECK (value >= 0));"
	"INSERT INTO counter (name, value) VALUES ('" STORE_COUNTER_RECORD_NO "', 0);"
	"CREATE TABLE purchase ("
	" record_no INTEGER PRIMARY KEY CHECK (record_no > 0),"
	" device_id TEXT NOT NULL"
	"  CHECK (length(CAST(device_id AS BLOB)) BETWEEN 1 AND 32),"
	" state INTEGER NOT NULL CHECK (state IN (0, 1, 2, 3)),"
	" upload_state INTEGER NOT NULL CHECK (upload_state IN (0, 1, 2, 3)),"
	" mac2_status INTEGER NOT NULL CHECK (mac2_status IN (0, 1, 2)),"
	" flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 4294967295),"
	" card_serial TEXT NOT NULL"
	"  CHECK (length(card_serial) = 20 AND card_serial NOT GLOB '*[^0-9A-F]*'),"
	" issuer_id TEXT NOT NULL"
	"  CHECK (length(issuer_id) IN (0, 16) AND issuer_id NOT GLOB '*[^0-9A-F]*'),"
	" card_city TEXT NOT NULL"
	"  CHECK (length(card_city) IN (0, 4) AND card_city NOT GLOB '*[^0-9A-F]*'),"
	" card_type INTEGER NOT NULL CHECK (card_type BETWEEN 0 AND 255),"
	" init_atc INTEGER NOT NULL CHECK (init_atc BETWEEN 0 AND 65535),"
	" balance_before_fen INTEGER NOT NULL"
	"  CHECK (balance_before_fen BETWEEN 0 AND 100000000),"
	" balance_after_fen INTEGER NOT NULL"
	"  CHECK (balance_after_fen BETWEEN -1 AND 100000000),"
	" overdraft_limit_fen INTEGER NOT NULL"
	"  CHECK (overdraft_limit_fen BETWEEN 0 AND 16777215),"
	" key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),"
	" key_index INTEGER NOT NULL CHECK (key_index BETWEEN 0 AND 255),"
	" algorithm_id INTEGER NOT NULL CHECK (algorithm_id BETWEEN 0 AND 255),"
	" trans_type INTEGER NOT NULL CHECK (trans_type IN (6, 9)),"
	" amount_fen INTEGER NOT NULL CHECK (amount_fen BETWEEN 0 AND 100000000),"
	" nominal_fen INTEGER NOT NULL CHECK (nominal_fen BETWEEN 0 AND 100000000),"
	" discount_fen INTEGER NOT NULL CHECK (discount_fen BETWEEN 0 AND 100000000),"
	" psam_terminal_no TEXT NOT NULL"
	"  CHECK (length(psam_terminal_no) = 12 AND psam_terminal_no NOT GLOB '*[^0-9]*'),"
	" psam_serial INTEGER NOT NULL CHECK (psam_serial BETWEEN 0 AND 4294967295),"
	" txn_time TEXT NOT NULL"
	"  CHECK (length(txn_time) = 14 AND txn_time NOT GLOB '*[^0-9]*'),"
	" txn_unix_s INTEGER NOT NULL CHECK (typeof(txn_unix_s) = 'integer'),"
	" tac BLOB CHECK (tac IS NULL OR (typeof(tac) = 'blob' AND length(tac) = 4)),"
	" mac2 BLOB CHECK (mac2 IS NULL OR (typeof(mac2) = 'blob' AND length(mac2) = 4)),"
	" industry INTEGER NOT NULL CHECK (industry BETWEEN 0 AND 255),"
	" line TEXT NOT NULL CHECK (length(CAST(line AS BLOB)) <= 8),"
	" direction TEXT NOT NULL CHECK (length(CAST(direction AS BLOB)) <= 8),"
	" vehicle TEXT NOT NULL CHECK (length(CAST(vehicle AS BLOB)) <= 16),"
	" station TEXT NOT NULL CHECK (length(CAST(station AS BLOB)) <= 8),"
	" operator_code TEXT NOT NULL CHECK (length(CAST(operator_code AS BLOB)) <= 8),"
	" capp_1e BLOB CHECK (capp_1e IS NULL"
	"  OR (typeof(capp_1e) = 'blob' AND length(capp_1e) = 48)),"
	" created_ms INTEGER NOT NULL CHECK (created_ms >= 0),"
	" updated_ms INTEGER NOT NULL CHECK (updated_ms >= 0),"
	/* TAC and MAC2 come from the same DEBIT answer; a completed record
	 * without them could not be cleared */
	" CHECK ((tac IS NULL) = (mac2 IS NULL)),"
	" CHECK (state <> 1 OR tac IS NOT NULL),"
	" UNIQUE (psam_terminal_no, psam_serial),"
	" UNIQUE (device_id, record_no));"
	/* a card whose debit did not happen comes back with the same INIT
	 * ATC: a void record (state 3) must not block its next intent */
	"CREATE UNIQUE INDEX purchase_card_atc ON purchase (card_serial, init_atc)"
	" WHERE state <> 3;"
	"CREATE INDEX purchase_state ON purchase (state);"
	"CREATE INDEX purchase_upload_state ON purchase (upload_state);"
	/* every tap compares the clock with the latest record: keep MAX() cheap */
	"CREATE INDEX purchase_txn_unix_s ON purchase (txn_unix_s);"
	"PRAGMA user_version = 1;";

/* Version 2: event records (PSAM swap, card lock, ...) drawing record
 * numbers from the same device counter as purchases, and what the
 * platform answered for each record (reason of a rejection, when). */
static const char migration_2[] =
	"INSERT INTO meta (key, value) VALUES"
	" ('schema_2', 'event records; platform answer reason and time'),"
	" ('schema_2_applied_unix_s', strftime('%s', 'now'));"
	"CREATE TABLE event ("
	" record_no INTEGER PRIMARY KEY CHECK (record_no > 0),"
	" device_id TEXT NOT NULL"
	"  CHECK (length(CAST(device_id AS BLOB)) BETWEEN 1 AND 32),"
	" kind TEXT NOT NULL"
	"  CHECK (length(kind) BETWEEN 1 AND 24 AND kind NOT GLOB '*[^a-z0-9-]*'),"
	" event_time TEXT NOT NULL"
	"  CHECK (length(event_time) = 14 AND event_time NOT GLOB '*[^0-9]*'),"
	" event_unix_s INTEGER NOT NULL CHECK (typeof(event_unix_s) = 'integer'),"
	" body TEXT NOT NULL CHECK (length(CAST(body AS BLOB)) <= 4096"
	"  AND json_valid(body) AND json_type(body) = 'object'),"
	" upload_state INTEGER NOT NULL CHECK (upload_state IN (0, 1, 2, 3)),"
	" upload_reason TEXT CHECK (upload_reason IS NULL"
	"  OR length(CAST(upload_reason AS BLOB)) <= 200),"
	" upload_ms INTEGER CHECK (upload_ms IS NULL OR upload_ms >= 0),"
	" created_ms INTEGER NOT NULL CHECK (created_ms >= 0),"
	" UNIQUE (device_id, record_no));"
	"CREATE INDEX event_upload_state ON event (upload_state);"
	"ALTER TABLE purchase ADD COLUMN upload_reason TEXT CHECK (upload_reason IS NULL"
	"  OR length(CAST(upload_reason AS BLOB)) <= 200);"
	"ALTER TABLE purchase ADD COLUMN upload_ms INTEGER"
	"  CHECK (upload_ms IS NULL OR upload_ms >= 0);"
	"PRAGMA user_version = 2;";

/* Version 3: the index of installed parameter packages (offline-store/
 * params*.c, docs/parameters.md).  The lists themselves live as files in
 * the parameter directory; a row here is what makes a version count. */
static const char migration_3[] =
	"CREATE TABLE param_version ("
	" param TEXT NOT NULL"
	"  CHECK (length(param) BETWEEN 1 AND 32 AND param NOT GLOB '*[^a-z-]*'),"
	" version INTEGER NOT NULL CHECK (version BETWEEN 1 AND 4294967295),"
	" package_kind INTEGER NOT NULL CHECK (package_kind BETWEEN 1 AND 255),"
	" base_version INTEGER NOT NULL CHECK (base_version BETWEEN 0 AND 4294967295),"
	" effective_unix_s INTEGER NOT NULL CHECK (typeof(effective_unix_s) = 'integer'),"
	" created_unix_s INTEGER NOT NULL CHECK (typeof(created_unix_s) = 'integer'),"
	" installed_unix_s INTEGER NOT NULL CHECK (typeof(installed_unix_s) = 'integer'),"
	" entries INTEGER NOT NULL CHECK (entries >= 0),"
	" payload_sm3 BLOB NOT NULL"
	"  CHECK (typeof(payload_sm3) = 'blob' AND length(payload_sm3) = 32),"
	" file TEXT NOT NULL"
	"  CHECK (length(file) BETWEEN 1 AND 64 AND file NOT GLOB '*[^a-z0-9.-]*'),"
	" PRIMARY KEY (param, version)) WITHOUT ROWID;"
	"INSERT INTO meta (key, value) VALUES"
	" ('schema_3', 'parameter packages: installed versions (param_version)'),"
	" ('schema_3_applied_unix_s', strftime('%s', 'now'));"
	"PRAGMA user_version = 3;";

/* Version 4: the 0x1A record (2701 metro entry/exit, 2702 bus boarding/
 * alighting) a compound purchase wrote, exact bytes, beside its 0x1E
 * record: clearing reads the entry station and time of an exit from it. */
static const char migration_4[] =
	"ALTER TABLE purchase ADD COLUMN capp_1a BLOB CHECK (capp_1a IS NULL"
	"  OR (typeof(capp_1a) = 'blob' AND length(capp_1a) = 128));"
	"INSERT INTO meta (key, value) VALUES"
	" ('schema_4', 'purchase: the 0x1A record of metro and segmented-bus purchases'),"
	" ('schema_4_applied_unix_s', strftime('%s', 'now'));"
	"PRAGMA user_version = 4;";

/* Version 5: QR code records (T-Union QR, JT/T 1179): the full code for
 * clearing, what the validator read from it, the verdict, the fare, and
 * where; record numbers from the same device counter.  A code is charged
 * at most once per device (the partial unique index), and a refused code
 * never charges anything. */
static const char migration_5[] =
	"INSERT INTO meta (key, value) VALUES"
	" ('schema_5', 'QR code records'),"
	" ('schema_5_applied_unix_s', strftime('%s', 'now'));"
	"CREATE TABLE qr ("
	" record_no INTEGER PRIMARY KEY CHECK (record_no > 0),"
	" device_id TEXT NOT NULL"
	"  CHECK (length(CAST(device_id AS BLOB)) BETWEEN 1 AND 32),"
	" verdict TEXT NOT NULL"
	"  CHECK (length(verdict) BETWEEN 1 AND 24 AND verdict NOT GLOB '*[^a-z-]*'),"
	" code BLOB NOT NULL"
	"  CHECK (typeof(code) = 'blob' AND length(code) BETWEEN 1 AND 512),"
	" code_sha256 BLOB NOT NULL"
	"  CHECK (typeof(code_sha256) = 'blob' AND length(code_sha256) = 32),"
	" version INTEGER NOT NULL CHECK (version BETWEEN 0 AND 255),"
	" ca_index INTEGER NOT NULL CHECK (ca_index BETWEEN 0 AND 255),"
	" issuer_id TEXT NOT NULL"
	"  CHECK (length(issuer_id) = 8 AND issuer_id NOT GLOB '*[^0-9A-F]*'),"
	" user_account TEXT NOT NULL"
	"  CHECK (length(user_account) = 20 AND user_account NOT GLOB '*[^0-9A-F]*'),"
	" payment_account TEXT NOT NULL"
	"  CHECK (length(payment_account) = 32 AND payment_account NOT GLOB '*[^0-9A-F]*'),"
	" institution TEXT NOT NULL"
	"  CHECK (length(institution) = 8 AND institution NOT GLOB '*[^0-9A-F]*'),"
	" platform TEXT NOT NULL"
	"  CHECK (length(platform) = 8 AND platform NOT GLOB '*[^0-9A-F]*'),"
	" account_type INTEGER NOT NULL CHECK (account_type BETWEEN 0 AND 255),"
	" single_limit_fen INTEGER NOT NULL CHECK (single_limit_fen BETWEEN 0 AND 16777215),"
	" generated_utc INTEGER NOT NULL CHECK (generated_utc BETWEEN 0 AND 4294967295),"
	" validity_s INTEGER NOT NULL CHECK (validity_s BETWEEN 0 AND 65535),"
	" card_type INTEGER NOT NULL CHECK (card_type BETWEEN 0 AND 255),"
	" nominal_fen INTEGER NOT NULL CHECK (nominal_fen BETWEEN 0 AND 100000000),"
	" amount_fen INTEGER NOT NULL CHECK (amount_fen BETWEEN 0 AND 100000000),"
	" discount_fen INTEGER NOT NULL CHECK (discount_fen BETWEEN 0 AND 100000000),"
	" txn_time TEXT NOT NULL"
	"  CHECK (length(txn_time) = 14 AND txn_time NOT GLOB '*[^0-9]*'),"
	" txn_unix_s INTEGER NOT NULL CHECK (typeof(txn_unix_s) = 'integer'),"
	" industry INTEGER NOT NULL CHECK (industry BETWEEN 0 AND 255),"
	" line TEXT NOT NULL CHECK (length(CAST(line AS BLOB)) <= 8),"
	" direction TEXT NOT NULL CHECK (length(CAST(direction AS BLOB)) <= 8),"
	" vehicle TEXT NOT NULL CHECK (length(CAST(vehicle AS BLOB)) <= 16),"
	" station TEXT NOT NULL CHECK (length(CAST(station AS BLOB)) <= 8),"
	" operator_code TEXT NOT NULL CHECK (length(CAST(operator_code AS BLOB)) <= 8),"
	" upload_state INTEGER NOT NULL CHECK (upload_state IN (0, 1, 2, 3)),"
	" upload_reason TEXT CHECK (upload_reason IS NULL"
	"  OR length(CAST(upload_reason AS BLOB)) <= 200),"
	" upload_ms INTEGER CHECK (upload_ms IS NULL OR upload_ms >= 0),"
	" created_ms INTEGER NOT NULL CHECK (created_ms >= 0),"
	" CHECK (verdict = 'ok' OR (amount_fen = 0 AND discount_fen = 0)),"
	" UNIQUE (device_id, record_no));"
	"CREATE UNIQUE INDEX qr_charged_code ON qr (code_sha256) WHERE verdict = 'ok';"
	"CREATE INDEX qr_upload_state ON qr (upload_state);"
	"CREATE INDEX qr_txn_unix_s ON qr (txn_unix_s);"
	"PRAGMA user_version = 5;";
/* clang-format on */

static const char *const migrations[] = {
	migration_1, migration_2, migration_3, migration_4, migration_5,
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_migrations_latest(void)
{
	return N_MIGRATIONS;
}

static void set_errbuf(char *errbuf, size_t errbuf_len, const char *msg)
{
	if (errbuf && errbuf_len)
		snprintf(errbuf, errbuf_len, "%s", msg);
}

/* First column of the first row of a one-off query (open time only). */
static int query_int(sqlite3 *db, const char *sql, int *ret, char *errbuf, size_t errbuf_len)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int(stmt, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_OK)
		return store_sqlite_error(db, rc, sql, errbuf, errbuf_len);
	return 0;
}

static int newer_schema(int have, char *errbuf, size_t errbuf_len)
{
	char msg[160];

	snprintf(msg, sizeof(msg),
		 "database schema %d is newer than this program's %d; upgrade ykt-validator", have,
		 N_MIGRATIONS);
	log_err("store", "%s", msg);
	set_errbuf(errbuf, errbuf_len, msg);
	return YKT_E_STORE_SCHEMA;
}

static int not_ours(char *errbuf, size_t errbuf_len)
{
	static const char msg[] = "database is not a ykt-validator record store";

	log_err("store", "%s", msg);
	set_errbuf(errbuf, errbuf_len, msg);
	return YKT_E_STORE_SCHEMA;
}

/* Version 0 means "never migrated": only an empty file may be taken over,
 * never somebody else's database that happens to lack a user_version. */
static int check_takeover(sqlite3 *db, int have, char *errbuf, size_t errbuf_len)
{
	int n = 0, r;

	if (have != 0)
		return 0;
	r = query_int(db, "SELECT count(*) FROM sqlite_master", &n, errbuf, errbuf_len);
	if (r < 0)
		return r;
	return n == 0 ? 0 : not_ours(errbuf, errbuf_len);
}

static int run_step(sqlite3 *db, int version, char *errbuf, size_t errbuf_len)
{
	char *msg = NULL;
	int have = -1, r;
	int rc = sqlite3_exec(db, migrations[version - 1], NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_err("store", "migration to schema %d failed: %s", version, msg ? msg : "?");
		sqlite3_free(msg);
		return store_sqlite_error(db, rc, "schema migration", errbuf, errbuf_len);
	}
	r = query_int(db, "PRAGMA user_version", &have, errbuf, errbuf_len);
	if (r == 0 && have != version) {
		/* a step that forgot its PRAGMA user_version: a programming error
		 * caught here rather than by re-running the step at next open */
		set_errbuf(errbuf, errbuf_len, "migration step did not set its schema version");
		r = YKT_E_STORE;
	}
	return r;
}

/* One step in its own write transaction.  The version is read again under
 * the write lock: the other process sharing the file may have migrated it
 * since we looked. */
static int migrate_step(sqlite3 *db, int version, char *errbuf, size_t errbuf_len)
{
	int have = -1, r, rc;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_error(db, rc, "begin migration", errbuf, errbuf_len);
	r = query_int(db, "PRAGMA user_version", &have, errbuf, errbuf_len);
	if (r == 0 && have > N_MIGRATIONS)
		r = newer_schema(have, errbuf, errbuf_len);
	if (r == 0)
		r = check_takeover(db, have, errbuf, errbuf_len);
	if (r == 0 && have < version)
		r = run_step(db, version, errbuf, errbuf_len);
	if (r == 0) {
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			r = store_sqlite_error(db, rc, "commit migration", errbuf, errbuf_len);
	}
	if (r < 0 && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (r == 0 && have < version)
		log_info("store", "database migrated to schema %d", version);
	return r;
}

int store_check_identity(sqlite3 *db, char *errbuf, size_t errbuf_len)
{
	int have = -1, app_id = 0, r;

	r = query_int(db, "PRAGMA user_version", &have, errbuf, errbuf_len);
	if (r < 0)
		return r;
	if (have > N_MIGRATIONS)
		return newer_schema(have, errbuf, errbuf_len);
	if (have == 0)
		return check_takeover(db, have, errbuf, errbuf_len);
	r = query_int(db, "PRAGMA application_id", &app_id, errbuf, errbuf_len);
	if (r == 0 && app_id != STORE_APPLICATION_ID)
		r = not_ours(errbuf, errbuf_len);
	return r;
}

int store_migrate(sqlite3 *db, char *errbuf, size_t errbuf_len)
{
	int have = -1, r;

	r = store_check_identity(db, errbuf, errbuf_len);
	if (r == 0)
		r = query_int(db, "PRAGMA user_version", &have, errbuf, errbuf_len);
	for (int v = have + 1; r == 0 && v <= N_MIGRATIONS; v++)
		r = migrate_step(db, v, errbuf, errbuf_len);
	return r;
}
