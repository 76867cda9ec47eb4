/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/startup — start-up and memory:
 *   - process start to ready-for-tap after a clean shutdown: `ykt run` is
 *     started on a store a previous run left (300 records, closed cleanly)
 *     with the link model off and one tap of an expired card; the time from
 *     fork() to that tap's line on its standard output bounds ready-for-tap
 *     from above (it adds SELECT, two reads and the refusal: tens of us);
 *   - anonymous memory (RssAnon) of a validator after 10 000 taps in this
 *     process (link model off; there is no display yet, so none to turn
 *     off), against the same after its first tap.
 *
 * Usage: bench/startup [--taps N] [--starts N] [--tiny]
 */
#include "bench.h"

#include "config.h"
#include "validator.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Start ykt run on the shift; ms from fork() to its first tap line, or -1. */
static double time_to_first_tap(const char *config, const char *outcome)
{
	int fd[2];
	char buf[512];
	int64_t t0 = bench_now_ns(), t1 = -1;
	size_t have = 0;
	pid_t pid;
	int status;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execl(YKT_EXE, "ykt", "run", "-c", config, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	/* read to the end: the shift must finish and close its store */
	while (pid > 0) {
		ssize_t n = read(fd[0], buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (t1 < 0 && strstr(buf, outcome))
			t1 = bench_now_ns();
		if (have > sizeof(buf) / 2) {
			memmove(buf, buf + have - 32, 32);
			have = 32;
		}
	}
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return t1 < 0 || pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0
		   ? -1
		   : (double)(t1 - t0) / 1e6;
}

/* One tap of an expired card: refused after SELECT and the file reads,
 * nothing written (the simulated PSAM does not keep its serial from one
 * process to the next, so a purchase would collide with the last run's). */
static int expired_tap(const struct bench_shift *sh)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/shift.tap", sh->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "clock %s\ntap %s/cards/expired.card\n", sh->clock, bench_data_dir());
	return fclose(f) == 0 ? 0 : -errno;
}

static int bench_start(int starts)
{
	struct bench_shift first = { .compound = true, .taps = 300, .wait_s = 3 };
	struct bench_samples s = { 0 };
	int rc = bench_shift_write(&first);
	double t = 0;

	/* a shift that ends cleanly, leaving its store closed */
	if (rc == 0 && time_to_first_tap(first.config, "tap 1: paid") < 0)
		rc = -1;
	for (int i = 0; rc == 0 && i < starts; i++) {
		char clock[32];
		struct bench_shift again = {
			.compound = true, .taps = 1, .store_path = first.store, .clock = clock
		};

		/* later that day: the clock is checked against the last record */
		snprintf(clock, sizeof(clock), "2026-11-21T%02d:00:00", 10 + i % 12);
		rc = bench_shift_write(&again);
		if (rc == 0)
			rc = expired_tap(&again);
		t = rc == 0 ? time_to_first_tap(again.config, "tap 1: expired") : -1;
		if (t < 0)
			rc = -1;
		else
			bench_samples_add(&s, t);
		bench_shift_remove(&again);
	}
	if (rc == 0) {
		bench_print("start-up to first tap's feedback p50 (bounds ready-for-tap)",
			    bench_pct(&s, 50), 1, "ms");
		bench_print("start-up to first tap's feedback max", bench_pct(&s, 100), 1, "ms");
	} else {
		fprintf(stderr, "bench: ykt run (%s) did not run its shift\n", YKT_EXE);
	}
	bench_samples_free(&s);
	bench_shift_remove(&first);
	return rc;
}

struct mem {
	int taps, paid;
	long first_kb, last_kb;
};

static void on_report(int n, const struct tap_result *res, void *userdata)
{
	struct mem *m = userdata;

	m->paid += res->outcome == TAP_PAID;
	if (n == 1)
		m->first_kb = bench_rss_anon_kb();
	if (n == m->taps)
		m->last_kb = bench_rss_anon_kb();
}

static int bench_memory(int taps)
{
	struct bench_shift sh = { .compound = true, .taps = taps, .wait_s = 3 };
	static struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	struct mem m = { .taps = taps };
	char err[512] = "";
	int rc = bench_shift_write(&sh);

	if (rc == 0)
		rc = ykt_config_load(sh.config, &cfg, err, sizeof(err));
	if (rc == 0)
		rc = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (rc == 0)
		rc = ykt_validator_run(v, on_report, &m);
	ykt_validator_free(v);
	bench_shift_remove(&sh);
	if (rc < 0 || m.paid != taps) {
		fprintf(stderr, "bench: memory shift: %s (%d of %d paid)\n", err, m.paid, taps);
		return -1;
	}
	bench_print("anonymous memory (RssAnon) after the first tap", (double)m.first_kb / 1024, 2,
		    "MB");
	{
		char name[96];

		snprintf(name, sizeof(name), "anonymous memory (RssAnon) after %d taps", taps);
		bench_print(name, (double)m.last_kb / 1024, 2, "MB");
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool tiny = bench_arg_flag(argc, argv, "--tiny");
	int taps = bench_arg_int(argc, argv, "--taps", tiny ? 20 : 10000);
	int starts = bench_arg_int(argc, argv, "--starts", tiny ? 1 : 10);
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = bench_start(starts);
	if (bench_memory(taps) < 0)
		rc = -1;
	return rc < 0 ? 1 : 0;
}
