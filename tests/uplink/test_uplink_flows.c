/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ykt sync` beyond faults: certificates refused either way, the platform's
 * rejections (quarantine, never sent again blindly, released by an
 * operator), retention, a sync killed in the middle and resumed, grey
 * records completed or voided after the platform acknowledged them, the
 * daemon, and what the heartbeat tells the platform.
 *
 * Usage: test-uplink-flows YKT MAKE_CERTS KEYS
 */
#include "uplink_test.h"

#include "store_private.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_argc;
static char **g_argv;

static void start(struct env *e, unsigned n, const struct platform_options *o, bool rogue)
{
	struct gen g = { .n = n, .fast = true };
	struct ykt_store *s;

	env_init(e, g_argc, g_argv);
	env_platform(e, o, rogue);
	s = env_store(e);
	CHECK(gen_records(e, s, &g) == 0, "records could not be made");
	store_close(s);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- certificates ---- */

static void check_nothing_sent(struct env *e, unsigned n)
{
	struct env_counts c;

	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM purchase"), 0);
	env_counts(e, &c);
	CHECK_INT(c.pending, n);
}

static void server_not_ours(void)
{
	struct platform_stats st;
	struct env e;
	char out[4096];

	printf("== the platform's certificate is not from our CA\n");
	start(&e, 10, NULL, true);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 5);
	CHECK(strstr(out, "certificate is not trusted") != NULL, "reason: %s", out);
	platform_stats(e.platform, &st);
	CHECK_INT(st.requests, 0); /* no HTTP request ever reached it */
	check_nothing_sent(&e, 10);
	env_done(&e);
}

static void client_refused(const char *cert, const char *want, const char *revoke)
{
	struct platform_stats st;
	struct env e;
	char out[4096];

	printf("== client certificate %s\n", cert);
	start(&e, 10, NULL, false);
	snprintf(e.cert, sizeof(e.cert), "%s", cert);
	if (revoke)
		platform_revoke(e.platform, revoke);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 5);
	CHECK(strstr(out, want) != NULL, "%s: reason: %s", cert, out);
	platform_stats(e.platform, &st);
	CHECK(st.refused >= 1, "%s: the platform refused nothing", cert);
	check_nothing_sent(&e, 10);
	env_done(&e);
}

static void certificates(void)
{
	server_not_ours();
	/* a certificate from a CA the platform does not know, with our device id */
	client_refused("rogue-" TEST_DEVICE, "no valid client certificate", NULL);
	/* a good certificate of another device: records of BUS-0815 refused */
	client_refused("OTHER-DEVICE", "device-mismatch", NULL);
	/* a certificate the operator revoked */
	client_refused(TEST_DEVICE, "no valid client certificate", TEST_DEVICE);
}

/* ---- quarantine ---- */

static void quarantine(void)
{
	struct gen bad = { .first = 10, .n = 5, .bad_tac = true };
	struct ykt_store *s;
	struct env_counts c;
	struct env e;
	char out[4096];

	printf("== rejected records are quarantined\n");
	start(&e, 10, NULL, false);
	s = env_store(&e);
	CHECK(gen_records(&e, s, &bad) == 0, "bad records could not be made");
	store_close(s);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 3);
	CHECK(strstr(out, "rejected 5, remaining 0") != NULL, "summary: %s", out);
	env_counts(&e, &c);
	CHECK_INT(c.rejected, 5);
	CHECK_INT(c.accepted, 10);
	CHECK_INT(db_int(e.db, "SELECT count(*) FROM purchase WHERE upload_state = 3"
			       " AND upload_reason LIKE 'tac-mismatch:%'"),
		  5);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM rejected"), 5);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 10);

	/* never sent again by itself */
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "uploaded 0 ") != NULL, "summary: %s", out);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM rejected"), 5);
	CHECK_INT(env_sync(&e, out, sizeof(out), "--quarantine", NULL), 0);
	CHECK(strstr(out, "5 records quarantined") != NULL, "list: %s", out);
	CHECK(strstr(out, "tac-mismatch") != NULL, "list: %s", out);

	/* an operator sends them again: refused again, kept again */
	CHECK_INT(env_sync(&e, out, sizeof(out), "--release", "all", NULL), 0);
	CHECK(strstr(out, "5 records released") != NULL, "release: %s", out);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 3);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM rejected"), 10);
	env_counts(&e, &c);
	CHECK_INT(c.rejected, 5);
	CHECK_INT(env_sync(&e, out, sizeof(out), "--release", "x", NULL), 2);
	env_done(&e);
}

/* ---- retention ---- */

static void retention(void)
{
	struct env e;
	char out[4096], sql[256];
	long long old_ms = (long long)(time(NULL) - 40LL * 86400) * 1000;

	printf("== acknowledged records are purged after the retention period\n");
	start(&e, 20, NULL, false);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "retention_days = 30\n");
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "pruned 0;") != NULL, "summary: %s", out);
	/* records 1-10 acknowledged 40 days ago; record 20 (the newest) too;
	 * record 11 rejected 40 days ago */
	snprintf(sql, sizeof(sql),
		 "UPDATE purchase SET upload_ms = %lld WHERE record_no <= 11 OR record_no = 20",
		 old_ms);
	CHECK_INT(db_exec(e.db, sql), 0);
	CHECK_INT(db_exec(e.db, "UPDATE purchase SET upload_state = 3 WHERE record_no = 11"), 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "pruned 10;") != NULL, "summary: %s", out);
	CHECK_INT(db_int(e.db, "SELECT count(*) FROM purchase"), 10);
	CHECK_INT(db_int(e.db, "SELECT min(record_no) FROM purchase"), 11);
	CHECK_INT(db_int(e.db, "SELECT count(*) FROM purchase WHERE record_no = 20"), 1);
	env_done(&e);
}

/* ---- a sync killed half-way ---- */

static void resume(void)
{
	struct platform_options o = { .slow_ms = 100 };
	struct platform_stats st;
	struct env_counts c;
	struct env e;
	char out[4096];
	int status = 0;
	pid_t pid;

	printf("== a sync killed half-way, then run again\n");
	start(&e, 2000, &o, false);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "batch_records = 100\n");
	platform_fault_every(e.platform, PLATFORM_FAULT_SLOW, 1, 0);
	pid = env_sync_start(&e, NULL);
	for (int i = 0; i < 600; i++) {
		platform_stats(e.platform, &st);
		if (st.accepted >= 500)
			break;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status), "the sync was not killed");
	env_counts(&e, &c);
	printf("killed with %lld acknowledged, %lld pending\n", c.accepted, c.pending);
	CHECK(c.accepted > 0 && c.pending > 0, "killed before or after the work");
	platform_fault_every(e.platform, PLATFORM_FAULT_SLOW, 0, 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	env_counts(&e, &c);
	CHECK_INT(c.pending, 0);
	CHECK_INT(c.accepted + c.duplicate, 2000);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 2000);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase WHERE accepted_count <> 1"),
		  0);
	env_done(&e);
}

/* ---- grey, then settled ---- */

static void grey_settled(void)
{
	struct gen g = { .n = 10, .grey_every = 5 }; /* records 1 and 6 grey */
	struct ykt_store *s;
	struct env_counts c;
	struct env e;
	char out[4096];

	printf("== grey records completed or voided after the platform had them\n");
	env_init(&e, g_argc, g_argv);
	env_platform(&e, NULL, false);
	s = env_store(&e);
	CHECK(gen_records(&e, s, &g) == 0, "records could not be made");
	store_close(s);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase WHERE state = 'grey'"), 2);

	/* recovery (805A) completes record 1; record 6 proved not debited */
	s = env_store(&e);
	CHECK_INT(gen_complete(&e, s, 1), 0);
	CHECK_INT(store_purchase_void(s, 6), 0);
	store_close(s);
	env_counts(&e, &c);
	CHECK_INT(c.pending, 2);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "uploaded 2 (accepted 2, duplicate 0)") != NULL, "summary: %s", out);
	CHECK_INT(db_int(e.platform_db, "SELECT accepted_count FROM purchase WHERE record_no = 1"
					" AND state = 'complete' AND tac_verified = 1"),
		  2);
	CHECK_INT(db_int(e.platform_db, "SELECT accepted_count FROM purchase WHERE record_no = 6"
					" AND state = 'void'"),
		  2);
	env_counts(&e, &c);
	CHECK_INT(c.pending, 0);
	env_done(&e);
}

/* ---- the daemon, and the heartbeat ---- */

static void daemon_mode(void)
{
	struct platform_stats st;
	struct ykt_store *s;
	struct gen more = { .first = 200, .n = 50, .events = 5 };
	struct env_counts c;
	struct env e;
	int status = -1;
	pid_t pid;

	printf("== ykt sync --daemon\n");
	start(&e, 200, NULL, false);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "interval_s = 1\n");
	pid = env_sync_start(&e, "--daemon");
	for (int i = 0; i < 400; i++) {
		platform_stats(e.platform, &st);
		if (st.heartbeats >= 1)
			break;
		sleep_ms(50);
	}
	/* records made while it runs go with a later pass */
	s = env_store(&e);
	CHECK(gen_records(&e, s, &more) == 0, "records could not be made");
	store_close(s);
	for (int i = 0; i < 400; i++) {
		env_counts(&e, &c);
		platform_stats(e.platform, &st);
		if (c.pending == 0 && st.heartbeats >= 3)
			break;
		sleep_ms(50);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon did not stop cleanly (%d)",
	      status);
	env_counts(&e, &c);
	CHECK_INT(c.pending, 0);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 250);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM event"), 5);
	CHECK(st.heartbeats >= 3, "only %llu heartbeats", (unsigned long long)st.heartbeats);

	/* what the last heartbeat said */
	CHECK_INT(db_int(e.platform_db, "SELECT json_extract(body, '$.backlog.purchases')"
					" FROM heartbeat ORDER BY rowid DESC LIMIT 1"),
		  0);
	CHECK_INT(db_int(e.platform_db,
			 "SELECT json_extract(body, '$.psam_terminal_nos[0]')"
			 " = '009988776655' FROM heartbeat ORDER BY rowid DESC LIMIT 1"),
		  1);
	CHECK_INT(db_int(e.platform_db, "SELECT json_extract(body, '$.schema_version')"
					" FROM heartbeat ORDER BY rowid DESC LIMIT 1"),
		  store_schema_version());
	CHECK(db_int(e.platform_db, "SELECT json_extract(body, '$.free_storage_bytes')"
				    " FROM heartbeat ORDER BY rowid DESC LIMIT 1") > 0,
	      "no free storage reported");
	env_done(&e);
}

/* SIGTERM while the daemon waits for a platform that takes a minute to
 * answer: it stops at once rather than at the end of the request (a hang
 * here is the meson time-out). */
static void daemon_stops_mid_request(void)
{
	struct platform_options o = { .slow_ms = 60000 };
	struct platform_stats st = { 0 };
	struct env e;
	int status = -1;
	pid_t pid;

	printf("== SIGTERM while a request waits\n");
	start(&e, 10, &o, false);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "timeout_s = 120\n");
	platform_fault_every(e.platform, PLATFORM_FAULT_SLOW, 1, 0);
	pid = env_sync_start(&e, "--daemon");
	for (int i = 0; i < 400 && st.records_requests == 0; i++) {
		sleep_ms(50);
		platform_stats(e.platform, &st);
	}
	sleep_ms(200); /* stored; the answer waits */
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon did not stop cleanly (%d)",
	      status);
	CHECK_INT(db_int(e.platform_db, "SELECT count(*) FROM purchase"), 10);
	CHECK_INT(db_int(e.db, "SELECT count(*) FROM purchase WHERE upload_state = 0"), 10);
	env_done(&e);
}

/* Records refused with a 503, heartbeats taken: the heartbeat tells the
 * operator what is waiting and why. */
static void heartbeat_backlog(void)
{
	struct gen g = { .n = 30 };
	struct ykt_store *s;
	struct env e;
	char out[4096];

	printf("== the heartbeat reports the backlog and the failure\n");
	env_init(&e, g_argc, g_argv);
	env_platform(&e, NULL, false);
	s = env_store(&e);
	CHECK(gen_records(&e, s, &g) == 0, "records could not be made");
	store_close(s);
	/* batches of 20: the first is taken, the second gets a 503 and the
	 * pass gives up at once */
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "batch_records = 20\nattempts = 1\n");
	platform_fault_every(e.platform, PLATFORM_FAULT_503, 2, 0);
	CHECK_INT(env_sync(&e, out, sizeof(out), NULL), 4);
	CHECK(strstr(out, "remaining 10;") != NULL, "summary: %s", out);
	CHECK(strstr(out, "heartbeat ok") != NULL, "summary: %s", out);
	CHECK_INT(db_int(e.platform_db, "SELECT json_extract(body, '$.backlog.purchases')"
					" FROM heartbeat ORDER BY rowid DESC LIMIT 1"),
		  10);
	CHECK_INT(db_int(e.platform_db, "SELECT json_extract(body, '$.errors[0]') LIKE '%503%'"
					" FROM heartbeat ORDER BY rowid DESC LIMIT 1"),
		  1);
	env_done(&e);
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	certificates();
	quarantine();
	retention();
	resume();
	grey_settled();
	daemon_mode();
	daemon_stops_mid_request();
	heartbeat_backlog();
	return check_result();
}
