/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the store refuses and how it fails: malformed records, a database
 * from a newer version or from someone else, a corrupt file, a full disk,
 * a lock held too long by the other process. */
#include "store_private.h"
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bad_record {
	const char *what;
	void (*spoil)(struct ykt_purchase_record *r);
};

#define SPOIL(name, body)                                                                          \
	static void spoil_##name(struct ykt_purchase_record *r)                                    \
	{                                                                                          \
		body;                                                                              \
	}

SPOIL(serial_lower, r->card_serial[19] = 'a')
SPOIL(serial_short, r->card_serial[19] = '\0')
SPOIL(serial_nonhex, r->card_serial[0] = 'G')
SPOIL(serial_unterminated, memset(r->card_serial, '1', sizeof(r->card_serial)))
SPOIL(issuer_short, r->issuer_id[15] = '\0')
SPOIL(city_lower, r->card_city[2] = 'a')
SPOIL(psam_short, r->psam_terminal_no[11] = '\0')
SPOIL(psam_letter, r->psam_terminal_no[0] = 'A')
SPOIL(time_short, r->txn_time[13] = '\0')
SPOIL(time_month13, memcpy(r->txn_time + 4, "13", 2))
SPOIL(time_feb30, memcpy(r->txn_time + 4, "0230", 4))
SPOIL(time_mismatch, r->txn_unix_s += 1)
SPOIL(type_05, r->trans_type = 0x05)
SPOIL(amount_negative, r->amount_fen = -1)
SPOIL(amount_huge, r->amount_fen = 100000001)
SPOIL(nominal_negative, r->nominal_fen = -200)
SPOIL(discount_huge, r->discount_fen = 1LL << 40)
SPOIL(balance_negative, r->balance_before_fen = -1)
SPOIL(overdraft_huge, r->overdraft_limit_fen = 0x1000000)
SPOIL(device_empty, r->device_id[0] = '\0')
SPOIL(device_newline, r->device_id[2] = '\n')
SPOIL(device_unterminated, memset(r->device_id, 'D', sizeof(r->device_id)))
SPOIL(station_unterminated, memset(r->station, 'S', sizeof(r->station)))
SPOIL(line_control, r->line[0] = 0x7f)
SPOIL(capp_on_simple, r->has_capp_1e = true)
SPOIL(trip_on_simple, r->has_capp_1a = true; r->capp_1a[0] = 0x27)
SPOIL(trip_not_27, r->trans_type = 0x09; r->has_capp_1a = true; r->capp_1a[0] = 0x28)
SPOIL(created_negative, r->created_ms = -1)

static const struct bad_record bad_records[] = {
	{ "card serial lower case", spoil_serial_lower },
	{ "card serial 19 digits", spoil_serial_short },
	{ "card serial not hex", spoil_serial_nonhex },
	{ "card serial unterminated", spoil_serial_unterminated },
	{ "issuer 15 digits", spoil_issuer_short },
	{ "city in lower case", spoil_city_lower },
	{ "PSAM number 11 digits", spoil_psam_short },
	{ "PSAM number with a letter", spoil_psam_letter },
	{ "time 13 digits", spoil_time_short },
	{ "month 13", spoil_time_month13 },
	{ "30 February", spoil_time_feb30 },
	{ "unix time not txn_time", spoil_time_mismatch },
	{ "transaction type 05", spoil_type_05 },
	{ "negative amount", spoil_amount_negative },
	{ "amount over the bound", spoil_amount_huge },
	{ "negative nominal", spoil_nominal_negative },
	{ "huge discount", spoil_discount_huge },
	{ "negative balance", spoil_balance_negative },
	{ "overdraft over 3 bytes", spoil_overdraft_huge },
	{ "empty device id", spoil_device_empty },
	{ "newline in device id", spoil_device_newline },
	{ "device id unterminated", spoil_device_unterminated },
	{ "station unterminated", spoil_station_unterminated },
	{ "DEL in line", spoil_line_control },
	{ "0x1E record on a simple purchase", spoil_capp_on_simple },
	{ "0x1A record on a simple purchase", spoil_trip_on_simple },
	{ "0x1A record that is not 27xx", spoil_trip_not_27 },
	{ "negative created_ms", spoil_created_negative },
};

static int invalid_records(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;
	struct store_counts c;

	CHECK(s);
	for (size_t i = 0; i < sizeof(bad_records) / sizeof(bad_records[0]); i++) {
		test_record(&rec, 1);
		rec.record_no = -3;
		bad_records[i].spoil(&rec);
		if (store_intent_add(s, &rec) != -EINVAL) {
			fprintf(stderr, "accepted: %s\n", bad_records[i].what);
			return 1;
		}
		CHECK_INT(rec.record_no, -3);
	}
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 0);
	/* nothing was written, not even a record number */
	test_record(&rec, 1);
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(rec.record_no, 1);
	store_close(s);
	return 0;
}

static int make_store(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;

	CHECK(s);
	for (unsigned n = 1; n <= 60; n++) {
		test_record(&rec, n);
		CHECK_INT(store_intent_add(s, &rec), 0);
	}
	store_close(s);
	return 0;
}

static int newer_schema(const char *dir)
{
	struct ykt_store *sentinel = (struct ykt_store *)&sentinel, *s = sentinel;
	char path[512], err[256], want[128];

	CHECK_INT(make_store(dir), 0);
	test_db_path(dir, path);
	CHECK_INT(raw_exec(path, "PRAGMA user_version = 99"), 0);
	CHECK_INT(store_open(path, NULL, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	snprintf(want, sizeof(want),
		 "database schema 99 is newer than this program's %d; upgrade ykt-validator",
		 store_schema_version());
	CHECK_STR(err, want);
	CHECK(s == sentinel);
	/* the newer database is left exactly as it was */
	CHECK_INT(raw_int(path, "PRAGMA user_version"), 99);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM purchase"), 60);
	return 0;
}

static int foreign_database(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[512], err[256];

	test_db_path(dir, path);
	CHECK_INT(raw_exec(path, "CREATE TABLE photos (name TEXT)"), 0);
	CHECK_INT(store_open(path, NULL, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	CHECK(strstr(err, "not a ykt-validator record store") != NULL);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'purchase'"), 0);
	/* not even switched to WAL: someone else's file is left as found */
	CHECK_INT(raw_text(path, "PRAGMA journal_mode", err, sizeof(err)), 0);
	CHECK_STR(err, "delete");

	/* same schema version, wrong application id */
	CHECK_INT(raw_exec(path, "DROP TABLE photos"), 0);
	CHECK_INT(make_store(dir), 0);
	CHECK_INT(raw_exec(path, "PRAGMA application_id = 7"), 0);
	CHECK_INT(store_open(path, NULL, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	CHECK(s == NULL);
	return 0;
}

static void garbage(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static int write_at(const char *path, off_t offset, const void *p, size_t n, int trunc)
{
	int fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = pwrite(fd, p, n, offset);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static int expect_corrupt(const char *path)
{
	struct ykt_store *s = NULL;
	char err[256] = "";
	int r = store_open(path, NULL, &s, err, sizeof(err));

	if (r != YKT_E_STORE_CORRUPT)
		fprintf(stderr, "store_open gave %d (%s)\n", r, err);
	CHECK_INT(r, YKT_E_STORE_CORRUPT);
	CHECK(s == NULL);
	CHECK(err[0] != '\0');
	return 0;
}

static int corrupt_garbage(const char *dir)
{
	static uint8_t junk[16384];
	char path[512];

	test_db_path(dir, path);
	garbage(junk, sizeof(junk), 1);
	CHECK_INT(write_at(path, 0, junk, sizeof(junk), 1), 0);
	CHECK_INT(expect_corrupt(path), 0);

	/* a real header on top of garbage */
	memcpy(junk, "SQLite format 3", 16);
	CHECK_INT(write_at(path, 0, junk, sizeof(junk), 1), 0);
	CHECK_INT(expect_corrupt(path), 0);
	return 0;
}

/* A good file whose table pages were overwritten: quick_check's case. */
static int corrupt_pages(const char *dir)
{
	static uint8_t junk[4096];
	char path[512];
	long long pages, page_size;

	CHECK_INT(make_store(dir), 0);
	test_db_path(dir, path);
	page_size = raw_int(path, "PRAGMA page_size");
	pages = raw_int(path, "PRAGMA page_count");
	CHECK(page_size == 4096 && pages >= 4);
	for (long long p = 2; p <= pages; p++) {
		garbage(junk, sizeof(junk), (uint32_t)p);
		CHECK_INT(write_at(path, (off_t)((p - 1) * page_size), junk, sizeof(junk), 0), 0);
	}
	CHECK_INT(expect_corrupt(path), 0);
	return 0;
}

static int count_cb(const struct ykt_purchase_record *rec, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

/* A row altered behind the store's back (CHECKs switched off) must come
 * back as an error, never as a truncated or wrapped value. */
static int tampered_row(const char *dir)
{
	static const char *const tamper[] = {
		"UPDATE purchase SET card_type = 300",
		"UPDATE purchase SET device_id = printf('%.40c', 'D')",
		"UPDATE purchase SET psam_serial = 4294967296",
		"UPDATE purchase SET tac = x'0102', mac2 = x'0102'",
		"UPDATE purchase SET line = CAST(x'41004100' AS TEXT)",
		"UPDATE purchase SET amount_fen = 'lots'",
	};
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec, got;
	char path[512], sql[256];
	int calls = 0;

	CHECK(s);
	test_db_path(dir, path);
	test_record(&rec, 1);
	CHECK_INT(store_intent_add(s, &rec), 0);
	for (size_t i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		snprintf(sql, sizeof(sql), "PRAGMA ignore_check_constraints = ON; %s", tamper[i]);
		CHECK_INT(raw_exec(path, sql), 0);
		if (store_purchase_get(s, rec.record_no, &got) != YKT_E_STORE_CORRUPT) {
			fprintf(stderr, "accepted after: %s\n", tamper[i]);
			return 1;
		}
		CHECK_INT(store_purchase_foreach(s, count_cb, &calls), YKT_E_STORE_CORRUPT);
		CHECK_INT(calls, 0);
		/* put the good row back for the next round */
		CHECK_INT(raw_exec(path, "DELETE FROM purchase"), 0);
		test_record(&rec, (unsigned)i + 2);
		CHECK_INT(store_intent_add(s, &rec), 0);
	}
	store_close(s);
	return 0;
}

static int free_space(const char *dir)
{
	struct store_options opts = { .min_free_bytes = UINT64_MAX };
	struct ykt_store *s = NULL;
	char path[512];

	test_db_path(dir, path);
	CHECK_INT(store_open(path, &opts, &s, NULL, 0), 0);
	CHECK_INT(store_check_can_record(s), YKT_E_STORE_FULL);
	store_close(s);
	opts.min_free_bytes = 4096;
	CHECK_INT(store_open(path, &opts, &s, NULL, 0), 0);
	CHECK_INT(store_check_can_record(s), 0);
	store_close(s);
	return 0;
}

/* SQLite itself runs out of room (here: a page limit) in the middle of an
 * insert: YKT_E_STORE_FULL, and the failed insert left nothing behind. */
static int sqlite_full(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;
	struct store_counts c;
	unsigned n;
	int r = 0;

	CHECK(s);
	CHECK_INT(sqlite3_exec(store_db(s), "PRAGMA max_page_count = 12", NULL, NULL, NULL), 0);
	for (n = 1; n < 10000 && r == 0; n++) {
		test_record(&rec, n);
		r = store_intent_add(s, &rec);
	}
	CHECK_INT(r, YKT_E_STORE_FULL);
	CHECK(n - 2 >= 1); /* some fitted before the limit */
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, n - 2);
	CHECK_INT(sqlite3_exec(store_db(s), "PRAGMA max_page_count = 100000", NULL, NULL, NULL), 0);
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(rec.record_no, n - 1); /* the failed attempt used no number */
	store_close(s);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `ykt sync` holding the write lock must cost a tap the busy timeout, not
 * hang it; and nothing half-written may remain. */
static int lock_held(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec;
	sqlite3 *other = NULL;
	char path[512];
	int64_t t0, waited;

	CHECK(s);
	test_db_path(dir, path);
	CHECK_INT(sqlite3_open(path, &other), SQLITE_OK);
	CHECK_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	test_record(&rec, 1);
	t0 = mono_ms();
	CHECK_INT(store_intent_add(s, &rec), YKT_E_STORE);
	waited = mono_ms() - t0;
	CHECK(waited >= 40 && waited < 1000);
	CHECK_INT(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	CHECK_INT(store_check_can_record(s), 0);
	CHECK_INT(store_intent_add(s, &rec), 0);
	CHECK_INT(rec.record_no, 1);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "invalid_records", invalid_records },
		{ "newer_schema", newer_schema },
		{ "foreign_database", foreign_database },
		{ "corrupt_garbage", corrupt_garbage },
		{ "corrupt_pages", corrupt_pages },
		{ "tampered_row", tampered_row },
		{ "free_space", free_space },
		{ "sqlite_full", sqlite_full },
		{ "lock_held", lock_held },
	};

	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
