/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening the store: creation, reopening, the pragmas that make it durable,
 * two handles on one file (the reader loop and `ykt sync`). */
#include "store_private.h"
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int create_and_reopen(const char *dir)
{
	struct ykt_purchase_record a, b, got;
	struct store_counts c;
	struct ykt_store *s = test_open(dir);
	char path[512];

	CHECK(s);
	test_record(&a, 1);
	test_record(&b, 2);
	CHECK_INT(store_intent_add(s, &a), 0);
	CHECK_INT(store_intent_add(s, &b), 0);
	store_close(s);

	s = test_open(dir);
	CHECK(s);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 2);
	CHECK_INT(store_purchase_get(s, a.record_no, &got), 0);
	CHECK(test_record_equal(&got, &a));
	CHECK_INT(store_purchase_get(s, b.record_no, &got), 0);
	CHECK(test_record_equal(&got, &b));
	store_close(s);

	test_db_path(dir, path);
	CHECK_INT(store_schema_version(), 5);
	CHECK_INT(raw_int(path, "PRAGMA user_version"), store_schema_version());
	/* the migration ran once, not at every open */
	CHECK_INT(raw_int(path, "SELECT count(*) FROM meta WHERE key = 'schema_1'"), 1);
	return 0;
}

static long long pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static int pragmas_set(const char *dir)
{
	struct store_options opts = { .busy_timeout_ms = 0 };
	struct ykt_store *s = test_open(dir);
	char path[512], mode[32];

	CHECK(s);
	/* synchronous, foreign_keys and busy_timeout belong to the connection:
	 * ask the store's own one */
	CHECK_INT(pragma_int(store_db(s), "PRAGMA synchronous"), 2); /* FULL */
	CHECK_INT(pragma_int(store_db(s), "PRAGMA foreign_keys"), 1);
	CHECK_INT(pragma_int(store_db(s), "PRAGMA busy_timeout"), 50);
	CHECK_INT(pragma_int(store_db(s), "PRAGMA journal_size_limit"), 4194304);
	store_close(s);

	/* WAL is a property of the file: a fresh connection sees it too */
	test_db_path(dir, path);
	CHECK_INT(raw_text(path, "PRAGMA journal_mode", mode, sizeof(mode)), 0);
	CHECK_STR(mode, "wal");
	CHECK_INT(raw_int(path, "PRAGMA application_id"), 0x594b5431);

	opts.busy_timeout_ms = 200;
	CHECK_INT(store_open(path, &opts, &s, NULL, 0), 0);
	CHECK_INT(pragma_int(store_db(s), "PRAGMA busy_timeout"), 200);
	store_close(s);
	return 0;
}

static int bad_arguments(const char *dir)
{
	struct store_options opts = { .busy_timeout_ms = -1 };
	struct ykt_store *sentinel = (struct ykt_store *)&opts, *s = sentinel;
	char path[512], err[128];

	store_close(NULL); /* must be harmless */
	CHECK_INT(store_open(NULL, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK(err[0] != '\0');
	CHECK(s == sentinel); /* ret_* untouched on failure */
	test_db_path(dir, path);
	CHECK_INT(store_open(path, NULL, NULL, NULL, 0), -EINVAL);
	CHECK_INT(store_open(path, &opts, &s, NULL, 0), -EINVAL);
	CHECK(s == sentinel);

	CHECK_INT(store_intent_add(NULL, NULL), -EINVAL);
	CHECK_INT(store_check_can_record(NULL), -EINVAL);
	CHECK_INT(store_count(NULL, NULL), -EINVAL);
	return 0;
}

static int missing_directory(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[600], err[256];
	int r;

	snprintf(path, sizeof(path), "%s/no/such/dir/store.db", dir);
	r = store_open(path, NULL, &s, err, sizeof(err));
	CHECK_INT(r, YKT_E_STORE);
	CHECK(s == NULL);
	CHECK(strstr(err, "open") != NULL);
	return 0;
}

/* The reader loop and `ykt sync` each hold a handle on the same file. */
static int two_handles(const char *dir)
{
	struct ykt_store *reader = test_open(dir), *sync = test_open(dir);
	struct ykt_purchase_record a, got;
	struct store_counts c;

	CHECK(reader && sync);
	test_record(&a, 1);
	CHECK_INT(store_intent_add(reader, &a), 0);
	CHECK_INT(store_purchase_get(sync, a.record_no, &got), 0);
	CHECK(test_record_equal(&got, &a));
	test_record(&a, 2);
	CHECK_INT(store_intent_add(sync, &a), 0);
	CHECK_INT(a.record_no, 2);
	CHECK_INT(store_count(reader, &c), 0);
	CHECK_INT(c.total, 2);
	store_close(sync);
	store_close(reader);
	return 0;
}

/* A database from before the parameter index (schema 2: no
 * param_version, no 0x1A column, no QR records) is migrated at open, step
 * by step, and keeps its records. */
static int before_params(const char *dir)
{
	struct ykt_purchase_record a, got;
	struct ykt_store *s = test_open(dir);
	int latest = store_schema_version();
	char path[512], sql[256];

	CHECK(s);
	test_record(&a, 1);
	CHECK_INT(store_intent_add(s, &a), 0);
	store_close(s);
	test_db_path(dir, path);
	/* what schema 2 looked like */
	CHECK_INT(raw_exec(path,
			   "DROP TABLE param_version; ALTER TABLE purchase DROP COLUMN capp_1a;"
			   " DROP TABLE qr; DELETE FROM meta WHERE key LIKE 'schema_3%'"
			   " OR key LIKE 'schema_4%' OR key LIKE 'schema_5%';"
			   " PRAGMA user_version = 2"),
		  0);
	s = test_open(dir);
	CHECK(s);
	CHECK_INT(raw_int(path, "PRAGMA user_version"), latest);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM param_version"), 0);
	for (int v = 3; v <= latest; v++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM meta WHERE key = 'schema_%d'", v);
		CHECK_INT(raw_int(path, sql), 1);
	}
	CHECK_INT(raw_int(path, "SELECT count(*) FROM purchase WHERE capp_1a IS NULL"), 1);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM qr"), 0);
	CHECK_INT(store_purchase_get(s, a.record_no, &got), 0);
	CHECK(test_record_equal(&got, &a));
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "create_and_reopen", create_and_reopen },
		{ "pragmas_set", pragmas_set },
		{ "bad_arguments", bad_arguments },
		{ "missing_directory", missing_directory },
		{ "two_handles", two_handles },
		{ "before_params", before_params },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
