/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/uplink — the depot sync: time and bytes to send a backlog of
 * records (default 100 000) to the reference platform over HTTPS with
 * mutual TLS on loopback, no faults:
 *   - `ykt sync` from fork() to exit (its own process, as in production),
 *     records per second, its CPU and the platform's (this process);
 *   - request bodies: JSON before gzip and bytes sent after, per record;
 *   - how long a writer waits for the store's write lock while the sync
 *     runs: a probe thread takes it (BEGIN IMMEDIATE ... COMMIT, nothing
 *     written) every 2 ms with the reader loop's 50 ms busy timeout, as a
 *     tap's intent would; and the same for 3 s before, without a sync;
 *   - a pass with nothing to send (heartbeat, status, retention);
 *   - with --taps: a validator tapping on the same store (`ykt run
 *     --realtime`, link model on) before and during the sync, tap time
 *     p50/p99 in both.
 *
 * The backlog is made through the store API with true TACs (the platform
 * verifies every one), as tests/uplink does.
 *
 * Usage: bench/uplink [--records N] [--batch N] [--taps] [--tiny]
 */
#include "bench.h"

#include "uplink_test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double children_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double self_cpu_s(void)
{
	return (double)bench_process_cpu_ns() / 1e9;
}

struct summary {
	long long uploaded, batches, sent, json;
};

/* "ykt sync: uploaded N (...) ... 7 batches, 0 retries, 123 bytes sent
 * (4567 JSON)..." */
static int parse_summary(const char *out, struct summary *ret)
{
	const char *up = strstr(out, "uploaded "), *p = strstr(out, " batches, ");

	while (p && p > out && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (!up || !p || sscanf(up, "uploaded %lld", &ret->uploaded) != 1 ||
	    sscanf(p, "%lld batches, %*d retries, %lld bytes sent (%lld JSON)", &ret->batches,
		   &ret->sent, &ret->json) != 3)
		return -1;
	return 0;
}

static void sleep_s(int s)
{
	struct timespec ts = { s, 0 };

	nanosleep(&ts, NULL);
}

static int count_lines(struct env *e)
{
	static struct taps t;

	env_taps(e, &t);
	return t.paid + t.other;
}

/* The taps in [from, to) of the tapper's output. */
static void tap_window(struct env *e, int from, int to, const char *prefix)
{
	static struct taps all, part;
	int n = 0;

	env_taps(e, &all);
	memset(&part, 0, sizeof(part));
	for (int i = from; i < to && i < all.paid; i++) {
		part.ms[n] = all.ms[i];
		part.record[n++] = all.record[i];
	}
	part.paid = n;
	env_taps_print(prefix, &part);
}

/* ---- the write-lock probe ---- */

/* What a tap's intent would meet: BEGIN IMMEDIATE with the reader loop's
 * 50 ms busy timeout, every 2 ms.  The wait includes this thread's own
 * scheduling on a busy machine, so the same probe runs first with no sync
 * (the floor) and then during the sync. */
struct probe {
	const char *db;
	atomic_bool stop;
	struct bench_samples wait_ms;
	int refused; /* still locked after 50 ms: a tap would be refused */
	pthread_t thread;
};

static void *probe_run(void *userdata)
{
	struct probe *p = userdata;
	struct timespec gap = { 0, 2000000 };
	sqlite3 *db = NULL;

	if (sqlite3_open(p->db, &db) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(db, 50);
	while (!atomic_load(&p->stop)) {
		int64_t t0 = bench_now_ns();
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

		if (rc == SQLITE_OK) {
			bench_samples_add(&p->wait_ms, (double)(bench_now_ns() - t0) / 1e6);
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		} else {
			p->refused++;
		}
		nanosleep(&gap, NULL);
	}
	sqlite3_close(db);
	return NULL;
}

static void probe_start(struct probe *p, const char *db)
{
	memset(p, 0, sizeof(*p));
	p->db = db;
	pthread_create(&p->thread, NULL, probe_run, p);
}

static void probe_report(struct probe *p, const char *when)
{
	char name[96];

	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	snprintf(name, sizeof(name), "uplink write-lock %s", when);
	bench_printp(name, "probes", (double)p->wait_ms.n + p->refused, 0, "");
	bench_printp(name, "wait p50", bench_pct(&p->wait_ms, 50), 3, "ms");
	bench_printp(name, "wait p99", bench_pct(&p->wait_ms, 99), 3, "ms");
	bench_printp(name, "wait max", bench_pct(&p->wait_ms, 100), 3, "ms");
	bench_printp(name, "refused (busy after 50 ms)", (double)p->refused, 0, "");
	bench_samples_free(&p->wait_ms);
}

static int sync_once(struct env *e, const char *what)
{
	char out[4096], name[96];
	struct summary m;
	double cpu_c = children_cpu_s(), cpu_s = self_cpu_s(), n;
	int64_t t0 = bench_now_ns();
	int rc = env_sync(e, out, sizeof(out), NULL);
	double s = (double)(bench_now_ns() - t0) / 1e9;

	if (rc != 0 || parse_summary(out, &m) < 0) {
		fprintf(stderr, "bench: ykt sync exited %d: %s\n", rc, out);
		return -1;
	}
	snprintf(name, sizeof(name), "uplink %s", what);
	bench_printp(name, "records", (double)m.uploaded, 0, "");
	bench_printp(name, "time", s, 3, "s");
	bench_printp(name, "ykt sync CPU", children_cpu_s() - cpu_c, 3, "s");
	bench_printp(name, "platform CPU", self_cpu_s() - cpu_s, 3, "s");
	bench_printp(name, "batches", (double)m.batches, 0, "");
	if (m.uploaded < 1000)
		return 0;
	n = (double)m.uploaded;
	bench_printp(name, "records per second", n / s, 0, "/s");
	bench_printp(name, "JSON", (double)m.json / 1048576.0, 2, "MiB");
	bench_printp(name, "bytes sent (gzip)", (double)m.sent / 1048576.0, 2, "MiB");
	bench_printp(name, "JSON per record", (double)m.json / n, 1, "B");
	bench_printp(name, "gzip per record", (double)m.sent / n, 1, "B");
	bench_printp(name, "compression ratio", (double)m.json / (double)m.sent, 1, "");
	return 0;
}

int main(int argc, char **argv)
{
	bool tiny = bench_arg_flag(argc, argv, "--tiny");
	unsigned n = (unsigned)bench_arg_int(argc, argv, "--records", tiny ? 200 : 100000);
	int batch = bench_arg_int(argc, argv, "--batch", 500);
	bool taps = bench_arg_flag(argc, argv, "--taps") && !tiny;
	struct gen g = { .n = n, .grey_every = 97, .events = 100, .fast = true };
	char keys[512];
	char *env_argv[] = { argv[0], YKT_EXE, MAKE_CERTS, keys, NULL };
	static struct probe probe;
	struct ykt_store *s;
	struct env e;
	int64_t t0;
	int before = 0, during = 0, r;
	pid_t tapper = -1;

	snprintf(keys, sizeof(keys), "%s/keys/issuer-sm4.keys", bench_data_dir());
	env_init(&e, 4, env_argv);
	snprintf(e.uplink_extra, sizeof(e.uplink_extra), "batch_records = %d\n", batch);
	t0 = bench_now_ns();
	s = env_store(&e);
	r = gen_records(&e, s, &g);
	store_close(s);
	if (r < 0) {
		fprintf(stderr, "bench: the backlog could not be made\n");
		return 1;
	}
	bench_print("uplink backlog made", (double)(bench_now_ns() - t0) / 1e9, 1, "s");
	env_platform(&e, NULL, false);
	if (taps) {
		tapper = env_tapper_start(&e);
		sleep_s(10);
		before = count_lines(&e);
	}
	if (!tiny) {
		probe_start(&probe, e.db);
		sleep_s(3);
		probe_report(&probe, "without a sync");
		probe_start(&probe, e.db);
	}
	r = sync_once(&e, "backlog");
	if (!tiny)
		probe_report(&probe, "during the sync");
	if (taps)
		during = count_lines(&e);
	if (r == 0)
		r = sync_once(&e, "empty pass");
	if (taps) {
		env_tapper_stop(&e, tapper);
		/* the first taps open the store and warm up: not counted */
		tap_window(&e, 2, before, "uplink taps without a sync");
		tap_window(&e, before, during, "uplink taps during the sync");
	}
	env_done(&e);
	return r < 0 ? 1 : 0;
}
