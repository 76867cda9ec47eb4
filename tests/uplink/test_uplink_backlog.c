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

/* ---- the tapping validator ---- */

static void write_cards(struct env *e, const char *keys)
{
	char name[32], text[1024], path[512];

	for (int i = 0; i < N_CARDS; i++) {
		snprintf(name, sizeof(name), "c%d.card", i);
		snprintf(
		    text, sizeof(text),
		    "name = c%d\nuid = 04B1C2%02X\nissuer_id = 01011000FFFFFFFF\n"
		    "app_type = 02\napp_version = 01\napp_serial = 100020000000000%05d\n"
		    "start_date = 20240101\nexpiry_date = 20301231\ncard_type = 01\n"
		    "deposit = 00\nbalance_fen = 90000\noffline_atc = 1\nstate = active\n"
		    "country = 00000156\nprovince = 1100\ncity = 1000\ninterconnect = 0001\n"
		    "card_kind = 01\noverdraft_limit_fen = 0\nkey_index = 01\nkey_version = 01\n"
		    "%s\nkeys = %s\n",
		    i, i, i, i % 2 ? "algorithm = sm4" : "algorithm_id = 00", keys);
		check_write_file(e->dir, name, text, path, sizeof(path));
	}
}

static void write_tapper(struct env *e, const char *keys)
{
	static char script[SCRIPT_TAPS * 24 + 64];
	char psam[512], text[2048], path[512], keys_dir[512];
	size_t n = 0;

	write_cards(e, keys);
	n += (size_t)snprintf(script + n, sizeof(script) - n, "clock 2026-11-21T07:30:00\n");
	for (int i = 0; i < SCRIPT_TAPS; i++)
		n += (size_t)snprintf(script + n, sizeof(script) - n, "tap c%d.card\nwait 20s\n",
				      i % N_CARDS);
	check_write_file(e->dir, "tapper.tap", script, path, sizeof(path));
	snprintf(keys_dir, sizeof(keys_dir), "%s", keys);
	snprintf(psam, sizeof(psam), "%s/../psam/psam.psam", dirname(keys_dir));
	snprintf(text, sizeof(text),
		 "[device]\nid = %s\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:tapper.tap\nsam = sim:%s\n"
		 "clock = sim:2026-11-21T07:30:00\n"
		 "[store]\npath = store.db\nmin_free_bytes = 0\n"
		 "[purchase]\nfare_fen = 200\nclock_floor = 2026-01-01T00:00:00\n",
		 TEST_DEVICE, psam);
	check_write_file(e->dir, "tapper.conf", text, path, sizeof(path));
}

static pid_t start_tapper(struct env *e)
{
	char conf[600], out[600];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/tapper.conf", e->dir);
	snprintf(out, sizeof(out), "%s/tapper.out", e->dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, 1);
		execl(e->ykt, e->ykt, "run", "--realtime", "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

struct taps {
	int n, paid, other;
	int64_t record[MAX_TAPS];
	double ms[MAX_TAPS], model_ms[MAX_TAPS];
	char first_other[200];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void read_taps(struct env *e, struct taps *t)
{
	char path[600], line[512];
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "%s/tapper.out", e->dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f) && t->n < MAX_TAPS) {
		const char *rec = strstr(line, " record="), *tm = strstr(line, " time=");
		const char *model = strstr(line, " model=");

		if (strncmp(line, "tap ", 4) != 0)
			continue;
		if (!strstr(line, ": paid ") || !rec || !tm || !model) {
			if (!t->other++)
				snprintf(t->first_other, sizeof(t->first_other), "%.199s", line);
			continue;
		}
		t->record[t->paid] = strtoll(rec + 8, NULL, 10);
		t->ms[t->paid] = strtod(tm + 6, NULL);
		t->model_ms[t->paid] = strtod(model + 7, NULL);
		t->paid++;
		t->n++;
	}
	if (f)
		fclose(f);
}

static void print_taps(struct taps *t)
{
	double over[MAX_TAPS];
	int n = t->paid;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
		over[i] = t->ms[i] - t->model_ms[i];
	qsort(t->ms, (size_t)n, sizeof(double), cmp_double);
	qsort(over, (size_t)n, sizeof(double), cmp_double);
	printf("taps during the sync: %d; tap time ms min %.1f median %.1f p95 %.1f max %.1f;"
	       " beyond the link model ms median %.1f p95 %.1f max %.1f\n",
	       n, t->ms[0], t->ms[n / 2], t->ms[n * 95 / 100], t->ms[n - 1], over[n / 2],
	       over[n * 95 / 100], over[n - 1]);
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
	platform_fault_every(p, PLATFORM_FAULT_503, 23, 3);
	platform_fault_every(p, PLATFORM_FAULT_500_AFTER, 29, 5);
	platform_fault_every(p, PLATFORM_FAULT_DROP_REQUEST, 31, 7);
	platform_fault_every(p, PLATFORM_FAULT_DROP_RESPONSE, 37, 11);
	platform_fault_every(p, PLATFORM_FAULT_MALFORMED, 41, 13);
	platform_fault_every(p, PLATFORM_FAULT_PARTIAL, 43, 17);
	platform_fault_every(p, PLATFORM_FAULT_SLOW, 47, 19);
	platform_fault_every(p, PLATFORM_FAULT_429, 97, 23);
}

/* The first sync, killed once the platform took a third of the backlog. */
static void interrupted_sync(struct env *e, unsigned n)
{
	struct platform_stats st;
	int status;
	pid_t pid = env_sync_start(e, NULL);

	for (int i = 0; i < 1200; i++) {
		platform_stats(e->platform, &st);
		if (st.accepted >= n / 3)
			break;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status), "the first sync ended before it was killed");
	platform_stats(e->platform, &st);
	printf("first sync killed after %llu accepted\n", (unsigned long long)st.accepted);
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
	for (int f = 1; f < PLATFORM_FAULT__COUNT; f++)
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
	struct platform_options po = { .slow_ms = 200, .retry_after_s = 1 };
	struct ykt_store *s;
	struct taps taps;
	struct env e;
	double t0;
	int status;
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
	write_tapper(&e, e.keys);
	tapper = start_tapper(&e);

	t0 = now_s();
	interrupted_sync(&e, n);
	CHECK_INT(sync_until_done(&e), 0);
	printf("backlog synced in %.1f s (with the interruption)\n", now_s() - t0);
	kill(tapper, SIGTERM);
	waitpid(tapper, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the tapping validator failed (%d)",
	      status);
	/* what the validator recorded since the last pass */
	CHECK_INT(sync_until_done(&e), 0);

	read_taps(&e, &taps);
	check_taps(&e, &taps);
	print_taps(&taps);
	check_platform(&e);
	check_store(&e, n);
	env_done(&e);
	return check_result();
}
