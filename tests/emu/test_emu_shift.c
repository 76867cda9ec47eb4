/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A whole shift twice: once with the in-process sim: field, once through
 * the real stack — the libnfc: reader, libnfc 1.8.0's own pn532_uart
 * driver, a pty, and the PN532 emulator playing the same tap script (its
 * clock reaching the validator through clock = file:). The PSAM is the
 * sim: one in both. Then:
 *   - both runs end every tap as the script's expect= says;
 *   - the stored records are identical, field by field, times included;
 *   - the field's ledgers (each tap's APDU count, each card's debits by
 *     ATC, amount and TAC, its 1E records) are identical, and a tap with
 *     two cards sent no APDU;
 *   - the emulator's extra arguments (a reader that stops answering for a
 *     while, short answers chained with MI) change none of it.
 * The in-process run itself is checked against the cards' ledgers by the
 * scenario suite (tests/scenario/test_shift.c).
 *
 * Usage: test-emu-shift DIR EMULATOR [EMULATOR-ARGS...]
 *        (DIR holds ykt.conf and shift.tap, as demo/ does)
 */
#include "check.h"
#include "emu_records.h"
#include "config.h"
#include "emu_proc.h"
#include "reader_sim.h"
#include "store.h"
#include "validator.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TAPS    256
#define MAX_RECORDS 1024

struct run {
	enum tap_outcome got[MAX_TAPS];
	int n_taps;
	struct ykt_purchase_record recs[MAX_RECORDS];
	size_t n_recs;
};

static char expect[MAX_TAPS][32];
static int n_expect;

static int read_expectations(const char *script)
{
	char line[512];
	FILE *f = fopen(script, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n_expect < MAX_TAPS) {
		char *e = strstr(line, "expect=");

		if (strncmp(line, "tap ", 4) != 0)
			continue;
		if (!e || sscanf(e + 7, "%31[a-z-]", expect[n_expect]) != 1)
			snprintf(expect[n_expect], sizeof(expect[0]), "?");
		n_expect++;
	}
	fclose(f);
	return 0;
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *run = userdata;

	if (n >= 1 && n <= MAX_TAPS)
		run->got[n - 1] = res->outcome;
	run->n_taps = n;
}

static int collect(const struct ykt_purchase_record *rec, void *userdata)
{
	struct run *run = userdata;

	if (run->n_recs == MAX_RECORDS)
		return -ENOSPC;
	run->recs[run->n_recs++] = *rec;
	return 0;
}

static void read_store(const char *path, struct run *run)
{
	struct ykt_store *store = NULL;

	CHECK(store_open(path, NULL, &store, NULL, 0) == 0, "%s reopens", path);
	CHECK(store && store_purchase_foreach(store, collect, run) == 0, "%s: records read", path);
	store_close(store);
}

static void check_outcomes(const char *what, const struct run *run)
{
	CHECK(run->n_taps == n_expect, "%s: %d taps reported, the script has %d", what, run->n_taps,
	      n_expect);
	for (int i = 0; i < run->n_taps && i < n_expect; i++)
		CHECK(strcmp(tap_outcome_text(run->got[i])->key, expect[i]) == 0,
		      "%s: tap %d: %s, expected %s", what, i + 1,
		      tap_outcome_text(run->got[i])->key, expect[i]);
}

/* ---- the in-process run ---- */

static int run_sim(const struct ykt_config *base, const char *dir, struct run *run)
{
	static struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	char path[600], err[512];
	int r;

	cfg = *base;
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s/sim.db", dir);
	r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "sim validator: %s\n", err);
		return r;
	}
	r = ykt_validator_run(v, on_tap, run);
	snprintf(path, sizeof(path), "%s/sim.ledger", dir);
	if (r == 0)
		r = ykt_reader_sim_write_ledger(ykt_validator_reader(v), path);
	ykt_validator_free(v);
	return r;
}

/* ---- the run through libnfc and the emulator ---- */

/* Stops the validator (SIGTERM, as the service manager does) once the
 * emulator has played the whole script. */
static void *watch_emulator(void *userdata)
{
	struct emu_proc *emu = userdata;
	char line[64];

	if (emu_proc_wait(emu, "end", line, sizeof(line)) < 0)
		fprintf(stderr, "the emulator stopped before the end of the script\n");
	kill(getpid(), SIGTERM);
	return NULL;
}

static int start_emulator(struct emu_proc *emu, const struct ykt_config *base, const char *dir,
			  const char *script, const char *emu_path, char **extra, int n_extra)
{
	static char clock_path[600], ledger[600];
	const char *args[24] = {
		"--script", script, "--clock-file", clock_path, "--ledger", ledger
	};
	int n = 6;

	snprintf(clock_path, sizeof(clock_path), "%s/clock", dir);
	snprintf(ledger, sizeof(ledger), "%s/emu.ledger", dir);
	if (strncmp(base->clock_uri, "sim:", 4) == 0) {
		args[n++] = "--clock-start";
		args[n++] = base->clock_uri + 4;
	}
	for (int i = 0; i < n_extra && n < 22; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return emu_proc_start(emu, emu_path, dir, args);
}

static int run_emulated(const struct ykt_config *base, const char *dir, const char *script,
			char **emu_argv, int emu_argc, struct run *run)
{
	static struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	struct emu_proc emu;
	pthread_t watcher;
	char err[512];
	int r = start_emulator(&emu, base, dir, script, emu_argv[0], emu_argv + 1, emu_argc - 1);

	if (r < 0) {
		fprintf(stderr, "emulator %s: %s\n", emu_argv[0], ykt_strerror(r));
		return r;
	}
	cfg = *base;
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s/emu.db", dir);
	snprintf(cfg.reader_uri, sizeof(cfg.reader_uri), "%s", emu.uri);
	snprintf(cfg.clock_uri, sizeof(cfg.clock_uri), "file:%s/clock", dir);
	r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "validator: %s\n", err);
	if (r == 0 && pthread_create(&watcher, NULL, watch_emulator, &emu) != 0)
		r = -EAGAIN;
	if (r == 0) {
		r = ykt_validator_run(v, on_tap, run);
		pthread_join(watcher, NULL);
	}
	ykt_validator_free(v); /* closes the reader: aborts its poll */
	CHECK(emu_proc_stop(&emu) == 0, "the emulator exits cleanly");
	return r;
}

/* ---- comparisons ---- */

static char *slurp(const char *path)
{
	static char bufs[2][1 << 16];
	static int which;
	char *buf = bufs[which++ % 2];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(bufs[0]) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The ledgers match, and what the emulator's says of two-card taps. */
static void check_ledgers(const char *dir)
{
	char path[600], line[512];
	const char *sim, *emu;
	FILE *f;
	int multi = 0;

	snprintf(path, sizeof(path), "%s/sim.ledger", dir);
	sim = slurp(path);
	snprintf(path, sizeof(path), "%s/emu.ledger", dir);
	emu = slurp(path);
	CHECK(sim[0] && strcmp(sim, emu) == 0,
	      "the ledgers differ:\n--- in process\n%s--- through libnfc\n%s", sim, emu);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *cards = strstr(line, "cards="), *apdus = strstr(line, " apdus=");

		if (strncmp(line, "tap ", 4) != 0 || !cards || !apdus ||
		    !memchr(cards, '+', (size_t)(apdus - cards)))
			continue;
		multi++;
		CHECK(strncmp(apdus, " apdus=0 ", 9) == 0, "two cards, yet APDUs: %s", line);
	}
	if (f)
		fclose(f);
	printf("%d two-card taps, no APDU sent\n", multi);
}

int main(int argc, char **argv)
{
	static struct run sim, emu;
	static struct ykt_config cfg;
	char tmp[256], path[1024], script[1024], err[512];
	sigset_t term;

	if (argc < 3)
		return 2;
	/* SIGTERM stops the validator through its signalfd: no thread may take
	 * it the default way */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	check_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/ykt.conf", argv[1]);
	snprintf(script, sizeof(script), "%s/shift.tap", argv[1]);
	if (ykt_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK(read_expectations(script) == 0 && n_expect > 0, "%s has taps with expect=", script);
	CHECK(run_sim(&cfg, tmp, &sim) == 0, "the in-process shift ran");
	CHECK(run_emulated(&cfg, tmp, script, argv + 2, argc - 2, &emu) == 0,
	      "the shift through libnfc ran");
	check_outcomes("in process", &sim);
	check_outcomes("through libnfc", &emu);

	snprintf(path, sizeof(path), "%s/sim.db", tmp);
	read_store(path, &sim);
	snprintf(path, sizeof(path), "%s/emu.db", tmp);
	read_store(path, &emu);
	CHECK(sim.n_recs == emu.n_recs && sim.n_recs > 0,
	      "%zu records in process, %zu through libnfc", sim.n_recs, emu.n_recs);
	for (size_t i = 0; i < sim.n_recs && i < emu.n_recs; i++)
		emu_same_record(&sim.recs[i], &emu.recs[i], "through libnfc");
	check_ledgers(tmp);
	printf("%d taps, %zu records compared, %d failures\n", emu.n_taps, emu.n_recs,
	       check_failures);
	if (!check_failures)
		check_rm_rf(tmp);
	return check_result();
}
