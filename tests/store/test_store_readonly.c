/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The read-only open the operator commands use: nothing is created,
 * migrated or written, whatever the file is. */
#include "store_private.h"
#include "store_test.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *schema1_fixture;

static const struct store_options ro = { .read_only = true };

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int r = 0;

	if (!in || !out)
		r = -1;
	while (r == 0 && in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			r = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		r = -1;
	return r;
}

static int missing_file_not_created(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[512], err[256];

	test_db_path(dir, path);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof(err)), -ENOENT);
	CHECK(s == NULL);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	return 0;
}

static int reads_and_refuses_writes(const char *dir)
{
	struct ykt_purchase_record a, b, got;
	struct store_counts c;
	struct ykt_store *s = test_open(dir);
	char path[512];
	int version = 0;

	CHECK(s);
	test_record(&a, 1);
	CHECK_INT(store_intent_add(s, &a), 0);
	store_close(s);
	test_db_path(dir, path);
	CHECK_INT(store_open(path, &ro, &s, NULL, 0), 0);
	CHECK_INT(store_count(s, &c), 0);
	CHECK_INT(c.total, 1);
	CHECK_INT(store_purchase_get(s, a.record_no, &got), 0);
	CHECK(test_record_equal(&got, &a));
	CHECK_INT(store_file_schema(s, &version), 0);
	CHECK_INT(version, store_schema_version());
	CHECK_INT(store_check_integrity(s, NULL, 0), 0);
	test_record(&b, 2);
	CHECK(store_intent_add(s, &b) < 0);
	CHECK(store_purchase_grey(s, a.record_no) < 0);
	store_close(s);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM purchase"), 1);
	CHECK_INT(raw_int(path, "SELECT state FROM purchase"), STORE_INTENT);
	return 0;
}

/* The validator migrates at start; a command only says so. */
static int older_schema_left_alone(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[512], err[256] = "";

	CHECK(schema1_fixture);
	test_db_path(dir, path);
	CHECK_INT(copy_file(schema1_fixture, path), 0);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	CHECK(strstr(err, "older") != NULL);
	CHECK_INT(raw_int(path, "PRAGMA user_version"), 1);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'event'"), 0);
	return 0;
}

static int empty_and_foreign_files(const char *dir)
{
	struct ykt_store *s = NULL;
	char path[512], err[256] = "";
	FILE *f;

	test_db_path(dir, path);
	f = fopen(path, "w");
	CHECK(f);
	fclose(f);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	CHECK(strstr(err, "empty") != NULL);
	CHECK_INT(raw_exec(path, "CREATE TABLE other (x)"), 0);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof(err)), YKT_E_STORE_SCHEMA);
	CHECK(strstr(err, "not a ykt-validator") != NULL);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct store_test tests[] = {
		{ "missing_file_not_created", missing_file_not_created },
		{ "reads_and_refuses_writes", reads_and_refuses_writes },
		{ "older_schema_left_alone", older_schema_left_alone },
		{ "empty_and_foreign_files", empty_and_foreign_files },
	};

	schema1_fixture = argc > 1 ? argv[1] : NULL;
	return store_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
