/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ykt sync` against each fault of the reference platform, one at a time:
 * whatever the platform does to a batch, every record ends accepted exactly
 * once at the platform (its accepted_count is 1) and acknowledged in the
 * store; where the platform had stored the batch before failing, the
 * records come back as duplicates, never as a second acceptance.  A
 * platform that keeps failing, or asks to wait longer than the uplink may,
 * leaves the records pending and says so in the exit status.
 *
 * Usage: test-uplink-faults YKT MAKE_CERTS KEYS
 */
#include "uplink_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_RECORDS 300
#define BATCH	  100

static int g_argc;
static char **g_argv;

static void setup(struct env *e, const struct platform_options *o, const char *extra, int batch)
{
	struct gen g = { .first = 0, .n = N_RECORDS, .grey_every = 29, .fast = true };
	struct ykt_store *s;

	env_init(e, g_argc, g_argv);
	env_platform(e, o, false);
	snprintf(e->uplink_extra, sizeof(e->uplink_extra), "batch_records = %d\n%s", batch,
		 extra ? extra : "");
	s = env_store(e);
	CHECK(gen_records(e, s, &g) == 0, "records could not be made");
	store_close(s);
}

/* Every record at the platform once, TACs verified, the store agreeing. */
static void check_once(struct env *e, long long want_duplicates)
{
	struct env_counts c;

	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase"), N_RECORDS);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase WHERE accepted_count <> 1"),
		  0);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase WHERE state = 'complete'"
					 " AND tac_verified IS NOT 1"),
		  0);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM rejected"), 0);
	env_counts(e, &c);
	CHECK_INT(c.pending, 0);
	CHECK_INT(c.rejected, 0);
	CHECK_INT(c.accepted + c.duplicate, N_RECORDS);
	if (want_duplicates >= 0)
		CHECK_INT(c.duplicate, want_duplicates);
}

static void one_fault(enum platform_fault f, const struct platform_options *o, const char *extra,
		      long long want_duplicates, const char *want_retries)
{
	struct platform_stats st;
	struct env e;
	char out[4096];
	int rc;

	printf("== fault %s\n", platform_fault_name(f));
	setup(&e, o, extra, BATCH);
	platform_fault_next(e.platform, f, 1);
	rc = env_sync(&e, out, sizeof(out), NULL);
	CHECK_INT(rc, 0);
	CHECK(strstr(out, "remaining 0;") != NULL, "%s: summary: %s", platform_fault_name(f), out);
	CHECK(strstr(out, want_retries) != NULL, "%s: expected '%s': %s", platform_fault_name(f),
	      want_retries, out);
	platform_stats(e.platform, &st);
	CHECK_INT(st.faults[f], 1);
	check_once(&e, want_duplicates);
	env_done(&e);
}

/* Faults before the platform read the batch: nothing is duplicated.
 * Faults after it stored the batch: the first batch (BATCH records), or
 * the unanswered half of it, comes back as duplicates. */
static void every_fault(void)
{
	struct platform_options slow = { .slow_ms = 1500 }, rest = { .retry_after_s = 1 };

	one_fault(PLATFORM_FAULT_503, NULL, NULL, 0, " 1 retries");
	one_fault(PLATFORM_FAULT_429, &rest, NULL, 0, " 1 retries");
	one_fault(PLATFORM_FAULT_DROP_REQUEST, NULL, NULL, 0, " 1 retries");
	one_fault(PLATFORM_FAULT_500_AFTER, NULL, NULL, BATCH, " 1 retries");
	one_fault(PLATFORM_FAULT_DROP_RESPONSE, NULL, NULL, BATCH, " 1 retries");
	one_fault(PLATFORM_FAULT_MALFORMED, NULL, NULL, BATCH, " 1 retries");
	/* an answer, only incomplete: the rest goes in the next sweep */
	one_fault(PLATFORM_FAULT_PARTIAL, NULL, NULL, BATCH / 2, " 0 retries");
	/* slower than the uplink waits: it gives up, the platform has it */
	one_fault(PLATFORM_FAULT_SLOW, &slow, "timeout_s = 1\n", BATCH, " 1 retries");
}

/* Slow, but within the time-out: simply answered. */
static void slow_within_timeout(void)
{
	struct platform_options o = { .slow_ms = 300 };
	struct env e;
	char out[4096];

	printf("== slow within the time-out\n");
	setup(&e, &o, NULL, BATCH);
	platform_fault_every(e.platform, PLATFORM_FAULT_SLOW, 1, 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, " 0 retries") != NULL, "no retry expected: %s", out);
	check_once(&e, 0);
	env_done(&e);
}

/* A platform that answers 503 to everything: after [uplink] attempts the
 * pass stops, the records stay pending, exit status 4. */
static void keeps_failing(void)
{
	struct platform_stats st;
	struct env_counts c;
	struct env e;
	char out[4096];

	printf("== platform keeps failing\n");
	setup(&e, NULL, "attempts = 3\n", BATCH);
	platform_fault_every(e.platform, PLATFORM_FAULT_503, 1, 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 4);
	CHECK(strstr(out, "remaining 300;") != NULL, "summary: %s", out);
	CHECK(strstr(out, "stopped: records: HTTP 503") != NULL, "reason: %s", out);
	platform_stats(e.platform, &st);
	CHECK_INT(st.faults[PLATFORM_FAULT_503], 3);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 0);
	env_counts(&e, &c);
	CHECK_INT(c.pending, N_RECORDS);
	/* it comes back: the next pass delivers */
	platform_fault_every(e.platform, PLATFORM_FAULT_503, 0, 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	check_once(&e, 0);
	env_done(&e);
}

/* 429 asking for longer than backoff_max_s: the pass ends, exit 4, and
 * nothing was processed. */
static void busy_for_long(void)
{
	struct platform_options o = { .retry_after_s = 30 };
	struct env_counts c;
	struct env e;
	char out[4096];

	printf("== platform busy for longer than the uplink waits\n");
	setup(&e, &o, NULL, BATCH);
	platform_fault_next(e.platform, PLATFORM_FAULT_429, 1);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 4);
	CHECK(strstr(out, "retry after 30 s") != NULL, "reason: %s", out);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 0);
	env_counts(&e, &c);
	CHECK_INT(c.pending, N_RECORDS);
	env_done(&e);
}

/* Every fault at once, periodically, over more batches. */
static void all_faults_mixed(void)
{
	struct platform_options o = { .slow_ms = 50, .retry_after_s = 1 };
	struct env e;
	char out[4096];

	printf("== every fault, mixed\n");
	setup(&e, &o, "attempts = 10\n", 20);
	for (int f = 1; f < PLATFORM_FAULT__COUNT; f++)
		if (f != PLATFORM_FAULT_429)
			platform_fault_every(e.platform, (enum platform_fault)f, 9, (unsigned)f);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	check_once(&e, -1);
	env_done(&e);
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	every_fault();
	slow_within_timeout();
	keeps_failing();
	busy_for_long();
	all_faults_mixed();
	return check_result();
}
