/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The depot sync of the issue: a backlog of 100,000 records goes up
 * through every fault of the reference platform, with the first sync
 * killed half-way, while a validator keeps tapping on the same database.
 *
 *   - the backlog is made through the store API, each complete record with
 *     the TAC the test issuer key gives (3DES and SM4 alternating), some
 *     grey, some events;
 *   - the tapping validator is `ykt run --realtime` on its own process:
 *     simulated cards and PSAM taking the time the link model says, on the
 *     same store, until the sync is over;
 *   - `ykt sync` runs as its own process, killed once in the middle, then
 *     run until it reports nothing left;
 *   - at the end every record is at the platform exactly once (accepted
 *     once, never twice), every complete record's TAC verified there, none
 *     rejected, and the store agrees: every record acknowledged, none
 *     pending.  Every tap was paid and recorded; none failed on a busy
 *     database.  Tap times are printed, not asserted (bench/ measures).
 *
 * Usage: test-uplink-backlog YKT MAKE_CERTS KEYS
 * YKT_UPLINK_RECORDS=n changes the backlog (default 100000).
 */
#include "uplink_test.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_CARDS	    8
#define MAX_TAPS    2000
#define SCRIPT_TAPS 1500

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Every tap paid, each with its complete record in the store. */
static void check_taps(struct env *e, const struct taps *t)
{
	char sql[200];

	CHECK(t->paid > 0, "no tap ran during the sync");
	CHECK_INT(t->other, 0);
	if (t->other)
		fprintf(stderr, "first tap not paid: %s", t->first_other);
	for (int i = 0; i < t->paid; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM purchase WHERE record_no = %lld AND state = 1",
			 (long long)t->record[i]);
		CHECK(db_int(e->db, sql) == 1, "tap record %lld is not a complete record",
		      (long long)t->record[i]);
	}
}

/* ---- the sync ---- */

static void fault_plan(struct platform *p)
{
	/* periods prime to each other: every fault, in changing company */
	platform_fault_every(p, PLATFORM_FAULT_503, 23, 2);
	platform_fault_every(p, PLATFORM_FAULT_500_AFTER, 29, 3);
	platform_fault_every(p, PLATFORM_FAULT_DROP_REQUEST, 31, 5);
	platform_fault_every(p, PLATFORM_FAULT_DROP_RESPONSE, 37, 7);
	platform_fault_every(p, PLATFORM_FAULT_MALFORMED, 41, 9);
	platform_fault_every(p, PLATFORM_FAULT_PARTIAL, 43, 12);
	platform_fault_every(p, PLATFORM_FAULT_SLOW, 47, 14);
	/* each costs a second of Retry-After: the first request, then rarely */
	platform_fault_every(p, PLATFORM_FAULT_429, 97, 1);
}

/* The first sync, killed (SIGKILL) once the platform took a third of the
 * backlog, while it waits for the answer to a batch the platform has
 * already stored: the next sync meets those records again as duplicates.
 * The kill is aimed at a wait for the network rather than at a store
 * transaction: a process killed while it holds the store's write lock
 * keeps it until the kernel has torn the process down, which for an ASan
 * process (terabytes of shadow mappings) on a loaded machine is longer than
 * a tap's 50 ms busy timeout.  tests/uplink/test_uplink_flows.c kills a
 * sync at a random point, with no tap waiting. */
static void interrupted_sync(struct env *e, unsigned n)
{
	static struct taps taps;
	struct platform_stats st;
	uint64_t slow;
	int status;
	pid_t pid = env_sync_start(e, NULL);

	for (int i = 0; i < 1200; i++) {
		platform_stats(e->platform, &st);
		if (st.accepted >= n / 3)
			break;
		sleep_ms(50);
	}
	slow = st.faults[PLATFORM_FAULT_SLOW];
	platform_fault_next(e->platform, PLATFORM_FAULT_SLOW, 1);
	for (int i = 0; i < 2000 && st.faults[PLATFORM_FAULT_SLOW] == slow; i++) {
		sleep_ms(5);
		platform_stats(e->platform, &st);
	}
	sleep_ms(50); /* the batch is being stored; the answer waits slow_ms */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status), "the first sync ended before it was killed");
	platform_stats(e->platform, &st);
	env_taps(e, &taps);
	printf("first sync killed after %llu accepted, by tap %d\n",
	       (unsigned long long)st.accepted, taps.paid + taps.other);
}

static int sync_until_done(struct env *e)
{
	char out[4096];
	int rc = -1, runs = 0;

	while (runs++ < 10) {
		rc = env_sync(e, out, sizeof(out), NULL);
		if (rc == 0 && strstr(out, "remaining 0;"))
			break;
	}
	return rc;
}

/* ---- the end ---- */

static void check_platform(struct env *e)
{
	struct platform_stats st;
	long long purchases = db_int(e->db, "SELECT count(*) FROM purchase WHERE state IN (1, 2)");
	long long complete = db_int(e->db, "SELECT count(*) FROM purchase WHERE state = 1");
	long long events = db_int(e->db, "SELECT count(*) FROM event");

	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase"), purchases);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM event"), events);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase WHERE accepted_count <> 1"),
		  0);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM event WHERE accepted_count <> 1"),
		  0);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase WHERE state = 'complete'"
					 " AND tac_verified = 1"),
		  complete);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM rejected"), 0);
	platform_stats(e->platform, &st);
	CHECK_INT(st.tac_failed, 0);
	CHECK_INT(st.rejected, 0);
	/* every kind came at least once (each first comes by request 14, and
	 * 20,000 records take more) */
	for (int f = 1; f < PLATFORM_FAULT__COUNT && st.records_requests >= 14; f++)
		CHECK(st.faults[f] > 0, "fault %s never happened",
		      platform_fault_name((enum platform_fault)f));
	printf("platform: %lld purchases (%lld with a verified TAC), %lld events; %llu requests,"
	       " %llu duplicates answered",
	       purchases, complete, events, (unsigned long long)st.records_requests,
	       (unsigned long long)st.duplicates);
	for (int f = 1; f < PLATFORM_FAULT__COUNT; f++)
		printf(", %s %llu", platform_fault_name((enum platform_fault)f),
		       (unsigned long long)st.faults[f]);
	printf("\n");
}

static void check_store(struct env *e, unsigned n)
{
	struct env_counts c;
	long long all = db_int(e->db, "SELECT (SELECT count(*) FROM purchase WHERE state IN (1, 2))"
				      " + (SELECT count(*) FROM event)");

	env_counts(e, &c);
	CHECK_INT(c.pending, 0);
	CHECK_INT(c.rejected, 0);
	CHECK_INT(c.accepted + c.duplicate, all);
	CHECK(all >= n, "the backlog shrank: %lld records", all);
}

int main(int argc, char **argv)
{
	const char *env_n = getenv("YKT_UPLINK_RECORDS");
	unsigned n = env_n ? (unsigned)strtoul(env_n, NULL, 10) : 100000;
	struct gen g = { .n = n, .grey_every = 97, .events = 100, .fast = true };
	struct platform_options po = { .slow_ms = 100, .retry_after_s = 1 };
	struct ykt_store *s;
	static struct taps taps;
	struct env e;
	double t0;
	pid_t tapper;

	env_init(&e, argc, argv);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "attempts = 20\n");
	t0 = now_s();
	s = env_store(&e);
	CHECK(gen_records(&e, s, &g) == 0, "the backlog could not be made");
	store_close(s);
	printf("backlog of %u records made in %.1f s\n", n, now_s() - t0);
	env_platform(&e, &po, false);
	fault_plan(e.platform);
	tapper = env_tapper_start(&e);

	t0 = now_s();
	interrupted_sync(&e, n);
	CHECK_INT(sync_until_done(&e), 0);
	printf("backlog synced in %.1f s (with the interruption)\n", now_s() - t0);
	CHECK(env_tapper_stop(&e, tapper) == 0, "the tapping validator failed");
	/* what the validator recorded since the last pass */
	CHECK_INT(sync_until_done(&e), 0);

	env_taps(&e, &taps);
	check_taps(&e, &taps);
	env_taps_print("taps during the sync", &taps);
	check_platform(&e);
	check_store(&e, n);
	env_done(&e);
	return check_result();
}
