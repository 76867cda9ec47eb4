/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether a tap can be recorded: free space and record-count thresholds
 * (warn, refuse, recover when space returns), a disk that fills or fails
 * under a write (the failure is remembered until a probe write succeeds),
 * a damaged file left exactly as found, and the two lookups recovery uses
 * (grey by card, record by card and ATC) with the flag bits.
 */
#include "fault_vfs.h"
#include "store_private.h"
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024 * 1024)

struct fake_disk {
	uint64_t free_bytes;
	int err;
	int calls;
};

static int fake_free_space(const char *dir, uint64_t *ret, void *userdata)
{
	struct fake_disk *d = userdata;

	d->calls++;
	if (d->err)
		return d->err;
	*ret = d->free_bytes;
	return 0;
}

static int open_with(const char *dir, struct store_options *o, struct ykt_store **s)
{
	char path[512], err[256] = "";
	int r = store_open(test_db_path(dir, path), o, s, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "store_open: %d (%s)\n", r, err);
	return r;
}

static int add(struct ykt_store *s, unsigned n)
{
	struct ykt_purchase_record rec;
	int r;

	test_record(&rec, n);
	r = store_intent_add(s, &rec);
	return r < 0 ? r : (int)rec.record_no;
}

/* below warn: a warning; below min: refused; space back: served again */
static int free_space_thresholds(const char *dir)
{
	struct fake_disk disk = { .free_bytes = 100 * MIB };
	struct store_options o = { .min_free_bytes = 16 * MIB,
				   .warn_free_bytes = 64 * MIB,
				   .free_space = fake_free_space,
				   .free_space_data = &disk };
	struct ykt_store *s = NULL;
	struct store_health h;

	CHECK_INT(open_with(dir, &o, &s), 0);
	CHECK_INT(store_health(s, &h), 0);
	CHECK(!h.warn && h.reason[0] == '\0');
	CHECK_INT(h.free_bytes, 100 * MIB);

	disk.free_bytes = 40 * MIB;
	CHECK_INT(store_health(s, &h), 0);
	CHECK(h.warn && strstr(h.reason, "nearly full"));

	disk.free_bytes = 16 * MIB - 1;
	CHECK_INT(store_health(s, &h), YKT_E_STORE_FULL);
	CHECK(!h.warn && strstr(h.reason, "disk full"));
	CHECK_INT(store_check_can_record(s), YKT_E_STORE_FULL);

	disk.err = -EIO; /* the file system cannot even say */
	CHECK_INT(store_health(s, &h), YKT_E_STORE);
	CHECK(strstr(h.reason, "free space unknown"));

	disk.err = 0;
	disk.free_bytes = 16 * MIB;
	CHECK_INT(store_health(s, &h), 0);
	CHECK(h.warn);
	disk.free_bytes = 64 * MIB;
	CHECK_INT(store_health(s, &h), 0);
	CHECK(!h.warn);
	CHECK(disk.calls == 7);
	store_close(s);
	return 0;
}

/* the record count follows our inserts and another process's purge */
static int record_thresholds(const char *dir)
{
	struct store_options o = { .max_records = 4, .warn_records = 3 };
	struct ykt_store *s = NULL;
	struct store_health h;
	char path[512];

	test_db_path(dir, path);
	CHECK_INT(open_with(dir, &o, &s), 0);
	CHECK_INT(store_health(s, &h), 0);
	CHECK_INT(h.records, 0);
	for (unsigned n = 1; n <= 2; n++)
		CHECK_INT(add(s, n), (int)n);
	CHECK_INT(store_health(s, &h), 0);
	CHECK(!h.warn);
	CHECK_INT(h.records, 2);
	CHECK_INT(add(s, 3), 3);
	CHECK_INT(store_health(s, &h), 0);
	CHECK(h.warn && strstr(h.reason, "3 records"));
	CHECK_INT(add(s, 4), 4);
	CHECK_INT(store_health(s, &h), YKT_E_STORE_FULL);
	CHECK(strstr(h.reason, "4 records stored, limit 4"));

	/* ykt sync purges acknowledged records through its own connection */
	CHECK_INT(raw_exec(path, "DELETE FROM purchase WHERE record_no <= 2"), 0);
	CHECK_INT(store_health(s, &h), 0);
	CHECK_INT(h.records, 2);
	CHECK(!h.warn);
	/* numbers keep rising after the purge */
	CHECK_INT(add(s, 5), 5);
	store_close(s);
	return 0;
}

/* SQLite meets a full disk or an I/O error in the middle of an insert: the
 * insert leaves nothing, and no tap is taken until a write works again */
static int write_failure(const char *dir, enum fault_vfs_mode mode, int want_err,
			 const char *want_why)
{
	struct ykt_store *s = NULL;
	struct store_counts c;
	struct store_health h;
	long failures = fault_vfs_failures();

	CHECK_INT(open_with(dir, NULL, &s), 0);
	CHECK_INT(add(s, 1), 1);
	fault_vfs_set(mode);
	CHECK_INT(add(s, 2), want_err);
	CHECK(fault_vfs_failures() > failures);
	/* the failure sticks: the next check probes, and fails as well */
	CHECK_INT(store_health(s, &h), want_err);
	CHECK(strstr(h.reason, "writes fail") && strstr(h.reason, want_why));
	CHECK_INT(store_health(s, &h), want_err);
	fault_vfs_set(FAULT_VFS_OFF);
	CHECK_INT(store_health(s, &h), 0);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 1);
	/* the failed insert used no record number */
	CHECK_INT(add(s, 2), 2);
	store_close(s);
	return 0;
}

static int disk_full(const char *dir)
{
	return write_failure(dir, FAULT_VFS_FULL, YKT_E_STORE_FULL, "full");
}

static int io_error(const char *dir)
{
	return write_failure(dir, FAULT_VFS_IOERR, YKT_E_STORE, "I/O");
}

/* an I/O error on a state change sticks the same way */
static int io_error_on_update(const char *dir)
{
	struct ykt_store *s = NULL;
	struct ykt_purchase_record got;
	struct store_health h;

	CHECK_INT(open_with(dir, NULL, &s), 0);
	CHECK_INT(add(s, 1), 1);
	fault_vfs_set(FAULT_VFS_IOERR);
	CHECK_INT(store_purchase_grey(s, 1), YKT_E_STORE);
	CHECK_INT(store_health(s, &h), YKT_E_STORE);
	fault_vfs_set(FAULT_VFS_OFF);
	CHECK_INT(store_purchase_get(s, 1, &got), 0);
	CHECK_INT(got.state, STORE_INTENT);
	CHECK_INT(store_health(s, &h), 0);
	CHECK_INT(store_purchase_grey(s, 1), 0);
	store_close(s);
	return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0 || fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*ret_len = (size_t)read(fd, buf, (size_t)st.st_size);
	close(fd);
	*ret = buf;
	return *ret_len == (size_t)st.st_size ? 0 : -1;
}

static int copy_file(const char *from, const char *to)
{
	char *buf;
	size_t len;
	int fd, r = -1;

	if (read_file(from, &buf, &len) < 0)
		return -1;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, buf, len) == (ssize_t)len)
		r = 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

static int same_file(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	int same = read_file(a, &x, &nx) == 0 && read_file(b, &y, &ny) == 0 && nx == ny &&
		   memcmp(x, y, nx) == 0;

	free(x);
	free(y);
	return same;
}

/* The pages of the schema table (page 1 and whatever it spilled into):
 * a file damaged there is not even readable as a database, and the open
 * would fail before its integrity check. dbstat is in Debian's SQLite. */
static int schema_pages(struct ykt_store *s, bool *ret_page, size_t cap)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    store_db(s), "SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'", -1, &st, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 p = sqlite3_column_int64(st, 0);

		if (p > 0 && (size_t)p < cap)
			ret_page[p] = true;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A damaged file with a WAL beside it (an unclean shutdown): refused at
 * open, and the database and WAL are left byte for byte as found. */
static int corrupt_left_as_found(const char *dir)
{
	static const char junk[4096] = "not a b-tree page";
	struct ykt_store *s = NULL, *held = NULL;
	char path[512], wal[600], keep_db[600], keep_wal[600], err[256] = "";
	long long pages;
	bool schema[256] = { false };
	struct stat st;
	int fd;

	test_db_path(dir, path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(keep_db, sizeof(keep_db), "%s/copy.db", dir);
	snprintf(keep_wal, sizeof(keep_wal), "%s/copy.db-wal", dir);
	CHECK_INT(open_with(dir, NULL, &s), 0);
	for (unsigned n = 1; n <= 40; n++)
		CHECK(add(s, n) > 0);
	/* a second handle keeps the WAL from being checkpointed away at close */
	CHECK_INT(open_with(dir, NULL, &held), 0);
	sqlite3_db_config(store_db(held), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	CHECK_INT(sqlite3_exec(store_db(s), "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL), 0);
	CHECK_INT(add(s, 41), 41); /* one commit stays in the WAL */
	CHECK_INT(schema_pages(s, schema, sizeof(schema)), 0);
	store_close(held);
	sqlite3_db_config(store_db(s), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	store_close(s);
	CHECK(access(wal, F_OK) == 0);
	/* every page but the schema's: some of them are not in the WAL */
	CHECK(stat(path, &st) == 0);
	pages = (long long)st.st_size / 4096;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && pages >= 4 && pages < (long long)sizeof(schema));
	for (long long p = 2; p <= pages; p++)
		CHECK(schema[p] || pwrite(fd, junk, sizeof(junk), (off_t)(4096 * (p - 1))) ==
				       (ssize_t)sizeof(junk));
	close(fd);
	CHECK_INT(copy_file(path, keep_db), 0);
	CHECK_INT(copy_file(wal, keep_wal), 0);

	CHECK_INT(store_open(path, NULL, &s, err, sizeof(err)), YKT_E_STORE_CORRUPT);
	CHECK(strstr(err, "integrity"));
	CHECK(same_file(path, keep_db));
	CHECK(same_file(wal, keep_wal));
	return 0;
}

static int lookups_and_flags(const char *dir)
{
	struct ykt_store *s = test_open(dir);
	struct ykt_purchase_record rec, got;

	CHECK(s);
	test_record(&rec, 1);
	CHECK_INT(store_intent_add(s, &rec), 0);
	/* an intent found at run time counts as grey */
	CHECK_INT(store_purchase_find_grey(s, rec.card_serial, 0, &got), 0);
	CHECK_INT(got.record_no, rec.record_no);
	CHECK_INT(store_purchase_find_atc(s, rec.card_serial, rec.init_atc, &got), 0);
	CHECK_INT(got.record_no, rec.record_no);
	CHECK_INT(store_purchase_find_atc(s, rec.card_serial, rec.init_atc + 1, &got), -ENOENT);
	CHECK_INT(store_purchase_grey(s, rec.record_no), 0);
	CHECK_INT(store_purchase_find_grey(s, rec.card_serial, rec.txn_unix_s + 1, &got), -ENOENT);
	CHECK_INT(store_purchase_flag(s, rec.record_no, STORE_FLAG_GREY_UNPROVEN), 0);
	CHECK_INT(store_purchase_flag(s, rec.record_no, STORE_FLAG_GREY_UNPROVEN), 0);
	CHECK_INT(store_purchase_get(s, rec.record_no, &got), 0);
	CHECK_INT(got.flags, STORE_FLAG_GREY_UNPROVEN |
				 STORE_FLAG_WAS_GREY); /* the store marks every grey record */
	CHECK_INT(got.state, STORE_GREY);
	CHECK_INT(store_purchase_flag(s, 99, STORE_FLAG_GREY_UNPROVEN), -ENOENT);
	/* a void record no longer holds its card and ATC */
	CHECK_INT(store_purchase_void(s, rec.record_no), 0);
	CHECK_INT(store_purchase_find_atc(s, rec.card_serial, rec.init_atc, &got), -ENOENT);
	CHECK_INT(store_purchase_find_grey(s, rec.card_serial, 0, &got), -ENOENT);
	store_close(s);
	return 0;
}

int main(void)
{
	static const struct store_test tests[] = {
		{ "free_space_thresholds", free_space_thresholds },
		{ "record_thresholds", record_thresholds },
		{ "disk_full", disk_full },
		{ "io_error", io_error },
		{ "io_error_on_update", io_error_on_update },
		{ "corrupt_left_as_found", corrupt_left_as_found },
		{ "lookups_and_flags", lookups_and_flags },
	};

	if (fault_vfs_install() != SQLITE_OK) {
		fprintf(stderr, "cannot install the fault VFS\n");
		return 1;
	}
	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
