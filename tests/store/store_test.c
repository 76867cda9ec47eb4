/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "store_test.h"

#include "bytes.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 2026-11-21 07:30:00 CST */
#define TEST_BASE_UNIX_S 1795217400LL

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int run_one(const struct store_test *t)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	int r;

	snprintf(dir, sizeof(dir), "%s/ykt-store-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = t->fn(dir);
	if (r == 0) {
		fprintf(stderr, "ok   %s\n", t->name);
		remove_tree(dir);
	} else {
		fprintf(stderr, "FAIL %s (files kept in %s)\n", t->name, dir);
	}
	return r;
}

int store_test_main(const struct store_test *tests, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		if (run_one(&tests[i]))
			failed++;
	if (failed)
		fprintf(stderr, "%d of %zu cases failed\n", failed, n);
	return failed ? 1 : 0;
}

const char *test_db_path(const char *dir, char out[512])
{
	snprintf(out, 512, "%s/store.db", dir);
	return out;
}

struct ykt_store *test_open(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[512], err[256];
	int r = store_open(test_db_path(dir, path), NULL, &s, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "store_open %s: %d (%s)\n", path, r, err);
		return NULL;
	}
	return s;
}

void test_record(struct ykt_purchase_record *rec, unsigned n)
{
	struct ykt_cst t;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->device_id, sizeof(rec->device_id), "BUS-0815-V1");
	snprintf(rec->card_serial, sizeof(rec->card_serial), "3104%016u", n);
	snprintf(rec->issuer_id, sizeof(rec->issuer_id), "0000310400000000");
	snprintf(rec->card_city, sizeof(rec->card_city), "3100");
	rec->card_type = 0x01;
	rec->init_atc = (uint16_t)(100 + n);
	rec->balance_before_fen = 5000;
	rec->balance_after_fen = -1;
	rec->overdraft_limit_fen = 0;
	rec->key_version = 0x01;
	rec->key_index = 0x01;
	rec->algorithm_id = 0x00;
	rec->trans_type = 0x06;
	rec->amount_fen = 200;
	rec->nominal_fen = 200;
	snprintf(rec->psam_terminal_no, sizeof(rec->psam_terminal_no), "310400000815");
	rec->psam_serial = 7000 + n;
	rec->txn_unix_s = TEST_BASE_UNIX_S + n * 60;
	ykt_cst_from_unix(rec->txn_unix_s, &t);
	snprintf(rec->txn_time, sizeof(rec->txn_time), "%04d%02d%02d%02d%02d%02d", t.year, t.month,
		 t.day, t.hour, t.minute, t.second);
	rec->industry = 0x02;
	snprintf(rec->line, sizeof(rec->line), "71");
	snprintf(rec->direction, sizeof(rec->direction), "up");
	snprintf(rec->vehicle, sizeof(rec->vehicle), "B-12345");
	snprintf(rec->station, sizeof(rec->station), "0012");
	snprintf(rec->operator_code, sizeof(rec->operator_code), "BS01");
	rec->created_ms = rec->txn_unix_s * 1000 + 250;
}

#define SAME_INT(f)                                                                                \
	do {                                                                                       \
		if (a->f != b->f) {                                                                \
			fprintf(stderr, "field %s: %lld != %lld\n", #f, (long long)a->f,           \
				(long long)b->f);                                                  \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)
#define SAME_STR(f)                                                                                \
	do {                                                                                       \
		if (strcmp(a->f, b->f) != 0) {                                                     \
			fprintf(stderr, "field %s: \"%s\" != \"%s\"\n", #f, a->f, b->f);           \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)
#define SAME_BYTES(f)                                                                              \
	do {                                                                                       \
		if (memcmp(a->f, b->f, sizeof(a->f)) != 0) {                                       \
			fprintf(stderr, "field %s differs\n", #f);                                 \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)

static int same_card(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b)
{
	SAME_INT(record_no);
	SAME_STR(device_id);
	SAME_INT(state);
	SAME_INT(upload_state);
	SAME_INT(mac2_status);
	SAME_INT(flags);
	SAME_STR(card_serial);
	SAME_STR(issuer_id);
	SAME_STR(card_city);
	SAME_INT(card_type);
	SAME_INT(init_atc);
	SAME_INT(balance_before_fen);
	SAME_INT(balance_after_fen);
	SAME_INT(overdraft_limit_fen);
	SAME_INT(key_version);
	SAME_INT(key_index);
	SAME_INT(algorithm_id);
	return 1;
}

static int same_txn(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b)
{
	SAME_INT(trans_type);
	SAME_INT(amount_fen);
	SAME_INT(nominal_fen);
	SAME_INT(discount_fen);
	SAME_STR(psam_terminal_no);
	SAME_INT(psam_serial);
	SAME_STR(txn_time);
	SAME_INT(txn_unix_s);
	SAME_INT(has_tac);
	SAME_BYTES(tac);
	SAME_BYTES(mac2);
	SAME_INT(industry);
	SAME_STR(line);
	SAME_STR(direction);
	SAME_STR(vehicle);
	SAME_STR(station);
	SAME_STR(operator_code);
	SAME_INT(has_capp_1e);
	SAME_BYTES(capp_1e);
	SAME_INT(has_capp_1a);
	SAME_BYTES(capp_1a);
	SAME_INT(created_ms);
	return 1;
}

int test_record_equal(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b)
{
	return same_card(a, b) && same_txn(a, b);
}

int raw_exec(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "raw_exec %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int raw_query(const char *db_path, const char *sql, long long *ret_int, char *out,
		     size_t out_cap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && ret_int)
		*ret_int = sqlite3_column_int64(stmt, 0);
	if (rc == SQLITE_ROW && out)
		snprintf(out, out_cap, "%s",
			 sqlite3_column_text(stmt, 0) ? (const char *)sqlite3_column_text(stmt, 0)
						      : "(null)");
	if (rc != SQLITE_ROW)
		fprintf(stderr, "raw query %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return rc == SQLITE_ROW ? 0 : -1;
}

long long raw_int(const char *db_path, const char *sql)
{
	long long v = -1;

	if (raw_query(db_path, sql, &v, NULL, 0) < 0)
		return -1;
	return v;
}

int raw_text(const char *db_path, const char *sql, char *out, size_t out_cap)
{
	return raw_query(db_path, sql, NULL, out, out_cap);
}
