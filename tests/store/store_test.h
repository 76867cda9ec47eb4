/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small harness shared by the store tests: every test case runs in its own
 * mkdtemp() directory (kept, and named on stderr, when the case fails), a
 * sample record generator, and raw SQLite access for tampering with the
 * file behind the store's back.
 */
#ifndef YKT_STORE_TEST_H
#define YKT_STORE_TEST_H

#include "store.h"

#include <stdint.h>
#include <stdio.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_) {                                                               \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__,  \
				#got, got_, want_);                                                \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *got_ = (got), *want_ = (want);                                         \
		if (strcmp(got_, want_) != 0) {                                                    \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,        \
				__LINE__, #got, got_, want_);                                      \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

struct store_test {
	const char *name;
	int (*fn)(const char *dir); /* 0 pass, 1 fail; dir is its own, empty */
};

/* Run every case; the program's exit status (0 all passed, 1 otherwise). */
int store_test_main(const struct store_test *tests, size_t n);

/* dir + "/store.db" into out (capacity 512). */
const char *test_db_path(const char *dir, char out[512]);

/* Open (creating) the store in dir with default options. NULL on failure
 * (the reason is printed). */
struct ykt_store *test_open(const char *dir);

/* A valid intent; n varies every unique key (card serial, INIT ATC, PSAM
 * serial) and the time, so records made with different n never collide. */
void test_record(struct ykt_purchase_record *rec, unsigned n);

/* Field by field comparison; prints the first difference. */
int test_record_equal(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b);

/* Raw SQLite on the file, through a connection of its own. */
int raw_exec(const char *db_path, const char *sql);
/* First column of the first row as integer; -1 (and a message) on error. */
long long raw_int(const char *db_path, const char *sql);
/* First column of the first row as text into out. 0 or -1. */
int raw_text(const char *db_path, const char *sql, char *out, size_t out_cap);

#endif
